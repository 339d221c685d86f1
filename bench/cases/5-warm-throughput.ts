import type { BenchCase } from '../lib/context.js';
import { FLEET_SIZE, fleet } from '../lib/fleet.js';
import { pool, time } from '../lib/stats.js';
import { pairedRow, row } from '../lib/table.js';

const CONCURRENCY = 32;

/**
 * Many warm clicks across FLEET_SIZE processes, alternating chunks with the same number of direct createTicket calls
 * at the same concurrency (the appliance floor): appliance logins over the fleet's whole life, throughput, and
 * CPU per click as the broker processes themselves report it.
 */
export const warmThroughput: BenchCase = {
  id: 5,
  title: `warm clicks across ${FLEET_SIZE} processes`,
  async run(ctx) {
    const total = ctx.quick ? 1_000 : 10_000;
    const rounds = ctx.quick ? 2 : 4;
    const f = await fleet(ctx);
    const links = await Promise.all(Array.from({ length: 8 }, (_, i) => f.createLink(i % FLEET_SIZE)));
    // Warm every process's connections to the appliance and its registry cache.
    await pool(64, 16, (i) => f.click(i % FLEET_SIZE, links[i % links.length]!));
    // The latency row's baseline, in this run against this appliance: idle, sequential direct round trips.
    const idle: number[] = [];
    for (let i = 0; i < 5 + ctx.pairs; i++) {
      const ms = await time(() => f.direct.client.createTicket(f.direct.session()));
      if (i >= 5) idle.push(ms);
    }
    const chunk = Math.ceil(total / rounds);
    let brokerMs = 0;
    let directMs = 0;
    let brokerCpu = 0;
    let directCpu = 0;
    let errors = 0;
    const latencies: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const cpuBefore = process.cpuUsage();
      directMs += await pool(chunk, CONCURRENCY, () => f.direct.client.createTicket(f.direct.session()));
      const cpuAfter = process.cpuUsage(cpuBefore);
      directCpu += (cpuAfter.user + cpuAfter.system) / 1000;
      const before = await Promise.all(f.brokers.map((b) => b.cpuMs()));
      brokerMs += await pool(chunk, CONCURRENCY, async (i) => {
        const { ms, status } = await f.click(i % FLEET_SIZE, links[i % links.length]!);
        if (status !== 302) errors++;
        if (i % 10 === 0) latencies.push(ms);
      });
      const after = await Promise.all(f.brokers.map((b) => b.cpuMs()));
      brokerCpu += after.reduce((sum, ms, i) => sum + ms - before[i]!, 0);
      ctx.log(`case 5: round ${round + 1}/${rounds} done`);
    }
    const clicks = chunk * rounds;
    const counters = await f.host.total();
    // The appliance counts every login; the direct baseline client's own are not the broker's.
    const logins = counters.logins - f.direct.logins();
    const brokerRate = clicks / (brokerMs / 1000);
    const directRate = clicks / (directMs / 1000);
    ctx.samples['5.warm-throughput'] = {
      clicks,
      concurrency: CONCURRENCY,
      rounds,
      brokerMs,
      directMs,
      brokerCpuMs: brokerCpu,
      directCpuMs: directCpu,
      loginsAtStart: f.loginsAtStart,
      loginsTotal: logins,
      errors,
      simCounters: counters,
    };
    const label = `${clicks.toLocaleString('en-US')} warm clicks, ${FLEET_SIZE} processes, concurrency ${CONCURRENCY}`;
    const failed = errors ? ` (${errors} not 302)` : '';
    return [
      row(5, {
        id: 'warm-logins',
        label: `${label}: appliance logins over the fleet's life (start + clicks)${failed} vs goal`,
        unit: '',
        measured: logins,
        baseline: 1,
        goal: { text: '1', met: ({ measured }) => measured === 1 && errors === 0 },
      }),
      row(5, {
        id: 'warm-throughput',
        label: `${label}: throughput vs direct createTicket at the same concurrency`,
        unit: '/s',
        measured: brokerRate,
        baseline: directRate,
      }),
      row(5, {
        id: 'warm-cpu',
        label: `${label}: CPU per click in the broker processes vs CPU per direct createTicket (client side)`,
        unit: 'ms',
        measured: brokerCpu / clicks,
        baseline: directCpu / clicks,
        goal: { text: '≤3 ms', met: ({ measured }) => measured <= 3 },
      }),
      pairedRow(ctx, 5, {
        id: 'warm-latency-under-load',
        label: `${label}: click latency under load (every 10th click) vs one idle direct createTicket (sequential, same appliance, this run)`,
        samples: { baseline: idle, subject: latencies },
      }),
    ];
  },
};
