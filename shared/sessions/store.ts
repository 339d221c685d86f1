import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type $ZodType, safeParse } from 'zod/v4/core';
import type { ApplianceBase, ProviderSession } from '../appliances/provider.js';
import { providerOf } from '../appliances/providers.js';
import type { Clock } from '../clock.js';
import { type Keyring, sealWith, UnknownSealingKeyError, unsealWith } from '../crypto/index.js';
import { StoreUnavailableError } from '../errors.js';
import { isConditionFailed, storeCall, type Table } from '../store/dynamo.js';

/**
 * One item per appliance holds both its stored session and its login lease, so that a single conditional
 * update can decide "use the stored session, or take the lease, or wait" atomically (see `acquire`).
 */
const sessionKey = (applianceId: string) => ({ pk: `SESSION#${applianceId}`, sk: 'SESSION' });
/** Unopenable stored sessions one `acquire` replaces before it gives up (another process keeps writing them). */
const MAX_UNOPENED_SESSIONS = 3;
/** The session's own attributes, removed when a refused session is dropped (the lease attributes stay). */
const SESSION_ATTRIBUTES = '#kind, sessionId, principal, stateSealed, expiresAt';

/** Why the last login failed, kept on the lease so other processes do not repeat a refused login. */
export interface LoginFailure {
  kind: string;
  status?: number;
  message: string;
}

/** What one `acquire` decided: a usable stored session, the lease (log in now), or another process's lease. */
export type AcquireOutcome =
  | { kind: 'session'; session: ProviderSession }
  | { kind: 'leased' }
  | { kind: 'held'; failure?: LoginFailure };

export interface AcquireOptions {
  /** The lease owner (one per process). */
  owner: string;
  leaseMs: number;
  /** A stored session must outlive this instant to be used (now, or now plus the refresh margin). */
  usableAfter: number;
  /** Sessions that must not be used (refused by the appliance, or the one being replaced). */
  rejected?: readonly string[];
  /** Drop a rejected stored session when taking the lease, so no other process tries it meanwhile. */
  dropRejected?: boolean;
}

/** The session keyring; `refresh` asks for the newest one (a value names a key this process has not seen). */
export type SessionKeys = (options?: { refresh?: boolean }) => Promise<Keyring>;

/** A stored session item as read, before it is checked against an appliance. */
export type StoredSession = Record<string, unknown>;

/**
 * Appliance sessions shared by every broker process, in DynamoDB. The provider's session state (a JWT, a
 * session id, an access token, a cookie) is sealed with AES-256-GCM bound to the appliance id and kind, the
 * session id and its expiry, and re-parsed with the kind's state schema on read; the item's TTL lets DynamoDB
 * delete it eventually, and expiry is checked on read because TTL deletion runs late.
 *
 * The sealed value names its key. After a key rotation, an item sealed with the previous key still opens (no
 * login), and the next write of that appliance's session (a login or a refresh) seals with the current key; a
 * value naming a key this process does not hold yet makes it re-read the keys secret once, so processes on
 * the old and the new key never log each other out.
 */
export class SessionStore {
  constructor(
    private readonly table: Table,
    private readonly keys: SessionKeys,
    private readonly clock: Clock,
    /** The state schema of a kind: the providers' by default (tests bring an in-memory provider of their own). */
    private readonly stateSchemaOf: (kind: string) => $ZodType = (kind) => providerOf(kind).schemas.state,
  ) {}

  /** The stored session if it is still valid and of the appliance's kind, else undefined. */
  async read(appliance: ApplianceBase): Promise<ProviderSession | undefined> {
    return this.sessionFrom(appliance, await this.readStored(appliance.id));
  }

  /** The stored item as it is (a consistent read), for a caller that learns the appliance's kind later. */
  async readStored(applianceId: string): Promise<StoredSession | undefined> {
    return storeCall('read an appliance session', () =>
      this.table.read(sessionKey(applianceId), { consistent: true }),
    );
  }

  /** The session a stored item holds, if it is still valid, of the appliance's kind and opens. */
  async sessionFrom(
    appliance: ApplianceBase,
    stored: StoredSession | undefined,
  ): Promise<ProviderSession | undefined> {
    if (!stored || typeof stored.expiresAt !== 'number' || stored.expiresAt <= this.clock()) return undefined;
    return this.open(appliance, { ...stored, expiresAt: stored.expiresAt });
  }

