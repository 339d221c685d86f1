import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { StoreUnavailableError } from '../errors.js';

/**
 * Secrets Manager behind a read cache (Powertools Parameters), so a warm request never calls Secrets Manager.
 * Values are JSON documents; nothing here logs them.
 */
export class SecretStore {
  private readonly provider: SecretsProvider;

  constructor(
    readonly client = new SecretsManagerClient({ maxAttempts: 3 }),
    private readonly maxAgeSeconds = 300,
  ) {
    this.provider = new SecretsProvider({ awsSdkV3Client: client });
  }

  /** The parsed JSON value of a secret, from the cache when younger than the max age; `undefined` if absent. */
  async getJson(secretId: string, options: { forceFetch?: boolean } = {}): Promise<unknown> {
    try {
      return await this.provider.get(secretId, {
        transform: 'json',
        maxAge: this.maxAgeSeconds,
        forceFetch: options.forceFetch ?? false,
      });
    } catch (error) {
      if (hasNotFoundCause(error)) return undefined;
      throw new StoreUnavailableError('secret store unavailable while reading a secret');
    }
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
    this.provider.clearCache();
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
      this.provider.clearCache();
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
    this.provider.clearCache();
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
