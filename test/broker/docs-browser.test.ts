import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsResponse } from '../../functions/docs.js';
import { buildOpenApiDocument } from '../../functions/lib/openapi.js';
import { routeList } from '../../functions/routes.js';
import { type Chromium, chromiumAvailable, launchChromium } from '../support/browser.js';

/**
 * The OpenAPI document renders in a standard renderer: Chromium opens `/docs` (Swagger UI, served from
 * `swagger-ui-dist` by the docs function, no internet), which loads `/openapi.json` and resolves every
 * reference. Served here by a loopback server around the same code the routes run.
 */

let server: Server | undefined;
let base = '';
let browser: Chromium | undefined;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  const document = JSON.stringify(buildOpenApiDocument());
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/openapi.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(document);
      return;
    }
    docsResponse(path).then(
      (answer) =>
        res.writeHead(answer.statusCode ?? 500, answer.headers as Record<string, string>).end(answer.body),
      () => res.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium({ profilePrefix: 'clb-chromium-docs-' });
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

describe('GET /docs in a real browser', () => {
  it.skipIf(!chromiumAvailable)(
    'renders every operation with Swagger UI and resolves the shared schemas',
    async () => {
      const page = await browser!.context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      const offsite: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(base)) offsite.push(request.url());
      });

      const response = await page.goto(`${base}/docs`, { waitUntil: 'load', timeout: 15_000 });
      expect(response?.status()).toBe(200);
      await expect
        .poll(() => page.locator('.swagger-ui .info .title').first().textContent(), { timeout: 15_000 })
        .toContain('Console Launch Broker');
      await expect.poll(() => page.locator('.opblock').count()).toBe(routeList.length);

      // Opening an operation makes Swagger UI resolve its references; a dangling one shows a resolver error.
      await page
        .locator('.opblock-summary-path', { hasText: /^\/v1\/devices$/ })
        .first()
        .click();
      await page.locator('.opblock.is-open .responses-wrapper').first().waitFor({ timeout: 10_000 });
      await page.locator('.swagger-ui .models').first().scrollIntoViewIfNeeded();
      const text = await page.locator('body').innerText();
      expect(text).not.toMatch(/Could not resolve reference|Resolver error/i);
      for (const name of ['Problem', 'Device', 'InventoryDevice', 'AuditEvent']) expect(text).toContain(name);

      expect(problems).toEqual([]);
      expect(offsite).toEqual([]);
      await page.close();
    },
    45_000,
  );

  it('serves only its own files', async () => {
    expect((await docsResponse('/docs/../package.json')).statusCode).toBe(404);
    expect((await docsResponse('/docs/swagger-ui.js.map')).statusCode).toBe(404);
    const asset = await docsResponse('/docs/swagger-ui-bundle.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers?.['content-type']).toMatch(/javascript/);
  });
});
