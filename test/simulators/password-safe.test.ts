import { X509Certificate } from 'node:crypto';
import { Agent, fetch } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  BASE_PATH,
  type PasswordSafeSimulator,
  type PasswordSafeSimulatorOptions,
  psAuthHeader,
  startPasswordSafeSimulator,
} from '../../simulators/password-safe/simulator.js';
import {
  type Answer,
  callSimulator,
  manualClock,
  pinnedAgent,
  pinnedTestAgent,
  startSimulatorMain,
  terminate,
} from '../support/simulator-http.js';

interface CallInit {
  method?: string;
  body?: unknown;
  cookie?: string;
  authorization?: string;
}

/** A test's view of one simulator: a pinned HTTPS agent and helpers that speak its API. */
interface Harness {
  sim: PasswordSafeSimulator;
  agent: Agent;
  call(path: string, init?: CallInit): Promise<Answer>;
  api(path: string, init?: CallInit): Promise<Answer>;
  signIn(credentials?: { apiKey: string; runAs: string; password?: string }): Promise<string>;
  request(body: Record<string, unknown>, cookie: string): Promise<Answer>;
  session(requestId: number, sessionType: string, cookie: string): Promise<Answer>;
}

const FACT_SHEET_ACCOUNT_FIELDS = [
  'PlatformID',
  'SystemId',
  'SystemName',
  'DomainName',
  'AccountId',
  'AccountName',
  'InstanceName',
  'UserPrincipalName',
  'ApplicationID',
  'ApplicationDisplayName',
  'DefaultReleaseDuration',
  'MaximumReleaseDuration',
  'LastChangeDate',
  'NextChangeDate',
  'IsChanging',
  'ChangeState',
  'IsISAAccess',
  'PreferredNodeID',
  'AccountDescription',
].sort();

async function start(options: PasswordSafeSimulatorOptions = {}): Promise<Harness> {
  const sim = await startPasswordSafeSimulator(options);
  const agent = pinnedTestAgent(sim);
  const call = async (path: string, init: CallInit = {}): Promise<Answer> => {
    const headers: Record<string, string> = {};
    if (init.cookie) headers['cookie'] = init.cookie;
    if (init.authorization) headers['authorization'] = init.authorization;
    return callSimulator(sim, path, {
      method: init.method ?? 'GET',
      headers,
      json: init.body,
      dispatcher: agent,
    });
  };
  const api = (path: string, init?: CallInit) => call(`${BASE_PATH}/${path}`, init);
  const harness: Harness = {
    sim,
    agent,
    call,
    api,
    async signIn(credentials = sim.credentials as { apiKey: string; runAs: string }) {
      const answer = await api('Auth/SignAppin', {
        method: 'POST',
        authorization: psAuthHeader(credentials),
      });
      expect(answer.status).toBe(200);
      const cookie = /^(ASP\.NET_SessionId=[^;]+)/.exec(answer.headers.get('set-cookie') ?? '')?.[1];
      if (!cookie) throw new Error('no session cookie');
      return cookie;
    },
    request: (body, cookie) =>
      api('Requests', {
        method: 'POST',
        cookie,
        body: { DurationMinutes: 60, Reason: 'INC0012345', ...body },
      }),
    session: (requestId, sessionType, cookie) =>
      api(`Requests/${requestId}/Sessions`, {
        method: 'POST',
        cookie,
        body: { SessionType: sessionType, NodeID: null },
      }),
  };
  return harness;
}

/** Files a request and returns its id, failing the test unless the simulator answered 201 with a bare number. */
async function requestId(h: Harness, body: Record<string, unknown>, cookie: string): Promise<number> {
  const answer = await h.request(body, cookie);
  expect(answer.status, answer.text).toBe(201);
  const id = answer.json<number>();
  expect(typeof id).toBe('number');
  return id;
}

