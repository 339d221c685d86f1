import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DcvSimulator, generatedSessions, startDcvSimulator } from '../../simulators/dcv/simulator.js';
import { errorFields, openViewer, problemType, startTestBroker, type TestBroker } from '../support/broker.js';
import { dcvAppliance } from '../support/sources.js';

/**
 * The DCV provider behind the real handlers: tickets and links against the DCV Session Manager simulator, the
 * access token shared through DynamoDB, and `user` validated and audited.
 */

const SESSIONS = 2_500;
let t: TestBroker;
let sim: DcvSimulator;

const sessionAt = (index: number) => sim.sessions[index]!;
const ticket = (sessionId: string, body: Record<string, unknown>) =>
  t.call('POST', `/v1/appliances/dcv/devices/${sessionId}/tickets`, { key: t.keys.admin, body });
const link = async (body: Record<string, unknown>) => {
  const response = await t.call('POST', '/v1/links', {
    key: t.keys.admin,
    body: { applianceId: 'dcv', ...body },
  });
  expect(response.status, response.text).toBe(201);
  return new URL(response.json.url as string).pathname;
};

beforeAll(async () => {
  const sessions = generatedSessions(SESSIONS, 'broker');
  sessions[0]!.Tags.push({ Key: 'incident', Value: 'INC-4711' });
  sim = await startDcvSimulator({ sessions });
  t = await startTestBroker({
    extraAppliances: [dcvAppliance(sim, { name: 'DCV Session Manager' })],
  });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await sim?.close();
});

