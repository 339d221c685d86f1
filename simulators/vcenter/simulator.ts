import { randomBytes, X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CertificatePair, defaultCertificate } from '../certificate.js';
import type { InjectedFault } from '../common/faults.js';
import { HostedSimulator } from '../common/hosted.js';
import { answerControl, SimulatorServer } from '../common/server.js';
import {
  type ApiEndpoint,
  type FaultControl,
  type FaultEndpoint,
  garbageReply,
  parseFaultControl,
} from './faults.js';
import { matchesFilter, parseVmFilter } from './filters.js';
import {
  generatedInventory,
  type PowerState,
  type SimVm,
  standardInventory,
  vmSummary,
} from './inventory.js';
import {
  type ApiAction,
  basicCredentials,
  ENDPOINT_OF,
  invalidArgument,
  readJsonObject,
  route,
  SESSION_HEADER,
  sessionCookie,
  ticketType,
} from './requests.js';
import { type Session, SessionStore } from './sessions.js';
import { type Redemption, TicketBook } from './tickets.js';
import {
  type ErrorType,
  errorTypeForStatus,
  type Family,
  json,
  message,
  ok,
  type Reply,
  unauthenticated,
  vapiError,
} from './vapi.js';

export type { CertificatePair } from '../certificate.js';
export type { ApiEndpoint, FaultControl, FaultEndpoint } from './faults.js';
export { parseFaultControl } from './faults.js';
export {
  GENERATED_FOLDERS,
  generatedInventory,
  POWER_STATES,
  type PowerState,
  type SimVm,
  standardInventory,
  type VmSummary,
} from './inventory.js';
export { type Redemption, TICKET_TYPES, type TicketType } from './tickets.js';
export { ERROR_STATUS, type ErrorType } from './vapi.js';

export interface VcenterSimulatorOptions {
  port?: number;
  host?: string;
  username?: string;
  password?: string;
  /** The inventory; wins over `vmCount`. Without either, `standardInventory()`. */
  vms?: SimVm[];
  /** A deterministic generated inventory of this many VMs (see `generatedInventory`). */
  vmCount?: number;
  /** The most VMs one list call returns before failing with UNABLE_TO_ALLOCATE_RESOURCE (7.0U2+ docs: 4000). */
  maxVms?: number;
  /** Sliding idle timeout of API sessions; the exact /api value is UNCONFIRMED, 30 min is the documented one. */
  idleTimeoutSeconds?: number;
  /** Concurrent sessions before logins fail with 503 SERVICE_UNAVAILABLE (8.0u3: about 3000). */
  maxSessions?: number;
  /** Console ticket lifetime (documented: 30 minutes). */
  ticketTtlSeconds?: number;
  /** Whether the user holds the console privilege; false makes ticket calls answer 403 UNAUTHORIZED. */
  consolePrivilege?: boolean;
  /** `host:port` WEBMKS URIs point at; defaults to this simulator, which serves `/ticket/<hex>`. */
  esxHost?: string;
  /** `host:port` VMRC URIs point at; defaults to this simulator. */
  vcenterHost?: string;
  /**
   * Whether a legacy `/rest` login also sets `vmware-api-session-id` as a cookie (and `/rest` accepts it), as
   * govmomi's vcsim does unless `vmware-use-header-authn: true` is sent. UNCONFIRMED for real vCenter: off.
   */
  legacySessionCookie?: boolean;
  latencyMs?: number;
  now?: () => number;
  cert?: CertificatePair;
}

export interface VcenterCounters {
  /** Logins answered with a session id. */
  logins: number;
  /** Logins refused by the simulated vCenter (injected faults are not counted). */
  failedLogins: number;
  /** Sessions ended by DELETE. */
  logouts: number;
  /** VM lists answered 200. */
  lists: number;
  /** Console tickets minted (the `launch` call), of either type. */
  launches: number;
  vmrcTickets: number;
  webmksTickets: number;
  /** Tickets spent successfully, over HTTP (`/ticket/<hex>`) or through `redeem`. */
  consolesOpened: number;
  /** Spend attempts refused: used, expired or unknown tickets. */
  consoleRejections: number;
  /** TLS handshakes completed; stays low when clients keep connections alive. */
  tlsConnections: number;
  /** Every HTTP request except the `/__sim` control routes. */
  requests: number;
}

