import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../shared/errors.js';
import { type DsviewSimulator, startDsviewSimulator } from '../../simulators/dsview/simulator.js';
import {
  type CallResult,
  createLink as createLinkOn,
  deviceOfType,
  errorFields,
  type LinkBody,
  type NewLink,
  newLink as newLinkOn,
  openViewer,
  problemType,
  startTestBroker,
  steppableClock,
  type TestBroker,
  tokenOf,
} from '../support/broker.js';

/**
 * The launch-link life cycle through the local server against the HTTPS simulator: create, click, HEAD,
 * single use under concurrency, expiry on the injected clock, revocation, junk tokens, appliance failures,
 * the audit trail, and the absence of every token, ticket and JWT from the logs.
 */

let t: TestBroker;
/** A second appliance, so the audit `applianceId` filter has something to filter out. */
let west: DsviewSimulator;
/** The broker's clock runs with the wall clock; expiry tests step it forward. */
const clock = steppableClock();

const USER_AGENT = 'links-test/1.0 (technician mail client)';
/** Every link token, ticket and launch URL the tests saw: none may appear in a log line or audit event. */
const tokens = new Set<string>();
const tickets = new Set<string>();

const deviceByName = (name: string) => {
  const device = t.sim.devices.find((d) => d.device_name === name);
  if (!device) throw new Error(`no device ${name}`);
  return device.id;
};
const kvm = () => deviceByName('rack12-web01 KVM');

/** POST /v1/links for the KVM device named above; remembers the token of a created link. */
async function createLink(body: LinkBody = {}, key = t.keys.operator): Promise<CallResult> {
  const response = await createLinkOn(t, { deviceId: kvm(), ...body }, key);
  if (response.status === 201) tokens.add(tokenOf(response.json.url));
  return response;
}

/** Creates a link (expecting a 201) and remembers its token. */
async function newLink(body: LinkBody = {}, key = t.keys.operator): Promise<NewLink> {
  const link = await newLinkOn(t, { deviceId: kvm(), ...body }, key);
  tokens.add(link.token);
  return link;
}

/** A click as a browser makes it; remembers the ticket of a redirect. */
async function click(path: string, method: 'GET' | 'HEAD' = 'GET'): Promise<CallResult> {
  const response = await t.call(method, path, { headers: { 'user-agent': USER_AGENT } });
  const location = response.headers.location;
  if (location) {
    const ticket = new URL(location).searchParams.get('ticket');
    if (ticket) tickets.add(ticket);
  }
  return response;
}

const ticketOf = (response: CallResult) =>
  new URL(response.headers.location ?? '').searchParams.get('ticket');

/** The `href` of the page's fallback link (the appliance's login-then-launch URL), unescaped. */
function fallbackHref(html: string): string | undefined {
  const match = /<a href="([^"]+)"/.exec(html);
  return match?.[1]?.replaceAll('&amp;', '&');
}

/** The launch headers every answer to a person carries. */
function expectLaunchHeaders(response: CallResult) {
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
}

/** An HTML error page: the status, HTML (never JSON), no stack, no ticket. */
function expectPage(response: CallResult, status: number) {
  expect(response.status, response.text.slice(0, 300)).toBe(status);
  expect(response.headers['content-type']).toMatch(/^text\/html/);
  expect(response.json).toBeUndefined();
  expect(response.text).toMatch(/^<!doctype html>/);
  expect(response.text).not.toMatch(/ticket=|\bat .+\.(ts|js):\d+|Error:/);
  expectLaunchHeaders(response);
}

/** The page's fallback is the simulator's launchUI URL for `deviceId`, without a ticket. */
function expectFallback(response: CallResult, deviceId: string) {
  const href = fallbackHref(response.text);
  expect(href, 'the page links to the login-then-launch URL').toBeDefined();
  const url = new URL(href!);
  expect(`${url.origin}${url.pathname}`).toBe(`${t.sim.url}/api/v1/launchUI/`);
  expect(url.searchParams.get('deviceId')).toBe(deviceId);
  expect(url.searchParams.get('launchType')).toBe('viewer');
  expect(url.searchParams.has('ticket')).toBe(false);
  return href!;
}

const counters = () => {
  const { tickets: minted, logins, deviceLists } = t.sim.counters;
  return { tickets: minted, logins, deviceLists };
};

