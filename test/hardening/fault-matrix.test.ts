import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DsviewClient } from '../../shared/appliances/dsview/client.js';
import { PROGRAMMATIC_NAMES } from '../../shared/appliances/dsview/device-types.js';
import type { FaultEndpoint } from '../../simulators/dsview/simulator.js';
import {
  type CallResult,
  deviceOfType,
  mintTicket,
  newLink,
  problemType,
  startTestBroker,
  steppableClock,
  type TestBroker,
} from '../support/broker.js';

/**
 * The appliance fault matrix: (ticket API, launch redirect, inventory sync) × (latency, one 5xx,
 * repeated 5xx, garbage, hang, down, expired JWTs, forgotten sessions, refused login, session limit), each cell
 * through the local server against the simulator's fault controls. Every cell checks the answer, that nothing
 * was lost (a failed click leaves its single-use link live, a failed sync leaves the inventory as it was), and
 * that the next request works once the appliance is back.
 *
 * Cells already tested elsewhere (with recovery) are listed in COVERED rather than repeated here; a test below
 * checks that the matrix plus COVERED is complete.
 */

const REQUEST_TIMEOUT_MS = 1_500;
/**
 * Long enough that a burst on a loaded machine falls within it (after it, one new attempt is allowed). Holds are
 * timed by the broker's clock, which the tests step past them: no test sleeps through one.
 */
const LOGIN_HOLD_SECONDS = 30;
/** The session manager's hold after a login that failed for a reason other than refused credentials. */
const FAILURE_HOLD_MS = 2_000;
const MAX_SESSIONS = 3;

let t: TestBroker;
let kvmId: string;
const clock = steppableClock();

beforeAll(async () => {
  t = await startTestBroker({
    clock: clock.now,
    simulator: { maxSessions: MAX_SESSIONS },
    env: {
      APPLIANCE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      APPLIANCE_CONNECT_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      LOGIN_FAILURE_HOLD_SECONDS: String(LOGIN_HOLD_SECONDS),
      CLIENT_RATE_LIMIT_PER_MINUTE: '100000',
      LAUNCH_FAILURES_PER_MINUTE: '100000',
    },
  });
  kvmId = deviceOfType(t.sim);
  // A first sync, so that "no inventory removed by a failed sync" has an inventory to lose.
  const first = await t.call('POST', '/v1/inventory/sync', { key: t.keys.admin });
  expect(first.json.appliances[0].status).toBe('ok');
});
afterAll(async () => {
  await t?.close();
});
afterEach(() => {
  // Revoked JWTs keep their sessions counted on the appliance; start every cell from an empty session table.
  t.sim.forgetAllSessions();
});

/* ----------------------------------------------------------------------------------------------------------
 * Targets: what is asked of the broker, what "works" and "failed" look like, what must not be lost
 * ------------------------------------------------------------------------------------------------------- */

type TargetName = 'ticket' | 'launch' | 'sync';

interface ExpectedFailure {
  statuses: number[];
  /** Problem types (suffixes) the ticket API may answer. */
  types: string[];
  /** What the sync result's `error` says. */
  syncError: RegExp;
}

interface Target {
  /** The simulator endpoint the target's appliance call goes to. */
  endpoint: FaultEndpoint;
  /** Appliance requests one working call makes with a warm session. */
  callsWhenWarm: number;
  /** Prepares a cell (a fresh single-use link, an inventory snapshot). */
  begin(): Promise<void>;
  request(): Promise<CallResult>;
  /** An independent request of the same kind (another link, for clicks), for bursts. */
  another(): Promise<CallResult>;
  expectWorks(response: CallResult): void;
  expectFailed(response: CallResult, failure: ExpectedFailure): void;
  expectNothingLost(): Promise<void>;
}

const mint = () => mintTicket(t, kvmId);

