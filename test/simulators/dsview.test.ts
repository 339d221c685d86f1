import { X509Certificate } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectionOptions, connect } from 'node:tls';
import { Agent, fetch } from 'undici';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { generateCertificate } from '../../simulators/certificate.js';
import {
  type DsviewSimulator,
  generatedInventory,
  PROGRAMMATIC_NAMES,
  type SimDevice,
  type SimulatorOptions,
  standardInventory,
  startDsviewSimulator,
} from '../../simulators/dsview/simulator.js';
import {
  type Answer,
  callSimulator,
  manualClock,
  startSimulatorMain,
  terminate,
} from '../support/simulator-http.js';

const insecure = new Agent({ connect: { rejectUnauthorized: false } });
afterAll(() => insecure.close());

interface LoginBody {
  user_session: { name: string; id: string; username: string };
  jwt: string;
}

async function start(options: SimulatorOptions = {}): Promise<DsviewSimulator> {
  const sim = await startDsviewSimulator(options);
  onTestFinished(() => sim.close());
  return sim;
}

async function call(
  sim: DsviewSimulator,
  path: string,
  init: { method?: string; body?: string; jwt?: string; agent?: Agent; contentType?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (init.jwt) headers['authorization'] = `Bearer ${init.jwt}`;
  if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  return callSimulator(sim, path, {
    method: init.method ?? 'GET',
    headers,
    dispatcher: init.agent ?? insecure,
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

async function login(sim: DsviewSimulator, password = sim.password): Promise<Answer> {
  return call(sim, '/api/v1/userSessions', {
    method: 'POST',
    body: JSON.stringify({ username: sim.username, password }),
  });
}

async function session(sim: DsviewSimulator): Promise<{ id: string; jwt: string }> {
  const answer = await login(sim);
  expect(answer.status).toBe(201);
  const body = answer.json<LoginBody>();
  return { id: body.user_session.id, jwt: body.jwt };
}

async function ticket(sim: DsviewSimulator, user?: { id: string; jwt: string }): Promise<string> {
  const { id, jwt } = user ?? (await session(sim));
  const answer = await call(sim, `/api/v1/userSessions/${id}:createTicket`, { method: 'POST', jwt });
  expect(answer.status).toBe(200);
  return answer.json<{ ticket: string }>().ticket;
}

function deviceNamed(sim: DsviewSimulator, name: string): SimDevice {
  const device = sim.devices.find((d) => d.device_name === name);
  if (!device) throw new Error(`no device ${name}`);
  return device;
}

function launchPath(params: Record<string, string>): string {
  return `/api/v1/launchUI/?${new URLSearchParams(params).toString()}`;
}

function jwtPart(jwt: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[index] ?? '', 'base64url').toString('utf8'));
}

/** Completes a TLS handshake with the given trust settings; resolves 'ok' or the error code. */
function handshake(port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ...options }, () => {
      socket.destroy();
      resolve('ok');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('certificate', () => {
  it('is self-signed for CN dsview-simulator, names no host or IP, and pins by CA or fingerprint', async () => {
    const sim = await start();
    const x509 = new X509Certificate(sim.certPem);
    expect(x509.subject).toBe('CN=dsview-simulator');
    expect(x509.subjectAltName).toBeUndefined();
    expect(sim.fingerprint256).toBe(x509.fingerprint256);
    expect(sim.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

    const pinned = { ca: sim.certPem, checkServerIdentity: () => undefined };
    expect(await handshake(sim.port, pinned)).toBe('ok');
    expect(await handshake(sim.port, { ca: sim.certPem })).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    const other = await generateCertificate();
    expect(new X509Certificate(other.certPem).fingerprint256).not.toBe(sim.fingerprint256);
    const wrongCa = await handshake(sim.port, { ca: other.certPem, checkServerIdentity: () => undefined });
    expect(wrongCa).not.toBe('ok');
  });

  it('serves a caller-supplied certificate', async () => {
    const cert = await generateCertificate('mp1000-lab');
    const sim = await start({ cert });
    expect(sim.certPem).toBe(cert.certPem);
    expect(await handshake(sim.port, { ca: cert.certPem, checkServerIdentity: () => undefined })).toBe('ok');
  });
});

describe('POST /api/v1/userSessions', () => {
  it('answers 201 with user_session and an HS256 JWT whose exp is iat + jwtTtlSeconds', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now, jwtTtlSeconds: 600, username: 'operator' });
    const answer = await login(sim);
    expect(answer.status).toBe(201);
    const body = answer.json<LoginBody>();
    expect(body.user_session.id).toMatch(UUID);
    expect(body.user_session).toEqual({
      name: `userSessions/${body.user_session.id}`,
      id: body.user_session.id,
      username: 'operator',
    });
    expect(jwtPart(body.jwt, 0)).toMatchObject({ alg: 'HS256' });
    const claims = jwtPart(body.jwt, 1);
    expect(claims).toMatchObject({ sub: 'operator', sid: body.user_session.id, iat: clock.now() / 1000 });
    expect(claims['exp']).toBe(clock.now() / 1000 + 600);
    expect(sim.counters.logins).toBe(1);
  });

  it('answers 401 to a wrong password or username and 400 to a malformed body', async () => {
    const sim = await start();
    expect(sim.password.length).toBeGreaterThanOrEqual(16);
    expect((await login(sim, 'not-the-password')).status).toBe(401);
    const wrongUser = await call(sim, '/api/v1/userSessions', {
      method: 'POST',
      body: JSON.stringify({ username: 'root', password: sim.password }),
    });
    expect(wrongUser.status).toBe(401);
    expect(wrongUser.json()).toHaveProperty('error');
    const notJson = await call(sim, '/api/v1/userSessions', { method: 'POST', body: 'username=admin' });
    expect(notJson.status).toBe(400);
    const missing = await call(sim, '/api/v1/userSessions', { method: 'POST', body: '{"username":"admin"}' });
    expect(missing.status).toBe(400);
    expect(sim.counters).toMatchObject({ logins: 0, failedLogins: 4 });
  });

  it('answers 503 once maxSessions are live, and frees slots when their JWTs expire', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now, maxSessions: 3, jwtTtlSeconds: 60 });
    for (let i = 0; i < 3; i++) expect((await login(sim)).status).toBe(201);
    const full = await login(sim);
    expect(full.status).toBe(503);
    expect(full.json()).toEqual({ error: 'maximum number of user sessions reached' });
    clock.advance(60_000);
    expect((await login(sim)).status).toBe(201);
  });

  it('answers 401 to the right password while rejectLogins is on', async () => {
    const sim = await start();
    sim.rejectLogins(true);
    expect((await login(sim)).status).toBe(401);
    sim.rejectLogins(false);
    expect((await login(sim)).status).toBe(201);
  });
});

