import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Agent, fetch } from 'undici';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type DsviewSession as ApplianceSession,
  DsviewClient,
  type DsviewClientOptions,
  TICKET_TTL_MS,
  type ViewerTicket,
} from '../../shared/appliances/dsview/client.js';
import { launchUrl } from '../../shared/appliances/dsview/launch-url.js';
import {
  ApplianceAuthError,
  type ApplianceError,
  ApplianceProtocolError,
  type ApplianceStep,
  ApplianceTimeoutError,
  ApplianceTlsError,
  ApplianceUnavailableError,
} from '../../shared/appliances/errors.js';
import { normalizeFingerprint } from '../../shared/appliances/https-pool.js';
import type { Device, TlsTrust } from '../../shared/appliances/provider.js';
import {
  type CertificatePair,
  type DsviewSimulator,
  generateCertificate,
  type SimulatorOptions,
  standardInventory,
  startDsviewSimulator,
  supportedViewerTypes,
} from '../../simulators/dsview/simulator.js';

const APPLIANCE_ID = 'dsview-test-01';
/** Short on purpose: every timeout test waits this long. */
const TIMEOUT_MS = 500;
/** What a failure may take beyond the budget (timer granularity, a loaded CI machine). */
const SLACK_MS = 400;
/** 2024-03-01T12:00:00.750Z: the fraction shows `exp` is whole seconds. */
const T0 = Date.parse('2024-03-01T12:00:00.750Z');

const sims: DsviewSimulator[] = [];
const clients: DsviewClient[] = [];
const closers: (() => Promise<unknown>)[] = [];
/** Every password, JWT and ticket this file has seen; no error may contain any of them. */
const secrets = new Set<string>();
/** Every error the tests produced, swept once more at the end against every secret. */
const produced: ApplianceError[] = [];

let otherCert: CertificatePair;