const ticketTarget: Target = {
  endpoint: 'ticket',
  callsWhenWarm: 1,
  async begin() {},
  request: mint,
  another: mint,
  expectWorks(response) {
    expect(response.status, response.text).toBe(201);
    expect(response.json.launchUrl).toContain(`ticket=${response.json.ticket}`);
  },
  expectFailed(response, failure) {
    expect(failure.statuses, response.text).toContain(response.status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(failure.types.map(problemType)).toContain(response.json.type);
    expect(response.text).not.toContain(t.sim.password);
  },
  async expectNothingLost() {},
};

/** A single-use link per cell; after a 302 it is used up and the next request makes a new one. */
const launch = { path: '', used: true };
const launchTarget: Target = {
  endpoint: 'ticket',
  callsWhenWarm: 1,
  async begin() {
    launch.path = (await newLink(t, { singleUse: true })).path;
    launch.used = false;
  },
  async request() {
    if (launch.used) await this.begin();
    const response = await t.call('GET', launch.path);
    if (response.status === 302) launch.used = true;
    return response;
  },
  async another() {
    return t.call('GET', (await newLink(t, { singleUse: true })).path);
  },
  expectWorks(response) {
    expect(response.status, response.text).toBe(302);
    expect(response.headers.location).toMatch(new RegExp(`^${t.sim.url}/api/v1/launchUI.*[?&]ticket=`));
  },
  expectFailed(response, failure) {
    expect(failure.statuses, response.text).toContain(response.status);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers.location).toBeUndefined();
    // The person is never stuck: the page links to the appliance's own login-then-launch URL, without a ticket.
    expect(response.text).toContain(`href="${t.sim.url}/api/v1/launchUI`);
    expect(response.text).not.toContain('ticket=');
  },
  async expectNothingLost() {
    expect((await t.call('HEAD', launch.path)).status, 'the failed click used the link up').toBe(204);
  },
};

let inventoryBefore: string[] = [];
const inventory = async () => {
  const response = await t.call('GET', '/v1/devices?applianceId=lab&limit=500', { key: t.keys.admin });
  expect(response.status).toBe(200);
  return (response.json.devices as { id: string }[]).map((d) => d.id).sort();
};
const syncTarget: Target = {
  endpoint: 'devices',
  callsWhenWarm: PROGRAMMATIC_NAMES.length,
  async begin() {
    inventoryBefore = await inventory();
    expect(inventoryBefore).toHaveLength(t.sim.devices.length);
  },
  request: () => t.call('POST', '/v1/inventory/sync', { key: t.keys.admin }),
  another: () => t.call('POST', '/v1/inventory/sync', { key: t.keys.admin }),
  expectWorks(response) {
    expect(response.status, response.text).toBe(200);
    expect(response.json.appliances).toEqual([
      expect.objectContaining({ applianceId: 'lab', status: 'ok', devices: t.sim.devices.length }),
    ]);
  },
  expectFailed(response, failure) {
    // The sync answers per appliance: a failing appliance is reported, not a failed request.
    expect(response.status, response.text).toBe(200);
    const [lab] = response.json.appliances;
    expect(lab, response.text).toMatchObject({ applianceId: 'lab', status: 'error' });
    expect(lab.error).toMatch(/^appliance lab: /);
    expect(lab.error).toMatch(failure.syncError);
    expect(response.text).not.toContain(t.sim.password);
  },
  async expectNothingLost() {
    expect(await inventory(), 'a failed sync changed the inventory').toEqual(inventoryBefore);
  },
};

const targets: Record<TargetName, Target> = {
  ticket: ticketTarget,
  launch: launchTarget,
  sync: syncTarget,
};

/* ----------------------------------------------------------------------------------------------------------
 * Faults
 * ------------------------------------------------------------------------------------------------------- */

type FaultName =
  | 'latency below the timeout'
  | 'one 5xx'
  | 'repeated 5xx'
  | 'garbage body'
  | 'hang past the timeout'
  | 'appliance down'
  | 'JWT expired'
  | 'sessions forgotten'
  | 'login refused'
  | 'session limit reached';

