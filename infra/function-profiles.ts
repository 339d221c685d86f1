/**
 * What each Lambda needs, by function name (`functions/<name>.ts`): memory, timeout, network placement and the
 * exact data it may touch. Derived from the code of each handler and the services it calls (`shared/*`);
 * change the profile when a function's data access changes (test/infra/iam.test.ts pins every grant).
 *
 * Partitions of the broker table (docs/data-model.md): `APIKEY#` and `CLIENT#` (clients), `APPLIANCE#<id>` (the
 * registry item), `SESSION#<id>` (appliance session and login lease), `LINK#<tokenHash>` (also in gsi1 as
 * `LINKS#<createdBy>`), `LINKID#<id>`,
 * `AUDIT`, `INV#<applianceId>` (inventory devices), `INVENTORY` (its version), `RATE#<scope>#<subject>`.
 */

export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:Query'
  | 'dynamodb:BatchWriteItem';

/** `dynamodb:LeadingKeys` patterns (StringLike) of the partitions. */
export const PARTITIONS = {
  apiKey: 'APIKEY#*',
  appliance: 'APPLIANCE#*',
  session: 'SESSION#*',
  link: 'LINK#*',
  linkId: 'LINKID#*',
  client: 'CLIENT#*',
  audit: 'AUDIT',
  inventory: 'INV#*',
  inventoryVersion: 'INVENTORY',
  clientRate: 'RATE#client#*',
  launchFailureRate: 'RATE#launch-failures#*',
} as const;

/** Some actions on some partitions of the table: one IAM statement with a `dynamodb:LeadingKeys` condition. */
export interface TableGrant {
  /** A short name for the statement id (`Table<Sid>`). */
  sid: string;
  actions: readonly DynamoAction[];
  partitions: readonly string[];
}

export interface FunctionProfile {
  memoryMb: number;
  /** Seconds. API functions stay below API Gateway's 30 s integration timeout. */
  timeoutSeconds: number | 'appliance';
  /**
   * Talks to appliances: placed in the VPC when one is configured, may read `<prefix>appliances/*` credential
   * secrets, gets the appliance timeouts.
   */
  applianceFacing: boolean;
  /** Reads the broker keys secret (API key pepper, session key); every function that builds the broker does. */
  keysSecret: boolean;
  /** Item-level grants on the table, each limited to its partitions. */
  table: readonly TableGrant[];
  /**
   * Query on gsi1 (appliance list, per-appliance audit). Read-only; IAM cannot limit index queries to index
   * partitions, see docs/architecture.md.
   */
  queryIndex: boolean;
  /**
   * Files a function reads at run time from an installed package, copied beside its bundle (the docs page serves
   * swagger-ui-dist's script and style sheet; `package.json` is how it finds them).
   */
  packageFiles?: Record<string, readonly string[]>;
}

/**
 * The function's timeout when it makes appliance calls on an API request: the worst click is a session the
 * appliance forgot, three sequential appliance requests (the refused call, the login, the call again), plus the
 * stores; never above 29 s (API Gateway answers 503 at 30 s). Cut any sooner, a slow appliance's click would end
 * as the gateway's bare error, before the broker could answer 504 and give a single-use link back.
 */
export function applianceFunctionTimeoutSeconds(applianceTimeoutMs: number): number {
  return Math.min(29, Math.max(20, Math.ceil((3 * applianceTimeoutMs) / 1000) + 4));
}

/** The scheduled inventory sync (also serves `POST /v1/inventory/sync`). */
export const SYNC_FUNCTION = 'inventory-sync';
/** The click (`GET /launch/{token}`). */
export const LAUNCH_FUNCTION = 'launch';
/** The REQUEST authorizer. */
export const AUTHORIZER_FUNCTION = 'authorizer';

const P = PARTITIONS;

