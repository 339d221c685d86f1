import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../shared/config/file.js';
import { startVcenterSimulator, type VcenterSimulator } from '../../simulators/vcenter/simulator.js';
import { type BrokerFleet, spawnBrokerFleet } from '../support/processes.js';
import { vcenterAppliance } from '../support/sources.js';

/** One vCenter session serves every broker process: cold clicks across processes cost one vCenter login. */

let sim: VcenterSimulator;
let dir: string;
let fleet: BrokerFleet | undefined;
const apiKey = `proc-${randomBytes(24).toString('base64url')}`;

beforeAll(async () => {
  sim = await startVcenterSimulator();
  dir = await mkdtemp(join(tmpdir(), 'clb-vc-proc-'));
});
afterAll(async () => {
  await fleet?.stop();
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('vCenter across broker processes sharing one DynamoDB', () => {
  it('40 concurrent cold VMRC tickets across 2 processes cause exactly 1 vCenter login', async () => {
    const config: ConfigFile = {
      appliances: [vcenterAppliance(sim, { tls: { fingerprint256: sim.fingerprint256 } })],
      clients: [{ id: 'itsm', apiKey, scopes: ['tickets:create'], appliances: ['vc'] }],
    };
    fleet = await spawnBrokerFleet({ count: 2, config, configFile: join(dir, 'vcenter.json'), apiKey });
    // Each process also syncs the inventory at start, racing the burst for the first session.
    const responses = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const vm = i % 2 ? 'vm-42' : 'vm-43';
        const response = await fleet!.call(i, `/v1/appliances/vc/devices/${vm}/tickets`, {
          method: 'POST',
          body: JSON.stringify({ viewerType: 'VMRC' }),
        });
        return { status: response.status, body: JSON.parse(response.text) as { ticket: string } };
      }),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(201));
    expect(sim.counters.logins).toBe(1);
    const tickets = responses.map((r) => r.body.ticket);
    expect(new Set(tickets).size).toBe(40);
    expect(tickets.map((ticket) => sim.redeem(ticket))).toEqual(Array(40).fill('ok'));
  }, 120_000);
});
