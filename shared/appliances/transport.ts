import type { IncomingMessage } from 'node:http';
import { type Agent, request as httpsRequest } from 'node:https';
import type { $ZodType } from 'zod/v4/core';
import { safeParse } from 'zod/v4/core';
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
/** The connect limit and the whole-call deadline (see https-pool.ts and `attempt`). */
const TIMEOUT_CODES = new Set(['ERR_CONNECT_TIMEOUT', 'ERR_DEADLINE', 'ETIMEDOUT']);
/** A kept-alive connection the appliance closed under us: the request never reached it, so one retry is safe. */
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);
const RETRYABLE_STATUS = new Set([502, 503, 504]);
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

class RetryableFailure extends Error {
  constructor(readonly failure: ApplianceUnavailableError) {
    super(failure.message);
  }
}

class ResponseTooLarge extends Error {}

/** The whole-call budget ran out (a request in flight is destroyed with it). */
class DeadlineError extends Error {
  readonly code = 'ERR_DEADLINE';
}

/**
 * The one HTTPS path from the broker to any console source: a keep-alive pool with the appliance's trust
 * rule, a whole-call deadline, one retry of a reset connection or a gateway error, and transport failures
 * classified as typed appliance errors whose messages carry codes only (never a URL, body or header).
 */
export class HttpsTransport {
  private readonly pool: Agent;
  private readonly origin: { hostname: string; port: string };
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
    const url = new URL(baseUrl);
    // `hostname` keeps IPv6 brackets; Node's request wants the bare address.
    this.origin = { hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port || '443' };
    this.pool = createHttpsPool(tls, {
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
  async json<T>(call: HttpCall & { expectStatus: number; schema: $ZodType<T> }): Promise<T> {
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
  parse<T>(step: string, text: string, schema: $ZodType<T>): T {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApplianceProtocolError(this.applianceId, step, 'answered a body that is not JSON');
    }
    // zod's core parse: the same for classic and zod/mini schemas, so a provider may use either.
    const parsed = safeParse(schema, json);
    if (!parsed.success) {
      const where = parsed.error.issues[0]?.path.join('.') || 'body';
      throw new ApplianceProtocolError(this.applianceId, step, `answered an unexpected body (at ${where})`);
    }
    return parsed.data;
  }

  async close(): Promise<void> {
    this.pool.destroy();
  }

  private async attempt(call: HttpCall, deadline: number): Promise<HttpAnswer> {
    const { step } = call;
    let answer: HttpAnswer;
    try {
      answer = await this.exchange(call, Math.max(1, deadline - Date.now()));
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

  /** One request and its whole answer, read up to the size cap, within `budgetMs`. */
  private exchange(call: HttpCall, budgetMs: number): Promise<HttpAnswer> {
    return new Promise<HttpAnswer>((resolve, reject) => {
      const headers: Record<string, string | number> = { ...call.headers };
      if (call.body !== undefined) headers['content-length'] = Buffer.byteLength(call.body);
      const req = httpsRequest({
        agent: this.pool,
        hostname: this.origin.hostname,
        port: this.origin.port,
        method: call.method,
        path: call.path,
        headers,
      });
      let settled = false;
      // Node may emit more than one error for one request (a reset after our destroy): the first decides.
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy(error);
        reject(error);
      };
      const timer = setTimeout(() => fail(new DeadlineError('deadline')), budgetMs);
      req.on('error', fail);
      req.once('response', (response: IncomingMessage) => {
        const declared = Number(response.headers['content-length'] ?? 0);
        if (declared > this.maxResponseBytes) return fail(new ResponseTooLarge());
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // A chunked answer that grows past the cap is cut off and refused.
          if (size > this.maxResponseBytes) fail(new ResponseTooLarge());
          else chunks.push(chunk);
        });
        response.on('error', fail);
        response.once('aborted', () => fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
        response.once('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks, size).toString('utf8'),
          });
        });
      });
      req.end(call.body);
    });
  }

  /**
   * Classifies a failure of a request or of reading its answer:
   * - the whole-call budget (`ERR_DEADLINE`) and the connect limit (`ERR_CONNECT_TIMEOUT`, https-pool.ts);
   * - a refused connection or failed TLS verification: Node's own error, its code (`ECONNREFUSED`,
   *   `DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`, …); our pin mismatch is
   *   `ERR_CERT_PIN_MISMATCH`;
   * - a connection closed mid-request: `ECONNRESET` (Node's "socket hang up" carries it too).
   * Codes are collected along the `cause` chain as well, in case a layer wraps them. Messages carry the
   * code only, never Node's text (which could quote an address).
   */
  private transportError(step: string, error: unknown): Error {
    const codes = errorCodes(error);
    const name = error instanceof Error ? error.name : '';
    if (codes.some((code) => TIMEOUT_CODES.has(code))) {
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
