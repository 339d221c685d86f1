import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCertificate } from '../../simulators/certificate.js';
import { startVcenterSimulator, type VcenterSimulator } from '../../simulators/vcenter/simulator.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { type Chromium, chromiumAvailable, launchChromium } from '../support/browser.js';
import { vcenterAppliance } from '../support/sources.js';

/**
 * A WEBMKS link opened in Chromium: the broker's console page loads the operator's HTML Console SDK from
 * `htmlConsole.scriptUrls` under its strict CSP, and its bootstrap hands the SDK the `wss://` ticket URI. The
 * "SDK" here is a fixture served over HTTPS on loopback that records what `connect` was given.
 */

/** Stands in for wmks.min.js: `WMKS.createWMKS(id, options).connect(url)` records its arguments. */
const FIXTURE_SDK = `window.WMKS = {
  createWMKS: function (id, options) {
    return {
      connect: function (url) {
        window.__wmks = { id: id, url: url };
        document.title = 'connected';
      },
    };
  },
};
`;

let t: TestBroker | undefined;
let sim: VcenterSimulator | undefined;
let sdkServer: Server | undefined;
let browser: Chromium | undefined;
let sdkRequests = 0;

async function startSdkServer(): Promise<string> {
  const cert = await defaultCertificate();
  sdkServer = createServer({ key: cert.keyPem, cert: cert.certPem }, (req, res) => {
    if (req.url !== '/sdk/wmks.min.js') {
      res.writeHead(404).end();
      return;
    }
    sdkRequests++;
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(FIXTURE_SDK);
  });
  await new Promise<void>((resolve) => sdkServer!.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(sdkServer.address() as AddressInfo).port}/sdk/wmks.min.js`;
}

beforeAll(async () => {
  if (!chromiumAvailable) return;
  const sdkUrl = await startSdkServer();
  sim = await startVcenterSimulator();
  t = await startTestBroker({
    extraAppliances: [vcenterAppliance(sim, { htmlConsole: { scriptUrls: [sdkUrl] } })],
  });
  browser = await launchChromium({ acceptSelfSigned: true });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
  await sim?.close();
  await new Promise((resolve) => (sdkServer ? sdkServer.close(resolve) : resolve(undefined)));
});

describe('a WEBMKS console page in Chromium', () => {
  it.skipIf(!chromiumAvailable)(
    'loads the SDK from htmlConsole.scriptUrls and connects it to the wss:// ticket, with no CSP violation',
    async () => {
      const broker = t!;
      const created = await broker.call('POST', '/v1/links', {
        key: broker.keys.admin,
        body: { applianceId: 'vc', deviceId: 'vm-42', viewerType: 'WEBMKS', singleUse: true },
      });
      expect(created.status, created.text).toBe(201);

      const page = await browser!.context.newPage();
      const violations: string[] = [];
      page.on('console', (message) => {
        if (message.text().includes('Content Security Policy')) violations.push(message.text());
      });
      const response = await page.goto(created.json.url, { waitUntil: 'load', timeout: 15_000 });
      expect(response?.status()).toBe(200);
      await expect.poll(() => page.title(), { timeout: 5_000 }).toBe('connected');

      const given = (await page.evaluate('window.__wmks')) as { id: string; url: string };
      expect(given.id).toBe('console');
      expect(given.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ticket\/[0-9a-f]{32}$/);
      // The URL is the ticket vCenter minted for this VM: it has not been spent yet, and spends once.
      expect(sim!.redeem(given.url)).toBe('ok');
      // The bootstrap took the ticket out of the DOM once it had read it.
      expect(await page.locator('#console').getAttribute('data-socket-url')).toBeNull();
      expect(await page.getByRole('link', { name: 'Open in VMRC instead' }).getAttribute('href')).toBe(
        `vmrc://${new URL(sim!.url).host}/?moid=vm-42`,
      );
      expect(sdkRequests).toBe(1);
      expect(violations).toEqual([]);
      await page.close();
    },
    30_000,
  );
});
