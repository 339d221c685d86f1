import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { launchUrl } from '../appliances/dsview/launch-url.js';
import { ApplianceError } from '../appliances/errors.js';
import type { Appliance, MouseMode, SharingMode, ViewerRequest, ViewerType } from '../appliances/types.js';
import type { AuditLog, AuditOutcome, RequestSource } from '../audit/audit-log.js';
import { hasScope, type Principal, requireAppliance } from '../auth/principal.js';
import { type Clock, letQueuedRequestsLeave } from '../clock.js';
import { randomToken, sha256Hex } from '../crypto/index.js';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../errors.js';
import type { ApplianceRegistry } from '../registry/appliances.js';
import { isConditionFailed, storeCall, type Table } from '../store/dynamo.js';
import { failureOutcome, type IssuedTicket, type TicketService } from '../tickets/ticket-service.js';

/** Link tokens: 24 random bytes (192 bits), 32 base64url characters. Nothing else is in the URL. */
const TOKEN_BYTES = 24;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;
/** Expired links stay answerable (410 with a fallback URL) this long before DynamoDB's TTL removes them. */
const KEEP_AFTER_EXPIRY_SECONDS = 30 * 86_400;
/** Multi-use links a process remembers (their fixed fields only) so a repeat click mints while it claims. */
const KNOWN_LINKS_MAX = 1024;

const linkKey = (tokenHash: string) => ({ pk: `LINK#${tokenHash}`, sk: 'LINK' });
const linkIdKey = (id: string) => ({ pk: `LINKID#${id}`, sk: 'LINKID' });

/** A stored link. The token itself is never stored: the item is keyed by its SHA-256. */
export interface LinkRecord {
  id: string;
  createdBy: string;
  applianceId: string;
  deviceId: string;
  viewerType: ViewerType;
  sharingMode?: SharingMode | undefined;
  mouseMode?: MouseMode | undefined;
  singleUse: boolean;
  createdAt: number;
  expiresAt: number;
  uses?: number;
  lastUsedAt?: number;
  revokedAt?: number;
}

export interface CreateLinkInput extends ViewerRequest {
  applianceId: string;
  deviceId: string;
  ttlSeconds?: number | undefined;
  singleUse?: boolean | undefined;
}

export interface CreatedLink {
  id: string;
  url: string;
  expiresAt: number;
  singleUse: boolean;
}

/** Why a link cannot be used now. */
export type LinkState = 'live' | 'not_found' | 'revoked' | 'expired' | 'used';

/** The outcome of a click: a redirect, or a refusal with what the person can still do. */
export type ClickResult =
  | { kind: 'redirect'; location: string; linkId: string }
  | { kind: 'refused'; state: Exclude<LinkState, 'live'>; fallbackUrl?: string }
  | { kind: 'failed'; error: unknown; fallbackUrl: string };

export interface LinkServiceOptions {
  table: Table;
  clock: Clock;
  registry: ApplianceRegistry;
  tickets: TicketService;
  audit: AuditLog;
  publicBaseUrl: () => string;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  /** Told when a failed click could not give its single-use claim back (the link stays used). */
  warn: (message: string, error: unknown) => void;
}

/** One-click launch links: created validated, stored by token hash, redeemed with one ticket per click. */
export class LinkService {
  /**
   * Multi-use links this process has redeemed, by token hash. A link's target never changes, so a repeat click
   * can mint its ticket during the claim instead of after it: one appliance round trip, not a store write plus
   * one. The claim still decides; a ticket minted for a click it refuses is never shown and expires unused.
   */
  private readonly known = new Map<string, LinkRecord>();

  constructor(private readonly options: LinkServiceOptions) {}

