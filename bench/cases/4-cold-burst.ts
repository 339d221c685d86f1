import type { BenchCase } from '../lib/context.js';
import { FLEET_SIZE, fleet } from '../lib/fleet.js';
import { pairedRow, row } from '../lib/table.js';

const BURST = 100;

/**
 * BURST concurrent cold clicks spread over FLEET_SIZE processes sharing one DynamoDB table: the appliance has forgotten
 * the session every process holds, so each process learns it from a refused createTicket and the processes must
 * agree on one new login (the DynamoDB lease). Repeated a few rounds.
 */
export const coldBurst: BenchCase = {
  id: 4,
  title: `${BURST} concurrent cold clicks across ${FLEET_SIZE} processes`,
  async run(ctx) {
    const rounds = ctx.quick ? 2 : 5;
    const f = await fleet(ctx);
    const links = await Promise.all(Array.from({ length: FLEET_SIZE }, (_, i) => f.createLink(i)));
    let errors = 0;
    const burst = async (into: number[]) => {
      const results = await Promise.all(
        Array.from({ length: BURST }, (_, i) => f.click(i % FLEET_SIZE, links[i % links.length]!)),
      );
      for (const r of results) {
        into.push(r.ms);
        if (r.status !== 302) errors++;
      }
    };
    const latencies: number[] = [];
    const warmLatencies: number[] = [];
    const loginsPerRound: number[] = [];
    // Alternating: the same burst with every process's session warm (the baseline), then cold.
    for (let round = 0; round < rounds; round++) {
      await burst(warmLatencies);
      await f.host.faults({ forgetAllSessions: true, resetCounters: true });
      await burst(latencies);
      loginsPerRound.push((await f.host.total()).logins);
    }
    ctx.samples['4.cold-burst'] = { loginsPerRound, errors };
    const worst = Math.max(...loginsPerRound);
    const failed = errors ? ` (${errors} not 302)` : '';
    const label = `${BURST} concurrent cold clicks (appliance forgot the session) over ${FLEET_SIZE} processes, ${rounds} rounds`;
    return [
      row(4, {
        id: 'cold-burst-logins',
        label: `${label}: appliance logins per round (worst)${failed} vs goal`,
        unit: '',
        measured: worst,
        baseline: 1,
        goal: { text: '1', met: ({ measured }) => measured === 1 && errors === 0 },
      }),
      pairedRow(ctx, 4, {
        id: 'cold-burst-latency',
        label: `${label}: click latency vs the same burst with warm sessions`,
        samples: { baseline: warmLatencies, subject: latencies },
      }),
    ];
  },
};
