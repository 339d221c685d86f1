import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { routeList } from '../../functions/routes.js';
import { type Broker, createBroker, useBroker } from '../../shared/broker.js';
import { applyConfig } from '../../shared/config/apply.js';
import type { ConfigFile } from '../../shared/config/file.js';
import { DEFAULT_TABLE_NAME } from '../../shared/config/settings.js';
import { generateBrokerKeys } from '../../shared/secrets/broker-keys.js';
import { SecretStore } from '../../shared/secrets/store.js';
import { applyEnv, localAwsEnv } from './aws-env.js';
import { ensureTable, startDynamoDbLocal } from './dynamodb-local.js';
import { handlers } from './handlers.js';
import { startSecretsEndpoint } from './secrets-endpoint.js';
import { LocalServer } from './server.js';

export const DEFAULT_TABLE = DEFAULT_TABLE_NAME;
export const KEYS_SECRET_ID = 'console-launch-broker/keys';

export interface LocalBrokerOptions {
  host: string;
  port: number;
  /** The validated configuration (a file or the demo's); undefined serves what the store already holds. */
  config: (listenUrl: string) => Promise<ConfigFile | undefined>;
  /** Keep state here across restarts; in memory when absent. */
  dataDir?: string | undefined;
  /** Attach to engines another process started (several broker processes sharing one state). */
  dynamodbEndpoint?: string | undefined;
  secretsEndpoint?: string | undefined;
  tableName?: string | undefined;
}

export interface LocalBroker {
  url: string;
  broker: Broker;
  config: ConfigFile | undefined;
  close(): Promise<void>;
}

/**
 * Starts the broker as it runs in AWS, on this machine: a real DynamoDB engine, a Secrets Manager-compatible
 * endpoint, the real SDK clients pointed at them, and the Lambda handlers behind a local HTTP API.
 */
export async function startLocalBroker(options: LocalBrokerOptions): Promise<LocalBroker> {
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    let dynamodb = options.dynamodbEndpoint;
    if (!dynamodb) {
      const engine = await startDynamoDbLocal(
        options.dataDir ? { dataDir: join(options.dataDir, 'dynamodb') } : {},
      );
      stops.push(() => engine.stop());
      dynamodb = engine.endpoint;
    }
    let secretsManager = options.secretsEndpoint;
    if (!secretsManager) {
      const endpoint = await startSecretsEndpoint(
        options.dataDir ? { dataFile: join(options.dataDir, 'secrets.json') } : {},
      );
      stops.push(() => endpoint.stop());
      secretsManager = endpoint.endpoint;
    }
    const tableName = options.tableName ?? DEFAULT_TABLE;
    const keysSecretId = process.env.KEYS_SECRET_ID ?? KEYS_SECRET_ID;
    applyEnv({
      ...localAwsEnv({ dynamodb, secretsManager }),
      TABLE_NAME: tableName,
      KEYS_SECRET_ID: keysSecretId,
    });
    await ensureTable(new DynamoDBClient({}), tableName);
    await ensureKeys(keysSecretId);

    const server = new LocalServer({ host: options.host, port: options.port, routes: routeList, handlers });
    const listenUrl = await server.listen();
    stops.push(() => server.close());
    const config = await options.config(listenUrl);
    process.env.PUBLIC_BASE_URL = (config?.publicBaseUrl ?? listenUrl).replace(/\/$/, '');
    // A fresh broker for this server (a second start in one process must not reuse a closed one), made the
    // process-wide one the handlers use.
    const created = createBroker();
    useBroker(created);
    const broker = await created;
    stops.push(() => broker.close());
    if (config) await applyConfig(broker, config);
    return { url: listenUrl, broker, config, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Creates the broker's key secret on first start; an existing one (BROKER_DATA_DIR, other processes) is kept.
 * `secrets` is the endpoint's client when the environment does not point at it (the CLI).
 */
export async function ensureKeys(secretId: string, secrets?: SecretsManagerClient): Promise<void> {
  await new SecretStore(secrets).createJson(secretId, generateBrokerKeys());
}
