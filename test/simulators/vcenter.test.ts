import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Agent, fetch } from 'undici';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  GENERATED_FOLDERS,
  type SimVm,
  startVcenterSimulator,
  type VcenterSimulator,
  type VcenterSimulatorOptions,
} from '../../simulators/vcenter/simulator.js';
import {
  type Answer,
  callSimulator,
  manualClock,
  pinnedTestAgent,
  startSimulatorMain,
  terminate,
} from '../support/simulator-http.js';

interface CallInit {
  method?: string;
  body?: unknown;
  session?: string;
  basic?: [string, string];
  headers?: Record<string, string>;
}

interface Harness {
  sim: VcenterSimulator;
  call(path: string, init?: CallInit): Promise<Answer>;
  login(): Promise<string>;
  ticket(vm: string, type: string, session?: string): Promise<Answer>;
}

/** Starts a simulator and a client that pins its certificate, the way the broker's tls.caPem does. */
async function start(options: VcenterSimulatorOptions = {}): Promise<Harness> {
  const sim = await startVcenterSimulator(options);
  // One connection, so the keep-alive check counts reuse rather than undici's pool growth.
  const agent = pinnedTestAgent(sim, { connections: 1 });
  const call = async (path: string, init: CallInit = {}): Promise<Answer> => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.session !== undefined) headers['vmware-api-session-id'] = init.session;
    if (init.basic)
      headers['authorization'] = `Basic ${Buffer.from(init.basic.join(':')).toString('base64')}`;
    return callSimulator(sim, path, {
      method: init.method ?? 'GET',
      headers,
      json: init.body,
      dispatcher: agent,
    });
  };
  const { username, password } = sim.credentials;
  const login = async (): Promise<string> => {
    const answer = await call('/api/session', { method: 'POST', basic: [username, password] });
    expect(answer.status).toBe(201);
    return answer.json<string>();
  };
  const ticket = async (vm: string, type: string, session?: string): Promise<Answer> =>
    call(`/api/vcenter/vm/${vm}/console/tickets`, {
      method: 'POST',
      session: session ?? (await login()),
      body: { type },
    });
  return { sim, call, login, ticket };
}

const AUTH_REQUIRED = {
  error_type: 'UNAUTHENTICATED',
  messages: [
    {
      id: 'com.vmware.vapi.endpoint.method.authentication.required',
      default_message: 'Authentication required.',
      args: [],
    },
  ],
  data: null,
  challenge: 'Basic realm="vCenter"',
};

const MINUTE = 60_000;

function errorType(answer: Answer): unknown {
  return answer.json()['error_type'];
}

describe('TLS', () => {
  it('serves a self-signed certificate that a client pins by CA or fingerprint, and reuses connections', async () => {
    const { sim, call, login } = await start();
    expect(sim.kind).toBe('vcenter');
    expect(sim.url).toBe(`https://127.0.0.1:${sim.port}`);
    expect(sim.fingerprint256).toBe(new X509Certificate(sim.certPem).fingerprint256);
    const session = await login();
    await call('/api/vcenter/vm', { session });
    await call('/api/session', { session });
    expect(sim.counters.tlsConnections).toBe(1);
    expect(sim.counters.requests).toBe(3);
  });
});

