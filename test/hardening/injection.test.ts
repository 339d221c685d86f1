import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallResult,
  createLink,
  deviceOfType,
  errorFields,
  mintTicket,
  newLink,
  problemType,
  startTestBroker,
  type TestBroker,
} from '../support/broker.js';

/**
 * Hostile input aimed at what the broker builds from it: paths (traversal), response headers (CR/LF
 * injection), the launch redirect (only ever to the registered appliance) and link creation (no open
 * redirect), plus the 16 KB body limit.
 */

let t: TestBroker;
let kvmId: string;
let uhdId: string;
let serialId: string;

beforeAll(async () => {
  t = await startTestBroker({
    env: { CLIENT_RATE_LIMIT_PER_MINUTE: '100000', LAUNCH_FAILURES_PER_MINUTE: '100000' },
  });
  kvmId = deviceOfType(t.sim);
  uhdId = deviceOfType(t.sim, 'ADX-IP-UHD');
  const live = await t.call('GET', '/v1/appliances/lab/devices', { key: t.keys.admin });
  serialId = (live.json.devices as { id: string; viewerTypes: string[] }[]).find(
    (d) => !d.viewerTypes.includes('KVM'),
  )!.id;
});
afterAll(async () => {
  await t?.close();
});

/** No response header was injected, and none carries a raw control character. */
function expectCleanHeaders(response: CallResult): void {
  expect(response.headers['set-cookie']).toBeUndefined();
  expect(response.headers['x-injected']).toBeUndefined();
  for (const [name, value] of Object.entries(response.headers)) {
    expect(value, name).not.toMatch(/[\r\n\0]/);
  }
}

/* ----------------------------------------------------------------------------------------------------------
 * Path traversal
 * ------------------------------------------------------------------------------------------------------- */

