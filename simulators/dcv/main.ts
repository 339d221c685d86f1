import { count, parseSimulatorArgs, runSimulator } from '../common/main.js';
import { type DcvSimulatorOptions, startDcvSimulator } from './simulator.js';

const USAGE =
  'usage: npm run simulator -- --kind dcv [--port N] [--host ADDR] [--latency MS] [--sessions N] [--seed S]\n' +
  '                            [--hostname NAME] [--client-id UUID] [--client-secret B64]\n' +
  '                            [--token-ttl SECONDS] [--connection-token-ttl SECONDS]';

/** Turns command-line arguments into simulator options; throws with a readable message on bad input. */
function parseOptions(args: string[]): DcvSimulatorOptions | 'help' {
  const { values, common, help } = parseSimulatorArgs(args, {
    sessions: { type: 'string' },
    seed: { type: 'string' },
    hostname: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'token-ttl': { type: 'string' },
    'connection-token-ttl': { type: 'string' },
  });
  if (help) return 'help';
  const options: DcvSimulatorOptions = { ...common };
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

await runSimulator(USAGE, parseOptions, async (options) => {
  const simulator = await startDcvSimulator(options);
  const { clientId, clientSecret } = simulator.credentials;
  // The guide's Python sample can be pointed at these.
  const readyLine = `ready ${simulator.url} clientId=${clientId} clientSecret=${clientSecret} fingerprint256=${simulator.fingerprint256}`;
  return { simulator, readyLine };
});