beforeAll(async () => {
  otherCert = await generateCertificate('not-the-appliance');
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
  await Promise.all(closers.splice(0).map((close) => close().catch(() => undefined)));
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

async function start(options: SimulatorOptions = {}): Promise<DsviewSimulator> {
  const sim = await startDsviewSimulator(options);
  sims.push(sim);
  secrets.add(sim.password);
  return sim;
}

type ClientOptions = Omit<DsviewClientOptions, 'appliance'> & { tls?: TlsTrust; baseUrl?: string };

function connect(sim: DsviewSimulator | undefined, options: ClientOptions = {}): DsviewClient {
  const { tls, baseUrl, ...rest } = options;
  const client = new DsviewClient({
    appliance: {
      id: APPLIANCE_ID,
      baseUrl: baseUrl ?? sim?.url ?? 'https://127.0.0.1:1',
      tls: tls ?? { caPem: sim?.certPem ?? '' },
    },
    requestTimeoutMs: TIMEOUT_MS,
    ...rest,
  });
  clients.push(client);
  return client;
}

async function login(client: DsviewClient, sim: DsviewSimulator): Promise<ApplianceSession> {
  const session = await client.login({ username: sim.username, password: sim.password });
  secrets.add(session.jwt);
  return session;
}

async function ticket(client: DsviewClient, session: ApplianceSession): Promise<ViewerTicket> {
  const minted = await client.createTicket(session);
  secrets.add(minted.ticket);
  return minted;
}

/** An undici Agent that trusts the simulator's certificate, as a browser with the CA installed would. */
function browser(sim: DsviewSimulator): Agent {
  const agent = new Agent({ connect: { ca: sim.certPem, checkServerIdentity: () => undefined } });
  closers.push(() => agent.close());
  return agent;
}

function expectNoSecret(error: Error): void {
  const texts = [
    error.message,
    String(error),
    JSON.stringify(error),
    JSON.stringify({ ...error }),
    error.stack ?? '',
  ];
  for (const secret of secrets) {
    for (const text of texts) {
      if (text.includes(secret)) expect.fail(`${error.name} leaks a secret: ${text}`);
    }
  }
}

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** Runs a call that must fail with `type` at `step`, promptly and without any secret in the error. */
async function failure<E extends ApplianceError>(
  call: () => Promise<unknown>,
  type: ErrorClass<E>,
  step: ApplianceStep,
  withinMs = TIMEOUT_MS + SLACK_MS,
): Promise<E & { elapsedMs: number }> {
  const started = performance.now();
  let caught: unknown;
  try {
    await call();
  } catch (error) {
    caught = error;
  }
  const elapsedMs = performance.now() - started;
  if (!(caught instanceof type)) {
    expect.fail(
      `expected ${type.name}, got ${caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught)}`,
    );
  }
  const error = caught as E;
  expect(error.applianceId).toBe(APPLIANCE_ID);
  expect(error.step).toBe(step);
  expect(error.message).toContain(`appliance ${APPLIANCE_ID}: ${step} `);
  expect(error.name).toBe(type.name);
  expect(elapsedMs).toBeLessThan(withinMs);
  expectNoSecret(error);
  produced.push(error);
  return Object.assign(error, { elapsedMs });
}

function byId<T extends { id: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.id.localeCompare(b.id));
}

/** A minimal HTTPS appliance whose login answers with the given token (the simulator always signs an `exp`). */
async function stubLogin(jwt: string): Promise<string> {
  const server: Server = createServer({ key: otherCert.keyPem, cert: otherCert.certPem }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ user_session: { name: 'userSessions/s-1', id: 's-1' }, jwt }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('login', () => {
  it('opens a user session; expiresAt is the JWT exp', async () => {
    const sim = await start({ now: () => T0, jwtTtlSeconds: 900 });
    // The client's own clock plays no part when the JWT carries exp.
    const client = connect(sim, { clock: () => 42 });
    const session = await login(client, sim);
    expect(session.userSessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(session.username).toBe(sim.username);
    expect(session.jwt.split('.')).toHaveLength(3);
    expect(session.expiresAt).toBe(Date.parse('2024-03-01T12:00:00Z') + 900_000);
    expect(Object.keys(session).sort()).toEqual(['expiresAt', 'jwt', 'userSessionId', 'username']);
    expect(sim.counters.logins).toBe(1);
  });

  it('falls back to the default session lifetime when the token has no exp', async () => {
    const now = 1_700_000_000_000;
    const unsignedNoExp = `${base64url({ alg: 'none' })}.${base64url({ sub: 'admin' })}.`;
    for (const jwt of ['an-opaque-session-token', unsignedNoExp]) {
      secrets.add(jwt);
      const baseUrl = await stubLogin(jwt);
      const tls = { caPem: otherCert.certPem };
      const configured = connect(undefined, { baseUrl, tls, clock: () => now, defaultSessionTtlMs: 60_000 });
      const session = await configured.login({ username: 'admin', password: 'pw' });
      expect(session).toEqual({ userSessionId: 's-1', username: 'admin', jwt, expiresAt: now + 60_000 });
      const defaulted = connect(undefined, { baseUrl, tls, clock: () => now });
      expect((await defaulted.login({ username: 'admin', password: 'pw' })).expiresAt).toBe(
        now + 30 * 60_000,
      );
    }
  });

  it('a wrong password is an ApplianceAuthError that does not quote it', async () => {
    const sim = await start();
    const client = connect(sim);
    const wrong = `${sim.password}-wrong`;
    secrets.add(wrong);
    const error = await failure(
      () => client.login({ username: sim.username, password: wrong }),
      ApplianceAuthError,
      'login',
    );
    expect(error.status).toBe(401);
    expect(sim.counters.failedLogins).toBe(1);
  });

  it('refused logins are an ApplianceAuthError, not retried', async () => {
    const sim = await start();
    const client = connect(sim);
    sim.rejectLogins(true);
    await failure(() => login(client, sim), ApplianceAuthError, 'login');
    expect(sim.counters.requests).toBe(1);
  });
});

describe('listDevices', () => {
  it('merges one filtered call per programmatic name into every device', async () => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    sim.resetCounters();
    const devices = await client.listDevices(session);
    expect(sim.counters.deviceLists).toBe(6);
    expect(sim.counters.requests).toBe(6);
    const expected: Device[] = sim.devices.map((device) => ({
      id: device.id,
      name: device.device_name,
      type: device.device_type_programmatic_name,
      connectionPaths: (device.connection_path_info ?? []).map((path) => path.path_type),
      viewerTypes: supportedViewerTypes(device),
    }));
    expect(byId(devices)).toEqual(byId(expected));
    expect(devices).toHaveLength(standardInventory().length);
  });

  it('maps every device type and path layout to the viewer types the appliance accepts', async () => {
    const sim = await start();
    const client = connect(sim);
    const devices = await client.listDevices(await login(client, sim));
    const seen = new Map<string, string[]>();
    for (const device of devices) {
      const simDevice = sim.devices.find((candidate) => candidate.id === device.id);
      expect(simDevice, device.name).toBeDefined();
      expect(device.viewerTypes, device.name).toEqual(supportedViewerTypes(simDevice!));
      seen.set(`${device.type} ${device.connectionPaths.join(',')}`, device.viewerTypes);
    }
    expect(Object.fromEntries(seen)).toEqual({
      'ADX-IP-IQ DCP_KVM_IP': ['KVM'],
      'ADX-IP-IQ ': ['KVM'],
      'ADX-IP-IQ DCP_FUTURE_PATH,DCP_KVM_IP': ['KVM'],
      'ADX-IP-UHD DCP_KVM_IP': ['KVM'],
      'ADX-IP-UHD DCP_SERIAL_IP': ['SERIAL'],
      'ADX-IP-UHD DCP_KVM_IP,DCP_SERIAL_IP': ['KVM', 'SERIAL'],
      'ADX-IP-UHD DCP_SERIAL_IP,DCP_KVM_IP': ['KVM', 'SERIAL'],
      'SERIAL-TARGET DCP_SERIAL_IP': ['SERIAL'],
      'ACS ': ['SERIAL'],
      'ADX-IP-SERIAL-PORT DCP_SERIAL_IP': ['SERIAL'],
      'VS-VIRTUAL-MACHINE ': ['VM'],
    });
  });

  it('the types option narrows the calls', async () => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    sim.resetCounters();
    const uhd = await client.listDevices(session, { types: ['ADX-IP-UHD'] });
    expect(sim.counters.deviceLists).toBe(1);
    expect(uhd).toHaveLength(4);
    expect(uhd.every((device) => device.type === 'ADX-IP-UHD')).toBe(true);

    sim.resetCounters();
    const some = await client.listDevices(session, { types: ['ACS', 'VS-VIRTUAL-MACHINE', 'ACS'] });
    expect(sim.counters.deviceLists).toBe(2);
    expect(some.map((device) => device.type).sort()).toEqual(['ACS', 'VS-VIRTUAL-MACHINE']);

    sim.resetCounters();
    expect(await client.listDevices(session, { types: [] })).toEqual([]);
    expect(await client.listDevices(session, { types: ['NOT-A-TYPE'] })).toEqual([]);
    expect(sim.counters.deviceLists).toBe(1);
  });

  it('merges a device listed under two filters by id', async () => {
    const sim = await start();
    const [first] = standardInventory();
    sim.setDevices([first!, { ...first!, device_type_programmatic_name: 'ACS' }]);
    const client = connect(sim);
    const devices = await client.listDevices(await login(client, sim));
    expect(devices.map((device) => device.id)).toEqual([first!.id]);
  });

  it('lists a large inventory', async () => {
    const sim = await start({ deviceCount: 2_000 });
    const client = connect(sim, { requestTimeoutMs: 5_000 });
    const devices = await client.listDevices(await login(client, sim));
    expect(devices).toHaveLength(2_000);
    expect(new Set(devices.map((device) => device.id)).size).toBe(2_000);
  });
});

describe('createTicket and launch', () => {
  it('mints a ticket valid 20 s by the injected clock', async () => {
    const sim = await start();
    const now = 1_700_000_000_000;
    const client = connect(sim, { clock: () => now });
    const minted = await ticket(client, await login(client, sim));
    expect(minted.ticket).toMatch(/^[0-9a-f]{40}$/);
    expect(minted.expiresAt).toBe(now + 20_000);
    expect(TICKET_TTL_MS).toBe(20_000);
    expect(sim.counters.tickets).toBe(1);
  });

  it('a launch URL built with a real ticket opens the viewer, once', async () => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    const devices = await client.listDevices(session);
    const uhd = devices.find(
      (device) => device.connectionPaths[0] === 'DCP_SERIAL_IP' && device.viewerTypes.length === 2,
    )!;
    const minted = await ticket(client, session);
    const url = launchUrl({
      baseUrl: sim.url,
      deviceId: uhd.id,
      viewerType: 'KVM',
      sharingMode: 'STANDALONE_PASSIVE',
      mouseMode: 2,
      ticket: minted.ticket,
    });
    const dispatcher = browser(sim);
    const page = await fetch(url, { dispatcher, redirect: 'manual' });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain(`data-device-id="${uhd.id}"`);
    expect(html).toContain('data-viewer-type="KVM"');
    expect(html).toContain('<dd id="sharing-mode">STANDALONE_PASSIVE</dd>');
    expect(sim.counters.launches).toBe(1);

    const again = await fetch(url, { dispatcher, redirect: 'manual' });
    expect(again.status).toBe(400);
    expect(await again.text()).toContain('already been used');
  });

  it('every device opens with every viewer type it reports', async () => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    const dispatcher = browser(sim);
    let launches = 0;
    for (const device of await client.listDevices(session)) {
      for (const viewerType of device.viewerTypes) {
        const minted = await ticket(client, session);
        const url = launchUrl({ baseUrl: sim.url, deviceId: device.id, viewerType, ticket: minted.ticket });
        const page = await fetch(url, { dispatcher, redirect: 'manual' });
        const html = await page.text();
        expect(page.status, `${device.name} ${viewerType}: ${html}`).toBe(200);
        launches++;
      }
    }
    expect(launches).toBe(13);
    expect(sim.counters.launches).toBe(13);
    expect(sim.counters.launchFailures).toBe(0);
  });

  it('a launch URL without a ticket sends the browser to the appliance login', async () => {
    const sim = await start();
    const url = launchUrl({ baseUrl: sim.url, deviceId: sim.devices[0]!.id, viewerType: 'KVM' });
    const page = await fetch(url, { dispatcher: browser(sim), redirect: 'manual' });
    await page.text();
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toMatch(/^\/login\?next=/);
  });
});

