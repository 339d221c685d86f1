import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DsviewSimulator,
  generatedInventory,
  type SimDevice,
  startDsviewSimulator,
} from '../../simulators/dsview/simulator.js';
import { problemType, startTestBroker, type TestBroker } from '../support/broker.js';

let t: TestBroker;
let second: DsviewSimulator;
let writes = 0;
const WRITE_COMMANDS = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'BatchWriteItemCommand',
  'TransactWriteItemsCommand',
]);

const sync = async () => {
  const response = await t.call('POST', '/v1/inventory/sync', { key: t.keys.admin });
  expect(response.status).toBe(200);
  return response.json.appliances as {
    applianceId: string;
    status: string;
    devices: number;
    added: number;
    updated: number;
    removed: number;
    error?: string;
  }[];
};
const resultFor = (results: Awaited<ReturnType<typeof sync>>, id: string) =>
  results.find((r) => r.applianceId === id)!;

async function allPages(query: string, key = t.keys.admin) {
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field
  const seen: any[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const response = await t.call(
      'GET',
      `/v1/devices?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { key },
    );
    expect(response.status).toBe(200);
    seen.push(...response.json.devices);
    cursor = response.json.nextCursor;
    pages++;
  } while (cursor && pages < 100);
  return { seen, pages };
}

beforeAll(async () => {
  second = await startDsviewSimulator({ deviceCount: 120, seed: 'second' });
  t = await startTestBroker({
    env: { APPLIANCE_REQUEST_TIMEOUT_MS: '1500' },
    extraAppliances: [
      {
        id: 'west',
        name: 'West MP1000',
        baseUrl: second.url,
        kind: 'dsview',
        platform: 'MP1000',
        firmwareVersion: '3.33.8',
        credentials: { username: second.username, password: second.password },
        tls: { fingerprint256: second.fingerprint256 },
      },
    ],
  });
  t.broker.table.doc.middlewareStack.add(
    (next, context) => async (args) => {
      // The per-client rate-limit counter is the API's cost, not the sync's.
      const key = (args.input as { Key?: { pk?: string } }).Key;
      if (WRITE_COMMANDS.has(String(context.commandName)) && !key?.pk?.startsWith('RATE#')) writes++;
      return next(args);
    },
    { step: 'initialize', name: 'countWrites' },
  );
});
afterAll(async () => {
  await t?.close();
  await second?.close();
});

describe('inventory sync', () => {
  it('first sync adds every device of every appliance', async () => {
    const results = await sync();
    expect(resultFor(results, 'lab')).toMatchObject({
      status: 'ok',
      devices: t.sim.devices.length,
      added: t.sim.devices.length,
      updated: 0,
      removed: 0,
    });
    expect(resultFor(results, 'west')).toMatchObject({ status: 'ok', devices: 120, added: 120 });
  });

  it('an unchanged re-sync costs zero DynamoDB writes', async () => {
    const before = writes;
    const results = await sync();
    expect(results.every((r) => r.status === 'ok' && r.added + r.updated + r.removed === 0)).toBe(true);
    expect(writes - before).toBe(0);
  });

  it('detects renamed, added and removed devices', async () => {
    const original = t.sim.devices.map((d) => ({ ...d }));
    const [renamed, removed, ...rest] = original as [SimDevice, SimDevice, ...SimDevice[]];
    const added: SimDevice = {
      id: 'aaaaaaaa-0000-4000-8000-000000000001',
      device_name: 'rack99-new KVM',
      device_type_programmatic_name: 'ADX-IP-IQ',
    };
    t.sim.setDevices([{ ...renamed, device_name: `${renamed.device_name} (renamed)` }, ...rest, added]);
    try {
      const result = resultFor(await sync(), 'lab');
      expect(result).toMatchObject({ status: 'ok', added: 1, updated: 1, removed: 1 });
      const { seen } = await allPages(`applianceId=lab&limit=500`);
      expect(seen.map((d) => d.id)).not.toContain(removed.id);
      expect(seen.find((d) => d.id === renamed.id)?.name).toContain('(renamed)');
      expect(seen.map((d) => d.id)).toContain(added.id);
    } finally {
      t.sim.setDevices(original);
      await sync();
    }
  });

  it('an appliance failing mid-run reports an error and keeps its inventory; the others still sync', async () => {
    const before = (await allPages('applianceId=west&limit=500')).seen.length;
    second.failNext(10, { status: 500, endpoint: 'devices' });
    const results = await sync();
    second.failNext(0);
    const west = resultFor(results, 'west');
    expect(west.status).toBe('error');
    expect(west.error).toMatch(/west/);
    expect(west.error).not.toContain(second.password);
    expect(resultFor(results, 'lab').status).toBe('ok');
    expect((await allPages('applianceId=west&limit=500')).seen.length).toBe(before);
  });

  it('an appliance that is down changes nothing and recovers on the next run', async () => {
    await second.down();
    try {
      const west = resultFor(await sync(), 'west');
      expect(west.status).toBe('error');
      expect((await allPages('applianceId=west&limit=500')).seen.length).toBe(120);
    } finally {
      await second.up();
    }
    expect(resultFor(await sync(), 'west').status).toBe('ok');
  });

  it('two syncs at once are safe and leave the same inventory', async () => {
    const [a, b] = await Promise.all([sync(), sync()]);
    expect([...a, ...b].every((r) => r.status === 'ok')).toBe(true);
    const { seen } = await allPages('limit=500');
    expect(seen).toHaveLength(t.sim.devices.length + 120);
  });
});

describe('GET /v1/devices', () => {
  it('pages through everything in (appliance, name) order without duplicates or gaps', async () => {
    const { seen, pages } = await allPages('limit=7');
    expect(pages).toBeGreaterThan(10);
    expect(new Set(seen.map((d) => `${d.applianceId}/${d.id}`)).size).toBe(seen.length);
    expect(seen).toHaveLength(t.sim.devices.length + 120);
    const order = seen.map((d) => `${d.applianceId}\u0000${d.name.toLowerCase()}`);
    expect(order).toEqual([...order].sort());
  });

  it('filters by appliance, type, viewer type and name substring', async () => {
    const byType = (await allPages('type=ADX-IP-UHD&limit=50')).seen as { type: string }[];
    expect(byType.length).toBeGreaterThan(0);
    expect(byType.every((d) => d.type === 'ADX-IP-UHD')).toBe(true);
    const serial = (await allPages('viewerType=SERIAL&applianceId=lab')).seen as {
      viewerTypes: string[];
      applianceId: string;
    }[];
    expect(serial.every((d) => d.viewerTypes.includes('SERIAL') && d.applianceId === 'lab')).toBe(true);
    const q = (await allPages('q=RACK12-WEB')).seen as { name: string }[];
    expect(q.map((d) => d.name)).toEqual(['rack12-web01 KVM']);
    const byTypeText = (await allPages('q=virtual-machine&applianceId=lab')).seen as { type: string }[];
    expect(byTypeText.length).toBeGreaterThan(0);
    const device = (await allPages('q=RACK12-WEB')).seen[0] as unknown as { lastSeenAt: string };
    expect(Date.parse(device.lastSeenAt)).toBeGreaterThan(0);
  });

  it('respects the client allow-list', async () => {
    const outsider = await t.call('GET', '/v1/devices?limit=500', { key: t.keys.outsider });
    expect(outsider.status).toBe(200);
    expect(outsider.json.devices).toEqual([]);
    // Naming an appliance, as every route that names one: 403 outside the list, 404 when not registered.
    const named = await t.call('GET', '/v1/devices?applianceId=lab', { key: t.keys.outsider });
    expect(named.status, named.text).toBe(403);
    expect(named.json.type).toBe(problemType('forbidden'));
    const unknown = await t.call('GET', '/v1/devices?applianceId=nosuch', { key: t.keys.admin });
    expect(unknown.status, unknown.text).toBe(404);
    expect(unknown.json.type).toBe(problemType('appliance-not-found'));
  });

  it('a tampered or foreign cursor is a 400 naming cursor; a bad limit is a 400', async () => {
    const first = await t.call('GET', '/v1/devices?limit=2', { key: t.keys.admin });
    const cursor: string = first.json.nextCursor;
    const tampered = `${cursor.slice(0, -2)}${cursor.endsWith('A') ? 'B' : 'A'}A`;
    for (const bad of [tampered, 'junk', `${cursor}.x`]) {
      const response = await t.call('GET', `/v1/devices?cursor=${encodeURIComponent(bad)}`, {
        key: t.keys.admin,
      });
      expect(response.status).toBe(400);
      expect(response.json.type).toBe(problemType('invalid-input'));
      expect(response.json.errors[0].field).toBe('cursor');
    }
    for (const limit of ['0', '501', 'ten', '1.5']) {
      const response = await t.call('GET', `/v1/devices?limit=${limit}`, { key: t.keys.admin });
      expect(response.status).toBe(400);
      expect(response.json.errors[0].field).toBe('limit');
    }
  });
});

describe('generated inventories', () => {
  it('are deterministic per seed', () => {
    expect(generatedInventory(5, 'x')).toEqual(generatedInventory(5, 'x'));
  });
});