describe('path traversal', () => {
  it('encoded traversal in path parameters is a 400 naming the parameter', async () => {
    const cases: [string, string, string][] = [
      ['GET', '/v1/appliances/..%2f..%2fetc/devices', 'applianceId'],
      ['GET', '/v1/appliances/..%5c..%5cwindows/devices', 'applianceId'],
      ['POST', '/v1/appliances/..%2Flab/login', 'applianceId'],
      ['POST', '/v1/appliances/lab/devices/..%2f..%2fapi%2fv1%2fuserSessions/tickets', 'deviceId'],
      ['POST', '/v1/appliances/lab/devices/..%5c..%5cx/tickets', 'deviceId'],
      ['POST', '/v1/appliances/lab/devices/%2e%2e%2f%2e%2e%2fx/tickets', 'deviceId'],
      ['DELETE', '/v1/links/..%2f..%2fx', 'id'],
      ['GET', '/v1/devices?applianceId=..%2flab', 'applianceId'],
      ['GET', '/v1/audit?applianceId=../lab', 'applianceId'],
    ];
    for (const [method, path, field] of cases) {
      const response = await t.rawCall(method, path, {
        key: t.keys.admin,
        headers: { 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{"viewerType":"KVM"}' } : {}),
      });
      expect(response.status, `${method} ${path}: ${response.text}`).toBe(400);
      expect(response.json.type).toBe(problemType('invalid-input'));
      expect(errorFields(response), path).toContain(field);
    }
  });

  it('a device id that is a relative path segment is resolved away (no such route) or is just an unknown device', async () => {
    // Sent byte for byte: the server itself resolves `.` and `..` segments, in any spelling, before routing,
    // so they never reach the ticket route as a device id. Longer dot runs are ordinary (unknown) ids.
    const ticketsBefore = t.sim.counters.tickets;
    const cases: [string, string, string][] = [
      ['..', 'route-not-found', 'no route for /v1/appliances/lab/tickets'],
      ['%2e%2e', 'route-not-found', 'no route for /v1/appliances/lab/tickets'],
      ['.%2e', 'route-not-found', 'no route for /v1/appliances/lab/tickets'],
      ['.', 'route-not-found', 'no route for /v1/appliances/lab/devices/tickets'],
      ['%2e', 'route-not-found', 'no route for /v1/appliances/lab/devices/tickets'],
      ['...', 'device-not-found', 'device "..." was not found'],
      ['..:..', 'device-not-found', 'device "..:.." was not found'],
    ];
    for (const [segment, type, detail] of cases) {
      const response = await t.rawCall('POST', `/v1/appliances/lab/devices/${segment}/tickets`, {
        key: t.keys.admin,
        headers: { 'content-type': 'application/json' },
        body: '{"viewerType":"KVM"}',
      });
      expect(response.status, `${segment}: ${response.text}`).toBe(404);
      expect(response.json, segment).toMatchObject({ type: problemType(type), detail });
    }
    expect(t.sim.counters.tickets, 'no ticket was minted').toBe(ticketsBefore);
    // In a body nothing resolves it: `..` is just an unknown device.
    const link = await createLink(t, { deviceId: '..' }, t.keys.admin);
    expect(link.status).toBe(404);
    expect(link.json.type).toBe(problemType('device-not-found'));
  });

  it('traversal out of /launch/ never serves a file and never skips authentication', async () => {
    for (const path of [
      '/launch/..%2f..%2f..%2fetc%2fpasswd',
      '/launch/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/launch/../../../../etc/passwd',
      '/launch/..%00/package.json',
      '/launch/....//....//etc/passwd',
    ]) {
      const response = await t.rawCall('GET', path);
      expect(response.status, path).toBe(404);
      expect(response.text).not.toMatch(/root:|"dependencies"/);
    }
    // Normalised into a protected route: still needs the key.
    for (const path of ['/launch/../v1/audit', '/launch/%2e%2e/v1/audit', '/health/../v1/audit']) {
      const response = await t.rawCall('GET', path);
      expect(response.status, path).toBe(401);
    }
  });

  it('an encoded token with slashes, NUL or dots is a 404 page for HEAD and GET', async () => {
    for (const token of ['..%2f..%2f', '%00', '.', '..', 'a%2fb', `${'A'.repeat(31)}%00`]) {
      for (const method of ['GET', 'HEAD']) {
        const response = await t.rawCall(method, `/launch/${token}`);
        expect(response.status, `${method} ${token}`).toBe(404);
        if (method === 'GET') expect(response.headers['content-type']).toMatch(/^text\/html/);
      }
    }
  });
});

/* ----------------------------------------------------------------------------------------------------------
 * Header injection
 * ------------------------------------------------------------------------------------------------------- */

describe('header injection', () => {
  const CRLF = [
    '%0d%0aSet-Cookie:%20evil=1',
    '%0D%0AX-Injected:%201',
    '%0aLocation:%20https://evil.example',
    '%0d',
  ];

  it('CR/LF in any path parameter never reaches a response header', async () => {
    const templates = [
      ['GET', '/launch/{}'],
      ['HEAD', '/launch/{}'],
      ['GET', '/v1/appliances/{}/devices'],
      ['POST', '/v1/appliances/lab/devices/{}/tickets'],
      ['POST', '/v1/appliances/{}/login'],
      ['DELETE', '/v1/links/{}'],
      ['GET', '/v1/devices?applianceId={}'],
      ['GET', '/v1/audit?cursor={}'],
    ];
    for (const [method, template] of templates) {
      for (const payload of CRLF) {
        const path = (template as string).replace('{}', `x${payload}`);
        const response = await t.rawCall(method as string, path, {
          key: t.keys.admin,
          headers: { 'content-type': 'application/json' },
          ...(method === 'POST' ? { body: '{"viewerType":"KVM"}' } : {}),
        });
        expect(response.status, `${method} ${path}`).toBeGreaterThanOrEqual(400);
        expect(response.status, `${method} ${path}`).toBeLessThan(500);
        expect(response.headers.location, path).toBeUndefined();
        expectCleanHeaders(response);
      }
    }
  });

  it('a hostile appliance ticket cannot add a header or a parameter to the redirect', async () => {
    const sim = t.sim as unknown as { mintTicket: () => string };
    const hostile = 'abc\r\nSet-Cookie: evil=1\r\n\r\n&deviceId=other&viewerType=VM#frag';
    sim.mintTicket = () => hostile;
    try {
      const minted = await mintTicket(t, kvmId, t.keys.admin);
      expect(minted.status).toBe(201);
      const launchUrl = new URL(minted.json.launchUrl);
      expect(launchUrl.origin).toBe(new URL(t.sim.url).origin);
      expect(launchUrl.searchParams.getAll('ticket')).toEqual([hostile]);
      expect(launchUrl.searchParams.getAll('deviceId')).toEqual([kvmId]);
      expect(launchUrl.searchParams.getAll('viewerType')).toEqual(['KVM']);
      expect(launchUrl.hash).toBe('');

      const link = await newLink(t, {}, t.keys.admin);
      const click = await t.call('GET', link.path);
      expect(click.status).toBe(302);
      expectCleanHeaders(click);
      const location = new URL(click.headers.location ?? '');
      expect(location.origin).toBe(new URL(t.sim.url).origin);
      expect(location.pathname).toBe('/api/v1/launchUI/');
      expect(location.searchParams.getAll('ticket')).toEqual([hostile]);
      expect(location.searchParams.getAll('deviceId')).toEqual([kvmId]);
      expect(location.searchParams.getAll('viewerType')).toEqual(['KVM']);
    } finally {
      delete (sim as Partial<typeof sim>).mintTicket;
    }
  });

  it('control characters in request headers stay out of response headers', async () => {
    const { path } = await newLink(t, {}, t.keys.admin);
    // HTTP forbids raw CR/LF in header values (Node refuses to send them); tabs and obs-text are legal.
    const response = await t.call('GET', path, {
      headers: {
        'user-agent': 'agent\tSet-Cookie: evil=1',
        'x-forwarded-for': '1.2.3.4\tX-Injected: 1',
        'x-forwarded-host': 'evil.example',
        host: 'evil.example',
      },
    });
    expect(response.status).toBe(302);
    expectCleanHeaders(response);
    expect(new URL(response.headers.location ?? '').origin).toBe(new URL(t.sim.url).origin);
  });
});

/* ----------------------------------------------------------------------------------------------------------
 * The redirect goes only to the registered appliance
 * ------------------------------------------------------------------------------------------------------- */

describe('Location is built only from the registered base URL', () => {
  const requestArb = fc.oneof(
    fc.record(
      {
        deviceId: fc.constant('kvm'),
        viewerType: fc.constant('KVM'),
        sharingMode: fc.constantFrom('ACTIVE', 'PASSIVE', 'PREEMPT', 'STEALTH', 'STANDALONE_PASSIVE'),
        mouseMode: fc.constantFrom(0, 1),
      },
      { requiredKeys: ['deviceId', 'viewerType'] },
    ),
    fc.record(
      { deviceId: fc.constant('uhd'), viewerType: fc.constant('KVM'), mouseMode: fc.constantFrom(0, 1, 2) },
      { requiredKeys: ['deviceId', 'viewerType'] },
    ),
  );
  const spoofing = fc.record(
    {
      host: fc.constantFrom('evil.example', 'evil.example:443', '127.0.0.1.evil.example'),
      'x-forwarded-host': fc.constantFrom('evil.example', `${'a'.repeat(300)}.example`),
      'x-forwarded-proto': fc.constantFrom('javascript', 'https', 'ftp'),
      forwarded: fc.constantFrom('host=evil.example;proto=https', 'for=1.2.3.4;host="evil.example"'),
      origin: fc.constantFrom('https://evil.example', 'null'),
      referer: fc.constantFrom('https://evil.example/?next=https://evil.example'),
    },
    { requiredKeys: [] },
  );

  it('for every valid request, spoofed host headers included, links, tickets and redirects stay home', async () => {
    const registered = new URL(t.sim.url).origin;
    await fc.assert(
      fc.asyncProperty(requestArb, spoofing, async (input, headers) => {
        const deviceId = input.deviceId === 'kvm' ? kvmId : uhdId;
        const body = { ...input, deviceId, applianceId: 'lab' };
        const link = await t.call('POST', '/v1/links', {
          key: t.keys.admin,
          body,
          headers: headers as Record<string, string>,
        });
        expect(link.status, link.text).toBe(201);
        expect(link.json.url.startsWith(`${t.url}/launch/`), link.json.url).toBe(true);
        const click = await t.call('GET', new URL(link.json.url).pathname, {
          headers: headers as Record<string, string>,
        });
        expect(click.status, click.text).toBe(302);
        const location = new URL(click.headers.location ?? '');
        expect(location.origin).toBe(registered);
        expect(location.pathname).toBe('/api/v1/launchUI/');
        expect(location.username + location.password + location.hash).toBe('');
        expect([...location.searchParams.keys()].sort()).toEqual(
          [
            'launchType',
            'viewerType',
            'deviceId',
            'ticket',
            ...Object.keys(input).filter((k) => k.endsWith('Mode')),
          ].sort(),
        );
        const { applianceId: _a, deviceId: _d, ...request } = body;
        const ticket = await t.call('POST', `/v1/appliances/lab/devices/${deviceId}/tickets`, {
          key: t.keys.admin,
          body: request,
          headers: headers as Record<string, string>,
        });
        expect(ticket.status, ticket.text).toBe(201);
        expect(new URL(ticket.json.launchUrl).origin).toBe(registered);
      }),
      { numRuns: 25 },
    );
  });

  it('the failure page links only to the registered appliance, without a ticket', async () => {
    const link = await t.call('POST', '/v1/links', {
      key: t.keys.admin,
      body: { applianceId: 'lab', deviceId: kvmId, viewerType: 'KVM' },
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' },
    });
    t.sim.failNext(5, { status: 503, endpoint: 'ticket' });
    let page: CallResult;
    try {
      page = await t.call('GET', new URL(link.json.url).pathname, { headers: { host: 'evil.example' } });
    } finally {
      t.sim.failNext(0);
    }
    expect(page.status).toBe(502);
    const hrefs = [...page.text.matchAll(/href="([^"]*)"/g)].map((m) =>
      (m[1] ?? '').replaceAll('&amp;', '&'),
    );
    expect(hrefs).toHaveLength(1);
    const fallback = new URL(hrefs[0] ?? '');
    expect(fallback.origin).toBe(new URL(t.sim.url).origin);
    expect(fallback.searchParams.has('ticket')).toBe(false);
  });
});

