import { parseArgs } from 'node:util';
import { startVcenterSimulator, type VcenterSimulatorOptions } from './simulator.js';

const USAGE =
  'usage: npm run simulator -- --kind vcenter [--port N] [--host ADDR] [--latency MS] [--vms N] [--max-vms N]\n' +
  '                            [--username U] [--password P] [--idle-timeout S] [--esx-host HOST:PORT]\n' +
  '                            [--no-console-privilege]';

function count(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return Number(value);
}

/** Turns command-line arguments into simulator options; throws with a readable message on bad input. */
function parseOptions(args: string[]): VcenterSimulatorOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      latency: { type: 'string' },
      vms: { type: 'string' },
      'max-vms': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'idle-timeout': { type: 'string' },
      'esx-host': { type: 'string' },
      'no-console-privilege': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const options: VcenterSimulatorOptions = { port: count('port', values.port), host: values.host };
  if (values.latency !== undefined) options.latencyMs = count('latency', values.latency);
  if (values.vms !== undefined) options.vmCount = count('vms', values.vms);
  if (values['max-vms'] !== undefined) options.maxVms = count('max-vms', values['max-vms']);
  if (values.username !== undefined) options.username = values.username;
  if (values.password !== undefined) options.password = values.password;
  if (values['idle-timeout'] !== undefined)
    options.idleTimeoutSeconds = count('idle-timeout', values['idle-timeout']);
  if (values['esx-host'] !== undefined) options.esxHost = values['esx-host'];
  if (values['no-console-privilege']) options.consolePrivilege = false;
  return options;
}

async function main(): Promise<void> {
  let options: VcenterSimulatorOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const simulator = await startVcenterSimulator(options);
  const credentials = Object.entries(simulator.credentials).map(([key, value]) => `${key}=${value}`);
  // One line, so scripts can read the URL, the secret to register and the fingerprint to pin.
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
