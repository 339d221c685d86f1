import { setImmediate as nextTurn } from 'node:timers/promises';

/** A source of the current time in epoch milliseconds; injected everywhere time matters so tests can move it. */
export type Clock = () => number;

/** Production time; tests pass a steppable clock instead. */
export const systemClock: Clock = () => Date.now();

/** Resolves after `ms` milliseconds (real time: used for backoff and polling, never for expiry decisions). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A delay in [base/2, base*1.5) so that many waiters do not retry in lockstep. */
export function jitter(baseMs: number): number {
  return Math.round(baseMs / 2 + Math.random() * baseMs);
}

/**
 * Yields two event-loop turns so an appliance request just queued actually leaves before SDK work starts: the
 * HTTP client hands a queued request its pooled socket on a later turn, and an AWS SDK call's long promise chain
 * would otherwise run first (measured on a warm click when undici was the client: the request left 3.4 ms late
 * after one turn, 0.1 ms after two; test/broker/click-path.test.ts holds the order with node:https).
 * `running`, the work that queued it, stays the caller's to await: its failure is not reported as unhandled
 * while we yield.
 */
export async function letQueuedRequestsLeave(running?: Promise<unknown>): Promise<void> {
  running?.catch(() => undefined);
  await nextTurn();
  await nextTurn();
}
