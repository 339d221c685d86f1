import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CertificatePair, defaultCertificate } from '../certificate.js';
import type { InjectedFault } from '../common/faults.js';
import { HostedSimulator } from '../common/hosted.js';
import { tryDecodeURIComponent } from '../common/http.js';
import { answerControl, SimulatorServer } from '../common/server.js';
import { parsePsAuth } from './auth-header.js';
import {
  type ApiEndpoint,
  type FaultControl,
  type FaultEndpoint,
  garbageBody,
  parseFaultControl,
} from './faults.js';
import {
  htmlPage,
  json,
  message,
  Rejection,
  type Reply,
  readBody,
  readCookie,
  readJsonObject,
} from './http.js';
import { accountKey, managedAccountJson, type SimAccount, standardAccounts } from './inventory.js';
import {
  type AccessRequest,
  accessTypeFor,
  isLive,
  parseReleaseRequest,
  type RequestState,
  rdpFileText,
  requestJson,
  type SessionKind,
  sessionKindOf,
  stateOf,
} from './requests.js';
import { BASE_PATH, createRouter, type Route } from './routes.js';

export { psAuthHeader } from './auth-header.js';
export type { ApiEndpoint, FaultControl, FaultEndpoint } from './faults.js';
export {
  type AccessType,
  accountKey,
  PLATFORMS,
  type SimAccount,
  type SimPlatform,
  standardAccounts,
} from './inventory.js';
export type { RequestState } from './requests.js';
export { BASE_PATH } from './routes.js';

/** Documented error codes [B4]; they come with 403 or 409. */
const ERROR_CODES = {
  4031: 'User does not have permission',
  4034: 'Request is not yet approved',
  4091: 'Conflicting request exists',
} as const;

export interface PasswordSafeSimulatorOptions {
  port?: number;
  host?: string;
  latencyMs?: number;
  now?: () => number;
  cert?: CertificatePair;
  apiKey?: string;
  runAs?: string;
  /** When set, the API registration requires the user's password: SignAppin without `pwd=[...]` is a 401. */
  password?: string;
  /** The `UserId` SignAppin reports and requests are owned by. */
  userId?: number;
  /** Idle time after which a cookie session is closed server-side ("20 minutes of uninterrupted inactivity"). */
  idleTimeoutSeconds?: number;
  /** Session cookie name; UNCONFIRMED, ASP.NET's default. */
  cookieName?: string;
  accounts?: SimAccount[];
  /** What an omitted `ConflictOption` does; the docs say both (UNCONFIRMED): default 409 `conflict`. */
  conflictDefault?: 'conflict' | 'renew';
  /** `DurationMinutes` above the account's `MaximumReleaseDuration` (UNCONFIRMED): default refused with 400. */
  durationAboveMaximum?: 'refuse' | 'cap';
  /** Error bodies with a code (UNCONFIRMED): `"4034 - Request is not yet approved"` by default, or just `4034`. */
  errorBody?: 'code-and-text' | 'code';
  /** Whether paths must match the documented casing (UNCONFIRMED; the XSOAR client's `/auth/signout` suggests not). */
  caseSensitivePaths?: boolean;
  /** Whether the access policy requires a `Reason` on release requests. */
  requireReason?: boolean;
  /** Where tickets point (the session proxy): default the simulator's own host, RDP 4489, SSH 4422. */
  proxyHost?: string;
  rdpPort?: number;
  sshPort?: number;
}

export interface PasswordSafeCounters {
  /** SignAppin answered 200 (also `signIns`, the vendor's word). */
  logins: number;
  signIns: number;
  /** SignAppin answered 401 by the simulated appliance (injected faults are not counted). */
  failedLogins: number;
  signOuts: number;
  /** ManagedAccounts answered 200. */
  lists: number;
  /** Release requests created (201 with a new id; a reused request is not counted). */
  accessRequests: number;
  /** Requests/{id}/Sessions answered 201 (also `sessions`). */
  launches: number;
  sessions: number;
  /** Requests/{id}/Sessions refused because of the request's state (403). */
  launchRefusals: number;
  checkins: number;
  /** Session tickets spent through `redeem` or `POST /__sim/redeem`. */
  redemptions: number;
  /** TLS handshakes completed; stays low when clients keep connections alive. */
  tlsConnections: number;
  /** Every HTTP request except the `/__sim` control routes. */
  requests: number;
}

