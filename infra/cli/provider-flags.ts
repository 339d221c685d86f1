import * as z from 'zod';
import type { AnyProvider } from '../../shared/appliances/provider.js';
import { PROVIDERS } from '../../shared/appliances/providers.js';
import type { OptionSpecs, Values } from './args.js';
import { UsageError } from './args.js';

/** Fields every kind has; the CLI asks for them with its own flags (`--name`, `--base-url`, `--tls-*`). */
const BASE_FIELDS = new Set(['id', 'name', 'kind', 'baseUrl', 'tls']);

export interface FieldFlag {
  field: string;
  flag: string;
  /** Credential fields go to the secret; the rest to the registered record. */
  credential: boolean;
  /** Arrays and objects are given as JSON. */
  json: boolean;
  required: boolean;
  description: string;
  kinds: string[];
}

/** `firmwareVersion` → `firmware-version`, unless the field names its flag (`.meta({ cli: 'firmware' })`). */
function flagName(field: string, schema: z.ZodType): string {
  const meta = z.globalRegistry.get(schema) as { cli?: string } | undefined;
  return meta?.cli ?? field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  return (schema as unknown as z.ZodObject).shape as Record<string, z.ZodType>;
}

/** The flags one kind takes beyond the common ones, derived from its appliance and credential schemas. */
export function kindFlags(provider: AnyProvider): FieldFlag[] {
  const fields: FieldFlag[] = [];
  const add = (shape: Record<string, z.ZodType>, credential: boolean) => {
    for (const [field, schema] of Object.entries(shape)) {
      if (BASE_FIELDS.has(field) || (credential && provider.secretFields.includes(field))) continue;
      const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
      fields.push({
        field,
        flag: flagName(field, inner),
        credential,
        json: inner instanceof z.ZodObject || inner instanceof z.ZodArray,
        required: !(schema instanceof z.ZodOptional),
        description: schema.description ?? inner.description ?? field,
        kinds: [provider.kind],
      });
    }
  };
  add(shapeOf(provider.schemas.appliance), false);
  add(shapeOf(provider.schemas.credentials), true);
  return fields;
}

/** Every kind's flags, merged by flag name (DSView and vCenter share `--username`). */
export function allKindFlags(): FieldFlag[] {
  const byFlag = new Map<string, FieldFlag>();
  for (const provider of PROVIDERS) {
    for (const field of kindFlags(provider as AnyProvider)) {
      const known = byFlag.get(field.flag);
      if (known) known.kinds.push(provider.kind);
      else byFlag.set(field.flag, { ...field, kinds: [...field.kinds] });
    }
  }
  return [...byFlag.values()];
}

/** The option specs of `appliances add`'s kind flags, each saying which kinds take it. */
export function kindOptionSpecs(): OptionSpecs {
  return Object.fromEntries(
    allKindFlags().map((field) => [
      field.flag,
      {
        type: 'string' as const,
        value: field.json ? '<json>' : '<value>',
        description: `${field.kinds.join(', ')}: ${field.description}${field.required ? ' (required)' : ''}`,
      },
    ]),
  );
}

/** The record fields and non-secret credential fields the flags give for `provider`; refuses other kinds' flags. */
export function fieldsFromFlags(
  provider: AnyProvider,
  values: Values,
): { record: Record<string, unknown>; credentials: Record<string, unknown> } {
  const mine = kindFlags(provider);
  const own = new Set(mine.map((field) => field.flag));
  for (const field of allKindFlags()) {
    if (!own.has(field.flag) && values[field.flag] !== undefined) {
      throw new UsageError(`--${field.flag} applies to ${field.kinds.join(', ')}, not ${provider.kind}`);
    }
  }
  const record: Record<string, unknown> = {};
  const credentials: Record<string, unknown> = {};
  for (const field of mine) {
    const raw = values[field.flag];
    if (raw === undefined) {
      if (field.required)
        throw new UsageError(`--${field.flag} is required for ${provider.kind}: ${field.description}`);
      continue;
    }
    let value: unknown = raw;
    if (field.json) {
      try {
        value = JSON.parse(String(raw));
      } catch {
        throw new UsageError(`--${field.flag}: must be JSON, e.g. '{"scriptUrls":["https://…"]}'`);
      }
    }
    (field.credential ? credentials : record)[field.field] = value;
  }
  return { record, credentials };
}

/** Field name → flag, for error messages naming what to fix. */
export function kindFieldFlags(): Record<string, string> {
  return Object.fromEntries(allKindFlags().map((field) => [field.field, `--${field.flag}`]));
}
