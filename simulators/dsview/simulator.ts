import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jwtVerify, SignJWT } from 'jose';
import { defaultCertificate } from '../certificate.js';
import {
  type FaultControlBase,
  type InjectedFault,
  parseActions,
  parseFaultControlBase,
} from '../common/faults.js';
import { HostedSimulator } from '../common/hosted.js';
import {
  htmlPage as commonPage,
  escapeHtml,
  parseJsonObject,
  proxyErrorPage,
  Rejection,
  type Reply,
  readBody,
  tryDecodeURIComponent,
} from '../common/http.js';
import { answerControl, SimulatorServer } from '../common/server.js';
import {
  generatedInventory,
  type SimDevice,
  standardInventory,
  supportedViewerTypes,
  type ViewerType,
} from './inventory.js';

export { type CertificatePair, certificateFingerprint256, generateCertificate } from '../certificate.js';
export { isLoopbackAddress } from '../common/http.js';
export {
  deterministicUuid,
  generatedInventory,
  PROGRAMMATIC_NAMES,
  type ProgrammaticName,
  type SimDevice,
  standardInventory,
  supportedViewerTypes,
  type ViewerType,
} from './inventory.js';

/** The appliance models the note covers; only MP1000/MP1000VA get API v1.1 (STANDALONE_PASSIVE). */
export type Platform = 'MP1000' | 'MP1000VA' | 'RM1048P';
/** The three JSON API endpoints that faults, latency and hangs apply to. */
export type ApiEndpoint = 'login' | 'devices' | 'ticket';
/** Which API endpoint a fault targets; `any` matches all three. */
export type FaultEndpoint = ApiEndpoint | 'any';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  username?: string;
  password?: string;
  devices?: SimDevice[];
  deviceCount?: number;
  /** Seed for `generatedInventory` when `deviceCount` is used, so two simulators can hold different ids. */
  seed?: string;
  platform?: Platform;
  firmwareVersion?: string;
  jwtTtlSeconds?: number;
  ticketTtlSeconds?: number;
  maxSessions?: number;
  latencyMs?: number;
  now?: () => number;
  cert?: { keyPem: string; certPem: string };
}

export interface SimulatorCounters {
  /** Logins answered 201. */
  logins: number;
  /** Logins answered 400/401/503 by the simulated appliance (injected faults are not counted). */
  failedLogins: number;
  /** Device lists answered 200. */
  deviceLists: number;
  /** Tickets issued by createTicket. */
  tickets: number;
  /** launchUI requests answered with the viewer page. */
  launches: number;
  /** launchUI requests answered 400. */
  launchFailures: number;
  /** TLS handshakes completed; stays low when clients keep connections alive. */
  tlsConnections: number;
  /** Every HTTP request except the `/__sim` control routes. */
  requests: number;
}

/** The body `POST /__sim/faults` takes; `applyFaults` takes the same in-process. */
export interface FaultControl extends FaultControlBase<FaultEndpoint> {
  expireAllJwts?: true;
}

export interface DsviewSimulator {
  readonly url: string;
  readonly port: number;
  readonly username: string;
  readonly password: string;
  readonly certPem: string;
  readonly fingerprint256: string;
  readonly counters: SimulatorCounters;
  readonly devices: SimDevice[];
  resetCounters(): void;
  setDevices(devices: SimDevice[]): void;
  setLatency(ms: number): void;
  failNext(count: number, opts?: { status?: number; endpoint?: FaultEndpoint }): void;
  garbageNext(count: number, opts?: { endpoint?: FaultEndpoint }): void;
  hang(on: boolean): void;
  down(): Promise<void>;
  up(): Promise<void>;
  expireAllJwts(): void;
  forgetAllSessions(): void;
  rejectLogins(on: boolean): void;
  /** Applies a control-route body in-process (the same effects as `POST /__sim/faults`). */
  applyFaults(control: FaultControl): void;
  close(): Promise<void>;
}

