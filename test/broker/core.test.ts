import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeList } from '../../functions/routes.js';
import { fetchSecretsStats } from '../support/aws.js';
import {
  deviceOfType,
  errorFields,
  openViewer,
  problemType,
  startTestBroker,
  type TestBroker,
} from '../support/broker.js';

let t: TestBroker;
const deviceByName = (name: string) => {
  const device = t.sim.devices.find((d) => d.device_name === name);
  if (!device) throw new Error(`no device ${name}`);
  return device.id;
};
const kvm = () => deviceByName('rack12-web01 KVM');
const ticketPath = (deviceId: string, appliance = 'lab') =>
  `/v1/appliances/${appliance}/devices/${deviceId}/tickets`;

beforeAll(async () => {
  t = await startTestBroker({ env: { APPLIANCE_REQUEST_TIMEOUT_MS: '1500' } });
});
afterAll(async () => {
  await t?.close();
});

describe('public routes', () => {
  it('GET /health answers ok without a key', async () => {
    const response = await t.call('GET', '/health');
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ status: 'ok' });
  });

  it('GET /openapi.json describes exactly the routes the server serves', async () => {
    const response = await t.call('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.json.openapi).toBe('3.1.0');
    const documented = Object.entries(response.json.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const served = routeList.map((route) => `${route.method} ${route.path}`);
    expect(documented.sort()).toEqual(served.sort());
    expect(response.json.components.securitySchemes.apiKey.scheme).toBe('bearer');
    expect(response.json.components.schemas.Problem).toBeDefined();
  });

  it('unknown routes are 404 problems and wrong methods 405', async () => {
    expect((await t.call('GET', '/nope')).status).toBe(404);
    const wrong = await t.call('PUT', '/health');
    expect(wrong.status).toBe(405);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
  });
});

describe('authentication and authorization', () => {
  it('no key is 401, an unknown key is 401', async () => {
    const none = await t.call('GET', '/v1/appliances/lab/devices');
    expect(none.status).toBe(401);
    expect(none.json.type).toBe(problemType('unauthorized'));
    const unknown = await t.call('GET', '/v1/appliances/lab/devices', { key: 'x'.repeat(40) });
    expect(unknown.status).toBe(401);
  });

  it('a key without the scope is 403', async () => {
    const response = await t.call('POST', ticketPath(kvm()), {
      key: t.keys.reader,
      body: { viewerType: 'KVM' },
    });
    expect(response.status).toBe(403);
    expect(response.json.type).toBe(problemType('forbidden'));
    expect(response.json.detail).toContain('tickets:create');
  });

  it('an appliance outside the allow-list is 403', async () => {
    const response = await t.call('GET', '/v1/appliances/lab/devices', { key: t.keys.outsider });
    expect(response.status).toBe(403);
  });
});

describe('POST /v1/appliances/{id}/login', () => {
  it('logs in once, then reuses; never returns the JWT', async () => {
    const first = await t.call('POST', '/v1/appliances/lab/login', { key: t.keys.admin });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ applianceId: 'lab', username: t.sim.username });
    expect(Date.parse(first.json.expiresAt)).toBeGreaterThan(Date.now());
    expect(first.text).not.toMatch(/eyJ/);
    const second = await t.call('POST', '/v1/appliances/lab/login', { key: t.keys.admin });
    expect(second.json.reused).toBe(true);
    expect(second.json.userSessionId).toBe(first.json.userSessionId);
  });

  it('unknown appliance is 404, a malformed id 400 naming the field', async () => {
    const unknown = await t.call('POST', '/v1/appliances/nowhere/login', { key: t.keys.admin });
    expect(unknown.status).toBe(404);
    expect(unknown.json.type).toBe(problemType('appliance-not-found'));
    const bad = await t.call('POST', '/v1/appliances/Bad_Id/login', { key: t.keys.admin });
    expect(bad.status).toBe(400);
    expect(bad.json.errors[0].field).toBe('applianceId');
  });
});

