import { afterAll, beforeEach } from 'vitest';

/**
 * A green run prints test results, not the broker's log lines: everything this worker writes to stdout/stderr
 * is held back and printed only when a test fails (with the lines written since the previous test ended, so a
 * suite's set-up logs come with its first test). VERBOSE_TEST_LOGS=1 lets everything through as it happens.
 */
if (!process.env.VERBOSE_TEST_LOGS) {
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((stream) => stream.write.bind(stream));
  let held: [index: number, chunk: string | Uint8Array][] = [];
  let testsRan = false;

  streams.forEach((stream, index) => {
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
      held.push([index, chunk]);
      // The write callback, when given, must still be called.
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  });

  const release = (header: string) => {
    const lines = held;
    held = [];
    if (!lines.length) return;
    originals[1]?.(`${header}\n`);
    for (const [index, chunk] of lines) originals[index]?.(chunk);
  };

  // onTestFinished runs after the afterEach hooks, so their output (a broker's teardown) is part of the test's.
  beforeEach(({ onTestFinished, task }) => {
    testsRan = true;
    onTestFinished(() => {
      if (task.result?.state === 'fail') release(`--- output held back during "${task.name}" (failed) ---`);
      held = [];
    });
  });
  // A file whose set-up failed runs no test: its output is still what explains it.
  afterAll(() => {
    if (!testsRan) release('--- output held back in this file (no test ran) ---');
    held = [];
  });
}
