import { randomUUID } from 'node:crypto';
import {
  ApplianceAuthError,
  ApplianceError,
  ApplianceTimeoutError,
  ApplianceUnavailableError,
} from '../appliances/errors.js';
import type { ApplianceBase, ProviderSession } from '../appliances/provider.js';
import { type Clock, jitter, letQueuedRequestsLeave, sleep } from '../clock.js';
import type { LoginFailure, SessionStore, StoredSession } from './store.js';

/** How long a stored-session read started ahead (`prefetch`) may stand in for a read of its own. */
const PREFETCH_FRESH_MS = 5_000;

export interface SessionManagerOptions {
  /** How to open a new session on an appliance (the gateway: stored credentials, the kind's client). */
  login: (appliance: ApplianceBase) => Promise<ProviderSession>;
  store: SessionStore;
  clock: Clock;
  /** Renew in the background once a session is this close to expiry. */
  refreshMarginMs: number;
  /** How long a login lease protects the winner before others may take over. */
  leaseMs?: number;
  /** How long a waiter waits for another process's login. */
  waitMs?: number;
  /** How long a refused login blocks further attempts, across processes. */
  authFailureHoldMs?: number;
  /** How long an unreachable appliance blocks further logins, across processes. */
  failureHoldMs?: number;
  onEvent?: (event: SessionEvent) => void;
  /**
   * Told when a refresh replaced a session that still works, so a source with a sign-out can end it (a Password
   * Safe cookie session counts against the user's limit until it closes).
   */
  onReplaced?: (appliance: ApplianceBase, old: ProviderSession) => void;
}

export type SessionEvent =
  | { type: 'login'; applianceId: string; durationMs: number }
  | { type: 'login-failed'; applianceId: string; reason: string }
  | { type: 'invalidated'; applianceId: string }
  | { type: 'refresh-failed'; applianceId: string; reason: string }
  /** A fresh session could not be stored: it still serves this process, and others log in after the lease. */
  | { type: 'store-failed'; applianceId: string; reason: string };

/**
 * Appliance sessions for every request of every process: memory first, then DynamoDB, then one login
 * guarded by a conditional-write lease so 100 cold requests across processes cause one appliance login.
 */
export class SessionManager {
  private readonly memory = new Map<string, ProviderSession>();
  private readonly inflight = new Map<string, Promise<ProviderSession>>();
  /**
   * Fresh logins still being stored (one write: the session, which also releases the lease), by appliance. The
   * first call with a new session overlaps its storing instead of waiting for it: a cold click costs login +
   * call, not one more store round trip. Callers still await it, so nothing runs on after a Lambda answers.
   */
  private readonly storing = new Map<string, Promise<void>>();
  /** Stored-session reads started before the appliance record was known (see `prefetch`), by appliance. */
  private readonly prefetched = new Map<string, { read: Promise<StoredSession | undefined>; at: number }>();
  private readonly owner = randomUUID();
  private readonly leaseMs: number;
  private readonly waitMs: number;