export type RedeemResult =
  | { ok: true; requestId: number; sessionId: number; sessionType: string; accountKey: string }
  | { ok: false; reason: 'unknown' | 'used' | 'inactive' };

export interface PasswordSafeSimulator {
  readonly kind: 'password-safe';
  readonly url: string;
  /** `url` + the API base path: what the broker registers as `baseUrl`. */
  readonly baseUrl: string;
  readonly port: number;
  readonly certPem: string;
  readonly fingerprint256: string;
  readonly credentials: Record<string, string>;
  readonly counters: PasswordSafeCounters;
  readonly accounts: readonly SimAccount[];
  resetCounters(): void;
  applyFaults(control: FaultControl): void;
  secretsIssued(): string[];
  approve(requestId: number): void;
  deny(requestId: number): void;
  cancel(requestId: number): void;
  requestState(requestId: number): RequestState | undefined;
  setApprovalRequired(accountKey: string, required: boolean): void;
  forgetAllSessions(): void;
  expireIdleSessions(): void;
  /** Spends a session ticket, as the session proxy would when a client connects with it. */
  redeem(ticket: string): RedeemResult;
  close(): Promise<void>;
}

interface CookieSession {
  userId: number;
  lastSeen: number;
}

interface IssuedTicket {
  requestId: number;
  sessionId: number;
  sessionType: string;
  used: boolean;
}

function zeroCounters(): PasswordSafeCounters {
  return {
    logins: 0,
    signIns: 0,
    failedLogins: 0,
    signOuts: 0,
    lists: 0,
    accessRequests: 0,
    launches: 0,
    sessions: 0,
    launchRefusals: 0,
    checkins: 0,
    redemptions: 0,
    tlsConnections: 0,
    requests: 0,
  };
}

/** 401 as ASP.NET Web API's authorization filter answers it; the real body is UNCONFIRMED [B3]. */
function unauthorized(): Rejection {
  return new Rejection(json(401, { Message: 'Authorization has been denied for this request.' }));
}

/** ASP.NET session ids are 24 characters of [a-z0-5]. */
function aspNetSessionId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz012345';
  return Array.from(randomBytes(24), (byte) => alphabet[byte % 32]).join('');
}

function faultReply(fault: InjectedFault, endpoint: ApiEndpoint): Reply {
  if (fault.kind === 'fail') return message(fault.status, `Simulated failure (HTTP ${fault.status})`);
  const garbage = garbageBody(endpoint, fault.index);
  return { status: garbage.status, headers: { 'content-type': garbage.type }, body: garbage.body };
}

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

class Simulator extends HostedSimulator<FaultEndpoint> implements PasswordSafeSimulator {
  readonly kind = 'password-safe' as const;
  readonly counters = zeroCounters();

  protected readonly server: SimulatorServer<FaultEndpoint>;
  private readonly apiKey: string;
  private readonly runAs: string;
  private readonly password: string | undefined;
  private readonly userId: number;
  private readonly idleTimeoutMs: number;
  private readonly cookieName: string;
  private readonly conflictDefault: 'conflict' | 'renew';
  private readonly durationAboveMaximum: 'refuse' | 'cap';
  private readonly errorBody: 'code-and-text' | 'code';
  private readonly route: ReturnType<typeof createRouter>;
  private readonly requireReason: boolean;
  private readonly proxyHost: string;
  private readonly rdpPort: number;
  private readonly sshPort: number;
  private readonly now: () => number;
  private readonly nodeId = randomUUID();
  private readonly accountList: SimAccount[];
  private readonly cookieSessions = new Map<string, CookieSession>();
  private readonly accessRequests = new Map<number, AccessRequest>();
  private readonly tickets = new Map<string, IssuedTicket>();
  private readonly issued: string[] = [];
  private nextRequestId = 123;
  private nextSessionId = 45;
  private rejectingLogins = false;