// Account keys of the standard inventory (SystemId.AccountId).
const WIN_AUTO = { SystemID: 1, AccountID: 11, AccessType: 'RDP' };
const WIN_APPROVAL = { SystemID: 1, AccountID: 12, AccessType: 'RDP' };
const WIN_SHORT_MAX = { SystemID: 2, AccountID: 21, AccessType: 'RDP' };
const LINUX_AUTO = { SystemID: 3, AccountID: 32, AccessType: 'SSH' };

describe('Auth/SignAppin', () => {
  it('answers the user and an ASP.NET session cookie, over a certificate the broker can pin', async () => {
    const h = await start({ runAs: 'svc-broker' });
    const answer = await h.api('Auth/SignAppin', {
      method: 'POST',
      authorization: psAuthHeader(h.sim.credentials as { apiKey: string; runAs: string }),
    });
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ UserId: 2, UserName: 'svc-broker' });
    expect(Object.keys(answer.json()).sort()).toEqual(['EmailAddress', 'Name', 'UserId', 'UserName']);
    expect(answer.headers.get('set-cookie')).toMatch(
      /^ASP\.NET_SessionId=[a-z0-5]{24}; path=\/; secure; HttpOnly/,
    );
    expect(h.sim.fingerprint256).toBe(new X509Certificate(h.sim.certPem).fingerprint256);
    expect(h.sim.credentials).toEqual({
      apiKey: expect.stringMatching(/^[0-9a-f]{128}$/),
      runAs: 'svc-broker',
    });
    expect(h.sim.counters).toMatchObject({ logins: 1, signIns: 1, failedLogins: 0 });
  });

  it('accepts the header without the trailing semicolon and a domain run-as user', async () => {
    const h = await start({ runAs: 'doe-main\\johndoe', apiKey: 'k'.repeat(128) });
    const answer = await h.api('Auth/SignAppin', {
      method: 'POST',
      authorization: `PS-Auth key=${'k'.repeat(128)}; runas=doe-main\\johndoe`,
    });
    expect(answer.status).toBe(200);
  });

  it('answers 401 to a missing, malformed or wrong header, without echoing it', async () => {
    const h = await start({ apiKey: 'a'.repeat(128), runAs: 'svc' });
    const key = 'a'.repeat(128);
    const headers = [
      undefined,
      `Basic ${Buffer.from('svc:pw').toString('base64')}`,
      `PS-Auth key=${key}`,
      `PS-Auth runas=svc; key=${key};`,
      `PS-Auth key=${key}; runas=;`,
      `PS-Auth key=${'b'.repeat(128)}; runas=svc;`,
      `PS-Auth key=${key}; runas=other;`,
      `Bearer ${key}`,
    ];
    for (const authorization of headers) {
      const answer = await h.api('Auth/SignAppin', {
        method: 'POST',
        ...(authorization ? { authorization } : {}),
      });
      expect(answer.status, authorization).toBe(401);
      expect(answer.headers.get('set-cookie')).toBeNull();
      expect(answer.text).not.toContain(key);
    }
    expect(h.sim.counters).toMatchObject({ logins: 0, failedLogins: headers.length });
  });

  it('requires pwd=[...] when the registration requires the password, even one holding ; and ]', async () => {
    const password = 'p;w]d [x';
    const h = await start({ password, runAs: 'svc' });
    expect(h.sim.credentials['password']).toBe(password);
    const { apiKey, runAs } = h.sim.credentials as { apiKey: string; runAs: string };
    for (const authorization of [
      psAuthHeader({ apiKey, runAs }),
      psAuthHeader({ apiKey, runAs, password: 'wrong' }),
      `PS-Auth key=${apiKey}; runas=${runAs}; pwd=${password};`,
    ]) {
      const answer = await h.api('Auth/SignAppin', { method: 'POST', authorization });
      expect(answer.status).toBe(401);
      expect(answer.text).not.toContain(password);
    }
    await h.signIn({ apiKey, runAs, password });
  });
});