describe('sessions', () => {
  it('logs in with Basic credentials: 201 and a bare JSON string of 32 hex digits', async () => {
    const { sim, call } = await start({ username: 'administrator@vsphere.local', password: 'VMware1!' });
    expect(sim.credentials).toEqual({ username: 'administrator@vsphere.local', password: 'VMware1!' });
    const answer = await call('/api/session', {
      method: 'POST',
      basic: ['administrator@vsphere.local', 'VMware1!'],
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.text).toMatch(/^"[0-9a-f]{32}"$/);
    expect(sim.counters.logins).toBe(1);
  });

  it('refuses wrong, missing and malformed credentials with the UNAUTHENTICATED envelope', async () => {
    const { sim, call } = await start();
    const { username, password } = sim.credentials;
    const attempts: CallInit[] = [
      { method: 'POST', basic: [username, `${password}x`] },
      { method: 'POST', basic: ['root', password] },
      { method: 'POST' },
      { method: 'POST', headers: { authorization: 'Bearer abc' } },
    ];
    for (const attempt of attempts) {
      const answer = await call('/api/session', attempt);
      expect(answer.status).toBe(401);
      expect(answer.json()).toEqual(AUTH_REQUIRED);
      expect(answer.text).not.toContain(password);
    }
    expect(sim.counters).toMatchObject({ logins: 0, failedLogins: 4 });
  });

  it('answers who-am-I, touching last-accessed, and logs out with 204 (401 for an unknown id)', async () => {
    const clock = manualClock();
    const { sim, call, login } = await start({ now: clock.now });
    const session = await login();
    clock.advance(5 * MINUTE);
    const me = await call('/api/session', { session });
    expect(me.status).toBe(200);
    expect(me.json()).toEqual({
      user: sim.credentials.username,
      created_time: '2024-03-01T12:00:00.000Z',
      last_accessed_time: '2024-03-01T12:05:00.000Z',
    });
    const bye = await call('/api/session', { method: 'DELETE', session });
    expect(bye.status).toBe(204);
    expect(bye.text).toBe('');
    expect((await call('/api/session', { session })).status).toBe(401);
    const again = await call('/api/session', { method: 'DELETE', session });
    expect(again.status).toBe(401);
    expect(again.json()).toEqual(AUTH_REQUIRED);
    expect((await call('/api/session', { method: 'DELETE' })).status).toBe(401);
    expect(sim.counters.logouts).toBe(1);
  });

  it('needs vmware-api-session-id on every call: missing or unknown ids get the 401 envelope', async () => {
    const { call, login } = await start();
    await login();
    for (const session of [undefined, 'f'.repeat(32), '']) {
      const answer = await call('/api/vcenter/vm', session === undefined ? {} : { session });
      expect(answer.status).toBe(401);
      expect(answer.json()).toEqual(AUTH_REQUIRED);
    }
    const ticket = await call('/api/vcenter/vm/vm-42/console/tickets', {
      method: 'POST',
      body: { type: 'VMRC' },
    });
    expect(ticket.json()).toEqual(AUTH_REQUIRED);
  });

  it('expires sessions after 30 idle minutes, sliding with every call', async () => {
    const clock = manualClock();
    const { call, login } = await start({ now: clock.now });
    const busy = await login();
    const idle = await login();
    clock.advance(30 * MINUTE - 1);
    expect((await call('/api/vcenter/vm', { session: busy })).status).toBe(200);
    clock.advance(1);
    const expired = await call('/api/vcenter/vm', { session: idle });
    expect(expired.status).toBe(401);
    expect(expired.json()).toEqual(AUTH_REQUIRED);
    clock.advance(30 * MINUTE - 2);
    expect((await call('/api/session', { session: busy })).status).toBe(200);
    clock.advance(30 * MINUTE);
    expect((await call('/api/session', { session: busy })).status).toBe(401);
  });

  it('takes the idle timeout as an option', async () => {
    const clock = manualClock();
    const { call, login } = await start({ now: clock.now, idleTimeoutSeconds: 60 });
    const session = await login();
    clock.advance(59_999);
    expect((await call('/api/session', { session })).status).toBe(200);
    clock.advance(60_000);
    expect((await call('/api/session', { session })).status).toBe(401);
  });

  it('drops sessions on forgetAllSessions / expireIdleSessions, in-process or through the control route', async () => {
    const { sim, call, login } = await start();
    const first = await login();
    sim.forgetAllSessions();
    expect((await call('/api/session', { session: first })).status).toBe(401);
    const second = await login();
    sim.expireIdleSessions();
    expect((await call('/api/session', { session: second })).status).toBe(401);
    const third = await login();
    const control = await call('/__sim/faults', { method: 'POST', body: { expireIdleSessions: true } });
    expect(control.status).toBe(204);
    expect((await call('/api/session', { session: third })).status).toBe(401);
    const fourth = await login();
    await call('/__sim/faults', { method: 'POST', body: { forgetAllSessions: true } });
    expect((await call('/api/session', { session: fourth })).status).toBe(401);
  });

  it('refuses logins past maxSessions with 503 SERVICE_UNAVAILABLE', async () => {
    const { sim, call, login } = await start({ maxSessions: 2 });
    await login();
    await login();
    const full = await call('/api/session', {
      method: 'POST',
      basic: [sim.credentials.username, sim.credentials.password],
    });
    expect(full.status).toBe(503);
    expect(errorType(full)).toBe('SERVICE_UNAVAILABLE');
  });
});

describe('legacy /rest session', () => {
  it('logs in with 200 {value}, answers ~action=get, logs out, and wraps errors as {type, value}', async () => {
    const { sim, call } = await start();
    const { username, password } = sim.credentials;
    const login = await call('/rest/com/vmware/cis/session', { method: 'POST', basic: [username, password] });
    expect(login.status).toBe(200);
    const { value: session } = login.json<{ value: string }>();
    expect(session).toMatch(/^[0-9a-f]{32}$/);
    expect(login.headers.get('set-cookie')).toBeNull();

    const me = await call('/rest/com/vmware/cis/session?~action=get', { method: 'POST', session });
    expect(me.status).toBe(200);
    expect(me.json<{ value: { user: string } }>().value.user).toBe(username);
    // One session store: a /rest login works on /api too.
    expect((await call('/api/vcenter/vm', { session })).status).toBe(200);

    const bye = await call('/rest/com/vmware/cis/session', { method: 'DELETE', session });
    expect(bye.status).toBe(200);
    const after = await call('/rest/vcenter/vm', { session });
    expect(after.status).toBe(401);
    expect(after.json()).toEqual({
      type: 'com.vmware.vapi.std.errors.unauthenticated',
      value: { messages: AUTH_REQUIRED.messages },
    });
    const wrong = await call('/rest/com/vmware/cis/session', { method: 'POST', basic: [username, 'nope'] });
    expect(wrong.status).toBe(401);
    expect(wrong.json()['type']).toBe('com.vmware.vapi.std.errors.unauthenticated');
  });

  it('sets and accepts a session cookie on /rest only when legacySessionCookie is on (vcsim behaviour)', async () => {
    const { sim, call } = await start({ legacySessionCookie: true });
    const basic: [string, string] = [sim.credentials.username, sim.credentials.password];
    const login = await call('/rest/com/vmware/cis/session', { method: 'POST', basic });
    const session = login.json<{ value: string }>().value;
    expect(login.headers.get('set-cookie')).toBe(
      `vmware-api-session-id=${session}; Path=/rest; Secure; HttpOnly`,
    );
    const cookie = { cookie: `vmware-api-session-id=${session}` };
    expect((await call('/rest/vcenter/vm', { headers: cookie })).status).toBe(200);
    expect((await call('/api/vcenter/vm', { headers: cookie })).status).toBe(401);
    const headerOnly = await call('/rest/com/vmware/cis/session', {
      method: 'POST',
      basic,
      headers: { 'vmware-use-header-authn': 'true' },
    });
    expect(headerOnly.headers.get('set-cookie')).toBeNull();
  });
});

describe('GET /api/vcenter/vm', () => {
  it('lists summaries as a bare array, leaving cpu/memory unset where the configuration is unreadable', async () => {
    const { sim, call, login } = await start();
    const answer = await call('/api/vcenter/vm', { session: await login() });
    expect(answer.status).toBe(200);
    const vms = answer.json<Record<string, unknown>[]>();
    expect(vms).toHaveLength(5);
    expect(vms[0]).toEqual({
      vm: 'vm-42',
      name: 'web01',
      power_state: 'POWERED_ON',
      cpu_count: 2,
      memory_size_MiB: 4096,
    });
    expect(vms.find((vm) => vm['vm'] === 'vm-46')).toEqual({
      vm: 'vm-46',
      name: 'orphan01',
      power_state: 'POWERED_ON',
    });
    expect(new Set(vms.map((vm) => vm['power_state']))).toEqual(
      new Set(['POWERED_ON', 'POWERED_OFF', 'SUSPENDED']),
    );
    expect(sim.counters.lists).toBe(1);
  });

  it('filters by repeated parameters, ORing values of one filter and ANDing filters', async () => {
    const { call, login } = await start();
    const session = await login();
    const ids = async (query: string) =>
      (await call(`/api/vcenter/vm?${query}`, { session })).json<{ vm: string }[]>().map((vm) => vm.vm);
    expect(await ids('names=web01&names=db01')).toEqual(['vm-42', 'vm-43']);
    expect(await ids('power_states=POWERED_ON')).toEqual(['vm-42', 'vm-45', 'vm-46']);
    expect(await ids('power_states=POWERED_ON&folders=group-v4')).toEqual(['vm-45', 'vm-46']);
    expect(
      await ids(
        'vms=vm-44&hosts=host-11&clusters=domain-c7&datacenters=datacenter-2&resource_pools=resgroup-8',
      ),
    ).toEqual(['vm-44']);
    expect(await ids('names=web01&power_states=POWERED_OFF')).toEqual([]);
  });

  it('refuses unknown parameters and power states with 400 INVALID_ARGUMENT (e.g. the /rest encoding on /api)', async () => {
    const { call, login } = await start();
    const session = await login();
    for (const query of ['filter.names.1=web01', 'power_states=ON', 'name=web01']) {
      const answer = await call(`/api/vcenter/vm?${query}`, { session });
      expect(answer.status, query).toBe(400);
      expect(errorType(answer)).toBe('INVALID_ARGUMENT');
    }
  });

  it('answers /rest/vcenter/vm with filter.<name>.<n> parameters, wrapped in {value}', async () => {
    const { call, login } = await start();
    const session = await login();
    const answer = await call('/rest/vcenter/vm?filter.names.1=web01&filter.names.2=build01', { session });
    expect(answer.status).toBe(200);
    expect(answer.json<{ value: { vm: string }[] }>().value.map((vm) => vm.vm)).toEqual(['vm-42', 'vm-44']);
    const bad = await call('/rest/vcenter/vm?names=web01', { session });
    expect(bad.status).toBe(400);
    expect(bad.json()['type']).toBe('com.vmware.vapi.std.errors.invalid_argument');
  });

  it('fails over 4000 matches with 400 UNABLE_TO_ALLOCATE_RESOURCE; power state and folder splits get them all', async () => {
    const { sim, call, login } = await start({ vmCount: 9000 });
    const session = await login();
    const all = await call('/api/vcenter/vm', { session });
    expect(all.status).toBe(400);
    expect(all.json()).toEqual({
      error_type: 'UNABLE_TO_ALLOCATE_RESOURCE',
      messages: [
        {
          id: 'com.vmware.api.vcenter.vm.too_many_matches',
          default_message: 'Too many virtual machines. Add more filter criteria to reduce the number.',
          args: [],
        },
      ],
      data: null,
    });
    expect((await call('/api/vcenter/vm?power_states=POWERED_ON', { session })).status).toBe(400);
    const seen = new Set<string>();
    for (const state of ['POWERED_ON', 'POWERED_OFF', 'SUSPENDED']) {
      for (const folder of GENERATED_FOLDERS) {
        const part = await call(`/api/vcenter/vm?power_states=${state}&folders=${folder}`, { session });
        expect(part.status).toBe(200);
        for (const vm of part.json<{ vm: string; power_state: string }[]>()) {
          expect(vm.power_state).toBe(state);
          seen.add(vm.vm);
        }
      }
    }
    expect(seen.size).toBe(9000);
    expect(sim.vms.filter((vm) => vm.cpu_count === undefined).length).toBeGreaterThan(0);
  });

  it('takes maxVms and a replacement inventory', async () => {
    const vms: SimVm[] = ['a', 'b', 'c'].map((name, i) => ({
      vm: `vm-${i + 1}`,
      name,
      power_state: 'POWERED_OFF',
      folder: 'group-v3',
      host: 'host-10',
      cluster: 'domain-c7',
      datacenter: 'datacenter-2',
      resource_pool: 'resgroup-8',
    }));
    const { sim, call, login } = await start({ vms, maxVms: 2 });
    const session = await login();
    expect(errorType(await call('/api/vcenter/vm', { session }))).toBe('UNABLE_TO_ALLOCATE_RESOURCE');
    expect((await call('/api/vcenter/vm?names=a&names=b', { session })).json()).toHaveLength(2);
    sim.setVms(vms.slice(0, 1));
    expect((await call('/api/vcenter/vm', { session })).json()).toEqual([
      { vm: 'vm-1', name: 'a', power_state: 'POWERED_OFF' },
    ]);
  });
});

const VMRC =
  /^vmrc:\/\/clone:(cst-VCT-[0-9a-f-]{36}--tp-((?:[0-9A-F]{2}-){19}[0-9A-F]{2}))@([^/]+)\/\?moid=(vm-\d+)$/;
const WEBMKS = /^wss:\/\/([^/]+)\/ticket\/([0-9a-f]{32})$/;

describe('POST /api/vcenter/vm/{vm}/console/tickets', () => {
  it('mints a VMRC clone-ticket URI for a powered-off VM, naming the vCenter and its thumbprint', async () => {
    const { sim, ticket } = await start();
    const answer = await ticket('vm-43', 'VMRC');
    expect(answer.status).toBe(200);
    const uri = answer.json<{ ticket: string }>().ticket;
    expect(Object.keys(answer.json())).toEqual(['ticket']);
    const match = VMRC.exec(uri);
    expect(match, uri).not.toBeNull();
    expect(match?.[2]).toBe(new X509Certificate(sim.certPem).fingerprint.replaceAll(':', '-'));
    expect(match?.[3]).toBe(`127.0.0.1:${sim.port}`);
    expect(match?.[4]).toBe('vm-43');
    expect(sim.counters).toMatchObject({ launches: 1, vmrcTickets: 1, webmksTickets: 0 });
  });

  it('mints a WEBMKS wss:// URI on the ESXi host for a powered-on VM, spendable once over HTTP', async () => {
    const { sim, call, ticket } = await start();
    const uri = (await ticket('vm-42', 'WEBMKS')).json<{ ticket: string }>().ticket;
    const match = WEBMKS.exec(uri);
    expect(match, uri).not.toBeNull();
    expect(match?.[1]).toBe(`127.0.0.1:${sim.port}`);
    const first = await call(`/ticket/${match?.[2]}`);
    expect(first.status).toBe(200);
    expect(first.text).toBe('console opened\n');
    const second = await call(`/ticket/${match?.[2]}`);
    expect(second.status).toBe(410);
    expect(second.text).not.toContain(match?.[2] ?? '-');
    expect((await call(`/ticket/${'0'.repeat(32)}`)).status).toBe(404);
    expect(sim.redeem(uri)).toBe('used');
    expect(sim.counters).toMatchObject({ webmksTickets: 1, consolesOpened: 1, consoleRejections: 3 });
  });

  it('puts the esxHost option into WEBMKS URIs', async () => {
    const { ticket } = await start({ esxHost: 'esx01.example.com:443' });
    const uri = (await ticket('vm-42', 'WEBMKS')).json<{ ticket: string }>().ticket;
    expect(uri).toMatch(/^wss:\/\/esx01\.example\.com:443\/ticket\/[0-9a-f]{32}$/);
  });

  it('refuses WEBMKS unless the VM is powered on (400 NOT_ALLOWED_IN_CURRENT_STATE), following power changes', async () => {
    const { sim, call, ticket, login } = await start();
    const session = await login();
    for (const vm of ['vm-43', 'vm-44']) {
      const answer = await ticket(vm, 'WEBMKS', session);
      expect(answer.status).toBe(400);
      expect(errorType(answer)).toBe('NOT_ALLOWED_IN_CURRENT_STATE');
      expect(answer.json()['challenge']).toBeUndefined();
    }
    sim.setPowerState('vm-43', 'POWERED_ON');
    expect((await ticket('vm-43', 'WEBMKS', session)).status).toBe(200);
    await call('/__sim/faults', { method: 'POST', body: { powerStates: { 'vm-43': 'POWERED_OFF' } } });
    expect((await ticket('vm-43', 'WEBMKS', session)).status).toBe(400);
    expect((await ticket('vm-43', 'VMRC', session)).status).toBe(200);
    const unknownVm = await call('/__sim/faults', {
      method: 'POST',
      body: { powerStates: { 'vm-999': 'POWERED_ON' } },
    });
    expect(unknownVm.status).toBe(400);
  });

  it('answers 404 NOT_FOUND for an unknown VM and 400 INVALID_ARGUMENT for a bad type or body shape', async () => {
    const { call, ticket, login } = await start();
    const session = await login();
    const missing = await ticket('vm-999', 'VMRC', session);
    expect(missing.status).toBe(404);
    expect(errorType(missing)).toBe('NOT_FOUND');
    for (const type of ['vmrc', 'MKS', '']) {
      const answer = await ticket('vm-42', type, session);
      expect(answer.status, type).toBe(400);
      expect(errorType(answer)).toBe('INVALID_ARGUMENT');
    }
    // The /rest body shape sent to /api is a client bug the simulator must not forgive.
    const wrapped = await call('/api/vcenter/vm/vm-42/console/tickets', {
      method: 'POST',
      session,
      body: { spec: { type: 'VMRC' } },
    });
    expect(wrapped.status).toBe(400);
    const noBody = await call('/api/vcenter/vm/vm-42/console/tickets', { method: 'POST', session });
    expect(noBody.status).toBe(400);
  });

  it('answers 403 UNAUTHORIZED without the console privilege (option or control)', async () => {
    const denied = await start({ consolePrivilege: false });
    const answer = await denied.ticket('vm-42', 'VMRC');
    expect(answer.status).toBe(403);
    expect(errorType(answer)).toBe('UNAUTHORIZED');
    expect(answer.json()['challenge']).toBeUndefined();

    const { sim, call, ticket } = await start();
    await call('/__sim/faults', { method: 'POST', body: { consolePrivilege: false } });
    expect((await ticket('vm-42', 'WEBMKS')).status).toBe(403);
    sim.setConsolePrivilege(true);
    expect((await ticket('vm-42', 'WEBMKS')).status).toBe(200);
  });

  it('serves the legacy /rest form: {"spec":{"type"}} in, {"value":{"ticket"}} out', async () => {
    const { call, login } = await start();
    const session = await login();
    const answer = await call('/rest/vcenter/vm/vm-43/console/tickets', {
      method: 'POST',
      session,
      body: { spec: { type: 'VMRC' } },
    });
    expect(answer.status).toBe(200);
    expect(answer.json<{ value: { ticket: string } }>().value.ticket).toMatch(VMRC);
    const flat = await call('/rest/vcenter/vm/vm-43/console/tickets', {
      method: 'POST',
      session,
      body: { type: 'VMRC' },
    });
    expect(flat.status).toBe(400);
    const off = await call('/rest/vcenter/vm/vm-43/console/tickets', {
      method: 'POST',
      session,
      body: { spec: { type: 'WEBMKS' } },
    });
    expect(off.json()['type']).toBe('com.vmware.vapi.std.errors.not_allowed_in_current_state');
  });

  it('makes tickets single-use and valid for 30 minutes', async () => {
    const clock = manualClock();
    const { sim, call, ticket, login } = await start({ now: clock.now });
    const session = await login();
    const mint = async (type: string) =>
      (await ticket('vm-42', type, session)).json<{ ticket: string }>().ticket;
    const vmrc = await mint('VMRC');
    expect(sim.redeem(vmrc)).toBe('ok');
    expect(sim.redeem(vmrc)).toBe('used');
    expect(sim.redeem('vmrc://clone:cst-VCT-nope@127.0.0.1/?moid=vm-42')).toBe('unknown');

    const lateVmrc = await mint('VMRC');
    const lateWebmks = await mint('WEBMKS');
    clock.advance(30 * MINUTE - 1);
    const onTime = await mint('WEBMKS');
    clock.advance(1);
    expect(sim.redeem(lateVmrc)).toBe('expired');
    const expired = await call(`/ticket/${WEBMKS.exec(lateWebmks)?.[2]}`);
    expect(expired.status).toBe(410);
    expect(expired.text).toBe('ticket expired\n');
    expect((await call(`/ticket/${WEBMKS.exec(onTime)?.[2]}`)).status).toBe(200);
  });
});

describe('faults and controls', () => {
  it('fails the next calls with vAPI envelopes by endpoint (500 ERROR, 503 SERVICE_UNAVAILABLE)', async () => {
    const { sim, call, ticket, login } = await start();
    const session = await login();
    sim.applyFaults({ failNext: { count: 1, status: 503, endpoint: 'launch' } });
    expect((await call('/api/vcenter/vm', { session })).status).toBe(200);
    const unavailable = await ticket('vm-42', 'VMRC', session);
    expect(unavailable.status).toBe(503);
    expect(errorType(unavailable)).toBe('SERVICE_UNAVAILABLE');
    expect((await ticket('vm-42', 'VMRC', session)).status).toBe(200);

    const control = await call('/__sim/faults', { method: 'POST', body: { failNext: { count: 2 } } });
    expect(control.status).toBe(204);
    const failed = await call('/api/vcenter/vm', { session });
    expect(failed.status).toBe(500);
    expect(failed.json()).toMatchObject({ error_type: 'ERROR', data: null });
    const loginFailed = await call('/api/session', {
      method: 'POST',
      basic: [sim.credentials.username, sim.credentials.password],
    });
    expect(loginFailed.status).toBe(500);
    expect(sim.counters.failedLogins).toBe(0);

    sim.applyFaults({
      failNext: { count: 1, status: 500, errorType: 'RESOURCE_INACCESSIBLE', endpoint: 'launch' },
    });
    expect(errorType(await ticket('vm-42', 'VMRC', session))).toBe('RESOURCE_INACCESSIBLE');
  });

  it('serves garbage bodies with the success status, and refuses logins while rejectLogins is on', async () => {
    const { sim, call } = await start();
    const basic: [string, string] = [sim.credentials.username, sim.credentials.password];
    sim.applyFaults({ garbageNext: { count: 2, endpoint: 'login' } });
    const html = await call('/api/session', { method: 'POST', basic });
    expect(html.status).toBe(201);
    expect(html.headers.get('content-type')).toContain('text/html');
    const wrongShape = await call('/api/session', { method: 'POST', basic });
    expect(typeof wrongShape.json()).toBe('object');
    await call('/__sim/faults', { method: 'POST', body: { rejectLogins: true } });
    expect((await call('/api/session', { method: 'POST', basic })).status).toBe(401);
    sim.applyFaults({ rejectLogins: false });
    expect((await call('/api/session', { method: 'POST', basic })).status).toBe(201);
  });

  it('parks calls while hanging and drops them when the hang ends; latency delays answers', async () => {
    const { sim, call, login } = await start();
    const session = await login();
    sim.applyFaults({ hang: true });
    const parked = call('/api/vcenter/vm', { session });
    const outcome = parked.then(
      () => 'answered',
      () => 'dropped',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    sim.applyFaults({ hang: false });
    expect(await outcome).toBe('dropped');
    sim.applyFaults({ latencyMs: 150 });
    const started = performance.now();
    expect((await call('/api/vcenter/vm', { session })).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('validates control bodies, reports counters, and resets them', async () => {
    const { call, login } = await start();
    await login();
    for (const body of [
      { failNext: { count: -1 } },
      { hang: 'yes' },
      { forgetAll: true },
      { powerStates: { 'vm-42': 'ON' } },
    ]) {
      expect((await call('/__sim/faults', { method: 'POST', body })).status).toBe(400);
    }
    const counters = await call('/__sim/counters');
    expect(counters.json()).toMatchObject({ logins: 1, requests: 1 });
    await call('/__sim/faults', { method: 'POST', body: { resetCounters: true } });
    expect((await call('/__sim/counters')).json()).toMatchObject({ logins: 0, requests: 0 });
  });

  it('goes down and comes back up on the same port, keeping sessions', async () => {
    const { sim, call, login } = await start();
    const session = await login();
    await sim.down();
    await expect(call('/api/session', { session })).rejects.toThrow();
    await sim.up();
    expect((await call('/api/session', { session })).status).toBe(200);
  });
});

describe('other routes', () => {
  it('serves the vSphere Client page at /ui/ and a NOT_FOUND envelope elsewhere', async () => {
    const { call } = await start();
    const ui = await call('/ui/');
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toContain('text/html');
    expect(ui.text).toContain('vSphere Client (simulated)');
    const missing = await call('/api/vcenter/host');
    expect(missing.status).toBe(404);
    expect(errorType(missing)).toBe('NOT_FOUND');
  });

  it('lists every secret it handed out, and never echoes one in an error', async () => {
    const { sim, call, ticket, login } = await start();
    const session = await login();
    const vmrc = (await ticket('vm-43', 'VMRC', session)).json<{ ticket: string }>().ticket;
    const webmks = (await ticket('vm-42', 'WEBMKS', session)).json<{ ticket: string }>().ticket;
    const secrets = sim.secretsIssued();
    expect(secrets).toEqual(expect.arrayContaining([session, vmrc, webmks, WEBMKS.exec(webmks)?.[2]]));
    expect(secrets.some((secret) => vmrc.includes(secret) && secret.startsWith('cst-VCT-'))).toBe(true);
    await call('/api/session', { method: 'DELETE', session });
    const refused = await call('/api/session', { session });
    expect(refused.text).not.toContain(session);
  });
});

/** The SHA-256 fingerprint of the certificate a server presents, read without trusting it. */
async function peerFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false });
  onTestFinished(() => {
    socket.destroy();
  });
  await once(socket, 'secureConnect');
  return socket.getPeerX509Certificate()?.fingerprint256 ?? '';
}

describe('simulators/main.ts --kind vcenter', () => {
  it('prints one ready line with credentials and fingerprint, serves them, and exits 0 on SIGTERM', async () => {
    const caOut = join(tmpdir(), `vcenter-ca-${process.pid}-${Date.now()}.pem`);
    onTestFinished(() => rm(caOut, { force: true }));
    const { child, line } = await startSimulatorMain([
      ...['--kind', 'vcenter', '--port', '0', '--vms', '12'],
      `--ca-out=${caOut}`,
    ]);
    const match =
      /^ready (https:\/\/127\.0\.0\.1:\d+) username=(\S+) password=(\S{16,}) fingerprint256=(\S+)$/.exec(
        line,
      );
    expect(match, line).not.toBeNull();
    const [, url, username, password, fingerprint] = match ?? [];
    expect(await peerFingerprint(url ?? '')).toBe(fingerprint);
    // --ca-out, which every kind takes, wrote the certificate the fingerprint belongs to.
    expect(new X509Certificate(await readFile(caOut, 'utf8')).fingerprint256).toBe(fingerprint);
    const agent = new Agent({ connect: { rejectUnauthorized: false } });
    onTestFinished(() => agent.close());
    const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    const login = await fetch(`${url}/api/session`, {
      method: 'POST',
      headers: { authorization },
      dispatcher: agent,
    });
    expect(login.status).toBe(201);
    const session = (await login.json()) as string;
    const list = await fetch(`${url}/api/vcenter/vm`, {
      headers: { 'vmware-api-session-id': session },
      dispatcher: agent,
    });
    expect(((await list.json()) as unknown[]).length).toBe(12);
    const [code] = await terminate(child);
    expect(code).toBe(0);
  });
});
