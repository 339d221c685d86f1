import { vendorLaunch } from '../lib/appliance.js';
import type { BenchCase } from '../lib/context.js';
import { singleAppliance } from '../lib/single.js';
import { alternate } from '../lib/stats.js';
import { pairedRow } from '../lib/table.js';

/** The vendor's way (login + list + ticket per launch, new TLS connection each) against a warm click. */
export const vendorWay: BenchCase = {
  id: 3,
  title: "vendor's way vs warm click",
  async run(ctx) {
    const { local, linkPath, host, deviceId } = await singleAppliance(ctx);
    const sim = host.sims[0]!;
    await local.click(linkPath);
    const samples = await alternate({
      pairs: ctx.pairs,
      warmup: 3,
      baseline: () => local.click(linkPath),
      subject: () => vendorLaunch(sim, deviceId),
    });
    return [
      pairedRow(ctx, 3, {
        id: 'vendor-way',
        label: "vendor's way (login + list + createTicket, new TLS connection each) vs warm click: speed-up",
        samples,
      }),
    ];
  },
};
