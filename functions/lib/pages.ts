import type { ApiResult } from './events.js';

/** Headers of every answer to a person clicking a link: nothing cached, no referrer leaks the token. */
export const LAUNCH_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
} as const;

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/** The page for a link that is unknown, revoked or mangled: it never says which. */
export const LINK_NOT_FOUND = {
  status: 404,
  title: 'Link not found',
  message: 'This launch link is unknown or was revoked.',
} as const;

export interface PageContent {
  status: number;
  title: string;
  message: string;
  /** A plain link to the appliance's own login-then-launch URL, so the technician is never stuck. */
  fallbackUrl?: string | undefined;
  /** Plain links listed under the message (a page that shows a person where to go next). */
  links?: { href: string; text: string }[];
  headers?: Record<string, string>;
}

/** A small self-contained HTML page for a person: no script, no secret, no stack. */
export function page({ status, title, message, fallbackUrl, links, headers }: PageContent): ApiResult {
  const fallback = fallbackUrl
    ? `<p>You can still open the console by signing in to the appliance:</p>
<p><a href="${escapeHtml(fallbackUrl)}">Sign in to the appliance and open the console</a></p>`
    : '';
  const list = links?.length
    ? `<ul>${links.map(({ href, text }) => `<li><a href="${escapeHtml(href)}">${escapeHtml(text)}</a></li>`).join('')}</ul>`
    : '';
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${list}${fallback}</body></html>`;
  return {
    statusCode: status,
    headers: { 'content-type': 'text/html; charset=utf-8', ...LAUNCH_HEADERS, ...headers },
    body,
  };
}
