import { setImmediate as nextTurn } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import type { Pool } from 'undici';
import type { z } from 'zod';
import { type Clock, jitter, sleep, systemClock } from '../../clock.js';
import {
  ApplianceAuthError,
  ApplianceProtocolError,
  type ApplianceStep,
  ApplianceTimeoutError,
  ApplianceTlsError,
  ApplianceUnavailableError,
} from '../errors.js';
import { createHttpsPool } from '../https-pool.js';
import type {
  Appliance,
  ApplianceClient,
  ApplianceSession,
  Credentials,
  Device,
  ViewerTicket,
} from '../types.js';
import { PROGRAMMATIC_NAMES, viewerTypesFor } from './device-types.js';
import { devicesResponseSchema, loginResponseSchema, ticketResponseSchema } from './schemas.js';

/** The note: a ticket is valid for 20 seconds and for one launch. */
export const TICKET_TTL_MS = 20_000;

export interface DsviewClientOptions {
  appliance: Pick<Appliance, 'id' | 'baseUrl' | 'tls'>;
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

interface CallSpec<T> {
  step: ApplianceStep;
  method: 'GET' | 'POST';
  path: string;
  expectStatus: number;
  schema: z.ZodType<T>;
  jwt?: string;
  body?: unknown;
  retry: boolean;
}

/**
 * Certificate failures: our pin mismatch, and every X509 verification code Node's TLS layer puts on the error
 * (OpenSSL's names), so a wrong CA of any shape is a TLS error rather than "unreachable".
 */
const TLS_ERROR_CODES = new Set([
  'ERR_CERT_PIN_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
]);
/** undici's own timers (connect, headers, body); the whole-call budget surfaces as a `TimeoutError` instead. */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const RETRYABLE_STATUS = new Set([502, 503, 504]);

class RetryableFailure extends Error {
  constructor(readonly failure: ApplianceUnavailableError) {
    super(failure.message);
  }
}

/** A client of one DSView appliance's Viewer Session API: the only code that speaks to a DSView appliance. */
export class DsviewClient implements ApplianceClient {
  readonly applianceId: string;
  private readonly pool: Pool;
  private readonly requestTimeoutMs: number;
  private readonly defaultSessionTtlMs: number;
  private readonly clock: Clock;

  constructor(options: DsviewClientOptions) {
    const { appliance } = options;
    this.applianceId = appliance.id;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.defaultSessionTtlMs = options.defaultSessionTtlMs ?? 30 * 60_000;
    this.clock = options.clock ?? systemClock;
    this.pool = createHttpsPool(appliance.baseUrl, appliance.tls, {
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      onInsecure: () => options.onInsecureTls?.(appliance.id),
    });
  }