describe('cookie sessions', () => {
  it('are the only authentication after SignAppin: the PS-Auth header alone or an unknown cookie is a 401', async () => {
    const h = await start();
    const authorization = psAuthHeader(h.sim.credentials as { apiKey: string; runAs: string });
    expect((await h.api('ManagedAccounts')).status).toBe(401);
    expect((await h.api('ManagedAccounts', { authorization })).status).toBe(401);
    expect(
      (await h.api('ManagedAccounts', { cookie: 'ASP.NET_SessionId=abcdefabcdefabcdefabcdef' })).status,
    ).toBe(401);
    const cookie = await h.signIn();
    expect((await h.api('ManagedAccounts', { cookie: `other=1; ${cookie}` })).status).toBe(200);
    const denied = await h.api('ManagedAccounts');
    expect(denied.json()).toEqual({ Message: 'Authorization has been denied for this request.' });
  });

  it('close after the idle timeout (20 minutes by default), and every use restarts the idle clock', async () => {
    const clock = manualClock();
    const h = await start({ now: clock.now });
    const cookie = await h.signIn();
    clock.advance(1199_000);
    expect((await h.api('ManagedAccounts', { cookie })).status).toBe(200);
    clock.advance(1199_000);
    expect((await h.api('ManagedAccounts', { cookie })).status).toBe(200);
    clock.advance(1200_000);
    expect((await h.api('ManagedAccounts', { cookie })).status).toBe(401);
    // Closed for good: moving the clock back does not revive it.
    clock.advance(-1200_000);
    expect((await h.api('ManagedAccounts', { cookie })).status).toBe(401);
  });

  it('honour a configured idle timeout', async () => {
    const clock = manualClock();
    const h = await start({ now: clock.now, idleTimeoutSeconds: 60 });
    const cookie = await h.signIn();
    clock.advance(60_000);
    expect((await h.api('ManagedAccounts', { cookie })).status).toBe(401);
  });

  it('end on Signout (also spelled auth/signout), forgetAllSessions and expireIdleSessions', async () => {
    const h = await start();
    const first = await h.signIn();
    expect((await h.api('Auth/Signout', { method: 'POST', cookie: first })).status).toBe(200);
    expect((await h.api('ManagedAccounts', { cookie: first })).status).toBe(401);
    const second = await h.signIn();
    expect(
      (await h.call('/beyondtrust/api/public/v3/auth/signout', { method: 'POST', cookie: second })).status,
    ).toBe(200);
    expect((await h.api('Auth/Signout', { method: 'POST', cookie: second })).status).toBe(401);
    expect(h.sim.counters.signOuts).toBe(2);

    const third = await h.signIn();
    h.sim.forgetAllSessions();
    expect((await h.api('ManagedAccounts', { cookie: third })).status).toBe(401);
    const fourth = await h.signIn();
    h.sim.expireIdleSessions();
    expect((await h.api('ManagedAccounts', { cookie: fourth })).status).toBe(401);
    const fifth = await h.signIn();
    h.sim.applyFaults({ forgetAllSessions: true });
    expect((await h.api('ManagedAccounts', { cookie: fifth })).status).toBe(401);
  });
});

