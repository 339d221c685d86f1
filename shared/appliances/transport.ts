import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Pool } from 'undici';
import type { z } from 'zod';
import { jitter, sleep } from '../clock.js';
import {
  ApplianceAuthError,
  ApplianceProtocolError,
  ApplianceTimeoutError,
  ApplianceTlsError,
  ApplianceUnavailableError,
} from './errors.js';
import { createHttpsPool } from './https-pool.js';
import type { TlsTrust } from './provider.js';

export interface TransportOptions {
  /** TCP + TLS handshake limit, default 5 s. */
  connectTimeoutMs?: number;
  /** Whole-call budget including the one retry, default 10 s. */
  requestTimeoutMs?: number;
  /** Answers larger than this are refused as a bad response: a device list of 10,000 fits, 50 MB does not. */
  maxResponseBytes?: number;
  /** Told once when the appliance is configured with verification off. */
  onInsecureTls?: (applianceId: string) => void;
}

export interface HttpCall {
  /** The source's verb, for messages: `login`, `listDevices`, `createTicket`, … */
  step: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Retry once on a reset connection or a 502/503/504; never for a call that must not repeat (a login). */
  retry: boolean;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
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
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

class RetryableFailure extends Error {
  constructor(readonly failure: ApplianceUnavailableError) {
    super(failure.message);
  }
}

class ResponseTooLarge extends Error {}

/**
 * The one HTTPS path from the broker to any console source: a keep-alive pool with the appliance's trust
 * rule, a whole-call deadline, one retry of a reset connection or a gateway error, and transport failures
 * classified as typed appliance errors whose messages carry codes only (never a URL, body or header).
 */
export class HttpsTransport {
  private readonly pool: Pool;
  readonly requestTimeoutMs: number;
  private readonly maxResponseBytes: number;

  constructor(
    readonly applianceId: string,
    baseUrl: string,
    tls: TlsTrust,
    options: TransportOptions = {},
  ) {
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.pool = createHttpsPool(baseUrl, tls, {
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      onInsecure: () => options.onInsecureTls?.(applianceId),
    });
  }

  /** One call with its deadline and, when allowed, one retry; any status comes back for the caller to judge. */
  async request(call: HttpCall): Promise<HttpAnswer> {
    const deadline = Date.now() + this.requestTimeoutMs;
    try {
      return await this.attempt(call, deadline);
    } catch (error) {
      if (!(error instanceof RetryableFailure)) throw error;
      if (!call.retry) throw error.failure;
      await sleep(jitter(100));
      if (Date.now() >= deadline)
        throw new ApplianceTimeoutError(this.applianceId, call.step, this.requestTimeoutMs);
      try {
        return await this.attempt(call, deadline);
      } catch (again) {
        throw again instanceof RetryableFailure ? again.failure : again;
      }
    }
  }

  /**
   * A JSON call that must answer `expectStatus`: 401/403 is a refused session (or login), 5xx unavailable,
   * anything else or a body off `schema` a protocol error.
   */
  async json<T>(call: HttpCall & { expectStatus: number; schema: z.ZodType<T> }): Promise<T> {
    const answer = await this.request({
      ...call,
      headers: { accept: 'application/json', ...call.headers },
    });
    this.check(call.step, answer);
    if (answer.status !== call.expectStatus) {
      throw new ApplianceProtocolError(
        this.applianceId,
        call.step,
        `answered HTTP ${answer.status}, expected ${call.expectStatus}`,
      );
    }
    return this.parse(call.step, answer.text, call.schema);
  }

  /** Throws the typed error for an auth refusal or a server error; other statuses are the caller's to judge. */
  check(step: string, answer: HttpAnswer): void {
    const { status } = answer;
    if (status === 401 || status === 403) throw new ApplianceAuthError(this.applianceId, step, status);
    if (status >= 500) {
      throw new ApplianceUnavailableError(this.applianceId, step, `answered HTTP ${status}`, status);
    }
  }

  /** Parses a JSON body against the documented shape; the message names where it broke, never the value. */
  parse<T>(step: string, text: string, schema: z.ZodType<T>): T {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApplianceProtocolError(this.applianceId, step, 'answered a body that is not JSON');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues[0]?.path.join('.') || 'body';
      throw new ApplianceProtocolError(this.applianceId, step, `answered an unexpected body (at ${where})`);
    }
    return parsed.data;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async attempt(call: HttpCall, deadline: number): Promise<HttpAnswer> {
    const { step } = call;
    const remaining = Math.max(1, deadline - Date.now());
    let answer: HttpAnswer;
    try {
      const response = await this.pool.request({
        method: call.method,
        path: call.path,
        headers: call.headers ?? {},
        body: call.body ?? null,
        signal: AbortSignal.timeout(remaining),
        headersTimeout: remaining,
        bodyTimeout: remaining,
      });
      const declared = Number(response.headers['content-length'] ?? 0);
      if (declared > this.maxResponseBytes) {
        response.body.destroy();
        throw new ResponseTooLarge();
      }
      answer = {
        status: response.statusCode,
        headers: response.headers,
        text: await this.read(response.body),
      };
    } catch (error) {
      if (error instanceof ResponseTooLarge) {
        throw new ApplianceProtocolError(
          this.applianceId,
          step,
          `answered more than ${this.maxResponseBytes} bytes; refused`,
        );
      }
      throw this.transportError(step, error);
    }
    // undici hands a kept-alive connection back to the pool one event-loop turn after the response ends
    // (a setImmediate, to catch servers that close anyway); a call made before then finds the connection
    // busy and opens another. Waiting that turn keeps back-to-back calls (login → createTicket) on one.
    await nextTurn();
    if (RETRYABLE_STATUS.has(answer.status)) {
      throw new RetryableFailure(
        new ApplianceUnavailableError(
          this.applianceId,
          step,
          `answered HTTP ${answer.status}`,
          answer.status,
        ),
      );
    }
    return answer;
  }

  /** Reads a body up to the cap; a chunked answer that grows past it is cut off and refused. */
  private async read(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
      size += chunk.length;
      if (size > this.maxResponseBytes) {
        body.destroy();
        throw new ResponseTooLarge();
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks).toString('utf8');
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
  private transportError(step: string, error: unknown): Error {
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