/* ----------------------------------------------------------------------------------------------------------
 * Open redirect via link creation
 * ------------------------------------------------------------------------------------------------------- */

describe('open redirect attempts via link creation', () => {
  it('a destination field of any name is refused, naming it', async () => {
    for (const field of [
      'url',
      'redirect',
      'redirectUrl',
      'redirect_uri',
      'location',
      'next',
      'returnTo',
      'baseUrl',
      'launchUrl',
      'publicBaseUrl',
      'host',
      'target',
      'fallbackUrl',
    ]) {
      const response = await createLink(t, { [field]: 'https://evil.example/' }, t.keys.admin);
      expect(response.status, field).toBe(400);
      expect(errorFields(response)).toEqual([field]);
    }
  });

  it('URLs in place of ids or enums are refused, naming the field', async () => {
    const cases: [string, string, number][] = [
      ['applianceId', 'https://evil.example', 400],
      ['applianceId', '//evil.example', 400],
      ['applianceId', 'evil.example', 400],
      ['deviceId', 'https://evil.example', 400],
      ['deviceId', '//evil.example', 400],
      ['deviceId', '@evil.example', 400],
      ['deviceId', `${kvmId}?next=https://evil.example`, 400],
      ['deviceId', `${kvmId}#https://evil.example`, 400],
      ['deviceId', `${kvmId}&ticket=x`, 400],
      ['viewerType', 'KVM&next=https://evil.example', 400],
      ['sharingMode', 'ACTIVE#//evil.example', 400],
    ];
    for (const [field, value, status] of cases) {
      const response = await createLink(t, { [field]: value }, t.keys.admin);
      expect(response.status, `${field}=${value}`).toBe(status);
      expect(errorFields(response), `${field}=${value}`).toContain(field);
    }
  });

  it('a host name that passes as a device id is an unknown device; an unregistered appliance is unknown', async () => {
    const device = await createLink(t, { deviceId: 'evil.example' }, t.keys.admin);
    expect(device.status).toBe(404);
    expect(device.json.type).toBe(problemType('device-not-found'));
    const appliance = await createLink(t, { applianceId: 'evil-example' }, t.keys.admin);
    expect(appliance.status).toBe(404);
    expect(appliance.json.type).toBe(problemType('appliance-not-found'));
    // A serial device asked for KVM: refused before any link exists.
    const serial = await createLink(t, { deviceId: serialId }, t.keys.admin);
    expect(serial.status).toBe(400);
    expect(errorFields(serial)).toContain('viewerType');
  });
});