describe('ManagedAccounts', () => {
  it("lists API-enabled accounts on Windows, Linux, network and unknown platforms with the fact sheet's fields", async () => {
    const h = await start();
    const cookie = await h.signIn();
    const answer = await h.api('ManagedAccounts', { cookie });
    expect(answer.status).toBe(200);
    const accounts = answer.json<Record<string, unknown>[]>();
    for (const account of accounts) expect(Object.keys(account).sort()).toEqual(FACT_SHEET_ACCOUNT_FIELDS);
    expect(new Set(accounts.map((a) => a.PlatformID))).toEqual(new Set([1, 2, 5, 87]));
    expect(new Set(accounts.map((a) => a.SystemId)).size).toBeGreaterThanOrEqual(4);
    expect(accounts.find((a) => a.AccountName === 'IBMUSER')).toBeUndefined();
    expect(accounts.find((a) => a.SystemId === 1 && a.AccountId === 11)).toMatchObject({
      SystemName: 'WIN-DC01',
      DomainName: 'corp.example',
      MaximumReleaseDuration: 525,
    });
    expect(h.sim.counters.lists).toBe(1);
  });

  it('answers one object when both systemName and accountName are given, and filters by systemID', async () => {
    const h = await start();
    const cookie = await h.signIn();
    const one = await h.api('ManagedAccounts?systemName=web-01.corp.example&accountName=root', { cookie });
    expect(one.json()).toMatchObject({ SystemId: 3, AccountId: 31, PlatformID: 2 });
    const bySystem = await h.api('ManagedAccounts?systemID=1', { cookie });
    expect(bySystem.json<{ AccountId: number }[]>().map((a) => a.AccountId)).toEqual([11, 12]);
    expect((await h.api('ManagedAccounts?systemName=nope&accountName=root', { cookie })).status).toBe(404);
  });
});

