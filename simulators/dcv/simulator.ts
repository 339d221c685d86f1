import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CertificatePair, defaultCertificate } from '../certificate.js';
import type { InjectedFault } from '../common/faults.js';
import { HostedSimulator } from '../common/hosted.js';
import { proxyErrorPage, tryDecodeURIComponent } from '../common/http.js';
import { answerControl, SimulatorServer } from '../common/server.js';
import { type DescribeRequest, Pager, parseDescribeRequest } from './describe.js';
import { type ApiEndpoint, type FaultControl, type FaultEndpoint, parseFaultControl } from './faults.js';
import {
  apiError,
  bearerError,
  escapeHtml,
  htmlPage,
  json,
  mediaType,
  oauthError,
  Rejection,
  type Reply,
  readBody,
} from './replies.js';
import {
  generatedSessions,
  isSessionState,
  renderSession,
  type SessionState,
  type SimSession,
  sessionCounts,
} from './sessions.js';
import { defaultSigningKey, type SigningKey, TokenAuthority, type TokenProblem } from './tokens.js';

export { type CertificatePair, generateCertificate } from '../certificate.js';
export { DEFAULT_MAX_RESULTS, MAX_RESULTS_LIMIT } from './describe.js';
export type { ApiEndpoint, FaultControl, FaultEndpoint } from './faults.js';
export {
  deterministicUuid,
  generatedSessions,
  type KeyValuePair,
  SESSION_STATES,
  type SessionState,
  type SessionType,
  type SimSession,
} from './sessions.js';

export interface DcvSimulatorOptions {
  port?: number;
  host?: string;
  latencyMs?: number;
  /** Injected clock (epoch ms) for access-token and connection-token expiry. */
  now?: () => number;
  cert?: CertificatePair;
  /** As `register-api-client` prints it: a UUID. Random when absent. */
  clientId?: string;
  /** As `register-api-client` prints it: base64 text. Random when absent. */
  clientSecret?: string;
  sessions?: SimSession[];
  /** Generates this many sessions (see `generatedSessions`) when `sessions` is absent; default 20. */
  sessionCount?: number;
  /** Seed for generated session ids, so two simulators can hold different sessions. */
  seed?: string;
  /** `Server.Hostname` of sessions that name none; default `dcv-sim-01`. */
  hostname?: string;
  /** `expires_in` of access tokens; default 3600 (the only value any source shows, fact sheet 2.1). */
  tokenTtlSeconds?: number;
  /** Connection token lifetime; default 3600 (`connect-session-token-duration-minutes` = 60, fact sheet 2.3). */
  connectionTokenTtlSeconds?: number;
  /**
   * Status for GetSessionConnectionData on an unknown session id. UNCONFIRMED: the model lists only
   * 400 "Invalid input"; the default 404 lets a test tell "no such session" from a malformed call.
   */
  unknownSessionStatus?: 400 | 404;
  /** Status for GetSessionConnectionData on a session that is not READY. UNCONFIRMED; default 400 ("Invalid input"). */
  notReadyStatus?: 400 | 409;
  /** When given, only these login names exist on the DCV server; GetSessionConnectionData for others answers 400. */
  knownUsers?: string[];
  signingKey?: SigningKey;
}

export interface DcvSimulatorCounters {
  /** Access tokens issued (oauth2/token answered 200). */
  logins: number;
  /** oauth2/token answered 400/401 by the simulated broker (injected faults are not counted). */
  failedLogins: number;
  /** describeSessions answered 200. */
  lists: number;
  /** sessionConnectionData answered 200. */
  launches: number;
  tlsConnections: number;
  /** Every HTTP request except the `/__sim` control routes. */
  requests: number;
  /** Every oauth2/token request, whatever its answer (injected faults included). */
  tokenRequests: number;
  /** Every describeSessions request, whatever its answer (injected faults included). */
  describeCalls: number;
  /** Connection tokens minted. */
  connectionTokens: number;
  /** Web client pages served for a good connection token. */
  webClientOpens: number;
  /** Web client pages refused (missing, unknown, used or expired token; session gone). */
  webClientRejections: number;
  /** API calls refused for a missing, unknown, expired or revoked bearer token. */
  unauthorized: number;
}