  /**
   * The stored session, or the login lease, in one conditional update (no read first, no re-read after): the
   * lease is taken only if no live lease exists and the stored session is unusable (absent, expiring before
   * `usableAfter`, of another kind, or rejected); otherwise the failed condition hands back the item as it
   * was, with the usable session or the holder's lease in it. Atomic on one item, so two processes can never
   * both see "no session" and both log in.
   */
  async acquire(appliance: ApplianceBase, options: AcquireOptions): Promise<AcquireOutcome> {
    const now = this.clock();
    const rejected = [...(options.rejected ?? [])];
    for (let attempt = 0; ; attempt++) {
      const old = await this.tryAcquire(appliance, options, rejected, now);
      if (!old) return { kind: 'leased' };
      const held = typeof old.leaseUntil === 'number' && old.leaseUntil >= now;
      const { sessionId, expiresAt } = old;
      if (
        typeof sessionId === 'string' &&
        !rejected.includes(sessionId) &&
        typeof expiresAt === 'number' &&
        expiresAt > options.usableAfter
      ) {
        const session = await this.open(appliance, { ...old, expiresAt });
        if (session) return { kind: 'session', session };
        // Sealed with a key no longer held, or tampered with: unusable, so the next attempt may replace it.
        if (!held && attempt < MAX_UNOPENED_SESSIONS) {
          rejected.push(sessionId);
          continue;
        }
      }
      if (!held) {
        throw new StoreUnavailableError(
          `the stored session of appliance ${appliance.id} does not open and keeps coming back: ` +
            'check that every broker process reads the same keys secret',
        );
      }
      const failure = typeof old.failure === 'string' ? (JSON.parse(old.failure) as LoginFailure) : undefined;
      return failure ? { kind: 'held', failure } : { kind: 'held' };
    }
  }