interface Fault {
  inject(target: Target): Promise<void> | void;
  /** Brings the appliance back (and steps the broker's clock past any hold the fault caused). */
  restore(): Promise<void> | void;
  /** `works`, or the failure every target must report. */
  outcome: 'works' | ExpectedFailure;
  /** Extra checks on the simulator's counters across the faulted request. */
  counters?: (delta: { logins: number; failedLogins: number; requests: number }, target: Target) => void;
  /** Send this many requests at once while the fault lasts (a burst must not become a login storm). */
  burst?: number;
}

/** Other tools' sessions on the appliance, filling it up. */
let others: DsviewClient[] = [];

const faults: Record<FaultName, Fault> = {
  'latency below the timeout': {
    inject: () => t.sim.setLatency(Math.round(REQUEST_TIMEOUT_MS * 0.3)),
    restore: () => t.sim.setLatency(0),
    outcome: 'works',
  },
  'one 5xx': {
    inject: (target) => t.sim.failNext(1, { status: 503, endpoint: target.endpoint }),
    restore: () => t.sim.failNext(0),
    outcome: 'works',
    // Retried once, within the same request.
    counters: (delta, target) => expect(delta.requests).toBe(target.callsWhenWarm + 1),
  },
  'repeated 5xx': {
    inject: (target) => t.sim.failNext(1_000, { status: 503, endpoint: target.endpoint }),
    restore: () => t.sim.failNext(0),
    outcome: { statuses: [502], types: ['appliance-unavailable'], syncError: /HTTP 503/ },
  },
  'garbage body': {
    inject: (target) => t.sim.garbageNext(1_000, { endpoint: target.endpoint }),
    restore: () => t.sim.garbageNext(0),
    outcome: { statuses: [502], types: ['appliance-bad-response'], syncError: /not JSON|unexpected body/ },
  },
  'hang past the timeout': {
    inject: () => t.sim.hang(true),
    restore: () => t.sim.hang(false),
    outcome: { statuses: [504], types: ['appliance-timeout'], syncError: /did not answer within/ },
  },
  'appliance down': {
    inject: () => t.sim.down(),
    restore: () => t.sim.up(),
    outcome: {
      statuses: [502, 504],
      types: ['appliance-unavailable', 'appliance-timeout'],
      syncError: /could not be reached|did not answer/,
    },
  },
  'JWT expired': {
    inject: () => t.sim.expireAllJwts(),
    restore: () => undefined,
    outcome: 'works',
    counters: (delta) => expect(delta.logins).toBe(1),
  },
  'sessions forgotten': {
    inject: () => t.sim.forgetAllSessions(),
    restore: () => undefined,
    outcome: 'works',
    counters: (delta) => expect(delta.logins).toBe(1),
  },
  'login refused': {
    inject: () => {
      t.sim.forgetAllSessions();
      t.sim.rejectLogins(true);
    },
    restore: () => {
      t.sim.rejectLogins(false);
      clock.advance(LOGIN_HOLD_SECONDS * 1000 + 200);
    },
    outcome: { statuses: [502], types: ['appliance-credentials-rejected'], syncError: /credentials/ },
    burst: 8,
    // No login storm: a burst against a refused password costs the appliance one refused login.
    counters: (delta) => expect(delta.failedLogins).toBe(1),
  },
  'session limit reached': {
    inject: async () => {
      t.sim.forgetAllSessions();
      others = Array.from(
        { length: MAX_SESSIONS },
        () =>
          new DsviewClient({
            appliance: { id: 'other-tool', baseUrl: t.sim.url, tls: { caPem: t.sim.certPem } },
          }),
      );
      for (const other of others) await other.login({ username: t.sim.username, password: t.sim.password });
    },
    restore: async () => {
      await Promise.all(others.map((other) => other.close()));
      others = [];
      t.sim.forgetAllSessions();
      clock.advance(FAILURE_HOLD_MS + 200);
    },
    outcome: { statuses: [502], types: ['appliance-unavailable'], syncError: /login answered HTTP 503/ },
  },
};

/* ----------------------------------------------------------------------------------------------------------
 * The matrix
 * ------------------------------------------------------------------------------------------------------- */