export interface DcvSimulator {
  readonly kind: 'dcv';
  readonly url: string;
  readonly port: number;
  readonly certPem: string;
  readonly fingerprint256: string;
  /** What the broker stores as this source's secret. */
  readonly credentials: { clientId: string; clientSecret: string };
  readonly counters: DcvSimulatorCounters;
  readonly sessions: readonly SimSession[];
  resetCounters(): void;
  setSessions(sessions: SimSession[]): void;
  /** Moves a session to `state`; throws for an unknown id. */
  setState(sessionId: string, state: SessionState): void;
  /** Every access token issued so far answers 401 from now on; connection tokens are untouched. */
  revokeAllTokens(): void;
  /** Every access token and every unspent connection token issued so far counts as expired. */
  expireAllTokens(): void;
  setLatency(ms: number): void;
  failNext(count: number, opts?: { status?: number; endpoint?: FaultEndpoint }): void;
  garbageNext(count: number, opts?: { endpoint?: FaultEndpoint }): void;
  hang(on: boolean): void;
  rejectLogins(on: boolean): void;
  applyFaults(control: FaultControl): void;
  /** The client secret and every token handed out (the latest 50,000), for a secrets-leak sweep. */
  secretsIssued(): string[];
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Login names as Linux and Windows (`DOMAIN\user`, `user@domain`) write them; no spaces, slashes or colons. */
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9._@$\\-]{0,63}$/;
const FORM = 'application/x-www-form-urlencoded';

type Route =
  | { kind: 'api'; endpoint: ApiEndpoint; segments?: [string, string] }
  | { kind: 'webClient' }
  | { kind: 'methodNotAllowed'; allow: string }
  | { kind: 'notFound' };

function route(method: string, pathname: string): Route {
  const allow = (expected: string, target: Route): Route =>
    method === expected ? target : { kind: 'methodNotAllowed', allow: expected };
  if (pathname === '/oauth2/token') return allow('POST', { kind: 'api', endpoint: 'login' });
  if (pathname === '/describeSessions') return allow('POST', { kind: 'api', endpoint: 'list' });
  const connection = /^\/sessionConnectionData\/([^/]+)\/([^/]+)$/.exec(pathname);
  if (connection?.[1] && connection[2]) {
    return allow('GET', { kind: 'api', endpoint: 'launch', segments: [connection[1], connection[2]] });
  }
  if (pathname === '/') return allow('GET', { kind: 'webClient' });
  return { kind: 'notFound' };
}

/** A body of the right status but the wrong shape, alternating an HTML error page and JSON missing fields. */
function garbageReply(endpoint: ApiEndpoint, index: number): Reply {
  if (index % 2 === 0) return proxyErrorPage(200);
  const partial = {
    login: { token_type: 'bearer', expires_in: 3600 },
    list: { NextToken: null },
    launch: { Session: { Id: 'garbage' } },
  };
  return json(200, partial[endpoint]);
}

function faultReply(fault: InjectedFault, endpoint: ApiEndpoint): Reply {
  if (fault.kind === 'garbage') return garbageReply(endpoint, fault.index);
  return apiError(fault.status, 'simulated_failure', `simulated failure (HTTP ${fault.status})`);
}

const WEB_CLIENT_PROBLEMS: Record<TokenProblem, string> = {
  unknown: 'The authentication token is not valid.',
  expired: 'The authentication token has expired.',
  revoked: 'The authentication token has been revoked.',
  used: 'The authentication token has already been used.',
};

function zeroCounters(): DcvSimulatorCounters {
  return {
    logins: 0,
    failedLogins: 0,
    lists: 0,
    launches: 0,
    tlsConnections: 0,
    requests: 0,
    tokenRequests: 0,
    describeCalls: 0,
    connectionTokens: 0,
    webClientOpens: 0,
    webClientRejections: 0,
    unauthorized: 0,
  };
}

class Simulator extends HostedSimulator<FaultEndpoint> implements DcvSimulator {
  readonly kind = 'dcv';
  readonly credentials: { clientId: string; clientSecret: string };
  readonly counters = zeroCounters();

  protected readonly server: SimulatorServer<FaultEndpoint>;
  private readonly hostname: string;
  private readonly tokenTtlSeconds: number;
  private readonly connectionTokenTtlSeconds: number;
  private readonly unknownSessionStatus: 400 | 404;
  private readonly notReadyStatus: 400 | 409;
  private readonly knownUsers: Set<string> | undefined;
  private readonly tokens: TokenAuthority;
  private readonly pager = new Pager();
  private sessionList: SimSession[] = [];
  private sessionIndex = new Map<string, SimSession>();
  private rejectingLogins = false;

