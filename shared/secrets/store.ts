import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { StoreUnavailableError } from '../errors.js';

/**
 * Secrets Manager behind a read cache, so a warm request never calls Secrets Manager. Values are JSON
 * documents; nothing here logs them. (A map and one GetSecretValue: Powertools Parameters did the same at the
 * cost of its module graph in every bundle.)
 */
export class SecretStore {
  /** Parsed values, or the read in flight, by secret id: concurrent cold reads share one call. */
  private readonly cache = new Map<string, { value: Promise<unknown>; until: number }>();

  constructor(
    readonly client = new SecretsManagerClient({ maxAttempts: 3 }),
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

  private clearCache(): void {
    this.cache.clear();
  }

  /** Creates or replaces a secret's value. */
  async putJson(secretId: string, value: unknown): Promise<void> {
    const SecretString = JSON.stringify(value);
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      // Another writer may create it between our two calls; then our value simply becomes the new version.
      if (!(await this.createJson(secretId, value))) {
        await this.client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString }));
      }
    }
    this.clearCache();
  }

  /** Creates a secret only if it does not exist yet; false when another writer got there first. */
  async createJson(secretId: string, value: unknown): Promise<boolean> {
    try {
      await this.client.send(
        new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(value) }),
      );
      return true;
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceExistsException') return false;
      throw error;
    } finally {
      this.clearCache();
    }
  }

  /** Deletes a secret at once (no recovery window: the CLI removes an appliance on purpose). */
  async delete(secretId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }),
      );
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    this.clearCache();
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
