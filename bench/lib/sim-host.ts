/**
 * A child process hosting simulated appliances, so the appliance side runs on its own event loop as a real
 * appliance would, apart from the broker and the load generator. Driven over IPC by `sims.ts`.
 */
import type { DsviewSimulator, FaultControl, SimulatorOptions } from '../../simulators/dsview/simulator.js';
import { startDsviewSimulator } from '../../simulators/dsview/simulator.js';
import { kvmDeviceOf, type SimInfo } from './setup.js';

export type { SimInfo } from './setup.js';

export interface SimSpec {
  latencyMs: number;
  deviceCount?: number;
  seed?: string;
  maxSessions?: number;
}

export type SimCommand =
  | { id: number; cmd: 'counters' }
  | { id: number; cmd: 'faults'; control: FaultControl };

const specs = JSON.parse(process.env.SIM_HOST_SPECS ?? '[]') as SimSpec[];
const sims: DsviewSimulator[] = [];
for (const spec of specs) {
  const options: SimulatorOptions = { host: '127.0.0.1', port: 0, latencyMs: spec.latencyMs };
  if (spec.deviceCount !== undefined) options.deviceCount = spec.deviceCount;
  if (spec.seed !== undefined) options.seed = spec.seed;
  if (spec.maxSessions !== undefined) options.maxSessions = spec.maxSessions;
  sims.push(await startDsviewSimulator(options));
}
const info: SimInfo[] = sims.map((sim) => ({
  url: sim.url,
  username: sim.username,
  password: sim.password,
  certPem: sim.certPem,
  kvmDevice: kvmDeviceOf(sim) ?? '',
}));
process.on('message', (message: SimCommand) => {
  if (message.cmd === 'counters') {
    process.send?.({ id: message.id, result: sims.map((sim) => ({ ...sim.counters })) });
  } else if (message.cmd === 'faults') {
    for (const sim of sims) sim.applyFaults(message.control);
    process.send?.({ id: message.id, result: true });
  }
});
process.on('disconnect', () => {
  void Promise.all(sims.map((sim) => sim.close())).finally(() => process.exit(0));
});
process.send?.({ ready: info });