describe('GET /api/v1/devices', () => {
  it('filters by device_type_programmatic_name in the space form, %20 or +', async () => {
    const sim = await start();
    const { jwt } = await session(sim);
    for (const separator of ['%20', '+']) {
      const answer = await call(
        sim,
        `/api/v1/devices?filter=device_type_programmatic_name${separator}ADX-IP-IQ`,
        {
          jwt,
        },
      );
      expect(answer.status).toBe(200);
      const { devices } = answer.json<{ devices: SimDevice[] }>();
      expect(devices.map((d) => d.device_name)).toContain('rack12-web01 KVM');
      expect(devices.every((d) => d.device_type_programmatic_name === 'ADX-IP-IQ')).toBe(true);
    }
    expect(sim.counters.deviceLists).toBe(2);
  });

  it('lists every programmatic name of the note, each device in the documented shape', async () => {
    const sim = await start();
    const { jwt } = await session(sim);
    for (const name of PROGRAMMATIC_NAMES) {
      const answer = await call(
        sim,
        `/api/v1/devices?filter=${encodeURIComponent(`device_type_programmatic_name ${name}`)}`,
        {
          jwt,
        },
      );
      const { devices } = answer.json<{ devices: SimDevice[] }>();
      expect(devices.length, name).toBeGreaterThan(0);
      for (const device of devices) {
        expect(device.device_type_programmatic_name).toBe(name);
        expect(device.id).toMatch(UUID);
        expect(typeof device.device_name).toBe('string');
      }
    }
  });

  it('answers an empty list to an unknown name, 400 to another field, and everything without a filter', async () => {
    const sim = await start();
    const { jwt } = await session(sim);
    const unknown = await call(sim, '/api/v1/devices?filter=device_type_programmatic_name%20ADX-IP-NOPE', {
      jwt,
    });
    expect(unknown.json()).toEqual({ devices: [] });
    const lowercase = await call(sim, '/api/v1/devices?filter=device_type_programmatic_name%20adx-ip-iq', {
      jwt,
    });
    expect(lowercase.json()).toEqual({ devices: [] });
    const tableForm = await call(sim, '/api/v1/devices?filter=device_programmatic_name%20ADX-IP-IQ', { jwt });
    expect(tableForm.status).toBe(400);
    const equalsForm = await call(sim, '/api/v1/devices?filter=device_type_programmatic_name=ADX-IP-IQ', {
      jwt,
    });
    expect(equalsForm.status).toBe(400);
    const all = await call(sim, '/api/v1/devices', { jwt });
    expect(all.json<{ devices: SimDevice[] }>().devices).toEqual(standardInventory());
  });

  it('answers 401 without a JWT, with a forged one, and once the JWT has expired', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now, jwtTtlSeconds: 120 });
    const { jwt } = await session(sim);
    expect((await call(sim, '/api/v1/devices')).status).toBe(401);
    const [header, payload] = jwt.split('.');
    expect((await call(sim, '/api/v1/devices', { jwt: `${header}.${payload}.AAAA` })).status).toBe(401);
    const other = await start();
    const foreign = await session(other);
    expect((await call(sim, '/api/v1/devices', { jwt: foreign.jwt })).status).toBe(401);
    expect((await call(sim, '/api/v1/devices', { jwt })).status).toBe(200);
    clock.advance(120_000);
    expect((await call(sim, '/api/v1/devices', { jwt })).status).toBe(401);
  });

  it('serves a replaced inventory after setDevices', async () => {
    const sim = await start();
    const { jwt } = await session(sim);
    const replacement = generatedInventory(5, 'replace');
    sim.setDevices(replacement);
    expect(sim.devices).toEqual(replacement);
    expect((await call(sim, '/api/v1/devices', { jwt })).json()).toEqual({ devices: replacement });
  });
});

