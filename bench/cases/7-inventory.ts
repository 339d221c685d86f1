import { DsviewClient, type DsviewSession } from '../../shared/appliances/dsview/client.js';
import { startInProcessBroker } from '../lib/broker.js';
import type { BenchCase } from '../lib/context.js';
import { applianceFor, LATENCY_MS } from '../lib/setup.js';
import { startSimHost } from '../lib/sims.js';
import { alternate, pool, time } from '../lib/stats.js';
import { pairedRow, row } from '../lib/table.js';

const QUERIES = [
  'rack001',
  'gpu',
  'web00',
  'console',
  'no-such-device',
  'esx',
  'rack042',
  'vm-jump',
  '4k kvm',
  'pdu',
];

/**
 * The inventory at scale: first sync and unchanged re-sync of N appliances × M devices against listing the same
 * appliances directly (the appliance floor, same concurrency), DynamoDB writes on the unchanged re-sync, and
 * `GET /v1/devices?q=` over the whole inventory against `GET /health` (the local HTTP floor).
 */
export const inventory: BenchCase = {
  id: 7,
  title: 'inventory sync and search at scale',
  async run(ctx) {
    const appliances = ctx.quick ? 10 : 50;
    const perAppliance = ctx.quick ? 200 : 2000;
    const resyncs = 3;
    const host = await startSimHost(
      ctx,
      Array.from({ length: appliances }, (_, i) => ({
        latencyMs: LATENCY_MS,
        deviceCount: perAppliance,
        seed: `inv-${i}`,
      })),
    );
    const ids = host.sims.map((_, i) => `inv-${String(i).padStart(3, '0')}`);
    const local = await startInProcessBroker(ctx, {
      name: 'inventory',
      appliances: host.sims.map((sim, i) => applianceFor(ids[i]!, sim)),
    });
    const concurrency = local.broker.settings.SYNC_CONCURRENCY;

    // Count every item the broker writes to DynamoDB (the document client shares the client's middleware stack).
    let writes = 0;
    local.broker.table.doc.middlewareStack.add(
      (next, context) => async (args) => {
        const name = String(context.commandName ?? '');
        const input = args.input as {
          RequestItems?: Record<string, unknown[]>;
          TransactItems?: unknown[];
        };
        if (/^BatchWrite/.test(name))
          writes += Object.values(input.RequestItems ?? {}).reduce((n, list) => n + list.length, 0);
        else if (/^TransactWrite/.test(name)) writes += input.TransactItems?.length ?? 0;
        else if (/^(Put|Update|Delete)/.test(name)) writes++;
        return next(args);
      },
      { step: 'initialize', name: 'benchWriteCounter' },
    );

    // The floor: the same listings, straight from this process, warm sessions, same concurrency.
    const direct: { client: DsviewClient; session: DsviewSession }[] = [];
    for (const [i, sim] of host.sims.entries()) {
      const client = new DsviewClient({
        appliance: { id: `direct-${i}`, baseUrl: sim.url, tls: { caPem: sim.certPem } },
      });
      ctx.defer(() => client.close());
      direct.push({
        client,
        session: await client.login({ username: sim.username, password: sim.password }),
      });
    }
    let listed = 0;
    const listAll = () =>
      pool(direct.length, concurrency, async (i) => {
        const { client, session } = direct[i]!;
        listed += (await client.listDevices(session)).length;
      });

    const total = appliances * perAppliance;
    const label = `${appliances} appliances × ${perAppliance.toLocaleString('en-US')} devices (${total.toLocaleString('en-US')})`;
    const check = (results: { status: string; devices: number }[]) => {
      const bad = results.filter((r) => r.status !== 'ok' || r.devices !== perAppliance);
      if (bad.length) throw new Error(`sync failed for ${bad.length} appliances: ${JSON.stringify(bad[0])}`);
    };

    const firstListMs = await time(listAll);
    writes = 0;
    let firstResults: Awaited<ReturnType<typeof local.broker.inventory.sync.syncAll>> = [];
    const firstSyncMs = await time(async () => {
      firstResults = await local.broker.inventory.sync.syncAll();
    });
    check(firstResults);
    const firstWrites = writes;
    ctx.log(
      `case 7: first sync of ${total} devices in ${(firstSyncMs / 1000).toFixed(1)} s, ${firstWrites} writes`,
    );

    writes = 0;
    const resync = await alternate({
      pairs: resyncs,
      warmup: 0,
      baseline: listAll,
      subject: async () => check(await local.broker.inventory.sync.syncAll()),
    });
    const resyncWrites = writes / resyncs;
    local.broker.inventory.search.invalidate();

    let q = 0;
    const search = async () => {
      const query = QUERIES[q++ % QUERIES.length] ?? 'rack';
      const response = await local.call('GET', `/v1/devices?q=${encodeURIComponent(query)}`);
      if (response.status !== 200)
        throw new Error(`search answered ${response.status}: ${response.text.slice(0, 200)}`);
    };
    const firstSearchMs = await time(search); // loads the snapshot of the whole inventory
    const searches = await alternate({
      pairs: ctx.pairs,
      warmup: 3,
      baseline: () => local.call('GET', '/health'),
      subject: search,
    });
    ctx.samples['7.inventory'] = {
      appliances,
      perAppliance,
      firstListMs,
      firstSyncMs,
      firstWrites,
      resyncWrites,
      firstSearchMs,
      listed,
    };
    return [
      row(7, {
        id: 'inventory-first-sync',
        label: `first sync, ${label}, vs listing them directly (warm sessions, concurrency ${concurrency}), n=1`,
        unit: 'ms',
        measured: firstSyncMs,
        baseline: firstListMs,
      }),
      pairedRow(ctx, 7, {
        id: 'inventory-resync',
        label: `unchanged re-sync, ${label}, vs listing them directly`,
        samples: resync,
      }),
      row(7, {
        id: 'inventory-resync-writes',
        label: `DynamoDB items written per unchanged re-sync, ${label}, vs the first sync`,
        unit: '',
        measured: resyncWrites,
        baseline: firstWrites,
        goal: { text: '0', met: ({ measured }) => measured === 0 },
      }),
      pairedRow(ctx, 7, {
        id: 'inventory-search',
        label: `GET /v1/devices?q= over ${total.toLocaleString('en-US')} devices (first after a sync, loading the snapshot: ${Math.round(firstSearchMs)} ms) vs GET /health`,
        samples: searches,
        goal: { text: 'p50 ≤50 ms', met: ({ measured }) => measured <= 50 },
      }),
    ];
  },
};
