import { ApplianceAuthError, AppliancePermissionError, ApplianceProtocolError } from '../errors.js';
import type { HttpAnswer, HttpsTransport } from '../transport.js';
import {
  type ManagedAccount,
  managedAccountsResponseSchema,
  type PasswordSafeCredentials,
  requestIdSchema,
  type SessionTicket,
  sessionTicketSchema,
  signInResponseSchema,
} from './schemas.js';

/** The body of `POST Requests` [B5, B4]. */
export interface ReleaseRequest {
  SystemID: number;
  AccountID: number;
  DurationMinutes: number;
  Reason: string;
  AccessType: 'RDP' | 'SSH';
  ConflictOption: 'reuse';
}

/** Why a `Sessions` call was refused because of the request's state (403, or 404 for a request gone). */
export type RequestRefusal = 'pending' | 'denied' | 'cancelled' | 'checked-in' | 'expired' | 'gone';

export type SessionAnswer =
  | { kind: 'rdpfile'; file: string }
  | { kind: 'ticket'; ticket: SessionTicket }
  | { kind: 'refused'; why: RequestRefusal };

/**
 * The calls the broker makes on one Password Safe (Public API v3). Every path is relative to the base URL's
 * path; the cookie SignAppin set is the session, and no Authorization header is sent after SignAppin [B3].
 */
export class PasswordSafeClient {
  private readonly basePath: string;

  constructor(
    private readonly applianceId: string,
    baseUrl: string,
    private readonly http: HttpsTransport,
  ) {
    this.basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  }

  /** `POST Auth/SignAppin` → the session cookie. Not retried: a refused sign-in must not repeat. */
  async signIn(credentials: PasswordSafeCredentials): Promise<{ cookie: string; userName: string }> {
    const pwd = credentials.password === undefined ? '' : ` pwd=[${credentials.password}];`;
    const answer = await this.http.request({
      step: 'login',
      method: 'POST',
      path: this.path('Auth/SignAppin'),
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        authorization: `PS-Auth key=${credentials.apiKey}; runas=${credentials.runAs};${pwd}`,
      },
      body: '',
      retry: false,
    });
    this.http.check('login', answer);
    if (answer.status !== 200) this.unexpected('login', answer, 200);
    const user = this.http.parse('login', answer.text, signInResponseSchema);
    const cookie = cookieHeader(answer.headers['set-cookie']);
    if (!cookie)
      throw new ApplianceProtocolError(this.applianceId, 'login', 'answered without a session cookie');
    return { cookie, userName: user.UserName ?? credentials.runAs };
  }

  /** `POST Auth/Signout`: best effort, a session that has already lapsed is as good as signed out. */
  async signOut(cookie: string): Promise<void> {
    const answer = await this.http.request({
      step: 'signOut',
      method: 'POST',
      path: this.path('Auth/Signout'),
      headers: { cookie, 'content-type': 'application/json' },
      body: '',
      retry: false,
    });
    if (answer.status === 401) return;
    this.http.check('signOut', answer);
  }

  /** `GET ManagedAccounts`: the accounts enabled for API access, optionally of one system. */
  managedAccounts(cookie: string, systemId?: number): Promise<ManagedAccount[]> {
    const query = systemId === undefined ? '' : `?systemID=${systemId}`;
    return this.http.json({
      step: 'listAccounts',
      method: 'GET',
      path: this.path(`ManagedAccounts${query}`),
      headers: { cookie },
      expectStatus: 200,
      schema: managedAccountsResponseSchema,
      retry: true,
    });
  }

  /** `POST Requests` → the request id; `ConflictOption: reuse` answers a live request's id instead of a new one. */
  async fileRequest(cookie: string, body: ReleaseRequest): Promise<number> {
    const answer = await this.http.request({
      step: 'createRequest',
      method: 'POST',
      path: this.path('Requests'),
      headers: { cookie, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify(body),
      // With `reuse`, filing twice yields the same request, so a retry after a gateway error is harmless.
      retry: true,
    });
    if (answer.status === 401) throw new ApplianceAuthError(this.applianceId, 'createRequest', 401);
    if (answer.status === 403) this.forbidden('createRequest', answer, `${body.AccessType} access`);
    this.http.check('createRequest', answer);
    if (answer.status !== 201 && answer.status !== 200) this.unexpected('createRequest', answer, 201);
    return this.http.parse('createRequest', answer.text, requestIdSchema);
  }

  /** `POST Requests/{id}/Sessions`: the RDP file or the ticket, or why the request's state refuses it. */
  async openSession(
    cookie: string,
    requestId: number,
    sessionType: 'rdpfile' | 'sshticket',
  ): Promise<SessionAnswer> {
    const step = 'createSession';
    const answer = await this.http.request({
      step,
      method: 'POST',
      path: this.path(`Requests/${requestId}/Sessions`),
      headers: { cookie, accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ SessionType: sessionType, NodeID: null }),
      // A repeated call mints a second session; the first one's ticket would simply go unused.
      retry: true,
    });
    if (answer.status === 401) throw new ApplianceAuthError(this.applianceId, step, 401);
    if (answer.status === 404) return { kind: 'refused', why: 'gone' };
    if (answer.status === 403) {
      const why = refusalOf(errorText(answer.text));
      if (!why) this.forbidden(step, answer, 'a session');
      return { kind: 'refused', why };
    }
    this.http.check(step, answer);
    if (answer.status !== 201 && answer.status !== 200) this.unexpected(step, answer, 201);
    if (sessionType === 'sshticket')
      return { kind: 'ticket', ticket: this.http.parse(step, answer.text, sessionTicketSchema) };
    if (!answer.text.includes('full address:')) {
      throw new ApplianceProtocolError(this.applianceId, step, 'answered something that is not an RDP file');
    }
    return { kind: 'rdpfile', file: answer.text };
  }

  /** `PUT Requests/{id}/Checkin`: a request that is already over (or gone) needs nothing more. */
  async checkin(cookie: string, requestId: number): Promise<void> {
    const step = 'checkin';
    const answer = await this.http.request({
      step,
      method: 'PUT',
      path: this.path(`Requests/${requestId}/Checkin`),
      headers: { cookie, accept: 'application/json', 'content-type': 'application/json' },
      body: '{}',
      retry: true,
    });
    if (answer.status === 401) throw new ApplianceAuthError(this.applianceId, step, 401);
    if (answer.status === 403 || answer.status === 404) return;
    this.http.check(step, answer);
  }

  private path(relative: string): string {
    return `${this.basePath}/${relative}`;
  }

  /** A 403 that is not a request state: 4031 (or anything else) means the run-as user may not do this. */
  private forbidden(step: string, answer: HttpAnswer, what: string): never {
    const text = errorText(answer.text);
    const code = /\b(40\d\d)\b/.exec(text)?.[1];
    throw new AppliancePermissionError(
      this.applianceId,
      step,
      `was refused with HTTP 403${code ? ` (${code})` : ''}: the run-as user may not request ${what} on this account`,
    );
  }

  private unexpected(step: string, answer: HttpAnswer, expected: number): never {
    const detail = answer.status < 500 && answer.status >= 400 ? `: ${errorText(answer.text)}` : '';
    throw new ApplianceProtocolError(
      this.applianceId,
      step,
      `answered HTTP ${answer.status}, expected ${expected}${detail}`,
    );
  }
}