/** Sharing modes the note lists for `sharingMode` (KVM only). */
export const SHARING_MODES = ['ACTIVE', 'PASSIVE', 'PREEMPT', 'STEALTH', 'STANDALONE_PASSIVE'] as const;
const VIEWER_TYPES: readonly string[] = ['KVM', 'SERIAL', 'VM'];
const MOUSE_MODES: Record<string, string> = {
  '0': 'absolute',
  '1': 'relative',
  '2': 'relative, no acceleration',
};
const LAUNCH_PATHS = new Set(['/api/v1/launchUI/', '/api/v1/launchUI']);
const FAULT_ENDPOINTS: readonly FaultEndpoint[] = ['login', 'devices', 'ticket', 'any'];

interface UserSession {
  id: string;
  username: string;
  /** Epoch ms at which the session's JWT expires; the session is no longer live from then on. */
  expiresAt: number;
  jwtRevoked: boolean;
}

interface Ticket {
  expiresAt: number;
  used: boolean;
}

interface LaunchRequest {
  device: SimDevice;
  viewerType: ViewerType;
  sharingMode: string | null;
  mouseMode: string | null;
}

type Route =
  | { kind: 'api'; endpoint: ApiEndpoint; sessionId?: string }
  | { kind: 'launch' | 'loginPage' | 'loginSubmit' }
  | { kind: 'methodNotAllowed'; allow: string }
  | { kind: 'notFound' };

function json(status: number, value: unknown): Reply {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function apiError(status: number, message: string): Reply {
  return json(status, { error: message });
}

function unauthorized(message: string): Rejection {
  const reply = apiError(401, message);
  reply.headers = { ...reply.headers, 'www-authenticate': 'Bearer' };
  return new Rejection(reply);
}

function htmlPage(status: number, title: string, body: string, bodyAttributes = ''): Reply {
  // The launch URL carries a ticket, so pages must neither be cached nor leak it through Referer.
  return commonPage(status, title, body, { headers: { 'referrer-policy': 'no-referrer' }, bodyAttributes });
}

function redirect(location: string): Reply {
  return { status: 302, headers: { location }, body: '' };
}

/** Compares dotted numeric versions (3.33.10 > 3.33.8); negative, zero or positive like a sort comparator. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const diff = (left[i] ?? 0) - (right[i] ?? 0);
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}

/** Whether the appliance speaks API v1.1 (STANDALONE_PASSIVE): MP1000/MP1000VA from firmware 3.33.8. */
export function supportsStandalonePassive(platform: Platform, firmwareVersion: string): boolean {
  return platform !== 'RM1048P' && compareVersions(firmwareVersion, '3.33.8') >= 0;
}

function route(method: string, pathname: string): Route {
  const allow = (expected: string, route: Route): Route =>
    method === expected ? route : { kind: 'methodNotAllowed', allow: expected };
  if (pathname === '/api/v1/userSessions') return allow('POST', { kind: 'api', endpoint: 'login' });
  if (pathname === '/api/v1/devices') return allow('GET', { kind: 'api', endpoint: 'devices' });
  const ticket = /^\/api\/v1\/userSessions\/([^/]+):createTicket$/.exec(pathname);
  if (ticket?.[1]) return allow('POST', { kind: 'api', endpoint: 'ticket', sessionId: ticket[1] });
  if (LAUNCH_PATHS.has(pathname)) return allow('GET', { kind: 'launch' });
  if (pathname === '/login') {
    if (method === 'GET') return { kind: 'loginPage' };
    return allow('POST', { kind: 'loginSubmit' });
  }
  return { kind: 'notFound' };
}

async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  return parseJsonObject(await readBody(req, () => apiError(413, 'request body too large')), apiError);
}

/** A body of the right status but the wrong shape, alternating non-JSON text and JSON missing fields. */
function garbageReply(endpoint: ApiEndpoint, index: number): Reply {
  const status = endpoint === 'login' ? 201 : 200;
  if (index % 2 === 0) return proxyErrorPage(status);
  const partial = {
    login: { user_session: { username: 'admin' } },
    devices: { total: 0 },
    ticket: { status: 'ok' },
  };
  return json(status, partial[endpoint]);
}

