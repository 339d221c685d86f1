import { DeviceUnavailableError, NotFoundError } from '../../errors.js';
import {
  ApplianceAuthError,
  AppliancePermissionError,
  ApplianceProtocolError,
  ApplianceUnavailableError,
} from '../errors.js';
import type { HttpAnswer, HttpsTransport } from '../transport.js';
import {
  errorEnvelopeSchema,
  folderListSchema,
  loginResponseSchema,
  ticketResponseSchema,
  type ViewerType,
  vmListSchema,
} from './schemas.js';

export const SESSION_HEADER = 'vmware-api-session-id';

/** The vendor text: "The created ticket is a one time use URI. The validity of the ticket is 30 minutes". */
export const TICKET_TTL_MS = 30 * 60_000;

/** The console privilege the SOAP ticket call needs (fact sheet 1.3); the REST call's is UNCONFIRMED. */
export const CONSOLE_PRIVILEGE = 'VirtualMachine.Interact.ConsoleInteract';

export type VmSummary = { vm: string; name: string; power_state: string };

/** The VM list's filters this client uses; each is sent as the repeated parameter (`power_states=A`). */
export interface VmFilter {
  power_states?: string[];
  folders?: string[];
}

/** A list call refused for matching more VMs than vCenter returns at once (4000 on 7.0U2+). */
export const TOO_MANY = 'too-many' as const;

/**
 * The calls the broker makes on one vCenter's vSphere Automation API (`/api`, 7.0U2+). vCenter's refusals
 * arrive as `{error_type, messages}` envelopes; each becomes the typed error the core maps to HTTP. No message
 * carries a session id, a ticket or vCenter's own text.
 */
export class VcenterClient {
  constructor(
    private readonly applianceId: string,
    private readonly http: HttpsTransport,
  ) {}

  /** `POST /api/session` with Basic credentials → 201 and the session id as a bare JSON string. */
  async login(credentials: { username: string; password: string }): Promise<string> {
    const basic = Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64');
    const answer = await this.http.request({
      step: 'login',
      method: 'POST',
      path: '/api/session',
      headers: { accept: 'application/json', authorization: `Basic ${basic}` },
      retry: false,
    });
    this.refuse('login', answer);
    this.expect('login', answer, 201);
    return this.http.parse('login', answer.text, loginResponseSchema);
  }

  /** `DELETE /api/session` → 204. A session vCenter already forgot answers 401: nothing left to end. */
  async logout(sessionId: string): Promise<void> {
    const answer = await this.http.request({
      step: 'logout',
      method: 'DELETE',
      path: '/api/session',
      headers: { [SESSION_HEADER]: sessionId },
      retry: false,
    });
    if (answer.status === 401) return;
    this.refuse('logout', answer);
    this.expect('logout', answer, 204);
  }

  /** `GET /api/vcenter/vm` with filters; TOO_MANY when vCenter refuses to list that many at once. */
  async listVms(sessionId: string, filter: VmFilter = {}): Promise<VmSummary[] | typeof TOO_MANY> {
    const query = new URLSearchParams();
    for (const state of filter.power_states ?? []) query.append('power_states', state);
    for (const folder of filter.folders ?? []) query.append('folders', folder);
    const search = query.size ? `?${query}` : '';
    const answer = await this.get('listDevices', `/api/vcenter/vm${search}`, sessionId);
    if (errorType(answer) === 'UNABLE_TO_ALLOCATE_RESOURCE') return TOO_MANY;
    this.refuse('listDevices', answer);
    this.expect('listDevices', answer, 200);
    return this.http.parse('listDevices', answer.text, vmListSchema);
  }

  /** `GET /api/vcenter/folder?type=VIRTUAL_MACHINE`: the VM folders' ids (vCenter answers at most 1000). */
  async listVmFolders(sessionId: string): Promise<string[] | typeof TOO_MANY> {
    const answer = await this.get('listFolders', '/api/vcenter/folder?type=VIRTUAL_MACHINE', sessionId);
    if (errorType(answer) === 'UNABLE_TO_ALLOCATE_RESOURCE') return TOO_MANY;
    this.refuse('listFolders', answer);
    this.expect('listFolders', answer, 200);
    return this.http.parse('listFolders', answer.text, folderListSchema).map((entry) => entry.folder);
  }

