import { ApplianceError } from '../appliances/errors.js';
import type { Device, Launch } from '../appliances/provider.js';
import type { Appliance } from '../appliances/providers.js';
import type { AuditLog, AuditOutcome, RequestSource } from '../audit/audit-log.js';
import { hasScope, type Principal, requireAppliance } from '../auth/principal.js';
import { type Clock, letQueuedRequestsLeave } from '../clock.js';
import { randomToken, sha256Hex } from '../crypto/index.js';
import { DeviceUnavailableError, ForbiddenError, InvalidInputError, NotFoundError } from '../errors.js';
import type { ApplianceRegistry } from '../registry/appliances.js';
import type { Table } from '../store/dynamo.js';
import { auditFields, failureOutcome, launchOutcome, type TicketService } from '../tickets/ticket-service.js';
import { type LinkRecord, type LinkState, LinkStore, viewerRequestOf } from './link-store.js';

export type { LinkRecord, LinkState } from './link-store.js';

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
}

export interface CreatedLink {
  id: string;
  url: string;
  expiresAt: number;
  singleUse: boolean;
}

/** The outcome of a click: the console, or a refusal or failure with what the person can still do. */
export type ClickResult =
  | { kind: 'launch'; launch: Launch; linkId: string }
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

  /** Validates everything a click will need, then stores the link; the token appears only in the returned URL. */
  async create(principal: Principal, input: CreateLinkInput): Promise<CreatedLink> {
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
      singleUse: input.singleUse ?? false,
      createdAt: now,
      expiresAt: now + ttlSeconds * 1000,
      uses: 0,
    };
    await this.store.put(sha256Hex(token), record);
    return {
      id: record.id,
      url: `${this.options.publicBaseUrl()}/launch/${token}`,
      expiresAt: record.expiresAt,
      singleUse: record.singleUse,
    };
  }

  /** Revokes a link at once; only its creator or an admin may. */
  async revoke(principal: Principal, id: string): Promise<void> {
    const item = await this.store.byId(id);
    if (!item) throw new NotFoundError('link', id);
    if (item.createdBy !== principal.clientId && !hasScope(principal, 'admin')) {
      throw new ForbiddenError(`link ${id} was created by another client; only it or an admin may revoke it`);
    }
    this.known.delete(item.tokenHash);
    if (!(await this.store.revoke(item.tokenHash))) throw new NotFoundError('link', id);
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
   */
  async click(token: string, source: RequestSource): Promise<ClickResult> {
    if (!TOKEN_PATTERN.test(token)) return { kind: 'refused', state: 'not_found' };
    const tokenHash = sha256Hex(token);
    const known = this.known.get(tokenHash);
    const early =
      known && known.expiresAt > this.options.clock()
        ? this.options.registry.get(known.applianceId).then((target) => this.launchFor(target, known))
        : undefined;
    // Abandoned when the claim refuses or fails; awaited (and its failure handled) below otherwise.
    if (early) await letQueuedRequestsLeave(early);
    const claim = await this.store.claim(tokenHash);
    if (claim.kind === 'refused') {
      this.known.delete(tokenHash);
      return this.refuse(claim.state, claim.link, source);
    }
    const link = claim.link;
    if (!link.singleUse) this.remember(tokenHash, link);
    const audit = { linkId: link.id, ...auditFields(targetOf(link), link.reason), ...source };
    const giveBack = () =>
      link.singleUse
        ? this.store
            .release(tokenHash, claim.claimedAt)
            .catch((error) => this.options.warn('a click could not release its single-use link', error))
        : Promise.resolve();
    let appliance: Appliance | undefined;
    try {
      // Inside the try: a registry failure after the claim must give a single-use link back too.
      const target = await this.options.registry.get(link.applianceId);
      appliance = target;
      const launch = await this.options.audit.around(
        { ...audit, outcome: 'redirected' },
        () => early ?? this.launchFor(target, link),
        failureOutcome,
        (result) => launchOutcome(result, false),
      );
      // Waiting for an approval uses nothing up: the same link opens the console once it is granted.
      if (launch.kind === 'pending') await giveBack();
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
      linkId: link.id,
      ...auditFields(targetOf(link), link.reason),
      outcome: state satisfies AuditOutcome,
      ...source,
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