/** Validates a `POST /__sim/faults` body; returns the reason when it is malformed. */
export function parseFaultControl(body: Record<string, unknown>): FaultControl | string {
  const control = parseFaultControlBase(body, FAULT_ENDPOINTS);
  if (typeof control === 'string') return control;
  const actions = parseActions(body, ['expireAllJwts'] as const);
  return typeof actions === 'string' ? actions : { ...control, ...actions };
}

function faultReply(fault: InjectedFault, endpoint: ApiEndpoint): Reply {
  if (fault.kind === 'garbage') return garbageReply(endpoint, fault.index);
  return apiError(fault.status, `simulated failure (HTTP ${fault.status})`);
}

function zeroCounters(): SimulatorCounters {
  return {
    logins: 0,
    failedLogins: 0,
    deviceLists: 0,
    tickets: 0,
    launches: 0,
    launchFailures: 0,
    tlsConnections: 0,
    requests: 0,
  };
}

class Simulator extends HostedSimulator<FaultEndpoint> implements DsviewSimulator {
  readonly username: string;
  readonly password: string;
  readonly counters = zeroCounters();

  protected readonly server: SimulatorServer<FaultEndpoint>;
  private readonly platform: Platform;
  private readonly firmwareVersion: string;
  private readonly jwtTtlSeconds: number;
  private readonly ticketTtlMs: number;
  private readonly maxSessions: number;
  private readonly now: () => number;
  private readonly jwtKey = new Uint8Array(randomBytes(32));
  private readonly sessions = new Map<string, UserSession>();
  private readonly tickets = new Map<string, Ticket>();
  private ticketPruneAt = 1024;
  private deviceList: SimDevice[] = [];
  private deviceIndex = new Map<string, SimDevice>();
  private rejectingLogins = false;

  constructor(options: SimulatorOptions, cert: { keyPem: string; certPem: string }) {
    super(cert);
    this.username = options.username ?? 'admin';
    this.password = options.password ?? randomBytes(18).toString('base64url');
    this.platform = options.platform ?? 'MP1000';
    this.firmwareVersion = options.firmwareVersion ?? '3.33.8';
    if (!/^\d+(\.\d+)*$/.test(this.firmwareVersion))
      throw new Error(`bad firmwareVersion ${this.firmwareVersion}`);
    this.jwtTtlSeconds = options.jwtTtlSeconds ?? 3600;
    this.ticketTtlMs = (options.ticketTtlSeconds ?? 20) * 1000;
    this.maxSessions = options.maxSessions ?? 32;
    this.now = options.now ?? Date.now;
    this.setDevices(
      options.devices ??
        (options.deviceCount === undefined
          ? standardInventory()
          : generatedInventory(options.deviceCount, options.seed)),
    );
    this.server = new SimulatorServer({
      ...options,
      cert,
      dispatch: (req, res) => this.dispatch(req, res),
      internalError: (error) => apiError(500, `simulator error: ${String(error)}`),
      onTlsConnection: () => this.counters.tlsConnections++,
    });
  }

  get devices(): SimDevice[] {
    return this.deviceList;
  }

  resetCounters(): void {
    Object.assign(this.counters, zeroCounters());
  }

  setDevices(devices: SimDevice[]): void {
    this.deviceList = [...devices];
    this.deviceIndex = new Map();
    for (const device of this.deviceList) {
      if (!this.deviceIndex.has(device.id)) this.deviceIndex.set(device.id, device);
    }
  }

  expireAllJwts(): void {
    for (const session of this.sessions.values()) session.jwtRevoked = true;
  }

  forgetAllSessions(): void {
    this.sessions.clear();
  }

  rejectLogins(on: boolean): void {
    this.rejectingLogins = on;
  }

  applyFaults(control: FaultControl): void {
    if (control.resetCounters) this.resetCounters();
    if (control.expireAllJwts) this.expireAllJwts();
    if (control.forgetAllSessions) this.forgetAllSessions();
    if (control.rejectLogins !== undefined) this.rejectLogins(control.rejectLogins);
    this.server.applyFaults(control);
  }