beforeAll(async () => {
  west = await startDsviewSimulator({ deviceCount: 12, seed: 'links-west' });
  t = await startTestBroker({
    clock: clock.now,
    env: {
      APPLIANCE_REQUEST_TIMEOUT_MS: '1500',
      // Junk-token tests fail many clicks from 127.0.0.1 on purpose; the cool-down is limits.test.ts's topic.
      LAUNCH_FAILURES_PER_MINUTE: '100000',
      CLIENT_RATE_LIMIT_PER_MINUTE: '100000',
    },
    extraAppliances: [
      {
        id: 'west',
        name: 'West MP1000',
        baseUrl: west.url,
        kind: 'dsview',
        platform: 'MP1000',
        firmwareVersion: '3.33.8',
        credentials: { username: west.username, password: west.password },
        tls: { caPem: west.certPem },
      },
    ],
  });
});
afterAll(async () => {
  await t?.close();
  await west?.close();
});

describe('the life cycle: create → click → 302 → viewer', () => {
  it('creates a link whose URL is the public base URL and an unguessable token, nothing else', async () => {
    const before = Date.now();
    const response = await createLink();
    expect(response.status).toBe(201);
    expect(Object.keys(response.json).sort()).toEqual(['confirm', 'expiresAt', 'id', 'singleUse', 'url']);
    expect(response.json.confirm).toBe(false);
    const { id, url, expiresAt, singleUse } = response.json;
    expect(id).toMatch(/^lnk_[A-Za-z0-9_-]{16,64}$/);
    expect(singleUse).toBe(false);
    const match = /^(.*)\/launch\/([A-Za-z0-9_-]+)$/.exec(url);
    expect(match?.[1]).toBe(t.url);
    const token = match?.[2] ?? '';
    // base64url: 6 bits a character; at least 128 bits.
    expect(token.length * 6).toBeGreaterThanOrEqual(128);
    expect(url).not.toContain(id);
    expect(url).not.toContain(kvm());
    // The default lifetime: 24 hours.
    const ttl = Date.parse(expiresAt) - before;
    expect(ttl).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(24 * 3600_000 + 60_000);
    expect(response.headers['content-type']).toContain('application/json');
  });

  it('every link gets a fresh token and id', async () => {
    const links = await Promise.all([newLink(), newLink(), newLink()]);
    expect(new Set(links.map((l) => l.token)).size).toBe(3);
    expect(new Set(links.map((l) => l.id)).size).toBe(3);
  });

  it('a click answers 302 to the appliance launchUI URL with a fresh ticket, and the viewer opens', async () => {
    const link = await newLink({ sharingMode: 'PASSIVE', mouseMode: 1 });
    const response = await click(link.path);
    expect(response.status).toBe(302);
    expectLaunchHeaders(response);
    const location = new URL(response.headers.location ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${t.sim.url}/api/v1/launchUI/`);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      launchType: 'viewer',
      viewerType: 'KVM',
      deviceId: kvm(),
      ticket: expect.stringMatching(/^\S{16,}$/),
      sharingMode: 'PASSIVE',
      mouseMode: '1',
    });
    expect(response.text).not.toContain(ticketOf(response)!);
    expect(await openViewer(location.toString())).toBe(200);
    // The ticket is the appliance's one-time ticket: a second open is refused by the appliance.
    expect(await openViewer(location.toString())).toBe(400);
  });

  it('a SERIAL link to a serial device opens its viewer', async () => {
    const serial = deviceOfType(t.sim, 'ACS');
    const link = await newLink({ deviceId: serial, viewerType: 'SERIAL' });
    const response = await click(link.path);
    expect(response.status).toBe(302);
    const location = response.headers.location ?? '';
    expect(new URL(location).searchParams.get('viewerType')).toBe('SERIAL');
    expect(await openViewer(location)).toBe(200);
  });

  it('a multi-use link clicked three times mints three distinct tickets', async () => {
    const link = await newLink({ singleUse: false });
    const before = t.sim.counters.tickets;
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const response = await click(link.path);
      expect(response.status).toBe(302);
      seen.push(ticketOf(response)!);
      expect(await openViewer(response.headers.location ?? '')).toBe(200);
    }
    expect(new Set(seen).size).toBe(3);
    expect(t.sim.counters.tickets - before).toBe(3);
  });

  it('a warm click costs one createTicket and nothing else', async () => {
    const link = await newLink();
    expect((await click(link.path)).status).toBe(302);
    const before = { ...t.sim.counters };
    expect((await click(link.path)).status).toBe(302);
    expect(t.sim.counters.tickets - before.tickets).toBe(1);
    expect(t.sim.counters.logins - before.logins).toBe(0);
    expect(t.sim.counters.deviceLists - before.deviceLists).toBe(0);
    expect(t.sim.counters.requests - before.requests).toBe(1);
  });
});

describe('POST /v1/links validation', () => {
  it('needs links:create, and an appliance in the client list', async () => {
    const reader = await createLink({}, t.keys.reader);
    expect(reader.status).toBe(403);
    expect(reader.json.type).toBe(problemType('forbidden'));
    const none = await t.call('POST', '/v1/links', {
      body: { applianceId: 'lab', deviceId: kvm(), viewerType: 'KVM' },
    });
    expect(none.status).toBe(401);
    const outsider = await createLink({}, t.keys.outsider);
    expect(outsider.status).toBe(403);
    expect(outsider.json.type).toBe(problemType('forbidden'));
    // operator may use `lab` only.
    const elsewhere = await createLink({ applianceId: 'west', deviceId: deviceOfType(west) });
    expect(elsewhere.status).toBe(403);
  });

  it('an unknown appliance or device is a 404 problem', async () => {
    const appliance = await createLink({ applianceId: 'nowhere' }, t.keys.admin);
    expect(appliance.status).toBe(404);
    expect(appliance.headers['content-type']).toContain('application/problem+json');
    expect(appliance.json.type).toBe(problemType('appliance-not-found'));
    const device = await createLink({ deviceId: 'no-such-device-000' });
    expect(device.status).toBe(404);
    expect(device.headers['content-type']).toContain('application/problem+json');
    expect(device.json.detail).toContain('no-such-device-000');
  });

  it('invalid viewer types, modes, lifetimes and unknown fields are 400s naming the field', async () => {
    const acs = deviceOfType(t.sim, 'ACS');
    const cases: [LinkBody, string][] = [
      [{ viewerType: 'SERIAL' }, 'viewerType'],
      [{ viewerType: 'kvm' }, 'viewerType'],
      [{ viewerType: undefined }, 'viewerType'],
      [{ mouseMode: 2 }, 'mouseMode'],
      [{ mouseMode: 7 }, 'mouseMode'],
      [{ sharingMode: 'SHOUTING' }, 'sharingMode'],
      [{ deviceId: acs, viewerType: 'SERIAL', sharingMode: 'ACTIVE' }, 'sharingMode'],
      [{ deviceId: acs, viewerType: 'SERIAL', mouseMode: 1 }, 'mouseMode'],
      [{ ttlSeconds: 0 }, 'ttlSeconds'],
      [{ ttlSeconds: -5 }, 'ttlSeconds'],
      [{ ttlSeconds: 7 * 86_400 + 1 }, 'ttlSeconds'],
      [{ ttlSeconds: 90.5 }, 'ttlSeconds'],
      [{ ttlSeconds: '3600' as unknown as number }, 'ttlSeconds'],
      [{ singleUse: 'yes' as unknown as boolean }, 'singleUse'],
      [{ colour: 'red' }, 'colour'],
      [{ applianceId: 'Bad_Id' }, 'applianceId'],
    ];
    for (const [body, field] of cases) {
      const response = await createLink(body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(errorFields(response), JSON.stringify(body)).toContain(field);
    }
  });

  it('the lifetime cap itself and 1 second are accepted; the response echoes singleUse', async () => {
    const before = Date.now();
    const capped = await createLink({ ttlSeconds: 7 * 86_400, singleUse: true });
    expect(capped.status).toBe(201);
    expect(capped.json.singleUse).toBe(true);
    expect(Date.parse(capped.json.expiresAt) - before).toBeGreaterThan(7 * 86_400_000 - 60_000);
    const short = await createLink({ ttlSeconds: 1 });
    expect(short.status).toBe(201);
  });

  it('malformed JSON is a 400 problem and creates nothing', async () => {
    const response = await t.call('POST', '/v1/links', {
      key: t.keys.operator,
      rawBody: '{"applianceId":',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(400);
    expect(response.json.type).toBe(problemType('malformed-json'));
  });
});

describe('single use', () => {
  it('the second click is a 410 page with the ticketless login-then-launch link', async () => {
    const link = await newLink({ singleUse: true });
    const first = await click(link.path);
    expect(first.status).toBe(302);
    expect(await openViewer(first.headers.location ?? '')).toBe(200);
    const second = await click(link.path);
    expectPage(second, 410);
    expect(second.text).toContain('already been used');
    const href = expectFallback(second, kvm());
    // The ticketless URL leads to the appliance's own login page.
    expect(await openViewer(href)).toBe(302);
    expectPage(await click(link.path), 410);
  });

  it('50 concurrent clicks on a single-use link give exactly one 302 and 49 × 410', async () => {
    const link = await newLink({ singleUse: true });
    const before = t.sim.counters.tickets;
    const responses = await Promise.all(Array.from({ length: 50 }, () => click(link.path)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 302)).toHaveLength(1);
    expect(statuses.filter((s) => s === 410)).toHaveLength(49);
    expect(t.sim.counters.tickets - before).toBe(1);
    const winner = responses.find((r) => r.status === 302)!;
    expect(await openViewer(winner.headers.location ?? '')).toBe(200);
    for (const loser of responses.filter((r) => r.status === 410)) {
      expect(loser.headers['content-type']).toMatch(/^text\/html/);
    }
  });
});

describe('HEAD /launch/{token}', () => {
  it('consumes nothing: no ticket, no login, no device list; GET still redirects; HEAD on a used link 410', async () => {
    const link = await newLink({ singleUse: true });
    // Warm the session so any appliance call would show in the counters.
    expect((await click((await newLink()).path)).status).toBe(302);
    const before = counters();
    for (let i = 0; i < 3; i++) {
      const head = await click(link.path, 'HEAD');
      expect(head.status).toBe(204);
      expect(head.text).toBe('');
      expect(head.headers.location).toBeUndefined();
      expectLaunchHeaders(head);
    }
    expect(counters()).toEqual(before);
    const get = await click(link.path);
    expect(get.status).toBe(302);
    expect(t.sim.counters.tickets - before.tickets).toBe(1);
    const used = await click(link.path, 'HEAD');
    expect(used.status).toBe(410);
    expect(used.text).toBe('');
  });

  it('HEAD on a multi-use link is 204 and leaves it working', async () => {
    const link = await newLink();
    expect((await click(link.path, 'HEAD')).status).toBe(204);
    expect((await click(link.path)).status).toBe(302);
    expect((await click(link.path, 'HEAD')).status).toBe(204);
  });
});

describe('expiry (injected clock)', () => {
  it('a link past its lifetime is a 410 page with the fallback link, on GET and HEAD', async () => {
    const multi = await newLink({ ttlSeconds: 60 });
    const single = await newLink({ ttlSeconds: 60, singleUse: true });
    const lasting = await newLink({ ttlSeconds: 3600 });
    expect((await click(multi.path)).status).toBe(302);
    clock.advance(59_000);
    expect((await click(multi.path, 'HEAD')).status).toBe(204);
    clock.advance(2_000);
    const before = counters();
    for (const link of [multi, single]) {
      const response = await click(link.path);
      expectPage(response, 410);
      expect(response.text).toContain('expired');
      expectFallback(response, kvm());
      expect((await click(link.path, 'HEAD')).status).toBe(410);
    }
    expect(counters().tickets).toBe(before.tickets);
    // The clock moved the session and caches along: a live link still works.
    const live = await click(lasting.path);
    expect(live.status).toBe(302);
    expect(await openViewer(live.headers.location ?? '')).toBe(200);
  });

  it('a link is refused once the broker clock passes expiresAt', async () => {
    const link = await newLink({ ttlSeconds: 30, singleUse: true });
    clock.advance(30_000);
    expectPage(await click(link.path), 410);
  });
});

describe('revocation', () => {
  it('DELETE /v1/links/{id} is 204; the next click is a 404 page without fallback, HEAD 404', async () => {
    const link = await newLink();
    expect((await click(link.path)).status).toBe(302);
    const revoked = await t.call('DELETE', `/v1/links/${link.id}`, { key: t.keys.operator });
    expect(revoked.status).toBe(204);
    expect(revoked.text).toBe('');
    const response = await click(link.path);
    expectPage(response, 404);
    expect(fallbackHref(response.text)).toBeUndefined();
    expect((await click(link.path, 'HEAD')).status).toBe(404);
    // Revoking again changes nothing.
    expect((await t.call('DELETE', `/v1/links/${link.id}`, { key: t.keys.operator })).status).toBe(204);
    expectPage(await click(link.path), 404);
  });

  it("another client's link: 403 for a non-admin, 204 for an admin", async () => {
    const link = await newLink();
    const stranger = await t.call('DELETE', `/v1/links/${link.id}`, { key: t.keys.outsider });
    expect(stranger.status).toBe(403);
    expect(stranger.json.type).toBe(problemType('forbidden'));
    expect((await click(link.path)).status).toBe(302);
    const reader = await t.call('DELETE', `/v1/links/${link.id}`, { key: t.keys.reader });
    expect(reader.status).toBe(403);
    expect((await t.call('DELETE', `/v1/links/${link.id}`)).status).toBe(401);
    const admin = await t.call('DELETE', `/v1/links/${link.id}`, { key: t.keys.admin });
    expect(admin.status).toBe(204);
    expectPage(await click(link.path), 404);
  });

  it('an unknown id is 404, a malformed id 400 naming the field', async () => {
    const unknown = await t.call('DELETE', `/v1/links/lnk_${'A'.repeat(22)}`, { key: t.keys.operator });
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
    for (const id of [
      'abc',
      'lnk_short',
      `lnk_${'x'.repeat(80)}`,
      'lnk_%24%24%24%24%24%24%24%24%24%24%24%24%24%24%24%24',
    ]) {
      const bad = await t.call('DELETE', `/v1/links/${id}`, { key: t.keys.operator });
      expect(bad.status, id).toBe(400);
      expect(bad.json.errors[0].field).toBe('id');
    }
  });

  it('a single-use link revoked before use is 404, not 410', async () => {
    const link = await newLink({ singleUse: true });
    expect((await t.call('DELETE', `/v1/links/${link.id}`, { key: t.keys.operator })).status).toBe(204);
    expectPage(await click(link.path), 404);
    expect((await click(link.path, 'HEAD')).status).toBe(404);
  });
});

describe('tampered and junk tokens', () => {
  it('a token with one character flipped is a 404 page', async () => {
    const link = await newLink();
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    for (const index of [0, 10, link.token.length - 1]) {
      const tampered =
        link.token.slice(0, index) + flip(link.token[index] ?? 'A') + link.token.slice(index + 1);
      expectPage(await click(`/launch/${tampered}`), 404);
      expect((await click(`/launch/${tampered}`, 'HEAD')).status).toBe(404);
    }
    expectPage(await click(`/launch/${link.token}x`), 404);
    expectPage(await click(`/launch/${link.token.slice(0, -1)}`), 404);
    expect((await click(link.path)).status).toBe(302);
  });

  it('junk is a 404 HTML page, never a 500 and never JSON', async () => {
    const junk = [
      'x',
      'a'.repeat(5000),
      'A'.repeat(32),
      '..%2F..',
      '..%2F..%2Fv1%2Faudit',
      encodeURIComponent('ключ-🔑-clé'),
      '%00',
      `${'A'.repeat(31)}%00`,
      '%20',
      encodeURIComponent('<script>alert(1)</script>'),
      encodeURIComponent('"\'><img src=x>'),
      'null',
      '%25',
      encodeURIComponent('AAAA+/AAAAAAAAAAAAAAAAAAAAAAAAAAA='),
    ];
    for (const token of junk) {
      const get = await click(`/launch/${token}`);
      expectPage(get, 404);
      expect(get.text).not.toContain('<script>');
      expect(get.text).not.toContain('<img');
      const head = await click(`/launch/${token}`, 'HEAD');
      expect(head.status, token.slice(0, 40)).toBe(404);
    }
  });
});

describe('appliance failures', () => {
  it('a 503 (twice, past the retry) is a 502 page with the ticketless URL; the single-use link is kept', async () => {
    const link = await newLink({ singleUse: true });
    expect((await click(link.path, 'HEAD')).status).toBe(204);
    t.sim.failNext(2, { status: 503, endpoint: 'ticket' });
    const failed = await click(link.path);
    expectPage(failed, 502);
    expect(failed.text).not.toContain('ticket=');
    expectFallback(failed, kvm());
    expect((await click(link.path, 'HEAD')).status).toBe(204);
    const retried = await click(link.path);
    expect(retried.status).toBe(302);
    expect(await openViewer(retried.headers.location ?? '')).toBe(200);
    expectPage(await click(link.path), 410);
  });

  it('a 500 is a 502 page; garbage is a 502 page', async () => {
    const link = await newLink({ singleUse: true });
    t.sim.failNext(1, { status: 500, endpoint: 'ticket' });
    const failed = await click(link.path);
    expectPage(failed, 502);
    expectFallback(failed, kvm());
    t.sim.garbageNext(1, { endpoint: 'ticket' });
    const garbage = await click(link.path);
    expectPage(garbage, 502);
    expectFallback(garbage, kvm());
    expect((await click(link.path)).status).toBe(302);
  });

  it('an appliance that does not answer is a 504 page within the timeout; the link is kept', async () => {
    const link = await newLink({ singleUse: true });
    expect((await click((await newLink()).path)).status).toBe(302);
    t.sim.hang(true);
    const started = Date.now();
    let timedOut: CallResult;
    try {
      timedOut = await click(link.path);
    } finally {
      t.sim.hang(false);
    }
    const elapsed = Date.now() - started;
    expectPage(timedOut, 504);
    expect(timedOut.text).not.toContain('ticket=');
    expectFallback(timedOut, kvm());
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(15_000);
    const retried = await click(link.path);
    expect(retried.status).toBe(302);
    expect(await openViewer(retried.headers.location ?? '')).toBe(200);
  });
});

describe('broker failures after the claim', () => {
  it('a registry read failing after a single-use link was claimed gives the link back', async () => {
    const link = await newLink({ singleUse: true });
    const registry = t.broker.registry;
    const original = registry.get.bind(registry);
    let failures = 0;
    registry.get = async (...args: Parameters<typeof registry.get>) => {
      if (failures++ === 0) throw new StoreUnavailableError('state store unavailable (test)');
      return original(...args);
    };
    let failed: CallResult;
    try {
      failed = await click(link.path);
    } finally {
      registry.get = original;
    }
    expectPage(failed, 503);
    expect((await click(link.path, 'HEAD')).status).toBe(204);
    expect((await click(link.path)).status).toBe(302);
  });
});

interface AuditEvent {
  id: string;
  at: string;
  clientId?: string;
  linkId?: string;
  applianceId: string;
  deviceId: string;
  viewerType?: string | undefined;
  sharingMode?: string;
  mouseMode?: number;
  outcome: string;
  sourceIp?: string;
  userAgent?: string;
}

async function audit(query = ''): Promise<CallResult> {
  return t.call('GET', `/v1/audit${query}`, { key: t.keys.admin });
}

/** Every audit event, page by page. */
async function allEvents(query: string, limit: number): Promise<{ events: AuditEvent[]; pages: number }> {
  const events: AuditEvent[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const params = new URLSearchParams(query);
    params.set('limit', String(limit));
    if (cursor) params.set('cursor', cursor);
    const response = await audit(`?${params}`);
    expect(response.status, response.text).toBe(200);
    expect(response.json.events.length).toBeLessThanOrEqual(limit);
    events.push(...response.json.events);
    cursor = response.json.nextCursor;
    pages++;
    expect(pages).toBeLessThan(500);
  } while (cursor);
  return { events, pages };
}

const newestFirst = (events: AuditEvent[]) =>
  events.every((event, i) => i === 0 || (events[i - 1]?.at ?? '') >= event.at);

describe('GET /v1/audit', () => {
  it('records an event for every outcome, newest first, with who, what and from where', async () => {
    // The ticket API (ticket_issued) and a second appliance (for the filter below).
    const ticket = await t.call('POST', `/v1/appliances/lab/devices/${kvm()}/tickets`, {
      key: t.keys.operator,
      body: { viewerType: 'KVM' },
      headers: { 'user-agent': USER_AGENT },
    });
    expect(ticket.status).toBe(201);
    tickets.add(ticket.json.ticket);
    const westLink = await newLink({ applianceId: 'west', deviceId: deviceOfType(west) }, t.keys.admin);
    expect((await click(westLink.path)).status).toBe(302);

    const { events } = await allEvents('', 500);
    expect(newestFirst(events)).toBe(true);
    const outcomes = new Set(events.map((e) => e.outcome));
    for (const outcome of [
      'redirected',
      'ticket_issued',
      'used',
      'expired',
      'revoked',
      'appliance_error',
      'appliance_timeout',
      'not_found',
    ]) {
      expect(outcomes, outcome).toContain(outcome);
    }
    // Unknown well-formed tokens are audited without appliance or device (they name none).
    const unknown = events.find((e) => e.outcome === 'not_found');
    expect(unknown?.applianceId).toBeUndefined();
    expect(unknown?.sourceIp).toBeTruthy();

    const redirect = events.find((e) => e.linkId === westLink.id);
    expect(redirect).toMatchObject({
      linkId: westLink.id,
      applianceId: 'west',
      viewerType: 'KVM',
      outcome: 'redirected',
      sourceIp: '127.0.0.1',
      userAgent: USER_AGENT,
    });
    expect(redirect?.clientId).toBeUndefined();
    const issued = events.find((e) => e.outcome === 'ticket_issued');
    expect(issued).toMatchObject({ clientId: 'operator', applianceId: 'lab', deviceId: kvm() });
    for (const event of events) {
      expect(event.id).toEqual(expect.any(String));
      expect(Number.isNaN(Date.parse(event.at))).toBe(false);
      if (event.outcome !== 'not_found') expect(event.linkId ?? event.clientId).toBeDefined();
    }
  });

  it('every click of a single-use race is audited: one redirect, the rest used', async () => {
    const link = await newLink({ singleUse: true });
    await Promise.all(Array.from({ length: 10 }, () => click(link.path)));
    const { events } = await allEvents('applianceId=lab', 50);
    const mine = events.filter((e) => e.linkId === link.id);
    expect(mine.filter((e) => e.outcome === 'redirected')).toHaveLength(1);
    expect(mine.filter((e) => e.outcome === 'used')).toHaveLength(9);
  });

  it('a failed click is audited once, with the failure outcome only', async () => {
    const link = await newLink({ singleUse: true });
    t.sim.failNext(1, { status: 500, endpoint: 'ticket' });
    expect((await click(link.path)).status).toBe(502);
    const { events } = await allEvents('applianceId=lab', 20);
    const mine = events.filter((e) => e.linkId === link.id && e.outcome !== 'link_created');
    expect(mine.map((e) => e.outcome)).toEqual(['appliance_error']);
  });

  it('filters by applianceId', async () => {
    const lab = await allEvents('applianceId=lab', 500);
    const westEvents = await allEvents('applianceId=west', 500);
    expect(lab.events.length).toBeGreaterThan(0);
    expect(westEvents.events.length).toBeGreaterThan(0);
    expect(lab.events.every((e) => e.applianceId === 'lab')).toBe(true);
    expect(westEvents.events.every((e) => e.applianceId === 'west')).toBe(true);
    expect(newestFirst(lab.events)).toBe(true);
    const all = await allEvents('', 500);
    const named = all.events.filter((e) => e.applianceId !== undefined);
    expect(lab.events.length + westEvents.events.length).toBe(named.length);
    expect((await allEvents('applianceId=nowhere', 500)).events).toEqual([]);
  });

  it('pages with limit and cursor to exhaustion without duplicates or gaps', async () => {
    const all = (await allEvents('', 500)).events;
    expect(all.length).toBeGreaterThan(20);
    const paged = await allEvents('', 7);
    expect(paged.pages).toBeGreaterThanOrEqual(Math.ceil(all.length / 7));
    const ids = paged.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(all.map((e) => e.id));
    const filtered = await allEvents('applianceId=lab', 5);
    expect(filtered.events.map((e) => e.id)).toEqual(
      all.filter((e) => e.applianceId === 'lab').map((e) => e.id),
    );
  });

  it('from and to bound the window, inclusively, at any precision', async () => {
    const all = (await allEvents('', 500)).events;
    const middle = all[Math.floor(all.length / 2)]!;
    const to = await allEvents(`to=${encodeURIComponent(middle.at)}`, 500);
    expect(to.events.every((e) => e.at <= middle.at)).toBe(true);
    expect(to.events.map((e) => e.id)).toContain(middle.id);
    expect(to.events).toHaveLength(all.filter((e) => e.at <= middle.at).length);
    const from = await allEvents(`from=${encodeURIComponent(middle.at)}`, 500);
    expect(from.events.every((e) => e.at >= middle.at)).toBe(true);
    expect(from.events).toHaveLength(all.filter((e) => e.at >= middle.at).length);
    const both = await allEvents(
      `from=${encodeURIComponent(middle.at)}&to=${encodeURIComponent(middle.at)}`,
      500,
    );
    expect(both.events.map((e) => e.id)).toContain(middle.id);
    expect(both.events.every((e) => e.at === middle.at)).toBe(true);

    // Whole seconds, and more digits than milliseconds, mean the same instants.
    const second = new Date(Math.floor(Date.parse(middle.at) / 1000) * 1000);
    const wholeSecond = second.toISOString().replace('.000Z', 'Z');
    const atSecond = all.filter((e) => Date.parse(e.at) >= second.getTime());
    expect((await allEvents(`from=${encodeURIComponent(wholeSecond)}`, 500)).events).toHaveLength(
      atSecond.length,
    );
    const beforeSecond = all.filter((e) => Date.parse(e.at) <= second.getTime());
    expect((await allEvents(`to=${encodeURIComponent(wholeSecond)}`, 500)).events).toHaveLength(
      beforeSecond.length,
    );
    const micro = middle.at.replace('Z', '999Z');
    expect((await allEvents(`to=${encodeURIComponent(micro)}`, 500)).events.map((e) => e.id)).toContain(
      middle.id,
    );
    const future = new Date(clock.now() + 3_600_000).toISOString();
    expect((await allEvents(`from=${encodeURIComponent(future)}`, 500)).events).toEqual([]);
  });

  it('a bad cursor, limit or date is a 400; a cursor from another listing is a 400, never a 500', async () => {
    const first = await audit('?limit=2');
    const cursor: string = first.json.nextCursor;
    expect(cursor).toEqual(expect.any(String));
    const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('A') ? 'BB' : 'AA'}`;
    const cases = [
      `?cursor=${encodeURIComponent(tampered)}`,
      '?cursor=garbage',
      `?cursor=${encodeURIComponent(`${cursor}.x`)}`,
      `?cursor=${encodeURIComponent(cursor)}&applianceId=lab`,
      `?cursor=${encodeURIComponent(cursor)}&from=2000-01-01T00:00:00Z`,
    ];
    for (const query of cases) {
      const response = await audit(query);
      expect(response.status, query).toBe(400);
      expect(response.json.errors[0].field, query).toBe('cursor');
    }
    const labCursor = (await audit('?limit=2&applianceId=lab')).json.nextCursor as string;
    const crossed = await audit(`?cursor=${encodeURIComponent(labCursor)}`);
    expect(crossed.status).toBe(400);
    const inventoryCursor = (await t.call('GET', '/v1/devices?limit=1', { key: t.keys.admin })).json
      .nextCursor as string | undefined;
    if (inventoryCursor)
      expect((await audit(`?cursor=${encodeURIComponent(inventoryCursor)}`)).status).toBe(400);
    for (const [query, field] of [
      ['?limit=0', 'limit'],
      ['?limit=501', 'limit'],
      ['?limit=x', 'limit'],
      ['?from=yesterday', 'from'],
      ['?to=2024-13-01T00:00:00Z', 'to'],
      ['?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z', 'to'],
      ['?applianceId=Bad_Id', 'applianceId'],
      ['?colour=red', 'colour'],
    ] as const) {
      const response = await audit(query);
      expect(response.status, query).toBe(400);
      expect(response.json.errors[0].field, query).toBe(field);
    }
  });

  it('is admin only', async () => {
    expect((await t.call('GET', '/v1/audit', { key: t.keys.reader })).status).toBe(403);
    expect((await t.call('GET', '/v1/audit', { key: t.keys.operator })).status).toBe(403);
    expect((await t.call('GET', '/v1/audit')).status).toBe(401);
  });

  it('holds no token, ticket or JWT', async () => {
    const text = JSON.stringify((await allEvents('', 500)).events);
    expect(tokens.size).toBeGreaterThan(20);
    expect(tickets.size).toBeGreaterThan(10);
    for (const secret of [...tokens, ...tickets]) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    expect(text).not.toContain('ticket=');
    expect(text).not.toContain('/launch/');
  });
});

describe('logs', () => {
  it('carry the audit lines but no link token, ticket or JWT', () => {
    const logs = t.output.join('');
    expect(logs).toContain('launch audit');
    for (const token of tokens) expect(logs, 'a link token is in the logs').not.toContain(token);
    for (const ticket of tickets) expect(logs, 'a ticket is in the logs').not.toContain(ticket);
    expect(logs).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
    expect(logs).not.toContain(t.sim.password);
    expect(logs).not.toContain(t.keys.operator);
    expect(logs).not.toContain(t.keys.admin);
  });
});
