import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ApplianceGateway } from './appliances/gateway.js';
import { AuditLog } from './audit/audit-log.js';
import { ClientStore } from './auth/clients.js';
import { type Clock, letQueuedRequestsLeave, systemClock } from './clock.js';
import { readSettings, type Settings } from './config/settings.js';
import { DeviceDirectory } from './devices/directory.js';
import { InventorySearch } from './inventory/search.js';
import { InventoryStore } from './inventory/store.js';
import { InventorySync, type SyncResult } from './inventory/sync.js';
import { RateLimiter } from './limits/rate-limiter.js';
import { ConfirmationCodec } from './links/confirmation.js';
import { LinkService } from './links/link-service.js';
import { MetricUnit } from './metrics.js';
import { logger, metrics } from './observability.js';
import { CursorCodec } from './pagination/cursor.js';
import { ApplianceRegistry } from './registry/appliances.js';
import { type BrokerKeys, brokerKeysSource, sessionKeyring } from './secrets/broker-keys.js';
import { SecretStore } from './secrets/store.js';
import { SessionManager } from './sessions/manager.js';
import { SessionStore } from './sessions/store.js';
import { createTable, type Table } from './store/dynamo.js';
import { TicketService } from './tickets/ticket-service.js';

/** Every service of the broker, wired once per process. */
export interface Broker {
  settings: Settings;
  clock: Clock;
  table: Table;
  secrets: SecretStore;
  /** The broker's keys, read through the secrets cache at each use (see `createBroker`). */
  keys: () => Promise<BrokerKeys>;
  registry: ApplianceRegistry;
  clients: ClientStore;
  gateway: ApplianceGateway;
  sessions: SessionManager;
  devices: DeviceDirectory;
  tickets: TicketService;
  links: LinkService;
  inventory: { sync: InventorySync; search: InventorySearch; store: InventoryStore };
  audit: AuditLog;
  cursors: CursorCodec;
  limits: RateLimiter;
  close(): Promise<void>;
}

export interface BrokerDependencies {
  settings?: Settings;
  clock?: Clock;
  dynamodb?: DynamoDBClient;
  secretsManager?: SecretsManagerClient;
  /** The base of launch link URLs (no trailing slash); by default PUBLIC_BASE_URL (process.env, then settings). */
  publicBaseUrl?: () => string;
  /** Called with each appliance's sync result; by default a log line and the sync metrics. */
  onSyncResult?: (result: SyncResult) => void;
}

