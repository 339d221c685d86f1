import { parseArgs } from 'node:util';
import { type DcvSimulatorOptions, startDcvSimulator } from './simulator.js';

const USAGE =
  'usage: npm run simulator -- --kind dcv [--port N] [--host ADDR] [--latency MS] [--sessions N] [--seed S]\n' +
  '                            [--hostname NAME] [--client-id UUID] [--client-secret B64]\n' +
  '                            [--token-ttl SECONDS] [--connection-token-ttl SECONDS]';

function count(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return Number(value);
}

/** Turns command-line arguments into simulator options; throws with a readable message on bad input. */
function parseOptions(args: string[]): DcvSimulatorOptions | 'help' {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      latency: { type: 'string' },
      sessions: { type: 'string' },
      seed: { type: 'string' },
      hostname: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      'token-ttl': { type: 'string' },
      'connection-token-ttl': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const options: DcvSimulatorOptions = { port: count('port', values.port), host: values.host };
  if (values.latency !== undefined) options.latencyMs = count('latency', values.latency);
  if (values.sessions !== undefined) options.sessionCount = count('sessions', values.sessions);
  if (values.seed !== undefined) options.seed = values.seed;
  if (values.hostname !== undefined) options.hostname = values.hostname;
  if (values['client-id'] !== undefined) options.clientId = values['client-id'];
  if (values['client-secret'] !== undefined) options.clientSecret = values['client-secret'];
  if (values['token-ttl'] !== undefined) options.tokenTtlSeconds = count('token-ttl', values['token-ttl']);
  if (values['connection-token-ttl'] !== undefined) {
    options.connectionTokenTtlSeconds = count('connection-token-ttl', values['connection-token-ttl']);
  }
  return options;
}

async function main(): Promise<void> {
  let options: DcvSimulatorOptions | 'help';
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
  const simulator = await startDcvSimulator(options);
  const { clientId, clientSecret } = simulator.credentials;
  // One line, so scripts (and the guide's Python sample) can be pointed at it.
  process.stdout.write(
    `ready ${simulator.url} clientId=${clientId} clientSecret=${clientSecret} fingerprint256=${simulator.fingerprint256}\n`,
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