describe('faults', () => {
  it.each([401, 403])('HTTP %i on createTicket is an ApplianceAuthError, not retried', async (status) => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    sim.resetCounters();
    sim.failNext(1, { status, endpoint: 'ticket' });
    const error = await failure(() => client.createTicket(session), ApplianceAuthError, 'createTicket');
    expect(error.status).toBe(status);
    expect(error.kind).toBe('auth');
    expect(sim.counters.requests).toBe(1);
  });

  it('HTTP 401 on listDevices is an ApplianceAuthError', async () => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    sim.failNext(1, { status: 401, endpoint: 'devices' });
    await failure(() => client.listDevices(session, { types: ['ACS'] }), ApplianceAuthError, 'listDevices');
  });

  it('HTTP 500 is an ApplianceUnavailableError, not retried', async () => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    sim.resetCounters();
    sim.failNext(1, { status: 500, endpoint: 'ticket' });
    const error = await failure(
      () => client.createTicket(session),
      ApplianceUnavailableError,
      'createTicket',
    );
    expect(error.status).toBe(500);
    expect(error.message).toContain('HTTP 500');
    expect(sim.counters.requests).toBe(1);

    sim.failNext(1, { status: 500, endpoint: 'devices' });
    await failure(
      () => client.listDevices(session, { types: ['ACS'] }),
      ApplianceUnavailableError,
      'listDevices',
    );
  });

  it.each([502, 503, 504])('HTTP %i once on createTicket is retried and succeeds', async (status) => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    sim.resetCounters();
    sim.failNext(1, { status, endpoint: 'ticket' });
    await ticket(client, session);
    expect(sim.counters.requests).toBe(2);
    expect(sim.counters.tickets).toBe(1);
  });

  it('HTTP 503 once on listDevices is retried and succeeds', async () => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    sim.resetCounters();
    sim.failNext(1, { status: 503, endpoint: 'devices' });
    const devices = await client.listDevices(session, { types: ['ADX-IP-IQ'] });
    expect(devices).toHaveLength(3);
    expect(sim.counters.requests).toBe(2);
    expect(sim.counters.deviceLists).toBe(1);

    // Across the six concurrent calls as well.
    sim.resetCounters();
    sim.failNext(1, { status: 503, endpoint: 'devices' });
    expect(await client.listDevices(session)).toHaveLength(sim.devices.length);
    expect(sim.counters.requests).toBe(7);
  });

  it('HTTP 503 twice is an ApplianceUnavailableError after exactly one retry', async () => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    sim.resetCounters();
    sim.failNext(2, { status: 503, endpoint: 'ticket' });
    const error = await failure(
      () => client.createTicket(session),
      ApplianceUnavailableError,
      'createTicket',
    );
    expect(error.status).toBe(503);
    expect(sim.counters.requests).toBe(2);

    sim.resetCounters();
    sim.failNext(2, { status: 503, endpoint: 'devices' });
    await failure(
      () => client.listDevices(session, { types: ['ACS'] }),
      ApplianceUnavailableError,
      'listDevices',
    );
    expect(sim.counters.requests).toBe(2);
  });

  it('HTTP 503 on login is not retried', async () => {
    const sim = await start();
    const client = connect(sim);
    sim.failNext(1, { status: 503, endpoint: 'login' });
    const error = await failure(() => login(client, sim), ApplianceUnavailableError, 'login');
    expect(error.status).toBe(503);
    expect(sim.counters.requests).toBe(1);
    expect(sim.counters.logins).toBe(0);
    await login(client, sim);
  });

  it('the appliance’s session limit (503 on login) is not retried', async () => {
    const sim = await start({ maxSessions: 1 });
    const client = connect(sim);
    await login(client, sim);
    sim.resetCounters();
    await failure(() => login(client, sim), ApplianceUnavailableError, 'login');
    expect(sim.counters.requests).toBe(1);
    expect(sim.counters.failedLogins).toBe(1);
  });

  describe.each(['login', 'devices', 'ticket'] as const)('a garbage body on %s', (endpoint) => {
    it('is an ApplianceProtocolError in both variants, not retried', async () => {
      const sim = await start();
      const client = connect(sim);
      const session = await login(client, sim);
      const step: ApplianceStep =
        endpoint === 'login' ? 'login' : endpoint === 'devices' ? 'listDevices' : 'createTicket';
      const call = () =>
        endpoint === 'login'
          ? login(client, sim)
          : endpoint === 'devices'
            ? client.listDevices(session, { types: ['ADX-IP-UHD'] })
            : client.createTicket(session);
      sim.resetCounters();
      sim.garbageNext(2, { endpoint });
      const html = await failure(call, ApplianceProtocolError, step);
      expect(html.message).toContain('not JSON');
      const partial = await failure(call, ApplianceProtocolError, step);
      expect(partial.message).toContain('unexpected body');
      expect(partial.kind).toBe('protocol');
      expect(sim.counters.requests).toBe(2);
      await call();
    });
  });

  it.each(['login', 'listDevices', 'createTicket'] as const)(
    'a hang on %s is an ApplianceTimeoutError within the timeout',
    async (step) => {
      const sim = await start();
      const client = connect(sim);
      const session = await login(client, sim);
      sim.hang(true);
      const call = {
        login: () => login(client, sim),
        listDevices: () => client.listDevices(session),
        createTicket: () => client.createTicket(session),
      }[step];
      const error = await failure(call, ApplianceTimeoutError, step);
      expect(error.timeoutMs).toBe(TIMEOUT_MS);
      expect(error.elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(error.message).toContain(`within ${TIMEOUT_MS} ms`);
    },
  );

  it('latency beyond the budget is a timeout, latency within it is fine', async () => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    sim.setLatency(100);
    await ticket(client, session);
    sim.setLatency(TIMEOUT_MS + 300);
    await failure(() => client.createTicket(session), ApplianceTimeoutError, 'createTicket');
  });

  it('a down appliance is an ApplianceUnavailableError (connection refused)', async () => {
    const sim = await start();
    await sim.down();
    const fresh = connect(sim);
    const error = await failure(() => login(fresh, sim), ApplianceUnavailableError, 'login');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.status).toBeUndefined();
  });

  it('an appliance going down under a kept-alive connection, and coming back', async () => {
    const sim = await start();
    const client = connect(sim);
    const session = await login(client, sim);
    await ticket(client, session);
    await sim.down();
    await failure(() => client.createTicket(session), ApplianceUnavailableError, 'createTicket');
    await sim.up();
    await ticket(client, session);
  });

  it('revoked JWTs and forgotten sessions are an ApplianceAuthError on createTicket', async () => {
    const sim = await start();
    const client = connect(sim);
    const revoked = await login(client, sim);
    sim.expireAllJwts();
    const error = await failure(() => client.createTicket(revoked), ApplianceAuthError, 'createTicket');
    expect(error.status).toBe(401);
    await failure(() => client.listDevices(revoked), ApplianceAuthError, 'listDevices');

    const forgotten = await login(client, sim);
    await ticket(client, forgotten);
    sim.forgetAllSessions();
    await failure(() => client.createTicket(forgotten), ApplianceAuthError, 'createTicket');
  });

  it('a JWT past its exp is an ApplianceAuthError, as session.expiresAt predicted', async () => {
    let now = T0;
    const sim = await start({ now: () => now, jwtTtlSeconds: 60 });
    const client = connect(sim);
    const session = await login(client, sim);
    now = session.expiresAt - 1_000;
    await ticket(client, session);
    now = session.expiresAt + 1_000;
    await failure(() => client.createTicket(session), ApplianceAuthError, 'createTicket');
  });
});

