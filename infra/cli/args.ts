import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';

/** A mistake in how the CLI was called: exit code 2, one line naming what to fix. */
export class UsageError extends Error {}

/** A failure the operator can act on (not found, refused, unreachable): exit code 1, one line. */
export class CliError extends Error {}

/** The process streams and environment, injectable so tests can run the CLI in-process. */
export interface CliIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
}

interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in help, e.g. `<url>`. */
  value?: string;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;
export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface ParsedArgs {
  values: Values;
  positionals: string[];
}

/** One leaf command, e.g. `appliances add`. */
export interface Command<Context> {
  /** `appliances add`. */
  name: string;
  /** One line for the group's help. */
  summary: string;
  /** Positional arguments as shown in usage, e.g. `<id>`. */
  args?: string[];
  options: OptionSpecs;
  /** Extra help text after the option list. */
  details?: string;
  /** Whether the command needs a broker target (the target options are then accepted). */
  target: boolean;
  run(context: Context, args: ParsedArgs): Promise<number>;
}

/**
 * Parses argv with `util.parseArgs`, strictly, turning its errors into one-line usage errors naming the option.
 */
export function parseStrict(argv: string[], options: OptionSpecs, command: string): ParsedArgs {
  const config = Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [
      name,
      {
        type: spec.type,
        ...(spec.short ? { short: spec.short } : {}),
        ...(spec.multiple ? { multiple: true } : {}),
      },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({ args: argv, options: config, allowPositionals: true });
    return { values: values as Values, positionals };
  } catch (error) {
    throw new UsageError(describeParseError(error, command));
  }
}

/** Splits argv into positionals without validating options, so the command can be found before its options. */
export function findPositionals(argv: string[], options: OptionSpecs): string[] {
  const config = Object.fromEntries(
    Object.entries(options).map(([name, spec]) => [
      name,
      { type: spec.type, ...(spec.short ? { short: spec.short } : {}) },
    ]),
  );
  const { positionals } = parseArgs({ args: argv, options: config, allowPositionals: true, strict: false });
  return positionals;
}

function describeParseError(error: unknown, command: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  const where = command ? ` for "${command}"` : '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) {
    if (/^--pass(word)?$/.test(option)) {
      return `${option} is not accepted: a password never goes on the command line; pipe it on stdin or answer the prompt`;
    }
    return `unknown option ${option}${where} (see --help)`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) {
    return /does not take an argument/.test(message)
      ? `${option} takes no value${where}`
      : `${option} needs a value${where} (a value starting with - is written ${option}=-…)`;
  }
  return message.split('. ')[0] ?? message;
}

/** A single string option (the last one wins if repeated). */
export function str(values: Values, name: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) return value.at(-1) as string | undefined;
  return typeof value === 'string' ? value : undefined;
}

/** A required string option, as a usage error naming the flag when absent or empty. */
export function required(values: Values, name: string, what: string): string {
  const value = str(values, name);
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required (${what})`);
  return value;
}

export function flag(values: Values, name: string): boolean {
  return values[name] === true;
}

/** A comma-separated or repeated list option. */
export function list(values: Values, name: string): string[] | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const items = (Array.isArray(raw) ? raw : [raw]).flatMap((item) => String(item).split(','));
  return items.map((item) => item.trim()).filter(Boolean);
}

/** Exactly `count` positionals after the command words, named in the usage error. */
export function positionalArgs(args: ParsedArgs, command: Command<unknown>, skip: number): string[] {
  const rest = args.positionals.slice(skip);
  const expected = command.args ?? [];
  if (rest.length < expected.length) {
    throw new UsageError(`${command.name}: missing ${expected.slice(rest.length).join(' ')}`);
  }
  if (rest.length > expected.length) {
    throw new UsageError(`${command.name}: unexpected argument ${JSON.stringify(rest[expected.length])}`);
  }
  return rest;
}

/** Formats an option list for help: `  --name <value>  description`. */
export function formatOptions(options: OptionSpecs): string {
  const rows = Object.entries(options).map(([name, spec]) => {
    const left = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return [left, spec.description] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, text]) => `  ${left.padEnd(width)}${text}`).join('\n');
}

/** `--json` of the list, test and sync commands. */
export const JSON_OPTION: OptionSpecs = {
  json: { type: 'boolean', description: 'print JSON instead of a table' },
};

/**
 * What a list command prints: the items as JSON with `--json`, else a table (columns `header`, one `row` per
 * item), or `empty` on stderr when there are none.
 */
export function printRows<T>(
  output: { out(text: string): void; err(text: string): void },
  items: T[],
  options: { json: boolean; empty: string; header: string[]; row: (item: T) => string[] },
): void {
  if (options.json) output.out(JSON.stringify(items, null, 2));
  else if (!items.length) output.err(options.empty);
  else output.out(table(options.header, items.map(options.row)));
}

/** Seconds in words for messages and help: 300 → `5 minutes`, 604800 → `7 days`, 90 → `90 seconds`. */
export function inWords(seconds: number): string {
  const units: [string, number][] = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
    ['second', 1],
  ];
  const [unit, size] = units.find(([, size]) => seconds % size === 0) ?? ['second', 1];
  const count = seconds / size;
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** Left-aligned columns, for the list and sync tables. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
