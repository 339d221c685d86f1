import { isPowerState, type PowerState } from './inventory.js';
import { ERROR_STATUS, type ErrorType, json, type Reply } from './vapi.js';

/** The API calls faults, latency and hangs apply to; `session` is who-am-I and logout. */
export type ApiEndpoint = 'login' | 'session' | 'list' | 'launch';
/** Which call a fault targets: `launch` is the ticket mint; `any` matches every API call. */
export type FaultEndpoint = 'login' | 'list' | 'launch' | 'any';

/** The body `POST /__sim/faults` takes; `applyFaults` takes the same in-process. */
export interface FaultControl {
  latencyMs?: number;
  /** The next `count` matching calls fail with `status` (default 500) as a vAPI envelope of `errorType`. */
  failNext?: { count: number; status?: number; errorType?: ErrorType; endpoint?: FaultEndpoint };
  garbageNext?: { count: number; endpoint?: FaultEndpoint };
  hang?: boolean;
  forgetAllSessions?: true;
  expireIdleSessions?: true;
  rejectLogins?: boolean;
  resetCounters?: true;
  /** Whether the logged-in user holds the console privilege (false: tickets answer 403 UNAUTHORIZED). */
  consolePrivilege?: boolean;
  /** VM id to new power state, e.g. `{"vm-42": "POWERED_OFF"}`. */
  powerStates?: Record<string, PowerState>;
}

export function faultMatches(target: FaultEndpoint, endpoint: ApiEndpoint): boolean {
  return target === 'any' || target === endpoint;
}

/** A body of the right status but the wrong shape, alternating an HTML proxy page and JSON of the wrong type. */
export function garbageReply(endpoint: ApiEndpoint, index: number): Reply {
  const status = endpoint === 'login' ? 201 : 200;
  if (index % 2 === 0) {
    return {
      status,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
    };
  }
  const wrongShape = {
    login: { session: null },
    session: { user: 42 },
    list: { count: 0 },
    launch: { url: null },
  };
  return json(status, wrongShape[endpoint]);
}

function isFaultEndpoint(value: unknown): value is FaultEndpoint {
  return value === 'login' || value === 'list' || value === 'launch' || value === 'any';
}

function isErrorType(value: unknown): value is ErrorType {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseFailNext(f: unknown): NonNullable<FaultControl['failNext']> | string {
  if (!isObject(f) || !isCount(f['count'])) return 'failNext.count must be an integer';
  const { count, status, errorType, endpoint } = f;
  if (status !== undefined && !(isCount(status) && status >= 100 && status <= 599))
    return 'bad failNext.status';
  if (errorType !== undefined && !isErrorType(errorType)) return 'bad failNext.errorType';
  if (endpoint !== undefined && !isFaultEndpoint(endpoint)) return 'bad failNext.endpoint';
  return {
    count,
    ...(status === undefined ? {} : { status }),
    ...(errorType === undefined ? {} : { errorType }),
    ...(endpoint === undefined ? {} : { endpoint }),
  };
}

function parseGarbageNext(g: unknown): NonNullable<FaultControl['garbageNext']> | string {
  if (!isObject(g) || !isCount(g['count'])) return 'garbageNext.count must be an integer';
  const { count, endpoint } = g;
  if (endpoint !== undefined && !isFaultEndpoint(endpoint)) return 'bad garbageNext.endpoint';
  return { count, ...(endpoint === undefined ? {} : { endpoint }) };
}

function parsePowerStates(p: unknown): Record<string, PowerState> | string {
  if (!isObject(p)) return 'powerStates must be an object of vm id to power state';
  const states: Record<string, PowerState> = {};
  for (const [vm, state] of Object.entries(p)) {
    if (!isPowerState(state)) return `powerStates.${vm} must be POWERED_ON, POWERED_OFF or SUSPENDED`;
    states[vm] = state;
  }
  return states;
}

const CONTROL_KEYS = new Set([
  'latencyMs',
  'failNext',
  'garbageNext',
  'hang',
  'forgetAllSessions',
  'expireIdleSessions',
  'rejectLogins',
  'resetCounters',
  'consolePrivilege',
  'powerStates',
]);

/** Validates a `POST /__sim/faults` body; returns the reason when it is malformed. */
export function parseFaultControl(body: Record<string, unknown>): FaultControl | string {
  // A misspelt control would otherwise be ignored silently and the test would check nothing.
  const unknown = Object.keys(body).find((key) => !CONTROL_KEYS.has(key));
  if (unknown !== undefined) return `unknown control ${unknown}`;
  const control: FaultControl = {};
  if (body['latencyMs'] !== undefined) {
    if (!isCount(body['latencyMs'])) return 'latencyMs must be a non-negative integer';
    control.latencyMs = body['latencyMs'];
  }
  if (body['failNext'] !== undefined) {
    const failNext = parseFailNext(body['failNext']);
    if (typeof failNext === 'string') return failNext;
    control.failNext = failNext;
  }
  if (body['garbageNext'] !== undefined) {
    const garbageNext = parseGarbageNext(body['garbageNext']);
    if (typeof garbageNext === 'string') return garbageNext;
    control.garbageNext = garbageNext;
  }
  if (body['powerStates'] !== undefined) {
    const powerStates = parsePowerStates(body['powerStates']);
    if (typeof powerStates === 'string') return powerStates;
    control.powerStates = powerStates;
  }
  for (const name of ['hang', 'rejectLogins', 'consolePrivilege'] as const) {
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