/** Every API route with a scope counts the client's requests (shared/limits/rate-limiter.ts, `ADD`). */
const clientRate: TableGrant = {
  sid: 'RateLimit',
  actions: ['dynamodb:UpdateItem'],
  partitions: [P.clientRate],
};
/**
 * The session manager: consistent read, one conditional update that takes the login lease or hands back the
 * stored session, the session's put, conditional removal of a refused session, delete on re-registration.
 */
const sessions: TableGrant = {
  sid: 'Sessions',
  actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  partitions: [P.session],
};
/** Reading the registry item of an appliance (never writing it: only the operator CLI does). */
const readAppliance = (...more: string[]): TableGrant => ({
  sid: 'Read',
  actions: ['dynamodb:GetItem'],
  partitions: [P.appliance, ...more],
});
/**
 * The item reads one turn of a request asks for go out as one BatchGetItem (`Table.read` in
 * shared/store/dynamo.ts): a click's registry item, session and creator; a bulk revoke's registry items. IAM
 * checks every key of a request against one statement at a time, so one statement lists each partition those
 * reads touch, all readable one by one already. Functions whose requests read one item at a time send GetItem.
 */
const batchRead = (...partitions: string[]): TableGrant => ({
  sid: 'BatchRead',
  actions: ['dynamodb:BatchGetItem'],
  partitions,
});
const writeAudit: TableGrant = { sid: 'Audit', actions: ['dynamodb:PutItem'], partitions: [P.audit] };

/** An API route that only queries gsi1 (and counts the client's requests): no item reads, no appliance. */
const gsi1Reader: FunctionProfile = {
  memoryMb: 512,
  timeoutSeconds: 10,
  applianceFacing: false,
  keysSecret: true,
  table: [clientRate],
  queryIndex: true,
};

const noData = { applianceFacing: false, keysSecret: false, table: [], queryIndex: false } as const;

