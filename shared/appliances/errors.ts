/**
 * Typed failures of an appliance call. Every message names the appliance and the step and never carries a
 * password, a JWT or a ticket, so callers may log or return `message` as it is. The step is the source's own
 * verb (`login` is the one the core treats specially: a refused login is not a lapsed session).
 */
export type ApplianceStep = string;

/** The base of every appliance failure: which appliance, which step. */
export abstract class ApplianceError extends Error {
  abstract readonly kind:
    | 'auth'
    | 'credentials'
    | 'permission'
    | 'unavailable'
    | 'timeout'
    | 'protocol'
    | 'tls';
  constructor(
    readonly applianceId: string,
    readonly step: ApplianceStep,
    detail: string,
  ) {
    super(`appliance ${applianceId}: ${step} ${detail}`);
    this.name = new.target.name;
  }
}

/** The appliance answered 401/403: stored credentials were refused or the session is no longer valid. */
export class ApplianceAuthError extends ApplianceError {
  readonly kind = 'auth';
  constructor(
    applianceId: string,
    step: ApplianceStep,
    readonly status: number,
  ) {
    super(applianceId, step, `was refused with HTTP ${status}`);
  }
}

/** The appliance could not be reached or answered with a server error. */
export class ApplianceUnavailableError extends ApplianceError {
  readonly kind = 'unavailable';
  constructor(
    applianceId: string,
    step: ApplianceStep,
    detail: string,
    readonly status?: number,
  ) {
    super(applianceId, step, detail);
  }
}

/** The appliance did not answer within the configured timeout. */
export class ApplianceTimeoutError extends ApplianceError {
  readonly kind = 'timeout';
  constructor(
    applianceId: string,
    step: ApplianceStep,
    readonly timeoutMs: number,
  ) {
    super(applianceId, step, `did not answer within ${timeoutMs} ms`);
  }
}

/** The appliance answered something that is not the documented shape. */
export class ApplianceProtocolError extends ApplianceError {
  readonly kind = 'protocol';
}

/** The appliance's TLS certificate did not match the pinned CA or fingerprint. */
export class ApplianceTlsError extends ApplianceError {
  readonly kind = 'tls';
}

/** The broker holds no usable credentials for the appliance: an operator must store them. */
export class ApplianceCredentialsMissingError extends ApplianceError {
  readonly kind = 'credentials';
  constructor(applianceId: string) {
    super(applianceId, 'login', 'has no stored credentials');
  }
}

/** The source's account lacks a privilege the launch needs (vCenter `UNAUTHORIZED`): an operator must grant it. */
export class AppliancePermissionError extends ApplianceError {
  readonly kind = 'permission';
}
