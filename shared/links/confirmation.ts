import { constantTimeEqual, hmacHex } from '../crypto/index.js';

/** How long a rendered confirm page's button works: a page left open longer is shown again, fresh. */
export const CONFIRMATION_LIFETIME_MS = 10 * 60_000;

/**
 * The hidden field of a confirm page's form: `<issued at>.<HMAC of the link and that instant>`. A POST without
 * one this broker rendered for this link, in the last ten minutes, claims nothing: the claim follows a page a
 * browser showed, never a bare request to the URL (what a scanner that replays links with POST would send).
 */
export class ConfirmationCodec {
  private readonly key: Buffer;

  constructor(
    brokerKey: Buffer,
    private readonly clock: () => number,
  ) {
    // Its own key, derived: a confirmation can never stand for a cursor or an API key hash.
    this.key = Buffer.from(hmacHex(brokerKey, 'link-confirmation'), 'hex');
  }

  issue(tokenHash: string): string {
    const at = this.clock();
    return `${at}.${this.sign(tokenHash, at)}`;
  }

  verify(tokenHash: string, value: string | undefined): boolean {
    const match = /^(\d{1,15})\.([0-9a-f]{64})$/.exec(value ?? '');
    if (!match) return false;
    const at = Number(match[1]);
    const age = this.clock() - at;
    return (
      age >= 0 && age <= CONFIRMATION_LIFETIME_MS && constantTimeEqual(match[2]!, this.sign(tokenHash, at))
    );
  }

  private sign(tokenHash: string, at: number): string {
    return hmacHex(this.key, `${tokenHash}:${at}`);
  }
}
