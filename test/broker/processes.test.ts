import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ConfigFile } from '../../shared/config/file.js';
import { type DsviewSimulator, startDsviewSimulator } from '../../simulators/dsview/simulator.js';
import { deviceOfType, openViewer } from '../support/broker.js';
import {
  type BrokerFleet,
  runBrokerExpectingFailure,
  spawnBroker,
  spawnBrokerFleet,
} from '../support/processes.js';

let sim: DsviewSimulator;
let dir: string;
const apiKey = `proc-${randomBytes(24).toString('base64url')}`;

const configFor = (s: DsviewSimulator, clients: ConfigFile['clients']): ConfigFile => ({
  appliances: [
    {
      id: 'lab',
      name: 'Lab',
      baseUrl: s.url,
      kind: 'dsview',
      platform: 'MP1000',
      firmwareVersion: '3.33.8',
      credentials: { username: s.username, password: s.password },
      tls: { fingerprint256: s.fingerprint256 },
    },
  ],
  clients,
});

beforeAll(async () => {
  sim = await startDsviewSimulator({ maxSessions: 4 });
  dir = await mkdtemp(join(tmpdir(), 'clb-proc-'));
});
afterAll(async () => {
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('several broker processes sharing one DynamoDB', () => {
  let fleet: BrokerFleet | undefined;
  afterAll(async () => {
    await fleet?.stop();
  });

  it('100 concurrent cold ticket requests across 4 processes cause exactly 1 appliance login', async () => {
    fleet = await spawnBrokerFleet({
      count: 4,
      config: configFor(sim, [{ id: 'itsm', apiKey, scopes: ['tickets:create'], appliances: ['lab'] }]),
      configFile: join(dir, 'shared.json'),
      apiKey,
    });
    const deviceId = deviceOfType(sim);
    // No counter reset: each process also syncs the inventory at start, racing the burst for the first
    // session, and every one of those callers must share a single appliance login.
    const responses = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const response = await fleet!.call(i, `/v1/appliances/lab/devices/${deviceId}/tickets`, {
          method: 'POST',
          body: JSON.stringify({ viewerType: 'KVM' }),
        });
        return {
          status: response.status,
          body: JSON.parse(response.text) as { ticket: string; launchUrl: string },
        };
      }),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(201));
    expect(sim.counters.logins).toBe(1);
    const tickets = new Set(responses.map((r) => r.body.ticket));
    expect(tickets.size).toBe(100);
    const opened = await Promise.all(responses.map((r) => openViewer(r.body.launchUrl)));
    expect(opened).toEqual(Array(100).fill(200));
    expect(await openViewer(responses[0]!.body.launchUrl)).toBe(400);
  }, 120_000);
});

describe('start-up', () => {
  it('an invalid configuration file stops the broker with a message naming the file and field', async () => {
    const file = join(dir, 'bad.json');
    const bad = configFor(sim, [{ id: 'x', apiKey: 'short', scopes: ['admin'], appliances: ['*'] }]);
    (bad.appliances[0] as { baseUrl: string }).baseUrl = 'http://10.0.0.5';
    await writeFile(file, JSON.stringify(bad));
    const { code, output } = await runBrokerExpectingFailure({
      BROKER_CONFIG: file,
      BROKER_DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
      BROKER_SECRETS_ENDPOINT: inject('secretsEndpoint'),
      BROKER_TABLE_NAME: `bad-${randomBytes(4).toString('hex')}`,
    });
    expect(code).toBe(1);
    expect(output).toContain(file);
    expect(output).toContain('appliances[0].baseUrl');
    expect(output).toContain('clients[0].apiKey');
    expect(output).not.toContain(sim.password);
  }, 60_000);

  it('a port already in use stops the broker with a message that says which and what to set', async () => {
    const occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
    const { port } = occupied.address() as AddressInfo;
    const file = join(dir, 'port.json');
    await writeFile(
      file,
      JSON.stringify(configFor(sim, [{ id: 'p', apiKey, scopes: ['admin'], appliances: ['*'] }])),
    );
    try {
      const { code, output } = await runBrokerExpectingFailure({
        BROKER_CONFIG: file,
        PORT: String(port),
        BROKER_DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
        BROKER_SECRETS_ENDPOINT: inject('secretsEndpoint'),
        BROKER_TABLE_NAME: `port-${randomBytes(4).toString('hex')}`,
      });
      expect(code).toBe(1);
      expect(output).toContain(`cannot listen on 127.0.0.1:${port}: the port is in use`);
      expect(output).toContain('set PORT');
    } finally {
      occupied.close();
    }
  }, 60_000);

  it('with BROKER_DATA_DIR, clients, appliances and links survive a restart', async () => {
    const dataDir = join(dir, 'data');
    const first = join(dir, 'first.json');
    const keyA = `keep-${randomBytes(24).toString('base64url')}`;
    await writeFile(
      first,
      JSON.stringify(configFor(sim, [{ id: 'a', apiKey: keyA, scopes: ['admin'], appliances: ['*'] }])),
    );
    const env = { BROKER_DATA_DIR: dataDir, POWERTOOLS_LOG_LEVEL: 'WARN' };
    const one = await spawnBroker({ ...env, BROKER_CONFIG: first });
    const deviceId = deviceOfType(sim);
    const created = await request(`${one.url}/v1/links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: JSON.stringify({ applianceId: 'lab', deviceId, viewerType: 'KVM' }),
    });
    expect(created.statusCode).toBe(201);
    const link = (await created.body.json()) as { url: string };
    expect(await one.stop()).toBe(0);

    const second = join(dir, 'second.json');
    const keyB = `other-${randomBytes(24).toString('base64url')}`;
    await writeFile(
      second,
      JSON.stringify({
        // Client a stays listed: a client the file no longer lists is revoked (test/local/config-revocation).
        ...configFor(sim, [
          { id: 'a', apiKey: keyA, scopes: ['admin'], appliances: ['*'] },
          { id: 'b', apiKey: keyB, scopes: ['admin'], appliances: ['*'] },
        ]),
      }),
    );
    const two = await spawnBroker({ ...env, BROKER_CONFIG: second });
    try {
      const devices = await request(`${two.url}/v1/appliances/lab/devices`, {
        headers: { authorization: `Bearer ${keyA}` },
      });
      expect(devices.statusCode).toBe(200);
      await devices.body.dump();
      const path = new URL(link.url).pathname;
      const click = await request(`${two.url}${path}`, { method: 'GET' });
      await click.body.dump();
      expect(click.statusCode).toBe(302);
    } finally {
      expect(await two.stop()).toBe(0);
    }
  }, 120_000);
});
