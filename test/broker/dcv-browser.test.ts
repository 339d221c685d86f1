import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DcvSimulator, startDcvSimulator } from '../../simulators/dcv/simulator.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { type Chromium, chromiumAvailable, launchChromium } from '../support/browser.js';
import { dcvAppliance } from '../support/sources.js';

/**
 * A real browser follows a DCV link: Debian's Chromium opens `/launch/<token>`, follows the 302 to the
 * simulated DCV server's web client with the connection token, and the page names the session it opened.
 */

let t: TestBroker | undefined;
let sim: DcvSimulator | undefined;
let browser: Chromium | undefined;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  sim = await startDcvSimulator({ sessionCount: 5 });
  t = await startTestBroker({
    extraAppliances: [dcvAppliance(sim)],
  });
  browser = await launchChromium({ acceptSelfSigned: true, profilePrefix: 'clb-chromium-dcv-' });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await sim?.close();
});

describe('a real browser and a DCV link', () => {
  it.skipIf(!chromiumAvailable)(
    'follows the 302 to the web client page, which redeems the token and shows the session id',
    async () => {
      const broker = t!;
      const session = sim!.sessions.find((candidate) => candidate.State === 'READY')!;
      const created = await broker.call('POST', '/v1/links', {
        key: broker.keys.admin,
        body: { applianceId: 'dcv', deviceId: session.Id, viewerType: 'DCV', user: 'alice', singleUse: true },
      });
      expect(created.status, created.text).toBe(201);
      const linkUrl: string = created.json.url;

      const page = await browser!.context.newPage();
      const redirects: number[] = [];
      page.on('response', (response) => {
        if (response.url() === linkUrl) redirects.push(response.status());
      });
      const response = await page.goto(linkUrl, { waitUntil: 'load', timeout: 15_000 });
      expect(redirects).toEqual([302]);
      expect(response?.status()).toBe(200);
      const landed = new URL(page.url());
      expect(`${landed.origin}${landed.pathname}`).toBe(`${sim!.url}/`);
      expect(landed.searchParams.get('authToken')).toBeTruthy();
      expect(landed.hash).toBe(`#${session.Id}`);
      expect(await page.locator('#session-id').textContent()).toBe(session.Id);
      await expect.poll(() => page.locator('#fragment').textContent()).toBe(session.Id);
      expect(await page.locator('#user').textContent()).toBe('alice');
      expect(sim!.counters.webClientOpens).toBe(1);

      // Single-use: the second visit is the 410 page whose fallback is the web client without a token.
      const again = await page.goto(linkUrl, { waitUntil: 'load', timeout: 10_000 });
      expect(again?.status()).toBe(410);
      const fallback = await page.locator('a').first().getAttribute('href');
      expect(fallback).toBe(`https://127.0.0.1:8443/#${session.Id}`);
      await page.close();
    },
    30_000,
  );
});
