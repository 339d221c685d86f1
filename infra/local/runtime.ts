import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { routeList } from '../../functions/routes.js';
import { type Broker, createBroker, useBroker } from '../../shared/broker.js';
import { applyConfig } from '../../shared/config/apply.js';
import type { ConfigFile } from '../../shared/config/file.js';
import { DEFAULT_TABLE_NAME } from '../../shared/config/settings.js';
import { NotFoundError } from '../../shared/errors.js';
import { logger } from '../../shared/observability.js';
import { removeAppliance } from '../../shared/registry/admin.js';
import { generateBrokerKeys } from '../../shared/secrets/broker-keys.js';
import { SecretStore } from '../../shared/secrets/store.js';
import { createSecretJson } from '../../shared/secrets/writes.js';
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
  /** What the stored state held that the configuration no longer lists, removed at this start. */
  revoked: string[];
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
      // On this machine an appliance without a certificate to pin stays usable, with a warning at start.
      ALLOW_INSECURE_APPLIANCES: process.env.ALLOW_INSECURE_APPLIANCES ?? 'true',
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
    let revoked: string[] = [];
    if (config) {
      await applyConfig(broker, config);
      revoked = await removeUnlisted(broker, config);
      if (revoked.length) logger.warn('removed what the configuration no longer lists', { revoked });
    }
    await logInsecureAppliances(broker);
    return { url: listenUrl, broker, config, revoked, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * With a configuration, the file is the whole truth: an appliance or a client that the store still holds
 * (BROKER_DATA_DIR, shared engines) but the file no longer lists is removed with its credentials, session and
 * inventory, or revoked with its key, so taking a leaked client out of the file and restarting locks it out.
 * Another process on the same engines may be removing the same entries: what is already gone is skipped.
 */
export async function removeUnlisted(
  broker: Pick<Broker, 'registry' | 'secrets' | 'table' | 'clients' | 'sessions' | 'inventory'>,
  config: ConfigFile,
): Promise<string[]> {
  const appliances = new Set(config.appliances.map((appliance) => appliance.id));
  const clients = new Set(config.clients.map((client) => client.id));
  const removed: string[] = [];
  for (const appliance of await broker.registry.list()) {
    if (appliances.has(appliance.id)) continue;
    await removeAppliance(broker, appliance.id);
    removed.push(`appliance ${appliance.id}`);
  }
  for (const client of await broker.clients.list()) {
    if (clients.has(client.id)) continue;
    try {
      await broker.clients.revoke(client.id);
      removed.push(`client ${client.id}`);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return removed;
}

/** Says at start, not at first use, which appliances skip certificate checks (or are refused for it). */
async function logInsecureAppliances(broker: Broker): Promise<void> {
  const { applianceIds, allowed } = await broker.gateway.insecureAppliances();
  for (const applianceId of applianceIds) {
    if (allowed) logger.warn('TLS verification is off for this appliance (tls.insecure)', { applianceId });
    else
      logger.error('appliance refused: tls.insecure and ALLOW_INSECURE_APPLIANCES is not true', {
        applianceId,
      });
  }
}

/**
 * Creates the broker's key secret on first start; an existing one (BROKER_DATA_DIR, other processes) is kept.
 * `secrets` is the endpoint's client when the environment does not point at it (the CLI).
 */
export async function ensureKeys(secretId: string, secrets?: SecretsManagerClient): Promise<void> {
  await createSecretJson(new SecretStore(secrets), secretId, generateBrokerKeys());
}
