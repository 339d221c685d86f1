import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { SecretStore } from './store.js';

/** The broker's own key material: one secret, generated at deploy (AWS) or start (local). */
export interface BrokerKeys {
  /** AES-256 key sealing appliance JWTs at rest. */
  sessionKey: Buffer;
  /** HMAC pepper for API key hashes. */
  apiKeyPepper: Buffer;
}

const keysSchema = z.object({
  sessionKey: z.base64().refine((v) => Buffer.from(v, 'base64').length === 32, 'must be 32 bytes'),
  apiKeyPepper: z.base64().refine((v) => Buffer.from(v, 'base64').length >= 32, 'must be at least 32 bytes'),
});

/** A fresh key document, as stored in the keys secret. */
export function generateBrokerKeys(): z.infer<typeof keysSchema> {
  return { sessionKey: randomBytes(32).toString('base64'), apiKeyPepper: randomBytes(32).toString('base64') };
}

/** Loads the keys secret through the cache; a missing or malformed secret is a deployment error. */
export async function loadBrokerKeys(secrets: SecretStore, secretId: string): Promise<BrokerKeys> {
  const value = await secrets.getJson(secretId);
  const parsed = keysSchema.safeParse(value);
  if (!parsed.success) {
    throw new Error(
      `broker keys secret ${secretId} is missing or malformed (expected {sessionKey, apiKeyPepper})`,
    );
  }
  return {
    sessionKey: Buffer.from(parsed.data.sessionKey, 'base64'),
    apiKeyPepper: Buffer.from(parsed.data.apiKeyPepper, 'base64'),
  };
}