export interface VcenterSimulator {
  readonly kind: 'vcenter';
  readonly url: string;
  readonly port: number;
  readonly certPem: string;
  readonly fingerprint256: string;
  /** The secret the broker registers for this source: `{username, password}`. */
  readonly credentials: { username: string; password: string };
  readonly counters: VcenterCounters;
  readonly vms: readonly SimVm[];
  resetCounters(): void;
  setVms(vms: SimVm[]): void;
  setPowerState(vm: string, state: PowerState): void;
  setConsolePrivilege(on: boolean): void;
  setLatency(ms: number): void;
  /** Drops every session, as a vCenter restart does; their next call answers 401. */
  forgetAllSessions(): void;
  /** Makes every session idle past the timeout, without moving the clock. */
  expireIdleSessions(): void;
  /** Spends a console ticket URI the way VMRC or the HTML console would; single use, 30 minutes. */
  redeem(ticketUri: string): Redemption;
  /** Applies a control-route body in-process (the same effects as `POST /__sim/faults`). */
  applyFaults(control: FaultControl): void;
  /** Every session id, ticket URI and ticket handed out, for a secrets-leak sweep. */
  secretsIssued(): string[];
  /** Stops listening and drops connections, keeping state; `up()` listens again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

function plain(status: number, text: string): Reply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${text}\n` };
}

const CLIENT_PAGE =
  '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>vSphere Client (simulated)</title></head>\n' +
  '<body>\n<h1>vSphere Client (simulated)</h1>\n<p>Log in to open a virtual machine console from the inventory.</p>\n</body></html>\n';

function zeroCounters(): VcenterCounters {
  return {
    logins: 0,
    failedLogins: 0,
    logouts: 0,
    lists: 0,
    launches: 0,
    vmrcTickets: 0,
    webmksTickets: 0,
    consolesOpened: 0,
    consoleRejections: 0,
    tlsConnections: 0,
    requests: 0,
  };
}

class Simulator extends HostedSimulator<FaultEndpoint> implements VcenterSimulator {
  readonly kind = 'vcenter';
  readonly credentials: { username: string; password: string };
  readonly counters = zeroCounters();

  protected readonly server: SimulatorServer<FaultEndpoint>;
  private readonly thumbprint: string;
  private readonly maxVms: number;
  private readonly maxSessions: number;
  private readonly esxHost: string | undefined;
  private readonly vcenterHost: string | undefined;
  private readonly legacySessionCookie: boolean;
  private readonly sessions: SessionStore;
  private readonly tickets: TicketBook;
  private readonly issued: string[] = [];
  private inventory: SimVm[] = [];
  private index = new Map<string, SimVm>();
  private consolePrivilege: boolean;
  private rejectingLogins = false;
  /** The vAPI error type injected failures answer with; the shared queue knows only their status. */
  private failureErrorType: ErrorType = 'ERROR';

  constructor(options: VcenterSimulatorOptions, cert: CertificatePair) {
    super(cert);
    this.credentials = {
      username: options.username ?? 'administrator@vsphere.local',
      password: options.password ?? randomBytes(18).toString('base64url'),
    };
    const now = options.now ?? Date.now;
    this.sessions = new SessionStore((options.idleTimeoutSeconds ?? 1800) * 1000, now);
    this.tickets = new TicketBook((options.ticketTtlSeconds ?? 1800) * 1000, now);
    this.maxVms = options.maxVms ?? 4000;
    this.maxSessions = options.maxSessions ?? 3000;
    this.esxHost = options.esxHost;
    this.vcenterHost = options.vcenterHost;
    this.legacySessionCookie = options.legacySessionCookie ?? false;
    this.consolePrivilege = options.consolePrivilege ?? true;
    this.thumbprint = new X509Certificate(cert.certPem).fingerprint.replaceAll(':', '-');
    this.setVms(
      options.vms ??
        (options.vmCount === undefined ? standardInventory() : generatedInventory(options.vmCount)),
    );
    this.server = new SimulatorServer({
      ...options,
      cert,
      dispatch: (req, res) => this.dispatch(req, res),
      internalError: (error) =>
        vapiError(
          'api',
          'ERROR',
          message('com.vmware.vapi.std.errors.error', `simulator error: ${String(error)}`),
        ),
      onTlsConnection: () => this.counters.tlsConnections++,
    });
  }

  get vms(): readonly SimVm[] {
    return this.inventory;
  }

  resetCounters(): void {
    Object.assign(this.counters, zeroCounters());
  }

  setVms(vms: SimVm[]): void {
    this.inventory = vms.map((vm) => ({ ...vm }));
    this.index = new Map();
    for (const vm of this.inventory) {
      if (!this.index.has(vm.vm)) this.index.set(vm.vm, vm);
    }
  }

  setPowerState(vm: string, state: PowerState): void {
    const entry = this.index.get(vm);
    if (!entry) throw new Error(`no VM ${vm} in the simulated inventory`);
    entry.power_state = state;
  }