describe('Requests and Sessions', () => {
  it('releases an auto-approved Linux account as an sshticket session', async () => {
    const h = await start();
    const cookie = await h.signIn();
    const id = await requestId(h, LINUX_AUTO, cookie);
    const answer = await h.session(id, 'sshticket', cookie);
    expect(answer.status).toBe(201);
    const body = answer.json<Record<string, unknown>>();
    expect(Object.keys(body).sort()).toEqual(
      ['Command', 'Host', 'ID', 'Link', 'NodeID', 'Port', 'SessionID', 'Ticket', 'TicketAtHost'].sort(),
    );
    expect(body).toMatchObject({ Host: '127.0.0.1', Port: '4422' });
    expect(body['Command']).toBe(`ssh -p 4422 ${body['Ticket']}@127.0.0.1`);
    expect(h.sim.counters).toMatchObject({ accessRequests: 1, launches: 1, sessions: 1 });
  });

  it('answers an rdpfile session with an .rdp attachment that carries a ticket', async () => {
    const h = await start();
    const cookie = await h.signIn();
    const id = await requestId(h, WIN_AUTO, cookie);
    const answer = await h.session(id, 'rdpfile', cookie);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('content-type')).toBe('application/x-rdp');
    expect(answer.headers.get('content-disposition')).toBe('attachment; filename="WIN-DC01.rdp"');
    expect(answer.text).toContain('full address:s:127.0.0.1:4489\r\n');
    const ticket = /username:s:([0-9a-f]+)/.exec(answer.text)?.[1] ?? '';
    expect(h.sim.redeem(ticket)).toMatchObject({ ok: true, requestId: id, accountKey: '1.11' });
    const rdp = await h.session(id, 'rdpticket', cookie);
    expect(Object.keys(rdp.json()).sort()).toEqual(['Host', 'ID', 'NodeID', 'Port', 'SessionID', 'Ticket']);
  });

  it('answers 403 4034 until an approval-required request is approved', async () => {
    const h = await start();
    const cookie = await h.signIn();
    const id = await requestId(h, WIN_APPROVAL, cookie);
    expect(h.sim.requestState(id)).toBe('pending');
    const pending = await h.session(id, 'rdpfile', cookie);
    expect(pending.status).toBe(403);
    expect(pending.json()).toBe('4034 - Request is not yet approved');
    expect((await h.api('Requests', { cookie })).json()).toEqual([
      expect.objectContaining({
        RequestID: id,
        SystemID: 1,
        AccountID: 12,
        Status: 'Pending',
        ApprovedDate: null,
      }),
    ]);
    h.sim.approve(id);
    expect((await h.session(id, 'rdpfile', cookie)).status).toBe(201);
    expect(h.sim.counters).toMatchObject({ launchRefusals: 1, launches: 1 });
  });

  it('answers the bare code when configured to, and refuses denied requests with a message', async () => {
    const h = await start({ errorBody: 'code' });
    const cookie = await h.signIn();
    const id = await requestId(h, WIN_APPROVAL, cookie);
    expect((await h.session(id, 'rdpfile', cookie)).text).toBe('4034');
    const denied = await h.call('/__sim/deny', { method: 'POST', body: { requestId: id } });
    expect(denied.status).toBe(204);
    const refused = await h.session(id, 'rdpfile', cookie);
    expect(refused.status).toBe(403);
    expect(refused.json()).toBe('Request has been denied');
    expect(() => h.sim.approve(id)).toThrow(/denied/);
  });

  it('follows setApprovalRequired for requests filed afterwards', async () => {
    const h = await start();
    const cookie = await h.signIn();
    h.sim.setApprovalRequired('3.32', true);
    const id = await requestId(h, LINUX_AUTO, cookie);
    expect(h.sim.requestState(id)).toBe('pending');
    const approved = await h.call('/__sim/approve', { method: 'POST', body: { requestId: id } });
    expect(approved.status).toBe(204);
    expect(h.sim.requestState(id)).toBe('approved');
    expect(() => h.sim.setApprovalRequired('9.9', true)).toThrow();
  });

  it('answers 409 4091 to a second live request, reuses it with ConflictOption reuse, replaces it with renew', async () => {
    const h = await start();
    const cookie = await h.signIn();
    const first = await requestId(h, WIN_APPROVAL, cookie);
    const conflict = await h.request(WIN_APPROVAL, cookie);
    expect(conflict.status).toBe(409);
    expect(conflict.json()).toBe('4091 - Conflicting request exists');
    expect(await requestId(h, { ...WIN_APPROVAL, ConflictOption: 'reuse' }, cookie)).toBe(first);
    const renewed = await requestId(h, { ...WIN_APPROVAL, ConflictOption: 'renew' }, cookie);
    expect(renewed).not.toBe(first);
    expect(h.sim.requestState(first)).toBe('cancelled');
    expect((await h.session(first, 'rdpfile', cookie)).json()).toBe('Request has been canceled');
    expect(h.sim.counters.accessRequests).toBe(2);
    h.sim.cancel(renewed);
    expect(h.sim.requestState(renewed)).toBe('cancelled');
    expect(() => h.sim.cancel(renewed)).toThrow(/cancelled/);
    // A request for another account is no conflict.
    await requestId(h, WIN_AUTO, cookie);
  });

  it('renews instead of answering 409 when conflictDefault is renew', async () => {
    const h = await start({ conflictDefault: 'renew' });
    const cookie = await h.signIn();
    const first = await requestId(h, WIN_AUTO, cookie);
    expect(await requestId(h, WIN_AUTO, cookie)).not.toBe(first);
  });

  it('refuses DurationMinutes above MaximumReleaseDuration, or caps it when configured', async () => {
    const clock = manualClock();
    const strict = await start({ now: clock.now });
    const cookie = await strict.signIn();
    const refused = await strict.request({ ...WIN_SHORT_MAX, DurationMinutes: 61 }, cookie);
    expect(refused.status).toBe(400);
    expect(refused.json()).toContain('MaximumReleaseDuration (60)');
    expect((await strict.request({ ...WIN_AUTO, DurationMinutes: 525_601 }, cookie)).status).toBe(400);
    expect((await strict.request({ ...WIN_AUTO, DurationMinutes: 0 }, cookie)).status).toBe(400);
    await requestId(strict, { ...WIN_SHORT_MAX, DurationMinutes: 60 }, cookie);

    const lenient = await start({ now: clock.now, durationAboveMaximum: 'cap' });
    const other = await lenient.signIn();
    const id = await requestId(lenient, { ...WIN_SHORT_MAX, DurationMinutes: 600 }, other);
    const [row] = (await lenient.api('Requests', { cookie: other })).json<Record<string, unknown>[]>();
    expect(row).toMatchObject({ RequestID: id, RequestReleaseDate: '2024-03-01T12:00:00' });
    expect(row?.['ExpiresDate']).toBe('2024-03-01T13:00:00');
  });

  it('validates the body: ids, reason, access type and what the platform allows', async () => {
    const h = await start();
    const cookie = await h.signIn();
    expect((await h.request({ ...WIN_AUTO, SystemID: '1' }, cookie)).status).toBe(400);
    expect((await h.request({ ...WIN_AUTO, Reason: '' }, cookie)).status).toBe(400);
    expect((await h.request({ ...WIN_AUTO, AccessType: 'VNC' }, cookie)).status).toBe(400);
    expect((await h.request({ ...WIN_AUTO, ConflictOption: 'replace' }, cookie)).status).toBe(400);
    const rdpOnLinux = await h.request({ ...LINUX_AUTO, AccessType: 'RDP' }, cookie);
    expect(rdpOnLinux.status).toBe(403);
    expect(rdpOnLinux.json()).toBe('4031 - User does not have permission');
    expect((await h.request({ SystemID: 5, AccountID: 51, AccessType: 'SSH' }, cookie)).status).toBe(403);
    expect((await h.request({ SystemID: 5, AccountID: 52, AccessType: 'View' }, cookie)).status).toBe(403);
    expect((await h.request({ SystemID: 99, AccountID: 1, AccessType: 'RDP' }, cookie)).status).toBe(403);
    const id = await requestId(h, LINUX_AUTO, cookie);
    expect((await h.session(id, 'rdpfile', cookie)).status).toBe(400);
    expect((await h.session(id, 'vnc', cookie)).status).toBe(400);
    expect((await h.session(id, 'app', cookie)).status).toBe(400);
    expect((await h.session(999, 'sshticket', cookie)).status).toBe(404);
    expect((await h.session(id, 'SSH', cookie)).status).toBe(201);
  });

  it('expires a request after DurationMinutes, which then no longer conflicts', async () => {
    const clock = manualClock();
    const h = await start({ now: clock.now, idleTimeoutSeconds: 7200 });
    const cookie = await h.signIn();
    const id = await requestId(h, { ...WIN_AUTO, DurationMinutes: 30 }, cookie);
    const issued = await h.session(id, 'rdpticket', cookie);
    clock.advance(30 * 60_000);
    expect(h.sim.requestState(id)).toBe('expired');
    expect((await h.session(id, 'rdpticket', cookie)).json()).toBe('Request has expired');
    expect(h.sim.redeem(issued.json<{ Ticket: string }>().Ticket)).toEqual({ ok: false, reason: 'inactive' });
    expect(await requestId(h, WIN_AUTO, cookie)).not.toBe(id);
  });

  it('ends a request on Checkin (also lower-case, with {} or no body)', async () => {
    const h = await start();
    const cookie = await h.signIn();
    const id = await requestId(h, LINUX_AUTO, cookie);
    const ticket = (await h.session(id, 'sshticket', cookie)).json<{ Ticket: string }>().Ticket;
    const checkin = await h.api(`Requests/${id}/Checkin`, {
      method: 'PUT',
      cookie,
      body: { Reason: 'done' },
    });
    expect(checkin.status).toBe(204);
    expect(h.sim.requestState(id)).toBe('checked-in');
    expect((await h.session(id, 'sshticket', cookie)).json()).toBe('Request has been checked in');
    expect((await h.call('/__sim/redeem', { method: 'POST', body: { ticket } })).status).toBe(410);
    expect((await h.api(`Requests/${id}/Checkin`, { method: 'PUT', cookie })).status).toBe(403);
    const next = await requestId(h, LINUX_AUTO, cookie);
    const lower = await h.call(`${BASE_PATH}/requests/${next}/checkin`, { method: 'PUT', cookie, body: {} });
    expect(lower.status).toBe(204);
    expect(h.sim.counters.checkins).toBe(2);
  });
});