describe('inventories', () => {
  it('standardInventory covers every type and IPUHD path layout with stable, unique ids and names', () => {
    const devices = standardInventory();
    expect(standardInventory()).toEqual(devices);
    expect(new Set(devices.map((d) => d.id)).size).toBe(devices.length);
    expect(new Set(devices.map((d) => d.device_name)).size).toBe(devices.length);
    for (const device of devices) expect(device.id).toMatch(UUID);
    const paths = (d: SimDevice) => (d.connection_path_info ?? []).map((p) => p.path_type).join(',');
    const uhd = devices.filter((d) => d.device_type_programmatic_name === 'ADX-IP-UHD').map(paths);
    expect(uhd.sort()).toEqual([
      'DCP_KVM_IP',
      'DCP_KVM_IP,DCP_SERIAL_IP',
      'DCP_SERIAL_IP',
      'DCP_SERIAL_IP,DCP_KVM_IP',
    ]);
    const iq = devices.filter((d) => d.device_type_programmatic_name === 'ADX-IP-IQ');
    expect(iq.length).toBe(3);
    expect(iq.some((d) => paths(d).includes('DCP_FUTURE_PATH'))).toBe(true);
    expect(new Set(devices.map((d) => d.device_type_programmatic_name))).toEqual(new Set(PROGRAMMATIC_NAMES));
  });

  it('generatedInventory is fast, deterministic, unique, cycles every type, and seeds change ids', () => {
    const started = performance.now();
    const devices = generatedInventory(2500, 'a');
    expect(performance.now() - started).toBeLessThan(500);
    expect(devices).toHaveLength(2500);
    expect(generatedInventory(2500, 'a')).toEqual(devices);
    expect(new Set(devices.map((d) => d.id)).size).toBe(2500);
    expect(new Set(devices.map((d) => d.device_name)).size).toBe(2500);
    expect(new Set(devices.slice(0, 11).map((d) => d.device_type_programmatic_name))).toEqual(
      new Set(PROGRAMMATIC_NAMES),
    );
    const other = generatedInventory(2500, 'b');
    expect(other.map((d) => d.device_name)).toEqual(devices.map((d) => d.device_name));
    expect(other.some((d, i) => d.id === devices[i]?.id)).toBe(false);
  });

  it('deviceCount generates the inventory', async () => {
    const sim = await start({ deviceCount: 40, seed: 'x' });
    expect(sim.devices).toEqual(generatedInventory(40, 'x'));
  });
});

