import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientOptions } from '../aws-client-options.js';
import { StoreUnavailableError } from '../errors.js';

/**
 * Secrets Manager behind a read cache, so a warm request never calls Secrets Manager. Values are JSON
 * documents; nothing here logs them. Only reads: the functions' roles may only read secrets, and the writes
 * (shared/secrets/writes.ts) are the operator tools'. (A map and one GetSecretValue: Powertools Parameters did
 * the same at the cost of its module graph in every bundle.)
 */
export class SecretStore {
  /** Parsed values, or the read in flight, by secret id: concurrent cold reads share one call. */
  private readonly cache = new Map<string, { value: Promise<unknown>; until: number }>();

  constructor(
    readonly client = new SecretsManagerClient(awsClientOptions()),
    private readonly maxAgeSeconds = 300,
  ) {}

  /** The parsed JSON value of a secret, from the cache when younger than the max age; `undefined` if absent. */
  async getJson(secretId: string, options: { forceFetch?: boolean } = {}): Promise<unknown> {
    const cached = this.cache.get(secretId);
    if (cached && cached.until > Date.now() && !options.forceFetch) return cached.value;
    const value = this.fetchJson(secretId);
    const entry = { value, until: Date.now() + this.maxAgeSeconds * 1000 };
    this.cache.set(secretId, entry);
    // A failed read is not remembered: the next call tries again.
    value.catch(() => {
      if (this.cache.get(secretId) === entry) this.cache.delete(secretId);
    });
    return value;
  }

  private async fetchJson(secretId: string): Promise<unknown> {
    let text: string | undefined;
    try {
      ({ SecretString: text } = await this.client.send(new GetSecretValueCommand({ SecretId: secretId })));
    } catch (error) {
      if (hasNotFoundCause(error)) return undefined;
      throw new StoreUnavailableError('secret store unavailable while reading a secret');
    }
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      // The message names no value: the text is a secret.
      throw new StoreUnavailableError(`secret ${secretId} is not a JSON document`);
    }
  }

  /** Drops every cached value: after a write (shared/secrets/writes.ts), the next read asks Secrets Manager. */
  forget(): void {
    this.cache.clear();
  }
}

function hasNotFoundCause(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    if (current.name === 'ResourceNotFoundException') return true;
    current = current.cause;
  }
  return false;
}
