import type { IncomingMessage } from 'node:http';

/** What a handler answers; written out once by the request loop. */
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

/** How a simulator words a problem in its vendor's error shape. */
export type Problem = (status: number, text: string) => Reply;

/** No vendor call the simulators model carries more than a few kilobytes; larger is a client bug or an attack. */
const BODY_LIMIT = 64 * 1024;

/** Reads the whole body as UTF-8; a body over the limit is answered with `tooLarge()`. */
export async function readBody(req: IncomingMessage, tooLarge: () => Reply): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > BODY_LIMIT) throw new Rejection(tooLarge());
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a JSON object body, answering malformed text or another JSON value with a 400 in `problem`'s shape. */
export function parseJsonObject(text: string, problem: Problem): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Rejection(problem(400, 'the request body is not valid JSON'));
  }
  if (!isJsonObject(value)) throw new Rejection(problem(400, 'the request body must be a JSON object'));
  return value;
}

/** Whether a socket's remote address is the loopback interface (the control routes answer nobody else). */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A minimal HTML page; `headers` add to (or replace) the content type, e.g. a referrer policy. */
export function htmlPage(
  status: number,
  title: string,
  body: string,
  options: { headers?: Record<string, string>; bodyAttributes?: string } = {},
): Reply {
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body${options.bodyAttributes ?? ''}>\n${body}\n</body></html>\n`;
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', ...options.headers }, body: html };
}

/** The page a reverse proxy answers when the appliance behind it is gone: HTML where the client expects JSON. */
export function proxyErrorPage(status: number): Reply {
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: '<html><body><h1>502 Bad Gateway</h1></body></html>',
  };
}

/** `decodeURIComponent`, but undefined for malformed escapes (a stray `%`), which each vendor answers its own way. */
export function tryDecodeURIComponent(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
