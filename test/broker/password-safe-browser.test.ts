import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PasswordSafeSimulator,
  startPasswordSafeSimulator,
} from '../../simulators/password-safe/simulator.js';
import { newLink, startTestBroker, type TestBroker } from '../support/broker.js';
import { type Chromium, chromiumAvailable, launchChromium } from '../support/browser.js';
import { passwordSafeAppliance } from '../support/sources.js';

/** A real browser opens a Password Safe SSH link and finds the `ssh://` link and the command on the page. */

let ps: PasswordSafeSimulator | undefined;
let t: TestBroker | undefined;
let browser: Chromium | undefined;

beforeAll(async () => {
  if (!chromiumAvailable) return;
  ps = await startPasswordSafeSimulator();
  t = await startTestBroker({
    extraAppliances: [passwordSafeAppliance(ps, { name: 'Lab Password Safe' })],
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await ps?.close();
});

describe('a real browser on a Password Safe SSH link', () => {
  it.skipIf(!chromiumAvailable)(
    'shows the ssh command and an ssh:// link carrying the one-time ticket',
    async () => {
      const { url } = await newLink(
        t!,
        { applianceId: 'pam', deviceId: '3.32', viewerType: 'SSH', singleUse: true },
        t!.keys.admin,
      );
      const page = await browser!.context.newPage();
      const response = await page.goto(url, { waitUntil: 'load', timeout: 15_000 });
      expect(response?.status()).toBe(200);
      const href = await page.locator('a[href^="ssh://"]').first().getAttribute('href');
      const match = /^ssh:\/\/([0-9a-f]+)@127\.0\.0\.1:4422$/.exec(href ?? '');
      expect(match, href ?? 'no ssh:// link').not.toBeNull();
      expect(ps!.secretsIssued()).toContain(match![1]);
      expect(await page.locator('#copy').textContent()).toBe(`ssh -p 4422 ${match![1]}@127.0.0.1`);
      expect(await page.title()).toContain('web-01.corp.example');
    },
  );
});