  /** The conditional update; undefined when the lease was taken, else the item as the condition saw it. */
  private async tryAcquire(
    appliance: ApplianceBase,
    options: AcquireOptions,
    rejected: readonly string[],
    now: number,
  ): Promise<StoredSession | undefined> {
    const rejectedNames = rejected.map((_, i) => `:rejected${i}`);
    const unusable = [
      'attribute_not_exists(stateSealed)',
      'expiresAt <= :usableAfter',
      '#kind <> :kind',
      ...(rejectedNames.length ? [`sessionId IN (${rejectedNames.join(', ')})`] : []),
    ].join(' OR ');
    const drop = options.dropRejected && rejected.length > 0;
    try {
      await storeCall('take the login lease', () =>
        this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: sessionKey(appliance.id),
            UpdateExpression: `SET #owner = :owner, leaseUntil = :leaseUntil, #ttl = :ttl REMOVE failure${drop ? `, ${SESSION_ATTRIBUTES}` : ''}`,
            ConditionExpression: `(attribute_not_exists(leaseUntil) OR leaseUntil < :now) AND (${unusable})`,
            ExpressionAttributeNames: { '#owner': 'owner', '#kind': 'kind', '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':owner': options.owner,
              ':leaseUntil': now + options.leaseMs,
              // Past any session left in the item: an expired one's TTL must not delete the lease with it.
              ':ttl': Math.ceil(Math.max(now, options.usableAfter) / 1000) + 3600,
              ':now': now,
              ':usableAfter': options.usableAfter,
              ':kind': appliance.kind,
              ...Object.fromEntries(rejected.map((id, i) => [rejectedNames[i], id])),
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return undefined;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      return item ? unmarshall(item) : {};
    }
  }

  /** A stored session's fields → the session, if it is of the appliance's kind and unseals and parses. */
  private async open(
    appliance: ApplianceBase,
    item: StoredSession & { expiresAt: number },
  ): Promise<ProviderSession | undefined> {
    // Items written before kinds (`jwtSealed`) or for another kind of the same id cost one login, no migration.
    if (item.kind !== appliance.kind || typeof item.stateSealed !== 'string') return undefined;
    const context = boundTo(appliance, String(item.sessionId), item.expiresAt, item.stateSealed);
    const json = await this.unseal(item.stateSealed, context);
    if (json === undefined) return undefined;
    try {
      const state = safeParse(this.stateSchemaOf(appliance.kind), JSON.parse(json));
      if (!state.success) return undefined;
      return {
        id: String(item.sessionId),
        principal: String(item.principal),
        expiresAt: item.expiresAt,
        state: state.data,
      };
    } catch {
      // Not JSON: treat as absent and log in again.
      return undefined;
    }
  }

  /**
   * Stores a freshly opened session; the same write releases the login lease (the item is replaced whole), so
   * waiters find the session the moment the lease is gone.
   */
  async write(appliance: ApplianceBase, session: ProviderSession): Promise<void> {
    const stateSealed = sealWith(
      await this.keys(),
      JSON.stringify(session.state),
      boundTo(appliance, session.id, session.expiresAt),
    );
    await storeCall('store an appliance session', () =>
      this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            ...sessionKey(appliance.id),
            kind: appliance.kind,
            sessionId: session.id,
            principal: session.principal,
            stateSealed,
            expiresAt: session.expiresAt,
            ttl: Math.ceil(session.expiresAt / 1000) + 3600,
          },
        }),
      ),
    );
  }

  /**
   * Opens a sealed state with the keyring, re-reading the keys once if it names a key not seen yet; undefined
   * when it does not open (sealed with a retired key, or tampered with), which costs one login. A failure to
   * read the keys themselves is thrown: logging in again could not help, and every click would try.
   */
  private async unseal(sealed: string, context: string): Promise<string | undefined> {
    const open = (keyring: Keyring): string | UnknownSealingKeyError | undefined => {
      try {
        return unsealWith(keyring, sealed, context).plaintext;
      } catch (error) {
        return error instanceof UnknownSealingKeyError ? error : undefined;
      }
    };
    const opened = open(await this.keys());
    if (!(opened instanceof UnknownSealingKeyError)) return opened;
    const again = open(await this.keys({ refresh: true }));
    return typeof again === 'string' ? again : undefined;
  }

  /**
   * Drops the stored session only if it is still the one that failed, so a newer one survives; a login lease on
   * the same item stays.
   */
  async deleteIf(applianceId: string, sessionId: string): Promise<void> {
    try {
      await storeCall('invalidate an appliance session', () =>
        this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: sessionKey(applianceId),
            UpdateExpression: `REMOVE ${SESSION_ATTRIBUTES}`,
            ConditionExpression: 'sessionId = :id',
            ExpressionAttributeNames: { '#kind': 'kind' },
            ExpressionAttributeValues: { ':id': sessionId },
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  /**
   * Deletes the stored session whatever it is, with the login lease and any refused-login hold (the credentials
   * or the registration changed).
   */
  async delete(applianceId: string): Promise<void> {
    await storeCall('forget an appliance session', () =>
      this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: sessionKey(applianceId) })),
    );
  }

  /** Releases the lease; with a failure, holds it for `holdMs` so others fail fast instead of retrying. */
  async releaseLease(applianceId: string, owner: string, failure?: { value: LoginFailure; holdMs: number }) {
    const now = this.clock();
    try {
      await storeCall('release the login lease', () =>
        this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: sessionKey(applianceId),
            ...(failure
              ? {
                  UpdateExpression: 'SET leaseUntil = :holdUntil, failure = :failure',
                  ExpressionAttributeValues: {
                    ':owner': owner,
                    ':holdUntil': now + failure.holdMs,
                    ':failure': JSON.stringify(failure.value),
                  },
                }
              : {
                  UpdateExpression: 'REMOVE #owner, leaseUntil, failure',
                  ExpressionAttributeValues: { ':owner': owner },
                }),
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }
}

/**
 * The sealed state's additional data: an item copied to another appliance or kind, or with its session id or
 * expiry edited, does not unseal. Values sealed before key ids (`v1.`) were bound to the appliance and kind only.
 */
function boundTo(appliance: ApplianceBase, sessionId: string, expiresAt: number, sealed?: string): string {
  const base = `${appliance.id}#${appliance.kind}`;
  return sealed?.startsWith('v1.') ? base : `${base}#${sessionId}#${expiresAt}`;
}
