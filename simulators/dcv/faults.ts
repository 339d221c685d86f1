import { isSessionState, type SessionState } from './sessions.js';

/** The three broker calls faults, latency and hangs apply to: oauth2/token, describeSessions, sessionConnectionData. */
export type ApiEndpoint = 'login' | 'list' | 'launch';
/** Which API endpoint a fault targets; `any` matches all three. */
export type FaultEndpoint = ApiEndpoint | 'any';

/** The body `POST /__sim/faults` takes; `applyFaults` takes the same in-process. */
export interface FaultControl {
  latencyMs?: number;
  failNext?: { count: number; status?: number; endpoint?: FaultEndpoint };
  garbageNext?: { count: number; endpoint?: FaultEndpoint };
  hang?: boolean;
  /** The broker forgets every access token it issued (as after a restart): they all answer 401 from now on. */
  forgetAllSessions?: true;
  rejectLogins?: boolean;
  resetCounters?: true;
  /** Same as `revokeAllTokens()`. */
  revokeAllTokens?: true;
  /** Same as `expireAllTokens()`. */
  expireAllTokens?: true;
  /** `setState` for each entry, so an out-of-process test can move sessions between states. */
  sessionStates?: Record<string, SessionState>;
}

function isFaultEndpoint(value: unknown): value is FaultEndpoint {
  return value === 'login' || value === 'list' || value === 'launch' || value === 'any';
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseCounted(
  name: string,
  value: unknown,
): { count: number; endpoint?: FaultEndpoint; raw: Record<string, unknown> } | string {
  if (!isObject(value) || !isCount(value['count'])) return `${name}.count must be a non-negative integer`;
  const endpoint = value['endpoint'];
  if (endpoint === undefined) return { count: value['count'], raw: value };
  if (!isFaultEndpoint(endpoint)) return `${name}.endpoint must be login, list, launch or any`;
  return { count: value['count'], endpoint, raw: value };
}

/** Validates a `POST /__sim/faults` body; returns the reason when it is malformed. */
export function parseFaultControl(body: Record<string, unknown>): FaultControl | string {
  const control: FaultControl = {};
  const { latencyMs, failNext, garbageNext, hang, rejectLogins, sessionStates } = body;
  if (latencyMs !== undefined) {
    if (!isCount(latencyMs)) return 'latencyMs must be a non-negative integer';
    control.latencyMs = latencyMs;
  }
  if (failNext !== undefined) {
    const parsed = parseCounted('failNext', failNext);
    if (typeof parsed === 'string') return parsed;
    const status = parsed.raw['status'];
    if (status !== undefined && !(isCount(status) && status >= 100 && status <= 599)) {
      return 'failNext.status must be an HTTP status';
    }
    control.failNext = { count: parsed.count };
    if (status !== undefined) control.failNext.status = status;
    if (parsed.endpoint) control.failNext.endpoint = parsed.endpoint;
  }
  if (garbageNext !== undefined) {
    const parsed = parseCounted('garbageNext', garbageNext);
    if (typeof parsed === 'string') return parsed;
    control.garbageNext = { count: parsed.count };
    if (parsed.endpoint) control.garbageNext.endpoint = parsed.endpoint;
  }
  for (const [name, value] of Object.entries({ hang, rejectLogins })) {
    if (value !== undefined && typeof value !== 'boolean') return `${name} must be a boolean`;
  }
  if (typeof hang === 'boolean') control.hang = hang;
  if (typeof rejectLogins === 'boolean') control.rejectLogins = rejectLogins;
  for (const name of ['forgetAllSessions', 'resetCounters', 'revokeAllTokens', 'expireAllTokens'] as const) {
    if (body[name] === undefined) continue;
    if (body[name] !== true) return `${name} must be true when given`;
    control[name] = true;
  }
  if (sessionStates !== undefined) {
    if (!isObject(sessionStates)) return 'sessionStates must be an object of session id to state';
    const states: Record<string, SessionState> = {};
    for (const [id, state] of Object.entries(sessionStates)) {
      if (!isSessionState(state))
        return 'sessionStates values must be CREATING, READY, DELETING, DELETED or UNKNOWN';
      states[id] = state;
    }
    control.sessionStates = states;
  }
  return control;
}