  /** Validates everything a click will need, then stores the link; the token appears only in the returned URL. */
  async create(principal: Principal, input: CreateLinkInput): Promise<CreatedLink> {
    const { defaultTtlSeconds, maxTtlSeconds, clock, table } = this.options;
    const ttlSeconds = input.ttlSeconds ?? defaultTtlSeconds;
    if (ttlSeconds < 1 || ttlSeconds > maxTtlSeconds) {
      throw new InvalidInputError([
        { field: 'ttlSeconds', message: `must be between 1 and ${maxTtlSeconds}` },
      ]);
    }
    requireAppliance(principal, input.applianceId);
    const request = viewerRequest(input);
    await this.options.tickets.validate({
      applianceId: input.applianceId,
      deviceId: input.deviceId,
      request,
    });

    const token = randomToken(TOKEN_BYTES);
    const tokenHash = sha256Hex(token);
    const now = clock();
    const record: LinkRecord = {
      id: `lnk_${randomToken(16)}`,
      createdBy: principal.clientId,
      applianceId: input.applianceId,
      deviceId: input.deviceId,
      ...request,
      singleUse: input.singleUse ?? false,
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
      uses: 0,
    };
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
    return {
      id: record.id,
      url: `${this.options.publicBaseUrl()}/launch/${token}`,
      expiresAt: record.expiresAt,
      singleUse: record.singleUse,
    };
  }

  /** Revokes a link at once; only its creator or an admin may. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const { table, clock } = this.options;
    const { Item } = await storeCall('read a link', () =>
      table.doc.send(new GetCommand({ TableName: table.name, Key: linkIdKey(id), ConsistentRead: true })),
    );
    if (!Item) throw new NotFoundError('link', id);
    if (Item.createdBy !== principal.clientId && !hasScope(principal, 'admin')) {
      throw new ForbiddenError(`link ${id} was created by another client; only it or an admin may revoke it`);
    }
    this.known.delete(String(Item.tokenHash));
    await storeCall('revoke a link', () =>
      table.doc.send(
        new UpdateCommand({
          TableName: table.name,
          Key: linkKey(String(Item.tokenHash)),
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':now': clock() },
        }),
      ),
    ).catch((error: unknown) => {
      if (isConditionFailed(error)) throw new NotFoundError('link', id);
      throw error;
    });
  }

  /** What a click would meet, without minting or using anything up (for HEAD and link previewers). */
  async inspect(token: string): Promise<LinkState> {
    if (!TOKEN_PATTERN.test(token)) return 'not_found';
    const { table } = this.options;
    const { Item } = await storeCall('read a link', () =>
      table.doc.send(
        new GetCommand({ TableName: table.name, Key: linkKey(sha256Hex(token)), ConsistentRead: true }),
      ),
    );
    return Item ? this.stateOf(Item as LinkRecord) : 'not_found';
  }

  /**
   * The click: one conditional update claims the link (atomically for single-use links, so concurrent clicks
   * give one redirect), one ticket is minted with the cached session, and a failed mint gives the claim back.
   */
  async click(token: string, source: RequestSource): Promise<ClickResult> {
    if (!TOKEN_PATTERN.test(token)) return { kind: 'refused', state: 'not_found' };
    const tokenHash = sha256Hex(token);
    const known = this.known.get(tokenHash);
    const early =
      known && known.expiresAt > this.options.clock()
        ? this.options.registry.get(known.applianceId).then((target) => this.mintFor(target, known))
        : undefined;
    // Abandoned when the claim refuses or fails; awaited (and its failure handled) below otherwise.
    if (early) await letQueuedRequestsLeave(early);
    const claim = await this.claim(tokenHash);
    if (claim.kind === 'refused') {
      this.known.delete(tokenHash);
      return this.refuse(claim.state, claim.link, source);
    }
    const link = claim.link;
    if (!link.singleUse) this.remember(tokenHash, link);
    const request = viewerRequest(link);
    const audit = {
      linkId: link.id,
      applianceId: link.applianceId,
      deviceId: link.deviceId,
      ...request,
      ...source,
    };
    let appliance: Appliance | undefined;
    try {
      // Inside the try: a registry failure after the claim must give a single-use link back too.
      const target = await this.options.registry.get(link.applianceId);
      appliance = target;
      const issued = await this.options.audit.around(
        { ...audit, outcome: 'redirected' },
        () => early ?? this.mintFor(target, link),
        failureOutcome,
      );
      return { kind: 'redirect', location: issued.launchUrl, linkId: link.id };
    } catch (error) {
      if (link.singleUse) {
        await this.release(tokenHash, claim.claimedAt).catch((releaseError) =>
          this.options.warn('a failed click could not release its single-use link', releaseError),
        );
      }
      if (!(error instanceof ApplianceError) || !appliance) throw error;
      return {
        kind: 'failed',
        error,
        fallbackUrl: launchUrl({ baseUrl: appliance.baseUrl, deviceId: link.deviceId, ...request }),
      };
    }
  }

