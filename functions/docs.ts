import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import middy from '@middy/core';
import type { ApiEvent, ApiResult } from './lib/events.js';
import { observability } from './lib/middlewares.js';
import { PROBLEM_BASE, problemResponse } from './lib/problem.js';

/**
 * `GET /docs` and `GET /docs/{asset}`: the OpenAPI document rendered by Swagger UI. The renderer's files come
 * from the `swagger-ui-dist` package and are served by this function itself, because operators often read the
 * docs where there is no internet (and a CDN script would be a third party on the broker's origin). They are
 * about 1.9 MB, so they live in this function only, never in the launch function's bundle.
 */

/** The only files the page loads; anything else is 404 (no path from the request reaches the file system). */
export const DOCS_ASSETS = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
} as const;
type AssetName = keyof typeof DOCS_ASSETS;

/** Same-origin files only, no inline script; Swagger UI sets inline styles, so styles alone allow them. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Console Launch Broker API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script>
</body>
</html>
`;

/** Starts Swagger UI on this broker's document; a file rather than an inline script, so the CSP needs no hash. */
const START = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });\n`;

const cache = new Map<AssetName, string>();

async function asset(name: AssetName): Promise<string> {
  let text = cache.get(name);
  if (text === undefined) {
    const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    text = await readFile(join(dir, name), 'utf8');
    cache.set(name, text);
  }
  return text;
}

const headers = (contentType: string, cacheControl: string) => ({
  'content-type': contentType,
  'cache-control': cacheControl,
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/** The answer for a path under `/docs`. */
export async function docsResponse(path: string): Promise<ApiResult> {
  if (path === '/docs' || path === '/docs/') {
    return {
      statusCode: 200,
      headers: headers('text/html; charset=utf-8', 'public, max-age=300'),
      body: PAGE,
    };
  }
  const name = path.slice('/docs/'.length);
  if (name === 'start.js') {
    return {
      statusCode: 200,
      headers: headers('text/javascript; charset=utf-8', 'public, max-age=300'),
      body: START,
    };
  }
  if (Object.hasOwn(DOCS_ASSETS, name)) {
    const known = name as AssetName;
    return {
      statusCode: 200,
      headers: headers(DOCS_ASSETS[known], 'public, max-age=86400'),
      body: await asset(known),
    };
  }
  // A program that guessed a path gets the API's own answer: a problem naming the case.
  return problemResponse({
    type: `${PROBLEM_BASE}route-not-found`,
    title: 'No such route',
    status: 404,
    detail: `no docs file ${JSON.stringify(name.slice(0, 100))}; the page loads only its own files`,
  });
}

export const handler = middy<ApiEvent, ApiResult>()
  .use(observability())
  .handler(async (event) => docsResponse(event.rawPath ?? '/docs'));
