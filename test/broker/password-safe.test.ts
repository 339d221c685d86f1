import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PasswordSafeSimulator,
  startPasswordSafeSimulator,
} from '../../simulators/password-safe/simulator.js';
import { newLink, problemType, startTestBroker, type TestBroker } from '../support/broker.js';
import { passwordSafeAppliance } from '../support/sources.js';

/**
 * Password Safe through the whole broker (DynamoDB Local, sealed sessions, links and the ticket API) against
 * the simulator: the approval wait on a single-use link, reuse of a pending request, a denial, a lapsed cookie,
 * and one sign-in for a burst of cold clicks.
 */

const PAM = 'pam';
/** WIN-DC01\Administrator: released at once. */
const AUTO_RDP = '1.11';
/** WIN-DC01\svc-backup, WIN-APP02\Administrator, web-01\root: each waits for an approver. */
const APPROVAL_RDP = '1.12';
const APPROVAL_RDP_SHORT = '2.21';
const APPROVAL_SSH = '3.31';

let ps: PasswordSafeSimulator;
let t: TestBroker;

beforeAll(async () => {
  ps = await startPasswordSafeSimulator();
  t = await startTestBroker({
    extraAppliances: [passwordSafeAppliance(ps, { id: PAM, name: 'Lab Password Safe' })],
  });
});
afterAll(async () => {
  await t?.close();
  await ps?.close();
});

const ticket = (deviceId: string, body: Record<string, unknown>) =>
  t.call('POST', `/v1/appliances/${PAM}/devices/${deviceId}/tickets`, { key: t.keys.admin, body });

const link = (deviceId: string, viewerType: string, singleUse: boolean) =>
  newLink(t, { applianceId: PAM, deviceId, viewerType, singleUse }, t.keys.admin);

/** Every secret the simulator issued (cookies, tickets, RDP files) and the API key. */
const secrets = () => [...ps.secretsIssued(), ps.credentials.apiKey!].filter((s) => s.length >= 8);

