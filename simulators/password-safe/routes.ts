import type { ApiEndpoint } from './faults.js';

/** The documented base path; the broker's `baseUrl` ends with it [B1]. */
export const BASE_PATH = '/BeyondTrust/api/public/v3';
/** The pre-6.2 base path, still accepted by the product [B1]. */
const LEGACY_BASE_PATH = '/eEye.RetinaCS.Server/api/public/v3';

export type Handler =
  | 'signIn'
  | 'signOut'
  | 'listAccounts'
  | 'listRequests'
  | 'createRequest'
  | 'createSession'
  | 'checkin';

export type Route =
  | { kind: 'api'; endpoint: ApiEndpoint; handler: Handler; requestId?: number }
  | { kind: 'portal' }
  | { kind: 'methodNotAllowed'; allow: string }
  | { kind: 'notFound' };

const API_ROUTES: { path: string; method: string; endpoint: ApiEndpoint; handler: Handler }[] = [
  { path: 'Auth/SignAppin', method: 'POST', endpoint: 'login', handler: 'signIn' },
  { path: 'Auth/Signout', method: 'POST', endpoint: 'other', handler: 'signOut' },
  { path: 'ManagedAccounts', method: 'GET', endpoint: 'list', handler: 'listAccounts' },
  { path: 'Requests', method: 'GET', endpoint: 'other', handler: 'listRequests' },
  { path: 'Requests', method: 'POST', endpoint: 'request', handler: 'createRequest' },
  { path: 'Requests/(\\d+)/Sessions', method: 'POST', endpoint: 'launch', handler: 'createSession' },
  { path: 'Requests/(\\d+)/Checkin', method: 'PUT', endpoint: 'other', handler: 'checkin' },
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * Builds the request router. Whether the product's paths are case-insensitive is UNCONFIRMED; the XSOAR client's
 * `/auth/signout` suggests they are, so only `caseSensitive` insists on the documented casing.
 */
export function createRouter(caseSensitive: boolean): (method: string, pathname: string) => Route {
  const flags = caseSensitive ? '' : 'i';
  const base = new RegExp(`^(?:${escapeRegExp(BASE_PATH)}|${escapeRegExp(LEGACY_BASE_PATH)})/(.*)$`, flags);
  const routes = API_ROUTES.map((entry) => ({ ...entry, pattern: new RegExp(`^${entry.path}$`, flags) }));
  return (method, pathname) => {
    if (pathname === '/')
      return method === 'GET' ? { kind: 'portal' } : { kind: 'methodNotAllowed', allow: 'GET' };
    const rest = base.exec(pathname)?.[1];
    if (rest === undefined) return { kind: 'notFound' };
    const allowed: string[] = [];
    for (const candidate of routes) {
      const match = candidate.pattern.exec(rest);
      if (!match) continue;
      if (candidate.method !== method) {
        allowed.push(candidate.method);
        continue;
      }
      const found: Route = { kind: 'api', endpoint: candidate.endpoint, handler: candidate.handler };
      if (match[1] !== undefined) found.requestId = Number(match[1]);
      return found;
    }
    return allowed.length > 0
      ? { kind: 'methodNotAllowed', allow: allowed.join(', ') }
      : { kind: 'notFound' };
  };
}
