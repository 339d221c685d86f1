import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import type { SecretStore } from './store.js';

/*
 * Writing secrets, for the operator CLI, a configuration file and the local runtime. Apart from the read store
 * because no function writes one (their roles may only call GetSecretValue): its commands stay out of every
 * function bundle. Each write drops the store's cache, so the next read sees it.
 */

/** Creates or replaces a secret's value. */
export async function putSecretJson(secrets: SecretStore, secretId: string, value: unknown): Promise<void> {
  const SecretString = JSON.stringify(value);
  try {
    await secrets.client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    // Another writer may create it between our two calls; then our value simply becomes the new version.
    if (!(await createSecretJson(secrets, secretId, value))) {
      await secrets.client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString }));
    }
  } finally {
    secrets.forget();
  }
}

/** Creates a secret only if it does not exist yet; false when another writer got there first. */
export async function createSecretJson(
  secrets: SecretStore,
  secretId: string,
  value: unknown,
): Promise<boolean> {
  try {
    await secrets.client.send(
      new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(value) }),
    );
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === 'ResourceExistsException') return false;
    throw error;
  } finally {
    secrets.forget();
  }
}

/** Deletes a secret at once (no recovery window: the CLI removes an appliance on purpose). */
export async function deleteSecret(secrets: SecretStore, secretId: string): Promise<void> {
  try {
    await secrets.client.send(
      new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }),
    );
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  } finally {
    secrets.forget();
  }
}
