import type { BenchCase } from '../lib/context.js';
import { LATENCY_MS } from '../lib/setup.js';
import { singleAppliance } from '../lib/single.js';
import { alternate } from '../lib/stats.js';
import { pairedRow, ratioAtMost } from '../lib/table.js';

/**
 * Warm paths against one direct createTicket: a click (`GET /launch/{token}` → 302) and an API client's ticket
 * (`POST …/tickets` → 201, key checked, device validated, audited), both with the session cached.
 */
export const warmClick: BenchCase = {
  id: 1,
  title: 'warm click and warm ticket API vs one appliance round trip',
  async run(ctx) {
    const { local, direct, linkPath, deviceId } = await singleAppliance(ctx);
    await local.click(linkPath); // logs in once; every sample below is warm
    const click = await alternate({
      pairs: ctx.pairs,
      warmup: 5,
      baseline: () => direct.client.createTicket(direct.session()),
      subject: () => local.click(linkPath),
    });
    const ticketPath = `/v1/appliances/lab/devices/${encodeURIComponent(deviceId)}/tickets`;
    const mintThroughApi = async () => {
      const { status } = await local.call('POST', ticketPath, { viewerType: 'KVM' });
      if (status !== 201) throw new Error(`ticket API answered ${status}`);
    };
    const ticket = await alternate({
      pairs: ctx.pairs,
      warmup: 5,
      baseline: () => direct.client.createTicket(direct.session()),
      subject: mintThroughApi,
    });
    return [
      pairedRow(ctx, 1, {
        id: 'warm-click',
        label: `warm click → 302 vs one appliance round trip (createTicket), ${LATENCY_MS} ms latency`,
        samples: click,
        goal: ratioAtMost(1.05),
      }),
      pairedRow(ctx, 1, {
        id: 'warm-ticket-api',
        label: `warm ticket API (POST …/tickets → 201) vs one appliance round trip (createTicket), ${LATENCY_MS} ms latency`,
        samples: ticket,
        goal: ratioAtMost(1.05),
      }),
    ];
  },
};
