import { randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  user: string;
  createdAt: number;
  lastAccessedAt: number;
}

/** Why a session id did not authenticate; all of them answer the same 401, but tests can tell them apart. */
export type SessionProblem = 'missing' | 'unknown' | 'expired';

/**
 * vCenter API sessions with a sliding idle timeout: every authenticated call moves `lastAccessedAt`, and a
 * session idle for `idleTimeoutMs` or longer is gone (measured with the injected clock).
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private pruneAt = 1024;

  constructor(
    private readonly idleTimeoutMs: number,
    private readonly now: () => number,
  ) {}

  /** Sessions not yet idle-expired. */
  liveCount(): number {
    this.prune();
    return this.sessions.size;
  }

  create(user: string): Session {
    if (this.sessions.size >= this.pruneAt) {
      this.prune();
      // Doubling keeps pruning amortised O(1) when many sessions are legitimately live.
      this.pruneAt = Math.max(1024, this.sessions.size * 2);
    }
    const now = this.now();
    // 32 lowercase hex digits, the shape vCenter's session ids have.
    const session = { id: randomBytes(16).toString('hex'), user, createdAt: now, lastAccessedAt: now };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session for `id`, touched; or why there is none. */
  touch(id: string | undefined): Session | SessionProblem {
    if (!id) return 'missing';
    const session = this.sessions.get(id);
    if (!session) return 'unknown';
    const now = this.now();
    if (this.isIdle(session, now)) {
      this.sessions.delete(id);
      return 'expired';
    }
    session.lastAccessedAt = now;
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  clear(): void {
    this.sessions.clear();
  }

  /** Makes every session idle past the timeout, as if nobody had called for the whole idle period. */
  expireAll(): void {
    for (const session of this.sessions.values()) session.lastAccessedAt = this.now() - this.idleTimeoutMs;
  }

  private isIdle(session: Session, now: number): boolean {
    return now - session.lastAccessedAt >= this.idleTimeoutMs;
  }

  private prune(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (this.isIdle(session, now)) this.sessions.delete(id);
    }
  }
}