  /** Mints the ticket a click on `link` redirects with. */
  private mintFor(target: Appliance, link: LinkRecord): Promise<IssuedTicket> {
    return this.options.tickets.mint(target, {
      applianceId: link.applianceId,
      deviceId: link.deviceId,
      request: viewerRequest(link),
    });
  }

  private remember(tokenHash: string, link: LinkRecord): void {
    if (this.known.has(tokenHash)) return;
    if (this.known.size >= KNOWN_LINKS_MAX) this.known.delete(this.known.keys().next().value as string);
    this.known.set(tokenHash, link);
  }

  private async claim(
    tokenHash: string,
  ): Promise<
    | { kind: 'claimed'; link: LinkRecord; claimedAt: number }
    | { kind: 'refused'; state: Exclude<LinkState, 'live'>; link?: LinkRecord }
  > {
    const { table, clock } = this.options;
    const now = clock();
    try {
      const { Attributes } = await storeCall('claim a link', () =>
        table.doc.send(
          new UpdateCommand({
            TableName: table.name,
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

  /** Gives a single-use claim back after a failed mint, unless someone else has claimed it since. */
  private async release(tokenHash: string, claimedAt: number): Promise<void> {
    const { table } = this.options;
    await table.doc.send(
      new UpdateCommand({
        TableName: table.name,
        Key: linkKey(tokenHash),
        UpdateExpression: 'SET uses = :zero REMOVE lastUsedAt',
        ConditionExpression: 'uses = :one AND lastUsedAt = :at',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':at': claimedAt },
      }),
    );
  }

  private async refuse(
    state: Exclude<LinkState, 'live'>,
    link: LinkRecord | undefined,
    source: RequestSource,
  ): Promise<ClickResult> {
    if (!link) {
      // A well-formed unknown token is worth a trace (who is guessing); malformed ones never reach the store.
      await this.options.audit.recordBestEffort({ outcome: 'not_found', ...source });
      return { kind: 'refused', state };
    }
    await this.options.audit.recordBestEffort({
      linkId: link.id,
      applianceId: link.applianceId,
      deviceId: link.deviceId,
      ...viewerRequest(link),
      outcome: state satisfies AuditOutcome,
      ...source,
    });
    if (state === 'revoked') return { kind: 'refused', state };
    const appliance = await this.options.registry.get(link.applianceId).catch(() => undefined);
    return appliance
      ? {
          kind: 'refused',
          state,
          fallbackUrl: launchUrl({
            baseUrl: appliance.baseUrl,
            deviceId: link.deviceId,
            ...viewerRequest(link),
          }),
        }
      : { kind: 'refused', state };
  }

  private stateOf(link: LinkRecord): LinkState {
    if (link.revokedAt !== undefined) return 'revoked';
    if (link.expiresAt <= this.options.clock()) return 'expired';
    if (link.singleUse && (link.uses ?? 0) > 0) return 'used';
    return 'live';
  }
}

function viewerRequest(input: ViewerRequest): ViewerRequest {
  return {
    viewerType: input.viewerType,
    ...(input.sharingMode === undefined ? {} : { sharingMode: input.sharingMode }),
    ...(input.mouseMode === undefined ? {} : { mouseMode: input.mouseMode }),
  };
}
