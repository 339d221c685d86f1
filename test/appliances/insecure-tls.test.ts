import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSettings } from '../../shared/config/settings.js';
import { putAppliance } from '../../shared/registry/admin.js';
import { deviceOfType, problemType, startTestBroker, type TestBroker } from '../support/broker.js';

/**
 * Review L5: the AWS stack sets ALLOW_INSECURE_APPLIANCES (false unless synthesized with
 * `-c allowInsecureAppliances=true`); the functions read it and refuse `tls.insecure` appliances before any
 * connection, with a 502 that names the setting. The local runtime allows them (test/local/config-revocation).
 */

describe('ALLOW_INSECURE_APPLIANCES', () => {
  it('is false unless exactly "true"', () => {
    expect(readSettings({ TABLE_NAME: 't' }).ALLOW_INSECURE_APPLIANCES).toBe(false);
    expect(
      readSettings({ TABLE_NAME: 't', ALLOW_INSECURE_APPLIANCES: 'false' }).ALLOW_INSECURE_APPLIANCES,
    ).toBe(false);
    expect(
      readSettings({ TABLE_NAME: 't', ALLOW_INSECURE_APPLIANCES: 'true' }).ALLOW_INSECURE_APPLIANCES,
    ).toBe(true);
    expect(() => readSettings({ TABLE_NAME: 't', ALLOW_INSECURE_APPLIANCES: 'yes' })).toThrow(
      /ALLOW_INSECURE_APPLIANCES/,
    );
  });
});

describe('a tls.insecure appliance where the deployment refuses it', () => {
  let t: TestBroker;
  beforeAll(async () => {
    t = await startTestBroker({ env: { ALLOW_INSECURE_APPLIANCES: 'false' } });
    // The same simulator registered a second time, without a pin.
    await putAppliance(
      t.broker,
      {
        id: 'open',
        name: 'Unpinned',
        kind: 'dsview',
        baseUrl: t.sim.url,
        platform: 'MP1000',
        firmwareVersion: '3.33.8',
        tls: { insecure: true },
      } as Parameters<typeof putAppliance>[1],
      { username: t.sim.username, password: t.sim.password },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is a 502 naming the setting, and no connection reaches it', async () => {
    const connections = t.sim.counters.tlsConnections;
    const logins = t.sim.counters.logins;
    for (const [method, path, body] of [
      ['GET', '/v1/appliances/open/devices', undefined],
      ['POST', `/v1/appliances/open/devices/${deviceOfType(t.sim)}/tickets`, { viewerType: 'KVM' }],
    ] as const) {
      const response = await t.call(method, path, { key: t.keys.admin, ...(body ? { body } : {}) });
      expect(response.status, path).toBe(502);
      expect(response.json.type).toBe(problemType('appliance-tls-failed'));
      expect(response.json.detail).toContain('ALLOW_INSECURE_APPLIANCES');
      expect(response.json.detail).toContain('tls.insecure');
    }
    expect(t.sim.counters.tlsConnections).toBe(connections);
    expect(t.sim.counters.logins).toBe(logins);
  });

  it('leaves pinned appliances alone', async () => {
    const response = await t.call('GET', '/v1/appliances/lab/devices', { key: t.keys.admin });
    expect(response.status).toBe(200);
  });
});
