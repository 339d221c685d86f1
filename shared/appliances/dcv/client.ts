import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { type Clock, systemClock } from '../../clock.js';
import { DeviceUnavailableError, InvalidInputError, NotFoundError } from '../../errors.js';
import { ApplianceProtocolError } from '../errors.js';
import type { Device, DeviceListing, Launch, ProviderSession, ViewerRequest } from '../provider.js';
import type { HttpsTransport } from '../transport.js';
import { connectionUrl, HostChooser, serverPort, type WebClientAddress } from './connection-url.js';
import {
  connectionDataResponseSchema,
  DCV_USER_NAME,
  type DcvAppliance,
  type DcvCredentials,
  type DcvSession,
  type DcvState,
  describeSessionsResponseSchema,
  tokenResponseSchema,
  VIEWER_TYPES,
} from './schemas.js';

/** The largest page DescribeSessions allows (fact sheet 2.2: `MaxResults` 1-1000). */
export const PAGE_SIZE = 1000;
/** A listing stops here and says it is incomplete: 100,000 sessions, or a source whose `NextToken` never ends. */
export const MAX_PAGES = 100;
/** Access-token lifetime assumed when the token answer has no `expires_in` (the only value any source shows). */
const DEFAULT_ACCESS_TOKEN_SECONDS = 3600;
/** `connect-session-token-duration-minutes` as a public installer sets it (fact sheet 2.3). */
const DEFAULT_CONNECTION_TOKEN_MINUTES = 60;
/** Statuses GetSessionConnectionData may refuse a session or user with; which one means what is UNCONFIRMED. */
const REFUSALS = new Set([400, 404, 409]);

export interface DcvClientOptions {
  appliance: Pick<DcvAppliance, 'id' | 'connectAs' | 'gateway' | 'connectionTokenMinutes'>;
  transport: HttpsTransport;
  clock?: Clock;
  hosts?: HostChooser;
  pageSize?: number;
  maxPages?: number;
}

/** A client of one NICE DCV Session Manager's Broker API: the only code that speaks to one. */
export class DcvClient {
  private readonly http: HttpsTransport;
  private readonly clock: Clock;
  private readonly hosts: HostChooser;
  private readonly pageSize: number;
  private readonly maxPages: number;

  constructor(private readonly options: DcvClientOptions) {
    this.http = options.transport;
    this.clock = options.clock ?? systemClock;
    this.hosts = options.hosts ?? new HostChooser({ clock: this.clock });
    this.pageSize = options.pageSize ?? PAGE_SIZE;
    this.maxPages = options.maxPages ?? MAX_PAGES;
  }

  /**
   * OAuth2 client credentials (`POST /oauth2/token?grant_type=client_credentials`, Basic auth, an empty form).
   * Not retried: a refused login must not repeat. The token is the session; its id is a hash prefix of it.
   */
  async login(credentials: DcvCredentials): Promise<ProviderSession<DcvState>> {
    const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64');
    const body = await this.http.json({
      step: 'login',
      method: 'POST',
      path: '/oauth2/token?grant_type=client_credentials',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      expectStatus: 200,
      schema: tokenResponseSchema,
      retry: false,
    });
    const lifetimeSeconds = body.expires_in ?? DEFAULT_ACCESS_TOKEN_SECONDS;
    return {
      id: createHash('sha256').update(body.access_token).digest('hex').slice(0, 16),
      principal: credentials.clientId,
      expiresAt: this.clock() + lifetimeSeconds * 1000,
      state: { accessToken: body.access_token },
    };
  }