describe('TLS', () => {
  it('the appliance certificate names neither host nor IP', async () => {
    const sim = await start();
    expect(new X509Certificate(sim.certPem).subjectAltName).toBeUndefined();
    expect(new X509Certificate(sim.certPem).checkIP('127.0.0.1')).toBeUndefined();
  });

  it('the right CA passes without a hostname check', async () => {
    const sim = await start();
    const client = connect(sim, { tls: { caPem: sim.certPem } });
    await ticket(client, await login(client, sim));
  });

  it('a wrong CA is an ApplianceTlsError and nothing reaches the appliance', async () => {
    const sim = await start();
    const client = connect(sim, { tls: { caPem: otherCert.certPem } });
    const error = await failure(() => login(client, sim), ApplianceTlsError, 'login');
    expect(error.kind).toBe('tls');
    expect(error.message).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(sim.counters.requests).toBe(0);
  });

  it('the right fingerprint passes, in every form normalizeFingerprint accepts', async () => {
    const sim = await start();
    const hex = sim.fingerprint256.replace(/:/g, '');
    const forms = [
      sim.fingerprint256,
      sim.fingerprint256.toLowerCase(),
      hex,
      hex.toLowerCase(),
      ` ${hex.match(/../g)!.join(' ')} `,
    ];
    for (const form of forms) {
      expect(normalizeFingerprint(form)).toBe(sim.fingerprint256);
      const client = connect(sim, { tls: { fingerprint256: form } });
      await ticket(client, await login(client, sim));
    }
  });

  it.each([
    ['another certificate', () => new X509Certificate(otherCert.certPem).fingerprint256],
    ['a random value', () => 'AB:'.repeat(31) + 'AB'],
    ['an empty value', () => ''],
    ['a SHA-1 length value', () => '12:'.repeat(19) + '12'],
  ])('a wrong fingerprint (%s) is an ApplianceTlsError', async (_label, fingerprint) => {
    const sim = await start();
    const client = connect(sim, { tls: { fingerprint256: fingerprint() } });
    const error = await failure(() => login(client, sim), ApplianceTlsError, 'login');
    expect(error.message).toContain('ERR_CERT_PIN_MISMATCH');
    expect(sim.counters.requests).toBe(0);
  });

  it('a pin is checked on every connection, not only the first', async () => {
    const sim = await start();
    const client = connect(sim, { tls: { fingerprint256: sim.fingerprint256 } });
    const session = await login(client, sim);
    // The same address now presents a different certificate.
    await sim.close();
    const impostor = await start({ port: sim.port, cert: otherCert });
    expect(impostor.port).toBe(sim.port);
    await failure(() => client.createTicket(session), ApplianceTlsError, 'createTicket');
  });

  it('insecure passes and tells the operator once', async () => {
    const sim = await start();
    const warned: string[] = [];
    const client = connect(sim, { tls: { insecure: true }, onInsecureTls: (id) => warned.push(id) });
    const session = await login(client, sim);
    await ticket(client, session);
    await client.listDevices(session);
    expect(warned).toEqual([APPLIANCE_ID]);
  });

  it('verifying clients never call onInsecureTls', async () => {
    const sim = await start();
    const warned: string[] = [];
    for (const tls of [{ caPem: sim.certPem }, { fingerprint256: sim.fingerprint256 }]) {
      const client = connect(sim, { tls, onInsecureTls: (id) => warned.push(id) });
      await login(client, sim);
    }
    expect(warned).toEqual([]);
  });
});

describe('keep-alive', () => {
  it.each([
    ['a CA', (sim: DsviewSimulator): TlsTrust => ({ caPem: sim.certPem })],
    ['a fingerprint', (sim: DsviewSimulator): TlsTrust => ({ fingerprint256: sim.fingerprint256 })],
  ])('20 sequential createTicket calls use one TLS connection (%s)', async (_label, trust) => {
    const sim = await start();
    const client = connect(sim, { tls: trust(sim) });
    const session = await login(client, sim);
    for (let i = 0; i < 20; i++) await ticket(client, session);
    expect(sim.counters.tickets).toBe(20);
    expect(sim.counters.tlsConnections).toBe(1);
  });
});

describe('no secret in any error', () => {
  it('holds for every error this file produced', () => {
    expect(secrets.size).toBeGreaterThan(0);
    for (const error of produced) expectNoSecret(error);
  });
});
