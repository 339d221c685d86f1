import { $ZodArray, $ZodObject, $ZodOptional, type $ZodType, globalRegistry } from 'zod/v4/core';
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

/**
 * The schemas are read through zod's core classes and registry, which every flavour shares: the providers' are
 * `zod/mini` (no `.description`, no `.unwrap()`), a test's may be classic.
 */
const metaOf = (schema: $ZodType) =>
  globalRegistry.get(schema) as { cli?: string; description?: string } | undefined;

/** `firmwareVersion` → `firmware-version`, unless the field names its flag (`z.meta({ cli: 'firmware' })`). */
function flagName(field: string, schema: $ZodType): string {
  return metaOf(schema)?.cli ?? field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function shapeOf(schema: $ZodType): Record<string, $ZodType> {
  return (schema as $ZodObject)._zod.def.shape;
}

/** The flags one kind takes beyond the common ones, derived from its appliance and credential schemas. */
export function kindFlags(provider: AnyProvider): FieldFlag[] {
  const fields: FieldFlag[] = [];
  const add = (shape: Record<string, $ZodType>, credential: boolean) => {
    for (const [field, schema] of Object.entries(shape)) {
      if (BASE_FIELDS.has(field) || (credential && provider.secretFields.includes(field))) continue;
      const inner = schema instanceof $ZodOptional ? schema._zod.def.innerType : schema;
      fields.push({
        field,
        flag: flagName(field, inner),
        credential,
        json: inner instanceof $ZodObject || inner instanceof $ZodArray,
        required: !(schema instanceof $ZodOptional),
        description: metaOf(schema)?.description ?? metaOf(inner)?.description ?? field,
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
