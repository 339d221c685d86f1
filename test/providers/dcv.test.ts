import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DEMO_SOURCES } from '../../infra/local/demo.js';
import { DcvClient } from '../../shared/appliances/dcv/client.js';
import { connectionUrl, HostChooser } from '../../shared/appliances/dcv/connection-url.js';
import { dcv } from '../../shared/appliances/dcv/index.js';
import { type DcvAppliance, dcvApplianceSchema, VIEWER_TYPES } from '../../shared/appliances/dcv/schemas.js';
import { ApplianceAuthError, ApplianceUnavailableError } from '../../shared/appliances/errors.js';
import type { Device, Launch } from '../../shared/appliances/provider.js';
import { applianceSchema } from '../../shared/appliances/providers.js';
import { HttpsTransport } from '../../shared/appliances/transport.js';
import { DeviceUnavailableError, InvalidInputError, NotFoundError } from '../../shared/errors.js';
import {
  type DcvSimulator,
  type DcvSimulatorOptions,
  generatedSessions,
  startDcvSimulator,
} from '../../simulators/dcv/simulator.js';
import { openViewer } from '../support/broker.js';
import { describeProvider } from './contract.js';

describeProvider({
  kind: 'dcv',
  start: () => startDcvSimulator({ sessionCount: 20 }),
  appliance: (sim) => ({
    name: 'Contract DCV',
    kind: 'dcv',
    baseUrl: sim.url,
    tls: { caPem: sim.certPem },
    credentials: { ...sim.credentials },
  }),
  launches: (devices) =>
    VIEWER_TYPES.map((viewerType) => {
      const device = devices.find((candidate) => candidate.viewerTypes.includes(viewerType));
      return {
        deviceId: device?.id ?? `no ${viewerType} session`,
        request: { viewerType },
        expect: 'redirect',
      };
    }),
});

const sims: DcvSimulator[] = [];
const transports: HttpsTransport[] = [];
afterAll(async () => {
  await Promise.all(transports.map((transport) => transport.close()));
  await Promise.all(sims.map((sim) => sim.close()));
});

async function simulator(options: DcvSimulatorOptions = {}): Promise<DcvSimulator> {
  const sim = await startDcvSimulator(options);
  sims.push(sim);
  return sim;
}

function applianceFor(sim: DcvSimulator, overrides: Partial<DcvAppliance> = {}): DcvAppliance {
  return dcvApplianceSchema.parse({
    id: 'dcv-test',
    name: 'DCV test',
    kind: 'dcv',
    baseUrl: sim.url,
    tls: { caPem: sim.certPem },
    ...overrides,
  });
}

function transportFor(appliance: DcvAppliance): HttpsTransport {
  const transport = new HttpsTransport(appliance.id, appliance.baseUrl, appliance.tls, {
    requestTimeoutMs: 5_000,
  });
  transports.push(transport);
  return transport;
}

/** A client of `sim` and a session on it. */
async function connected(
  sim: DcvSimulator,
  overrides: Partial<DcvAppliance> = {},
  options: Partial<ConstructorParameters<typeof DcvClient>[0]> = {},
) {
  const appliance = applianceFor(sim, overrides);
  const transport = transportFor(appliance);
  const client = new DcvClient({ appliance, transport, ...options });
  const session = await client.login(sim.credentials);
  return { appliance, transport, client, session };
}

const rejection = (work: Promise<unknown>) =>
  work.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );

const redirect = (launch: Launch) => {
  if (launch.kind !== 'redirect') throw new Error(`expected a redirect, got ${launch.kind}`);
  return launch;
};