export const PROFILES: Record<string, FunctionProfile> = {
  // Never touch a store.
  health: { ...noData, memoryMb: 256, timeoutSeconds: 5 },
  home: { ...noData, memoryMb: 256, timeoutSeconds: 5 },
  openapi: { ...noData, memoryMb: 512, timeoutSeconds: 10 },
  docs: {
    ...noData,
    memoryMb: 256,
    timeoutSeconds: 5,
    packageFiles: { 'swagger-ui-dist': ['package.json', 'swagger-ui-bundle.js', 'swagger-ui.css'] },
  },
  // One GetItem of APIKEY#<hmac> per uncached key.
  authorizer: {
    memoryMb: 512,
    timeoutSeconds: 10,
    applianceFacing: false,
    keysSecret: true,
    table: [{ sid: 'Read', actions: ['dynamodb:GetItem'], partitions: [P.apiKey] }],
    queryIndex: false,
  },
  // The appliance list (gsi1 APPLIANCES), filtered to the client's allow-list. No appliance call.
  appliances: gsi1Reader,
  // The registry item, then the appliance session (read, lease, store).
  login: {
    memoryMb: 512,
    timeoutSeconds: 'appliance',
    applianceFacing: true,
    keysSecret: true,
    table: [readAppliance(), sessions, clientRate],
    queryIndex: false,
  },
  devices: {
    memoryMb: 512,
    timeoutSeconds: 'appliance',
    applianceFacing: true,
    keysSecret: true,
    table: [readAppliance(), sessions, clientRate],
    queryIndex: false,
  },
  // As devices, plus the synced device (GetItem INV#) and the audit event.
  ticket: {
    memoryMb: 512,
    timeoutSeconds: 'appliance',
    applianceFacing: true,
    keysSecret: true,
    table: [readAppliance(P.inventory), sessions, writeAudit, clientRate],
    queryIndex: false,
  },
  // Validates the device (inventory, else live), then one transaction putting LINK#<hash> and LINKID#<id>, then
  // the link_created audit event.
  'links-create': {
    memoryMb: 512,
    timeoutSeconds: 'appliance',
    applianceFacing: true,
    keysSecret: true,
    table: [
      readAppliance(P.inventory),
      sessions,
      { sid: 'Links', actions: ['dynamodb:PutItem'], partitions: [P.link, P.linkId] },
      writeAudit,
      clientRate,
    ],
    queryIndex: false,
  },
  // The creator's live links (gsi1 LINKS#<client>); for an admin listing every creator, the client list (gsi1
  // CLIENTS) first. Never a token, never an appliance.
  'links-list': gsi1Reader,
  // One link: reads LINKID#<id> (and LINK#<hash> for an admin's allow-list check on links older than LINKID#'s
  // applianceId), marks LINK#<hash> revoked. Bulk: the creator's links (gsi1 LINKS#<client>), each marked
  // revoked. A revoked link that opened a Password Safe access request checks it in: the registry item (a bulk
  // revoke reads several together), the appliance session and its credentials.
  'links-revoke': {
    memoryMb: 512,
    timeoutSeconds: 'appliance',
    applianceFacing: true,
    keysSecret: true,
    table: [
      readAppliance(P.linkId, P.link),
      sessions,
      batchRead(P.appliance),
      { sid: 'Revoke', actions: ['dynamodb:UpdateItem'], partitions: [P.link] },
      clientRate,
    ],
    queryIndex: true,
  },
  // The click (GET, and a confirm page's POST): claims (and may release) LINK#<hash>, reads the link's creator
  // (CLIENT#<id>, cached per process), the registry item and the stored session (a new container's three in one
  // BatchGetItem) and the synced device, uses the session, audits, counts failed clicks per address. Never
  // lists, scans or writes the registry or a client.
  launch: {
    memoryMb: 512,
    timeoutSeconds: 'appliance',
    applianceFacing: true,
    keysSecret: true,
    table: [
      { sid: 'Claim', actions: ['dynamodb:UpdateItem'], partitions: [P.link, P.launchFailureRate] },
      readAppliance(P.inventory, P.client),
      sessions,
      batchRead(P.appliance, P.client, P.session),
      writeAudit,
    ],
    queryIndex: false,
  },
  // One GetItem of LINK#<hash>: never mints, never writes.
  'launch-head': {
    memoryMb: 256,
    timeoutSeconds: 10,
    applianceFacing: false,
    keysSecret: true,
    table: [{ sid: 'Read', actions: ['dynamodb:GetItem'], partitions: [P.link] }],
    queryIndex: false,
  },
  // Query AUDIT (newest first) or gsi1 AUDIT#<applianceId>.
  audit: {
    memoryMb: 512,
    timeoutSeconds: 10,
    applianceFacing: false,
    keysSecret: true,
    table: [{ sid: 'Query', actions: ['dynamodb:Query'], partitions: [P.audit] }, clientRate],
    queryIndex: true,
  },
  // The inventory version (GetItem), the appliance list (gsi1), one Query per appliance partition.
  'inventory-search': {
    memoryMb: 1024,
    timeoutSeconds: 20,
    applianceFacing: false,
    keysSecret: true,
    table: [
      { sid: 'Version', actions: ['dynamodb:GetItem'], partitions: [P.inventoryVersion] },
      { sid: 'Query', actions: ['dynamodb:Query'], partitions: [P.inventory] },
      clientRate,
    ],
    queryIndex: true,
  },
  // Lists every appliance (gsi1 APPLIANCES), diffs each partition and batch-writes the differences, bumps the
  // version. Runs on the schedule and on POST /v1/inventory/sync.
  [SYNC_FUNCTION]: {
    memoryMb: 1024,
    timeoutSeconds: 300,
    applianceFacing: true,
    keysSecret: true,
    table: [
      readAppliance(),
      sessions,
      {
        sid: 'Inventory',
        actions: ['dynamodb:Query', 'dynamodb:BatchWriteItem'],
        partitions: [P.inventory],
      },
      { sid: 'Version', actions: ['dynamodb:UpdateItem'], partitions: [P.inventoryVersion] },
      clientRate,
    ],
    queryIndex: true,
  },
};
