import { writeFile } from 'node:fs/promises';
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
  /** Its self-signed certificate: the CA an appliance registration trusts (`appliances add --tls-ca-file`). */
  readonly certPem: string;
  close(): Promise<void>;
}

/** What every kind's usage ends with: the options `runSimulator` handles itself. */
const COMMON_USAGE =
  '                            [--ca-out FILE]   (write the certificate PEM there, for appliances add --tls-ca-file)';

/** Removes `--name VALUE` or `--name=VALUE` from `args` and answers the value; undefined when it is absent. */
export function takeOption(args: string[], name: string): string | undefined {
  const at = args.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  const arg = args[at] ?? '';
  const inline = arg.includes('=');
  const value = inline ? arg.slice(arg.indexOf('=') + 1) : args[at + 1];
  args.splice(at, inline ? 1 : 2);
  return value ?? '';
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
  const fullUsage = `${usage}\n${COMMON_USAGE}`;
  const args = process.argv.slice(2);
  let parsed: P | 'help';
  let caOut: string | undefined;
  try {
    caOut = takeOption(args, 'ca-out');
    if (caOut === '') throw new Error('--ca-out needs a file name');
    parsed = parse(args);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${fullUsage}\n`);
    process.exit(2);
  }
  if (parsed === 'help') {
    process.stdout.write(`${fullUsage}\n`);
    return;
  }
  const { simulator, readyLine } = await start(parsed);
  if (caOut !== undefined) await writeFile(caOut, simulator.certPem);
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
