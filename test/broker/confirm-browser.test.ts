import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallResult, newLink, startTestBroker, type TestBroker } from '../support/broker.js';
import { type Chromium, chromiumAvailable, launchChromium } from '../support/browser.js';

/**
 * Scanner-proof links (review M1): a confirm link answers GET and HEAD without using anything up, and only the
 * page's own button (a POST with the field the page carries) claims and launches. The broker runs with
 * LINK_CONFIRM_DEFAULT=single-use, so single-use links confirm unless created with `confirm: false`.
 */

let t: TestBroker;
let browser: Chromium | undefined;

const fieldOf = (page: CallResult) => /name="confirmation" value="([^"]+)"/.exec(page.text)?.[1];
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  t.call('POST', path, {
    rawBody: body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });

beforeAll(async () => {
  t = await startTestBroker({ env: { LINK_CONFIRM_DEFAULT: 'single-use' } });
  if (!chromiumAvailable) return;
  browser = await launchChromium({ acceptSelfSigned: true });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('a confirm link', () => {
  it('answers GET (as scanners and unfurlers send it) with a page and uses nothing up; HEAD says live', async () => {
    const link = await newLink(t, { confirm: true, singleUse: true, reason: 'INC-1' });
    const before = { ...t.sim.counters };
    for (let i = 0; i < 3; i++) {
      const page = await t.call('GET', link.path);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.headers['cache-control']).toBe('no-store');
      expect(page.headers['content-security-policy']).toContain("form-action 'self'");
      expect(page.text).toContain('Lab MP1000');
      expect(page.text).toContain('rack');
      expect(page.text).toContain('KVM');
      expect(page.text).toMatch(/<form method="post"><input type="hidden" name="confirmation"/);
      expect(page.text).not.toContain(link.token);
    }
    expect((await t.call('HEAD', link.path)).status).toBe(204);
    expect(t.sim.counters.requests - before.requests).toBe(0);
  });

  it('a POST without the page field, with a forged one or from another site shows the page again', async () => {
    const link = await newLink(t, { singleUse: true });
    const field = fieldOf(await t.call('GET', link.path))!;
    const before = { ...t.sim.counters };
    for (const [body, headers] of [
      ['', {}],
      ['confirmation=1.abc', {}],
      [`confirmation=${Date.now()}.${'0'.repeat(64)}`, {}],
      [`confirmation=${encodeURIComponent(field)}`, { 'sec-fetch-site': 'cross-site' }],
    ] as const) {
      const answer = await post(link.path, body, headers);
      expect(answer.status, body).toBe(200);
      expect(fieldOf(answer), body).toBeDefined();
    }
    expect(t.sim.counters.tickets - before.tickets).toBe(0);
    const opened = await post(link.path, `confirmation=${encodeURIComponent(field)}`, {
      'sec-fetch-site': 'same-origin',
    });
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toMatch(new RegExp(`^${t.sim.url}/api/v1/launchUI/`));
    // Single use: spent now, on GET and on a replayed POST.
    expect((await t.call('GET', link.path)).status).toBe(410);
    expect((await post(link.path, `confirmation=${encodeURIComponent(field)}`)).status).toBe(410);
  });

  it('LINK_CONFIRM_DEFAULT=single-use: single-use links confirm, multi-use links keep the one-click 302', async () => {
    const single = await t.call('POST', '/v1/links', {
      key: t.keys.operator,
      body: {
        applianceId: 'lab',
        deviceId: t.sim.devices.find((d) => d.device_type_programmatic_name === 'ADX-IP-IQ')!.id,
        viewerType: 'KVM',
        singleUse: true,
      },
    });
    expect(single.json.confirm).toBe(true);
    const multi = await newLink(t);
    expect((await t.call('GET', multi.path)).status).toBe(302);
    const optedOut = await newLink(t, { singleUse: true, confirm: false });
    expect((await t.call('GET', optedOut.path)).status).toBe(302);
  });

  it.skipIf(!chromiumAvailable)(
    'in Chromium: the page, then its button, lands on the viewer once',
    async () => {
      const link = await newLink(t, { confirm: true, singleUse: true });
      const page = await browser!.context.newPage();
      const first = await page.goto(link.url, { waitUntil: 'load', timeout: 15_000 });
      expect(first?.status()).toBe(200);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Open console');
      expect(t.sim.counters.launches).toBe(0);
      const statuses: number[] = [];
      page.on('response', (response) => {
        if (response.url() === link.url) statuses.push(response.status());
      });
      await Promise.all([
        page.waitForURL((url) => url.href.startsWith(`${t.sim.url}/api/v1/launchUI/`), { timeout: 15_000 }),
        page.getByRole('button', { name: 'Open console' }).click(),
      ]);
      expect(statuses).toEqual([303]);
      expect(await page.title()).toBe('DSView Viewer');
      expect(t.sim.counters.launches).toBe(1);
      // Back on the link: used up.
      const again = await page.goto(link.url, { waitUntil: 'load', timeout: 15_000 });
      expect(again?.status()).toBe(410);
      await page.close();
    },
  );
});
