import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { generateBrokerKeys, loadBrokerKeys } from '../../shared/secrets/broker-keys.js';
import type { SecretStore } from '../../shared/secrets/store.js';

/**
 * The custom resource that fills the broker keys secret with `{sessionKey, apiKeyPepper, cursorKey}` (random
 * 32-byte keys, base64) at deploy time. Secrets Manager's generator cannot produce that document, and a value written by
 * CloudFormation would sit in the template; this function writes it straight into Secrets Manager and returns
 * nothing. It only ever writes a secret that does not hold valid keys yet, so an update, a replacement of the
 * custom resource or a re-run never rotates keys under existing API keys and sessions (a document from before
 * `cursorKey` is valid and kept; `keys rotate` is how keys change, docs/deploy.md "Rotating keys").
 */
export interface KeysInitProperties {
  SecretId: string;
}

type Event = CloudFormationCustomResourceEvent<KeysInitProperties & { ServiceToken: string }>;

export type EnsureOutcome = 'kept' | 'initialised';

/** Writes fresh keys unless the secret already holds a valid key document. */
export async function ensureBrokerKeys(
  client: SecretsManagerClient,
  secretId: string,
): Promise<EnsureOutcome> {
  let current: unknown;
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    current = SecretString === undefined ? undefined : parseJson(SecretString);
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  const store = { getJson: async () => current } as unknown as SecretStore;
  const valid = await loadBrokerKeys(store, secretId).then(
    () => true,
    () => false,
  );
  if (valid) return 'kept';
  await client.send(
    new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(generateBrokerKeys()) }),
  );
  return 'initialised';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface HandlerDependencies {
  client?: SecretsManagerClient;
  /** The HTTP PUT of the response document to CloudFormation's pre-signed URL. */
  respond?: (url: string, body: string) => Promise<void>;
}

async function putResponse(url: string, body: string): Promise<void> {
  const response = await fetch(url, {
    method: 'PUT',
    body,
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
  });
  if (!response.ok) throw new Error(`CloudFormation response upload failed: HTTP ${response.status}`);
}

/** The custom resource protocol: always answer CloudFormation, SUCCESS or FAILED with a reason, never a value. */
export function createHandler(deps: HandlerDependencies = {}) {
  const client = deps.client ?? new SecretsManagerClient({ maxAttempts: 5 });
  const respond = deps.respond ?? putResponse;
  return async (event: Event, context: Pick<Context, 'logStreamName'>): Promise<void> => {
    const secretId = event.ResourceProperties.SecretId;
    let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
    let reason = `see CloudWatch log stream ${context.logStreamName}`;
    try {
      if (event.RequestType !== 'Delete') {
        const outcome = await ensureBrokerKeys(client, secretId);
        console.log(JSON.stringify({ message: 'broker keys secret checked', secretId, outcome }));
      }
    } catch (error) {
      status = 'FAILED';
      reason = `broker keys initialisation failed: ${(error as Error).name}: ${(error as Error).message}`;
      console.error(JSON.stringify({ message: reason, secretId }));
    }
    await respond(
      event.ResponseURL,
      JSON.stringify({
        Status: status,
        Reason: reason,
        PhysicalResourceId: `broker-keys:${secretId}`,
        StackId: event.StackId,
        RequestId: event.RequestId,
        LogicalResourceId: event.LogicalResourceId,
        NoEcho: true,
        Data: {},
      }),
    );
  };
}

export const handler = createHandler();
