import { ApplianceError } from '../appliances/errors.js';
import type { ApplianceGateway } from '../appliances/gateway.js';
import { type Device, type Launch, sourceRefOf } from '../appliances/provider.js';
import type { Appliance } from '../appliances/providers.js';
import type { AuditLog, AuditOutcome, RequestSource } from '../audit/audit-log.js';
import {
  canUseAppliance,
  hasScope,
  mayKeepLink,
  OPERATOR_CLI_PRINCIPAL,
  type Principal,
  requireAppliance,
} from '../auth/principal.js';
import { type Clock, letQueuedRequestsLeave } from '../clock.js';
import { randomToken, sha256Hex } from '../crypto/index.js';
import { DeviceUnavailableError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.js';
import type { CursorCodec } from '../pagination/cursor.js';
import type { ApplianceRegistry } from '../registry/appliances.js';
import type { Table } from '../store/dynamo.js';
import {
  auditFields,
  failureOutcome,
  launchDetails,
  launchOutcome,
  type TicketService,
} from '../tickets/ticket-service.js';
import type { ConfirmationCodec } from './confirmation.js';
import { type LinkRecord, type LinkState, LinkStore, viewerRequestOf } from './link-store.js';

export type { LinkRecord, LinkState } from './link-store.js';

/** When a link asks for a button press if its creator does not say (`LINK_CONFIRM_DEFAULT`). */
export type ConfirmDefault = 'never' | 'single-use' | 'always';

/** Link tokens: 24 random bytes (192 bits), 32 base64url characters. Nothing else is in the URL. */
const TOKEN_BYTES = 24;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;
/** Multi-use links a process remembers (their fixed fields only) so a repeat click launches while it claims. */
const KNOWN_LINKS_MAX = 1024;

export interface CreateLinkInput {
  applianceId: string;
  deviceId: string;
  viewerType: string;
  sharingMode?: string | undefined;
  mouseMode?: number | undefined;
  user?: string | undefined;
  reason?: string | undefined;
  ttlSeconds?: number | undefined;
  singleUse?: boolean | undefined;
  /** GET shows a page with a button; only its POST claims (scanner-proof). Default: LINK_CONFIRM_DEFAULT. */
  confirm?: boolean | undefined;
}

export interface CreatedLink {
  id: string;
  url: string;
  expiresAt: number;
  singleUse: boolean;
  confirm: boolean;
}

/** What a confirm page shows before anything is used up, and the form field its button sends back. */
export interface ConfirmView {
  applianceId: string;
  applianceName: string;
  deviceName: string;
  viewerType: string;
  expiresAt: number;
  singleUse: boolean;
  confirmation: string;
}

/** A live link as a listing shows it: everything but the token. */
export interface LinkSummary {
  id: string;
  createdBy: string;
  applianceId: string;
  deviceId: string;
  deviceName?: string | undefined;
  viewerType: string;
  sharingMode?: string | undefined;
  mouseMode?: number | undefined;
  user?: string | undefined;
  reason?: string | undefined;
  singleUse: boolean;
  confirm: boolean;
  uses: number;
  createdAt: number;
  expiresAt: number;
  lastUsedAt?: number | undefined;
}

export interface LinkListQuery {
  createdBy?: string | undefined;
  applianceId?: string | undefined;
  deviceId?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** The outcome of a click: the console, or a refusal or failure with what the person can still do. */
export type ClickResult =
  | { kind: 'launch'; launch: Launch; linkId: string }
  | { kind: 'confirm'; view: ConfirmView }
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
  confirmDefault: ConfirmDefault;
  /** Clients as they stand now (cached per process): a link works only while its creator may still make it. */
  clients: {
    byId(clientId: string): Promise<Principal | undefined>;
    list(): Promise<{ id: string }[]>;
  };
  /** Checks in what a revoked link's clicks opened at the source (a Password Safe access request). */
  gateway: Pick<ApplianceGateway, 'use' | 'prefetchSession' | 'sessionSettled'>;
  confirmations: ConfirmationCodec;
  cursors: CursorCodec;
  /** Told when a failed click could not give its single-use claim back (the link stays used). */
  warn: (message: string, error: unknown) => void;
}

/** Store queries one listing page may cost when an admin lists every creator's links. */
const LIST_QUERIES_PER_PAGE = 25;
/** Links one bulk revocation reads page by page; a creator with more is revoked by calling again. */
const BULK_REVOKE_MAX = 10_000;
const BULK_REVOKE_PAGE = 100;
const BULK_REVOKE_CONCURRENCY = 8;

/** One-click launch links: created validated, stored by token hash, redeemed with one launch per click. */
export class LinkService {
  private readonly store: LinkStore;
  /**
   * Multi-use links this process has redeemed, by token hash. A link's target never changes, so a repeat click
   * can launch during the claim instead of after it: one source round trip, not a store write plus one. The
   * claim still decides; a ticket minted for a click it refuses is never shown and expires unused.
   */
  private readonly known = new Map<string, LinkRecord>();

  constructor(private readonly options: LinkServiceOptions) {
    this.store = new LinkStore(options.table, options.clock);
  }

  /**
   * Validates everything a click will need, stores the link and audits `link_created`; the token appears only
   * in the returned URL (so a link whose audit write failed is never handed out).
   */
  async create(
    principal: Principal,
    input: CreateLinkInput,
    source: RequestSource = {},
  ): Promise<CreatedLink> {
    const { defaultTtlSeconds, maxTtlSeconds, clock } = this.options;
    const ttlSeconds = input.ttlSeconds ?? defaultTtlSeconds;
    if (ttlSeconds < 1 || ttlSeconds > maxTtlSeconds) {
      throw new InvalidInputError([
        { field: 'ttlSeconds', message: `must be between 1 and ${maxTtlSeconds}` },
      ]);
    }
    requireAppliance(principal, input.applianceId);
    const request = viewerRequestOf(input);
    const { device } = await this.options.tickets.validate({
      applianceId: input.applianceId,
      deviceId: input.deviceId,
      request,
    });
    const token = randomToken(TOKEN_BYTES);
    const now = clock();
    const singleUse = input.singleUse ?? false;
    const confirm = input.confirm ?? confirmByDefault(this.options.confirmDefault, singleUse);
    const record: LinkRecord = {
      id: `lnk_${randomToken(16)}`,
      createdBy: principal.clientId,
      applianceId: input.applianceId,
      deviceId: input.deviceId,
      device: {
        name: device.name,
        type: device.type,
        ...(device.owner === undefined ? {} : { owner: device.owner }),
      },
      ...request,
      ...(input.reason === undefined ? {} : { reason: input.reason }),
      singleUse,
      ...(confirm ? { confirm } : {}),
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
      uses: 0,
    };
    const url = `${this.options.publicBaseUrl()}/launch/${token}`;
    await this.store.put(sha256Hex(token), record);
    await this.options.audit.record({
      outcome: 'link_created',
      clientId: principal.clientId,
      linkId: record.id,
      ...auditFields(targetOf(record), record.reason),
      ttlSeconds,
      singleUse,
      confirm,
      ...source,
    });
    return { id: record.id, url, expiresAt: record.expiresAt, singleUse, confirm };
  }

  /** Revokes a link at once; only its creator, or an admin whose allow-list has the link's appliance, may. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const item = await this.store.byId(id);
    if (!item) throw new NotFoundError('link', id);
    if (item.createdBy !== principal.clientId) {
      if (!hasScope(principal, 'admin')) {
        throw new ForbiddenError(
          `link ${id} was created by another client; only it or an admin may revoke it`,
        );
      }
      // Links stored before LINKID# named their appliance: read it from the link itself.
      const applianceId = item.applianceId ?? (await this.store.byTokenHash(item.tokenHash))?.applianceId;
      if (applianceId !== undefined) requireAppliance(principal, applianceId);
    }
    this.known.delete(item.tokenHash);
    const revoked = await this.store.revoke(item.tokenHash);
    if (!revoked) throw new NotFoundError('link', id);
    await this.checkIn(revoked);
  }

  /**
   * Revokes every live link `createdBy` made on appliances the admin's allow-list has (`DELETE
   * /v1/links?createdBy=`). Reads the creator's gsi1 partition, which trails writes by a moment: a link made in
   * the same second may be missed, but a revoked client's links stop at their next click anyway.
   */
  async revokeAllOf(principal: Principal, createdBy: string): Promise<{ revoked: number }> {
    let revoked = 0;
    let start: Record<string, unknown> | undefined;
    for (let read = 0; read < BULK_REVOKE_MAX; read += BULK_REVOKE_PAGE) {
      const page = await this.store.liveOf(createdBy, { limit: BULK_REVOKE_PAGE, start });
      const mine = page.links.filter((link) => canUseAppliance(principal, link.applianceId));
      for (let i = 0; i < mine.length; i += BULK_REVOKE_CONCURRENCY) {
        await Promise.all(
          mine.slice(i, i + BULK_REVOKE_CONCURRENCY).map(async (link) => {
            this.known.delete(link.tokenHash);
            const done = await this.store.revoke(link.tokenHash);
            if (!done) return;
            revoked++;
            await this.checkIn(done);
          }),
        );
      }
      if (!page.next) break;
      start = page.next;
    }
    return { revoked };
  }

  /**
   * Live links, newest first per creator, without tokens: a client's own, or for an admin every creator's (or
   * `createdBy`'s), always within the caller's appliance allow-list. The cursor is bound to the query and caller.
   */
  async list(
    principal: Principal,
    query: LinkListQuery,
  ): Promise<{ links: LinkSummary[]; nextCursor?: string }> {
    const admin = hasScope(principal, 'admin');
    if (query.createdBy !== undefined && query.createdBy !== principal.clientId && !admin) {
      throw new ForbiddenError(`client ${principal.clientId} may list only its own links`);
    }
    if (query.applianceId !== undefined) requireAppliance(principal, query.applianceId);
    const creators =
      query.createdBy !== undefined || !admin
        ? [query.createdBy ?? principal.clientId]
        : await this.creators();
    const scope = `links:${principal.clientId}:${query.createdBy ?? '*'}:${query.applianceId ?? ''}:${query.deviceId ?? ''}`;
    const position = query.cursor ? await this.options.cursors.decode(query.cursor, scope) : undefined;
    let index = position ? creators.findIndex((id) => id >= String(position.c)) : 0;
    if (index < 0) index = creators.length;
    let start = position?.k as Record<string, unknown> | undefined;
    const links: LinkSummary[] = [];
    for (let queries = 0; index < creators.length && queries < LIST_QUERIES_PER_PAGE; queries++) {
      const page = await this.store.liveOf(creators[index]!, { limit: query.limit - links.length, start });
      for (const link of page.links) {
        if (!canUseAppliance(principal, link.applianceId)) continue;
        if (query.applianceId !== undefined && link.applianceId !== query.applianceId) continue;
        if (query.deviceId !== undefined && link.deviceId !== query.deviceId) continue;
        links.push(summaryOf(link));
      }
      start = page.next;
      if (!start) index++;
      if (links.length >= query.limit) break;
    }
    if (index >= creators.length) return { links };
    const next = { c: creators[index], ...(start ? { k: start } : {}) };
    return { links, nextCursor: await this.options.cursors.encode(next, scope) };
  }

  /** Every creator whose links an admin may list: the stored clients and the operator CLI, by id. */
  private async creators(): Promise<string[]> {
    const ids = (await this.options.clients.list()).map((client) => client.id);
    return [...new Set([...ids, OPERATOR_CLI_PRINCIPAL.clientId])].sort();
  }

  /** Ends at the source what the link's clicks opened there (Password Safe check-in); best effort. */
  private async checkIn(link: LinkRecord): Promise<void> {
    const requests = [...(link.requestIds ?? [])];
    if (!requests.length) return;
    try {
      const appliance = await this.options.registry.get(link.applianceId);
      for (const requestId of requests) {
        await this.options.gateway.use(appliance, (client, session) =>
          client.release ? client.release(session, requestId) : Promise.resolve(),
        );
      }
    } catch (error) {
      this.options.warn('a revoked link could not check in its access request at the source', error);
    }
  }

  /** What a click would meet, without launching or using anything up (for HEAD and link previewers). */
  async inspect(token: string): Promise<LinkState> {
    if (!TOKEN_PATTERN.test(token)) return 'not_found';
    const link = await this.store.byTokenHash(sha256Hex(token));
    return link ? this.store.stateOf(link) : 'not_found';
  }

  /**
   * The click: one conditional update claims the link (atomically for single-use links, so concurrent clicks
   * give one console), one launch with the cached session, and a failed or pending launch gives the claim back.
   * The creator is checked beside the claim (one cached read per client per process): a link stops with its
   * creator. `confirmation` is the confirm page's form field (a POST); without a valid one a confirm link only
   * answers its page.
   */
  async click(token: string, source: RequestSource, confirmation?: string): Promise<ClickResult> {
    if (!TOKEN_PATTERN.test(token)) return { kind: 'refused', state: 'not_found' };
    const tokenHash = sha256Hex(token);
    const confirmed = await this.options.confirmations.verify(tokenHash, confirmation);
    const known = this.known.get(tokenHash);
    const knownCreator = known ? this.creatorAllows(known) : undefined;
    const early =
      known && knownCreator && known.expiresAt > this.options.clock() && (confirmed || !known.confirm)
        ? knownCreator.then(async (allowed) => {
            // Never used then: the click is refused below before it would await this.
            if (!allowed) throw new ForbiddenError('the link creator may no longer open it');
            return this.launchFor(await this.options.registry.get(known.applianceId), known);
          })
        : undefined;
    // Abandoned when the claim refuses or fails; awaited (and its failure handled) below otherwise.
    if (early) {
      await letQueuedRequestsLeave(early);
      // A cold session (the lease write, the login) goes first and the claim after it, once the launch's
      // appliance call has left: the claim's store work then neither competes with the lease nor holds up the
      // login or the call.
      if (known && (await this.options.gateway.sessionSettled(known.applianceId))) {
        await letQueuedRequestsLeave(early);
      }
    }
    const claim = await this.store.claim(tokenHash, confirmed);
    if (claim.kind === 'refused') {
      this.known.delete(tokenHash);
      return this.refuse(claim.state, claim.link, source);
    }
    if (claim.kind === 'confirm') return this.confirmPage(tokenHash, claim.link);
    const link = claim.link;
    const giveBack = () =>
      link.singleUse
        ? this.store
            .release(tokenHash, claim.claimedAt)
            .catch((error) => this.options.warn('a click could not release its single-use link', error))
        : Promise.resolve();
    // The registry read and the stored-session read go out beside the creator check (a first click in a new
    // container pays the three reads at once; a warm one none); the record is awaited, and its failure handled,
    // inside the try below.
    const target = this.options.registry.get(link.applianceId);
    target.catch(() => undefined);
    this.options.gateway.prefetchSession(link.applianceId);
    const creatorAllowed =
      knownCreator && known?.createdBy === link.createdBy
        ? await knownCreator
        : await this.creatorAllows(link);
    if (!creatorAllowed) {
      this.known.delete(tokenHash);
      // Given back: should the creator be allowed again, a single-use link has not been spent on a refusal.
      await giveBack();
      await this.options.audit.recordBestEffort({
        ...this.auditOf(link, source),
        outcome: 'creator_revoked',
      });
      return { kind: 'refused', state: 'revoked' };
    }
    if (!link.singleUse) this.remember(tokenHash, link);
    // The source reference this link's launches are expected to carry (the one request it opened), written with
    // the optimistic audit event, so a repeat click whose launch confirms it costs no second audit write.
    const expectedRef = link.requestIds?.size === 1 ? [...link.requestIds][0] : undefined;
    const audit = {
      ...this.auditOf(link, source),
      ...(expectedRef === undefined ? {} : { sourceRef: expectedRef }),
    };
    let appliance: Appliance | undefined;
    try {
      // Inside the try: a registry failure after the claim must give a single-use link back too.
      const registered = await target;
      appliance = registered;
      const launch = await this.options.audit.around(
        { ...audit, outcome: 'redirected' },
        () => early ?? this.launchFor(registered, link),
        failureOutcome,
        (result) => launchOutcome(result, false),
        (result) => (sourceRefOf(result) === expectedRef ? {} : launchDetails(result)),
      );
      // Waiting for an approval uses nothing up: the same link opens the console once it is granted.
      if (launch.kind === 'pending') await giveBack();
      // What the launch opened at the source is remembered on the link (once), so revoking the link checks
      // it in there (a Password Safe access request, pending or granted).
      const opened = sourceRefOf(launch);
      if (opened !== undefined && !link.requestIds?.has(opened)) {
        await this.store
          .recordRequest(tokenHash, opened)
          .catch((error) => this.options.warn('a click could not record its access request', error));
      }
      return { kind: 'launch', launch, linkId: link.id };
    } catch (error) {
      await giveBack();
      if (!(error instanceof ApplianceError || error instanceof DeviceUnavailableError) || !appliance) {
        throw error;
      }
      return {
        kind: 'failed',
        error,
        fallbackUrl: this.options.tickets.fallbackUrl(appliance, link.deviceId, viewerRequestOf(link)),
      };
    }
  }

  /** Whether the link's creator still exists, holds links:create and may use the link's appliance. */
  private async creatorAllows(link: LinkRecord): Promise<boolean> {
    return mayKeepLink(await this.options.clients.byId(link.createdBy), link.applianceId);
  }

  private auditOf(link: LinkRecord, source: RequestSource) {
    return {
      linkId: link.id,
      createdBy: link.createdBy,
      ...auditFields(targetOf(link), link.reason),
      ...source,
    };
  }

  /** What the confirm page shows; nothing is claimed, launched or audited (scanners fetch it). */
  private async confirmPage(tokenHash: string, link: LinkRecord): Promise<ClickResult> {
    if (!(await this.creatorAllows(link))) return { kind: 'refused', state: 'revoked' };
    const appliance = await this.options.registry.get(link.applianceId);
    return {
      kind: 'confirm',
      view: {
        applianceId: appliance.id,
        applianceName: appliance.name,
        deviceName: link.device?.name ?? link.deviceId,
        viewerType: link.viewerType,
        expiresAt: link.expiresAt,
        singleUse: link.singleUse,
        confirmation: await this.options.confirmations.issue(tokenHash),
      },
    };
  }

  /** Launches what a click on `link` opens, for the link's creator and reason. */
  private launchFor(target: Appliance, link: LinkRecord): Promise<Launch> {
    return this.options.tickets.launch(target, deviceOf(link), viewerRequestOf(link), {
      clientId: link.createdBy,
      ...(link.reason === undefined ? {} : { reason: link.reason }),
    });
  }

  private remember(tokenHash: string, link: LinkRecord): void {
    if (this.known.has(tokenHash)) return;
    if (this.known.size >= KNOWN_LINKS_MAX) this.known.delete(this.known.keys().next().value as string);
    this.known.set(tokenHash, link);
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
      ...this.auditOf(link, source),
      outcome: state satisfies AuditOutcome,
    });
    if (state === 'revoked') return { kind: 'refused', state };
    const appliance = await this.options.registry.get(link.applianceId).catch(() => undefined);
    return appliance
      ? {
          kind: 'refused',
          state,
          fallbackUrl: this.options.tickets.fallbackUrl(appliance, link.deviceId, viewerRequestOf(link)),
        }
      : { kind: 'refused', state };
  }
}