describe('POST /api/v1/userSessions/<id>:createTicket', () => {
  it('answers 200 with a 40-hex ticket for the JWT of that session only', async () => {
    const sim = await start();
    const mine = await session(sim);
    const theirs = await session(sim);
    expect(await ticket(sim, mine)).toMatch(/^[0-9a-f]{40}$/);
    const path = (id: string) => `/api/v1/userSessions/${id}:createTicket`;
    expect((await call(sim, path(theirs.id), { method: 'POST', jwt: mine.jwt })).status).toBe(401);
    expect(
      (await call(sim, path('00000000-0000-4000-8000-000000000000'), { method: 'POST', jwt: mine.jwt }))
        .status,
    ).toBe(401);
    expect((await call(sim, path(mine.id), { method: 'POST' })).status).toBe(401);
    expect((await call(sim, path(mine.id), { method: 'GET', jwt: mine.jwt })).status).toBe(405);
    expect(sim.counters.tickets).toBe(1);
  });

  it('issues a ticket that launches once, and only within ticketTtlSeconds', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now });
    const device = deviceNamed(sim, 'rack12-web01 KVM');
    const params = { launchType: 'viewer', viewerType: 'KVM', deviceId: device.id };
    const first = await ticket(sim);
    expect((await call(sim, launchPath({ ...params, ticket: first }))).status).toBe(200);
    const reused = await call(sim, launchPath({ ...params, ticket: first }));
    expect(reused.status).toBe(400);
    expect(reused.text).toContain('already been used');

    const late = await ticket(sim);
    clock.advance(19_999);
    const onTime = await ticket(sim);
    clock.advance(1);
    const expired = await call(sim, launchPath({ ...params, ticket: late }));
    expect(expired.status).toBe(400);
    expect(expired.text).toContain('expired');
    expect((await call(sim, launchPath({ ...params, ticket: onTime }))).status).toBe(200);
    expect((await call(sim, launchPath({ ...params, ticket: 'f'.repeat(40) }))).status).toBe(400);
    expect(sim.counters).toMatchObject({ launches: 2, launchFailures: 3 });
  });
});

