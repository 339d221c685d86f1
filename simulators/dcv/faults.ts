import { type FaultControlBase, parseActions, parseFaultControlBase } from '../common/faults.js';
import { isJsonObject } from '../common/http.js';
import { isSessionState, type SessionState } from './sessions.js';

/** The three broker calls faults, latency and hangs apply to: oauth2/token, describeSessions, sessionConnectionData. */
export type ApiEndpoint = 'login' | 'list' | 'launch';
/** Which API endpoint a fault targets; `any` matches all three. */
export type FaultEndpoint = ApiEndpoint | 'any';

/** The body `POST /__sim/faults` takes; `applyFaults` takes the same in-process. `forgetAllSessions`: the
 * broker forgets every access token it issued (as after a restart): they all answer 401 from now on. */
export interface FaultControl extends FaultControlBase<FaultEndpoint> {
  /** Same as `revokeAllTokens()`. */
  revokeAllTokens?: true;
  /** Same as `expireAllTokens()`. */
  expireAllTokens?: true;
  /** `setState` for each entry, so an out-of-process test can move sessions between states. */
  sessionStates?: Record<string, SessionState>;
}

const FAULT_ENDPOINTS: readonly FaultEndpoint[] = ['login', 'list', 'launch', 'any'];

/** Validates a `POST /__sim/faults` body; returns the reason when it is malformed. */
export function parseFaultControl(body: Record<string, unknown>): FaultControl | string {
  const base = parseFaultControlBase(body, FAULT_ENDPOINTS);
  if (typeof base === 'string') return base;
  const actions = parseActions(body, ['revokeAllTokens', 'expireAllTokens'] as const);
  if (typeof actions === 'string') return actions;
  const control: FaultControl = { ...base, ...actions };
  const { sessionStates } = body;
  if (sessionStates !== undefined) {
    if (!isJsonObject(sessionStates)) return 'sessionStates must be an object of session id to state';
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