describe('GET /v1/appliances/{id}/devices', () => {
  it('lists every device live, with viewer types from all connection paths', async () => {
    const response = await t.call('GET', '/v1/appliances/lab/devices', { key: t.keys.reader });
    expect(response.status).toBe(200);
    expect(response.json.devices).toHaveLength(t.sim.devices.length);
    for (const device of response.json.devices) {
      expect(device).toEqual({
        id: expect.any(String),
        name: expect.any(String),
        type: expect.any(String),
        connectionPaths: expect.any(Array),
        viewerTypes: expect.any(Array),
      });
    }
    const uhdBoth = response.json.devices.filter(
      (d: { type: string; viewerTypes: string[] }) => d.type === 'ADX-IP-UHD' && d.viewerTypes.length === 2,
    );
    expect(uhdBoth.length).toBeGreaterThanOrEqual(2);
  });

  it('filters by type and by name, case-insensitively', async () => {
    const byType = await t.call('GET', '/v1/appliances/lab/devices?type=VS-VIRTUAL-MACHINE', {
      key: t.keys.reader,
    });
    expect(byType.json.devices.every((d: { type: string }) => d.type === 'VS-VIRTUAL-MACHINE')).toBe(true);
    expect(byType.json.devices.length).toBeGreaterThan(0);
    const byName = await t.call('GET', '/v1/appliances/lab/devices?name=RACK12-WEB', { key: t.keys.reader });
    expect(byName.json.devices.map((d: { name: string }) => d.name)).toEqual(['rack12-web01 KVM']);
  });

  it('refuses unknown query fields with 400 naming them', async () => {
    const response = await t.call('GET', '/v1/appliances/lab/devices?colour=red', { key: t.keys.reader });
    expect(response.status).toBe(400);
    expect(response.json.errors[0].field).toBe('colour');
  });
});

