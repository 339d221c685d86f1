/**
 * What each Lambda needs, by function name (`functions/<name>.ts`): memory, timeout, network placement and the
 * exact data it may touch. Derived from the code of each handler and the services it calls
 * (`shared/*`); change the profile when a function's data access changes.
 *
 * Partition key prefixes of the broker table (docs/data-model.md):
 * `APIKEY#` `CLIENT#` (clients), `APPLIANCE#<id>` (the registry item `sk=APPLIANCE` and the appliance's session
 * items `sk=SESSION` / `SESSION_LEASE`), `LINK#<tokenHash>`, `LINKID#<id>`, `AUDIT`.
 */

/** DynamoDB item actions, grouped the way the functions use them. */
export const READ = ['dynamodb:GetItem'] as const;
/** Writes; transactions (TransactWriteItems) are authorised through these item-level actions. */
export const WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
] as const;
export const QUERY = ['dynamodb:Query'] as const;
export const BATCH_WRITE = ['dynamodb:BatchWriteItem'] as const;

export type DynamoAction = (typeof READ | typeof WRITE | typeof QUERY | typeof BATCH_WRITE)[number];

export interface TableAccess {
  /** Actions on the table itself. */
  actions: readonly DynamoAction[];
  /**
   * `dynamodb:LeadingKeys` patterns (StringLike): the partitions the table actions may touch. Undefined: any
   * partition (only where the key design is not settled yet, e.g. the inventory).
   */
  partitions?: readonly string[];
  /** Query on the global secondary indexes (read-only; not restricted by partition, see docs/security.md). */
  queryIndexes?: boolean;
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
  /** Reads the broker keys secret (API key pepper, session key). */
  keysSecret: boolean;
  table?: TableAccess;
}

/**
 * The function's timeout when it makes appliance calls on an API request: a cold session costs a login and the
 * call itself, two sequential appliance requests, plus DynamoDB; never above 29 s (API Gateway answers 503 at 30 s).
 */
export function applianceFunctionTimeoutSeconds(applianceTimeoutMs: number): number {
  return Math.min(29, Math.max(20, Math.ceil((2 * applianceTimeoutMs) / 1000) + 4));
}

const none: Omit<FunctionProfile, 'memoryMb' | 'timeoutSeconds'> = {
  applianceFacing: false,
  keysSecret: false,
};

/** The scheduled inventory sync (also serves `POST /v1/inventory/sync` if a route names it). */
export const SYNC_FUNCTION = 'inventory-sync';
/** The REQUEST authorizer. */
export const AUTHORIZER_FUNCTION = 'authorizer';

export const PROFILES: Record<string, FunctionProfile> = {
  health: { ...none, memoryMb: 256, timeoutSeconds: 5 },
  openapi: { ...none, memoryMb: 512, timeoutSeconds: 10 },
  // One GetItem of APIKEY#<hmac> per uncached key.
  authorizer: {
    memoryMb: 512,
    timeoutSeconds: 10,
    applianceFacing: false,
    keysSecret: true,
    table: { actions: READ, partitions: ['APIKEY#*'] },
  },
  // The registry item and the appliance session (read, refresh, lease) under APPLIANCE#<id>.
  login: {
    memoryMb: 512,
    timeoutSeconds: 'appliance',
    applianceFacing: true,
    keysSecret: true,
    table: { actions: [...READ, ...WRITE], partitions: ['APPLIANCE#*'] },
  },
  devices: {
    memoryMb: 512,
    timeoutSeconds: 'appliance',
    applianceFacing: true,
    keysSecret: true,
    table: { actions: [...READ, ...WRITE], partitions: ['APPLIANCE#*'] },
  },
  // As devices, plus the audit event.
  ticket: {
    memoryMb: 512,
    timeoutSeconds: 'appliance',
    applianceFacing: true,
    keysSecret: true,
    table: { actions: [...READ, ...WRITE], partitions: ['APPLIANCE#*', 'AUDIT'] },
  },
  // Validates against the live device list, then one transaction writing LINK#<hash> and LINKID#<id>.
  'links-create': {
    memoryMb: 512,
    timeoutSeconds: 'appliance',
    applianceFacing: true,
    keysSecret: true,
    table: { actions: [...READ, ...WRITE], partitions: ['APPLIANCE#*', 'LINK#*', 'LINKID#*'] },
  },
  // Reads LINKID#<id>, marks LINK#<hash> revoked. No appliance, no appliance secret.
  'links-revoke': {
    memoryMb: 256,
    timeoutSeconds: 10,
    applianceFacing: false,
    keysSecret: true,
    table: { actions: [...READ, ...WRITE], partitions: ['LINK#*', 'LINKID#*'] },
  },
  // The click: claims LINK#<hash>, reads the registry item and session, mints, audits. Never lists, never scans.
  launch: {
    memoryMb: 512,
    timeoutSeconds: 'appliance',
    applianceFacing: true,
    keysSecret: true,
    table: { actions: [...READ, ...WRITE], partitions: ['LINK#*', 'APPLIANCE#*', 'AUDIT'] },
  },
  // One GetItem of LINK#<hash>: never mints, never writes.
  'launch-head': {
    memoryMb: 256,
    timeoutSeconds: 10,
    applianceFacing: false,
    keysSecret: true,
    table: { actions: READ, partitions: ['LINK#*'] },
  },
  // Query AUDIT (newest first) or gsi1 AUDIT#<applianceId>.
  audit: {
    memoryMb: 512,
    timeoutSeconds: 10,
    applianceFacing: false,
    keysSecret: true,
    table: { actions: QUERY, partitions: ['AUDIT'], queryIndexes: true },
  },
  // Reads the synced inventory; the key design belongs to the inventory issue, so no partition restriction yet.
  'inventory-search': {
    memoryMb: 512,
    timeoutSeconds: 10,
    applianceFacing: false,
    keysSecret: true,
    table: { actions: [...READ, ...QUERY], queryIndexes: true },
  },
  // Lists every appliance (gsi1 APPLIANCES), diffs and batch-writes the inventory.
  [SYNC_FUNCTION]: {
    memoryMb: 1024,
    timeoutSeconds: 300,
    applianceFacing: true,
    keysSecret: true,
    table: { actions: [...READ, ...WRITE, ...QUERY, ...BATCH_WRITE], queryIndexes: true },
  },
};

/**
 * For a function named by a route but without a profile yet: the broad broker profile (item reads and writes,
 * Query, appliance access). The stack warns so that someone writes the real profile.
 */
export const DEFAULT_PROFILE: FunctionProfile = {
  memoryMb: 512,
  timeoutSeconds: 'appliance',
  applianceFacing: true,
  keysSecret: true,
  table: { actions: [...READ, ...WRITE, ...QUERY], queryIndexes: true },
};
