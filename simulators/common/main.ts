import { type ParseArgsConfig, parseArgs } from 'node:util';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** The options every simulator takes on its command line. */
const COMMON_OPTIONS = {
  port: { type: 'string', default: '0' },
  host: { type: 'string', default: '127.0.0.1' },
  latency: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A non-negative integer option; throws a readable message otherwise. */
export function count(name: string, value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return Number(value);
}

/** Parses the common options plus the vendor's `options`, strictly; throws a readable message on bad input. */
export function parseSimulatorArgs<O extends OptionsConfig>(args: string[], options: O) {
  const { values } = parseArgs({ args, strict: true, options: { ...COMMON_OPTIONS, ...options } });
  const raw = values as Record<string, string | boolean | undefined>;
  const latency = raw['latency'];
  const common: { port: number; host: string; latencyMs?: number } = {
    port: count('port', String(raw['port'])),
    host: String(raw['host']),
  };
  if (typeof latency === 'string') common.latencyMs = count('latency', latency);
  return { values, common, help: raw['help'] === true };
}

export interface RunningSimulator {
  close(): Promise<void>;
}

/**
 * Runs one simulator as a process: `parse` the arguments (exit 2 with `usage` on a bad one), `start` it, print
 * its `ready` line (one line, so scripts can read the URL, the secret to register and the fingerprint to pin),
 * and close it on SIGINT/SIGTERM.
 */
export async function runSimulator<P>(
  usage: string,
  parse: (args: string[]) => P | 'help',
  start: (parsed: P) => Promise<{ simulator: RunningSimulator; readyLine: string }>,
): Promise<void> {
  let parsed: P | 'help';
  try {
    parsed = parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
    process.exit(2);
  }
  if (parsed === 'help') {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const { simulator, readyLine } = await start(parsed);
  process.stdout.write(`${readyLine}\n`);
  const stop = (): void => {
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`close failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
