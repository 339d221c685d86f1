import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyConfig } from '../../shared/config/apply.js';
import { type ConfigFile, parseConfig } from '../../shared/config/file.js';
import {
  deviceOfType,
  labAppliance,
  mintTicket,
  problemType,
  startTestBroker,
  type TestBroker,
} from '../support/broker.js';

/**
 * A configuration applied again (every `npm start` with BROKER_CONFIG over a kept store): an appliance whose
 * credentials changed starts clean, without the refused-login hold the old password earned; an unchanged one
 * keeps its session (no new login at every start).
 */
let t: TestBroker;
beforeAll(async () => {
  t = await startTestBroker();
});
afterAll(async () => {
  await t?.close();
});

const withPassword = (password: string): ConfigFile => {
  const lab = labAppliance(t.sim);
  return parseConfig({
    appliances: [{ ...lab, credentials: { ...lab.credentials, password } }],
    clients: [
      { id: 'reapply', apiKey: `clb_reapply_${'k'.repeat(32)}`, scopes: ['admin'], appliances: ['*'] },
    ],
  });
};

describe('applying a configuration again', () => {
  it('a corrected password is used at once, not after the refused-login hold', async () => {
    const deviceId = deviceOfType(t.sim);
    expect((await mintTicket(t, deviceId)).status).toBe(201);
    await applyConfig(t.broker, withPassword('not-the-password'));
    const refused = await mintTicket(t, deviceId);
    expect(refused.status, refused.text).toBe(502);
    expect(refused.json.type).toBe(problemType('appliance-credentials-rejected'));
    // Held: without the fix, every call answers this for LOGIN_FAILURE_HOLD_SECONDS.
    expect((await mintTicket(t, deviceId)).status).toBe(502);

    await applyConfig(t.broker, withPassword(t.sim.password));
    const fixed = await mintTicket(t, deviceId);
    expect(fixed.status, fixed.text).toBe(201);
  });

  it('an unchanged appliance keeps its session: applying the same file again costs no login', async () => {
    const deviceId = deviceOfType(t.sim);
    expect((await mintTicket(t, deviceId)).status).toBe(201);
    const logins = t.sim.counters.logins;
    await applyConfig(t.broker, withPassword(t.sim.password));
    expect((await mintTicket(t, deviceId)).status).toBe(201);
    expect(t.sim.counters.logins).toBe(logins);
  });
});
