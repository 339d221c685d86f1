import {
  type FaultControlBase,
  parseActions,
  parseFaultControlBase,
  parseSwitches,
} from '../common/faults.js';
import { isJsonObject, proxyErrorPage } from '../common/http.js';
import { isPowerState, type PowerState } from './inventory.js';
import { ERROR_STATUS, type ErrorType, json, type Reply } from './vapi.js';

/** The API calls faults, latency and hangs apply to; `session` is who-am-I and logout. */
export type ApiEndpoint = 'login' | 'session' | 'list' | 'launch';
/** Which call a fault targets: `launch` is the ticket mint; `any` matches every API call. */
export type FaultEndpoint = 'login' | 'list' | 'launch' | 'any';

/** The body `POST /__sim/faults` takes; `applyFaults` takes the same in-process. */
export interface FaultControl extends FaultControlBase<FaultEndpoint> {
  /** Failures answer a vAPI envelope of `errorType` (default: the type real vCenter sends for the status). */
  failNext?: NonNullable<FaultControlBase<FaultEndpoint>['failNext']> & { errorType?: ErrorType };
  expireIdleSessions?: true;
  /** Whether the logged-in user holds the console privilege (false: tickets answer 403 UNAUTHORIZED). */
  consolePrivilege?: boolean;
  /** VM id to new power state, e.g. `{"vm-42": "POWERED_OFF"}`. */
  powerStates?: Record<string, PowerState>;
}

const FAULT_ENDPOINTS: readonly FaultEndpoint[] = ['login', 'list', 'launch', 'any'];

/** A body of the right status but the wrong shape, alternating an HTML proxy page and JSON of the wrong type. */
export function garbageReply(endpoint: ApiEndpoint, index: number): Reply {
  const status = endpoint === 'login' ? 201 : 200;
  if (index % 2 === 0) return proxyErrorPage(status);
  const wrongShape = {
    login: { session: null },
    session: { user: 42 },
    list: { count: 0 },
    launch: { url: null },
  };
  return json(status, wrongShape[endpoint]);
}

function isErrorType(value: unknown): value is ErrorType {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}

function parsePowerStates(p: unknown): Record<string, PowerState> | string {
  if (!isJsonObject(p)) return 'powerStates must be an object of vm id to power state';
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
  const base = parseFaultControlBase(body, FAULT_ENDPOINTS);
  if (typeof base === 'string') return base;
  const switches = parseSwitches(body, ['consolePrivilege'] as const);
  if (typeof switches === 'string') return switches;
  const actions = parseActions(body, ['expireIdleSessions'] as const);
  if (typeof actions === 'string') return actions;
  const control: FaultControl = { ...base, ...switches, ...actions };
  const failNext = body['failNext'];
  const errorType = isJsonObject(failNext) ? failNext['errorType'] : undefined;
  if (errorType !== undefined) {
    if (!isErrorType(errorType))
      return `failNext.errorType must be one of ${Object.keys(ERROR_STATUS).join(', ')}`;
    if (control.failNext) control.failNext.errorType = errorType;
  }
  if (body['powerStates'] !== undefined) {
    const powerStates = parsePowerStates(body['powerStates']);
    if (typeof powerStates === 'string') return powerStates;
    control.powerStates = powerStates;
  }
  return control;
}