  /**
   * `POST /api/vcenter/vm/{vm}/console/tickets` `{type}` → the ticket URI (`vmrc://…` or `wss://…`). Accepts
   * the `/api` body `{ticket}` and the vendor text's `{value: {ticket}}`. A refusal of this VM becomes what a
   * technician can act on: powered off (409), unknown (404), the console privilege missing (502).
   */
  async createTicket(sessionId: string, vm: string, type: ViewerType): Promise<string> {
    const step = 'createTicket';
    const answer = await this.http.request({
      step,
      method: 'POST',
      path: `/api/vcenter/vm/${encodeURIComponent(vm)}/console/tickets`,
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        [SESSION_HEADER]: sessionId,
      },
      body: JSON.stringify({ type }),
      // A refused or failed mint issued nothing, so asking again once is safe.
      retry: true,
    });
    switch (errorType(answer)) {
      case 'NOT_ALLOWED_IN_CURRENT_STATE':
        // Powered off or suspended: vCenter answers both alike.
        throw new DeviceUnavailableError(vm, `the VM is not powered on (${type} needs it powered on)`);
      case 'NOT_FOUND':
        throw new NotFoundError('device', vm);
      case 'UNAUTHORIZED':
        throw new AppliancePermissionError(
          this.applianceId,
          step,
          `was refused: the vCenter user lacks the console privilege (${CONSOLE_PRIVILEGE}) on ${vm}`,
        );
    }
    this.refuse(step, answer);
    this.expect(step, answer, 200, 201);
    const body = this.http.parse(step, answer.text, ticketResponseSchema);
    const ticket = 'ticket' in body ? body.ticket : body.value.ticket;
    const scheme = type === 'VMRC' ? 'vmrc:' : 'wss:';
    // The URI becomes a redirect target or a socket the page opens: nothing but the documented scheme goes.
    if (!URL.canParse(ticket) || new URL(ticket).protocol !== scheme) {
      throw new ApplianceProtocolError(
        this.applianceId,
        step,
        `answered a ticket that is not a ${scheme}// URI`,
      );
    }
    return ticket;
  }

  private get(step: string, path: string, sessionId: string): Promise<HttpAnswer> {
    return this.http.request({
      step,
      method: 'GET',
      path,
      headers: { accept: 'application/json', [SESSION_HEADER]: sessionId },
      retry: true,
    });
  }

  /**
   * 401 `UNAUTHENTICATED` is a lapsed session (or, on `login`, refused credentials): ApplianceAuthError, which
   * makes the core log in once and retry once. 403 `UNAUTHORIZED` is a missing privilege: logging in again
   * would not grant it. 5xx is unavailable.
   */
  private refuse(step: string, answer: HttpAnswer): void {
    if (answer.status === 401) throw new ApplianceAuthError(this.applianceId, step, 401);
    if (answer.status === 403) {
      throw new AppliancePermissionError(
        this.applianceId,
        step,
        'was refused: the vCenter user lacks a privilege this call needs (UNAUTHORIZED)',
      );
    }
    if (answer.status >= 500) {
      const type = errorType(answer);
      throw new ApplianceUnavailableError(
        this.applianceId,
        step,
        `answered HTTP ${answer.status}${type ? ` ${type}` : ''}`,
        answer.status,
      );
    }
  }

  private expect(step: string, answer: HttpAnswer, ...statuses: number[]): void {
    if (statuses.includes(answer.status)) return;
    const type = errorType(answer);
    throw new ApplianceProtocolError(
      this.applianceId,
      step,
      `answered HTTP ${answer.status}${type ? ` ${type}` : ''}, expected ${statuses.join(' or ')}`,
    );
  }
}

/** The vAPI `error_type` of an error answer, if it is one (only the enum's word, safe to log). */
function errorType(answer: HttpAnswer): string | undefined {
  if (answer.status < 400) return undefined;
  try {
    const parsed = errorEnvelopeSchema.safeParse(JSON.parse(answer.text));
    return parsed.success && /^[A-Z_]{1,64}$/.test(parsed.data.error_type)
      ? parsed.data.error_type
      : undefined;
  } catch {
    return undefined;
  }
}
