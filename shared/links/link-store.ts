import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ViewerRequest } from '../appliances/provider.js';
import type { Clock } from '../clock.js';
import { isConditionFailed, storeCall, type Table } from '../store/dynamo.js';

/** Expired links stay answerable (410 with a fallback URL) this long before DynamoDB's TTL removes them. */
const KEEP_AFTER_EXPIRY_SECONDS = 30 * 86_400;

const linkKey = (tokenHash: string) => ({ pk: `LINK#${tokenHash}`, sk: 'LINK' });
const linkIdKey = (id: string) => ({ pk: `LINKID#${id}`, sk: 'LINKID' });
/** gsi1 partition of a creator's links, newest last by `<createdAt>#<id>`: what listing and bulk revocation read. */
export const linksOfCreator = (createdBy: string) => `LINKS#${createdBy}`;
const linkIndexSortKey = (record: LinkRecord) => `${String(record.createdAt).padStart(15, '0')}#${record.id}`;

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
  /** GET answers a page with a button and uses nothing up; only the button's POST claims (scanner-proof). */
  confirm?: boolean | undefined;
  /** Access requests this link's clicks opened at the source (Password Safe), checked in when it is revoked. */
  requestIds?: Set<string> | undefined;
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
  /** A live confirm link met by a GET: nothing was claimed; the person confirms with the page's button. */
  | { kind: 'confirm'; link: LinkRecord }
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
            {
              Put: {
                TableName: table.name,
                Item: {
                  ...linkKey(tokenHash),
                  gsi1pk: linksOfCreator(record.createdBy),
                  gsi1sk: linkIndexSortKey(record),
                  ...record,
                  ttl,
                },
              },
            },
            {
              Put: {
                TableName: table.name,
                Item: {
                  ...linkIdKey(record.id),
                  tokenHash,
                  createdBy: record.createdBy,
                  applianceId: record.applianceId,
                  ttl,
                },
              },
            },
          ],
        }),
      ),
    );
  }

  /** The token hash, creator and appliance behind a public link id (the appliance: links made since it is kept). */
  async byId(
    id: string,
  ): Promise<{ tokenHash: string; createdBy: string; applianceId?: string | undefined } | undefined> {
    const { Item } = await storeCall('read a link', () =>
      this.table.doc.send(
        new GetCommand({ TableName: this.table.name, Key: linkIdKey(id), ConsistentRead: true }),
      ),
    );
    if (!Item) return undefined;
    return {
      tokenHash: String(Item.tokenHash),
      createdBy: String(Item.createdBy),
      ...(typeof Item.applianceId === 'string' ? { applianceId: Item.applianceId } : {}),
    };
  }

  /**
   * One page of a creator's links that are live now (not revoked, not expired, not a used single-use link),
   * newest first, with their token hashes (never shown: revocation needs them). A filtered page may hold fewer
   * than `limit` links while `next` says there are more.
   */
  async liveOf(
    createdBy: string,
    page: { limit: number; start?: Record<string, unknown> | undefined },
  ): Promise<{ links: (LinkRecord & { tokenHash: string })[]; next?: Record<string, unknown> }> {
    const { Items, LastEvaluatedKey } = await storeCall('list links', () =>
      this.table.doc.send(
        new QueryCommand({
          TableName: this.table.name,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :pk',
          FilterExpression:
            'attribute_not_exists(revokedAt) AND expiresAt > :now AND (singleUse = :false OR uses = :zero)',
          ExpressionAttributeValues: {
            ':pk': linksOfCreator(createdBy),
            ':now': this.clock(),
            ':false': false,
            ':zero': 0,
          },
          ScanIndexForward: false,
          Limit: page.limit,
          ExclusiveStartKey: page.start,
        }),
      ),
    );
    const links = (Items ?? []).map(({ pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ttl: _t, ...link }) => ({
      ...(link as LinkRecord),
      tokenHash: String(pk).slice('LINK#'.length),
    }));
    return LastEvaluatedKey ? { links, next: LastEvaluatedKey } : { links };
  }

  /** Remembers an access request a click opened at the source, so revoking the link can check it in. */
  async recordRequest(tokenHash: string, requestId: string): Promise<void> {
    await storeCall('record a link request', () =>
      this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: linkKey(tokenHash),
          UpdateExpression: 'ADD requestIds :id',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':id': new Set([requestId]) },
        }),
      ),
    );
  }

  async byTokenHash(tokenHash: string): Promise<LinkRecord | undefined> {
    const { Item } = await storeCall('read a link', () =>
      this.table.doc.send(
        new GetCommand({ TableName: this.table.name, Key: linkKey(tokenHash), ConsistentRead: true }),
      ),
    );
    return Item as LinkRecord | undefined;
  }

  /** Marks a link revoked; the revoked link (with its recorded requests), or undefined when there is none. */
  async revoke(tokenHash: string): Promise<LinkRecord | undefined> {
    try {
      const { Attributes } = await storeCall('revoke a link', () =>
        this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: linkKey(tokenHash),
            UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':now': this.clock() },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return Attributes as LinkRecord;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * One conditional update claims a live link (atomically for single-use links: one click wins). Unless the
   * click is `confirmed` (the confirm page's POST), a confirm link is not claimed: the same update refuses it
   * and answers `confirm`, so a one-click link still costs one write and a confirm link none.
   */
  async claim(tokenHash: string, confirmed: boolean): Promise<ClaimOutcome> {
    const now = this.clock();
    const confirmCondition = confirmed ? '' : ' AND (attribute_not_exists(confirm) OR confirm = :false)';
    try {
      const { Attributes } = await storeCall('claim a link', () =>
        this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
            Key: linkKey(tokenHash),
            UpdateExpression: 'SET lastUsedAt = :now ADD uses :one',
            ConditionExpression:
              'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND expiresAt > :now AND (singleUse = :false OR uses = :zero)' +
              confirmCondition,
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
      if (state === 'live' && link.confirm && !confirmed) return { kind: 'confirm', link };
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