/** Wires the broker's services and starts reading the keys secret, which nothing awaits before it needs a key. */
export async function createBroker(deps: BrokerDependencies = {}): Promise<Broker> {
  const settings = deps.settings ?? readSettings();
  const clock = deps.clock ?? systemClock;
  // Without clients of the caller's, each store makes its own with the broker's client options.
  const table = createTable(settings.TABLE_NAME, deps.dynamodb);
  const secrets = new SecretStore(deps.secretsManager, settings.SECRETS_CACHE_SECONDS);
  const keys = brokerKeysSource(secrets, settings.KEYS_SECRET_ID);
  // Read right after the request that creates the broker has sent its first store call, awaited where a key is
  // needed: a click's claim and registry read need none, and each SDK client's first call in a new process waits
  // about 30 ms (bench case 6), so the secret's first call overlaps the claim's instead of adding up; started
  // any sooner, the secret's client setup holds the claim back. A failure here is not lost: the first use of a
  // key reads again and fails.
  letQueuedRequestsLeave()
    .then(() => keys())
    .catch(() => undefined);
  const registry = new ApplianceRegistry({
    table,
    secrets,
    secretPrefix: settings.APPLIANCE_SECRET_PREFIX,
    cacheMs: settings.REGISTRY_CACHE_SECONDS * 1000,
    clock,
  });
  const gateway = new ApplianceGateway({
    registry,
    connectTimeoutMs: settings.APPLIANCE_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: settings.APPLIANCE_REQUEST_TIMEOUT_MS,
    allowInsecureTls: settings.ALLOW_INSECURE_APPLIANCES,
    onInsecureTls: (applianceId) =>
      logger.warn('TLS verification is off for this appliance (tls.insecure)', { applianceId }),
  });
  // At every cold start, not at first use: the log records that this deployment turned the guard off.
  if (settings.ALLOW_INSECURE_APPLIANCES) {
    logger.warn(
      'ALLOW_INSECURE_APPLIANCES is true: appliances registered with tls.insecure are used without certificate checks',
    );
  }
  const sessions = new SessionManager({
    login: (appliance) => gateway.login(appliance as Parameters<ApplianceGateway['login']>[0]),
    store: new SessionStore(table, sessionKeyring(keys), clock),
    clock,
    refreshMarginMs: settings.SESSION_REFRESH_MARGIN_SECONDS * 1000,
    authFailureHoldMs: settings.LOGIN_FAILURE_HOLD_SECONDS * 1000,
    onEvent: (event) =>
      event.type.endsWith('failed')
        ? logger.warn(`appliance session ${event.type}`, { ...event })
        : logger.info(`appliance session ${event.type}`, { ...event }),
    onReplaced: (appliance, old) => void gateway.signOut(appliance.id, old),
  });
  gateway.attach(sessions);
  const inventoryStore = new InventoryStore(table);
  const devices = new DeviceDirectory({
    registry,
    gateway,
    clock,
    cacheMs: settings.DEVICE_CACHE_SECONDS * 1000,
    inventory: inventoryStore,
  });
  const cursors = new CursorCodec(async () => (await keys()).cursorKey);
  const audit = new AuditLog({
    table,
    clock,
    retentionDays: settings.AUDIT_RETENTION_DAYS,
    cursors,
    log: (event) => logger.info('launch audit', { audit: event }),
    warn: warnWithError,
  });
  const clients = new ClientStore({ table, pepper: async () => (await keys()).apiKeyPepper, clock });
  const tickets = new TicketService({ registry, devices, gateway, audit });
  const links = new LinkService({
    table,
    clock,
    registry,
    tickets,
    audit,
    publicBaseUrl:
      deps.publicBaseUrl ??
      (() => {
        const base = process.env.PUBLIC_BASE_URL ?? settings.PUBLIC_BASE_URL;
        if (!base) throw new Error('PUBLIC_BASE_URL is not set: launch links need a public base URL');
        return base.replace(/\/$/, '');
      }),
    defaultTtlSeconds: settings.LINK_DEFAULT_TTL_SECONDS,
    maxTtlSeconds: settings.LINK_MAX_TTL_SECONDS,
    confirmDefault: settings.LINK_CONFIRM_DEFAULT,
    clients,
    gateway,
    confirmations: new ConfirmationCodec(async () => (await keys()).confirmationKey, clock),
    cursors,
    warn: warnWithError,
  });
  const inventory = {
    store: inventoryStore,
    search: new InventorySearch(inventoryStore, registry, cursors),
    sync: new InventorySync({
      registry,
      gateway,
      devices,
      store: inventoryStore,
      clock,
      concurrency: settings.SYNC_CONCURRENCY,
      seenRefreshMs: settings.INVENTORY_SEEN_REFRESH_HOURS * 3_600_000,
      onResult: deps.onSyncResult ?? reportSync,
    }),
  };
  return {
    settings,
    clock,
    table,
    secrets,
    keys,
    registry,
    clients,
    gateway,
    sessions,
    devices,
    tickets,
    links,
    inventory,
    audit,
    cursors,
    limits: new RateLimiter({ table, clock, windowMs: 60_000, warn: warnWithError }),
    close: async () => {
      await sessions.signOutAll((applianceId, session) => gateway.signOut(applianceId, session));
      await gateway.closeAll();
    },
  };
}

/** One structured log line and the sync metrics per appliance. */
function reportSync(result: SyncResult): void {
  const changes = result.added + result.updated + result.removed;
  if (result.status === 'ok') logger.info('inventory sync', { sync: result });
  else logger.warn('inventory sync failed', { sync: result });
  metrics.addMetric('SyncDevices', MetricUnit.Count, result.devices);
  metrics.addMetric('SyncChanges', MetricUnit.Count, changes);
  metrics.addMetric('SyncFailures', MetricUnit.Count, result.status === 'error' ? 1 : 0);
  metrics.addMetric('SyncDuration', MetricUnit.Milliseconds, result.durationMs);
}

let shared: Promise<Broker> | undefined;

/** Installs a broker built elsewhere as the process-wide one (tests with an injected clock). */
export function useBroker(broker: Promise<Broker>): void {
  shared = broker;
}

/** The process-wide broker, created from the environment on first use (a Lambda's warm container reuses it). */
export function getBroker(): Promise<Broker> {
  shared ??= createBroker().catch((error: unknown) => {
    shared = undefined;
    throw error;
  });
  return shared;
}

/** A warning with the failure's message only: store and network errors carry no secrets, stacks stay out. */
function warnWithError(message: string, error: unknown): void {
  logger.warn(message, { error: error instanceof Error ? error.message : String(error) });
}