  constructor(options: DcvSimulatorOptions, cert: CertificatePair, signingKey: SigningKey) {
    super(cert);
    this.hostname = options.hostname ?? 'dcv-sim-01';
    this.credentials = {
      clientId: options.clientId ?? randomUUID(),
      // register-api-client prints base64 text; the guide's sample is base64 of a UUID-like string.
      clientSecret: options.clientSecret ?? Buffer.from(randomUUID()).toString('base64'),
    };
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
    this.connectionTokenTtlSeconds = options.connectionTokenTtlSeconds ?? 3600;
    this.unknownSessionStatus = options.unknownSessionStatus ?? 404;
    this.notReadyStatus = options.notReadyStatus ?? 400;
    this.knownUsers = options.knownUsers ? new Set(options.knownUsers) : undefined;
    this.tokens = new TokenAuthority(signingKey, 'dcv-session-manager-broker', options.now ?? Date.now);
    this.setSessions(options.sessions ?? generatedSessions(options.sessionCount ?? 20, options.seed));
    this.server = new SimulatorServer({
      ...options,
      cert,
      dispatch: (req, res) => this.dispatch(req, res),
      internalError: (error) => apiError(500, 'internal_error', `simulator error: ${String(error)}`),
      onTlsConnection: () => this.counters.tlsConnections++,
      headers: { pragma: 'no-cache' },
    });
  }

  get sessions(): readonly SimSession[] {
    return this.sessionList;
  }

  resetCounters(): void {
    Object.assign(this.counters, zeroCounters());
  }

  setSessions(sessions: SimSession[]): void {
    this.sessionList = sessions.map((session) => ({ ...session, Tags: [...session.Tags] }));
    this.sessionIndex = new Map(this.sessionList.map((session) => [session.Id, session]));
  }

  setState(sessionId: string, state: SessionState): void {
    const session = this.sessionIndex.get(sessionId);
    if (!session) throw new Error('setState: no such session');
    if (!isSessionState(state)) throw new Error(`setState: bad state ${String(state)}`);
    session.State = state;
  }

  revokeAllTokens(): void {
    this.tokens.revokeAccessTokens();
  }

  expireAllTokens(): void {
    this.tokens.expireAll();
  }

  rejectLogins(on: boolean): void {
    this.rejectingLogins = on;
  }

  applyFaults(control: FaultControl): void {
    if (control.resetCounters) this.resetCounters();
    if (control.forgetAllSessions || control.revokeAllTokens) this.revokeAllTokens();
    if (control.expireAllTokens) this.expireAllTokens();
    if (control.rejectLogins !== undefined) this.rejectLogins(control.rejectLogins);
    for (const [id, state] of Object.entries(control.sessionStates ?? {})) {
      if (this.sessionIndex.has(id)) this.setState(id, state);
    }
    this.server.applyFaults(control);
  }

  secretsIssued(): string[] {
    return [this.credentials.clientSecret, ...this.tokens.issued()];
  }

  protected async answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<Reply | undefined> {
    const target = route(req.method ?? 'GET', url.pathname);
    switch (target.kind) {
      case 'api':
        return this.api(req, res, url, target.endpoint, target.segments);
      case 'webClient':
        return this.webClient(url);
      case 'methodNotAllowed': {
        const reply = apiError(405, 'method_not_allowed', 'method not allowed');
        reply.headers = { ...reply.headers, allow: target.allow };
        return reply;
      }
      case 'notFound':
        return apiError(404, 'not_found', 'no such route');
    }
  }

