import { createHash } from 'node:crypto';

/** Session states the guide lists for `DescribeSessions` and `GetSessionConnectionData`. */
export const SESSION_STATES = ['CREATING', 'READY', 'DELETING', 'DELETED', 'UNKNOWN'] as const;
export type SessionState = (typeof SESSION_STATES)[number];
export type SessionType = 'CONSOLE' | 'VIRTUAL';

export interface KeyValuePair {
  Key: string;
  Value: string;
}

/**
 * One DCV session as the simulator stores it. The `Server` object is rendered per response, because its
 * address is the simulator's own (known only once it listens).
 */
export interface SimSession {
  Id: string;
  Name: string;
  Owner: string;
  Type: SessionType;
  State: SessionState;
  /** The DCV server's host name; defaults to the simulator's `hostname` option. */
  Hostname?: string;
  /** Rendered under `Server.Tags`, where the guide's sample puts them, and matched by `tag:<key>` filters. */
  Tags: KeyValuePair[];
  CreationTime: string;
  LastDisconnectionTime?: string;
  NumOfConnections: number;
  MaxConcurrentClients?: number;
  StorageRoot?: string;
  StateReason?: string;
}

/** Where the rendered `Server` points: the simulator itself plays the DCV server's web client. */
export interface ServerAddress {
  ip: string;
  port: number;
  hostname: string;
}

export function isSessionState(value: unknown): value is SessionState {
  return typeof value === 'string' && (SESSION_STATES as readonly string[]).includes(value);
}

/** A UUID-v4-shaped id derived from `key`, so generated sessions are identical across runs and processes. */
export function deterministicUuid(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const OWNERS = ['user1', 'alice', 'bob', 'carol', 'dave'];
const EPOCH = Date.parse('2024-01-08T09:00:00.000Z');
/** Positions in every block of 20 that are not READY, so 80% of a generated list is connectable. */
const NOT_READY: Record<number, { state: SessionState; reason?: string }> = {
  7: { state: 'CREATING' },
  11: { state: 'DELETING' },
  13: { state: 'DELETED' },
  17: { state: 'UNKNOWN', reason: 'The agent did not report the session' },
};

/**
 * `count` sessions, mostly READY with every other state present from 20 sessions up; every fifth is CONSOLE.
 * `seed` changes the ids only, so two simulators can hold different sessions with the same shape.
 */
export function generatedSessions(count: number, seed = 'default'): SimSession[] {
  const sessions: SimSession[] = [];
  for (let index = 0; index < count; index++) {
    const special = NOT_READY[index % 20];
    const console = index % 5 === 4;
    const owner = OWNERS[index % OWNERS.length] ?? 'user1';
    const created = EPOCH + index * 60_000;
    const session: SimSession = {
      Id: deterministicUuid(`dcv/${seed}/${index}`),
      Name: `${console ? 'console' : 'session'}-${String(index + 1).padStart(5, '0')}`,
      Owner: owner,
      Type: console ? 'CONSOLE' : 'VIRTUAL',
      State: special?.state ?? 'READY',
      Tags: [
        { Key: 'os', Value: console || index % 3 === 0 ? 'windows' : 'linux' },
        { Key: 'team', Value: `team-${(index % 4) + 1}` },
      ],
      CreationTime: new Date(created).toISOString(),
      NumOfConnections: index % 3,
    };
    if (index % 2 === 0) session.LastDisconnectionTime = new Date(created + 30 * 60_000).toISOString();
    if (!console) session.StorageRoot = `/home/${owner}/storage`;
    if (special?.reason) session.StateReason = special.reason;
    sessions.push(session);
  }
  return sessions;
}

/** The `Session` object of `DescribeSessions`/`GetSessionConnectionData`, with the fact sheet's field types. */
export function renderSession(
  session: SimSession,
  address: ServerAddress,
  counts: Map<string, { console: number; virtual: number }>,
): Record<string, unknown> {
  const hostname = session.Hostname ?? address.hostname;
  const count = counts.get(hostname) ?? { console: 0, virtual: 0 };
  const rendered: Record<string, unknown> = {
    Id: session.Id,
    Name: session.Name,
    Owner: session.Owner,
    Server: {
      Id: Buffer.from(hostname).toString('base64'),
      Ip: address.ip,
      Hostname: hostname,
      DefaultDnsName: hostname,
      // Deprecated and a string in the OpenAPI model, unlike Endpoints[].Port: a client must not mix them up.
      Port: String(address.port),
      Endpoints: [{ IpAddress: address.ip, Port: address.port, WebUrlPath: '/', Protocol: 'HTTP' }],
      WebUrlPath: '/',
      Version: '2023.1.16388',
      SessionManagerAgentVersion: '2023.1.732',
      Availability: 'AVAILABLE',
      ConsoleSessionCount: count.console,
      VirtualSessionCount: count.virtual,
      Tags: session.Tags.map((tag) => ({ Key: tag.Key, Value: tag.Value })),
    },
    Type: session.Type,
    State: session.State,
    CreationTime: session.CreationTime,
    NumOfConnections: session.NumOfConnections,
  };
  for (const field of [
    'LastDisconnectionTime',
    'MaxConcurrentClients',
    'StorageRoot',
    'StateReason',
  ] as const) {
    if (session[field] !== undefined) rendered[field] = session[field];
  }
  return rendered;
}

/** Live (not DELETED) sessions per server host name, for `Server.ConsoleSessionCount`/`VirtualSessionCount`. */
export function sessionCounts(
  sessions: readonly SimSession[],
  defaultHostname: string,
): Map<string, { console: number; virtual: number }> {
  const counts = new Map<string, { console: number; virtual: number }>();
  for (const session of sessions) {
    if (session.State === 'DELETED') continue;
    const hostname = session.Hostname ?? defaultHostname;
    const count = counts.get(hostname) ?? { console: 0, virtual: 0 };
    if (session.Type === 'CONSOLE') count.console++;
    else count.virtual++;
    counts.set(hostname, count);
  }
  return counts;
}