describe('DCV through the broker', () => {
  it('lists the kind and every one of 2,500 sessions (paged), with state, owner and viewer types', async () => {
    const appliances = await t.call('GET', '/v1/appliances', { key: t.keys.admin });
    expect(appliances.json.appliances).toContainEqual({
      id: 'dcv',
      name: 'DCV Session Manager',
      kind: 'dcv',
      viewerTypes: ['DCV', 'DCV_NATIVE'],
    });
    sim.resetCounters();
    const devices = await t.call('GET', '/v1/appliances/dcv/devices', { key: t.keys.admin });
    expect(devices.status, devices.text).toBe(200);
    expect(devices.json.devices).toHaveLength(SESSIONS);
    expect(sim.counters.describeCalls).toBe(3);
    const creating = devices.json.devices.find((d: { id: string }) => d.id === sessionAt(7).Id);
    expect(creating).toMatchObject({ state: 'CREATING', owner: sessionAt(7).Owner, viewerTypes: [] });
  });

  it('a ticket is the connection token and its web client URL, minted for the session owner', async () => {
    const session = sessionAt(0);
    const response = await ticket(session.Id, { viewerType: 'DCV' });
    expect(response.status, response.text).toBe(201);
    const { ticket: token, launchUrl, expiresAt } = response.json;
    expect(launchUrl).toBe(`${sim.url}/?authToken=${encodeURIComponent(token)}#${session.Id}`);
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now() + 50 * 60_000);
    expect(decodeJwt(token).sub).toBe(session.Owner);
    expect(await openViewer(launchUrl)).toBe(200);
  });

  it('user is validated, used, and recorded in audit; other kinds’ fields are refused by name', async () => {
    const session = sessionAt(1);
    const bad = await ticket(session.Id, { viewerType: 'DCV', user: 'alice smith' });
    expect(bad.status).toBe(400);
    expect(errorFields(bad)).toEqual(['user']);
    const foreign = await ticket(session.Id, { viewerType: 'DCV', sharingMode: 'ACTIVE' });
    expect(foreign.status).toBe(400);
    expect(errorFields(foreign)).toEqual(['sharingMode']);
    const kvm = await ticket(session.Id, { viewerType: 'KVM' });
    expect(errorFields(kvm)).toEqual(['viewerType']);

    const good = await ticket(session.Id, {
      viewerType: 'DCV_NATIVE',
      user: 'CORP\\auditor',
      reason: 'INC-9',
    });
    expect(good.status, good.text).toBe(201);
    expect(good.json.launchUrl.startsWith(`dcv://127.0.0.1:${sim.port}/?authToken=`)).toBe(true);
    expect(decodeJwt(good.json.ticket).sub).toBe('CORP\\auditor');
    const audit = await t.call('GET', '/v1/audit?applianceId=dcv&reason=INC-9', { key: t.keys.admin });
    expect(audit.json.events).toHaveLength(1);
    expect(audit.json.events[0]).toMatchObject({
      outcome: 'ticket_issued',
      deviceId: session.Id,
      viewerType: 'DCV_NATIVE',
      user: 'CORP\\auditor',
    });
    expect(JSON.stringify(audit.json)).not.toContain(good.json.ticket);
  });

  it('a session that is not READY is 409 naming its state, as a ticket and as a click; unknown is 404', async () => {
    const session = sessionAt(3);
    const path = await link({ deviceId: session.Id, viewerType: 'DCV' });
    sim.setState(session.Id, 'DELETING');
    try {
      const refused = await ticket(session.Id, { viewerType: 'DCV' });
      expect(refused.status, refused.text).toBe(409);
      expect(refused.json.type).toBe(problemType('device-unavailable'));
      expect(refused.json.detail).toContain('DELETING');
      const click = await t.call('GET', path);
      expect(click.status).toBe(409);
      expect(click.headers['content-type']).toContain('text/html');
    } finally {
      sim.setState(session.Id, 'READY');
    }
    const again = await t.call('GET', path);
    expect(again.status).toBe(302);
    const missing = await ticket('00000000-0000-4000-8000-000000000000', { viewerType: 'DCV' });
    expect(missing.status).toBe(404);
  });

  it('a click 302s to the web client with a fresh token each time (DCV), or to dcv:// (DCV_NATIVE)', async () => {
    const session = sessionAt(2);
    const web = await link({ deviceId: session.Id, viewerType: 'DCV', user: 'alice' });
    const first = await t.call('GET', web);
    const second = await t.call('GET', web);
    expect([first.status, second.status]).toEqual([302, 302]);
    expect(first.headers.location).not.toBe(second.headers.location);
    expect(first.headers.location!.startsWith(`${sim.url}/?authToken=`)).toBe(true);
    expect(first.headers.location!.endsWith(`#${session.Id}`)).toBe(true);
    const native = await t.call('GET', await link({ deviceId: session.Id, viewerType: 'DCV_NATIVE' }));
    expect(native.status).toBe(302);
    expect(native.headers.location!.startsWith(`dcv://127.0.0.1:${sim.port}/?authToken=`)).toBe(true);
  });

  it('an access token that expired or was revoked costs one new token and no error', async () => {
    const session = sessionAt(4);
    expect((await ticket(session.Id, { viewerType: 'DCV' })).status).toBe(201);
    for (const lapse of [() => sim.expireAllTokens(), () => sim.revokeAllTokens()]) {
      const before = sim.counters.tokenRequests;
      lapse();
      const statuses = await Promise.all(
        Array.from({ length: 10 }, async () => (await ticket(session.Id, { viewerType: 'DCV' })).status),
      );
      expect(statuses).toEqual(Array(10).fill(201));
      expect(sim.counters.tokenRequests - before).toBe(1);
    }
  });

  it('the inventory syncs every session and q= finds one by a tag value', async () => {
    const sync = await t.call('POST', '/v1/inventory/sync', { key: t.keys.admin });
    expect(sync.status, sync.text).toBe(200);
    const found = await t.call('GET', '/v1/devices?applianceId=dcv&q=inc-4711', { key: t.keys.admin });
    expect(found.status, found.text).toBe(200);
    expect(found.json.devices.map((d: { id: string }) => d.id)).toEqual([sessionAt(0).Id]);
    // Tags with several keys come back from the store in another order: unchanged is still unchanged.
    const again = await t.call('POST', '/v1/inventory/sync', { key: t.keys.admin });
    const dcv = again.json.appliances.find((r: { applianceId: string }) => r.applianceId === 'dcv');
    expect(dcv).toMatchObject({ status: 'ok', devices: SESSIONS, added: 0, updated: 0, removed: 0 });
  }, 60_000);
});