describe('DCV login (OAuth2 client credentials)', () => {
  let sim: DcvSimulator;
  beforeAll(async () => {
    sim = await simulator({ sessionCount: 5 });
  });

  it('one token request; the session id is a hash prefix, never the token; expiry from expires_in', async () => {
    const before = Date.now();
    const { session } = await connected(sim);
    expect(sim.counters.tokenRequests).toBe(1);
    expect(session.principal).toBe(sim.credentials.clientId);
    expect(session.id).toMatch(/^[0-9a-f]{16}$/);
    expect(session.state.accessToken).not.toContain(session.id);
    expect(session.expiresAt).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(session.expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  it('a wrong secret is an auth error at login; an expired or revoked token is an auth error on the call', async () => {
    const appliance = applianceFor(sim);
    const client = new DcvClient({ appliance, transport: transportFor(appliance) });
    const refused = await rejection(client.login({ ...sim.credentials, clientSecret: 'wrong-secret-123' }));
    expect(refused).toBeInstanceOf(ApplianceAuthError);
    expect((refused as ApplianceAuthError).step).toBe('login');
    for (const lapse of [() => sim.expireAllTokens(), () => sim.revokeAllTokens()]) {
      const session = await client.login(sim.credentials);
      lapse();
      const error = await rejection(client.listDevices(session.state));
      expect(error).toBeInstanceOf(ApplianceAuthError);
      expect((error as ApplianceAuthError).step).toBe('describeSessions');
    }
  });
});

describe('DCV listing (describeSessions)', () => {
  let sim: DcvSimulator;
  beforeAll(async () => {
    sim = await simulator({ sessionCount: 2_500 });
  });

  it('pages over 2,500 sessions with MaxResults 1000 and NextToken, and says the listing is complete', async () => {
    const { client, session } = await connected(sim);
    sim.resetCounters();
    const listing = await client.listDevices(session.state);
    expect(sim.counters.describeCalls).toBe(3);
    expect(listing.complete).toBe(true);
    expect(listing.devices).toHaveLength(2_500);
    expect(new Set(listing.devices.map((device) => device.id)).size).toBe(2_500);
    const sample = sim.sessions[7]!;
    const device = listing.devices.find((candidate) => candidate.id === sample.Id);
    expect(device).toEqual({
      id: sample.Id,
      name: sample.Name,
      type: sample.Type,
      state: 'CREATING',
      owner: sample.Owner,
      connectionPaths: [],
      viewerTypes: [],
      tags: Object.fromEntries(sample.Tags.map((tag) => [tag.Key, tag.Value])),
    });
    const ready = listing.devices.find((candidate) => candidate.id === sim.sessions[0]!.Id);
    expect(ready?.viewerTypes).toEqual(['DCV', 'DCV_NATIVE']);
  });

  it('a listing cut short by the page limit, or narrowed by type, is not complete', async () => {
    const { client, session } = await connected(sim, {}, { maxPages: 2 });
    const cut = await client.listDevices(session.state);
    expect(cut.devices).toHaveLength(2_000);
    expect(cut.complete).toBe(false);
    const consoles = await (await connected(sim)).client.listDevices(session.state, { type: 'CONSOLE' });
    expect(consoles.complete).toBe(false);
    expect(consoles.devices).toHaveLength(500);
    expect(consoles.devices.every((device) => device.type === 'CONSOLE')).toBe(true);
  });

  it('a page that fails mid-way fails the listing (never a partial listing that claims to be complete)', async () => {
    const { client, session, transport } = await connected(sim);
    const json = transport.json.bind(transport);
    let calls = 0;
    transport.json = ((call: Parameters<typeof json>[0]) => {
      if (++calls === 2) sim.failNext(1, { status: 500, endpoint: 'list' });
      return json(call);
    }) as typeof transport.json;
    expect(await rejection(client.listDevices(session.state))).toBeInstanceOf(ApplianceUnavailableError);
    expect(calls).toBe(2);
  });
});

describe('DCV launch (sessionConnectionData)', () => {
  let sim: DcvSimulator;
  let devices: Device[];
  const readyDevice = () => devices.find((device) => device.state === 'READY')!;
  beforeAll(async () => {
    const sessions = generatedSessions(20, 'launch');
    sessions[1]!.Hostname = 'localhost';
    sessions[2]!.Hostname = 'evil.example@attacker.example';
    sim = await simulator({ sessions });
    const { client, session } = await connected(sim);
    devices = (await client.listDevices(session.state)).devices;
  });

  it('DCV: the web client URL on the server with a fresh single-use token; DCV_NATIVE: the same as dcv://', async () => {
    const { client, session } = await connected(sim);
    const device = readyDevice();
    const before = Date.now();
    const web = redirect(await client.launch(session.state, device, { viewerType: 'DCV' }));
    const url = new URL(web.location);
    expect(`${url.origin}${url.pathname}`).toBe(`${sim.url}/`);
    expect(url.hash).toBe(`#${device.id}`);
    const token = url.searchParams.get('authToken');
    expect(web.api).toEqual({ ticket: token, launchUrl: web.location });
    expect(web.expiresAt).toBeGreaterThanOrEqual(before + 3_590_000);
    const native = redirect(await client.launch(session.state, device, { viewerType: 'DCV_NATIVE' }));
    expect(native.location.startsWith(`dcv://127.0.0.1:${sim.port}/?authToken=`)).toBe(true);
    expect(native.api.ticket).not.toBe(token);
    expect(await openViewer(web.location)).toBe(200);
    expect(await openViewer(web.location)).toBe(401);
  });

  it('mints for the request user, else connectAs, else the session owner', async () => {
    const device = readyDevice();
    const sub = async (overrides: Partial<DcvAppliance>, user?: string) => {
      const { client, session } = await connected(sim, overrides);
      const launch = redirect(
        await client.launch(session.state, device, { viewerType: 'DCV', ...(user ? { user } : {}) }),
      );
      return decodeJwt(String(launch.api.ticket)).sub;
    };
    expect(await sub({ connectAs: 'svc-console' }, 'CORP\\alice')).toBe('CORP\\alice');
    expect(await sub({ connectAs: 'svc-console' })).toBe('svc-console');
    expect(await sub({})).toBe(device.owner);
    const { client, session } = await connected(sim);
    const { owner: _owner, ...ownerless } = device;
    const fromSource = redirect(await client.launch(session.state, ownerless, { viewerType: 'DCV' }));
    expect(decodeJwt(String(fromSource.api.ticket)).sub).toBe(device.owner);
  });

  it('a session that is not READY is unavailable naming its state; an unknown one is not found', async () => {
    for (const options of [{}, { unknownSessionStatus: 400 as const, notReadyStatus: 409 as const }]) {
      const own = await simulator({ ...options, sessionCount: 3 });
      const { client, session } = await connected(own);
      const target = own.sessions[0]!;
      own.setState(target.Id, 'CREATING');
      const device: Device = { id: target.Id, name: '', type: '', connectionPaths: [], viewerTypes: ['DCV'] };
      const busy = await rejection(client.launch(session.state, device, { viewerType: 'DCV', user: 'bob' }));
      expect(busy).toBeInstanceOf(DeviceUnavailableError);
      expect((busy as DeviceUnavailableError).reason).toContain('CREATING');
      const ghost = { ...device, id: '00000000-0000-4000-8000-000000000000' };
      const missing = await rejection(
        client.launch(session.state, ghost, { viewerType: 'DCV', user: 'bob' }),
      );
      expect(missing).toBeInstanceOf(NotFoundError);
      expect(own.counters.connectionTokens).toBe(0);
    }
  });

  it('a user the DCV server does not know is a 400 naming user', async () => {
    const own = await simulator({ sessionCount: 1, knownUsers: ['alice'] });
    const { client, session } = await connected(own);
    const device: Device = {
      id: own.sessions[0]!.Id,
      name: '',
      type: '',
      connectionPaths: [],
      viewerTypes: ['DCV'],
    };
    const error = await rejection(
      client.launch(session.state, device, { viewerType: 'DCV', user: 'mallory' }),
    );
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).fields.map((field) => field.field)).toEqual(['user']);
    const ok = await client.launch(session.state, device, { viewerType: 'DCV', user: 'alice' });
    expect(ok.kind).toBe('redirect');
  });

  it('a gateway replaces host and port; a server name is used only when it resolves to the server IP', async () => {
    const device = readyDevice();
    const { client, session } = await connected(sim, { gateway: { host: 'gw.example.test', port: 9443 } });
    const gated = redirect(await client.launch(session.state, device, { viewerType: 'DCV' }));
    expect(gated.location.startsWith('https://gw.example.test:9443/?authToken=')).toBe(true);
    expect(gated.location.endsWith(`#${device.id}`)).toBe(true);

    const plain = await connected(sim);
    const host = async (index: number) => {
      const target = devices.find((candidate) => candidate.id === sim.sessions[index]!.Id)!;
      return new URL(
        redirect(await plain.client.launch(plain.session.state, target, { viewerType: 'DCV' })).location,
      ).hostname;
    };
    expect(await host(0)).toBe('127.0.0.1'); // dcv-sim-01 does not resolve here
    expect(await host(1)).toBe('localhost'); // resolves to 127.0.0.1, the Server.Ip
    expect(await host(2)).toBe('127.0.0.1'); // not a host name: never put into a URL
  });

  it('a resolver that hangs or answers another address costs at most its bound and yields the IP', async () => {
    const hanging = new HostChooser({ lookupTimeoutMs: 100, lookup: () => new Promise(() => undefined) });
    const started = Date.now();
    expect(await hanging.choose({ Ip: '10.0.1.23', Hostname: 'dcv01' })).toBe('10.0.1.23');
    expect(Date.now() - started).toBeLessThan(1_000);
    let lookups = 0;
    const elsewhere = new HostChooser({
      lookup: async () => {
        lookups++;
        return ['10.9.9.9'];
      },
    });
    expect(await elsewhere.choose({ Ip: '10.0.1.23', Hostname: 'dcv01' })).toBe('10.0.1.23');
    expect(await elsewhere.choose({ Ip: '10.0.1.23', Hostname: 'dcv01' })).toBe('10.0.1.23');
    expect(lookups).toBe(1);
  });

  it('builds URLs no source field can redirect elsewhere', () => {
    const url = connectionUrl(
      'https',
      { host: '10.0.1.23', port: 8443, webUrlPath: '//evil.example/x' },
      'a#b?c',
      't&x=1',
    );
    const parsed = new URL(url);
    expect(parsed.host).toBe('10.0.1.23:8443');
    expect(parsed.searchParams.get('authToken')).toBe('t&x=1');
    expect(decodeURIComponent(parsed.hash.slice(1))).toBe('a#b?c');
    expect(() => connectionUrl('https', { host: 'a@b', port: 8443, webUrlPath: '/' }, 'id')).toThrow();
    expect(connectionUrl('dcv', { host: '::1', port: 8443, webUrlPath: '/' }, 'id', 't')).toBe(
      'dcv://[::1]:8443/?authToken=t#id',
    );
  });
});

describe('DCV request rules and fallback', () => {
  const appliance = dcvApplianceSchema.parse({
    id: 'dcv-rules',
    name: 'DCV',
    kind: 'dcv',
    baseUrl: 'https://sm.example.test:8443',
    tls: { insecure: true },
  });
  const ready: Device = {
    id: 's1',
    name: 's1',
    type: 'VIRTUAL',
    state: 'READY',
    connectionPaths: [],
    viewerTypes: ['DCV', 'DCV_NATIVE'],
  };
  const fields = (device: Device, request: Parameters<typeof dcv.validate>[2]) =>
    dcv.validate(device, appliance, request).map((error) => error.field);

  it('refuses other kinds’ fields and viewer types, accepts a user; a listed non-READY session is left to the launch', () => {
    expect(fields(ready, { viewerType: 'DCV', user: 'alice' })).toEqual([]);
    expect(fields(ready, { viewerType: 'DCV', sharingMode: 'ACTIVE', mouseMode: 1 })).toEqual([
      'sharingMode',
      'mouseMode',
    ]);
    expect(fields(ready, { viewerType: 'KVM' })).toEqual(['viewerType']);
    expect(fields(ready, { viewerType: 'DCV', user: '../etc' })).toEqual(['user']);
    expect(fields({ ...ready, state: 'CREATING', viewerTypes: [] }, { viewerType: 'DCV' })).toEqual([]);
    expect(z.object(dcv.requestFields).safeParse({ user: 'a b' }).success).toBe(false);
    expect(z.object(dcv.requestFields).safeParse({ user: 'CORP\\alice' }).success).toBe(true);
  });

  it('falls back to the web client without a token: the gateway, else the Session Manager host on 8443', () => {
    expect(dcv.fallbackUrl(appliance, { id: 's1' }, { viewerType: 'DCV_NATIVE' })).toBe(
      'https://sm.example.test:8443/#s1',
    );
    const gated = { ...appliance, gateway: { host: 'gw.example.test', port: 443 } };
    expect(dcv.fallbackUrl(gated, { id: 's1' }, { viewerType: 'DCV' })).toBe(
      'https://gw.example.test:443/#s1',
    );
  });
});

describe('DCV demo source', () => {
  it('registers a valid dcv appliance and links a READY session as DCV, labelled demo dcv link', async () => {
    const source = DEMO_SOURCES.find((candidate) => candidate.kind === 'dcv');
    expect(source).toBeDefined();
    const started = await source!.start();
    try {
      const { credentials, ...record } = started.appliance;
      expect(applianceSchema.safeParse(record).success).toBe(true);
      expect(dcv.schemas.credentials.safeParse(credentials).success).toBe(true);
      expect(started.facts.linkLabel).toBe('demo dcv link');
      expect(started.facts.link?.viewerType).toBe('DCV');
      const sim = await startDcvSimulator({ sessionCount: 20 });
      sims.push(sim);
      const ready = new Set(sim.sessions.filter((s) => s.State === 'READY').map((s) => s.Id));
      expect(ready.has(started.facts.link!.deviceId)).toBe(true);
    } finally {
      await started.close();
    }
  });
});
