import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureKeys } from '../../infra/local/runtime.js';
import type { ConfigFile } from '../../shared/config/file.js';
import { startVcenterSimulator, type VcenterSimulator } from '../../simulators/vcenter/simulator.js';
import { useLocalAws } from '../support/aws.js';
import { type BrokerProcess, spawnBroker } from '../support/processes.js';

/** One vCenter session serves every broker process: cold clicks across processes cost one vCenter login. */

let sim: VcenterSimulator;
let dir: string;
const processes: BrokerProcess[] = [];
const apiKey = `proc-${randomBytes(24).toString('base64url')}`;

beforeAll(async () => {
  sim = await startVcenterSimulator();
  dir = await mkdtemp(join(tmpdir(), 'clb-vc-proc-'));
});
afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('vCenter across broker processes sharing one DynamoDB', () => {
  it('40 concurrent cold VMRC tickets across 2 processes cause exactly 1 vCenter login', async () => {
    const aws = await useLocalAws();
    const run = randomBytes(6).toString('hex');
    const env = {
      BROKER_DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
      BROKER_SECRETS_ENDPOINT: inject('secretsEndpoint'),
      BROKER_TABLE_NAME: aws.tableName,
      KEYS_SECRET_ID: `test/${run}/keys`,
      APPLIANCE_SECRET_PREFIX: `test/${run}/appliances/`,
      POWERTOOLS_LOG_LEVEL: 'WARN',
    };
    await ensureKeys(env.KEYS_SECRET_ID);
    const config: ConfigFile = {
      appliances: [
        {
          id: 'vc',
          name: 'vCenter',
          kind: 'vcenter',
          baseUrl: sim.url,
          tls: { fingerprint256: sim.fingerprint256 },
          credentials: { ...sim.credentials },
        },
      ],
      clients: [{ id: 'itsm', apiKey, scopes: ['tickets:create'], appliances: ['vc'] }],
    };
    const file = join(dir, 'vcenter.json');
    await writeFile(file, JSON.stringify(config));
    processes.push(...(await Promise.all([1, 2].map(() => spawnBroker({ ...env, BROKER_CONFIG: file })))));
    // Each process also syncs the inventory at start, racing the burst for the first session.
    const responses = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const target = processes[i % processes.length]!;
        const vm = i % 2 ? 'vm-42' : 'vm-43';
        const response = await request(`${target.url}/v1/appliances/vc/devices/${vm}/tickets`, {
          method: 'POST',
          headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ viewerType: 'VMRC' }),
        });
        return { status: response.statusCode, body: (await response.body.json()) as { ticket: string } };
      }),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(201));
    expect(sim.counters.logins).toBe(1);
    const tickets = responses.map((r) => r.body.ticket);
    expect(new Set(tickets).size).toBe(40);
    expect(tickets.map((ticket) => sim.redeem(ticket))).toEqual(Array(40).fill('ok'));
  }, 120_000);
});
