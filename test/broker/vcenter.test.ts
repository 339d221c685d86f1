import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVcenterSimulator, type VcenterSimulator } from '../../simulators/vcenter/simulator.js';
import { errorFields, problemType, startTestBroker, type TestBroker } from '../support/broker.js';
import { vcenterAppliance } from '../support/sources.js';

/**
 * vCenter through the broker's public API: the ticket API and links for VMRC and WEBMKS against the simulated
 * vCenter, vCenter's refusals as the contract's problems, a lapsed session replaced without the caller seeing
 * it, and a listing over the 4000-VM cap.
 */

const SDK_URL = 'https://sdk.example.test/wmks/wmks.min.js';
const STYLE_URL = 'https://styles.example.test/wmks-all.css';

let t: TestBroker;
let sim: VcenterSimulator;
let big: VcenterSimulator;

const ticket = (appliance: string, vm: string, body: Record<string, unknown>) =>
  t.call('POST', `/v1/appliances/${appliance}/devices/${vm}/tickets`, { key: t.keys.admin, body });

async function link(body: Record<string, unknown>): Promise<string> {
  const response = await t.call('POST', '/v1/links', {
    key: t.keys.admin,
    body: { applianceId: 'vc', ...body },
  });
  expect(response.status, response.text).toBe(201);
  return new URL(response.json.url).pathname;
}

beforeAll(async () => {
  sim = await startVcenterSimulator();
  big = await startVcenterSimulator({ vmCount: 5000 });
  t = await startTestBroker({
    extraAppliances: [
      vcenterAppliance(sim, { htmlConsole: { scriptUrls: [SDK_URL], styleUrls: [STYLE_URL] } }),
      vcenterAppliance(sim, { id: 'vc-plain', name: 'vCenter vc-plain' }),
      vcenterAppliance(big, { id: 'vc-big', name: 'vCenter vc-big' }),
    ],
  });
});
afterAll(async () => {
  await t?.close();
  await sim?.close();
  await big?.close();
});

describe('vCenter ticket API', () => {
  it('answers 201 with the vmrc:// ticket URI, which VMRC can spend once', async () => {
    const response = await ticket('vc', 'vm-42', { viewerType: 'VMRC' });
    expect(response.status, response.text).toBe(201);
    const { ticket: uri, launchUrl, expiresAt } = response.json;
    expect(uri).toMatch(/^vmrc:\/\/clone:cst-VCT-[^@]+@127\.0\.0\.1:\d+\/\?moid=vm-42$/);
    expect(launchUrl).toBe(uri);
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(sim.redeem(uri)).toBe('ok');
    expect(sim.redeem(uri)).toBe('used');
  });

  it('mints VMRC for a powered-off VM (the vendor text allows it)', async () => {
    const response = await ticket('vc', 'vm-43', { viewerType: 'VMRC' });
    expect(response.status, response.text).toBe(201);
  });

  it('answers 409 device-unavailable for WEBMKS on a powered-off VM', async () => {
    const response = await ticket('vc', 'vm-43', { viewerType: 'WEBMKS' });
    expect(response.status, response.text).toBe(409);
    expect(response.json.type).toBe(problemType('device-unavailable'));
    expect(response.json.detail).toContain('not powered on');
  });

  it('answers 404 for a VM vCenter does not have', async () => {
    const response = await ticket('vc', 'vm-999', { viewerType: 'VMRC' });
    expect(response.status, response.text).toBe(404);
  });

  it('lists WEBMKS among what a vCenter opens only when its htmlConsole is configured', async () => {
    const response = await t.call('GET', '/v1/appliances', { key: t.keys.admin });
    expect(response.status, response.text).toBe(200);
    const viewerTypesOf = (id: string) =>
      response.json.appliances.find((appliance: { id: string }) => appliance.id === id)?.viewerTypes;
    expect(viewerTypesOf('vc')).toEqual(['VMRC', 'WEBMKS']);
    expect(viewerTypesOf('vc-plain')).toEqual(['VMRC']);
  });

  it('refuses WEBMKS on a vCenter without htmlConsole, naming viewerType, before any ticket is minted', async () => {
    const before = sim.counters.launches;
    const response = await ticket('vc-plain', 'vm-42', { viewerType: 'WEBMKS' });
    expect(response.status, response.text).toBe(400);
    expect(errorFields(response)).toEqual(['viewerType']);
    expect(sim.counters.launches).toBe(before);
  });

  it("refuses other kinds' launch fields and viewer types", async () => {
    const response = await ticket('vc', 'vm-42', { viewerType: 'KVM', sharingMode: 'ACTIVE' });
    expect(response.status, response.text).toBe(400);
    expect(errorFields(response).sort()).toEqual(['sharingMode', 'viewerType']);
  });

  it('answers 502 appliance-permission-denied naming the console privilege, without logging in again', async () => {
    await ticket('vc', 'vm-42', { viewerType: 'VMRC' });
    const logins = sim.counters.logins;
    sim.setConsolePrivilege(false);
    try {
      const response = await ticket('vc', 'vm-42', { viewerType: 'VMRC' });
      expect(response.status, response.text).toBe(502);
      expect(response.json.type).toBe(problemType('appliance-permission-denied'));
      expect(response.json.detail).toContain('VirtualMachine.Interact.ConsoleInteract');
    } finally {
      sim.setConsolePrivilege(true);
    }
    expect(sim.counters.logins).toBe(logins);
  });

  it('answers 502 when vCenter answers SERVICE_UNAVAILABLE twice (one retry)', async () => {
    await ticket('vc', 'vm-42', { viewerType: 'VMRC' });
    sim.applyFaults({ failNext: { count: 2, status: 503, endpoint: 'launch' } });
    const response = await ticket('vc', 'vm-42', { viewerType: 'VMRC' });
    expect(response.status, response.text).toBe(502);
  });

  it('hides a lapsed session from the caller: exactly one login again, and the call succeeds', async () => {
    expect((await ticket('vc', 'vm-42', { viewerType: 'VMRC' })).status).toBe(201);
    const logins = sim.counters.logins;
    sim.expireIdleSessions();
    const response = await ticket('vc', 'vm-42', { viewerType: 'VMRC' });
    expect(response.status, response.text).toBe(201);
    expect(sim.counters.logins).toBe(logins + 1);
    expect((await ticket('vc', 'vm-45', { viewerType: 'VMRC' })).status).toBe(201);
    expect(sim.counters.logins).toBe(logins + 1);
  });

  it('lists VMs with their power state and what each can open now', async () => {
    const response = await t.call('GET', '/v1/appliances/vc/devices', { key: t.keys.admin });
    expect(response.status, response.text).toBe(200);
    const byId = new Map(
      (response.json.devices as { id: string }[]).map((device) => [device.id, device] as const),
    );
    expect(byId.get('vm-42')).toMatchObject({
      name: 'web01',
      type: 'VM',
      state: 'POWERED_ON',
      viewerTypes: ['VMRC', 'WEBMKS'],
    });
    expect(byId.get('vm-43')).toMatchObject({ state: 'POWERED_OFF', viewerTypes: ['VMRC'] });
    const plain = await t.call('GET', '/v1/appliances/vc-plain/devices', { key: t.keys.admin });
    expect(plain.json.devices.find((device: { id: string }) => device.id === 'vm-42').viewerTypes).toEqual([
      'VMRC',
    ]);
  });

  it('lists 5000 VMs past the 4000 cap by power state, every one once', async () => {
    const response = await t.call('GET', '/v1/appliances/vc-big/devices', { key: t.keys.admin });
    expect(response.status, response.text).toBe(200);
    const ids = (response.json.devices as { id: string }[]).map((device) => device.id);
    expect(ids.length).toBe(5000);
    expect(new Set(ids).size).toBe(5000);
  });
});

