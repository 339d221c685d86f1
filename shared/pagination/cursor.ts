import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../crypto/index.js';
import { InvalidInputError } from '../errors.js';

/**
 * Opaque, tamper-evident page cursors: base64url JSON plus an HMAC, scoped to one listing. The key is asked for
 * at each use (the broker reads its keys beside a request's first store calls, not before them).
 */
export class CursorCodec {
  constructor(private readonly key: () => Promise<Buffer>) {}

  /** Wraps a position (e.g. DynamoDB's LastEvaluatedKey) for the caller to send back. */
  async encode(position: Record<string, unknown>, scope: string): Promise<string> {
    const body = Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
    return `${body}.${await this.sign(body, scope)}`;
  }

  /** Unwraps a cursor; anything altered, truncated or from another listing is a 400 on `cursor`. */
  async decode(cursor: string, scope: string): Promise<Record<string, unknown>> {
    const [body, signature, extra] = cursor.split('.');
    if (
      !body ||
      !signature ||
      extra !== undefined ||
      !constantTimeEqual(signature, await this.sign(body, scope))
    ) {
      throw new InvalidInputError([{ field: 'cursor', message: 'is not a cursor this listing issued' }]);
    }
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  }

  private async sign(body: string, scope: string): Promise<string> {
    return createHmac('sha256', await this.key())
      .update(`${scope}:${body}`)
      .digest('base64url')
      .slice(0, 22);
  }
}
