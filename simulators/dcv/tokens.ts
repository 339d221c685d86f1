import { generateKeyPair, type KeyObject, randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { errors, jwtVerify, SignJWT } from 'jose';

/** The broker's token signing key. The guide's sample ConnectionToken header is `{"kid":…,"typ":"JWT","alg":"RS256"}`. */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

let shared: Promise<SigningKey> | undefined;

/**
 * One RSA key per process, generated on first use: simulators in one test file share it, yet tokens never cross
 * simulators, because each accepts only the token ids it issued itself.
 */
export function defaultSigningKey(): Promise<SigningKey> {
  if (!shared) {
    shared = promisify(generateKeyPair)('rsa', { modulusLength: 2048 }).then(({ privateKey, publicKey }) => ({
      kid: randomUUID(),
      privateKey,
      publicKey,
    }));
    shared.catch(() => {
      shared = undefined;
    });
  }
  return shared;
}

const ACCESS_AUDIENCE = 'dcv-session-manager-api';
const CONNECTION_AUDIENCE = 'dcv-server';
/** The leak sweep needs what was handed out, but a long benchmark must not grow without bound. */
const ISSUED_LIMIT = 50_000;

/** Why a token was refused; the caller turns it into a 401 whose text never repeats the token. */
export type TokenProblem = 'unknown' | 'expired' | 'revoked' | 'used';

interface AccessRecord {
  expiresAt: number;
  revoked: boolean;
  expired: boolean;
}

interface ConnectionRecord {
  sessionId: string;
  user: string;
  expiresAt: number;
  used: boolean;
  expired: boolean;
}

/** A map that drops dead entries once it doubles in size, so pruning stays amortised O(1) per insert. */
class Registry<T extends { expiresAt: number }> {
  readonly entries = new Map<string, T>();
  private pruneAt = 1024;

  constructor(private readonly dead: (entry: T, now: number) => boolean) {}

  add(id: string, entry: T, now: number): void {
    if (this.entries.size >= this.pruneAt) {
      for (const [key, value] of this.entries) if (this.dead(value, now)) this.entries.delete(key);
      this.pruneAt = Math.max(1024, this.entries.size * 2);
    }
    this.entries.set(id, entry);
  }
}

/**
 * Issues and checks the broker's two kinds of JWT: OAuth access tokens (bearer for the API) and connection
 * tokens (`authToken` for the DCV server's web client, one use each). Expiry follows the injected clock.
 */
export class TokenAuthority {
  private readonly access = new Registry<AccessRecord>(
    (entry, now) => entry.revoked || entry.expired || entry.expiresAt <= now,
  );
  private readonly connection = new Registry<ConnectionRecord>(
    (entry, now) => entry.used || entry.expired || entry.expiresAt <= now,
  );
  private readonly issuedTokens: string[] = [];

  constructor(
    private readonly key: SigningKey,
    private readonly issuer: string,
    private readonly now: () => number,
  ) {}

  async issueAccessToken(clientId: string, ttlSeconds: number): Promise<string> {
    const jti = randomUUID();
    const exp = this.expiry(ttlSeconds);
    const token = await this.sign({ client_id: clientId }, clientId, ACCESS_AUDIENCE, jti, exp);
    this.access.add(jti, { expiresAt: exp * 1000, revoked: false, expired: false }, this.now());
    return this.remember(token);
  }

  async checkAccessToken(token: string): Promise<TokenProblem | undefined> {
    const verified = await this.verify(token, ACCESS_AUDIENCE);
    if (typeof verified === 'string') return verified;
    const entry = this.access.entries.get(verified.jti);
    if (!entry) return 'unknown';
    if (entry.revoked) return 'revoked';
    if (entry.expired || entry.expiresAt <= this.now()) return 'expired';
    return undefined;
  }

  async issueConnectionToken(sessionId: string, user: string, ttlSeconds: number): Promise<string> {
    const jti = randomUUID();
    const exp = this.expiry(ttlSeconds);
    const token = await this.sign({ sessionId }, user, CONNECTION_AUDIENCE, jti, exp);
    this.connection.add(
      jti,
      { sessionId, user, expiresAt: exp * 1000, used: false, expired: false },
      this.now(),
    );
    return this.remember(token);
  }

  /** Checks a connection token and, when it is good, spends it: the web client accepts each token once. */
  async redeemConnectionToken(token: string): Promise<{ sessionId: string; user: string } | TokenProblem> {
    const verified = await this.verify(token, CONNECTION_AUDIENCE);
    if (typeof verified === 'string') return verified;
    const entry = this.connection.entries.get(verified.jti);
    if (!entry) return 'unknown';
    if (entry.used) return 'used';
    if (entry.expired || entry.expiresAt <= this.now()) return 'expired';
    entry.used = true;
    return { sessionId: entry.sessionId, user: entry.user };
  }

  revokeAccessTokens(): void {
    for (const entry of this.access.entries.values()) entry.revoked = true;
  }

  expireAll(): void {
    for (const entry of this.access.entries.values()) entry.expired = true;
    for (const entry of this.connection.entries.values()) entry.expired = true;
  }

  issued(): string[] {
    return [...this.issuedTokens];
  }

  private remember(token: string): string {
    if (this.issuedTokens.length >= ISSUED_LIMIT) this.issuedTokens.shift();
    this.issuedTokens.push(token);
    return token;
  }

  private expiry(ttlSeconds: number): number {
    return Math.floor(this.now() / 1000) + ttlSeconds;
  }

  private sign(
    claims: Record<string, string>,
    subject: string,
    audience: string,
    jti: string,
    exp: number,
  ): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.key.kid })
      .setIssuer(this.issuer)
      .setSubject(subject)
      .setAudience(audience)
      .setJti(jti)
      .setIssuedAt(Math.floor(this.now() / 1000))
      .setExpirationTime(exp)
      .sign(this.key.privateKey);
  }

  /** Returns the id of a well-signed, unexpired token for `audience`, or why it is refused. */
  private async verify(token: string, audience: string): Promise<{ jti: string } | TokenProblem> {
    try {
      const { payload } = await jwtVerify(token, this.key.publicKey, {
        algorithms: ['RS256'],
        issuer: this.issuer,
        audience,
        currentDate: new Date(this.now()),
      });
      return typeof payload.jti === 'string' ? { jti: payload.jti } : 'unknown';
    } catch (error) {
      return error instanceof errors.JWTExpired ? 'expired' : 'unknown';
    }
  }
}
