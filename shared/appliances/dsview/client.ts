import { decodeJwt } from 'jose';
import { type Clock, systemClock } from '../../clock.js';
import type { Device, TlsTrust } from '../provider.js';
import { HttpsTransport } from '../transport.js';
import { PROGRAMMATIC_NAMES, viewerTypesFor } from './device-types.js';
import { devicesResponseSchema, loginResponseSchema, ticketResponseSchema } from './schemas.js';

/** The note: a ticket is valid for 20 seconds and for one launch. */
export const TICKET_TTL_MS = 20_000;

/** A DSView user session. `jwt` is a secret: never log or return it. */
export interface DsviewSession {
  userSessionId: string;
  username: string;
  jwt: string;
  /** Epoch ms. */
  expiresAt: number;
}

/** A one-time viewer ticket. `ticket` is a secret outside the one response that carries it. */
export interface ViewerTicket {
  ticket: string;
  /** Epoch ms. */
  expiresAt: number;
}

export interface DsviewClientOptions {
  appliance: { id: string; baseUrl: string; tls: TlsTrust };
  /** The shared HTTPS transport; built from the timeouts below when absent (tests, the bench). */
  transport?: HttpsTransport;
  /** TCP + TLS handshake limit, default 5 s. */
  connectTimeoutMs?: number;
  /** Whole-call budget including the one retry, default 10 s. */
  requestTimeoutMs?: number;
  /** Session lifetime assumed when the JWT carries no `exp`, default 30 min. */
  defaultSessionTtlMs?: number;
  clock?: Clock;
  /** Told once when the appliance is configured with verification off. */
  onInsecureTls?: (applianceId: string) => void;
}

/** A client of one DSView appliance's Viewer Session API: the only code that speaks to a DSView appliance. */
export class DsviewClient {
  readonly applianceId: string;
  private readonly http: HttpsTransport;
  private readonly defaultSessionTtlMs: number;
  private readonly clock: Clock;

  constructor(options: DsviewClientOptions) {
    const { appliance } = options;
    this.applianceId = appliance.id;
    this.defaultSessionTtlMs = options.defaultSessionTtlMs ?? 30 * 60_000;
    this.clock = options.clock ?? systemClock;
    this.http =
      options.transport ??
      new HttpsTransport(appliance.id, appliance.baseUrl, appliance.tls, {
        ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
        ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
        ...(options.onInsecureTls ? { onInsecureTls: options.onInsecureTls } : {}),
      });
  }

  /** Opens a user session (`POST /api/v1/userSessions`, 201). Not retried: a refused login must not repeat. */
  async login(credentials: { username: string; password: string }): Promise<DsviewSession> {
    const body = await this.http.json({
      step: 'login',
      method: 'POST',
      path: '/api/v1/userSessions',
      expectStatus: 201,
      schema: loginResponseSchema,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: credentials.username, password: credentials.password }),
      retry: false,
    });
    return {
      userSessionId: body.user_session.id,
      username: body.user_session.username ?? credentials.username,
      jwt: body.jwt,
      expiresAt: this.sessionExpiry(body.jwt),
    };
  }

  /**
   * Lists devices of the given programmatic names (default: every documented one), one filtered call per
   * name run concurrently and merged by id, because the unfiltered form is not documented.
   */
  async listDevices(session: DsviewSession, options: { types?: readonly string[] } = {}): Promise<Device[]> {
    const types = [...new Set(options.types ?? PROGRAMMATIC_NAMES)];
    const pages = await Promise.all(
      types.map((type) =>
        this.http.json({
          step: 'listDevices',
          method: 'GET',
          path: `/api/v1/devices?filter=${encodeURIComponent(`device_type_programmatic_name ${type}`)}`,
          expectStatus: 200,
          schema: devicesResponseSchema,
          headers: { authorization: `Bearer ${session.jwt}` },
          retry: true,
        }),
      ),
    );
    const byId = new Map<string, Device>();
    for (const page of pages) {
      for (const raw of page.devices) {
        const connectionPaths = (raw.connection_path_info ?? []).map((path) => path.path_type);
        byId.set(raw.id, {
          id: raw.id,
          name: raw.device_name,
          type: raw.device_type_programmatic_name,
          connectionPaths,
          viewerTypes: viewerTypesFor(raw.device_type_programmatic_name, connectionPaths),
        });
      }
    }
    return [...byId.values()];
  }

  /** Mints a one-time viewer ticket (`POST …/userSessions/<id>:createTicket`, 200), valid 20 s. */
  async createTicket(session: DsviewSession): Promise<ViewerTicket> {
    const body = await this.http.json({
      step: 'createTicket',
      method: 'POST',
      path: `/api/v1/userSessions/${encodeURIComponent(session.userSessionId)}:createTicket`,
      expectStatus: 200,
      schema: ticketResponseSchema,
      headers: { authorization: `Bearer ${session.jwt}` },
      retry: true,
    });
    return { ticket: body.ticket, expiresAt: this.clock() + TICKET_TTL_MS };
  }

  /** Ends the keep-alive pool; the client is unusable afterwards. */
  async close(): Promise<void> {
    await this.http.close();
  }

  private sessionExpiry(jwt: string): number {
    try {
      const { exp } = decodeJwt(jwt);
      if (typeof exp === 'number' && Number.isFinite(exp)) return exp * 1000;
    } catch {
      // An opaque token is allowed: fall back to the configured lifetime.
    }
    return this.clock() + this.defaultSessionTtlMs;
  }
}
