/** Small statistics over samples (milliseconds or any number). */

export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
  mean: number;
}

/** The q-quantile (0..1) by linear interpolation between order statistics. */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const lowValue = sorted[low] as number;
  return lowValue + ((sorted[high] as number) - lowValue) * (position - low);
}

export const median = (values: readonly number[]) => quantile(values, 0.5);
export const p95 = (values: readonly number[]) => quantile(values, 0.95);

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    median: median(values),
    p95: p95(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
    mean: values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN,
  };
}

/** Milliseconds since `start` (a `process.hrtime.bigint()` reading). */
export function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Times one async call in milliseconds. */
export async function time(work: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return since(start);
}

/**
 * Alternating samples: baseline, subject, baseline, subject, ... `before` runs untimed ahead of every sample
 * (e.g. making a session cold). The first `warmup` pairs are discarded.
 */
export async function alternate(options: {
  pairs: number;
  warmup?: number;
  baseline: () => Promise<unknown>;
  subject: () => Promise<unknown>;
  beforeBaseline?: () => Promise<unknown>;
  beforeSubject?: () => Promise<unknown>;
}): Promise<{ baseline: number[]; subject: number[] }> {
  const baseline: number[] = [];
  const subject: number[] = [];
  const warmup = options.warmup ?? 3;
  for (let i = 0; i < warmup + options.pairs; i++) {
    await options.beforeBaseline?.();
    const b = await time(options.baseline);
    await options.beforeSubject?.();
    const s = await time(options.subject);
    if (i >= warmup) {
      baseline.push(b);
      subject.push(s);
    }
  }
  return { baseline, subject };
}

/** Runs `work(0)` … `work(count - 1)` with at most `concurrency` running at once; answers the elapsed ms. */
export async function pool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
  return since(start);
}