describe('session tickets', () => {
  it('are single-use through POST /__sim/redeem and redeem()', async () => {
    const h = await start();
    const cookie = await h.signIn();
    const id = await requestId(h, LINUX_AUTO, cookie);
    const first = (await h.session(id, 'sshticket', cookie)).json<{ Ticket: string; SessionID: number }>();
    const second = (await h.session(id, 'sshticket', cookie)).json<{ Ticket: string }>();
    expect(second.Ticket).not.toBe(first.Ticket);
    const spent = await h.call('/__sim/redeem', { method: 'POST', body: { ticket: first.Ticket } });
    expect(spent.status).toBe(200);
    expect(spent.json()).toMatchObject({ ok: true, sessionId: first.SessionID, sessionType: 'sshticket' });
    expect((await h.call('/__sim/redeem', { method: 'POST', body: { ticket: first.Ticket } })).status).toBe(
      410,
    );
    expect((await h.call('/__sim/redeem', { method: 'POST', body: { ticket: 'nope' } })).status).toBe(404);
    expect(h.sim.redeem(second.Ticket).ok).toBe(true);
    expect(h.sim.redeem(second.Ticket)).toEqual({ ok: false, reason: 'used' });
    expect(h.sim.counters.redemptions).toBe(2);
  });

  it('are listed by secretsIssued with the cookies and .rdp files', async () => {
    const h = await start();
    const cookie = await h.signIn();
    const rdp = (await h.session(await requestId(h, WIN_AUTO, cookie), 'rdpfile', cookie)).text;
    const ssh = (await h.session(await requestId(h, LINUX_AUTO, cookie), 'sshticket', cookie)).json<{
      Ticket: string;
    }>();
    const secrets = h.sim.secretsIssued();
    expect(secrets).toContain(cookie.split('=')[1]);
    expect(secrets).toContain(rdp);
    expect(secrets).toContain(ssh.Ticket);
  });
});

