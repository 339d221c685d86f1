/** How the simulated vCenter reads a request: which operation a path names, and the body and headers it takes. */
import type { IncomingMessage } from 'node:http';
import { isJsonObject, readBody as readLimited, tryDecodeURIComponent } from '../common/http.js';
import type { ApiEndpoint } from './faults.js';
import { TICKET_TYPES, type TicketType } from './tickets.js';
import { type Family, message, Rejection, vapiError } from './vapi.js';

export const SESSION_HEADER = 'vmware-api-session-id';
const LEGACY_SESSION_PATH = '/rest/com/vmware/cis/session';

export type ApiAction = 'login' | 'whoami' | 'logout' | 'list' | 'ticket';

export type Route =
  | { kind: 'api'; family: Family; action: ApiAction; vm?: string }
  | { kind: 'console'; token: string }
  | { kind: 'ui' }
  | { kind: 'notFound'; family: Family };

export const ENDPOINT_OF: Record<ApiAction, ApiEndpoint> = {
  login: 'login',
  whoami: 'session',
  logout: 'session',
  list: 'list',
  ticket: 'launch',
};

export function route(method: string, pathname: string, search: URLSearchParams): Route {
  const family: Family = pathname.startsWith('/rest/') ? 'rest' : 'api';
  const api = (action: ApiAction, vm?: string): Route => ({
    kind: 'api',
    family,
    action,
    ...(vm === undefined ? {} : { vm }),
  });
  if (pathname === '/api/session') {
    if (method === 'POST') return api('login');
    if (method === 'GET') return api('whoami');
    if (method === 'DELETE') return api('logout');
  }
  if (pathname === LEGACY_SESSION_PATH) {
    if (method === 'POST') return api(search.get('~action') === 'get' ? 'whoami' : 'login');
    if (method === 'DELETE') return api('logout');
  }
  if ((pathname === '/api/vcenter/vm' || pathname === '/rest/vcenter/vm') && method === 'GET')
    return api('list');
  const ticket = /^\/(?:api|rest)\/vcenter\/vm\/([^/]+)\/console\/tickets$/.exec(pathname);
  if (ticket?.[1] && method === 'POST') return api('ticket', tryDecodeURIComponent(ticket[1]) ?? ticket[1]);
  const console = /^\/ticket\/([0-9a-f]+)$/.exec(pathname);
  if (console?.[1] && method === 'GET') return { kind: 'console', token: console[1] };
  if ((pathname === '/ui' || pathname === '/ui/') && method === 'GET') return { kind: 'ui' };
  return { kind: 'notFound', family };
}

function readBody(req: IncomingMessage, family: Family): Promise<string> {
  return readLimited(req, () =>
    vapiError(family, 'INVALID_ARGUMENT', message('vapi.body.too.large', 'Request body too large.')),
  );
}

export function invalidArgument(family: Family, text: string): Rejection {
  return new Rejection(
    vapiError(family, 'INVALID_ARGUMENT', message('com.vmware.vapi.rest.badRequest', text)),
  );
}

export async function readJsonObject(req: IncomingMessage, family: Family): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = JSON.parse(await readBody(req, family));
  } catch (error) {
    if (error instanceof Rejection) throw error;
    throw invalidArgument(family, 'The request body is not valid JSON.');
  }
  if (!isJsonObject(value)) throw invalidArgument(family, 'The request body must be a JSON object.');
  return value;
}

/** The requested ticket type: `{"type"}` on `/api`, `{"spec": {"type"}}` on `/rest`; anything else is refused. */
export function ticketType(family: Family, body: Record<string, unknown>): TicketType {
  const spec = family === 'api' ? body : body['spec'];
  const type =
    typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>)['type'] : undefined;
  if (typeof type === 'string' && (TICKET_TYPES as readonly string[]).includes(type))
    return type as TicketType;
  const where = family === 'api' ? 'type' : 'spec.type';
  throw new Rejection(
    vapiError(
      family,
      'INVALID_ARGUMENT',
      message(
        'vapi.bindings.typeconverter.invalid.enum',
        `Invalid value for ${where}: expected one of ${TICKET_TYPES.join(', ')}.`,
        where,
      ),
    ),
  );
}

/** Basic credentials from an Authorization header, or undefined when there are none. */
export function basicCredentials(
  header: string | undefined,
): { username: string; password: string } | undefined {
  const encoded = /^Basic +(\S+)$/i.exec(header ?? '')?.[1];
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function sessionCookie(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === SESSION_HEADER && value) return value;
  }
  return undefined;
}
