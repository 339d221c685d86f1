import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import type { ApplianceBase, ProviderSession } from '../appliances/provider.js';
import { providerOf } from '../appliances/providers.js';
import type { Clock } from '../clock.js';
import { type Keyring, sealWith, UnknownSealingKeyError, unsealWith } from '../crypto/index.js';
import { isConditionFailed, storeCall, type Table } from '../store/dynamo.js';

const sessionKey = (applianceId: string) => ({ pk: `SESSION#${applianceId}`, sk: 'SESSION' });
const leaseKey = (applianceId: string) => ({ pk: `SESSION#${applianceId}`, sk: 'SESSION_LEASE' });

/** Why the last login failed, kept on the lease so other processes do not repeat a refused login. */
export interface LoginFailure {
  kind: string;
  status?: number;
  message: string;
}

export type LeaseOutcome = { acquired: true } | { acquired: false; failure?: LoginFailure };

/** The session keyring; `refresh` asks for the newest one (a value names a key this process has not seen). */
export type SessionKeys = (options?: { refresh?: boolean }) => Promise<Keyring>;

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
    private readonly stateSchemaOf: (kind: string) => z.ZodType = (kind) => providerOf(kind).schemas.state,
  ) {}

  /** The stored session if it is still valid and of the appliance's kind, else undefined. */
  async read(appliance: ApplianceBase): Promise<ProviderSession | undefined> {
    const { Item } = await storeCall('read an appliance session', () =>
      this.table.doc.send(
        new GetCommand({ TableName: this.table.name, Key: sessionKey(appliance.id), ConsistentRead: true }),
      ),
    );
    if (!Item || typeof Item.expiresAt !== 'number' || Item.expiresAt <= this.clock()) return undefined;
    // Items written before kinds (`jwtSealed`) or for another kind of the same id cost one login, no migration.
    if (Item.kind !== appliance.kind || typeof Item.stateSealed !== 'string') return undefined;
    try {
      const context = boundTo(appliance, String(Item.sessionId), Item.expiresAt, Item.stateSealed);
      const json = await this.unseal(Item.stateSealed, context);
      const state = this.stateSchemaOf(appliance.kind).safeParse(JSON.parse(json));
      if (!state.success) return undefined;
      return {
        id: String(Item.sessionId),
        principal: String(Item.principal),
        expiresAt: Item.expiresAt,
        state: state.data,
      };
    } catch {
      // Sealed with a rotated key or tampered with: treat as absent and log in again.
      return undefined;
    }
  }

  /** Stores a freshly opened session. */
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

  /** Opens a sealed state with the keyring, re-reading the keys once if it names a key not seen yet. */
  private async unseal(sealed: string, context: string): Promise<string> {
    try {
      return unsealWith(await this.keys(), sealed, context).plaintext;
    } catch (error) {
      if (!(error instanceof UnknownSealingKeyError)) throw error;
      return unsealWith(await this.keys({ refresh: true }), sealed, context).plaintext;
    }
  }

  /** Deletes the stored session only if it is still the one that failed, so a newer one survives. */
  async deleteIf(applianceId: string, sessionId: string): Promise<void> {
    try {
      await storeCall('invalidate an appliance session', () =>
        this.table.doc.send(
          new DeleteCommand({
            TableName: this.table.name,
            Key: sessionKey(applianceId),
            ConditionExpression: 'sessionId = :id',
            ExpressionAttributeValues: { ':id': sessionId },
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  /** Deletes the stored session whatever it is (the credentials or the registration changed). */
  async delete(applianceId: string): Promise<void> {
    await storeCall('forget an appliance session', () =>
      this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: sessionKey(applianceId) })),
    );
  }

  /** Takes the login lease unless another live owner holds it; a held lease may carry the last login failure. */
  async tryLease(applianceId: string, owner: string, leaseMs: number): Promise<LeaseOutcome> {
    const now = this.clock();
    try {
      await storeCall('take the login lease', () =>
        this.table.doc.send(
          new PutCommand({
            TableName: this.table.name,
            Item: {
              ...leaseKey(applianceId),
              owner,
              leaseUntil: now + leaseMs,
              ttl: Math.ceil(now / 1000) + 3600,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR leaseUntil < :now',
            ExpressionAttributeValues: { ':now': now },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return { acquired: true };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const old = (error as { Item?: Record<string, { S?: string; N?: string }> }).Item;
      const failure = old?.failure?.S ? (JSON.parse(old.failure.S) as LoginFailure) : undefined;
      return failure ? { acquired: false, failure } : { acquired: false };
    }
  }

  /** Deletes the login lease whoever holds it, ending a refused-login hold (the credentials changed). */
  async clearLease(applianceId: string): Promise<void> {
    await storeCall('clear the login lease', () =>
      this.table.doc.send(new DeleteCommand({ TableName: this.table.name, Key: leaseKey(applianceId) })),
    );
  }

  /** Releases the lease; with a failure, holds it for `holdMs` so others fail fast instead of retrying. */
  async releaseLease(applianceId: string, owner: string, failure?: { value: LoginFailure; holdMs: number }) {
    const command = failure
      ? new PutCommand({
          TableName: this.table.name,
          Item: {
            ...leaseKey(applianceId),
            owner,
            leaseUntil: this.clock() + failure.holdMs,
            failure: JSON.stringify(failure.value),
            ttl: Math.ceil(this.clock() / 1000) + 3600,
          },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        })
      : new DeleteCommand({
          TableName: this.table.name,
          Key: leaseKey(applianceId),
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        });
    try {
      await storeCall('release the login lease', () => this.table.doc.send(command as PutCommand));
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
