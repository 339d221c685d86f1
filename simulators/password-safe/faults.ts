/** The API calls that faults target: `login` = SignAppin, `list` = ManagedAccounts, `request` = POST Requests,
 * `launch` = Requests/{id}/Sessions (the call that mints the console credential); `other` is everything else. */
export type ApiEndpoint = 'login' | 'list' | 'request' | 'launch' | 'other';
/** Which API call a fault targets; `any` matches every API call. */
export type FaultEndpoint = Exclude<ApiEndpoint, 'other'> | 'any';

/** The body `POST /__sim/faults` takes; `applyFaults` takes the same in-process. */
export interface FaultControl {
  latencyMs?: number;
  failNext?: { count: number; status?: number; endpoint?: FaultEndpoint };
  garbageNext?: { count: number; endpoint?: FaultEndpoint };
  hang?: boolean;
  forgetAllSessions?: true;
  expireIdleSessions?: true;
  rejectLogins?: boolean;
  resetCounters?: true;
}

const FAULT_ENDPOINTS: readonly string[] = ['login', 'list', 'request', 'launch', 'any'];

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isFaultEndpoint(value: unknown): value is FaultEndpoint {
  return typeof value === 'string' && FAULT_ENDPOINTS.includes(value);
}

function parseEndpoint(value: unknown, name: string): FaultEndpoint | undefined {
  if (value === undefined) return undefined;
  if (!isFaultEndpoint(value))
    throw new Error(`${name}.endpoint must be one of ${FAULT_ENDPOINTS.join(', ')}`);
  return value;
}

function parseFailNext(value: unknown): NonNullable<FaultControl['failNext']> {
  const f = value as Record<string, unknown> | null;
  if (typeof f !== 'object' || f === null || !isCount(f['count'])) {
    throw new Error('failNext.count must be a non-negative integer');
  }
  const failNext: NonNullable<FaultControl['failNext']> = { count: f['count'] };
  const status = f['status'];
  if (status !== undefined) {
    if (!(isCount(status) && status >= 100 && status <= 599))
      throw new Error('failNext.status must be 100-599');
    failNext.status = status;
  }
  const endpoint = parseEndpoint(f['endpoint'], 'failNext');
  if (endpoint) failNext.endpoint = endpoint;
  return failNext;
}

function parseGarbageNext(value: unknown): NonNullable<FaultControl['garbageNext']> {
  const g = value as Record<string, unknown> | null;
  if (typeof g !== 'object' || g === null || !isCount(g['count'])) {
    throw new Error('garbageNext.count must be a non-negative integer');
  }
  const garbageNext: NonNullable<FaultControl['garbageNext']> = { count: g['count'] };
  const endpoint = parseEndpoint(g['endpoint'], 'garbageNext');
  if (endpoint) garbageNext.endpoint = endpoint;
  return garbageNext;
}

/** Validates a `POST /__sim/faults` body; returns the reason when it is malformed. */
export function parseFaultControl(body: Record<string, unknown>): FaultControl | string {
  const control: FaultControl = {};
  try {
    if (body['latencyMs'] !== undefined) {
      if (!isCount(body['latencyMs'])) return 'latencyMs must be a non-negative integer';
      control.latencyMs = body['latencyMs'];
    }
    if (body['failNext'] !== undefined) control.failNext = parseFailNext(body['failNext']);
    if (body['garbageNext'] !== undefined) control.garbageNext = parseGarbageNext(body['garbageNext']);
  } catch (error) {
    return (error as Error).message;
  }
  for (const name of ['hang', 'rejectLogins'] as const) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') return `${name} must be a boolean`;
    control[name] = value;
  }
  for (const name of ['forgetAllSessions', 'expireIdleSessions', 'resetCounters'] as const) {
    if (body[name] === undefined) continue;
    if (body[name] !== true) return `${name} must be true when given`;
    control[name] = true;
  }
  return control;
}

/** A well-formed HTTP answer whose body a careful client must refuse; `served` varies the kind of nonsense. */
export function garbageBody(
  endpoint: ApiEndpoint,
  served: number,
): { status: number; type: string; body: string } {
  if (served % 2 === 1) return { status: 200, type: 'application/json', body: '{"truncated": [1, 2' };
  switch (endpoint) {
    case 'login':
      // A 200 with no cookie and no user: e.g. a captive portal or a load balancer's maintenance page.
      return { status: 200, type: 'text/html', body: '<html><body>Service maintenance</body></html>' };
    case 'list':
      return { status: 200, type: 'application/json', body: '{"Data":"not a list of accounts"}' };
    case 'request':
      return { status: 201, type: 'application/json', body: '"not-a-request-id"' };
    case 'launch':
      return { status: 201, type: 'application/json', body: '{"ID":null,"Ticket":42}' };
    case 'other':
      return { status: 200, type: 'text/plain', body: 'garbage' };
  }
}