describe('GET /api/v1/launchUI/', () => {
  it('launches a KVM viewer page without echoing the ticket', async () => {
    const sim = await start();
    const device = deviceNamed(sim, 'rack12-web01 KVM');
    const t = await ticket(sim);
    const answer = await call(
      sim,
      launchPath({
        launchType: 'viewer',
        viewerType: 'KVM',
        deviceId: device.id,
        ticket: t,
        sharingMode: 'ACTIVE',
      }),
    );
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toContain('text/html');
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    expect(answer.text).toContain('<title>DSView Viewer</title>');
    expect(answer.text).toContain('KVM session: rack12-web01 KVM');
    // It says it is the simulator and shows what it was opened with.
    expect(answer.text).toContain('Simulated DSView viewer.');
    expect(answer.text).toContain(`<dd id="device-id">${device.id}</dd>`);
    expect(answer.text).toContain('<dd id="device-name">rack12-web01 KVM</dd>');
    expect(answer.text).toContain('ACTIVE');
    expect(answer.text).not.toContain(t);
    expect(sim.counters.launches).toBe(1);
  });

  it('redirects to the login page without a ticket, and the login launches with a fresh ticket', async () => {
    const sim = await start();
    const device = deviceNamed(sim, 'vm-jumphost01');
    const path = launchPath({ launchType: 'viewer', viewerType: 'VM', deviceId: device.id });
    const redirected = await call(sim, path);
    expect(redirected.status).toBe(302);
    expect(redirected.headers.get('location')).toBe(`/login?next=${encodeURIComponent(path)}`);
    const page = await call(sim, redirected.headers.get('location') ?? '');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<form');
    const form = (password: string) =>
      new URLSearchParams({ username: sim.username, password, next: path }).toString();
    const contentType = 'application/x-www-form-urlencoded';
    const wrong = await call(sim, '/login', { method: 'POST', body: form('nope'), contentType });
    expect(wrong.status).toBe(401);
    const loggedIn = await call(sim, '/login', { method: 'POST', body: form(sim.password), contentType });
    expect(loggedIn.status).toBe(302);
    const launched = await call(sim, loggedIn.headers.get('location') ?? '');
    expect(launched.status).toBe(200);
    expect(launched.text).toContain('VM session: vm-jumphost01');
  });

  interface Ids {
    iq: string;
    uhdKvm: string;
    uhdSerial: string;
    serial: string;
    vm: string;
  }
  const violations: [string, (ids: Ids) => Record<string, string>, string][] = [
    [
      'launchType other than viewer',
      (d) => ({ launchType: 'console', viewerType: 'KVM', deviceId: d.iq }),
      'launchType',
    ],
    ['missing launchType', (d) => ({ viewerType: 'KVM', deviceId: d.iq }), 'launchType'],
    [
      'lowercase viewerType',
      (d) => ({ launchType: 'viewer', viewerType: 'kvm', deviceId: d.iq }),
      'viewerType',
    ],
    [
      'deviceid in the template casing',
      (d) => ({ launchType: 'viewer', viewerType: 'KVM', deviceid: d.iq }),
      'deviceId',
    ],
    [
      'unknown device',
      () => ({ launchType: 'viewer', viewerType: 'KVM', deviceId: 'nope' }),
      'does not exist',
    ],
    ['SERIAL to an IPIQ', (d) => ({ launchType: 'viewer', viewerType: 'SERIAL', deviceId: d.iq }), 'support'],
    [
      'SERIAL to a KVM-only IPUHD',
      (d) => ({ launchType: 'viewer', viewerType: 'SERIAL', deviceId: d.uhdKvm }),
      'support',
    ],
    [
      'KVM to a serial-only IPUHD',
      (d) => ({ launchType: 'viewer', viewerType: 'KVM', deviceId: d.uhdSerial }),
      'support',
    ],
    [
      'KVM to a serial target',
      (d) => ({ launchType: 'viewer', viewerType: 'KVM', deviceId: d.serial }),
      'support',
    ],
    ['VM to an IPIQ', (d) => ({ launchType: 'viewer', viewerType: 'VM', deviceId: d.iq }), 'support'],
    ['KVM to a VM', (d) => ({ launchType: 'viewer', viewerType: 'KVM', deviceId: d.vm }), 'support'],
    [
      'unknown sharingMode',
      (d) => ({ launchType: 'viewer', viewerType: 'KVM', deviceId: d.iq, sharingMode: 'SHARED' }),
      'sharingMode',
    ],
    [
      'sharingMode on SERIAL',
      (d) => ({ launchType: 'viewer', viewerType: 'SERIAL', deviceId: d.serial, sharingMode: 'ACTIVE' }),
      'KVM sessions only',
    ],
    [
      'mouseMode 3',
      (d) => ({ launchType: 'viewer', viewerType: 'KVM', deviceId: d.iq, mouseMode: '3' }),
      'mouseMode',
    ],
    [
      'mouseMode on VM',
      (d) => ({ launchType: 'viewer', viewerType: 'VM', deviceId: d.vm, mouseMode: '0' }),
      'KVM sessions only',
    ],
    [
      'mouseMode 2 on IPIQ',
      (d) => ({ launchType: 'viewer', viewerType: 'KVM', deviceId: d.iq, mouseMode: '2' }),
      'IPUHD',
    ],
  ];

  it.each(violations)('answers 400 to %s', async (_label, build, reason) => {
    const sim = await start();
    const ids = {
      iq: deviceNamed(sim, 'rack12-web01 KVM').id,
      uhdKvm: deviceNamed(sim, 'rack14-gpu01 4K KVM').id,
      uhdSerial: deviceNamed(sim, 'rack14-core-sw01 console').id,
      serial: deviceNamed(sim, 'rack20-core-rtr01 console').id,
      vm: deviceNamed(sim, 'vm-jumphost01').id,
    };
    const t = await ticket(sim);
    const answer = await call(sim, launchPath({ ...build(ids), ticket: t }));
    expect(answer.status).toBe(400);
    expect(answer.text).toContain(reason);
    expect(answer.text).not.toContain(t);
    expect(sim.counters).toMatchObject({ launches: 0, launchFailures: 1 });
  });

  it('launches every supported pairing, looking at all IPUHD paths', async () => {
    const sim = await start();
    const cases: [string, string, Record<string, string>][] = [
      ['rack15-fw01 4K', 'KVM', { mouseMode: '2' }],
      ['rack15-fw01 4K', 'SERIAL', {}],
      ['rack15-esx03 4K', 'SERIAL', {}],
      ['rack14-gpu01 4K KVM', 'KVM', { sharingMode: 'PREEMPT', mouseMode: '1' }],
      ['rack14-core-sw01 console', 'SERIAL', {}],
      ['rack16-storage01 KVM', 'KVM', { sharingMode: 'STEALTH' }],
      ['rack12-db02 KVM', 'KVM', { sharingMode: 'STANDALONE_PASSIVE', mouseMode: '0' }],
      ['rack20-core-rtr01 console', 'SERIAL', {}],
      ['row3-acs8048-01', 'SERIAL', {}],
      ['rack21-pdu02 serial', 'SERIAL', {}],
      ['vm-jumphost01', 'VM', {}],
    ];
    const user = await session(sim);
    for (const [name, viewerType, extra] of cases) {
      const params = { launchType: 'viewer', viewerType, deviceId: deviceNamed(sim, name).id, ...extra };
      const answer = await call(sim, launchPath({ ...params, ticket: await ticket(sim, user) }));
      expect(answer.status, `${viewerType} ${name}`).toBe(200);
      expect(answer.text).toContain(`${viewerType} session: ${name}`);
    }
    expect(sim.counters.launches).toBe(cases.length);
  });

  it('allows STANDALONE_PASSIVE only on MP1000/MP1000VA firmware 3.33.8 or later', async () => {
    const expectations: [SimulatorOptions, number][] = [
      [{ platform: 'MP1000', firmwareVersion: '3.33.8' }, 200],
      [{ platform: 'MP1000VA', firmwareVersion: '3.33.10' }, 200],
      [{ platform: 'MP1000', firmwareVersion: '3.34.0' }, 200],
      [{ platform: 'MP1000', firmwareVersion: '3.33.7' }, 400],
      [{ platform: 'RM1048P', firmwareVersion: '3.33.8' }, 400],
    ];
    for (const [options, status] of expectations) {
      const sim = await start(options);
      const deviceId = deviceNamed(sim, 'rack12-web01 KVM').id;
      const params = { launchType: 'viewer', viewerType: 'KVM', deviceId, sharingMode: 'STANDALONE_PASSIVE' };
      const answer = await call(sim, launchPath({ ...params, ticket: await ticket(sim) }));
      expect(answer.status, JSON.stringify(options)).toBe(status);
    }
  });
});

