import { $ZodError } from 'zod/v4/core';
import { ApplianceError } from '../../shared/appliances/errors.js';
import type { Broker } from '../../shared/broker.js';
import { BrokerError, InvalidInputError } from '../../shared/errors.js';
import { applianceCommands } from './appliances.js';
import {
  CliError,
  type CliIo,
  findPositionals,
  formatOptions,
  type OptionSpecs,
  parseStrict,
  UsageError,
} from './args.js';
import { configCommands } from './check-config.js';
import { clientCommands } from './clients.js';
import type { CliCommand, CliContext } from './command.js';
import { keyCommands } from './keys.js';
import { linkCommands } from './links.js';
import { localCommands } from './local.js';
import { kindFieldFlags } from './provider-flags.js';
import { syncCommands } from './sync.js';
import { connectBroker, describeAwsError, resolveTarget, TARGET_OPTIONS, type Target } from './target.js';

const PROGRAM = 'console-launch-broker';

const HELP_OPTION: OptionSpecs = { help: { type: 'boolean', short: 'h', description: 'show this help' } };

const COMMANDS: CliCommand[] = [
  ...applianceCommands,
  ...clientCommands,
  ...linkCommands,
  ...syncCommands,
  ...keyCommands,
  ...localCommands,
  ...configCommands,
];

const GROUPS: Record<string, string> = {
  appliances:
    'register, list, test and remove console sources of every kind (credentials go to Secrets Manager)',
  clients: 'create, list and revoke API clients (keys are stored only as hashes)',
  links: 'create, list and revoke one-click launch links',
  sync: 'run an inventory sync now and print what changed per appliance',
  local: 'run the local engines the CLI and `npm start` can share',
  config: 'check a configuration file (BROKER_CONFIG) before starting with it',
  keys: 'rotate the session and cursor keys, retire old session keys (ids shown, never keys)',
};

/**
 * Runs one CLI invocation and answers its exit code: 0 done, 1 failed (the message says what to fix),
 * 2 called wrongly. Never throws; nothing secret is written except the one value a create command prints.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  const err = (text: string) => io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  let target: Promise<Target> | undefined;
  let broker: Promise<Broker> | undefined;
  let values: Record<string, unknown> = {};
  const context: CliContext = {
    io,
    out,
    err,
    target: () => {
      target ??= resolveTarget(values as never, io.env);
      return target;
    },
    broker: () => {
      broker ??= context.target().then((resolved) => connectBroker(resolved, io.env));
      return broker;
    },
  };
  let command: CliCommand | undefined;
  try {
    const beforeDashes = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
    const wantsHelp = beforeDashes.includes('--help') || beforeDashes.includes('-h');
    const words = findPositionals(argv, allOptions());
    if (words[0] === 'help') {
      out(helpFor(words.slice(1)));
      return 0;
    }
    command = findCommand(words);
    if (!command) {
      if (wantsHelp || words.length === 0 || (words.length === 1 && words[0]! in GROUPS)) {
        (wantsHelp ? out : err)(helpFor(words));
        return wantsHelp ? 0 : 2;
      }
      throw new UsageError(`unknown command "${words.join(' ')}" (see ${PROGRAM} --help)`);
    }
    if (wantsHelp) {
      out(commandHelp(command));
      return 0;
    }
    const options = optionsOf(command);
    const parsed = parseStrict(argv, options, command.name);
    values = parsed.values;
    return await command.run(context, parsed);
  } catch (error) {
    const [code, message] = describeFailure(error, command);
    err(`${PROGRAM}: ${message}`);
    return code;
  } finally {
    const opened = await broker?.catch(() => undefined);
    await opened?.close().catch(() => undefined);
    const resolved = await target?.catch(() => undefined);
    resolved?.dynamodb.destroy();
    resolved?.secretsManager.destroy();
  }
}

function findCommand(words: string[]): CliCommand | undefined {
  return COMMANDS.filter((command) => {
    const parts = command.name.split(' ');
    return parts.every((part, i) => words[i] === part);
  }).sort((a, b) => b.name.length - a.name.length)[0];
}

function optionsOf(command: CliCommand): OptionSpecs {
  return { ...command.options, ...(command.target ? TARGET_OPTIONS : {}), ...HELP_OPTION };
}

/** Every option of every command, so positionals can be told apart from option values before parsing strictly. */
function allOptions(): OptionSpecs {
  return Object.assign({}, TARGET_OPTIONS, HELP_OPTION, ...COMMANDS.map((command) => command.options));
}

