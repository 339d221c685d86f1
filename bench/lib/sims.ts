import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FaultControl, SimulatorCounters } from '../../simulators/dsview/simulator.js';
import type { BenchContext } from './context.js';
import type { SimInfo, SimSpec } from './sim-host.js';

export interface SimHost {
  sims: SimInfo[];
  counters(): Promise<SimulatorCounters[]>;
  /** Counters summed over every simulator in the host. */
  total(): Promise<SimulatorCounters>;
  /** Applies `control` to every simulator in the host. */
  faults(control: FaultControl): Promise<void>;
  close(): Promise<void>;
}

const HOST = fileURLToPath(new URL('./sim-host.ts', import.meta.url));

/** Starts simulated appliances in a child process and resolves once they all listen. */
export async function startSimHost(ctx: BenchContext, specs: SimSpec[]): Promise<SimHost> {
  const child = fork(HOST, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, SIM_HOST_SPECS: JSON.stringify(specs) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(kill, 5_000);
      child.once('exit', () => {
        clearTimeout(timer);
        process.off('exit', kill);
        resolve();
      });
      if (child.connected) child.disconnect();
      else kill();
    });
    return closed;
  };
  ctx.defer(close);
  const sims = await new Promise<SimInfo[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('simulator host not ready in 120 s')), 120_000);
    child.once('exit', (code) => reject(new Error(`simulator host exited with ${code}`)));
    child.on('message', (message: { ready?: SimInfo[] }) => {
      if (message.ready) {
        clearTimeout(timer);
        resolve(message.ready);
      }
    });
  });
  let next = 0;
  const pending = new Map<number, (value: unknown) => void>();
  child.on('message', (message: { id?: number; result?: unknown }) => {
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const call = <T>(command: object): Promise<T> =>
    new Promise<T>((resolve) => {
      const id = ++next;
      pending.set(id, (value) => {
        pending.delete(id);
        resolve(value as T);
      });
      child.send({ ...command, id });
    });
  const counters = () => call<SimulatorCounters[]>({ cmd: 'counters' });
  return {
    sims,
    counters,
    async total() {
      const all = await counters();
      const sum = { ...(all[0] as SimulatorCounters) };
      for (const c of all.slice(1)) {
        for (const key of Object.keys(sum) as (keyof SimulatorCounters)[]) sum[key] += c[key];
      }
      return sum;
    },
    async faults(control) {
      await call({ cmd: 'faults', control });
    },
    close,
  };
}
