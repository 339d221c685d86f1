import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../crypto/index.js';
import { InvalidInputError } from '../errors.js';

/** Opaque, tamper-evident page cursors: base64url JSON plus an HMAC, scoped to one listing. */
export class CursorCodec {
  constructor(private readonly key: Buffer) {}

  /** Wraps a position (e.g. DynamoDB's LastEvaluatedKey) for the caller to send back. */
  encode(position: Record<string, unknown>, scope: string): string {
    const body = Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
    return `${body}.${this.sign(body, scope)}`;
  }

  /** Unwraps a cursor; anything altered, truncated or from another listing is a 400 on `cursor`. */
  decode(cursor: string, scope: string): Record<string, unknown> {
    const [body, signature, extra] = cursor.split('.');
    if (!body || !signature || extra !== undefined || !constantTimeEqual(signature, this.sign(body, scope))) {
      throw new InvalidInputError([{ field: 'cursor', message: 'is not a cursor this listing issued' }]);
    }
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  private sign(body: string, scope: string): string {
    return createHmac('sha256', this.key).update(`${scope}:${body}`).digest('base64url').slice(0, 22);
  }
}
