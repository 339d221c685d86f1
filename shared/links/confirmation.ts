import { constantTimeEqual, hmacHex } from '../crypto/index.js';

/** How long a rendered confirm page's button works: a page left open longer is shown again, fresh. */
export const CONFIRMATION_LIFETIME_MS = 10 * 60_000;

/**
 * The hidden field of a confirm page's form: `<issued at>.<HMAC of the link and that instant>`. A POST without
 * one this broker rendered for this link, in the last ten minutes, claims nothing: the claim follows a page a
 * browser showed, never a bare request to the URL (what a scanner that replays links with POST would send).
 */
export class ConfirmationCodec {
  private derived: { from: Buffer; key: Buffer } | undefined;

  constructor(
    /** Asked for at each use: the broker reads its keys beside a click's claim, not before it. */
    private readonly brokerKey: () => Promise<Buffer>,
    private readonly clock: () => number,
  ) {}

  async issue(tokenHash: string): Promise<string> {
    const at = this.clock();
    return `${at}.${await this.sign(tokenHash, at)}`;
  }

  /** False at once for a click without a well-formed field (every GET): no key is needed to say no. */
  async verify(tokenHash: string, value: string | undefined): Promise<boolean> {
    const match = /^(\d{1,15})\.([0-9a-f]{64})$/.exec(value ?? '');
    if (!match) return false;
    const at = Number(match[1]);
    const age = this.clock() - at;
    if (age < 0 || age > CONFIRMATION_LIFETIME_MS) return false;
    return constantTimeEqual(match[2]!, await this.sign(tokenHash, at));
  }

  private async sign(tokenHash: string, at: number): Promise<string> {
    return hmacHex(this.keyFrom(await this.brokerKey()), `${tokenHash}:${at}`);
  }

  /** Its own key, derived once per broker key: a confirmation can never stand for a cursor or an API key hash. */
  private keyFrom(brokerKey: Buffer): Buffer {
    if (this.derived?.from !== brokerKey) {
      this.derived = { from: brokerKey, key: Buffer.from(hmacHex(brokerKey, 'link-confirmation'), 'hex') };
    }
    return this.derived.key;
  }
}
