import type { IncomingMessage } from 'node:http';
import { parseJsonObject, type Reply, readBody as readLimited } from '../common/http.js';

export { htmlPage, Rejection, type Reply } from '../common/http.js';

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

export function readBody(req: IncomingMessage): Promise<string> {
  return readLimited(req, () => message(413, 'Request body too large'));
}

/** Reads a JSON object body; an empty body counts as `{}` (the Go client's check-in sends `{}`, others nothing). */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  return parseJsonObject(text, message);
}

/** Reads one cookie from the `Cookie` header; undefined when it is absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