  constructor(private readonly options: SessionManagerOptions) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.waitMs = options.waitMs ?? 14_000;
  }

  /** A valid session for the appliance, stored for other processes; starts a renewal when close to expiry. */
  async get(appliance: ApplianceBase): Promise<ProviderSession> {
    const session = await this.current(appliance);
    await this.storing.get(appliance.id);
    return session;
  }

  /** A valid session, possibly still being stored (see `storing`). */
  private async current(appliance: ApplianceBase): Promise<ProviderSession> {
    const applianceId = appliance.id;
    const now = this.options.clock();
    const cached = this.memory.get(applianceId);
    if (cached && cached.expiresAt > now) {
      if (cached.expiresAt - now < this.options.refreshMarginMs) this.refreshInBackground(appliance, cached);
      return cached;
    }
    return this.singleFlight(applianceId, () => this.acquire(appliance));
  }

  /**
   * Starts reading the appliance's stored session now, for a call that needs it once the appliance record is
   * read: a new container's first click reads both at once instead of one after the other. Only a read: a
   * missing or unusable session still goes through the atomic lease (`acquire`).
   */
  prefetch(applianceId: string): void {
    const cached = this.memory.get(applianceId);
    if (cached && cached.expiresAt > this.options.clock()) return;
    if (this.inflight.has(applianceId) || this.freshPrefetch(applianceId)) return;
    const read = this.options.store.readStored(applianceId);
    read.catch(() => undefined);
    this.prefetched.set(applianceId, { read, at: Date.now() });
  }

  /** A prefetched read young enough to stand in for a read of its own (one a click abandoned goes stale). */
  private freshPrefetch(applianceId: string) {
    const ahead = this.prefetched.get(applianceId);
    return ahead && Date.now() - ahead.at < PREFETCH_FRESH_MS ? ahead : undefined;
  }

  /**
   * Settles once this process holds a session for the appliance or has stopped trying to obtain one (the login
   * lease, a login), with whether there was such a wait: a caller with store writes of its own lets them wait, so
   * they neither compete with the lease for the store nor hold up the login. A renewal in the background is no
   * wait (the current session still serves). Never rejects: whoever obtains the session reports its failure.
   */
  async settled(applianceId: string): Promise<boolean> {
    const cached = this.memory.get(applianceId);
    const running = this.inflight.get(applianceId);
    if (!running || (cached && cached.expiresAt > this.options.clock())) return false;
    await running.catch(() => undefined);
    return true;
  }

  /** A valid session and whether it already existed (no login was needed), for the admin login route. */
  async ensure(appliance: ApplianceBase): Promise<{ session: ProviderSession; reused: boolean }> {
    const cached = this.memory.get(appliance.id);
    if (cached && cached.expiresAt > this.options.clock()) return { session: cached, reused: true };
    const stored = await this.options.store.read(appliance);
    if (stored) return { session: this.remember(appliance.id, stored), reused: true };
    return { session: await this.get(appliance), reused: false };
  }

  /**
   * Runs `call` with a session. If the appliance refuses the session (it forgot it, or it lapsed), the
   * session is dropped, one new one is obtained and the call is retried once.
   */
  async withSession<T>(appliance: ApplianceBase, call: (session: ProviderSession) => Promise<T>): Promise<T> {
    const applianceId = appliance.id;
    const session = await this.current(appliance);
    try {
      return await this.alongsideStoring(applianceId, call(session));
    } catch (error) {
      if (!(error instanceof ApplianceAuthError) || error.step === 'login') throw error;
      // Only here: the store drops it in the update that takes the login lease for its replacement.
      this.forgetHere(applianceId, session.id);
      return this.alongsideStoring(applianceId, call(await this.replacement(appliance, session)));
    }
  }

  /**
   * A session other than `failed`. The store drops the refused session in the same update that takes the login
   * lease (no delete first); a concurrent acquire this call joined may still have handed back the refused one.
   */
  private async replacement(appliance: ApplianceBase, failed: ProviderSession): Promise<ProviderSession> {
    const cached = this.memory.get(appliance.id);
    if (cached && cached.id !== failed.id && cached.expiresAt > this.options.clock()) return cached;
    const fresh = await this.singleFlight(appliance.id, () => this.acquire(appliance, undefined, failed.id));
    if (fresh.id !== failed.id) return fresh;
    this.memory.delete(appliance.id);
    return this.acquire(appliance, undefined, failed.id);
  }

  /** Awaits `work` and any storing of a fresh session for the appliance, so the two overlap. */
  private async alongsideStoring<T>(applianceId: string, work: Promise<T>): Promise<T> {
    const [outcome] = await Promise.allSettled([work, this.storing.get(applianceId)]);
    if (outcome.status === 'rejected') throw outcome.reason;
    return outcome.value;
  }

  /** Forgets a session, only if it is still the one that failed. */
  async invalidate(applianceId: string, sessionId: string): Promise<void> {
    this.forgetHere(applianceId, sessionId);
    await this.options.store.deleteIf(applianceId, sessionId);
  }

  /** Drops a session from this process's memory, only if it is still the one that failed, and says so. */
  private forgetHere(applianceId: string, sessionId: string): void {
    if (this.memory.get(applianceId)?.id === sessionId) this.memory.delete(applianceId);
    this.options.onEvent?.({ type: 'invalidated', applianceId });
  }

  /**
   * Forgets the appliance's session everywhere this process can reach: memory, the stored session and the
   * login lease with any refused-login hold, so the next login uses the stored address and credentials.
   */
  async forget(applianceId: string): Promise<void> {
    const { store } = this.options;
    this.memory.delete(applianceId);
    await store.delete(applianceId);
  }

  private singleFlight(applianceId: string, work: () => Promise<ProviderSession>): Promise<ProviderSession> {
    const running = this.inflight.get(applianceId);
    if (running) return running;
    const promise = work().finally(() => this.inflight.delete(applianceId));
    this.inflight.set(applianceId, promise);
    return promise;
  }

  private refreshInBackground(appliance: ApplianceBase, current: ProviderSession): void {
    const applianceId = appliance.id;
    if (this.inflight.has(applianceId)) return;
    this.singleFlight(applianceId, () => this.acquire(appliance, current)).then(
      (fresh) => {
        if (fresh.id !== current.id) this.options.onReplaced?.(appliance, current);
      },
      (error: unknown) => {
        this.options.onEvent?.({ type: 'refresh-failed', applianceId, reason: describe(error) });
      },
    );
  }

  /**
   * A clean shutdown: ends every session this process holds where the source has a sign-out, and drops it from
   * the shared store so no other process tries a session that is gone. Sources without one keep theirs.
   */
  async signOutAll(
    signOut: (applianceId: string, session: ProviderSession) => Promise<boolean>,
  ): Promise<void> {
    const held = [...this.memory.entries()];
    this.memory.clear();
    await Promise.all(
      held.map(async ([applianceId, session]) => {
        if (await signOut(applianceId, session).catch(() => false)) {
          await this.options.store.deleteIf(applianceId, session.id).catch(() => undefined);
        }
      }),
    );
  }

  /**
   * Memory miss: one conditional store update either hands back a usable stored session or takes the login
   * lease (then log in), else another process holds the lease: wait and ask again, until its session appears.
   */
  private async acquire(
    appliance: ApplianceBase,
    replacing?: ProviderSession,
    refusedSessionId?: string,
  ): Promise<ProviderSession> {
    const applianceId = appliance.id;
    const { store, clock } = this.options;
    const rejected = [refusedSessionId, replacing?.id].filter((id): id is string => id !== undefined);
    const ahead = this.freshPrefetch(applianceId);
    this.prefetched.delete(applianceId);
    if (ahead && rejected.length === 0) {
      const stored = await ahead.read.catch(() => undefined);
      const session = await store.sessionFrom(appliance, stored);
      if (session) return this.remember(applianceId, session);
    }
    const deadline = Date.now() + this.waitMs;
    let delay = 25;
    for (;;) {
      const outcome = await store.acquire(appliance, {
        owner: this.owner,
        leaseMs: this.leaseMs,
        // A refresh wants a session that will not need one soon; anything else, one that has not expired.
        usableAfter: clock() + (replacing ? this.options.refreshMarginMs : 0),
        rejected,
        dropRejected: refusedSessionId !== undefined,
      });
      if (outcome.kind === 'session') return this.remember(applianceId, outcome.session);
      if (outcome.kind === 'leased') return this.loginHoldingLease(appliance);
      if (outcome.failure) throw failureToError(applianceId, outcome.failure);
      if (replacing && replacing.expiresAt > clock()) return replacing;
      if (Date.now() >= deadline) throw new ApplianceTimeoutError(applianceId, 'login', this.waitMs);
      await sleep(jitter(delay));
      delay = Math.min(delay * 2, 400);
    }
  }

  private async loginHoldingLease(appliance: ApplianceBase): Promise<ProviderSession> {
    const applianceId = appliance.id;
    const { store } = this.options;
    try {
      const started = Date.now();
      const session = await this.options.login(appliance);
      this.options.onEvent?.({ type: 'login', applianceId, durationMs: Date.now() - started });
      this.store(appliance, session);
      return this.remember(applianceId, session);
    } catch (error) {
      this.options.onEvent?.({ type: 'login-failed', applianceId, reason: describe(error) });
      const hold = this.holdFor(error);
      await store
        .releaseLease(applianceId, this.owner, hold ? { value: toFailure(error), holdMs: hold } : undefined)
        .catch(() => undefined);
      throw error;
    }
  }

  /** Stores a fresh session; the write releases the lease too (one item), so waiters find the session. */
  private store(appliance: ApplianceBase, session: ProviderSession): void {
    const applianceId = appliance.id;
    const { store } = this.options;
    // The first call with the session is about to be queued: let it leave before the store's SDK work.
    const storing = letQueuedRequestsLeave()
      .then(() => store.write(appliance, session))
      .catch(async (error: unknown) => {
        this.options.onEvent?.({ type: 'store-failed', applianceId, reason: describe(error) });
        await store.releaseLease(applianceId, this.owner).catch(() => undefined);
      })
      .finally(() => {
        if (this.storing.get(applianceId) === storing) this.storing.delete(applianceId);
      });
    this.storing.set(applianceId, storing);
  }

  private holdFor(error: unknown): number {
    if (
      error instanceof ApplianceAuthError ||
      (error instanceof ApplianceError && error.kind === 'credentials')
    ) {
      return this.options.authFailureHoldMs ?? 30_000;
    }
    if (error instanceof ApplianceError) return this.options.failureHoldMs ?? 2_000;
    return 0;
  }

  private remember(applianceId: string, session: ProviderSession): ProviderSession {
    this.memory.set(applianceId, session);
    return session;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}

function toFailure(error: unknown): LoginFailure {
  if (error instanceof ApplianceError) {
    const status = (error as { status?: number }).status;
    return { kind: error.kind, message: error.message, ...(status === undefined ? {} : { status }) };
  }
  return { kind: 'unavailable', message: describe(error) };
}

function failureToError(applianceId: string, failure: LoginFailure): ApplianceError {
  if (failure.kind === 'auth' || failure.kind === 'credentials') {
    return new ApplianceAuthError(applianceId, 'login', failure.status ?? 401);
  }
  return new ApplianceUnavailableError(applianceId, 'login', 'failed a moment ago; not retrying yet');
}