  setConsolePrivilege(on: boolean): void {
    this.consolePrivilege = on;
  }

  forgetAllSessions(): void {
    this.sessions.clear();
  }

  expireIdleSessions(): void {
    this.sessions.expireAll();
  }

  redeem(ticketUri: string): Redemption {
    return this.countRedemption(this.tickets.redeem(ticketUri));
  }

  secretsIssued(): string[] {
    return [...this.issued];
  }

  applyFaults(control: FaultControl): void {
    if (control.resetCounters) this.resetCounters();
    if (control.failNext) {
      this.failureErrorType =
        control.failNext.errorType ?? errorTypeForStatus(control.failNext.status ?? 500);
    }
    if (control.forgetAllSessions) this.forgetAllSessions();
    if (control.expireIdleSessions) this.expireIdleSessions();
    if (control.rejectLogins !== undefined) this.rejectingLogins = control.rejectLogins;
    if (control.consolePrivilege !== undefined) this.setConsolePrivilege(control.consolePrivilege);
    for (const [vm, state] of Object.entries(control.powerStates ?? {})) this.setPowerState(vm, state);
    this.server.applyFaults(control);
  }

  private countRedemption(outcome: Redemption): Redemption {
    if (outcome === 'ok') this.counters.consolesOpened++;
    else this.counters.consoleRejections++;
    return outcome;
  }

