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

const BODY_LIMIT = 64 * 1024;

export function json(status: number, value: unknown): Reply {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(value),
  };
}

/**
 * Password Safe's error bodies are a message, or a status code such as 4034, as a JSON string [B0, B4]; the
 * simulator's own errors use the same form so a client that shows the body shows a sentence.
 */
export function message(status: number, text: string): Reply {
  return json(status, text);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function htmlPage(status: number, title: string, body: string): Reply {
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>\n<body>\n${body}\n</body></html>\n`;
  return { status, headers: { 'content-type': 'text/html; charset=utf-8' }, body: html };
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > BODY_LIMIT) throw new Rejection(message(413, 'Request body too large'));
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a JSON object body; an empty body counts as `{}` (the Go client's check-in sends `{}`, others nothing). */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Rejection(message(400, 'The request body is not valid JSON'));
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Rejection(message(400, 'The request body must be a JSON object'));
  }
  return value as Record<string, unknown>;
}

/** Reads one cookie from the `Cookie` header; undefined when it is absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Whether a socket's remote address is the loopback interface (the control routes answer nobody else). */
export function isLoopbackAddress(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}