  protected async answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<Reply | undefined> {
    const pathname = tryDecodeURIComponent(url.pathname);
    if (pathname === undefined) return apiError(400, 'malformed path');
    const target = route(req.method ?? 'GET', pathname);
    switch (target.kind) {
      case 'api':
        return this.api(req, res, url, target.endpoint, target.sessionId);
      case 'launch':
        return this.launch(url);
      case 'loginPage':
        return this.loginPage(url.searchParams.get('next') ?? '', '');
      case 'loginSubmit':
        return this.loginSubmit(req);
      case 'methodNotAllowed': {
        const reply = apiError(405, 'method not allowed');
        reply.headers = { ...reply.headers, allow: target.allow };
        return reply;
      }
      case 'notFound':
        return apiError(404, `no route for ${pathname}`);
    }
  }

  private async api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    endpoint: ApiEndpoint,
    sessionId: string | undefined,
  ): Promise<Reply | undefined> {
    const admitted = await this.server.admit(res, endpoint);
    if (admitted === 'parked') return undefined;
    if (admitted) return faultReply(admitted, endpoint);
    if (endpoint === 'login') return this.login(req);
    if (endpoint === 'devices') return this.listDevices(req, url);
    return this.createTicket(req, sessionId ?? '');
  }

  private credentialsAccepted(username: string, password: string): boolean {
    return username === this.username && password === this.password && !this.rejectingLogins;
  }

  private liveSessionCount(): number {
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (session.expiresAt <= now) this.sessions.delete(id);
    }
    return this.sessions.size;
  }

  private async login(req: IncomingMessage): Promise<Reply> {
    let body: Record<string, unknown>;
    try {
      body = await readJsonObject(req);
    } catch (error) {
      this.counters.failedLogins++;
      throw error;
    }
    const { username, password } = body;
    if (typeof username !== 'string' || typeof password !== 'string') {
      this.counters.failedLogins++;
      return apiError(400, 'username and password are required strings');
    }
    if (!this.credentialsAccepted(username, password)) {
      this.counters.failedLogins++;
      return apiError(401, 'invalid username or password');
    }
    if (this.liveSessionCount() >= this.maxSessions) {
      this.counters.failedLogins++;
      return apiError(503, 'maximum number of user sessions reached');
    }
    const id = randomUUID();
    const issuedAt = Math.floor(this.now() / 1000);
    const expiresAt = issuedAt + this.jwtTtlSeconds;
    const jwt = await new SignJWT({ sid: id })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(username)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.jwtKey);
    this.sessions.set(id, { id, username, expiresAt: expiresAt * 1000, jwtRevoked: false });
    this.counters.logins++;
    return json(201, { user_session: { name: `userSessions/${id}`, id, username }, jwt });
  }

  private async authenticate(req: IncomingMessage): Promise<UserSession> {
    const token = /^Bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) throw unauthorized('a Bearer JWT is required');
    let sid: unknown;
    try {
      const verified = await jwtVerify(token, this.jwtKey, {
        algorithms: ['HS256'],
        currentDate: new Date(this.now()),
      });
      sid = verified.payload['sid'];
    } catch {
      throw unauthorized('invalid or expired JWT');
    }
    const session = typeof sid === 'string' ? this.sessions.get(sid) : undefined;
    if (!session) throw unauthorized('user session not found');
    if (session.jwtRevoked) throw unauthorized('JWT no longer valid');
    return session;
  }

  private async listDevices(req: IncomingMessage, url: URL): Promise<Reply> {
    await this.authenticate(req);
    const filters = url.searchParams.getAll('filter');
    if (filters.length > 1) return apiError(400, 'only one filter is supported');
    let devices = this.deviceList;
    const filter = filters[0];
    if (filter !== undefined) {
      // The documented form is "<field> <value>" with one space (URL-encoded as %20 or +).
      const match = /^(\S+) (\S+)$/.exec(filter);
      if (!match) return apiError(400, 'filter must be "<field> <value>"');
      if (match[1] !== 'device_type_programmatic_name')
        return apiError(400, `unsupported filter field ${match[1]}`);
      devices = devices.filter((device) => device.device_type_programmatic_name === match[2]);
    }
    this.counters.deviceLists++;
    return json(200, { devices });
  }

  private async createTicket(req: IncomingMessage, sessionId: string): Promise<Reply> {
    const session = await this.authenticate(req);
    if (session.id !== sessionId) throw unauthorized('JWT does not belong to this user session');
    this.counters.tickets++;
    return json(200, { ticket: this.mintTicket() });
  }

  private mintTicket(): string {
    if (this.tickets.size >= this.ticketPruneAt) {
      const now = this.now();
      for (const [ticket, entry] of this.tickets) {
        if (entry.expiresAt <= now) this.tickets.delete(ticket);
      }
      // Doubling keeps pruning amortised O(1) when many tickets are legitimately live (benchmarks).
      this.ticketPruneAt = Math.max(1024, this.tickets.size * 2);
    }
    const ticket = randomBytes(20).toString('hex');
    this.tickets.set(ticket, { expiresAt: this.now() + this.ticketTtlMs, used: false });
    return ticket;
  }

  private ticketProblem(ticket: string): string | undefined {
    const entry = this.tickets.get(ticket);
    if (!entry) return 'The ticket is not valid.';
    if (entry.used) return 'The ticket has already been used.';
    if (this.now() >= entry.expiresAt) return 'The ticket has expired.';
    return undefined;
  }

  private launch(url: URL): Reply {
    const params = url.searchParams;
    const ticket = params.get('ticket');
    if (!ticket) return redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`);
    const problem = this.ticketProblem(ticket);
    const request = problem ?? this.validateLaunch(params);
    if (typeof request === 'string') {
      this.counters.launchFailures++;
      return htmlPage(
        400,
        'DSView Viewer - launch failed',
        `<h1>Unable to launch the viewer session</h1>\n<p id="reason">${escapeHtml(request)}</p>`,
      );
    }
    const entry = this.tickets.get(ticket);
    if (entry) entry.used = true;
    this.counters.launches++;
    return this.viewerPage(request);
  }

  /** Applies the note's launch rules; returns the first violated rule as a sentence. */
  private validateLaunch(params: URLSearchParams): LaunchRequest | string {
    for (const name of ['launchType', 'viewerType', 'deviceId', 'ticket', 'sharingMode', 'mouseMode']) {
      if (params.getAll(name).length > 1) return `The parameter ${name} is given more than once.`;
    }
    if (params.get('launchType') !== 'viewer') return 'launchType must be viewer.';
    const viewerType = params.get('viewerType') ?? '';
    if (!VIEWER_TYPES.includes(viewerType)) return 'viewerType must be KVM, SERIAL or VM (uppercase).';
    const deviceId = params.get('deviceId');
    if (!deviceId) {
      return params.has('deviceid')
        ? 'deviceId is required (the name is case-sensitive).'
        : 'deviceId is required.';
    }
    const device = this.deviceIndex.get(deviceId);
    if (!device) return 'The target device does not exist.';
    if (!supportedViewerTypes(device).includes(viewerType as ViewerType)) {
      return `The target device does not support ${viewerType} viewer sessions.`;
    }
    const sharingMode = params.get('sharingMode');
    const sharingProblem =
      sharingMode === null ? undefined : this.sharingModeProblem(sharingMode, viewerType);
    if (sharingProblem) return sharingProblem;
    const mouseMode = params.get('mouseMode');
    if (mouseMode !== null) {
      if (MOUSE_MODES[mouseMode] === undefined) return 'mouseMode must be 0, 1 or 2.';
      if (viewerType !== 'KVM') return 'mouseMode applies to KVM sessions only.';
      if (mouseMode === '2' && device.device_type_programmatic_name !== 'ADX-IP-UHD') {
        return 'mouseMode 2 applies to IPUHD devices only.';
      }
    }
    return { device, viewerType: viewerType as ViewerType, sharingMode, mouseMode };
  }

  private sharingModeProblem(sharingMode: string, viewerType: string): string | undefined {
    if (!(SHARING_MODES as readonly string[]).includes(sharingMode)) {
      return `sharingMode must be one of ${SHARING_MODES.join(', ')}.`;
    }
    if (viewerType !== 'KVM') return 'sharingMode applies to KVM sessions only.';
    if (
      sharingMode === 'STANDALONE_PASSIVE' &&
      !supportsStandalonePassive(this.platform, this.firmwareVersion)
    ) {
      return `STANDALONE_PASSIVE needs API v1.1 (MP1000/MP1000VA 3.33.8 or later); this is ${this.platform} ${this.firmwareVersion}.`;
    }
    return undefined;
  }

  private viewerPage(request: LaunchRequest): Reply {
    const { device, viewerType, sharingMode, mouseMode } = request;
    const kvm = viewerType === 'KVM';
    const sharing = kvm ? (sharingMode ?? 'not given (sharing dialog shown)') : 'n/a';
    const mouse = kvm
      ? mouseMode === null
        ? 'not given (0, absolute)'
        : `${mouseMode} (${MOUSE_MODES[mouseMode]})`
      : 'n/a';
    const rows: [string, string, string][] = [
      ['viewer-type', 'Viewer type', viewerType],
      ['device-name', 'Device', device.device_name],
      ['device-id', 'Device id', device.id],
      ['device-type', 'Device type', device.device_type_programmatic_name],
      ['sharing-mode', 'Sharing mode', sharing],
      ['mouse-mode', 'Mouse mode', mouse],
      ['appliance', 'Appliance', `${this.platform} ${this.firmwareVersion}`],
    ];
    const list = rows.map(
      ([id, label, value]) => `<dt>${label}</dt><dd id="${id}">${escapeHtml(value)}</dd>`,
    );
    const attributes = ` data-viewer-type="${viewerType}" data-device-id="${escapeHtml(device.id)}"`;
    // A person who clicked a demo link sees at once that this is the simulator and what the click asked for.
    const notice =
      '<p id="simulated"><strong>Simulated DSView viewer.</strong> No real console is behind this page: it ' +
      'shows what the viewer was opened with, so you can check the click asked for the right device and modes.</p>';
    const body = `<h1>${viewerType} session: ${escapeHtml(device.device_name)}</h1>\n${notice}\n<dl>\n${list.join('\n')}\n</dl>`;
    return htmlPage(200, 'DSView Viewer', body, attributes);
  }

  private loginPage(next: string, error: string, status = 200): Reply {
    const message = error ? `<p id="error">${escapeHtml(error)}</p>\n` : '';
    const form =
      `<form method="post" action="/login">\n<input type="hidden" name="next" value="${escapeHtml(next)}">\n` +
      '<label>Username <input name="username" autocomplete="username"></label>\n' +
      '<label>Password <input type="password" name="password" autocomplete="current-password"></label>\n' +
      '<button type="submit">Log in</button>\n</form>';
    return htmlPage(status, 'DSView Login', `<h1>DSView</h1>\n${message}${form}`);
  }

  /** The browser-side login the note describes: on success, the pending launch proceeds with a fresh ticket. */
  private async loginSubmit(req: IncomingMessage): Promise<Reply> {
    const form = new URLSearchParams(await readBody(req, () => apiError(413, 'request body too large')));
    const next = form.get('next') ?? '';
    if (!this.credentialsAccepted(form.get('username') ?? '', form.get('password') ?? '')) {
      return this.loginPage(next, 'Invalid username or password.', 401);
    }
    const target = new URL(next, 'https://simulator.invalid');
    // Only a relative launch URL may be followed, so the login form is no open redirect.
    if (!next.startsWith('/') || next.startsWith('//') || !LAUNCH_PATHS.has(target.pathname)) {
      return htmlPage(200, 'DSView', '<h1>DSView</h1>\n<p>You are logged in.</p>');
    }
    target.searchParams.set('ticket', this.mintTicket());
    return redirect(target.pathname + target.search);
  }

  protected control(req: IncomingMessage, url: URL): Promise<Reply> {
    return answerControl(req, url, {
      counters: this.counters,
      problem: apiError,
      parseFaults: parseFaultControl,
      applyFaults: (control) => this.applyFaults(control),
    });
  }
}

/** Starts a simulated appliance on HTTPS and resolves once it accepts connections. */
export async function startDsviewSimulator(options: SimulatorOptions = {}): Promise<DsviewSimulator> {
  const cert = options.cert ?? (await defaultCertificate());
  const simulator = new Simulator(options, cert);
  await simulator.listen(options.port ?? 0);
  return simulator;
}
