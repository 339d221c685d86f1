import * as z from '../zod.js';
import { dcv } from './dcv/index.js';
import { dsview } from './dsview/index.js';
import { passwordSafe } from './password-safe/index.js';
import type { AnyProvider } from './provider.js';
import { vcenter } from './vcenter/index.js';

/**
 * The only list of console kinds. The registry, the config file, the CLI, OpenAPI and the session store read
 * it; none of them names a kind. Adding a provider is its folder, its simulator and one line here.
 */
export const PROVIDERS = [dsview, vcenter, dcv, passwordSafe] as const satisfies readonly AnyProvider[];

export type ApplianceKind = (typeof PROVIDERS)[number]['kind'];
export const KINDS = PROVIDERS.map((provider) => provider.kind) as [ApplianceKind, ...ApplianceKind[]];

/** A registered appliance of any kind. */
export type Appliance = z.infer<(typeof PROVIDERS)[number]['schemas']['appliance']>;

const byKind = new Map<string, AnyProvider>(PROVIDERS.map((provider) => [provider.kind, provider]));

/** The provider of a kind; a clear error for a kind this build does not know. */
export function providerOf(kind: string): AnyProvider {
  const provider = byKind.get(kind);
  if (!provider)
    throw new Error(`unknown appliance kind ${JSON.stringify(kind)}; known: ${KINDS.join(', ')}`);
  return provider;
}

/** Every viewer type of every kind, for the API's `viewerType` (each kind then accepts its own). */
export const ALL_VIEWER_TYPES = [...new Set(PROVIDERS.flatMap((provider) => provider.viewerTypes))] as [
  string,
  ...string[],
];

/**
 * A registered appliance of any kind, discriminated by `kind`. Records and config files written before kinds
 * existed carry none: they are DSView's, so a missing kind reads as `dsview`.
 */
export const applianceSchema = z.pipe(
  // Mini has no `preprocess`: a transform piped into the schema is what classic builds for it.
  z.transform((value: unknown) =>
    value && typeof value === 'object' && !('kind' in value) ? { ...value, kind: 'dsview' } : value,
  ),
  z.discriminatedUnion(
    'kind',
    PROVIDERS.map((provider) => provider.schemas.appliance) as unknown as [
      z.ZodMiniObject,
      ...z.ZodMiniObject[],
    ],
  ),
) as unknown as z.ZodMiniType<Appliance>;

/** Every kind's own launch fields, for the request bodies (each kind's `validate` refuses the others'). */
export const LAUNCH_FIELDS: z.core.$ZodShape = Object.assign({}, ...PROVIDERS.map((p) => p.requestFields));