  constructor(options: PasswordSafeSimulatorOptions, cert: CertificatePair) {
    super(cert);
    this.server = new SimulatorServer({
      ...options,
      cert,
      dispatch: (req, res) => this.dispatch(req, res),
      internalError: () => message(500, 'Simulator error'),
      onTlsConnection: () => this.counters.tlsConnections++,
    });
    // A 128-character key, the length the product issues [B1].
    this.apiKey = options.apiKey ?? randomBytes(64).toString('hex');
    this.runAs = options.runAs ?? 'svc-broker';
    this.password = options.password;
    this.userId = options.userId ?? 2;
    this.idleTimeoutMs = (options.idleTimeoutSeconds ?? 1200) * 1000;
    this.cookieName = options.cookieName ?? 'ASP.NET_SessionId';
    this.conflictDefault = options.conflictDefault ?? 'conflict';
    this.durationAboveMaximum = options.durationAboveMaximum ?? 'refuse';
    this.errorBody = options.errorBody ?? 'code-and-text';
    this.route = createRouter(options.caseSensitivePaths ?? false);
    this.requireReason = options.requireReason ?? true;
    this.proxyHost = options.proxyHost ?? this.server.host;
    this.rdpPort = options.rdpPort ?? 4489;
    this.sshPort = options.sshPort ?? 4422;
    this.now = options.now ?? Date.now;
    // Copies, so approval changes stay inside this simulator.
    this.accountList = (options.accounts ?? standardAccounts()).map((account) => ({ ...account }));
  }

  get baseUrl(): string {
    return this.url + BASE_PATH;
  }

  get credentials(): Record<string, string> {
    const credentials: Record<string, string> = { apiKey: this.apiKey, runAs: this.runAs };
    if (this.password !== undefined) credentials['password'] = this.password;
    return credentials;
  }

  get accounts(): readonly SimAccount[] {
    return this.accountList;
  }

  resetCounters(): void {
    Object.assign(this.counters, zeroCounters());
  }

  secretsIssued(): string[] {
    return [...this.issued];
  }

  approve(requestId: number): void {
    const request = this.openRequest(requestId, 'approve');
    request.state = 'approved';
    request.approvedAt = this.now();
  }

  deny(requestId: number): void {
    this.openRequest(requestId, 'deny').state = 'denied';
  }

  cancel(requestId: number): void {
    const request = this.openRequest(requestId, 'cancel');
    request.state = 'cancelled';
    request.cancelledAt = this.now();
  }

  requestState(requestId: number): RequestState | undefined {
    const request = this.accessRequests.get(requestId);
    return request && stateOf(request, this.now());
  }

  setApprovalRequired(key: string, required: boolean): void {
    const account = this.accountList.find((candidate) => accountKey(candidate) === key);
    if (!account) throw new Error(`no managed account ${key}`);
    account.approvalRequired = required;
  }

  forgetAllSessions(): void {
    this.cookieSessions.clear();
  }

  /** Makes every cookie session look idle for longer than the timeout, so its next use is a 401. */
  expireIdleSessions(): void {
    for (const session of this.cookieSessions.values()) session.lastSeen = this.now() - this.idleTimeoutMs;
  }

  redeem(ticket: string): RedeemResult {
    const entry = this.tickets.get(ticket);
    if (!entry) return { ok: false, reason: 'unknown' };
    if (entry.used) return { ok: false, reason: 'used' };
    const request = this.accessRequests.get(entry.requestId);
    if (!request || stateOf(request, this.now()) !== 'approved') return { ok: false, reason: 'inactive' };
    entry.used = true;
    this.counters.redemptions++;
    return {
      ok: true,
      requestId: entry.requestId,
      sessionId: entry.sessionId,
      sessionType: entry.sessionType,
      accountKey: accountKey(request.account),
    };
  }

  applyFaults(control: FaultControl): void {
    if (control.resetCounters) this.resetCounters();
    if (control.forgetAllSessions) this.forgetAllSessions();
    if (control.expireIdleSessions) this.expireIdleSessions();
    if (control.rejectLogins !== undefined) this.rejectingLogins = control.rejectLogins;
    this.server.applyFaults(control);
  }

  /** The request an approver's decision or a cancellation applies to; throws when its state forbids it. */
  private openRequest(requestId: number, action: 'approve' | 'deny' | 'cancel'): AccessRequest {
    const request = this.accessRequests.get(requestId);
    if (!request) throw new Error(`no request ${requestId}`);
    const state = stateOf(request, this.now());
    // Only a pending request awaits a decision; a requester may cancel whatever is still live.
    const allowed = action === 'cancel' ? isLive(request, this.now()) : state === 'pending';
    if (!allowed) throw new Error(`cannot ${action} request ${requestId}: it is ${state}`);
    return request;
  }

