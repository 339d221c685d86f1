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

/** The form field a confirm page's button sends back (shared/links/confirmation.ts). */
export const CONFIRMATION_FIELD = 'confirmation';

/** What a confirm page says opens, before anything is used up. */
export interface ConfirmPageContent {
  applianceName: string;
  applianceId: string;
  deviceName: string;
  viewerType: string;
  expiresAt: number;
  singleUse: boolean;
  confirmation: string;
}

/**
 * A confirm link's answer to GET: what opens, and one button that POSTs to this same URL (no `action`, so the
 * token never appears in the page). The form may be sent only here; the POST's 303 then goes to the viewer,
 * which Chromium also checks against form-action: `https:` and `vmrc:` are the viewers' schemes.
 */
export function confirmPage(content: ConfirmPageContent): ApiResult {
  const rows = [
    ['Appliance', `${content.applianceName} (${content.applianceId})`],
    ['Device', content.deviceName],
    ['Viewer', content.viewerType],
    [
      'Link expires',
      new Date(content.expiresAt)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC'),
    ],
  ]
    .map(([name, value]) => `<tr><th>${escapeHtml(name!)}</th><td>${escapeHtml(value!)}</td></tr>`)
    .join('');
  const once = content.singleUse ? ' This link opens the console once.' : '';
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>Open console</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}th{text-align:left;padding-right:1rem}button{font:inherit;padding:.5rem 1.5rem;margin-top:1rem}</style>
</head><body><h1>Open console</h1><p>Nothing has been opened or used up yet.${once}</p>
<table>${rows}</table>
<form method="post"><input type="hidden" name="${CONFIRMATION_FIELD}" value="${escapeHtml(content.confirmation)}"><button type="submit">Open console</button></form>
</body></html>`;
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      ...LAUNCH_HEADERS,
      'content-security-policy':
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self' https: vmrc:; frame-ancestors 'none'",
    },
    body,
  };
}
