import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Agent, type Dispatcher, fetch } from 'undici';
import { onTestFinished } from 'vitest';

/** A simulator's answer, read whole so a test can assert on the status, the headers and the body together. */
export interface Answer {
  status: number;
  text: string;
  headers: Headers;
  json<T = Record<string, unknown>>(): T;
}

export interface SimulatorRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Sent instead of `body`, JSON-encoded and labelled as JSON; `undefined` sends no body. */
  json?: unknown;
  dispatcher: Dispatcher;
}

/**
 * An agent that trusts exactly this certificate, the way the broker's `tls.caPem` does. It names no host, so
 * identity is pinned by the CA alone (the simulators' certificates name 127.0.0.1, not what a test dials).
 */
export function pinnedAgent(certPem: string, options: { connections?: number } = {}): Agent {
  return new Agent({
    connect: { ca: certPem, checkServerIdentity: () => undefined },
    ...(options.connections === undefined ? {} : { connections: options.connections }),
  });
}

/** A `pinnedAgent` for this simulator; the agent and the simulator both close when the test ends. */
export function pinnedTestAgent(
  sim: { certPem: string; close(): Promise<void> },
  options: { connections?: number } = {},
): Agent {
  const agent = pinnedAgent(sim.certPem, options);
  onTestFinished(async () => {
    await sim.close();
    await agent.close();
  });
  return agent;
}

/** Sends one request to a simulator without following redirects, so a test sees the 30x itself. */
export async function callSimulator(
  sim: { url: string },
  path: string,
  init: SimulatorRequest,
): Promise<Answer> {
  const headers = { ...init.headers };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const body = init.json === undefined ? init.body : JSON.stringify(init.json);
  const response = await fetch(sim.url + path, {
    method: init.method ?? 'GET',
    headers,
    redirect: 'manual',
    dispatcher: init.dispatcher,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    headers: response.headers as Headers,
    json: () => JSON.parse(text),
  };
}

/** A clock the test moves by hand, for token, ticket and idle expiry. */
export function manualClock(): { now: () => number; advance(ms: number): void } {
  let current = Date.parse('2024-03-01T12:00:00Z');
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
  };
}

/**
 * Runs `simulators/main.ts` with these arguments (killed when the test ends) and resolves with its first
 * stdout line, the `ready …` line a test matches against.
 */
export async function startSimulatorMain(args: string[]): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'simulators/main.ts', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  return { child, line };
}

/** SIGTERM, resolving with the `exit` event's code and signal. */
export async function terminate(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  return (await exited) as [number | null, NodeJS.Signals | null];
}
