import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorFields, problemType, startTestBroker, type TestBroker } from '../support/broker.js';

/**
 * Probing unknown device ids never turns into a stream of live listings: at most one per appliance per device
 * cache lifetime (60 s by default), whoever asks, with concurrent askers sharing one listing in flight.
 */

let t: TestBroker;
let now = Date.now();
const CACHE_MS = 60_000;
const ticketPath = (deviceId: string) => `/v1/appliances/lab/devices/${deviceId}/tickets`;
const probe = (deviceId: string, key: string) =>
  t.call('POST', ticketPath(deviceId), { key, body: { viewerType: 'KVM' } });

beforeAll(async () => {
  t = await startTestBroker({ clock: () => now });
});
afterAll(async () => {
  await t?.close();
});

describe('unknown device ids', () => {
  it('cost one live listing per cache lifetime, whoever asks, concurrent askers included', async () => {
    // One listing's cost in simulator list calls (a source may page or list per type).
    const start = t.sim.counters.deviceLists;
    expect((await t.call('GET', '/v1/appliances/lab/devices', { key: t.keys.reader })).status).toBe(200);
    const listing = t.sim.counters.deviceLists - start;
    expect(listing).toBeGreaterThan(0);

    now += CACHE_MS + 1_000;
    const before = t.sim.counters.deviceLists;
    const cold = await Promise.all(['ghost-1', 'ghost-2', 'ghost-3'].map((id) => probe(id, t.keys.operator)));
    for (const response of cold) {
      expect(response.status).toBe(404);
      expect(response.json.type).toBe(problemType('device-not-found'));
    }
    expect(t.sim.counters.deviceLists - before).toBe(listing);

    // Other ids, another client: the fresh listing answers, the appliance is not asked.
    for (const [id, key] of [
      ['ghost-4', t.keys.admin],
      ['ghost-5', t.keys.operator],
      ['ghost-1', t.keys.admin],
    ] as const) {
      expect((await probe(id, key)).status).toBe(404);
    }
    expect(t.sim.counters.deviceLists - before).toBe(listing);

    // Once the listing expires, the next unknown id costs one listing again.
    now += CACHE_MS + 1_000;
    expect((await probe('ghost-6', t.keys.admin)).status).toBe(404);
    expect(t.sim.counters.deviceLists - before).toBe(2 * listing);

    // A real device is still found from the same fresh listing, without asking the appliance.
    const real = t.sim.devices[0]!.id;
    const found = await t.call('POST', ticketPath(real), {
      key: t.keys.operator,
      body: { viewerType: 'KVM' },
    });
    expect(found.status).not.toBe(404);
    expect(t.sim.counters.deviceLists - before).toBe(2 * listing);
  });
});

describe('type query parameter', () => {
  for (const path of ['/v1/devices', '/v1/appliances/lab/devices']) {
    for (const type of ['a b', 'kvm', 'x;drop', '-LEADING-DASH', 'A'.repeat(65)]) {
      it(`${path}?type=${type.length > 20 ? `${type.slice(0, 8)}…` : type} is a 400 naming type`, async () => {
        const response = await t.call('GET', `${path}?type=${encodeURIComponent(type)}`, {
          key: t.keys.reader,
        });
        expect(response.status).toBe(400);
        expect(errorFields(response)).toEqual(['type']);
      });
    }
    it(`${path}?type=ADX-IP-IQ is accepted`, async () => {
      const response = await t.call('GET', `${path}?type=ADX-IP-IQ`, { key: t.keys.reader });
      expect(response.status).toBe(200);
    });
  }
});
