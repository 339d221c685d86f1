import { createHash } from 'node:crypto';
import type { MiddlewareObj } from '@middy/core';
import type { ConsolePage, Launch } from '../../shared/appliances/provider.js';
import { DeviceUnavailableError } from '../../shared/errors.js';
import { logger } from '../../shared/observability.js';
import { type ApiEvent, type ApiResult, json } from './events.js';
import { escapeHtml, LAUNCH_HEADERS, LINK_NOT_FOUND, page } from './pages.js';
import { PROBLEM_BASE, toProblem } from './problem.js';

/**
 * The one place a `Launch` becomes HTTP: for a click on `/launch/{token}` (a person) and for the ticket API (a
 * program). Every click answer carries LAUNCH_HEADERS: nothing cached, no referrer leaks a ticket.
 */
export function clickResponse(launch: Launch, redirectStatus: 302 | 303 = 302): ApiResult {
  switch (launch.kind) {
    case 'redirect':
      // 303 after a confirm page's POST: the browser follows with a GET.
      return { statusCode: redirectStatus, headers: { location: launch.location, ...LAUNCH_HEADERS } };
    case 'page':
      return consolePage(launch.page);
    case 'download':
      return {
        statusCode: 200,
        headers: {
          ...LAUNCH_HEADERS,
          'content-type': launch.contentType,
          'content-disposition': `attachment; filename="${launch.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`,
        },
        body: launch.body,
      };
    case 'pending': {
      const retry = String(launch.retryAfterSeconds);
      return page({
        status: 202,
        title: 'Waiting for approval',
        message: `${launch.message} This page checks again every ${retry} seconds; nothing has been used up.`,
        headers: { refresh: retry, 'retry-after': retry },
      });
    }
  }
}

/** The ticket API's answer: 201 with what the source issued, or 202 while an approval is pending. */
export function ticketResponse(launch: Launch): ApiResult {
  if (launch.kind === 'pending') {
    return json(
      202,
      {
        status: 'pending-approval',
        requestId: launch.requestId,
        retryAfterSeconds: launch.retryAfterSeconds,
      },
      { 'retry-after': String(launch.retryAfterSeconds) },
    );
  }
  return json(201, { ...launch.api, expiresAt: new Date(launch.expiresAt).toISOString() });
}

/**
 * A console page: actions and a command to copy, or a script console (the VMware HTML Console SDK) whose
 * only inputs are data attributes. The CSP names exactly the script and style origins and the socket origins
 * the launch allows, and the bootstrap by its hash: no other script runs.
 */
