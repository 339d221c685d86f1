import { type ConfigFile, ConfigFileError, loadConfigFile } from '../../shared/config/file.js';
import { positionalArgs } from './args.js';
import type { CliCommand } from './command.js';

/** One line on what a valid configuration holds: ids, kinds and counts, never a credential or key. */
export function describeConfig(config: ConfigFile): string {
  const appliances = config.appliances.map((a) => `${a.id} (${a.kind})`).join(', ');
  const clients = config.clients.map((c) => c.id).join(', ');
  const sync = config.sync ? `sync every ${config.sync.intervalSeconds} s` : 'no periodic sync';
  const links = config.publicBaseUrl ? `links under ${config.publicBaseUrl}` : 'links under the listen URL';
  return `${config.appliances.length} appliance(s): ${appliances}; ${config.clients.length} client(s): ${clients}; ${sync}; ${links}`;
}

/**
 * Validates a configuration file exactly as `npm start` loads it (`BROKER_CONFIG`), without starting anything:
 * 0 and a summary on stdout when valid, 1 and the message naming each bad field on stderr when not.
 */
export async function checkConfigFile(
  path: string,
  io: { out(text: string): void; err(text: string): void },
): Promise<number> {
  try {
    const config = await loadConfigFile(path);
    io.out(`${path}: valid: ${describeConfig(config)}`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigFileError)) throw error;
    // The same words `npm start` stops with, so a message seen at start can be reproduced here.
    io.err(`invalid configuration: ${error.message}`);
    return 1;
  }
}

const check: CliCommand = {
  name: 'config check',
  summary: 'validate a configuration file (BROKER_CONFIG) without starting the broker',
  args: ['<file>'],
  target: false,
  options: {},
  details:
    'Exits 0 and prints what the file holds (ids, kinds, counts; no secret) when `npm start` would accept it, ' +
    'or 1 and one message naming every bad field (`appliances[0].baseUrl: must be an https:// URL`). ' +
    'broker.config.example.json shows every field.',
  async run(context, args) {
    const [file] = positionalArgs(args, this, 2);
    return checkConfigFile(file as string, context);
  },
};

export const configCommands: CliCommand[] = [check];