  protected async answer(req: IncomingMessage, res: ServerResponse, url: URL): Promise<Reply | undefined> {
    const target = route(req.method ?? 'GET', url.pathname, url.searchParams);
    switch (target.kind) {
      case 'api':
        return this.api(req, res, url, target.family, target.action, target.vm ?? '');
      case 'console':
        return this.openConsole(target.token);
      case 'ui':
        return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: CLIENT_PAGE };
      case 'notFound':
        return vapiError(
          target.family,
          'NOT_FOUND',
          message('com.vmware.vapi.rest.httpNotFound', 'Not found.'),
        );
    }
  }

  private async api(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    family: Family,
    action: ApiAction,
    vm: string,
  ): Promise<Reply | undefined> {
    const endpoint = ENDPOINT_OF[action];
    const admitted = await this.server.admit(res, endpoint);
    if (admitted === 'parked') return undefined;
    if (admitted) return this.faultReply(admitted, family, endpoint);
    switch (action) {
      case 'login':
        return this.login(req, family);
      case 'whoami':
        return this.whoami(req, family);
      case 'logout':
        return this.logout(req, family);
      case 'list':
        return this.list(req, family, url);
      case 'ticket':
        return this.createTicket(req, family, vm);
    }
  }

  private faultReply(fault: InjectedFault, family: Family, endpoint: ApiEndpoint): Reply {
    if (fault.kind === 'garbage') return garbageReply(endpoint, fault.index);
    return vapiError(
      family,
      this.failureErrorType,
      message('com.vmware.vapi.simulated.fault', `Simulated failure (HTTP ${fault.status}).`),
      fault.status,
    );
  }

  private login(req: IncomingMessage, family: Family): Reply {
    const given = basicCredentials(req.headers.authorization);
    const { username, password } = this.credentials;
    if (!given || given.username !== username || given.password !== password || this.rejectingLogins) {
      this.counters.failedLogins++;
      throw unauthenticated(family);
    }
    if (this.sessions.liveCount() >= this.maxSessions) {
      this.counters.failedLogins++;
      return vapiError(
        family,
        'SERVICE_UNAVAILABLE',
        message('com.vmware.vapi.endpoint.session.limit', 'The maximum number of sessions has been reached.'),
      );
    }
    const session = this.sessions.create(given.username);
    this.issued.push(session.id);
    this.counters.logins++;
    if (family === 'api') return ok('api', 201, session.id);
    const reply = ok('rest', 200, session.id);
    if (this.legacySessionCookie && req.headers['vmware-use-header-authn'] !== 'true') {
      reply.headers = {
        ...reply.headers,
        'set-cookie': `${SESSION_HEADER}=${session.id}; Path=/rest; Secure; HttpOnly`,
      };
    }
    return reply;
  }

  /** The caller's live session, touched (sliding idle timeout); 401 UNAUTHENTICATED otherwise. */
  private authenticate(req: IncomingMessage, family: Family): Session {
    const header = req.headers[SESSION_HEADER];
    let id = typeof header === 'string' ? header : undefined;
    if (id === undefined && family === 'rest' && this.legacySessionCookie)
      id = sessionCookie(req.headers.cookie);
    const session = this.sessions.touch(id);
    if (typeof session === 'string') throw unauthenticated(family);
    return session;
  }

  private whoami(req: IncomingMessage, family: Family): Reply {
    const session = this.authenticate(req, family);
    return ok(family, 200, {
      user: session.user,
      created_time: new Date(session.createdAt).toISOString(),
      last_accessed_time: new Date(session.lastAccessedAt).toISOString(),
    });
  }

  private logout(req: IncomingMessage, family: Family): Reply {
    const session = this.authenticate(req, family);
    this.sessions.delete(session.id);
    this.counters.logouts++;
    // vAPI answers a void operation with 204 on /api and an empty 200 on /rest.
    return { status: family === 'api' ? 204 : 200 };
  }

  private list(req: IncomingMessage, family: Family, url: URL): Reply {
    this.authenticate(req, family);
    const filter = parseVmFilter(family, url.searchParams);
    if (typeof filter === 'string') throw invalidArgument(family, filter);
    const matching = this.inventory.filter((vm) => matchesFilter(vm, filter));
    if (matching.length > this.maxVms) {
      return vapiError(
        family,
        'UNABLE_TO_ALLOCATE_RESOURCE',
        message(
          'com.vmware.api.vcenter.vm.too_many_matches',
          'Too many virtual machines. Add more filter criteria to reduce the number.',
        ),
      );
    }
    this.counters.lists++;
    return ok(family, 200, matching.map(vmSummary));
  }

  /** Checks in vAPI's order: session, request shape, the VM, the privilege on it, then its power state. */
  private async createTicket(req: IncomingMessage, family: Family, vmId: string): Promise<Reply> {
    this.authenticate(req, family);
    const type = ticketType(family, await readJsonObject(req, family));
    const vm = this.index.get(vmId);
    if (!vm) {
      return vapiError(
        family,
        'NOT_FOUND',
        message(
          'com.vmware.api.vcenter.vm.not_found',
          `Virtual machine with identifier '${vmId}' does not exist.`,
          vmId,
        ),
      );
    }
    if (!this.consolePrivilege) {
      return vapiError(
        family,
        'UNAUTHORIZED',
        message('vapi.method.authz.rejected', 'Permission to perform this operation was denied.'),
      );
    }
    if (type === 'WEBMKS' && vm.power_state !== 'POWERED_ON') {
      return vapiError(
        family,
        'NOT_ALLOWED_IN_CURRENT_STATE',
        message(
          'com.vmware.api.vcenter.vm.console.tickets.powered_off',
          `A WEBMKS ticket needs the virtual machine '${vmId}' powered on; it is ${vm.power_state}.`,
          vmId,
        ),
      );
    }
    const minted = this.tickets.mint(type, vm.vm, {
      vcenterHost: this.vcenterHost ?? this.server.hostPort,
      esxHost: this.esxHost ?? this.server.hostPort,
      thumbprint: this.thumbprint,
    });
    this.issued.push(minted.uri, minted.token);
    this.counters.launches++;
    if (type === 'VMRC') this.counters.vmrcTickets++;
    else this.counters.webmksTickets++;
    return ok(family, 200, { ticket: minted.uri });
  }

  /** The WEBMKS websocket path, answered without the upgrade: 200 on the first spend, 410 after. */
  private openConsole(token: string): Reply {
    const outcome = this.countRedemption(this.tickets.redeemWebmks(token));
    if (outcome === 'ok') return plain(200, 'console opened');
    if (outcome === 'unknown') return plain(404, 'unknown ticket');
    return plain(410, outcome === 'used' ? 'ticket already used' : 'ticket expired');
  }

  protected control(req: IncomingMessage, url: URL): Promise<Reply> {
    return answerControl(req, url, {
      counters: this.counters,
      problem: (status, text) => json(status, { error: text }),
      parseFaults: (body) => {
        const control = parseFaultControl(body);
        if (typeof control === 'string') return control;
        // Checked before anything applies, so a bad VM id leaves the other controls in the body unapplied too.
        const unknownVm = Object.keys(control.powerStates ?? {}).find((vm) => !this.index.has(vm));
        return unknownVm === undefined ? control : `no VM ${unknownVm} in the simulated inventory`;
      },
      applyFaults: (control) => this.applyFaults(control),
    });
  }
}

/** Starts a simulated vCenter on HTTPS and resolves once it accepts connections. */
export async function startVcenterSimulator(
  options: VcenterSimulatorOptions = {},
): Promise<VcenterSimulator> {
  const cert = options.cert ?? (await defaultCertificate());
  const simulator = new Simulator(options, cert);
  await simulator.listen(options.port ?? 0);
  return simulator;
}
