import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../support/broker.js';

/** `POST /v1/inventory/sync` by an `admin` limited to some appliances touches only those (review L3). */

let t: TestBroker;
const LAB_ADMIN_KEY = `clb_lab_admin_${'s'.repeat(40)}`;

beforeAll(async () => {
  t = await startTestBroker({
    extraAppliances: [
      {
        id: 'other',
        name: 'Other MP1000',
        kind: 'dsview',
        baseUrl: 'https://127.0.0.1:9',
        platform: 'MP1000',
        firmwareVersion: '3.33.8',
        credentials: { username: 'u', password: 'p' },
        tls: { fingerprint256: Array.from({ length: 32 }, () => 'AB').join(':') },
      },
    ] as never,
  });
  await t.broker.clients.create({ id: 'lab-admin', scopes: ['admin'], appliances: ['lab'] }, LAB_ADMIN_KEY);
});
afterAll(async () => {
  await t?.close();
});

describe('POST /v1/inventory/sync and the admin allow-list', () => {
  it('an unrestricted admin syncs every appliance', async () => {
    const response = await t.call('POST', '/v1/inventory/sync', { key: t.keys.admin });
    expect(response.status).toBe(200);
    const ids = response.json.appliances.map((a: { applianceId: string }) => a.applianceId).sort();
    expect(ids).toEqual(['lab', 'other']);
  });

  it('a restricted admin syncs only its own appliances', async () => {
    const response = await t.call('POST', '/v1/inventory/sync', { key: LAB_ADMIN_KEY });
    expect(response.status).toBe(200);
    expect(response.json.appliances.map((a: { applianceId: string }) => a.applianceId)).toEqual(['lab']);
  });
});
