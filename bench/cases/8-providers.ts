import { DcvClient } from '../../shared/appliances/dcv/client.js';
import { PasswordSafeClient } from '../../shared/appliances/password-safe/client.js';
import { HttpsTransport } from '../../shared/appliances/transport.js';
import { VcenterClient } from '../../shared/appliances/vcenter/client.js';
import type { ConfigFile } from '../../shared/config/file.js';
import { startDcvSimulator } from '../../simulators/dcv/simulator.js';
import { PLATFORMS, type SimAccount, standardAccounts } from '../../simulators/password-safe/inventory.js';
import { startPasswordSafeSimulator } from '../../simulators/password-safe/simulator.js';
import { startVcenterSimulator } from '../../simulators/vcenter/simulator.js';
import { BENCH_PRINCIPAL, type InProcessBroker, startInProcessBroker } from '../lib/broker.js';
import type { BenchCase, BenchContext } from '../lib/context.js';
import { LATENCY_MS } from '../lib/setup.js';
import { alternate } from '../lib/stats.js';
import { pairedRow, ratioAtMost } from '../lib/table.js';

const WARMUP = 3;
/** Password Safe's WIN-DC01\svc-backup: its requests wait for an approver, as the warm row's premise says. */
const APPROVAL_RDP = '1.12';
/** Systems of the accounts the fresh-request row spends, one account per sample (a request is live for hours). */
const FRESH_SYSTEM_BASE = 1000;

/**
 * The wave-2 kinds' warm paths against the one source call each makes, every pair alternating in this run at
 * LATENCY_MS. The simulators run in this process (the broker and the direct client share their event loop),
 * which costs both sides alike.
 */