/* ----------------------------------------------------------------------------------------------------------
 * Body size limit
 * ------------------------------------------------------------------------------------------------------- */

describe('body size limit (16 KB)', () => {
  const LIMIT = 16 * 1024;
  const ticketPath = () => `/v1/appliances/lab/devices/${kvmId}/tickets`;
  /** `{"viewerType":"KVM"}` padded with JSON whitespace to exactly `bytes` bytes. */
  const padded = (bytes: number) => {
    const json = '{"viewerType":"KVM"}';
    return `${json.slice(0, -1)}${' '.repeat(bytes - json.length)}}`;
  };
  const post = (body: string | Buffer, path = ticketPath()) =>
    t.rawCall('POST', path, { key: t.keys.admin, headers: { 'content-type': 'application/json' }, body });

  it('16384 bytes are accepted; 16385 bytes are a 413 problem', async () => {
    const atLimit = await post(padded(LIMIT));
    expect(atLimit.status, atLimit.text).toBe(201);
    const over = await post(padded(LIMIT + 1));
    expect(over.status).toBe(413);
    expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(over.json).toMatchObject({ type: problemType('body-too-large'), status: 413 });
  });

  it('the limit counts bytes, not characters', async () => {
    // 6000 three-byte characters: 6000 characters, 18000 bytes.
    const body = JSON.stringify({ viewerType: 'KVM', note: '\u20ac'.repeat(6000) });
    expect(body.length).toBeLessThan(LIMIT);
    expect((await post(body)).status).toBe(413);
  });

  it('a binary body over the limit is a 413, under it a 400', async () => {
    expect((await post(Buffer.alloc(LIMIT + 100, 0xff))).status).toBe(413);
    const small = await post(Buffer.alloc(100, 0xff));
    expect(small.status).toBe(400);
    expect(errorFields(small)).toEqual(['body']);
  });

  it('a 2 MB body is a 413 problem and the broker keeps serving', async () => {
    const huge = await post(Buffer.alloc(2 * 1024 * 1024, 0x20));
    expect(huge.status).toBe(413);
    expect(huge.json.type).toBe(problemType('body-too-large'));
    const link = await post(padded(LIMIT + 1), '/v1/links');
    expect(link.status).toBe(413);
    expect((await t.call('GET', '/health')).status).toBe(200);
  });
});
