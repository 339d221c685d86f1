import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../support/broker.js';

/** An `admin` client limited to some appliances reads only their audit events (review L3). */

let t: TestBroker;
const LAB_ADMIN_KEY = `clb_lab_admin_${'k'.repeat(40)}`;

beforeAll(async () => {
  t = await startTestBroker();
  await t.broker.clients.create({ id: 'lab-admin', scopes: ['admin'], appliances: ['lab'] }, LAB_ADMIN_KEY);
  for (const applianceId of ['lab', 'other']) {
    await t.broker.audit.record({
      applianceId,
      deviceId: 'd1',
      outcome: 'redirected',
      sourceIp: '192.0.2.7',
    });
  }
  await t.broker.audit.record({ outcome: 'not_found', sourceIp: '192.0.2.8' });
});
afterAll(async () => {
  await t?.close();
});

describe('GET /v1/audit and the admin allow-list', () => {
  it('an unrestricted admin sees every appliance and unknown-token events', async () => {
    const response = await t.call('GET', '/v1/audit?limit=500', { key: t.keys.admin });
    expect(response.status).toBe(200);
    const appliances = new Set(response.json.events.map((e: { applianceId?: string }) => e.applianceId));
    expect(appliances).toEqual(new Set(['lab', 'other', undefined]));
  });

  it("a restricted admin's unfiltered query returns only its appliances' events", async () => {
    const response = await t.call('GET', '/v1/audit?limit=500', { key: LAB_ADMIN_KEY });
    expect(response.status).toBe(200);
    const appliances = response.json.events.map((e: { applianceId?: string }) => e.applianceId);
    expect(appliances.length).toBeGreaterThan(0);
    expect(new Set(appliances)).toEqual(new Set(['lab']));
  });

  it('a restricted admin naming another appliance gets 403, its own 200', async () => {
    expect((await t.call('GET', '/v1/audit?applianceId=other', { key: LAB_ADMIN_KEY })).status).toBe(403);
    const own = await t.call('GET', '/v1/audit?applianceId=lab', { key: LAB_ADMIN_KEY });
    expect(own.status).toBe(200);
    expect(own.json.events.length).toBeGreaterThan(0);
  });
});