  /**
   * Every session, page by page (`MaxResults`, `NextToken`). A listing cut short by the page limit, or narrowed
   * by type, is not complete; a page that fails fails the whole listing.
   */
  async listDevices(state: DcvState, filter: { type?: string } = {}): Promise<DeviceListing> {
    const byId = new Map<string, Device>();
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await this.describe(state, {
        MaxResults: this.pageSize,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      });
      pages++;
      for (const session of page.Sessions) {
        if (filter.type === undefined || session.Type === filter.type)
          byId.set(session.Id, toDevice(session));
      }
      nextToken = page.NextToken ?? undefined;
    } while (nextToken !== undefined && pages < this.maxPages);
    return { devices: [...byId.values()], complete: nextToken === undefined && filter.type === undefined };
  }

  /**
   * A fresh connection token for the session (`GET /sessionConnectionData/{id}/{user}`) and the URL that opens
   * it. The user is the request's, else the appliance's `connectAs`, else the session's owner.
   */
  async launch(state: DcvState, device: Device, request: ViewerRequest): Promise<Launch> {
    const user = await this.userFor(state, device, request);
    const step = 'sessionConnectionData';
    const answer = await this.http.request({
      step,
      method: 'GET',
      path: `/sessionConnectionData/${encodeURIComponent(device.id)}/${encodeURIComponent(user)}`,
      headers: { accept: 'application/json', authorization: `Bearer ${state.accessToken}` },
      retry: true,
    });
    this.http.check(step, answer);
    if (REFUSALS.has(answer.status)) return this.explainRefusal(state, device.id, user);
    if (answer.status !== 200) {
      throw new ApplianceProtocolError(this.options.appliance.id, step, `answered HTTP ${answer.status}`);
    }
    const { Session: session, ConnectionToken: token } = this.http.parse(
      step,
      answer.text,
      connectionDataResponseSchema,
    );
    if (session.State !== 'READY') throw notReady(device.id, session.State);
    const address = await this.webClientAddress(session);
    const scheme = request.viewerType === 'DCV_NATIVE' ? 'dcv' : 'https';
    const location = connectionUrl(scheme, address, session.Id, token);
    return {
      kind: 'redirect',
      location,
      expiresAt: this.tokenExpiry(token),
      api: { ticket: token, launchUrl: location },
    };
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private async userFor(state: DcvState, device: Device, request: ViewerRequest): Promise<string> {
    const { connectAs } = this.options.appliance;
    const user =
      request.user ?? connectAs ?? device.owner ?? (await this.sessionOrNotFound(state, device.id)).Owner;
    if (user === undefined || !DCV_USER_NAME.test(user)) {
      throw new InvalidInputError([
        {
          field: 'user',
          message: 'the session has no owner that is a valid DCV user name: name the user to connect as',
        },
      ]);
    }
    return user;
  }

  /**
   * The Session Manager refused the token with a status that does not say why (the model lists only 400
   * "Invalid input"): one DescribeSessions for this session tells a missing session (404), one that is not
   * READY (409) and a user the DCV server does not know (400 naming `user`) apart.
   */
  private async explainRefusal(state: DcvState, sessionId: string, user: string): Promise<never> {
    const session = await this.sessionOrNotFound(state, sessionId);
    if (session.State !== 'READY') throw notReady(sessionId, session.State);
    throw new InvalidInputError([
      { field: 'user', message: `the DCV Session Manager refused a connection token for user ${user}` },
    ]);
  }

  private async sessionOrNotFound(state: DcvState, sessionId: string): Promise<DcvSession> {
    const page = await this.describe(state, { SessionIds: [sessionId] });
    const session = page.Sessions.find((candidate) => candidate.Id === sessionId);
    if (!session) throw new NotFoundError('device', sessionId);
    return session;
  }

  private describe(state: DcvState, body: Record<string, unknown>) {
    return this.http.json({
      step: 'describeSessions',
      method: 'POST',
      path: '/describeSessions',
      headers: { authorization: `Bearer ${state.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      expectStatus: 200,
      schema: describeSessionsResponseSchema,
      retry: true,
    });
  }

  /** The gateway when there is one, else the session's own DCV server (see `HostChooser`). */
  private async webClientAddress(session: DcvSession): Promise<WebClientAddress> {
    const server = session.Server ?? {};
    const webUrlPath = server.WebUrlPath ?? '/';
    const { gateway } = this.options.appliance;
    if (gateway) return { host: gateway.host, port: gateway.port, webUrlPath };
    const host = await this.hosts.choose(server);
    if (!host) {
      throw new ApplianceProtocolError(
        this.options.appliance.id,
        'sessionConnectionData',
        'answered a session without a usable server address',
      );
    }
    return { host, port: serverPort(server), webUrlPath };
  }

  /** The token's own `exp` when it is a JWT that has one, else the configured token duration. */
  private tokenExpiry(token: string): number {
    try {
      const { exp } = decodeJwt(token);
      if (typeof exp === 'number' && Number.isFinite(exp)) return exp * 1000;
    } catch {
      // An opaque token is allowed: fall back to the configured duration.
    }
    const minutes = this.options.appliance.connectionTokenMinutes ?? DEFAULT_CONNECTION_TOKEN_MINUTES;
    return this.clock() + minutes * 60_000;
  }
}

/** A session as a device: viewer types only while it is READY; tags kept for search. */
export function toDevice(session: DcvSession): Device {
  const tags = Object.fromEntries((session.Server?.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
  return {
    id: session.Id,
    name: session.Name ?? session.Id,
    type: session.Type ?? '',
    state: session.State,
    ...(session.Owner === undefined ? {} : { owner: session.Owner }),
    connectionPaths: [],
    viewerTypes: session.State === 'READY' ? [...VIEWER_TYPES] : [],
    tags,
  };
}

/** The 409 for a session that is not READY; the state is the source's word, kept to its documented shape. */
function notReady(sessionId: string, state: string): DeviceUnavailableError {
  const reason = /^[A-Z_]{1,32}$/.test(state)
    ? `the DCV session is ${state}, not READY`
    : 'the DCV session is not READY';
  return new DeviceUnavailableError(sessionId, reason);
}
