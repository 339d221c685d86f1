import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApplianceAuthError,
  AppliancePermissionError,
  ApplianceProtocolError,
  ApplianceUnavailableError,
} from '../../shared/appliances/errors.js';
import type { Device, ProviderClient, ProviderSession } from '../../shared/appliances/provider.js';
import { HttpsTransport } from '../../shared/appliances/transport.js';
import { vcenter } from '../../shared/appliances/vcenter/index.js';
import type { VcenterState } from '../../shared/appliances/vcenter/schemas.js';
import { DeviceUnavailableError, InvalidInputError, NotFoundError } from '../../shared/errors.js';
import {
  startVcenterSimulator,
  type VcenterSimulator,
  type VcenterSimulatorOptions,
} from '../../simulators/vcenter/simulator.js';
import { describeProvider } from './contract.js';

const HTML_CONSOLE = { scriptUrls: ['https://sdk.example.test/wmks.min.js'] };

describeProvider<VcenterSimulator>({
  kind: 'vcenter',
  start: () => startVcenterSimulator(),
  appliance: (sim) => ({
    name: 'Contract vCenter',
    kind: 'vcenter',
    baseUrl: sim.url,
    tls: { caPem: sim.certPem },
    htmlConsole: HTML_CONSOLE,
    credentials: { ...sim.credentials },
  }),
  launches: (devices) => {
    const on = devices.find((device) => device.state === 'POWERED_ON');
    const off = devices.find((device) => device.state === 'POWERED_OFF');
    return [
      { deviceId: off?.id ?? 'no powered-off VM', request: { viewerType: 'VMRC' }, expect: 'redirect' },
      { deviceId: on?.id ?? 'no powered-on VM', request: { viewerType: 'WEBMKS' }, expect: 'page' },
    ];
  },
});

type Credentials = { username: string; password: string };

