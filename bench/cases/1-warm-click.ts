import type { BenchCase } from '../lib/context.js';
import { singleAppliance } from '../lib/single.js';
import { alternate, summarize } from '../lib/stats.js';
import { row } from '../lib/table.js';

/** Warm click: GET /launch/{token} → 302 with the session cached, against one direct createTicket. */
export const warmClick: BenchCase = {
  id: 1,
  title: 'warm click vs one appliance round trip',
  async run(ctx) {
    const { local, direct, linkPath } = await singleAppliance(ctx);
    await local.click(linkPath); // logs in once; every sample below is warm
    const samples = await alternate({
      pairs: ctx.pairs,
      warmup: 5,
      baseline: () => direct.client.createTicket(direct.session()),
      subject: () => local.click(linkPath),
    });
    ctx.samples['1.warm-click'] = samples;
    return [
      row(1, {
        id: 'warm-click',
        label: 'warm click → 302 vs one appliance round trip (createTicket), 40 ms latency',
        unit: 'ms',
        measured: summarize(samples.subject),
        baseline: summarize(samples.baseline),
        goal: { text: '≤1.05', met: ({ ratio }) => ratio <= 1.05 },
      }),
    ];
  },
};
