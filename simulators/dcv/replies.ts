import type { IncomingMessage } from 'node:http';
import { Rejection, type Reply, readBody as readLimited } from '../common/http.js';

export { escapeHtml, isLoopbackAddress, Rejection, type Reply } from '../common/http.js';

import { escapeHtml } from '../common/http.js';

export function json(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/**
 * The broker's error body is UNCONFIRMED (fact sheet 2.1/2.3); the simulator answers a Spring-style
 * `{error, message}` so a client that logs `res.text` (as the guide's sample does) has something readable.
 */
export function apiError(status: number, error: string, message: string): Reply {
  return json(status, { error, message });
}

/** RFC 6749 5.2 error for the token endpoint; `invalid_client` comes with a Basic challenge (RFC 6749 5.2). */
export function oauthError(status: 400 | 401, error: string, description: string): Reply {
  const headers: Record<string, string> =
    status === 401 ? { 'www-authenticate': 'Basic realm="dcv-session-manager"' } : {};
  return json(status, { error, error_description: description }, headers);
}

/** RFC 6750 3.1 answer to a missing or bad bearer token. */
export function bearerError(description: string, tokenGiven: boolean): Rejection {
  const challenge = tokenGiven
    ? `Bearer realm="dcv-session-manager", error="invalid_token", error_description="${description}"`
    : 'Bearer realm="dcv-session-manager"';
  return new Rejection(
    json(
      401,
      { error: tokenGiven ? 'invalid_token' : 'unauthorized', error_description: description },
      { 'www-authenticate': challenge },
    ),
  );
}

export function htmlPage(status: number, title: string, body: string): Reply {
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${body}\n</body></html>\n`;
  // The page URL carries a connection token, so it must not leak through Referer.
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'referrer-policy': 'no-referrer' },
    body: html,
  };
}

export function readBody(req: IncomingMessage): Promise<string> {
  return readLimited(req, () => apiError(413, 'payload_too_large', 'request body too large'));
}

/** The media type of a request without parameters, lower-cased (`application/json; charset=utf-8` → `application/json`). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
