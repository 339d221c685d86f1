import { count, parseSimulatorArgs, runSimulator } from '../common/main.js';
import { type Platform, type SimulatorOptions, startDsviewSimulator } from './simulator.js';

const USAGE =
  'usage: npm run simulator -- [--port N] [--host ADDR] [--devices N] [--seed S] [--latency MS]\n' +
  '                            [--username U] [--password P] [--platform MP1000|MP1000VA|RM1048P] [--firmware X.Y.Z]';

const PLATFORMS: readonly string[] = ['MP1000', 'MP1000VA', 'RM1048P'];

/** Turns command-line arguments into simulator options; throws with a readable message on bad input. */
function parseOptions(args: string[]): SimulatorOptions | 'help' {
  const { values, common, help } = parseSimulatorArgs(args, {
    devices: { type: 'string' },
    seed: { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    platform: { type: 'string' },
    firmware: { type: 'string' },
  });
  if (help) return 'help';
  const options: SimulatorOptions = { ...common };
  if (values.devices !== undefined) options.deviceCount = count('devices', values.devices);
  if (values.seed !== undefined) options.seed = values.seed;
  if (values.username !== undefined) options.username = values.username;
  if (values.password !== undefined) options.password = values.password;
  if (values.firmware !== undefined) options.firmwareVersion = values.firmware;
  if (values.platform !== undefined) {
    if (!PLATFORMS.includes(values.platform))
      throw new Error(`--platform must be one of ${PLATFORMS.join(', ')}`);
    options.platform = values.platform as Platform;
  }
  return options;
}

await runSimulator(USAGE, parseOptions, async (options) => {
  const simulator = await startDsviewSimulator(options);
  // The vendor's Python example (verify=False) can be pointed at it; the fingerprint is what
  // `appliances add --tls-fingerprint` takes.
  const readyLine = `ready ${simulator.url} username=${simulator.username} password=${simulator.password} fingerprint256=${simulator.fingerprint256}`;
  return { simulator, readyLine };
});