describe('vcenter provider, directly against the simulator', () => {
  const running: { sim: VcenterSimulator; client: ProviderClient<Credentials, VcenterState> }[] = [];

  async function start(
    options: VcenterSimulatorOptions = {},
    record: Record<string, unknown> = { htmlConsole: HTML_CONSOLE },
  ) {
    const sim = await startVcenterSimulator(options);
    const appliance = vcenter.schemas.appliance.parse({
      id: 'vc',
      name: 'vCenter',
      kind: 'vcenter',
      baseUrl: sim.url,
      tls: { caPem: sim.certPem },
      ...record,
    });
    const client = vcenter.client(
      appliance,
      new HttpsTransport(appliance.id, appliance.baseUrl, appliance.tls),
    );
    running.push({ sim, client });
    const session = await client.login(sim.credentials);
    return { sim, client, session, appliance };
  }
  const vm = (devices: Device[], id: string) => devices.find((device) => device.id === id)!;
  const failureOf = (work: Promise<unknown>) =>
    work.then(
      () => undefined,
      (error: unknown) => error,
    );

  afterAll(async () => {
    for (const { sim, client } of running) {
      await client.close();
      await sim.close();
    }
  });

  describe('the standard lab', () => {
    let sim: VcenterSimulator;
    let client: ProviderClient<Credentials, VcenterState>;
    let session: ProviderSession<VcenterState>;
    let devices: Device[];
    beforeAll(async () => {
      ({ sim, client, session } = await start(
        { idleTimeoutSeconds: 600 },
        {
          htmlConsole: HTML_CONSOLE,
          sessionIdleMinutes: 10,
        },
      ));
      devices = (await client.listDevices(session)).devices;
    });

    it('logs in with Basic credentials: the session id is sealed state, its tag is not the id', () => {
      expect(session.state.sessionId).toMatch(/^[0-9a-f]{32}$/);
      expect(session.id).not.toContain(session.state.sessionId);
      expect(session.principal).toBe(sim.credentials.username);
      // Renewed ahead of one idle period (sessionIdleMinutes) counted from the login.
      expect(session.expiresAt - Date.now()).toBeGreaterThan(9 * 60_000);
      expect(session.expiresAt - Date.now()).toBeLessThanOrEqual(10 * 60_000);
    });

    it('lists VMs with their power state; WEBMKS on powered-on VMs only', () => {
      expect(vm(devices, 'vm-42')).toEqual({
        id: 'vm-42',
        name: 'web01',
        type: 'VM',
        state: 'POWERED_ON',
        connectionPaths: [],
        viewerTypes: ['VMRC', 'WEBMKS'],
      });
      expect(vm(devices, 'vm-43').viewerTypes).toEqual(['VMRC']);
      expect(vm(devices, 'vm-44')).toMatchObject({ state: 'SUSPENDED', viewerTypes: ['VMRC'] });
    });

    it('a VMRC launch redirects to the vmrc:// ticket, valid 30 minutes', async () => {
      const launch = await client.launch(
        session,
        vm(devices, 'vm-43'),
        { viewerType: 'VMRC' },
        { clientId: 'c' },
      );
      if (launch.kind !== 'redirect') throw new Error(`expected a redirect, got ${launch.kind}`);
      expect(launch.location).toMatch(/^vmrc:\/\/clone:/);
      expect(launch.api).toEqual({ ticket: launch.location, launchUrl: launch.location });
      expect(launch.expiresAt - Date.now()).toBeGreaterThan(29 * 60_000);
      expect(sim.redeem(launch.location)).toBe('ok');
    });

    it('a WEBMKS launch is the console page: SDK, static bootstrap, the wss:// ticket and a ticketless VMRC link', async () => {
      const launch = await client.launch(
        session,
        vm(devices, 'vm-42'),
        { viewerType: 'WEBMKS' },
        { clientId: 'c' },
      );
      if (launch.kind !== 'page') throw new Error(`expected a page, got ${launch.kind}`);
      const script = launch.page.script!;
      const socketUrl = script.data['socket-url']!;
      expect(socketUrl).toMatch(/^wss:\/\//);
      expect(script.scriptUrls).toEqual(HTML_CONSOLE.scriptUrls);
      expect(script.styleUrls).toEqual([]);
      expect(script.connectOrigins).toEqual([new URL(socketUrl).origin]);
      expect(script.bootstrap).not.toContain(socketUrl);
      expect(script.bootstrap).toContain("createWMKS('console', {})");
      expect(launch.page.actions).toEqual([
        { label: 'Open in VMRC instead', href: `vmrc://${new URL(sim.url).host}/?moid=vm-42` },
      ]);
      expect(launch.api).toEqual({ ticket: socketUrl, launchUrl: socketUrl });
    });

    it('maps vCenter refusals of a ticket: powered off 409, unknown 404, no privilege is not a lapsed session', async () => {
      const off = await failureOf(
        client.launch(session, vm(devices, 'vm-43'), { viewerType: 'WEBMKS' }, { clientId: 'c' }),
      );
      expect(off).toBeInstanceOf(DeviceUnavailableError);
      expect((off as DeviceUnavailableError).reason).toContain('not powered on');
      const gone = { ...vm(devices, 'vm-42'), id: 'vm-404' };
      expect(
        await failureOf(client.launch(session, gone, { viewerType: 'VMRC' }, { clientId: 'c' })),
      ).toBeInstanceOf(NotFoundError);
      sim.setConsolePrivilege(false);
      const denied = await failureOf(
        client.launch(session, vm(devices, 'vm-42'), { viewerType: 'VMRC' }, { clientId: 'c' }),
      );
      sim.setConsolePrivilege(true);
      expect(denied).toBeInstanceOf(AppliancePermissionError);
      expect((denied as Error).message).toContain('VirtualMachine.Interact.ConsoleInteract');
    });

    it('a 500 is unavailable and a 503 unavailable after one retry; a ticket of the wrong scheme is a protocol error', async () => {
      const target = vm(devices, 'vm-42');
      sim.applyFaults({ failNext: { count: 1, status: 500, endpoint: 'launch' } });
      expect(
        await failureOf(client.launch(session, target, { viewerType: 'VMRC' }, { clientId: 'c' })),
      ).toBeInstanceOf(ApplianceUnavailableError);
      sim.applyFaults({ failNext: { count: 1, status: 503, endpoint: 'launch' } });
      const retried = await client.launch(session, target, { viewerType: 'VMRC' }, { clientId: 'c' });
      expect(retried.kind).toBe('redirect');
      sim.applyFaults({ garbageNext: { count: 2, endpoint: 'launch' } });
      for (let i = 0; i < 2; i++) {
        expect(
          await failureOf(client.launch(session, target, { viewerType: 'VMRC' }, { clientId: 'c' })),
        ).toBeInstanceOf(ApplianceProtocolError);
      }
    });

    it('a lapsed session is an auth error on the call (the core logs in again); logout ends a session', async () => {
      const other = await client.login(sim.credentials);
      await client.logout!(other);
      const lapsed = await failureOf(client.listDevices(other));
      expect(lapsed).toBeInstanceOf(ApplianceAuthError);
      expect((lapsed as ApplianceAuthError).step).not.toBe('login');
      // Signing out of a session vCenter already forgot is not an error.
      await client.logout!(other);
      expect(sim.counters.logouts).toBe(1);
    });

    it('validate: VMRC and WEBMKS only, no other kind’s fields, WEBMKS only with htmlConsole', () => {
      const appliance = vcenter.schemas.appliance.parse({
        id: 'vc',
        name: 'vCenter',
        kind: 'vcenter',
        baseUrl: sim.url,
        tls: { caPem: sim.certPem },
        htmlConsole: HTML_CONSOLE,
      });
      const { htmlConsole: _, ...plain } = appliance;
      const fields = (device: Device, request: Parameters<typeof vcenter.validate>[2], record = appliance) =>
        vcenter.validate(device, record, request).map((error) => error.field);
      expect(fields(vm(devices, 'vm-42'), { viewerType: 'WEBMKS' })).toEqual([]);
      // A powered-off snapshot may be stale: vCenter judges, and answers 409 if it is still off.
      expect(fields(vm(devices, 'vm-43'), { viewerType: 'WEBMKS' })).toEqual([]);
      expect(fields(vm(devices, 'vm-42'), { viewerType: 'WEBMKS' }, plain)).toEqual(['viewerType']);
      expect(fields(vm(devices, 'vm-42'), { viewerType: 'KVM' })).toEqual(['viewerType']);
      expect(
        fields(vm(devices, 'vm-42'), { viewerType: 'VMRC', sharingMode: 'ACTIVE', mouseMode: 1, user: 'x' }),
      ).toEqual(['sharingMode', 'mouseMode', 'user']);
      expect(vcenter.fallbackUrl(appliance, { id: 'vm-42' }, { viewerType: 'VMRC' })).toBe(`${sim.url}/ui/`);
    });

    it('refuses a WEBMKS launch without htmlConsole before minting', async () => {
      const plain = await start({}, {});
      const plainDevices = (await plain.client.listDevices(plain.session)).devices;
      expect(vm(plainDevices, 'vm-42').viewerTypes).toEqual(['VMRC']);
      const launch = plain.client.launch(
        plain.session,
        vm(plainDevices, 'vm-42'),
        { viewerType: 'WEBMKS' },
        { clientId: 'c' },
      );
      expect(await failureOf(launch)).toBeInstanceOf(InvalidInputError);
      expect(plain.sim.counters.launches).toBe(0);
    });

    it('the appliance schema wants https SDK URLs, at least one script', () => {
      const base = {
        id: 'vc',
        name: 'vCenter',
        kind: 'vcenter',
        baseUrl: sim.url,
        tls: { caPem: sim.certPem },
      };
      expect(vcenter.schemas.appliance.safeParse({ ...base, htmlConsole: { scriptUrls: [] } }).success).toBe(
        false,
      );
      expect(
        vcenter.schemas.appliance.safeParse({ ...base, htmlConsole: { scriptUrls: ['http://sdk/wmks.js'] } })
          .success,
      ).toBe(false);
      expect(vcenter.schemas.appliance.safeParse({ ...base, platform: 'MP1000' }).success).toBe(false);
      // The CLI gives every flag as text.
      expect(vcenter.schemas.appliance.parse({ ...base, sessionIdleMinutes: '20' }).sessionIdleMinutes).toBe(
        20,
      );
    });
  });

  describe('over the 4000-VM cap', () => {
    it('splits by power state and merges: every VM once, complete', async () => {
      const { client, session } = await start({ vmCount: 6000 });
      const listing = await client.listDevices(session);
      expect(listing.complete).toBe(true);
      expect(new Set(listing.devices.map((device) => device.id)).size).toBe(6000);
    });

    it('a power state still over the cap makes the listing incomplete, keeping what it could list', async () => {
      // 3 in 5 generated VMs are on: 300 of 500, over a cap of 200; off and suspended (100 each) fit.
      const { client, session } = await start({ vmCount: 500, maxVms: 200 });
      const listing = await client.listDevices(session);
      expect(listing.complete).toBe(false);
      const states = new Set(listing.devices.map((device) => device.state));
      expect(states).toEqual(new Set(['POWERED_OFF', 'SUSPENDED']));
      expect(listing.devices.length).toBe(200);
    });

    it('a part still capped after the folder split is incomplete; a failed or lapsed listing fails whole', async () => {
      const { sim, client, session } = await start({ vmCount: 50 });
      // The whole list and one power-state part answer the cap; the folder split cannot prove that part whole.
      sim.applyFaults({
        failNext: { count: 2, status: 400, errorType: 'UNABLE_TO_ALLOCATE_RESOURCE', endpoint: 'list' },
      });
      const capped = await client.listDevices(session);
      expect(capped.complete).toBe(false);
      expect(capped.devices.length).toBeGreaterThan(0);
      expect(capped.devices.length).toBeLessThan(50);
      sim.applyFaults({ failNext: { count: 1, status: 500, endpoint: 'list' } });
      expect(await failureOf(client.listDevices(session))).toBeInstanceOf(ApplianceUnavailableError);
      const whole = await client.listDevices(session);
      expect(whole).toMatchObject({ complete: true });
      expect(whole.devices.length).toBe(50);
      sim.expireIdleSessions();
      expect(await failureOf(client.listDevices(session))).toBeInstanceOf(ApplianceAuthError);
    });
  });
});