export const providers: BenchCase = {
  id: 8,
  title: 'vCenter, DCV and Password Safe clicks vs their source round trips',
  async run(ctx) {
    const [vcenter, dcv, pam] = await Promise.all([
      startVcenterSimulator({ host: '127.0.0.1', latencyMs: LATENCY_MS }),
      startDcvSimulator({ host: '127.0.0.1', latencyMs: LATENCY_MS }),
      startPasswordSafeSimulator({
        host: '127.0.0.1',
        latencyMs: LATENCY_MS,
        accounts: [...standardAccounts(), ...freshAccounts(2 * (WARMUP + ctx.pairs + 1))],
      }),
    ]);
    ctx.defer(() => Promise.all([vcenter.close(), dcv.close(), pam.close()]));
    const appliances = [
      {
        id: 'vc',
        kind: 'vcenter',
        baseUrl: vcenter.url,
        tls: { caPem: vcenter.certPem },
        credentials: vcenter.credentials,
      },
      { id: 'dcv', kind: 'dcv', baseUrl: dcv.url, tls: { caPem: dcv.certPem }, credentials: dcv.credentials },
      {
        id: 'pam',
        kind: 'password-safe',
        baseUrl: pam.baseUrl,
        tls: { caPem: pam.certPem },
        credentials: pam.credentials,
      },
    ].map((entry) => ({ name: `Bench ${entry.id}`, ...entry })) as ConfigFile['appliances'];
    const local = await startInProcessBroker(ctx, { name: 'providers', appliances });
    const direct = (id: string, baseUrl: string, caPem: string) => {
      const transport = new HttpsTransport(`direct-${id}`, baseUrl, { caPem });
      ctx.defer(() => transport.close());
      return transport;
    };
    const link = async (applianceId: string, deviceId: string, viewerType: string, user?: string) => {
      const created = await local.broker.links.create(BENCH_PRINCIPAL, {
        applianceId,
        deviceId,
        viewerType,
        ...(user === undefined ? {} : { user }),
        ttlSeconds: 86_400,
      });
      return new URL(created.url).pathname;
    };

    /** Checks `subject` makes exactly one source call, then alternates it with `baseline`, that call made directly. */
    const warmPairs = async (
      what: string,
      requests: () => number,
      subject: () => Promise<unknown>,
      baseline: () => Promise<unknown>,
    ) => {
      await expectSourceCalls(ctx, what, requests, subject, 1);
      return alternate({ pairs: ctx.pairs, warmup: WARMUP, baseline, subject });
    };
    /** The ticket API on a cached session (`POST …/tickets`, key checked, device validated, audited). */
    const ticketCall = (
      applianceId: string,
      deviceId: string,
      body: Record<string, unknown>,
      status = 201,
    ) => {
      const path = `/v1/appliances/${applianceId}/devices/${encodeURIComponent(deviceId)}/tickets`;
      return async () => {
        const answer = await local.call('POST', path, body);
        if (answer.status !== status) throw new Error(`${applianceId} ticket API answered ${answer.status}`);
      };
    };

    // vCenter: a VMRC click mints one console ticket on a cached session.
    const vm = vcenter.vms.find((v) => v.power_state === 'POWERED_ON')?.vm;
    if (!vm) throw new Error('the vCenter simulator has no powered-on VM');
    const vcenterApi = new VcenterClient('direct-vc', direct('vc', vcenter.url, vcenter.certPem));
    const vcenterSession = await vcenterApi.login(vcenter.credentials);
    const vmrcPath = await link('vc', vm, 'VMRC');
    const vmrcClick = async () => {
      const location = await local.click(vmrcPath);
      if (!location.startsWith('vmrc://')) throw new Error('the VMRC click did not redirect to vmrc://');
    };
    await vmrcClick(); // logs in once; every sample below is warm
    const vmrc = await warmPairs(
      'VMRC click',
      () => vcenter.counters.requests,
      vmrcClick,
      () => vcenterApi.createTicket(vcenterSession, vm, 'VMRC'),
    );
    const vmrcTicket = ticketCall('vc', vm, { viewerType: 'VMRC' });
    const vmrcApi = await warmPairs(
      'VMRC ticket API call',
      () => vcenter.counters.requests,
      vmrcTicket,
      () => vcenterApi.createTicket(vcenterSession, vm, 'VMRC'),
    );

    // DCV: a click mints one connection token with the cached access token.
    const session = dcv.sessions.find((s) => s.State === 'READY');
    if (!session) throw new Error('the DCV simulator has no READY session');
    const dcvTransport = direct('dcv', dcv.url, dcv.certPem);
    const { state } = await new DcvClient({ appliance: { id: 'direct-dcv' }, transport: dcvTransport }).login(
      dcv.credentials,
    );
    const connectionData = async () => {
      const answer = await dcvTransport.request({
        step: 'sessionConnectionData',
        method: 'GET',
        path: `/sessionConnectionData/${encodeURIComponent(session.Id)}/${encodeURIComponent(session.Owner)}`,
        headers: { accept: 'application/json', authorization: `Bearer ${state.accessToken}` },
        retry: true,
      });
      if (answer.status !== 200) throw new Error(`sessionConnectionData answered ${answer.status}`);
    };
    const dcvPath = await link('dcv', session.Id, 'DCV', session.Owner);
    const dcvClick = () => local.click(dcvPath);
    await dcvClick();
    const dcvSamples = await warmPairs('DCV click', () => dcv.counters.requests, dcvClick, connectionData);
    const dcvTicket = ticketCall('dcv', session.Id, { viewerType: 'DCV', user: session.Owner });
    const dcvApi = await warmPairs(
      'DCV ticket API call',
      () => dcv.counters.requests,
      dcvTicket,
      connectionData,
    );

    // Password Safe, warm: the broker remembers the approved request, so a click is one Sessions call.
    const pamApi = new PasswordSafeClient('direct-pam', pam.baseUrl, direct('pam', pam.baseUrl, pam.certPem));
    const { cookie } = await pamApi.signIn({
      apiKey: pam.credentials.apiKey ?? '',
      runAs: pam.credentials.runAs ?? '',
    });
    const rdpPath = await link('pam', APPROVAL_RDP, 'RDP');
    await approveFirstClick(local, rdpPath, (id) => pam.approve(id));
    const rdpClick = () => local.click(rdpPath, 200);
    const [systemId, accountId] = APPROVAL_RDP.split('.').map(Number) as [number, number];
    const warmRequest = await pamApi.fileRequest(cookie, releaseOf(systemId, accountId));
    if (pam.requestState(warmRequest) === 'pending') pam.approve(warmRequest);
    const openSession = async (requestId: number) => {
      const answer = await pamApi.openSession(cookie, requestId, 'rdpfile');
      if (answer.kind !== 'rdpfile') throw new Error(`Sessions answered ${answer.kind}`);
    };
    const rdp = await warmPairs(
      'warm RDP click',
      () => pam.counters.requests,
      rdpClick,
      () => openSession(warmRequest),
    );
    // The ticket API reuses the client's approved request for the account: every sample is one Sessions call.
    const rdpTicket = ticketCall('pam', APPROVAL_RDP, { viewerType: 'RDP' });
    await approveFirstTicket(local, APPROVAL_RDP, (id) => pam.approve(id));
    const rdpApi = await warmPairs(
      'warm RDP ticket API call',
      () => pam.counters.requests,
      rdpTicket,
      () => openSession(warmRequest),
    );

    // Password Safe, fresh: every sample on an account nobody has asked for yet, so a request is filed first.
    // The listing teaches the broker each account's maximum duration, as any click of a warm process knows it.
    const listed = await local.call('GET', '/v1/appliances/pam/devices');
    if (listed.status !== 200) throw new Error(`the Password Safe listing answered ${listed.status}`);
    let nextSystem = FRESH_SYSTEM_BASE;
    let freshPath = '';
    const nextFreshLink = async () => {
      freshPath = await link('pam', `${nextSystem++}.1`, 'RDP');
    };
    const freshClick = () => local.click(freshPath, 200);
    await nextFreshLink();
    await expectSourceCalls(ctx, 'first RDP click', () => pam.counters.requests, freshClick, 2);
    const fresh = await alternate({
      pairs: ctx.pairs,
      warmup: WARMUP,
      baseline: async () => openSession(await pamApi.fileRequest(cookie, releaseOf(nextSystem++, 1))),
      subject: freshClick,
      beforeSubject: nextFreshLink,
    });

    const at = `${LATENCY_MS} ms latency`;
    return [
      pairedRow(ctx, 8, {
        id: 'vcenter-warm-click',
        label: `vCenter: warm VMRC click → 302 vmrc:// vs one console/tickets round trip, ${at}, n=${ctx.pairs}`,
        samples: vmrc,
        goal: ratioAtMost(1.05),
      }),
      pairedRow(ctx, 8, {
        id: 'vcenter-warm-ticket-api',
        label: `vCenter: warm ticket API (POST …/tickets, VMRC → 201) vs one console/tickets round trip, ${at}, n=${ctx.pairs}`,
        samples: vmrcApi,
        goal: ratioAtMost(1.05),
      }),
      pairedRow(ctx, 8, {
        id: 'dcv-warm-click',
        label: `DCV: warm click → 302 vs one sessionConnectionData round trip, ${at}, n=${ctx.pairs}`,
        samples: dcvSamples,
        goal: ratioAtMost(1.05),
      }),
      pairedRow(ctx, 8, {
        id: 'dcv-warm-ticket-api',
        label: `DCV: warm ticket API (POST …/tickets → 201) vs one sessionConnectionData round trip, ${at}, n=${ctx.pairs}`,
        samples: dcvApi,
        goal: ratioAtMost(1.05),
      }),
      pairedRow(ctx, 8, {
        id: 'password-safe-warm-click',
        label: `Password Safe: warm RDP click (approved request) → rdpfile vs one Sessions round trip, ${at}, n=${ctx.pairs}`,
        samples: rdp,
        goal: ratioAtMost(1.05),
      }),
      pairedRow(ctx, 8, {
        id: 'password-safe-warm-ticket-api',
        label: `Password Safe: warm ticket API (POST …/tickets, RDP, approved request → 201) vs one Sessions round trip, ${at}, n=${ctx.pairs}`,
        samples: rdpApi,
        goal: ratioAtMost(1.05),
      }),
      pairedRow(ctx, 8, {
        id: 'password-safe-first-click',
        label: `Password Safe: first RDP click (Requests + Sessions) → rdpfile vs the two round trips, ${at}, n=${ctx.pairs}`,
        samples: fresh,
      }),
    ];
  },
};

