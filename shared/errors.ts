/** A rule violation tied to the request field the caller must change. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * Domain failures that callers can act on. Each maps to one problem `type` at the HTTP edge; messages are
 * written for the API caller and never carry a secret.
 */
export abstract class BrokerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed or breaks a rule; `fields` says which field to fix. */
export class InvalidInputError extends BrokerError {
  constructor(readonly fields: FieldError[]) {
    super(fields.map((f) => `${f.field}: ${f.message}`).join('; '));
  }
}

/**
 * What to tell a person about one validation issue of `input`. zod words a missing field as a wrong type
 * ("expected string, received undefined") or with the schema's own rule ("must be an https:// URL"); the API and
 * the configuration file say "is required" instead, which is what the person has to fix.
 */
export function issueMessage(
  input: unknown,
  issue: { path: readonly PropertyKey[]; message: string },
): string {
  let value = input;
  for (const key of issue.path) {
    if (value === null || typeof value !== 'object') return issue.message;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value === undefined ? 'is required' : issue.message;
}

/** An appliance, device, link or client that does not exist (or is not visible to the caller). */
export class NotFoundError extends BrokerError {
  constructor(
    readonly resource: 'appliance' | 'device' | 'link' | 'client' | 'route',
    readonly id: string,
  ) {
    super(`${resource} ${JSON.stringify(id)} was not found`);
  }
}

/** No credential, or one the broker does not know. */
export class UnauthorizedError extends BrokerError {}

/** A known client asking for something outside its scopes or appliance allow-list. */
export class ForbiddenError extends BrokerError {}

/** Too many requests from one client or source; `retryAfterSeconds` tells when to try again. */
export class RateLimitedError extends BrokerError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The broker's own state store (DynamoDB, Secrets Manager) failed; nothing was changed. */
export class StoreUnavailableError extends BrokerError {}

/**
 * The target exists but cannot be opened now (a powered-off VM asked for WEBMKS, a DCV session that is not
 * READY, a denied access request): 409, and `reason` says why in words a technician understands.
 */
export class DeviceUnavailableError extends BrokerError {
  constructor(
    readonly deviceId: string,
    readonly reason: string,
  ) {
    super(`device ${deviceId} cannot be opened now: ${reason}`);
  }
}