describe('Password Safe through the broker', () => {
  it('a single-use link waits for approval (202, nothing used up), then downloads the RDP file once', async () => {
    const { path } = await link(APPROVAL_RDP, 'RDP', true);
    const waiting = await t.call('GET', path);
    expect(waiting.status, waiting.text).toBe(202);
    expect(waiting.headers['content-type']).toMatch(/^text\/html/);
    expect(waiting.headers.refresh).toBe('30');
    expect(waiting.headers['retry-after']).toBe('30');
    const requestId = Number(/request (\d+)/.exec(waiting.text)?.[1]);
    expect(ps.requestState(requestId)).toBe('pending');

    const stillWaiting = await t.call('GET', path);
    expect(stillWaiting.status).toBe(202);
    expect(ps.counters.accessRequests).toBeGreaterThanOrEqual(1);

    ps.approve(requestId);
    const opened = await t.call('GET', path);
    expect(opened.status, opened.text).toBe(200);
    expect(opened.headers['content-type']).toBe('application/x-rdp');
    expect(opened.headers['content-disposition']).toBe('attachment; filename="WIN-DC01.rdp"');
    expect(opened.headers['cache-control']).toMatch(/no-store/);
    expect(opened.text).toContain('full address:s:');
    expect(ps.secretsIssued()).toContain(opened.text);

    const again = await t.call('GET', path);
    expect(again.status).toBe(410);
  });

  it('the ticket API answers 202 while pending and reuses the same access request when called again', async () => {
    const before = ps.counters.accessRequests;
    const first = await ticket(APPROVAL_RDP_SHORT, { viewerType: 'RDP', reason: 'INC0012345' });
    expect(first.status, first.text).toBe(202);
    expect(first.json).toEqual({
      status: 'pending-approval',
      requestId: expect.stringMatching(/^\d+$/),
      retryAfterSeconds: 30,
    });
    expect(first.headers['retry-after']).toBe('30');
    const second = await ticket(APPROVAL_RDP_SHORT, { viewerType: 'RDP', reason: 'INC0012345' });
    expect(second.status).toBe(202);
    expect(second.json.requestId).toBe(first.json.requestId);
    expect(ps.counters.accessRequests - before).toBe(1);

    ps.approve(Number(first.json.requestId));
    const issued = await ticket(APPROVAL_RDP_SHORT, { viewerType: 'RDP', reason: 'INC0012345' });
    expect(issued.status, issued.text).toBe(201);
    expect(issued.json).toMatchObject({ host: '127.0.0.1', port: 4489, ticket: expect.any(String) });
    expect(issued.json.rdpFile).toContain(`username:s:${issued.json.ticket}`);
    expect(ps.counters.accessRequests - before).toBe(1);
  });

  it('a warm ticket call audits its access request in one write (the client knew the request beforehand)', async () => {
    const first = await ticket(AUTO_RDP, { viewerType: 'RDP' });
    expect(first.status, first.text).toBe(201);
    const auditWrites: unknown[] = [];
    const doc = t.broker.table.doc;
    const send = doc.send.bind(doc);
    doc.send = ((command: { input: { Item?: Record<string, unknown> } }) => {
      if (command.input.Item?.pk === 'AUDIT') auditWrites.push(command.input.Item.event);
      return send(command as never);
    }) as typeof doc.send;
    try {
      const warm = await ticket(AUTO_RDP, { viewerType: 'RDP' });
      expect(warm.status, warm.text).toBe(201);
    } finally {
      doc.send = send;
    }
    expect(auditWrites).toHaveLength(1);
    expect(auditWrites[0]).toMatchObject({
      outcome: 'ticket_issued',
      sourceRef: expect.stringMatching(/^\d+$/),
    });
  });

  it('an SSH ticket carries the command and the ssh:// URL', async () => {
    const issued = await ticket('3.32', { viewerType: 'SSH' });
    expect(issued.status, issued.text).toBe(201);
    const { ticket: secret, host, port } = issued.json;
    expect(issued.json.launchUrl).toBe(`ssh://${secret}@${host}:${port}`);
    expect(issued.json.command).toBe(`ssh -p ${port} ${secret}@${host}`);
  });

  it('a denied request is 409 device-unavailable naming the denial', async () => {
    const pending = await ticket(APPROVAL_SSH, { viewerType: 'SSH' });
    expect(pending.status, pending.text).toBe(202);
    ps.deny(Number(pending.json.requestId));
    const denied = await ticket(APPROVAL_SSH, { viewerType: 'SSH' });
    expect(denied.status, denied.text).toBe(409);
    expect(denied.json.type).toBe(problemType('device-unavailable'));
    expect(denied.json.detail).toMatch(/denied/);
  });

  it('a viewer type the platform does not offer is a 400 naming viewerType, before any request is filed', async () => {
    const before = ps.counters.accessRequests;
    const refused = await ticket(AUTO_RDP, { viewerType: 'SSH' });
    expect(refused.status).toBe(400);
    expect(refused.json.errors.map((e: { field: string }) => e.field)).toEqual(['viewerType']);
    expect(ps.counters.accessRequests).toBe(before);
  });

  it('a cookie the source closed for idleness is invisible to callers: one new sign-in', async () => {
    expect((await ticket(AUTO_RDP, { viewerType: 'RDP' })).status).toBe(201);
    const logins = ps.counters.logins;
    ps.expireIdleSessions();
    const after = await ticket(AUTO_RDP, { viewerType: 'RDP' });
    expect(after.status, after.text).toBe(201);
    expect(ps.counters.logins - logins).toBe(1);
  });

  it('50 concurrent cold clicks sign in once (in one process) and all open the console', async () => {
    const { path } = await link(AUTO_RDP, 'RDP', false);
    await t.broker.sessions.forget(PAM);
    ps.forgetAllSessions();
    const logins = ps.counters.logins;
    const answers = await Promise.all(Array.from({ length: 50 }, () => t.call('GET', path)));
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    expect(ps.counters.logins - logins).toBe(1);
  });

  it('an unchanged re-sync of the managed accounts rewrites none of them', async () => {
    const sync = async () => {
      const response = await t.call('POST', '/v1/inventory/sync', { key: t.keys.admin });
      expect(response.status, response.text).toBe(200);
      return response.json.appliances.find((r: { applianceId: string }) => r.applianceId === PAM);
    };
    const first = await sync();
    expect(first).toMatchObject({ status: 'ok' });
    expect(first.devices).toBeGreaterThan(0);
    expect(await sync()).toMatchObject({ status: 'ok', added: 0, updated: 0, removed: 0 });
  });

  it('no log line carries the API key, a cookie, a ticket or an RDP file', () => {
    const log = t.output.join('');
    for (const secret of secrets()) expect(log).not.toContain(secret);
  });
});
