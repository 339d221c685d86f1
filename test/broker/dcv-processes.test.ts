import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigFile } from '../../shared/config/file.js';
import { type DcvSimulator, startDcvSimulator } from '../../simulators/dcv/simulator.js';
import { openViewer } from '../support/broker.js';
import { type BrokerFleet, spawnBrokerFleet } from '../support/processes.js';
import { dcvAppliance } from '../support/sources.js';

/**
 * One DCV access token serves every broker process: 4 processes on one DynamoDB, 100 concurrent cold calls,
 * then 100 concurrent clicks on one link after the Session Manager revoked the token.
 */

const PROCESSES = 4;
const CALLS = 100;
let sim: DcvSimulator;
let dir: string;
let fleet: BrokerFleet | undefined;
const apiKey = `dcvproc-${randomBytes(24).toString('base64url')}`;

beforeAll(async () => {
  sim = await startDcvSimulator({ sessionCount: 40 });
  dir = await mkdtemp(join(tmpdir(), 'clb-dcv-proc-'));
});
afterAll(async () => {
  await fleet?.stop(10_000);
  await sim?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('DCV across broker processes sharing one DynamoDB', () => {
  it(`${CALLS} concurrent cold calls → 1 token request; ${CALLS} clicks after a revocation → 1 more`, async () => {
    const config: ConfigFile = {
      appliances: [dcvAppliance(sim, { tls: { fingerprint256: sim.fingerprint256 } })],
      clients: [{ id: 'itsm', apiKey, scopes: ['tickets:create', 'links:create'], appliances: ['dcv'] }],
    };
    fleet = await spawnBrokerFleet({
      count: PROCESSES,
      config,
      configFile: join(dir, 'dcv.json'),
      apiKey,
      spawn: { keepLines: 200 },
    });
    const call = fleet.call;
    const session = sim.sessions.find((candidate) => candidate.State === 'READY')!;

    // Cold: no counter reset, so each process's start-up inventory sync races the burst for the first token.
    const tickets = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        call(i, `/v1/appliances/dcv/devices/${session.Id}/tickets`, {
          method: 'POST',
          body: JSON.stringify({ viewerType: 'DCV' }),
        }),
      ),
    );
    expect(tickets.map((r) => r.status)).toEqual(Array(CALLS).fill(201));
    const coldTokenRequests = sim.counters.tokenRequests;
    expect(coldTokenRequests).toBe(1);
    const urls = tickets.map((r) => JSON.parse(r.text).launchUrl as string);
    expect(new Set(urls).size).toBe(CALLS);
    const opened = await Promise.all(urls.map((url) => openViewer(url)));
    expect(opened).toEqual(Array(CALLS).fill(200));

    const created = await call(0, '/v1/links', {
      method: 'POST',
      body: JSON.stringify({ applianceId: 'dcv', deviceId: session.Id, viewerType: 'DCV' }),
    });
    expect(created.status, created.text).toBe(201);
    const linkPath = new URL(JSON.parse(created.text).url as string).pathname;
    sim.revokeAllTokens();
    const clicks = await Promise.all(
      Array.from({ length: CALLS }, (_, i) => call(i, linkPath, { method: 'GET' })),
    );
    expect(clicks.map((r) => r.status)).toEqual(Array(CALLS).fill(302));
    expect(new Set(clicks.map((r) => r.location)).size).toBe(CALLS);
    expect(sim.counters.tokenRequests - coldTokenRequests).toBe(1);
    console.info(
      `dcv processes: ${coldTokenRequests} token request(s) for ${CALLS} cold calls across ${PROCESSES} processes; ` +
        `${sim.counters.tokenRequests - coldTokenRequests} for ${CALLS} clicks after a revocation`,
    );
  }, 180_000);
});
