import type { AccessType, SimAccount } from './inventory.js';

/** Longest release the API accepts at all: one year of minutes. */
const MAX_DURATION_MINUTES = 525_600;

/** A validated `POST Requests` body [B5]. */
export interface ReleaseRequestBody {
  systemId: number;
  accountId: number;
  durationMinutes: number;
  reason: string;
  accessType: AccessType;
  conflictOption?: 'reuse' | 'renew';
}

function isAccessType(value: unknown): value is AccessType {
  return value === 'View' || value === 'RDP' || value === 'SSH';
}

function positiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Validates a `POST Requests` body; returns the 400 message when it is malformed. */
export function parseReleaseRequest(
  body: Record<string, unknown>,
  requireReason: boolean,
): ReleaseRequestBody | string {
  const { SystemID, AccountID, DurationMinutes, Reason, AccessType, ConflictOption } = body;
  if (!positiveInteger(SystemID) || !positiveInteger(AccountID)) {
    return 'SystemID and AccountID are required integers';
  }
  if (!positiveInteger(DurationMinutes) || DurationMinutes > MAX_DURATION_MINUTES) {
    return `DurationMinutes must be an integer from 1 to ${MAX_DURATION_MINUTES}`;
  }
  if (Reason !== undefined && Reason !== null && typeof Reason !== 'string') return 'Reason must be a string';
  const reason = typeof Reason === 'string' ? Reason : '';
  if (requireReason && reason.trim() === '') return 'Reason is required by the access policy';
  // "AccessType: (optional, default: View)" [B5].
  const accessType = AccessType ?? 'View';
  if (!isAccessType(accessType)) return 'AccessType must be View, RDP or SSH';
  const parsed: ReleaseRequestBody = {
    systemId: SystemID,
    accountId: AccountID,
    durationMinutes: DurationMinutes,
    reason,
    accessType,
  };
  if (ConflictOption === 'reuse' || ConflictOption === 'renew') parsed.conflictOption = ConflictOption;
  else if (ConflictOption !== undefined && ConflictOption !== null)
    return 'ConflictOption must be reuse or renew';
  return parsed;
}

/** Where a release request stands; `expired` is derived from the clock, the others are set by events. */
export type RequestState = 'pending' | 'approved' | 'denied' | 'cancelled' | 'checked-in' | 'expired';

/** The `Status` strings `GET Requests` shows; the vendor's values are UNCONFIRMED, so these are the simulator's. */
export const STATUS_TEXT: Record<RequestState, string> = {
  pending: 'Pending',
  approved: 'Approved',
  denied: 'Denied',
  cancelled: 'Canceled',
  'checked-in': 'CheckedIn',
  expired: 'Expired',
};

export interface AccessRequest {
  id: number;
  userId: number;
  requestorName: string;
  account: SimAccount;
  accessType: AccessType;
  durationMinutes: number;
  reason: string;
  /** The last event's state; `stateOf` adds expiry. */
  state: Exclude<RequestState, 'expired'>;
  createdAt: number;
  expiresAt: number;
  approvedAt?: number;
  cancelledAt?: number;
}

/** The request's state at `now`: a pending or approved request lapses once its duration has run out. */
export function stateOf(request: AccessRequest, now: number): RequestState {
  const open = request.state === 'pending' || request.state === 'approved';
  return open && now >= request.expiresAt ? 'expired' : request.state;
}

/** Whether a request still blocks (conflicts with) a new one for the same user and account. */
export function isLive(request: AccessRequest, now: number): boolean {
  const state = stateOf(request, now);
  return state === 'pending' || state === 'approved';
}

/** .NET-style timestamp without zone, as BeyondInsight prints dates. */
export function dotnetDate(epochMs: number | undefined): string | null {
  return epochMs === undefined ? null : new Date(epochMs).toISOString().slice(0, 19);
}

/** One `GET Requests` row with the fact sheet's field names [B4]. */
export function requestJson(request: AccessRequest, now: number): Record<string, unknown> {
  return {
    RequestID: request.id,
    SystemID: request.account.systemId,
    SystemName: request.account.systemName,
    AccountID: request.account.accountId,
    AccountName: request.account.accountName,
    DomainName: request.account.domainName,
    AliasID: null,
    ApplicationID: null,
    RequestorName: request.requestorName,
    Reason: request.reason,
    AccessType: request.accessType,
    Status: STATUS_TEXT[stateOf(request, now)],
    RequestReleaseDate: dotnetDate(request.createdAt),
    ApprovedDate: dotnetDate(request.approvedAt),
    CanceledDate: dotnetDate(request.cancelledAt),
    ExpiresDate: dotnetDate(request.expiresAt),
  };
}

/** The session kinds `POST Requests/{id}/Sessions` documents, folded by what they answer [B0]. */
export type SessionKind = 'ssh' | 'rdp' | 'rdpfile' | 'app';

/** Maps a `SessionType` (case-insensitive) to its kind; undefined for a type the vendor does not list. */
export function sessionKindOf(sessionType: string): SessionKind | undefined {
  switch (sessionType.toLowerCase()) {
    case 'ssh':
    case 'sshticket':
      return 'ssh';
    case 'rdp':
    case 'rdpticket':
      return 'rdp';
    case 'rdpfile':
      return 'rdpfile';
    case 'app':
    case 'appfile':
      return 'app';
    default:
      return undefined;
  }
}

/** The access type a session kind needs: "RDP: corresponds to POST Sessions SessionType RDP or rdpfile" [B5]. */
export function accessTypeFor(kind: SessionKind): AccessType | 'App' {
  if (kind === 'ssh') return 'SSH';
  if (kind === 'app') return 'App';
  return 'RDP';
}

/**
 * The .rdp file an `rdpfile` session answers: it points mstsc at the session proxy and carries the one-time
 * ticket as the user name, so no password is ever in the file. (The real file's exact lines are UNCONFIRMED.)
 */
export function rdpFileText(options: { host: string; port: number; ticket: string }): string {
  return [
    `full address:s:${options.host}:${options.port}`,
    `username:s:${options.ticket}`,
    'prompt for credentials:i:0',
    'authentication level:i:0',
    'screen mode id:i:2',
    'redirectclipboard:i:1',
    '',
  ].join('\r\n');
}
