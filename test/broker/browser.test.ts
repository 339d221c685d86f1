import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newLink, startTestBroker, type TestBroker } from '../support/broker.js';
import { type Chromium, chromiumAvailable, launchChromium } from '../support/browser.js';

/**
 * A real browser follows an e-mailed launch link: Debian's Chromium (Playwright's own browser download does
 * not work here) opens `/launch/<token>`, follows the 302 to the simulator's viewer page and screenshots it.
 */

const SCREENSHOT = 'test-results/browser-launch.png';

let t: TestBroker | undefined;
let browser: Chromium | undefined;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  t = await startTestBroker();
  browser = await launchChromium({ acceptSelfSigned: true });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('a real browser', () => {
  it.skipIf(!chromiumAvailable)(
    'follows an e-mailed link through the 302 to the viewer page and takes a screenshot',
    async () => {
      const broker = t!;
      const device = broker.sim.devices.find((d) => d.device_name === 'rack12-web01 KVM');
      if (!device) throw new Error('the simulator has no rack12-web01 KVM');
      const { url: linkUrl } = await newLink(broker, { deviceId: device.id, singleUse: true });

      const page = await browser!.context.newPage();
      const redirects: number[] = [];
      page.on('response', (response) => {
        if (response.url() === linkUrl) redirects.push(response.status());
      });
      const response = await page.goto(linkUrl, { waitUntil: 'load', timeout: 15_000 });
      expect(redirects).toEqual([302]);
      expect(response?.status()).toBe(200);
      const landed = new URL(page.url());
      expect(`${landed.origin}${landed.pathname}`).toBe(`${broker.sim.url}/api/v1/launchUI/`);
      expect(landed.searchParams.get('deviceId')).toBe(device.id);
      expect(landed.searchParams.has('ticket')).toBe(true);
      expect(await page.title()).toBe('DSView Viewer');
      await expect.poll(() => page.locator('h1').first().textContent()).toContain(device.device_name);
      expect(broker.sim.counters.launches).toBe(1);

      await mkdir('test-results', { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);

      // The link was single-use: the browser now gets the 410 page with the ticketless fallback.
      const again = await page.goto(linkUrl, { waitUntil: 'load', timeout: 10_000 });
      expect(again?.status()).toBe(410);
      const fallback = await page.locator('a').first().getAttribute('href');
      expect(fallback).toContain(`${broker.sim.url}/api/v1/launchUI/`);
      expect(fallback).not.toContain('ticket=');
      await page.close();
    },
    30_000,
  );
});
