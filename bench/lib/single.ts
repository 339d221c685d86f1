import { directClient } from './appliance.js';
import { BENCH_PRINCIPAL, type InProcessBroker, startInProcessBroker } from './broker.js';
import type { BenchContext } from './context.js';
import { applianceFor, LATENCY_MS } from './setup.js';
import { type SimHost, startSimHost } from './sims.js';

/** Cases 1-3: one simulated appliance at LATENCY_MS, the in-process broker, a launch link and a direct client. */
export interface SingleApplianceFixture {
  host: SimHost;
  local: InProcessBroker;
  direct: Awaited<ReturnType<typeof directClient>>;
  linkPath: string;
  deviceId: string;
}

export function singleAppliance(ctx: BenchContext): Promise<SingleApplianceFixture> {
  let fixture = ctx.shared.get('single') as Promise<SingleApplianceFixture> | undefined;
  if (!fixture) {
    fixture = (async () => {
      // Many sessions allowed: the vendor's way logs in on every launch and never logs out.
      const host = await startSimHost(ctx, [{ latencyMs: LATENCY_MS, maxSessions: 100_000 }]);
      const sim = host.sims[0]!;
      const local = await startInProcessBroker(ctx, {
        name: 'single',
        appliances: [applianceFor('lab', sim)],
      });
      const link = await local.broker.links.create(BENCH_PRINCIPAL, {
        applianceId: 'lab',
        deviceId: sim.kvmDevice,
        viewerType: 'KVM',
        ttlSeconds: 86_400,
      });
      const direct = await directClient(ctx, sim);
      return { host, local, direct, linkPath: new URL(link.url).pathname, deviceId: sim.kvmDevice };
    })();
    ctx.shared.set('single', fixture);
  }
  return fixture;
}
