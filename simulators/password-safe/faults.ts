import { type FaultControlBase, parseActions, parseFaultControlBase } from '../common/faults.js';

/** The API calls that faults target: `login` = SignAppin, `list` = ManagedAccounts, `request` = POST Requests,
 * `launch` = Requests/{id}/Sessions (the call that mints the console credential); `other` is everything else. */
export type ApiEndpoint = 'login' | 'list' | 'request' | 'launch' | 'other';
/** Which API call a fault targets; `any` matches every API call. */
export type FaultEndpoint = Exclude<ApiEndpoint, 'other'> | 'any';

/** The body `POST /__sim/faults` takes; `applyFaults` takes the same in-process. */
export interface FaultControl extends FaultControlBase<FaultEndpoint> {
  /** Every cookie session looks idle past the timeout, so its next use is a 401. */
  expireIdleSessions?: true;
}

const FAULT_ENDPOINTS: readonly FaultEndpoint[] = ['login', 'list', 'request', 'launch', 'any'];

/** Validates a `POST /__sim/faults` body; returns the reason when it is malformed. */
export function parseFaultControl(body: Record<string, unknown>): FaultControl | string {
  const base = parseFaultControlBase(body, FAULT_ENDPOINTS);
  if (typeof base === 'string') return base;
  const actions = parseActions(body, ['expireIdleSessions'] as const);
  if (typeof actions === 'string') return actions;
  return { ...base, ...actions };
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