/** Error bodies are a JSON string or a bare code [B0, B4]; shown as one short line (they carry no secret). */
export function errorText(text: string): string {
  let value: unknown = text;
  try {
    value = JSON.parse(text);
  } catch {
    // Not JSON: the raw text is the message.
  }
  if (value && typeof value === 'object' && 'Message' in value)
    value = (value as { Message: unknown }).Message;
  const line = (typeof value === 'string' || typeof value === 'number' ? String(value) : text)
    .replace(/\s+/g, ' ')
    .trim();
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

/**
 * The request state a `Sessions` 403 names: `4034` is the documented "not yet approved" [B4]; the other states'
 * texts are UNCONFIRMED, so they are recognised by their words (denied, canceled/cancelled, checked in, expired).
 */
export function refusalOf(text: string): RequestRefusal | undefined {
  if (/\b4034\b/.test(text) || /not yet approved/i.test(text)) return 'pending';
  if (/denied/i.test(text)) return 'denied';
  if (/cancell?ed/i.test(text)) return 'cancelled';
  if (/checked[ -]?in/i.test(text)) return 'checked-in';
  if (/expired/i.test(text)) return 'expired';
  return undefined;
}

/** The `Cookie` header that replays every cookie of a Set-Cookie answer (the cookie's name is UNCONFIRMED). */
export function cookieHeader(setCookie: string | string[] | undefined): string | undefined {
  const lines = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  const pairs = lines
    .map((line) => line.split(';', 1)[0]?.trim() ?? '')
    .filter((pair) => /^[^=\s]+=\S+$/.test(pair));
  return pairs.length ? pairs.join('; ') : undefined;
}