  private remember(secret: string): string {
    this.issued.push(secret);
    return secret;
  }

  private coded(status: 403 | 409, code: keyof typeof ERROR_CODES): Reply {
    if (this.errorBody === 'code')
      return { status, headers: { 'content-type': 'application/json' }, body: `${code}` };
    return message(status, `${code} - ${ERROR_CODES[code]}`);
  }

  protected async answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<Reply | undefined> {
    const pathname = tryDecodeURIComponent(url.pathname);
    if (pathname === undefined) return message(400, 'Malformed path');
    const target = this.route(req.method ?? 'GET', pathname);
    switch (target.kind) {
      case 'portal':
        return htmlPage(
          200,
          'Password Safe (simulated)',
          '<h1>Password Safe (simulated)</h1>\n<p>Sign in to BeyondInsight to request access to a managed account.</p>',
        );
      case 'methodNotAllowed': {
        const reply = message(405, 'The requested resource does not support this method');
        reply.headers = { ...reply.headers, allow: target.allow };
        return reply;
      }
      case 'notFound':
        return message(404, 'No HTTP resource was found that matches the request URI');
      case 'api':
        return this.api(req, res, url, target);
    }
  }

  private async api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    target: Extract<Route, { kind: 'api' }>,
  ): Promise<Reply | undefined> {
    const admitted = await this.server.admit(res, target.endpoint);
    if (admitted === 'parked') return undefined;
    if (admitted) return faultReply(admitted, target.endpoint);
    const requestId = target.requestId ?? 0;
    switch (target.handler) {
      case 'signIn':
        return this.signIn(req);
      case 'signOut':
        return this.signOut(req);
      case 'listAccounts':
        return this.listAccounts(req, url);
      case 'listRequests':
        return this.listRequests(req);
      case 'createRequest':
        return this.createRequest(req);
      case 'createSession':
        return this.createSession(req, requestId);
      case 'checkin':
        return this.checkin(req, requestId);
    }
  }

  private async signIn(req: IncomingMessage): Promise<Reply> {
    // The body is documented as empty; it is read (and ignored) so keep-alive connections stay in step.
    await readBody(req);
    const auth = parsePsAuth(req.headers.authorization);
    const accepted =
      auth !== undefined &&
      !this.rejectingLogins &&
      auth.key === this.apiKey &&
      auth.runAs.toLowerCase() === this.runAs.toLowerCase() &&
      (this.password === undefined || auth.password === this.password);
    if (!accepted) {
      this.counters.failedLogins++;
      throw unauthorized();
    }
    const cookie = this.remember(aspNetSessionId());
    this.cookieSessions.set(cookie, { userId: this.userId, lastSeen: this.now() });
    this.counters.logins++;
    this.counters.signIns++;
    const reply = json(200, {
      UserId: this.userId,
      EmailAddress: `${this.runAs}@corp.example`,
      UserName: this.runAs,
      Name: `${this.runAs} (API)`,
    });
    reply.headers = {
      ...reply.headers,
      'set-cookie': `${this.cookieName}=${cookie}; path=/; secure; HttpOnly; SameSite=Lax`,
    };
    return reply;
  }

  /** The cookie session of a call; PS-Auth is looked at only on SignAppin, so a header alone is a 401. */
  private authenticate(req: IncomingMessage): CookieSession {
    const cookie = readCookie(req.headers.cookie, this.cookieName);
    const session = cookie === undefined ? undefined : this.cookieSessions.get(cookie);
    if (!cookie || !session) throw unauthorized();
    const now = this.now();
    if (now - session.lastSeen >= this.idleTimeoutMs) {
      this.cookieSessions.delete(cookie);
      throw unauthorized();
    }
    session.lastSeen = now;
    return session;
  }

  private async signOut(req: IncomingMessage): Promise<Reply> {
    await readBody(req);
    this.authenticate(req);
    const cookie = readCookie(req.headers.cookie, this.cookieName);
    if (cookie) this.cookieSessions.delete(cookie);
    this.counters.signOuts++;
    return { status: 200 };
  }

  private listAccounts(req: IncomingMessage, url: URL): Reply {
    this.authenticate(req);
    const query = url.searchParams;
    const systemName = query.get('systemName');
    const accountName = query.get('accountName');
    const systemId = query.get('systemID');
    let accounts = this.accountList.filter((account) => account.apiEnabled);
    if (systemName !== null) {
      accounts = accounts.filter((a) => a.systemName.toLowerCase() === systemName.toLowerCase());
    }
    if (accountName !== null) {
      accounts = accounts.filter((a) => a.accountName.toLowerCase() === accountName.toLowerCase());
    }
    if (systemId !== null) accounts = accounts.filter((a) => String(a.systemId) === systemId);
    this.counters.lists++;
    // Both names identify one account, and then the API answers that object rather than a list [B6, B3].
    if (systemName !== null && accountName !== null) {
      const [only] = accounts;
      return only ? json(200, managedAccountJson(only)) : message(404, 'Managed account not found');
    }
    return json(200, accounts.map(managedAccountJson));
  }

  private listRequests(req: IncomingMessage): Reply {
    const session = this.authenticate(req);
    const now = this.now();
    const mine = [...this.accessRequests.values()].filter((request) => request.userId === session.userId);
    return json(
      200,
      mine.map((request) => requestJson(request, now)),
    );
  }

  private async createRequest(req: IncomingMessage): Promise<Reply> {
    const session = this.authenticate(req);
    const body = await readJsonObject(req);
    const parsed = parseReleaseRequest(body, this.requireReason);
    if (typeof parsed === 'string') return message(400, parsed);
    const account = this.accountList.find(
      (candidate) => candidate.systemId === parsed.systemId && candidate.accountId === parsed.accountId,
    );
    if (
      !account?.apiEnabled ||
      !(account.platform.accessTypes as readonly string[]).includes(parsed.accessType)
    ) {
      return this.coded(403, 4031);
    }
    let duration = parsed.durationMinutes;
    if (duration > account.maximumReleaseDuration) {
      if (this.durationAboveMaximum === 'refuse') {
        return message(
          400,
          `DurationMinutes must not exceed the account's MaximumReleaseDuration (${account.maximumReleaseDuration})`,
        );
      }
      duration = account.maximumReleaseDuration;
    }
    const now = this.now();
    const existing = [...this.accessRequests.values()].find(
      (request) => request.userId === session.userId && request.account === account && isLive(request, now),
    );
    if (existing) {
      const option = parsed.conflictOption ?? this.conflictDefault;
      if (option === 'reuse') return json(201, existing.id);
      if (option === 'conflict') return this.coded(409, 4091);
      existing.state = 'cancelled';
      existing.cancelledAt = now;
    }
    const request: AccessRequest = {
      id: this.nextRequestId++,
      userId: session.userId,
      requestorName: this.runAs,
      account,
      accessType: parsed.accessType,
      durationMinutes: duration,
      reason: parsed.reason,
      state: account.approvalRequired ? 'pending' : 'approved',
      createdAt: now,
      expiresAt: now + duration * 60_000,
    };
    if (request.state === 'approved') request.approvedAt = now;
    this.accessRequests.set(request.id, request);
    this.counters.accessRequests++;
    return json(201, request.id);
  }

  private async createSession(req: IncomingMessage, requestId: number): Promise<Reply> {
    const session = this.authenticate(req);
    const body = await readJsonObject(req);
    const sessionType = body['SessionType'];
    if (typeof sessionType !== 'string') return message(400, 'SessionType is required');
    const kind = sessionKindOf(sessionType);
    if (!kind)
      return message(400, 'SessionType must be SSH, sshticket, RDP, rdpticket, rdpfile, app or appfile');
    const request = this.accessRequests.get(requestId);
    if (!request) return message(404, 'Request not found');
    // "Must be the owner of the request ID."
    if (request.userId !== session.userId) return this.coded(403, 4031);
    const refusal = this.stateRefusal(stateOf(request, this.now()));
    if (refusal) {
      this.counters.launchRefusals++;
      return refusal;
    }
    // App sessions need an App request, which this simulator (consoles only) never grants.
    if (kind === 'app' || accessTypeFor(kind) !== request.accessType) {
      return message(
        400,
        `SessionType ${sessionType} does not match the request's AccessType ${request.accessType}`,
      );
    }
    return this.issueSession(request, kind, sessionType);
  }

  /** The 403 a Sessions call gets for a request that is not approved; undefined when it may proceed. */
  private stateRefusal(state: RequestState): Reply | undefined {
    switch (state) {
      case 'approved':
        return undefined;
      case 'pending':
        return this.coded(403, 4034);
      case 'denied':
        return message(403, 'Request has been denied');
      case 'cancelled':
        return message(403, 'Request has been canceled');
      case 'checked-in':
        return message(403, 'Request has been checked in');
      case 'expired':
        return message(403, 'Request has expired');
    }
  }

  private issueSession(
    request: AccessRequest,
    kind: Exclude<SessionKind, 'app'>,
    sessionType: string,
  ): Reply {
    const ticket = this.remember(randomBytes(16).toString('hex'));
    const sessionId = this.nextSessionId++;
    this.tickets.set(ticket, { requestId: request.id, sessionId, sessionType, used: false });
    this.counters.launches++;
    this.counters.sessions++;
    const port = kind === 'ssh' ? this.sshPort : this.rdpPort;
    if (kind === 'rdpfile') {
      const file = this.remember(rdpFileText({ host: this.proxyHost, port, ticket }));
      const filename = request.account.systemName.replace(/[^A-Za-z0-9._-]/g, '_');
      return {
        status: 201,
        headers: {
          'content-type': 'application/x-rdp',
          'content-disposition': `attachment; filename="${filename}.rdp"`,
        },
        body: file,
      };
    }
    const common = { ID: randomUUID(), Ticket: ticket, Host: this.proxyHost, Port: String(port) };
    if (kind === 'rdp') return json(201, { ...common, SessionID: sessionId, NodeID: this.nodeId });
    const user = `${ticket}@${this.proxyHost}`;
    return json(201, {
      ...common,
      TicketAtHost: user,
      Link: `ssh://${user}:${port}`,
      Command: `ssh -p ${port} ${user}`,
      SessionID: sessionId,
      NodeID: this.nodeId,
    });
  }

  private async checkin(req: IncomingMessage, requestId: number): Promise<Reply> {
    const session = this.authenticate(req);
    await readJsonObject(req);
    const request = this.accessRequests.get(requestId);
    if (!request) return message(404, 'Request not found');
    if (request.userId !== session.userId) return this.coded(403, 4031);
    const state = stateOf(request, this.now());
    if (state !== 'pending' && state !== 'approved')
      return message(403, `Request cannot be checked in: it is ${state}`);
    request.state = 'checked-in';
    this.counters.checkins++;
    return { status: 204 };
  }

  protected control(req: IncomingMessage, url: URL): Promise<Reply> {
    return answerControl(req, url, {
      counters: this.counters,
      problem: message,
      parseFaults: parseFaultControl,
      applyFaults: (control) => this.applyFaults(control),
      posts: {
        '/__sim/redeem': (body) => this.redeemRoute(body),
        '/__sim/approve': (body) => this.decideRoute('approve', body),
        '/__sim/deny': (body) => this.decideRoute('deny', body),
      },
    });
  }

  private redeemRoute(body: Record<string, unknown>): Reply {
    const ticket = body['ticket'];
    if (typeof ticket !== 'string') return message(400, 'ticket is required');
    const result = this.redeem(ticket);
    if (result.ok) return json(200, result);
    return json(result.reason === 'unknown' ? 404 : 410, result);
  }

  /** Lets a separate process (demo mode, a bench) play the approver. */
  private decideRoute(decision: 'approve' | 'deny', body: Record<string, unknown>): Reply {
    const requestId = body['requestId'];
    if (!positiveInteger(requestId)) return message(400, 'requestId is required');
    try {
      if (decision === 'approve') this.approve(requestId);
      else this.deny(requestId);
    } catch (error) {
      return message(409, (error as Error).message);
    }
    return { status: 204 };
  }
}

/** Starts a simulated Password Safe on HTTPS and resolves once it accepts connections. */
export async function startPasswordSafeSimulator(
  options: PasswordSafeSimulatorOptions = {},
): Promise<PasswordSafeSimulator> {
  const cert = options.cert ?? (await defaultCertificate());
  const simulator = new Simulator(options, cert);
  await simulator.listen(options.port ?? 0);
  return simulator;
}
