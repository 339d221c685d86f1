/** A source of the current time in epoch milliseconds; injected everywhere time matters so tests can move it. */
export type Clock = () => number;

/** The wall clock. */
export const systemClock: Clock = () => Date.now();

/** Resolves after `ms` milliseconds (real time: used for backoff and polling, never for expiry decisions). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A delay in [base/2, base*1.5) so that many waiters do not retry in lockstep. */
export function jitter(baseMs: number): number {
  return Math.round(baseMs / 2 + Math.random() * baseMs);
}
