import type { IncomingMessage } from 'node:http';

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** Thrown by handlers to answer early; caught once in the request loop. */
export class Rejection extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

const BODY_LIMIT = 64 * 1024;

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

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
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

/** Whether a socket's remote address is the loopback interface (the control routes answer nobody else). */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > BODY_LIMIT) throw new Rejection(apiError(413, 'payload_too_large', 'request body too large'));
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The media type of a request without parameters, lower-cased (`application/json; charset=utf-8` → `application/json`). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}