  private async api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    endpoint: ApiEndpoint,
    segments: [string, string] | undefined,
  ): Promise<Reply | undefined> {
    if (endpoint === 'login') this.counters.tokenRequests++;
    if (endpoint === 'list') this.counters.describeCalls++;
    const admitted = await this.server.admit(res, endpoint);
    if (admitted === 'parked') return undefined;
    if (admitted) return faultReply(admitted, endpoint);
    if (endpoint === 'login') return this.token(req, url);
    await this.authenticate(req);
    if (endpoint === 'list') return this.describeSessions(req);
    const [sessionId, user] = segments ?? ['', ''];
    return this.sessionConnectionData(sessionId, user);
  }

  /**
   * `POST /oauth2/token?grant_type=client_credentials` (guide, "Get an access token"). The errors follow
   * RFC 6749 5.2, since the broker's own error body is UNCONFIRMED, checked in this order:
   * - Content-Type other than application/x-www-form-urlencoded: 400 invalid_request (RFC 6749 3.2);
   * - missing or malformed Basic credentials, wrong client id or secret: 401 invalid_client + Basic challenge;
   * - grant_type missing: 400 invalid_request; any other grant: 400 unsupported_grant_type.
   * grant_type is read from the query (as the guide sends it) or from the form body (as RFC 6749 sends it).
   */
  private async token(req: IncomingMessage, url: URL): Promise<Reply> {
    const reply = await this.tokenReply(req, url);
    if (reply.status === 200) this.counters.logins++;
    else this.counters.failedLogins++;
    return reply;
  }

  private async tokenReply(req: IncomingMessage, url: URL): Promise<Reply> {
    const body = await readBody(req);
    if (mediaType(req) !== FORM) {
      return oauthError(400, 'invalid_request', `Content-Type must be ${FORM}`);
    }
    if (!this.clientAuthenticated(req.headers.authorization)) {
      return oauthError(401, 'invalid_client', 'Client authentication failed');
    }
    const grantType = url.searchParams.get('grant_type') ?? new URLSearchParams(body).get('grant_type');
    if (!grantType) return oauthError(400, 'invalid_request', 'grant_type is required');
    if (grantType !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'only client_credentials is supported');
    }
    const accessToken = await this.tokens.issueAccessToken(this.credentials.clientId, this.tokenTtlSeconds);
    return json(200, { access_token: accessToken, token_type: 'bearer', expires_in: this.tokenTtlSeconds });
  }

  private clientAuthenticated(header: string | undefined): boolean {
    if (this.rejectingLogins) return false;
    const encoded = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header ?? '')?.[1];
    if (!encoded) return false;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    return (
      decoded.slice(0, colon) === this.credentials.clientId &&
      decoded.slice(colon + 1) === this.credentials.clientSecret
    );
  }

  /** Every API call needs `Authorization: Bearer <access_token>`; 401 (RFC 6750) otherwise. */
  private async authenticate(req: IncomingMessage): Promise<void> {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer +(\S+)$/i.exec(header)?.[1];
    if (!token) {
      this.counters.unauthorized++;
      throw bearerError('a Bearer access token is required', false);
    }
    const problem = await this.tokens.checkAccessToken(token);
    if (problem) {
      this.counters.unauthorized++;
      throw bearerError(`the access token is ${problem === 'unknown' ? 'not valid' : problem}`, true);
    }
  }

  private async describeRequest(req: IncomingMessage): Promise<DescribeRequest> {
    const text = await readBody(req);
    if (text.trim() === '') return parseOrReject({});
    // A Spring controller that consumes application/json refuses other media types with 415.
    if (mediaType(req) !== 'application/json') {
      throw new Rejection(apiError(415, 'unsupported_media_type', 'Content-Type must be application/json'));
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Rejection(apiError(400, 'invalid_input', 'Invalid input: the body is not valid JSON'));
    }
    return parseOrReject(value);
  }

  /** `POST /describeSessions`: the body is optional; sessions of every state are listed. */
  private async describeSessions(req: IncomingMessage): Promise<Reply> {
    const request = await this.describeRequest(req);
    const result = this.pager.page(this.sessionList, request);
    if (typeof result === 'string') return apiError(400, 'invalid_input', `Invalid input: ${result}`);
    const address = { ip: '127.0.0.1', port: this.port, hostname: this.hostname };
    const counts = sessionCounts(this.sessionList, this.hostname);
    this.counters.lists++;
    return json(200, {
      RequestId: randomUUID(),
      Sessions: result.page.map((session) => renderSession(session, address, counts)),
      // The fact sheet's sample writes an explicit null on the last page.
      NextToken: result.nextToken,
    });
  }

  /** `GET /sessionConnectionData/{sessionId}/{user}`: a fresh single-use connection token on every call. */
  private async sessionConnectionData(rawSessionId: string, rawUser: string): Promise<Reply> {
    const sessionId = tryDecodeURIComponent(rawSessionId);
    const user = tryDecodeURIComponent(rawUser);
    if (sessionId === undefined || user === undefined) {
      return apiError(400, 'invalid_input', 'Invalid input: malformed path');
    }
    if (!USER_NAME.test(user) || (this.knownUsers && !this.knownUsers.has(user))) {
      return apiError(400, 'invalid_input', 'Invalid input: the user name is not valid on the DCV server');
    }
    const session = this.sessionIndex.get(sessionId);
    if (!session) {
      return apiError(this.unknownSessionStatus, 'not_found', 'The requested dcvSession does not exist');
    }
    if (session.State !== 'READY') {
      const error = this.notReadyStatus === 409 ? 'conflict' : 'invalid_input';
      return apiError(this.notReadyStatus, error, `The session is ${session.State}, not READY`);
    }
    const connectionToken = await this.tokens.issueConnectionToken(
      session.Id,
      user,
      this.connectionTokenTtlSeconds,
    );
    this.counters.connectionTokens++;
    this.counters.launches++;
    const address = { ip: '127.0.0.1', port: this.port, hostname: this.hostname };
    const counts = sessionCounts(this.sessionList, this.hostname);
    return json(200, { Session: renderSession(session, address, counts), ConnectionToken: connectionToken });
  }

  /**
   * The DCV server's web client at `WebUrlPath` `/`. The browser opens `/?authToken=<token>#<sessionId>`; the
   * fragment never reaches a server, so the page names the session the token was minted for, and its script
   * shows the fragment beside it.
   */
  private async webClient(url: URL): Promise<Reply> {
    const token = url.searchParams.get('authToken');
    if (!token) return this.webClientRefusal(401, 'An authentication token is required.');
    const redeemed = await this.tokens.redeemConnectionToken(token);
    if (typeof redeemed === 'string') return this.webClientRefusal(401, WEB_CLIENT_PROBLEMS[redeemed]);
    const session = this.sessionIndex.get(redeemed.sessionId);
    if (session?.State !== 'READY') {
      return this.webClientRefusal(404, 'The session is not available.');
    }
    this.counters.webClientOpens++;
    const rows: [string, string, string][] = [
      ['session-id', 'Session id', session.Id],
      ['session-name', 'Session name', session.Name],
      ['session-type', 'Session type', session.Type],
      ['owner', 'Owner', session.Owner],
      ['user', 'Connected as', redeemed.user],
      ['server', 'Server', session.Hostname ?? this.hostname],
    ];
    const list = rows.map(
      ([id, label, value]) => `<dt>${label}</dt><dd id="${id}">${escapeHtml(value)}</dd>`,
    );
    const script =
      '<script>document.getElementById("fragment").textContent = decodeURIComponent(location.hash.slice(1));</script>';
    const body =
      `<h1>DCV web client (simulated)</h1>\n<p id="status">Connected to session ${escapeHtml(session.Id)}</p>\n` +
      `<dl>\n${list.join('\n')}\n<dt>URL fragment</dt><dd id="fragment"></dd>\n</dl>\n${script}`;
    return htmlPage(200, 'DCV web client (simulated)', body);
  }

  private webClientRefusal(status: number, reason: string): Reply {
    this.counters.webClientRejections++;
    return htmlPage(
      status,
      'DCV web client (simulated) - connection refused',
      `<h1>DCV web client (simulated)</h1>\n<p id="reason">${escapeHtml(reason)}</p>`,
    );
  }

  protected control(req: IncomingMessage, url: URL): Promise<Reply> {
    return answerControl(req, url, {
      counters: this.counters,
      problem: (status, text) =>
        apiError(status, status === 400 ? 'invalid_input' : 'simulator_control', text),
      parseFaults: parseFaultControl,
      applyFaults: (control) => this.applyFaults(control),
    });
  }
}

function parseOrReject(value: unknown): DescribeRequest {
  const request = parseDescribeRequest(value);
  if (typeof request === 'string') {
    throw new Rejection(apiError(400, 'invalid_input', `Invalid input: ${request}`));
  }
  return request;
}

/** Starts a simulated DCV Session Manager broker (and DCV server web client) on HTTPS. */
export async function startDcvSimulator(options: DcvSimulatorOptions = {}): Promise<DcvSimulator> {
  const [cert, signingKey] = await Promise.all([
    options.cert ?? defaultCertificate(),
    options.signingKey ?? defaultSigningKey(),
  ]);
  const simulator = new Simulator(options, cert, signingKey);
  await simulator.listen(options.port ?? 0);
  return simulator;
}
