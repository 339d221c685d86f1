import { randomBytes } from 'node:crypto';
import { deriveKey, type Keyring, sealingKey } from '../crypto/index.js';
import * as z from '../zod.js';
import type { SecretStore } from './store.js';

/**
 * The broker's own key material: one secret, generated at deploy (AWS) or start (local). Its document is
 * `{sessionKey, previousSessionKeys?, apiKeyPepper, cursorKey?}` (base64 each). Sealed session state names the
 * key that sealed it, so a rotated session key stays readable from `previousSessionKeys` until every item is
 * resealed. A document from before `cursorKey` signs cursors with a key derived from the pepper, never with
 * the pepper itself.
 */
export interface BrokerKeys {
  /** AES-256 keys sealing appliance session state at rest: the current one and those still readable. */
  sessionKeys: Keyring;
  /** HMAC pepper for API key hashes. */
  apiKeyPepper: Buffer;
  /** HMAC key of page cursors. */
  cursorKey: Buffer;
  /** The confirm page's key, derived from the cursor key: the API-key pepper signs nothing a browser sees. */
  confirmationKey: Buffer;
}

/** Earlier session keys kept readable: two rotations inside one session lifetime still cost no login. */
export const MAX_PREVIOUS_SESSION_KEYS = 2;

const key32 = z.base64().check(z.refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes'));
const keysSchema = z.object({
  sessionKey: key32,
  previousSessionKeys: z.optional(z.array(key32).check(z.maxLength(MAX_PREVIOUS_SESSION_KEYS))),
  apiKeyPepper: z
    .base64()
    .check(z.refine((v) => Buffer.from(v, 'base64').length >= 32, 'must be at least 32 bytes')),
  cursorKey: z.optional(key32),
});
/** The keys secret's JSON document. */
export type BrokerKeyDocument = z.infer<typeof keysSchema>;

const newKey = () => randomBytes(32).toString('base64');

/** A fresh key document, as stored in the keys secret. */
export function generateBrokerKeys(): BrokerKeyDocument {
  return { sessionKey: newKey(), apiKeyPepper: newKey(), cursorKey: newKey() };
}

/** The document, or undefined when the value is not a valid key document. */
export function parseKeyDocument(value: unknown): BrokerKeyDocument | undefined {
  const parsed = keysSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A new current session key; the old one is kept readable (the oldest beyond the limit is dropped). */
export function rotateSessionKey(document: BrokerKeyDocument): BrokerKeyDocument {
  const previous = [document.sessionKey, ...(document.previousSessionKeys ?? [])];
  return {
    ...document,
    sessionKey: newKey(),
    previousSessionKeys: previous.slice(0, MAX_PREVIOUS_SESSION_KEYS),
  };
}

/** Drops the earlier session keys: an item still sealed with one costs one login. */
export function retirePreviousSessionKeys(document: BrokerKeyDocument): BrokerKeyDocument {
  const { previousSessionKeys: _dropped, ...rest } = document;
  return rest;
}

/** A new cursor signing key: cursors handed out before it are refused (400 on `cursor`). */
export function rotateCursorKey(document: BrokerKeyDocument): BrokerKeyDocument {
  return { ...document, cursorKey: newKey() };
}

/** The keys a document holds, ready to use. */
export function brokerKeysOf(document: BrokerKeyDocument): BrokerKeys {
  const apiKeyPepper = Buffer.from(document.apiKeyPepper, 'base64');
  const cursorKey = document.cursorKey
    ? Buffer.from(document.cursorKey, 'base64')
    : deriveKey(apiKeyPepper, 'page cursors');
  return {
    sessionKeys: {
      current: sealingKey(Buffer.from(document.sessionKey, 'base64')),
      previous: (document.previousSessionKeys ?? []).map((key) => sealingKey(Buffer.from(key, 'base64'))),
    },
    apiKeyPepper,
    cursorKey,
    confirmationKey: deriveKey(cursorKey, 'link confirmation'),
  };
}

/** Loads the keys secret through the cache; a missing or malformed secret is a deployment error. */
export async function loadBrokerKeys(
  secrets: SecretStore,
  secretId: string,
  options: { forceFetch?: boolean } = {},
): Promise<BrokerKeys> {
  return brokerKeysOf(keyDocumentOf(await secrets.getJson(secretId, options), secretId));
}

/** The broker's keys on demand; `forceFetch` reads the secret now instead of from the cache. */
export type BrokerKeysSource = (options?: { forceFetch?: boolean }) => Promise<BrokerKeys>;

/**
 * The broker's keys as the services ask for them, at each use: read through the secrets cache (a failed read is
 * that caller's error and is tried again by the next), derived once per secret value while it is cached.
 */
export function brokerKeysSource(secrets: SecretStore, secretId: string): BrokerKeysSource {
  let derived: { value: unknown; keys: BrokerKeys } | undefined;
  return async (options = {}) => {
    const value = await secrets.getJson(secretId, options);
    const known = derived;
    if (known && known.value === value) return known.keys;
    const keys = brokerKeysOf(keyDocumentOf(value, secretId));
    derived = { value, keys };
    return keys;
  };
}

function keyDocumentOf(value: unknown, secretId: string): BrokerKeyDocument {
  const document = parseKeyDocument(value);
  if (!document) {
    throw new Error(
      `broker keys secret ${secretId} is missing or malformed (expected {sessionKey, apiKeyPepper, ...})`,
    );
  }
  return document;
}

/**
 * The session keyring as the session store reads it: through the secrets cache, so a rotation reaches every
 * process within the cache's lifetime; `refresh` (an item sealed with a key this process has not seen yet)
 * reads the secret now, at most once per `minRefreshMs`, instead of logging in again.
 */
export function sessionKeyring(
  keys: BrokerKeysSource,
  clock: () => number = Date.now,
  minRefreshMs = 30_000,
): (options?: { refresh?: boolean }) => Promise<Keyring> {
  let lastForced = Number.NEGATIVE_INFINITY;
  return async ({ refresh = false } = {}) => {
    const forceFetch = refresh && clock() - lastForced >= minRefreshMs;
    if (forceFetch) lastForced = clock();
    return (await keys({ forceFetch })).sessionKeys;
  };
}
