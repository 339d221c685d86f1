/**
 * The fault controls every simulator takes on `POST /__sim/faults` (and `applyFaults` in-process), and the state
 * they set. Each vendor adds its own controls and decides how a failure or a garbage answer looks on its wire.
 */

/** The controls all four simulators share; `E` is the vendor's fault endpoints, `any` included. */
export interface FaultControlBase<E extends string> {
  latencyMs?: number;
  /** The next `count` matching calls fail with `status` (default 500). */
  failNext?: { count: number; status?: number; endpoint?: E };
  /** The next `count` matching calls answer a body of the right status but the wrong shape. */
  garbageNext?: { count: number; endpoint?: E };
  hang?: boolean;
  /** The source forgets every login it handed out (as after a restart). */
  forgetAllSessions?: true;
  rejectLogins?: boolean;
  resetCounters?: true;
}

/** What an API call meets instead of its answer: an injected failure, or the `index`-th garbage answer. */
export type InjectedFault = { kind: 'fail'; status: number } | { kind: 'garbage'; index: number };

/** Pending injected failures and garbage answers, spent one matching call at a time. */
export class FaultQueue<E extends string> {
  private failure = { remaining: 0, status: 500, endpoint: 'any' as E | 'any' };
  private garbage = { remaining: 0, served: 0, endpoint: 'any' as E | 'any' };

  failNext(count: number, opts?: { status?: number; endpoint?: E }): void {
    this.failure = { remaining: count, status: opts?.status ?? 500, endpoint: opts?.endpoint ?? 'any' };
  }

  garbageNext(count: number, opts?: { endpoint?: E }): void {
    this.garbage = { remaining: count, served: 0, endpoint: opts?.endpoint ?? 'any' };
  }

  /** The fault a call to `endpoint` takes, spending it; failures go before garbage. */
  take(endpoint: string): InjectedFault | undefined {
    const matches = (target: string) => target === 'any' || target === endpoint;
    if (this.failure.remaining > 0 && matches(this.failure.endpoint)) {
      this.failure.remaining--;
      return { kind: 'fail', status: this.failure.status };
    }
    if (this.garbage.remaining > 0 && matches(this.garbage.endpoint)) {
      this.garbage.remaining--;
      return { kind: 'garbage', index: this.garbage.served++ };
    }
    return undefined;
  }
}

export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseCounted<E extends string>(
  name: string,
  value: unknown,
  endpoints: readonly E[],
): { count: number; endpoint?: E; raw: Record<string, unknown> } | string {
  if (!isObject(value) || !isCount(value['count'])) return `${name}.count must be a non-negative integer`;
  const endpoint = value['endpoint'];
  if (endpoint === undefined) return { count: value['count'], raw: value };
  if (!(endpoints as readonly unknown[]).includes(endpoint)) {
    return `${name}.endpoint must be one of ${endpoints.join(', ')}`;
  }
  return { count: value['count'], endpoint: endpoint as E, raw: value };
}

/** Checks that each named control, when given, is `true` (a one-shot action) and copies it. */
export function parseActions<K extends string>(
  body: Record<string, unknown>,
  names: readonly K[],
): Partial<Record<K, true>> | string {
  const actions: Partial<Record<K, true>> = {};
  for (const name of names) {
    if (body[name] === undefined) continue;
    if (body[name] !== true) return `${name} must be true when given`;
    actions[name] = true;
  }
  return actions;
}

/** Checks that each named control, when given, is a boolean (a switch) and copies it. */
export function parseSwitches<K extends string>(
  body: Record<string, unknown>,
  names: readonly K[],
): Partial<Record<K, boolean>> | string {
  const switches: Partial<Record<K, boolean>> = {};
  for (const name of names) {
    const value = body[name];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') return `${name} must be a boolean`;
    switches[name] = value;
  }
  return switches;
}

/**
 * Validates the shared controls of a `POST /__sim/faults` body against the vendor's fault `endpoints` (`any`
 * included); returns the reason when one is malformed. Vendor controls are left for the caller.
 */
export function parseFaultControlBase<E extends string>(
  body: Record<string, unknown>,
  endpoints: readonly E[],
): FaultControlBase<E> | string {
  const control: FaultControlBase<E> = {};
  const { latencyMs, failNext, garbageNext } = body;
  if (latencyMs !== undefined) {
    if (!isCount(latencyMs)) return 'latencyMs must be a non-negative integer';
    control.latencyMs = latencyMs;
  }
  if (failNext !== undefined) {
    const parsed = parseCounted('failNext', failNext, endpoints);
    if (typeof parsed === 'string') return parsed;
    const status = parsed.raw['status'];
    if (status !== undefined && !(isCount(status) && status >= 100 && status <= 599)) {
      return 'failNext.status must be an HTTP status (100-599)';
    }
    control.failNext = { count: parsed.count };
    if (status !== undefined) control.failNext.status = status;
    if (parsed.endpoint) control.failNext.endpoint = parsed.endpoint;
  }
  if (garbageNext !== undefined) {
    const parsed = parseCounted('garbageNext', garbageNext, endpoints);
    if (typeof parsed === 'string') return parsed;
    control.garbageNext = { count: parsed.count };
    if (parsed.endpoint) control.garbageNext.endpoint = parsed.endpoint;
  }
  const switches = parseSwitches(body, ['hang', 'rejectLogins'] as const);
  if (typeof switches === 'string') return switches;
  const actions = parseActions(body, ['forgetAllSessions', 'resetCounters'] as const);
  if (typeof actions === 'string') return actions;
  return { ...control, ...switches, ...actions };
}
