import type { FieldError } from './appliances/dsview/validate.js';

/**
 * Domain failures that callers can act on. Each maps to one problem `type` at the HTTP edge; messages are
 * written for the API caller and never carry a secret.
 */
export abstract class BrokerError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed or breaks a rule; `fields` says which field to fix. */
export class InvalidInputError extends BrokerError {
  readonly code = 'invalid-input';
  constructor(readonly fields: FieldError[]) {
    super(fields.map((f) => `${f.field}: ${f.message}`).join('; '));
  }
}

/** An appliance, device, link or client that does not exist (or is not visible to the caller). */
export class NotFoundError extends BrokerError {
  readonly code = 'not-found';
  constructor(
    readonly resource: 'appliance' | 'device' | 'link' | 'client' | 'route',
    readonly id: string,
  ) {
    super(`${resource} ${JSON.stringify(id)} was not found`);
  }
}

/** No credential, or one the broker does not know. */
export class UnauthorizedError extends BrokerError {
  readonly code = 'unauthorized';
}

/** A known client asking for something outside its scopes or appliance allow-list. */
export class ForbiddenError extends BrokerError {
  readonly code = 'forbidden';
}

/** Too many requests from one client or source; `retryAfterSeconds` tells when to try again. */
export class RateLimitedError extends BrokerError {
  readonly code = 'rate-limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The broker's own state store (DynamoDB, Secrets Manager) failed; nothing was changed. */
export class StoreUnavailableError extends BrokerError {
  readonly code = 'store-unavailable';
}