describe('faults', () => {
  it('failNext answers the next matching requests with the given status', async () => {
    const sim = await start();
    sim.failNext(2);
    expect((await login(sim)).status).toBe(500);
    const second = await login(sim);
    expect(second.status).toBe(500);
    expect(second.json()).toHaveProperty('error');
    const user = await session(sim);
    sim.failNext(1, { status: 503, endpoint: 'devices' });
    expect((await login(sim)).status).toBe(201);
    expect((await call(sim, '/api/v1/devices', { jwt: user.jwt })).status).toBe(503);
    expect((await call(sim, '/api/v1/devices', { jwt: user.jwt })).status).toBe(200);
    sim.failNext(1, { status: 502, endpoint: 'ticket' });
    const failed = await call(sim, `/api/v1/userSessions/${user.id}:createTicket`, {
      method: 'POST',
      jwt: user.jwt,
    });
    expect(failed.status).toBe(502);
    expect(await ticket(sim, user)).toMatch(/^[0-9a-f]{40}$/);
  });

  it('garbageNext answers non-JSON text, then JSON missing the documented fields', async () => {
    const sim = await start();
    sim.garbageNext(2, { endpoint: 'login' });
    const text = await login(sim);
    expect(text.status).toBe(201);
    expect(() => text.json()).toThrow();
    const partial = await login(sim);
    expect(partial.status).toBe(201);
    expect(partial.json()).not.toHaveProperty('jwt');
    const user = await session(sim);
    sim.garbageNext(2, { endpoint: 'devices' });
    expect((await call(sim, '/api/v1/devices', { jwt: user.jwt })).status).toBe(200);
    const devices = await call(sim, '/api/v1/devices', { jwt: user.jwt });
    expect(devices.json()).not.toHaveProperty('devices');
    sim.garbageNext(2, { endpoint: 'ticket' });
    const path = `/api/v1/userSessions/${user.id}:createTicket`;
    await call(sim, path, { method: 'POST', jwt: user.jwt });
    expect((await call(sim, path, { method: 'POST', jwt: user.jwt })).json()).not.toHaveProperty('ticket');
    expect((await call(sim, path, { method: 'POST', jwt: user.jwt })).json()).toHaveProperty('ticket');
  });

  it('faults and latency leave launchUI and the control routes alone', async () => {
    const sim = await start();
    const t = await ticket(sim);
    sim.failNext(5);
    sim.setLatency(300);
    const started = performance.now();
    const deviceId = deviceNamed(sim, 'vm-jumphost01').id;
    const launched = await call(
      sim,
      launchPath({ launchType: 'viewer', viewerType: 'VM', deviceId, ticket: t }),
    );
    expect(launched.status).toBe(200);
    expect((await call(sim, '/__sim/counters')).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('latency delays every API response', async () => {
    const sim = await start({ latencyMs: 120 });
    let started = performance.now();
    expect((await login(sim)).status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    sim.setLatency(0);
    started = performance.now();
    await login(sim);
    expect(performance.now() - started).toBeLessThan(110);
  });

  it('hang holds API requests until hang(false), which destroys them', async () => {
    const sim = await start();
    sim.hang(true);
    let settled = false;
    const pending = login(sim).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(settled).toBe(false);
    expect(sim.counters.requests).toBe(1);
    sim.hang(false);
    await expect(pending).rejects.toThrow();
    expect((await login(sim)).status).toBe(201);
  });

  it('close destroys hung requests', async () => {
    const sim = await startDsviewSimulator();
    sim.hang(true);
    const pending = login(sim);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sim.close();
    await expect(pending).rejects.toThrow();
  });

  it('expireAllJwts rejects every issued JWT but a new login works', async () => {
    const sim = await start();
    const user = await session(sim);
    sim.expireAllJwts();
    expect((await call(sim, '/api/v1/devices', { jwt: user.jwt })).status).toBe(401);
    const ticketCall = await call(sim, `/api/v1/userSessions/${user.id}:createTicket`, {
      method: 'POST',
      jwt: user.jwt,
    });
    expect(ticketCall.status).toBe(401);
    const fresh = await session(sim);
    expect((await call(sim, '/api/v1/devices', { jwt: fresh.jwt })).status).toBe(200);
  });

  it('forgetAllSessions makes their JWTs and createTicket answer 401', async () => {
    const sim = await start({ maxSessions: 1 });
    const user = await session(sim);
    sim.forgetAllSessions();
    expect((await call(sim, '/api/v1/devices', { jwt: user.jwt })).status).toBe(401);
    const ticketCall = await call(sim, `/api/v1/userSessions/${user.id}:createTicket`, {
      method: 'POST',
      jwt: user.jwt,
    });
    expect(ticketCall.status).toBe(401);
    expect((await login(sim)).status).toBe(201);
  });
});

describe('connections', () => {
  it('keeps connections alive: several requests over one agent make one TLS connection', async () => {
    const sim = await start();
    const agent = new Agent({ connect: { rejectUnauthorized: false }, connections: 1 });
    onTestFinished(() => agent.close());
    const body = JSON.stringify({ username: sim.username, password: sim.password });
    const user = (await call(sim, '/api/v1/userSessions', { method: 'POST', body, agent })).json<LoginBody>();
    for (let i = 0; i < 5; i++) {
      expect((await call(sim, '/api/v1/devices', { jwt: user.jwt, agent })).status).toBe(200);
    }
    const path = `/api/v1/userSessions/${user.user_session.id}:createTicket`;
    expect((await call(sim, path, { method: 'POST', jwt: user.jwt, agent })).status).toBe(200);
    expect(sim.counters.tlsConnections).toBe(1);
    expect(sim.counters.requests).toBe(7);
  });

  it('down() refuses connections on the same port and up() serves again', async () => {
    const sim = await start();
    const { port, url } = sim;
    expect((await login(sim)).status).toBe(201);
    await sim.down();
    await expect(login(sim)).rejects.toThrow();
    await sim.up();
    expect(sim.port).toBe(port);
    expect(sim.url).toBe(url);
    expect((await login(sim)).status).toBe(201);
  });

  it('answers 404 JSON to unknown routes and 405 to a wrong method', async () => {
    const sim = await start();
    const missing = await call(sim, '/api/v2/devices');
    expect(missing.status).toBe(404);
    expect(missing.json()).toHaveProperty('error');
    const wrongMethod = await call(sim, '/api/v1/userSessions');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });
});

describe('control routes', () => {
  it('GET /__sim/counters reports the live counters without counting itself', async () => {
    const sim = await start();
    await login(sim);
    const answer = await call(sim, '/__sim/counters');
    expect(answer.json()).toEqual({ ...sim.counters });
    expect(answer.json()).toMatchObject({ logins: 1, requests: 1 });
  });

  it('POST /__sim/faults applies every fault control and answers 204', async () => {
    const sim = await start();
    const post = (body: unknown) =>
      call(sim, '/__sim/faults', { method: 'POST', body: JSON.stringify(body) });
    expect((await post({ failNext: { count: 1, status: 502, endpoint: 'login' } })).status).toBe(204);
    expect((await login(sim)).status).toBe(502);
    await post({ garbageNext: { count: 1 } });
    const garbage = await login(sim);
    expect(() => garbage.json()).toThrow();
    await post({ rejectLogins: true });
    expect((await login(sim)).status).toBe(401);
    await post({ rejectLogins: false });
    const user = await session(sim);
    await post({ expireAllJwts: true });
    expect((await call(sim, '/api/v1/devices', { jwt: user.jwt })).status).toBe(401);
    const second = await session(sim);
    await post({ forgetAllSessions: true });
    expect((await call(sim, '/api/v1/devices', { jwt: second.jwt })).status).toBe(401);
    await post({ latencyMs: 100 });
    const started = performance.now();
    await login(sim);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    await post({ latencyMs: 0, hang: true });
    const hung = login(sim);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await post({ hang: false });
    await expect(hung).rejects.toThrow();
    expect((await post({ resetCounters: true })).status).toBe(204);
    expect(sim.counters).toMatchObject({ logins: 0, requests: 0, failedLogins: 0 });
    expect((await post({ failNext: { count: 'two' } })).status).toBe(400);
    expect((await post({ hang: 'yes' })).status).toBe(400);
    expect((await call(sim, '/__sim/faults', { method: 'POST', body: 'nope' })).status).toBe(400);
    expect((await call(sim, '/__sim/nothing')).status).toBe(404);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address && address.family === 'IPv4' && !address.internal)?.address;

  it.skipIf(!external)('refuses the control routes to non-loopback clients with 403', async () => {
    const sim = await start({ host: '0.0.0.0' });
    const response = await fetch(`https://${external}:${sim.port}/__sim/counters`, { dispatcher: insecure });
    expect(response.status).toBe(403);
    await response.text();
    const api = await fetch(`https://${external}:${sim.port}/api/v1/devices`, { dispatcher: insecure });
    expect(api.status).toBe(401);
    await api.text();
  });
});

describe('main.ts', () => {
  it('prints one ready line, serves the printed credentials, and exits 0 on SIGTERM', async () => {
    const caOut = join(tmpdir(), `sim-ca-${process.pid}-${Date.now()}.pem`);
    const { child, line } = await startSimulatorMain([
      ...['--port', '0', '--username', 'ops', '--devices', '12'],
      ...['--ca-out', caOut],
    ]);
    const match =
      /^ready (https:\/\/127\.0\.0\.1:(\d+)) username=(\S+) password=(\S{16,}) fingerprint256=(\S+)$/.exec(
        line,
      );
    expect(match, line).not.toBeNull();
    const [, url, , username, password, fingerprint] = match ?? [];
    // The printed fingerprint is the certificate's, and --ca-out wrote that certificate.
    const written = new X509Certificate(await readFile(caOut, 'utf8'));
    await rm(caOut, { force: true });
    expect(written.fingerprint256).toBe(fingerprint);
    const response = await fetch(`${url}/api/v1/userSessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
      dispatcher: insecure,
    });
    expect(response.status).toBe(201);
    expect(((await response.json()) as LoginBody).user_session.username).toBe('ops');
    expect(await terminate(child)).toEqual([0, null]);
  });
});