  /** Opens a user session (`POST /api/v1/userSessions`, 201). Not retried: a refused login must not repeat. */
  async login(credentials: Credentials): Promise<ApplianceSession> {
    const body = await this.call({
      step: 'login',
      method: 'POST',
      path: '/api/v1/userSessions',
      expectStatus: 201,
      schema: loginResponseSchema,
      body: { username: credentials.username, password: credentials.password },
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
  async listDevices(
    session: ApplianceSession,
    options: { types?: readonly string[] } = {},
  ): Promise<Device[]> {
    const types = [...new Set(options.types ?? PROGRAMMATIC_NAMES)];
    const pages = await Promise.all(
      types.map((type) =>
        this.call({
          step: 'listDevices',
          method: 'GET',
          path: `/api/v1/devices?filter=${encodeURIComponent(`device_type_programmatic_name ${type}`)}`,
          expectStatus: 200,
          schema: devicesResponseSchema,
          jwt: session.jwt,
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
  async createTicket(session: ApplianceSession): Promise<ViewerTicket> {
    const body = await this.call({
      step: 'createTicket',
      method: 'POST',
      path: `/api/v1/userSessions/${encodeURIComponent(session.userSessionId)}:createTicket`,
      expectStatus: 200,
      schema: ticketResponseSchema,
      jwt: session.jwt,
      retry: true,
    });
    return { ticket: body.ticket, expiresAt: this.clock() + TICKET_TTL_MS };
  }

  /** Closes the connection pool. */
  async close(): Promise<void> {
    await this.pool.close();
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

  private async call<T>(spec: CallSpec<T>): Promise<T> {
    const deadline = Date.now() + this.requestTimeoutMs;
    try {
      return await this.attempt(spec, deadline);
    } catch (error) {
      if (!(error instanceof RetryableFailure)) throw error;
      if (!spec.retry) throw error.failure;
      await sleep(jitter(100));
      if (Date.now() >= deadline)
        throw new ApplianceTimeoutError(this.applianceId, spec.step, this.requestTimeoutMs);
      try {
        return await this.attempt(spec, deadline);
      } catch (again) {
        throw again instanceof RetryableFailure ? again.failure : again;
      }
    }
  }

  private async attempt<T>(spec: CallSpec<T>, deadline: number): Promise<T> {
    const { step } = spec;
    const remaining = Math.max(1, deadline - Date.now());
    const headers: Record<string, string> = { accept: 'application/json' };
    if (spec.jwt) headers.authorization = `Bearer ${spec.jwt}`;
    if (spec.body !== undefined) headers['content-type'] = 'application/json';
    let response: Awaited<ReturnType<Pool['request']>>;
    let text: string;
    try {
      response = await this.pool.request({
        method: spec.method,
        path: spec.path,
        headers,
        body: spec.body === undefined ? null : JSON.stringify(spec.body),
        signal: AbortSignal.timeout(remaining),
        headersTimeout: remaining,
        bodyTimeout: remaining,
      });
      text = await response.body.text();
    } catch (error) {
      throw this.transportError(step, error);
    }
    // undici hands a kept-alive connection back to the pool one event-loop turn after the response ends
    // (a setImmediate, to catch servers that close anyway); a call made before then finds the connection
    // busy and opens another. Waiting that turn keeps back-to-back calls (login → createTicket) on one.
    await nextTurn();
    const status = response.statusCode;
    if (status === 401 || status === 403) throw new ApplianceAuthError(this.applianceId, step, status);
    if (status >= 500) {
      const failure = new ApplianceUnavailableError(
        this.applianceId,
        step,
        `answered HTTP ${status}`,
        status,
      );
      throw RETRYABLE_STATUS.has(status) ? new RetryableFailure(failure) : failure;
    }
    if (status !== spec.expectStatus) {
      throw new ApplianceProtocolError(
        this.applianceId,
        step,
        `answered HTTP ${status}, expected ${spec.expectStatus}`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApplianceProtocolError(this.applianceId, step, 'answered a body that is not JSON');
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues[0]?.path.join('.') || 'body';
      throw new ApplianceProtocolError(this.applianceId, step, `answered an unexpected body (at ${where})`);
    }
    return parsed.data;
  }

  /**
   * Classifies a failure of `pool.request` or of reading its body. What undici surfaces:
   * - the whole-call budget (`AbortSignal.timeout`): the signal's reason itself, a DOMException named
   *   `TimeoutError` (its `code` is the number 23, not a string);
   * - its own timers: `ConnectTimeoutError`/`HeadersTimeoutError`/`BodyTimeoutError` with `UND_ERR_*` codes;
   * - a refused connection or failed TLS verification: Node's own error, its code (`ECONNREFUSED`,
   *   `DEPTH_ZERO_SELF_SIGNED_CERT`, …) on the error itself; our pin mismatch is `ERR_CERT_PIN_MISMATCH`;
   * - a connection closed mid-request: `SocketError` `UND_ERR_SOCKET`.
   * Codes are collected along the `cause` chain as well, in case a layer wraps them. Messages carry the
   * code only, never undici's text (which could quote a URL).
   */
  private transportError(step: ApplianceStep, error: unknown): Error {
    const codes = errorCodes(error);
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError' || codes.some((code) => TIMEOUT_CODES.has(code))) {
      return new ApplianceTimeoutError(this.applianceId, step, this.requestTimeoutMs);
    }
    const tlsCode = codes.find((code) => TLS_ERROR_CODES.has(code));
    if (tlsCode) {
      return new ApplianceTlsError(this.applianceId, step, `TLS verification failed (${tlsCode})`);
    }
    const failure = new ApplianceUnavailableError(
      this.applianceId,
      step,
      `could not be reached (${codes[0] ?? (name || 'unknown error')})`,
    );
    return codes.some((code) => RESET_CODES.has(code)) ? new RetryableFailure(failure) : failure;
  }
}

/** Every string `code` on an error and its `cause` chain, outermost first. */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = current.cause;
  }
  return codes;
}
