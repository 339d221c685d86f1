import { parseArgs } from 'node:util';
import { type PasswordSafeSimulatorOptions, startPasswordSafeSimulator } from './simulator.js';

const USAGE =
  'usage: npm run simulator -- --kind password-safe [--port N] [--host ADDR] [--latency MS]\n' +
  '                            [--api-key KEY] [--run-as USER] [--password P] [--idle-timeout SECONDS]\n' +
  '                            [--no-approval]';

function count(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return Number(value);
}

/** Turns command-line arguments into simulator options; throws with a readable message on bad input. */
function parseOptions(
  args: string[],
): { options: PasswordSafeSimulatorOptions; noApproval: boolean } | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      latency: { type: 'string' },
      'api-key': { type: 'string' },
      'run-as': { type: 'string' },
      password: { type: 'string' },
      'idle-timeout': { type: 'string' },
      'no-approval': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const options: PasswordSafeSimulatorOptions = { port: count('port', values.port), host: values.host };
  if (values.latency !== undefined) options.latencyMs = count('latency', values.latency);
  if (values['api-key'] !== undefined) options.apiKey = values['api-key'];
  if (values['run-as'] !== undefined) options.runAs = values['run-as'];
  if (values.password !== undefined) options.password = values.password;
  if (values['idle-timeout'] !== undefined) {
    options.idleTimeoutSeconds = count('idle-timeout', values['idle-timeout']);
  }
  return { options, noApproval: values['no-approval'] };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const simulator = await startPasswordSafeSimulator(parsed.options);
  // Demo runs have no approver at hand; --no-approval makes every account release at once.
  if (parsed.noApproval) {
    for (const account of simulator.accounts) {
      simulator.setApprovalRequired(`${account.systemId}.${account.accountId}`, false);
    }
  }
  const credentials = Object.entries(simulator.credentials).map(([key, value]) => `${key}=${value}`);
  // One line, so scripts can be pointed at it; the credentials are the simulator's own throwaway ones.
  process.stdout.write(
    `ready ${simulator.url} ${credentials.join(' ')} fingerprint256=${simulator.fingerprint256}\n`,
  );
  const stop = (): void => {
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();
