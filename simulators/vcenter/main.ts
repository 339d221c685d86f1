import { count, parseSimulatorArgs, runSimulator } from '../common/main.js';
import { startVcenterSimulator, type VcenterSimulatorOptions } from './simulator.js';

const USAGE =
  'usage: npm run simulator -- --kind vcenter [--port N] [--host ADDR] [--latency MS] [--vms N] [--max-vms N]\n' +
  '                            [--username U] [--password P] [--idle-timeout S] [--esx-host HOST:PORT]\n' +
  '                            [--no-console-privilege]';

/** Turns command-line arguments into simulator options; throws with a readable message on bad input. */
function parseOptions(args: string[]): VcenterSimulatorOptions | 'help' {
  const { values, common, help } = parseSimulatorArgs(args, {
    vms: { type: 'string' },
    'max-vms': { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
    'idle-timeout': { type: 'string' },
    'esx-host': { type: 'string' },
    'no-console-privilege': { type: 'boolean' },
  });
  if (help) return 'help';
  const options: VcenterSimulatorOptions = { ...common };
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

await runSimulator(USAGE, parseOptions, async (options) => {
  const simulator = await startVcenterSimulator(options);
  const credentials = Object.entries(simulator.credentials).map(([key, value]) => `${key}=${value}`);
  const readyLine = `ready ${simulator.url} ${credentials.join(' ')} fingerprint256=${simulator.fingerprint256}`;
  return { simulator, readyLine };
});
