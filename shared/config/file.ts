import { readFile } from 'node:fs/promises';
import { type ParseError, parse as parseJsonc, printParseErrorCode } from 'jsonc-parser';
import { type Appliance, PROVIDERS } from '../appliances/providers.js';
import { apiKeySchema, clientSchema } from '../auth/clients.js';
import { issueMessage } from '../errors.js';
import * as z from '../zod.js';

/**
 * An appliance entry: its kind's registered fields plus its kind's credentials, discriminated by `kind`
 * (absent means `dsview`, so files written before kinds stay valid).
 */
function configApplianceSchema() {
  const variants = PROVIDERS.map((provider) =>
    z.extend(provider.schemas.appliance as unknown as z.ZodMiniObject, {
      credentials: provider.schemas.credentials,
    }),
  ) as unknown as [z.ZodMiniObject, ...z.ZodMiniObject[]];
  return z.pipe(
    // Mini has no `preprocess`: a transform piped into the schema is what classic builds for it.
    z.transform((value: unknown) =>
      value && typeof value === 'object' && !('kind' in value) ? { ...value, kind: 'dsview' } : value,
    ),
    z.discriminatedUnion('kind', variants),
  ) as unknown as z.ZodMiniType<Appliance & { credentials: Record<string, string> }>;
}

/** The configuration file of the contract (`BROKER_CONFIG`). */
export const configFileSchema = z.strictObject({
  publicBaseUrl: z.optional(
    z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' }).check(
      // An unparsable value is already reported by `z.url`; `new URL` would throw out of the parse.
      z.refine((value) => {
        const url = URL.canParse(value) ? new URL(value) : undefined;
        return !url || (!url.search && !url.hash);
      }, 'must not carry a query or fragment'),
    ),
  ),
  appliances: z.array(configApplianceSchema()).check(
    z.minLength(1),
    z.refine((list) => new Set(list.map((a) => a.id)).size === list.length, 'appliance ids must be unique'),
  ),
  clients: z.array(z.extend(clientSchema, { apiKey: apiKeySchema })).check(
    z.minLength(1),
    z.refine((list) => new Set(list.map((c) => c.id)).size === list.length, 'client ids must be unique'),
    z.refine(
      (list) => new Set(list.map((c) => c.apiKey)).size === list.length,
      'client apiKeys must be unique',
    ),
  ),
  sync: z.optional(z.strictObject({ intervalSeconds: z.int().check(z.minimum(10), z.maximum(86_400)) })),
});
export type ConfigFile = z.infer<typeof configFileSchema>;

/** A configuration problem naming the file and the field. */
export class ConfigFileError extends Error {}

/** Validates a parsed configuration; the error names each bad field as a JSON path. */
export function parseConfig(value: unknown, source = 'configuration'): ConfigFile {
  const parsed = configFileSchema.safeParse(value);
  if (parsed.success) {
    const known = new Set(parsed.data.appliances.map((a) => a.id));
    const unknown = parsed.data.clients.flatMap((c, i) =>
      c.appliances
        .filter((id) => id !== '*' && !known.has(id))
        .map((id) => `clients[${i}].appliances: unknown appliance ${id}`),
    );
    if (unknown.length) throw new ConfigFileError(`${source}: ${unknown.join('; ')}`);
    return parsed.data;
  }
  const problems = parsed.error.issues.map((issue) => {
    const path = issue.path.reduce<string>(
      (acc, part) =>
        typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
      '',
    );
    const field =
      issue.code === 'unrecognized_keys' ? `${path ? `${path}.` : ''}${issue.keys.join(', ')}` : path;
    const message = issue.code === 'unrecognized_keys' ? 'is not a known field' : issueMessage(value, issue);
    return `${field || '(root)'}: ${message}`;
  });
  throw new ConfigFileError(`${source}: ${problems.join('; ')}`);
}

/** Reads and validates a configuration file. */
export async function loadConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigFileError(
      `${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  let json: unknown;
  try {
    // Editors on Windows may save a byte order mark; it is not part of the JSON.
    text = text.replace(/^\uFEFF/, '');
    json = JSON.parse(text);
  } catch {
    // V8's message quotes the text around the error, which may be a password: give only the position.
    throw new ConfigFileError(`${path}: is not valid JSON${jsonErrorPosition(text)}`);
  }
  return parseConfig(json, path);
}

/** What jsonc-parser's error codes mean to the person editing the file (any other code is spelled out). */
const JSON_MISTAKES: Record<string, string> = {
  ValueExpected: 'a value was expected (a comma too many?)',
  CommaExpected: 'a comma was expected',
  ColonExpected: 'a colon was expected',
  PropertyNameExpected: 'a field name in double quotes was expected',
  CloseBraceExpected: 'a } was expected',
  CloseBracketExpected: 'a ] was expected',
  EndOfFileExpected: 'the file should end after the closing }',
  InvalidSymbol: 'not a JSON value (text needs double quotes)',
  UnexpectedEndOfString: 'a string is not closed on its line',
  InvalidCommentToken: 'comments are not JSON',
};

/**
 * ` (line L, column C: what was expected)` for JSON that does not parse, never the text itself. V8 says where it
 * stopped for some mistakes only (a trailing comma in a list, the commonest, gets none), so jsonc-parser, which
 * reports every error with its offset, finds the first one.
 */
export function jsonErrorPosition(text: string): string {
  if (!text.trim()) return ' (the file is empty)';
  const errors: ParseError[] = [];
  parseJsonc(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  if (!first) return '';
  if (first.offset >= text.trimEnd().length) return ' (it ends too early)';
  const code = printParseErrorCode(first.error);
  const what = JSON_MISTAKES[code] ?? code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  const before = text.slice(0, first.offset).split('\n');
  return ` (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}: ${what})`;
}
