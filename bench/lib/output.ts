/**
 * The in-process broker logs a JSON line per request (audit, metrics) exactly as in Lambda; the bench keeps
 * that cost but not the noise: JSON lines written to stdout/stderr are counted and dropped, everything else
 * passes. `print` and `progress` write to the real streams.
 */
const stdoutWrite = process.stdout.write.bind(process.stdout);
const stderrWrite = process.stderr.write.bind(process.stderr);
let dropped = 0;
const recentErrors: string[] = [];

function filter(original: typeof stdoutWrite, keep?: string[]) {
  return ((chunk: unknown, ...rest: unknown[]): boolean => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    if (text.startsWith('{')) {
      dropped++;
      if (keep && /"level":"(ERROR|WARN)"/.test(text)) {
        keep.push(text.slice(0, 500));
        if (keep.length > 20) keep.shift();
      }
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }
    return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stdoutWrite;
}

export function quietLogs(): void {
  process.stdout.write = filter(stdoutWrite);
  process.stderr.write = filter(stderrWrite, recentErrors);
}

export const print = (text: string) => stdoutWrite(`${text}\n`);
export const progress = (text: string) => stderrWrite(`${text}\n`);
export const droppedLogLines = () => dropped;
export const recentWarnings = () => [...recentErrors];
