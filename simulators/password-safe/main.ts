import { count, parseSimulatorArgs, runSimulator } from '../common/main.js';
import { type PasswordSafeSimulatorOptions, startPasswordSafeSimulator } from './simulator.js';

const USAGE =
  'usage: npm run simulator -- --kind password-safe [--port N] [--host ADDR] [--latency MS]\n' +
  '                            [--api-key KEY] [--run-as USER] [--password P] [--idle-timeout SECONDS]\n' +
  '                            [--no-approval]';

/** Turns command-line arguments into simulator options; throws with a readable message on bad input. */
function parseOptions(
  args: string[],
): { options: PasswordSafeSimulatorOptions; noApproval: boolean } | 'help' {
  const { values, common, help } = parseSimulatorArgs(args, {
    'api-key': { type: 'string' },
    'run-as': { type: 'string' },
    password: { type: 'string' },
    'idle-timeout': { type: 'string' },
    'no-approval': { type: 'boolean', default: false },
  });
  if (help) return 'help';
  const options: PasswordSafeSimulatorOptions = { ...common };
  if (values['api-key'] !== undefined) options.apiKey = values['api-key'];
  if (values['run-as'] !== undefined) options.runAs = values['run-as'];
  if (values.password !== undefined) options.password = values.password;
  if (values['idle-timeout'] !== undefined) {
    options.idleTimeoutSeconds = count('idle-timeout', values['idle-timeout']);
  }
  return { options, noApproval: values['no-approval'] };
}

await runSimulator(USAGE, parseOptions, async (parsed) => {
  const simulator = await startPasswordSafeSimulator(parsed.options);
  // Demo runs have no approver at hand; --no-approval makes every account release at once.
  if (parsed.noApproval) {
    for (const account of simulator.accounts) {
      simulator.setApprovalRequired(`${account.systemId}.${account.accountId}`, false);
    }
  }
  const credentials = Object.entries(simulator.credentials).map(([key, value]) => `${key}=${value}`);
  // The credentials are the simulator's own throwaway ones.
  const readyLine = `ready ${simulator.url} ${credentials.join(' ')} fingerprint256=${simulator.fingerprint256}`;
  return { simulator, readyLine };
});