export function consolePage(content: ConsolePage): ApiResult {
  const actions = (content.actions ?? [])
    .map((action) => `<p><a href="${escapeHtml(action.href)}">${escapeHtml(action.label)}</a></p>`)
    .join('');
  const copy = content.copyText ? `<pre id="copy">${escapeHtml(content.copyText)}</pre>` : '';
  const script = content.script;
  let head = '';
  let consoleDiv = '';
  let csp: string = LAUNCH_HEADERS['content-security-policy'];
  if (script) {
    const hash = createHash('sha256').update(script.bootstrap).digest('base64');
    const data = Object.entries(script.data)
      .map(([key, value]) => ` data-${key}="${escapeHtml(value)}"`)
      .join('');
    head =
      script.styleUrls.map((url) => `<link rel="stylesheet" href="${escapeHtml(url)}">`).join('') +
      script.scriptUrls.map((url) => `<script src="${escapeHtml(url)}"></script>`).join('');
    consoleDiv = `<div id="console"${data} style="width:100%;height:75vh"></div><script>${script.bootstrap}</script>`;
    const origins = (urls: string[]) => [...new Set(urls.map((url) => new URL(url).origin))].join(' ');
    csp = [
      "default-src 'none'",
      `script-src ${origins(script.scriptUrls)} 'sha256-${hash}'`,
      `style-src 'unsafe-inline' ${origins(script.styleUrls)}`.trim(),
      `connect-src ${script.connectOrigins.join(' ')}`,
      'img-src data:',
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
  }
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>${escapeHtml(content.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:${script ? '100%' : '36rem'};margin:2rem auto;padding:0 1rem;color:#222}pre{background:#f4f4f4;padding:.5rem;white-space:pre-wrap;word-break:break-all}</style>
${head}</head><body><h1>${escapeHtml(content.title)}</h1><p>${escapeHtml(content.message)}</p>${copy}${actions}${consoleDiv}</body></html>`;
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      ...LAUNCH_HEADERS,
      'content-security-policy': csp,
    },
    body,
  };
}

/** Failures of the click itself become a page for a person, never JSON and never a stack. */
export function htmlErrors(): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: (request) => {
      const problem = toProblem(request.error);
      const known = ERROR_PAGES[problem.status as keyof typeof ERROR_PAGES];
      if (!known || problem.status >= 500) logger.error('launch failed', { problem: problem.type });
      const retryAfter = (request.error as { retryAfterSeconds?: number } | null)?.retryAfterSeconds;
      request.response = page({
        ...(known ?? ERROR_PAGES[500]),
        status: known ? problem.status : 500,
        ...(retryAfter ? { headers: { 'retry-after': String(retryAfter) } } : {}),
      });
    },
  };
}

const FAILED = {
  title: 'Something went wrong',
  message: 'The console could not be opened. Try again in a minute.',
} as const;

const ERROR_PAGES = {
  404: LINK_NOT_FOUND,
  429: {
    title: 'Too many attempts',
    message: 'Too many failed attempts from your address. Wait a minute and try again.',
  },
  500: FAILED,
  502: FAILED,
  503: {
    title: 'Temporarily unavailable',
    message: 'The broker cannot reach its stores. Try again in a minute.',
  },
  504: FAILED,
} as const;

const REFUSALS = {
  not_found: LINK_NOT_FOUND,
  revoked: LINK_NOT_FOUND,
  expired: {
    status: 410,
    title: 'Link expired',
    message: 'This launch link has expired. Ask for a new one.',
  },
  used: {
    status: 410,
    title: 'Link already used',
    message: 'This single-use launch link has already been used.',
  },
} as const;

/** A link that cannot be used: unknown and revoked read alike (never which), expired and used say so. */
export function refusalPage(state: keyof typeof REFUSALS, fallbackUrl?: string): ApiResult {
  return page({ ...REFUSALS[state], fallbackUrl: state === 'revoked' ? undefined : fallbackUrl });
}

/**
 * The problems waiting does not end (the stored password, the certificate pin, the account's rights), as the one
 * mapping of errors (`toProblem`) names them.
 */
const NEEDS_OPERATOR = new Set(
  [
    'appliance-credentials-rejected',
    'appliance-credentials-missing',
    'appliance-tls-failed',
    'appliance-permission-denied',
  ].map((name) => `${PROBLEM_BASE}${name}`),
);

/** A click whose launch failed: what happened in words, nothing used up, and the source's own way in. */
export function failurePage(error: unknown, fallbackUrl: string): ApiResult {
  if (error instanceof DeviceUnavailableError) {
    return page({
      status: 409,
      title: 'The console cannot be opened now',
      message: `${error.reason}. Nothing was used up; try the link again once that has changed.`,
      fallbackUrl,
    });
  }
  const { type, status } = toProblem(error);
  if (NEEDS_OPERATOR.has(type)) {
    return page({
      status: 502,
      title: 'The console appliance needs an operator',
      message:
        'The broker cannot sign in to this console appliance, or cannot trust it: its stored password, ' +
        'certificate or rights need an operator. Nothing was used up; tell your operations team, and the link ' +
        'works again once they have fixed it.',
      // A failed certificate check means the host may not be the appliance: no link to it.
      fallbackUrl: type === `${PROBLEM_BASE}appliance-tls-failed` ? undefined : fallbackUrl,
    });
  }
  const timedOut = status === 504;
  return page({
    status: timedOut ? 504 : 502,
    title: timedOut ? 'The appliance did not answer' : 'The appliance could not open the console',
    message: timedOut
      ? 'The console appliance did not answer in time. Nothing was used up; try the link again in a minute.'
      : 'The console appliance refused or failed the request. Nothing was used up; try the link again in a minute.',
    fallbackUrl,
  });
}