describe('POST …/tickets', () => {
  it('mints a ticket whose launch URL opens the viewer exactly once', async () => {
    const response = await t.call('POST', ticketPath(kvm()), {
      key: t.keys.operator,
      body: { viewerType: 'KVM' },
    });
    expect(response.status).toBe(201);
    const { ticket, launchUrl, expiresAt } = response.json;
    expect(launchUrl.startsWith(`${t.sim.url}/api/v1/launchUI/?`)).toBe(true);
    expect(new URL(launchUrl).searchParams.get('ticket')).toBe(ticket);
    const ttl = Date.parse(expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(15_000);
    expect(ttl).toBeLessThanOrEqual(20_000);
    expect(await openViewer(launchUrl)).toBe(200);
    expect(await openViewer(launchUrl)).toBe(400);
  });

  it('applies the contract rules with 400s naming the field', async () => {
    const cases: [string, object, string][] = [
      [kvm(), { viewerType: 'SERIAL' }, 'viewerType'],
      [kvm(), { viewerType: 'KVM', mouseMode: 2 }, 'mouseMode'],
      [deviceOfType(t.sim, 'ACS'), { viewerType: 'SERIAL', sharingMode: 'ACTIVE' }, 'sharingMode'],
      [kvm(), { viewerType: 'KVM', sharingMode: 'SHOUTING' }, 'sharingMode'],
      [kvm(), { viewerType: 'kvm' }, 'viewerType'],
      [kvm(), { viewerType: 'KVM', mouseMode: '1' }, 'mouseMode'],
      [kvm(), { viewerType: 'KVM', extra: true }, 'extra'],
      [kvm(), {}, 'viewerType'],
    ];
    for (const [device, body, field] of cases) {
      const response = await t.call('POST', ticketPath(device), { key: t.keys.operator, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(errorFields(response)).toContain(field);
    }
  });

  it('a missing field is named "is required"; a field of the wrong type keeps its type message', async () => {
    const missing = await t.call('POST', '/v1/links', {
      key: t.keys.admin,
      body: { applianceId: 'lab', viewerType: 'KVM' },
    });
    expect(missing.status).toBe(400);
    expect(missing.json.errors).toEqual([{ field: 'deviceId', message: 'is required' }]);
    const wrongType = await t.call('POST', '/v1/links', {
      key: t.keys.admin,
      body: { applianceId: 'lab', deviceId: 5, viewerType: 'KVM' },
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.json.errors).toEqual([
      { field: 'deviceId', message: 'Invalid input: expected string, received number' },
    ]);
    const noBody = await t.call('POST', ticketPath(kvm()), { key: t.keys.operator });
    expect(noBody.status).toBe(400);
    expect(noBody.json.errors).toEqual([{ field: 'viewerType', message: 'is required' }]);
  });

  it('malformed JSON is a 400, an oversized body 413, a non-JSON type 415', async () => {
    const malformed = await t.call('POST', ticketPath(kvm()), {
      key: t.keys.operator,
      rawBody: '{"viewerType":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json.type).toBe(problemType('malformed-json'));
    const big = await t.call('POST', ticketPath(kvm()), {
      key: t.keys.operator,
      body: { viewerType: 'KVM', pad: 'x'.repeat(20_000) },
    });
    expect(big.status).toBe(413);
    const form = await t.call('POST', ticketPath(kvm()), {
      key: t.keys.operator,
      rawBody: 'viewerType=KVM',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
  });

  it('an unknown device is a 404 from a fresh listing, without asking the appliance again', async () => {
    await t.call('GET', '/v1/appliances/lab/devices', { key: t.keys.reader });
    const before = t.sim.counters.deviceLists;
    const response = await t.call('POST', ticketPath('no-such-device'), {
      key: t.keys.operator,
      body: { viewerType: 'KVM' },
    });
    expect(response.status).toBe(404);
    expect(response.json.type).toBe(problemType('device-not-found'));
    // The cold case (one listing per cache lifetime) is test/broker/device-limits.test.ts.
    expect(t.sim.counters.deviceLists - before).toBe(0);
  });

  it('a warm ticket costs one appliance call and no Secrets Manager call', async () => {
    await t.call('POST', ticketPath(kvm()), { key: t.keys.operator, body: { viewerType: 'KVM' } });
    const secretId = `${t.applianceSecretPrefix}lab`;
    const readsBefore = (await fetchSecretsStats()).secretValueReads[secretId] ?? 0;
    const logins = t.sim.counters.logins;
    const tickets = t.sim.counters.tickets;
    for (let i = 0; i < 5; i++) {
      const response = await t.call('POST', ticketPath(kvm()), {
        key: t.keys.operator,
        body: { viewerType: 'KVM' },
      });
      expect(response.status).toBe(201);
    }
    expect(t.sim.counters.logins).toBe(logins);
    expect(t.sim.counters.tickets - tickets).toBe(5);
    expect((await fetchSecretsStats()).secretValueReads[secretId] ?? 0).toBe(readsBefore);
  });
});

describe('appliance faults', () => {
  const mint = () => t.call('POST', ticketPath(kvm()), { key: t.keys.operator, body: { viewerType: 'KVM' } });

  it('forgotten sessions and expired JWTs are recovered transparently with one new login', async () => {
    expect((await mint()).status).toBe(201);
    for (const fault of [() => t.sim.forgetAllSessions(), () => t.sim.expireAllJwts()]) {
      const logins = t.sim.counters.logins;
      fault();
      expect((await mint()).status).toBe(201);
      expect(t.sim.counters.logins).toBe(logins + 1);
    }
  });

  it('one 503 is retried; repeated 5xx is a 502 problem', async () => {
    t.sim.failNext(1, { status: 503, endpoint: 'ticket' });
    expect((await mint()).status).toBe(201);
    t.sim.failNext(2, { status: 503, endpoint: 'ticket' });
    const failed = await mint();
    expect(failed.status).toBe(502);
    expect(failed.json.type).toBe(problemType('appliance-unavailable'));
    expect((await mint()).status).toBe(201);
  });

  it('a garbage answer is a 502 bad-response problem', async () => {
    t.sim.garbageNext(1, { endpoint: 'ticket' });
    const response = await mint();
    expect(response.status).toBe(502);
    expect(response.json.type).toBe(problemType('appliance-bad-response'));
  });

  it('a hang is a 504 within the timeout', async () => {
    t.sim.hang(true);
    const started = Date.now();
    const response = await mint();
    t.sim.hang(false);
    expect(response.status).toBe(504);
    expect(response.json.type).toBe(problemType('appliance-timeout'));
    expect(Date.now() - started).toBeLessThan(15_000);
    expect((await mint()).status).toBe(201);
  });

  it('an appliance that is down is a 502, and the next request after it is back works', async () => {
    await t.sim.down();
    const response = await mint();
    expect([502, 504]).toContain(response.status);
    await t.sim.up();
    expect((await mint()).status).toBe(201);
  });

  it('refused stored credentials are a 502 telling the operator to fix them', async () => {
    t.sim.forgetAllSessions();
    t.sim.rejectLogins(true);
    const response = await mint();
    t.sim.rejectLogins(false);
    expect(response.status).toBe(502);
    expect(response.json.type).toBe(problemType('appliance-credentials-rejected'));
    expect(response.json.detail).toMatch(/credentials/);
  });
});

describe('secrets stay secret', () => {
  it('no password, JWT, API key or ticket (outside its response) in any log line', async () => {
    const logs = t.output.join('');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(t.sim.password);
    expect(logs).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
    for (const key of Object.values(t.keys)) expect(logs).not.toContain(key);
    expect(logs).not.toMatch(/ticket=[0-9a-f]{20,}/);
    expect(logs).not.toMatch(/"ticket":"[0-9a-f]{20,}"/);
  });
});
