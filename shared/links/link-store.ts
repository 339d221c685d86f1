import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ViewerRequest } from '../appliances/provider.js';
import type { Clock } from '../clock.js';
import { isConditionFailed, storeCall, type Table } from '../store/dynamo.js';

/** Expired links stay answerable (410 with a fallback URL) this long before DynamoDB's TTL removes them. */
const KEEP_AFTER_EXPIRY_SECONDS = 30 * 86_400;

const linkKey = (tokenHash: string) => ({ pk: `LINK#${tokenHash}`, sk: 'LINK' });
const linkIdKey = (id: string) => ({ pk: `LINKID#${id}`, sk: 'LINKID' });

/** A stored link. The token itself is never stored: the item is keyed by its SHA-256. */
export interface LinkRecord extends ViewerRequest {
  id: string;
  createdBy: string;
  applianceId: string;
  deviceId: string;
  /** What the device was when the link was made: a click launches without listing devices again. */
  device?: { name: string; type: string; owner?: string } | undefined;
  reason?: string | undefined;
  singleUse: boolean;
  createdAt: number;
  expiresAt: number;
  uses?: number;
  lastUsedAt?: number;
  revokedAt?: number;
}

/** Why a link cannot be used now. */
export type LinkState = 'live' | 'not_found' | 'revoked' | 'expired' | 'used';

export type ClaimOutcome =
  | { kind: 'claimed'; link: LinkRecord; claimedAt: number }
  | { kind: 'refused'; state: Exclude<LinkState, 'live'>; link?: LinkRecord };

/** The launch fields of a stored link, as a provider takes them. */
export function viewerRequestOf(link: ViewerRequest): ViewerRequest {
  return {
    viewerType: link.viewerType,
    ...(link.sharingMode === undefined ? {} : { sharingMode: link.sharingMode }),
    ...(link.mouseMode === undefined ? {} : { mouseMode: link.mouseMode }),
    ...(link.user === undefined ? {} : { user: link.user }),
  };
}

/**
 * Link items in DynamoDB: `LINK#<tokenHash>` holds the link, `LINKID#<id>` maps the public id to it. Every
 * state change is one conditional write, so concurrent clicks and revocations cannot both win.
 */
export class LinkStore {
  constructor(
    private readonly table: Table,
    private readonly clock: Clock,
  ) {}

  async put(tokenHash: string, record: LinkRecord): Promise<void> {
    const { table } = this;
    const ttl = Math.ceil(record.expiresAt / 1000) + KEEP_AFTER_EXPIRY_SECONDS;
    await storeCall('store a link', () =>
      table.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table.name, Item: { ...linkKey(tokenHash), ...record, ttl } } },
            {
              Put: {
                TableName: table.name,
                Item: { ...linkIdKey(record.id), tokenHash, createdBy: record.createdBy, ttl },
              },
            },
          ],
        }),
      ),
    );
  }

  /** The token hash and creator behind a public link id. */
  async byId(id: string): Promise<{ tokenHash: string; createdBy: string } | undefined> {
    const { Item } = await storeCall('read a link', () =>
      this.table.doc.send(
        new GetCommand({ TableName: this.table.name, Key: linkIdKey(id), ConsistentRead: true }),
      ),
    );
    return Item ? { tokenHash: String(Item.tokenHash), createdBy: String(Item.createdBy) } : undefined;
  }

  async byTokenHash(tokenHash: string): Promise<LinkRecord | undefined> {
    const { Item } = await storeCall('read a link', () =>
      this.table.doc.send(
        new GetCommand({ TableName: this.table.name, Key: linkKey(tokenHash), ConsistentRead: true }),
      ),
    );
    return Item as LinkRecord | undefined;
  }

  /** Marks a link revoked; false when there is no such link. */
  async revoke(tokenHash: string): Promise<boolean> {
    try {
      await storeCall('revoke a link', () =>
        this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: linkKey(tokenHash),
            UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':now': this.clock() },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** One conditional update claims a live link (atomically for single-use links: one click wins). */
  async claim(tokenHash: string): Promise<ClaimOutcome> {
    const now = this.clock();
    try {
      const { Attributes } = await storeCall('claim a link', () =>
        this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: linkKey(tokenHash),
            UpdateExpression: 'SET lastUsedAt = :now ADD uses :one',
            ConditionExpression:
              'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND expiresAt > :now AND (singleUse = :false OR uses = :zero)',
            ExpressionAttributeValues: { ':now': now, ':one': 1, ':zero': 0, ':false': false },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return { kind: 'claimed', link: Attributes as LinkRecord, claimedAt: now };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const old = (error as { Item?: Record<string, AttributeValue> }).Item;
      if (!old) return { kind: 'refused', state: 'not_found' };
      const link = unmarshall(old) as LinkRecord;
      const state = this.stateOf(link);
      return { kind: 'refused', state: state === 'live' ? 'used' : state, link };
    }
  }

  /** Gives a single-use claim back (a failed or pending launch), unless someone else has claimed it since. */
  async release(tokenHash: string, claimedAt: number): Promise<void> {
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: linkKey(tokenHash),
        UpdateExpression: 'SET uses = :zero REMOVE lastUsedAt',
        ConditionExpression: 'uses = :one AND lastUsedAt = :at',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':at': claimedAt },
      }),
    );
  }

  stateOf(link: LinkRecord): LinkState {
    if (link.revokedAt !== undefined) return 'revoked';
    if (link.expiresAt <= this.clock()) return 'expired';
    if (link.singleUse && (link.uses ?? 0) > 0) return 'used';
    return 'live';
  }
}