describe('faults and control routes', () => {
  it('fails, garbles and rejects the targeted endpoint only', async () => {
    const h = await start();
    h.sim.applyFaults({ failNext: { count: 1, status: 503, endpoint: 'login' } });
    const authorization = psAuthHeader(h.sim.credentials as { apiKey: string; runAs: string });
    expect((await h.api('Auth/SignAppin', { method: 'POST', authorization })).status).toBe(503);
    const cookie = await h.signIn();
    const faults = await h.call('/__sim/faults', {
      method: 'POST',
      body: { garbageNext: { count: 1, endpoint: 'list' } },
    });
    expect(faults.status).toBe(204);
    const id = await requestId(h, LINUX_AUTO, cookie);
    const garbage = await h.api('ManagedAccounts', { cookie });
    expect(() => garbage.json<unknown[]>().map(String)).toThrow();
    expect((await h.api('ManagedAccounts', { cookie })).status).toBe(200);
    h.sim.applyFaults({ failNext: { count: 1, status: 502, endpoint: 'launch' } });
    expect((await h.session(id, 'sshticket', cookie)).status).toBe(502);
    expect((await h.session(id, 'sshticket', cookie)).status).toBe(201);
    h.sim.applyFaults({ rejectLogins: true });
    expect((await h.api('Auth/SignAppin', { method: 'POST', authorization })).status).toBe(401);
    h.sim.applyFaults({ rejectLogins: false });
    await h.signIn();
  });

  it('hangs API calls until released, and validates control bodies', async () => {
    const h = await start();
    h.sim.applyFaults({ hang: true });
    const controller = new AbortController();
    const hung = fetch(`${h.sim.baseUrl}/ManagedAccounts`, {
      dispatcher: h.agent,
      signal: controller.signal,
    });
    const outcome = await Promise.race([
      hung.then(() => 'answered'),
      new Promise((r) => setTimeout(r, 300, 'hung')),
    ]);
    expect(outcome).toBe('hung');
    controller.abort();
    await hung.catch(() => undefined);
    h.sim.applyFaults({ hang: false });
    expect((await h.api('ManagedAccounts')).status).toBe(401);
    for (const body of [
      { failNext: { count: -1 } },
      { garbageNext: { count: 1, endpoint: 'x' } },
      { hang: 'yes' },
    ]) {
      expect((await h.call('/__sim/faults', { method: 'POST', body })).status).toBe(400);
    }
    const counters = await h.call('/__sim/counters');
    expect(counters.json()).toMatchObject({ requests: 2, failedLogins: 0 });
  });

  it('keeps one TLS connection for many calls from a keep-alive client', async () => {
    const h = await start();
    // One connection at most, so a socket that is still being returned to the pool cannot cause a second one.
    const agent = pinnedAgent(h.sim.certPem, { connections: 1 });
    onTestFinished(() => agent.close());
    const authorization = psAuthHeader(h.sim.credentials as { apiKey: string; runAs: string });
    const signIn = await fetch(`${h.sim.baseUrl}/Auth/SignAppin`, {
      method: 'POST',
      headers: { authorization },
      dispatcher: agent,
    });
    await signIn.text();
    const cookie = signIn.headers.get('set-cookie')?.split(';')[0] ?? '';
    for (let i = 0; i < 5; i++) {
      const answer = await fetch(`${h.sim.baseUrl}/ManagedAccounts`, {
        headers: { cookie },
        dispatcher: agent,
      });
      expect(answer.status).toBe(200);
      await answer.text();
    }
    expect(h.sim.counters.tlsConnections).toBe(1);
    h.sim.resetCounters();
    expect(h.sim.counters.lists).toBe(0);
  });
});

