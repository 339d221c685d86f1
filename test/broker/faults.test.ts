import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DsviewClient } from '../../shared/appliances/dsview/client.js';
import {
  deviceOfType,
  mintTicket,
  problemType,
  startTestBroker,
  steppableClock,
  type TestBroker,
} from '../support/broker.js';

let t: TestBroker;
let deviceId: string;
/** Failure holds are timed by the broker clock: tests step past them instead of sleeping, so load cannot end them early. */
const clock = steppableClock();
const mint = () => mintTicket(t, deviceId, t.keys.admin);

beforeAll(async () => {
  t = await startTestBroker({
    simulator: { maxSessions: 2 },
    env: { CLIENT_RATE_LIMIT_PER_MINUTE: '100000' },
    clock: clock.now,
  });
  deviceId = deviceOfType(t.sim);
});
afterAll(async () => {
  await t?.close();
});

describe('refused credentials', () => {
  it('a burst against a refused password causes one login attempt, then a hold, then recovery', async () => {
    expect((await mint()).status).toBe(201);
    t.sim.forgetAllSessions();
    t.sim.rejectLogins(true);
    const before = t.sim.counters.failedLogins;
    const burst = await Promise.all(Array.from({ length: 20 }, () => mint()));
    for (const response of burst) {
      expect(response.status).toBe(502);
      expect(response.json.type).toBe(problemType('appliance-credentials-rejected'));
    }
    expect((await mint()).status).toBe(502);
    expect(t.sim.counters.failedLogins - before).toBe(1);
    t.sim.rejectLogins(false);
    clock.advance(31_000);
    expect((await mint()).status).toBe(201);
  });
});

describe('appliance session limit', () => {
  it('a full appliance is a 502 that says so, and the broker recovers once a session frees up', async () => {
    t.sim.forgetAllSessions();
    const others = [0, 1].map(
      () =>
        new DsviewClient({
          appliance: { id: 'other-tool', baseUrl: t.sim.url, tls: { caPem: t.sim.certPem } },
        }),
    );
    for (const other of others) await other.login({ username: t.sim.username, password: t.sim.password });
    const full = await mint();
    expect(full.status).toBe(502);
    expect(full.json.type).toBe(problemType('appliance-unavailable'));
    expect(full.json.detail).toContain('503');
    t.sim.forgetAllSessions();
    clock.advance(2_100);
    expect((await mint()).status).toBe(201);
    await Promise.all(others.map((other) => other.close()));
  });
});