function usageLine(command: CliCommand): string {
  const args = command.args?.length ? ` ${command.args.join(' ')}` : '';
  return `${PROGRAM} ${command.name}${args} [options]`;
}

function commandHelp(command: CliCommand): string {
  const parts = [`Usage: ${usageLine(command)}`, '', command.summary];
  if (Object.keys(command.options).length) parts.push('', 'Options:', formatOptions(command.options));
  if (command.details) parts.push('', command.details.trim());
  if (command.target) {
    parts.push(
      '',
      'Target (where the broker state lives; AWS unless --local):',
      formatOptions(TARGET_OPTIONS),
    );
  }
  parts.push('', 'Exit codes: 0 done, 1 failed, 2 usage error.');
  return parts.join('\n');
}

function helpFor(words: string[]): string {
  const command = findCommand(words);
  if (command) return commandHelp(command);
  const group = words[0];
  if (group && group in GROUPS) {
    const members = COMMANDS.filter((c) => c.name.split(' ')[0] === group);
    const width = Math.max(...members.map((c) => c.name.length)) + 2;
    return [
      `Usage: ${PROGRAM} ${group} <command> [options]`,
      '',
      GROUPS[group],
      '',
      'Commands:',
      ...members.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
      '',
      `Run "${PROGRAM} ${group} <command> --help" for a command's options.`,
    ].join('\n');
  }
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${PROGRAM} <command> [options]   (from a checkout: npm run cli -- <command> [options])`,
    '',
    'The operator CLI of Console Launch Broker: writes appliances, clients and links to the broker state',
    'in AWS (DynamoDB + Secrets Manager) or in the local runtime.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Target: AWS with --stack <name> or --table <name> (+ --region), or the local runtime with --local.',
    `Run "${PROGRAM} <command> --help" for a command's options. Exit codes: 0 done, 1 failed, 2 usage error.`,
  ].join('\n');
}

/** Request fields of the shared services, as the flags that set them. */
const FIELD_FLAGS: Record<string, string> = {
  user: '--user',
  reason: '--reason',
  applianceId: '--appliance',
  deviceId: '--device',
  viewerType: '--viewer',
  sharingMode: '--sharing-mode',
  mouseMode: '--mouse-mode',
  ttlSeconds: '--ttl',
  baseUrl: '--base-url',
  name: '--name',
  kind: '--kind',
  ...kindFieldFlags(),
  password: 'password',
  scopes: '--scopes',
  appliances: '--appliances',
  id: '<id>',
  tls: '--tls-*',
  caPem: '--tls-ca-file',
  fingerprint256: '--tls-fingerprint',
};

/** The exit code and one line for any failure. Messages of the shared errors carry no secrets by design. */
function describeFailure(error: unknown, command: CliCommand | undefined): [number, string] {
  if (error instanceof UsageError) return [2, error.message];
  if (error instanceof CliError) return [1, error.message];
  // The core class: the shared schemas are zod/mini, whose errors are not classic `ZodError`s.
  if (error instanceof $ZodError) return [2, zodMessage(error)];
  if (error instanceof InvalidInputError) {
    return [2, error.fields.map((f) => `${FIELD_FLAGS[f.field] ?? f.field}: ${f.message}`).join('; ')];
  }
  if (error instanceof ApplianceError || error instanceof BrokerError) return [1, error.message];
  const where = command ? `${command.name}: ` : '';
  return [1, `${where}${describeAwsError(error)}`];
}

/** A zod failure as `--flag: message`, for input the CLI validates with the shared schemas. */
function zodMessage(error: $ZodError): string {
  return error.issues
    .map((issue) => {
      const last = [...issue.path].reverse().find((part) => typeof part === 'string');
      const field = last === undefined ? 'input' : (FIELD_FLAGS[last] ?? String(last));
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}