/** Cells tested elsewhere, each with its recovery; not repeated here. */
const COVERED: Partial<Record<`${TargetName} × ${FaultName}`, string>> = {
  'ticket × one 5xx': 'test/broker/core.test.ts › one 503 is retried; repeated 5xx is a 502 problem',
  'ticket × repeated 5xx': 'test/broker/core.test.ts › one 503 is retried; repeated 5xx is a 502 problem',
  'ticket × hang past the timeout': 'test/broker/core.test.ts › a hang is a 504 within the timeout',
  'ticket × appliance down': 'test/broker/core.test.ts › an appliance that is down is a 502, and …',
  'ticket × JWT expired': 'test/broker/core.test.ts › forgotten sessions and expired JWTs are recovered …',
  'ticket × sessions forgotten':
    'test/broker/core.test.ts › forgotten sessions and expired JWTs are recovered …',
  'ticket × login refused':
    'test/broker/faults.test.ts › a burst against a refused password causes one login …',
  'ticket × session limit reached': 'test/broker/faults.test.ts › a full appliance is a 502 that says so …',
  'launch × repeated 5xx': 'test/broker/links.test.ts › a 503 (twice, past the retry) is a 502 page …',
  'launch × garbage body': 'test/broker/links.test.ts › a 500 is a 502 page; garbage is a 502 page',
  'launch × hang past the timeout':
    'test/broker/links.test.ts › an appliance that does not answer is a 504 page …',
  'sync × appliance down':
    'test/broker/inventory.test.ts › an appliance that is down changes nothing and recovers …',
};

const cells = (Object.keys(targets) as TargetName[]).flatMap((target) =>
  (Object.keys(faults) as FaultName[])
    .filter((fault) => !COVERED[`${target} × ${fault}`])
    .map((fault) => [target, fault] as const),
);

describe('appliance fault matrix', () => {
  it.each(cells)('%s × %s', { timeout: 20_000 }, async (targetName, faultName) => {
    const target = targets[targetName];
    const fault = faults[faultName];
    expect((await mint()).status, 'the appliance works before the fault').toBe(201);
    await target.begin();
    const before = { ...t.sim.counters };
    const outputBefore = t.output.length;
    await fault.inject(target);
    let responses: CallResult[];
    const started = Date.now();
    try {
      // A burst is sent at once, so all of it falls within the hold of the first refused login.
      responses = await Promise.all([
        target.request(),
        ...Array.from({ length: (fault.burst ?? 1) - 1 }, () => target.another()),
      ]);
    } finally {
      await fault.restore();
    }
    const elapsed = Date.now() - started;
    const delta = {
      logins: t.sim.counters.logins - before.logins,
      failedLogins: t.sim.counters.failedLogins - before.failedLogins,
      requests: t.sim.counters.requests - before.requests,
    };
    const outcome = fault.outcome;
    for (const response of responses) {
      if (outcome === 'works') target.expectWorks(response);
      else target.expectFailed(response, outcome);
    }
    fault.counters?.(delta, target);
    if (faultName === 'hang past the timeout') expect(elapsed).toBeLessThan(15_000);
    if (outcome !== 'works') await target.expectNothingLost();
    if (targetName === 'launch' && faultName === 'login refused') {
      // The page is for a person; the operator learns from the log that the stored credentials are wrong.
      expect(t.output.slice(outputBefore).join('')).toContain(problemType('appliance-credentials-rejected'));
    }

    // The appliance is back: the same request (the same link, for a failed click) works.
    target.expectWorks(await target.request());
  });

  it('together with COVERED, every cell of the matrix is tested', () => {
    const all = (Object.keys(targets) as TargetName[]).flatMap((target) =>
      (Object.keys(faults) as FaultName[]).map((fault) => `${target} × ${fault}`),
    );
    const tested = [...cells.map(([target, fault]) => `${target} × ${fault}`), ...Object.keys(COVERED)];
    expect(tested.sort()).toEqual(all.sort());
    expect(all).toHaveLength(30);
  });
});