describe('paths', () => {
  it('serves the portal page at /, the legacy base path, 404 and 405', async () => {
    const h = await start();
    const portal = await h.call('/');
    expect(portal.status).toBe(200);
    expect(portal.text).toContain('Password Safe (simulated)');
    const legacy = await h.call('/eEye.RetinaCS.Server/api/public/v3/Auth/SignAppin', {
      method: 'POST',
      authorization: psAuthHeader(h.sim.credentials as { apiKey: string; runAs: string }),
    });
    expect(legacy.status).toBe(200);
    expect((await h.api('Nothing')).status).toBe(404);
    const wrongMethod = await h.api('ManagedAccounts', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });

  it('match the documented casing only when caseSensitivePaths is set', async () => {
    const h = await start({ caseSensitivePaths: true });
    const cookie = await h.signIn();
    expect((await h.call(`${BASE_PATH}/managedaccounts`, { cookie })).status).toBe(404);
    expect((await h.api('ManagedAccounts', { cookie })).status).toBe(200);
  });
});

describe('main.ts', () => {
  it('prints one ready line with the credentials and fingerprint, serves them, and exits 0 on SIGTERM', async () => {
    const { child, line } = await startSimulatorMain([
      ...['--kind', 'password-safe', '--port', '0'],
      ...['--password', 'Secr3t!'],
    ]);
    const match =
      /^ready (https:\/\/127\.0\.0\.1:\d+) apiKey=([0-9a-f]{128}) runAs=(\S+) password=(\S+) fingerprint256=([0-9A-F:]{95})$/.exec(
        line,
      );
    expect(match, line).not.toBeNull();
    const [, url, apiKey = '', runAs = '', password] = match ?? [];
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    onTestFinished(() => insecure.close());
    const response = await fetch(`${url}${BASE_PATH}/Auth/SignAppin`, {
      method: 'POST',
      headers: { authorization: psAuthHeader({ apiKey, runAs, ...(password ? { password } : {}) }) },
      dispatcher: insecure,
    });
    expect(response.status).toBe(200);
    await response.text();
    expect(await terminate(child)).toEqual([0, null]);
  });
});