function confirmByDefault(setting: ConfirmDefault, singleUse: boolean): boolean {
  return setting === 'always' || (setting === 'single-use' && singleUse);
}

function summaryOf(link: LinkRecord): LinkSummary {
  return {
    id: link.id,
    createdBy: link.createdBy,
    applianceId: link.applianceId,
    deviceId: link.deviceId,
    ...(link.device?.name === undefined ? {} : { deviceName: link.device.name }),
    ...viewerRequestOf(link),
    ...(link.reason === undefined ? {} : { reason: link.reason }),
    singleUse: link.singleUse,
    confirm: link.confirm ?? false,
    uses: link.uses ?? 0,
    createdAt: link.createdAt,
    expiresAt: link.expiresAt,
    ...(link.lastUsedAt === undefined ? {} : { lastUsedAt: link.lastUsedAt }),
  };
}

const targetOf = (link: LinkRecord) => ({
  applianceId: link.applianceId,
  deviceId: link.deviceId,
  request: viewerRequestOf(link),
});

/** The device as the link recorded it; links made before the snapshot existed know only the id. */
function deviceOf(link: LinkRecord): Device {
  return {
    id: link.deviceId,
    name: link.device?.name ?? link.deviceId,
    type: link.device?.type ?? '',
    connectionPaths: [],
    viewerTypes: [link.viewerType],
    ...(link.device?.owner === undefined ? {} : { owner: link.device.owner }),
  };
}