describe('vCenter links', () => {
  it('a VMRC click answers 302 to the vmrc:// ticket URI, not cached', async () => {
    const path = await link({ deviceId: 'vm-42', viewerType: 'VMRC' });
    const response = await t.call('GET', path);
    expect(response.status, response.text).toBe(302);
    expect(response.headers.location).toMatch(/^vmrc:\/\/clone:/);
    expect(response.headers['cache-control']).toContain('no-store');
    expect(sim.redeem(response.headers.location ?? '')).toBe('ok');
  });

  it('a WEBMKS click answers 200 with the console page, its CSP naming exactly the SDK and ESXi origins', async () => {
    const path = await link({ deviceId: 'vm-42', viewerType: 'WEBMKS' });
    const response = await t.call('GET', path);
    expect(response.status, response.text).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.headers['cache-control']).toContain('no-store');
    const socketUrl = /data-socket-url="([^"]+)"/.exec(response.text)?.[1] ?? '';
    expect(socketUrl).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/ticket\/[0-9a-f]+$/);
    const csp = Object.fromEntries(
      (response.headers['content-security-policy'] ?? '').split(';').map((directive) => {
        const [name = '', ...values] = directive.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(csp['default-src']).toEqual(["'none'"]);
    expect(csp['script-src']?.filter((source: string) => !source.startsWith("'sha256-"))).toEqual([
      'https://sdk.example.test',
    ]);
    expect(csp['style-src']).toEqual(["'unsafe-inline'", 'https://styles.example.test']);
    expect(csp['connect-src']).toEqual([new URL(socketUrl).origin]);
    expect(response.text).toContain(`<script src="${SDK_URL}"></script>`);
    expect(response.text).toContain(`href="vmrc://${new URL(sim.url).host}/?moid=vm-42"`);
    expect(response.text).toContain('Open in VMRC instead');
    expect(sim.redeem(socketUrl)).toBe('ok');
  });

  it('a WEBMKS click on a powered-off VM answers the 409 page', async () => {
    const path = await link({ deviceId: 'vm-43', viewerType: 'WEBMKS' });
    const response = await t.call('GET', path);
    expect(response.status).toBe(409);
    expect(response.headers['content-type']).toContain('text/html');
  });

  it('a WEBMKS link on a vCenter without htmlConsole is refused at creation, naming viewerType', async () => {
    const response = await t.call('POST', '/v1/links', {
      key: t.keys.admin,
      body: { applianceId: 'vc-plain', deviceId: 'vm-42', viewerType: 'WEBMKS' },
    });
    expect(response.status, response.text).toBe(400);
    expect(errorFields(response)).toEqual(['viewerType']);
  });
});

describe('vCenter in the inventory', () => {
  it('syncs every vCenter with kind and power state, and finds them by kind', async () => {
    const sync = await t.call('POST', '/v1/inventory/sync', { key: t.keys.admin });
    expect(sync.status, sync.text).toBe(200);
    const results = sync.json.appliances as { applianceId: string; status: string; devices: number }[];
    expect(results.find((result) => result.applianceId === 'vc')).toMatchObject({ devices: 5 });
    expect(results.find((result) => result.applianceId === 'vc-big')).toMatchObject({
      devices: 5000,
      complete: true,
    });
    const found = await t.call('GET', '/v1/devices?kind=vcenter&q=web01', { key: t.keys.admin });
    expect(found.status, found.text).toBe(200);
    const vm = found.json.devices.find(
      (device: { applianceId: string; id: string }) => device.applianceId === 'vc' && device.id === 'vm-42',
    );
    expect(vm).toMatchObject({ kind: 'vcenter', state: 'POWERED_ON' });
  });
});