/** Windows accounts that release at once, each on its own system from FRESH_SYSTEM_BASE on. */
function freshAccounts(count: number): SimAccount[] {
  return Array.from({ length: count }, (_, i) => ({
    systemId: FRESH_SYSTEM_BASE + i,
    systemName: `WIN-BENCH${i}`,
    platform: PLATFORMS.windows,
    domainName: null,
    accountId: 1,
    accountName: 'Administrator',
    defaultReleaseDuration: 120,
    maximumReleaseDuration: 525,
    approvalRequired: false,
    apiEnabled: true,
    description: null,
  }));
}

function releaseOf(systemId: number, accountId: number) {
  return {
    SystemID: systemId,
    AccountID: accountId,
    DurationMinutes: 60,
    Reason: 'bench',
    AccessType: 'RDP' as const,
    ConflictOption: 'reuse' as const,
  };
}

/** The link's first click files the request and answers the waiting page; an approver then releases it. */
async function approveFirstClick(local: InProcessBroker, path: string, approve: (id: number) => void) {
  const waiting = await local.call('GET', path);
  if (waiting.status !== 202) throw new Error(`the first RDP click answered ${waiting.status}, expected 202`);
  const requestId = Number(/request (\d+)/.exec(waiting.text)?.[1]);
  if (!Number.isSafeInteger(requestId)) throw new Error('the waiting page names no request');
  approve(requestId);
}

/**
 * The API client's request for an approval account: reused if this client already has one (the links above are
 * the same client's), else its first ticket call waits (202) until the request is approved here.
 */
async function approveFirstTicket(local: InProcessBroker, deviceId: string, approve: (id: number) => void) {
  const path = `/v1/appliances/pam/devices/${encodeURIComponent(deviceId)}/tickets`;
  const first = await local.call('POST', path, { viewerType: 'RDP' });
  if (first.status === 201) return;
  if (first.status !== 202) throw new Error(`the first RDP ticket call answered ${first.status}`);
  const requestId = Number((JSON.parse(first.text) as { requestId?: string }).requestId);
  if (!Number.isSafeInteger(requestId)) throw new Error('the 202 answer names no request');
  approve(requestId);
}

/**
 * Runs `work` once and checks it made exactly `expected` source calls: a row whose subject quietly made another
 * call (a login, a listing) would compare something else than its label says.
 */
async function expectSourceCalls(
  ctx: BenchContext,
  what: string,
  requests: () => number,
  work: () => Promise<unknown>,
  expected: number,
) {
  const before = requests();
  await work();
  const made = requests() - before;
  if (made !== expected) throw new Error(`${what} made ${made} source calls, expected ${expected}`);
  ctx.log(`case 8: ${what} makes ${made} source call${made === 1 ? '' : 's'}`);
}
