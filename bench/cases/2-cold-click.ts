import type { BenchCase } from '../lib/context.js';
import { singleAppliance } from '../lib/single.js';
import { alternate } from '../lib/stats.js';
import { pairedRow, ratioAtMost } from '../lib/table.js';

/**
 * Cold-session clicks against one round trip, two ways: (a) the session is gone everywhere (the appliance forgot
 * it and the broker dropped it: expiry, a re-registration) so the click logs in and mints: 2 round trips; (b) the
 * appliance forgot it but the broker still holds it, so the click learns it from a refused createTicket: 3.
 */
export const coldClick: BenchCase = {
  id: 2,
  title: 'cold-session click vs one appliance round trip',
  async run(ctx) {
    const { local, direct, linkPath, host } = await singleAppliance(ctx);
    const sessions = local.broker.sessions;
    const forget = () => host.faults({ forgetAllSessions: true });
    const dropped = await alternate({
      pairs: ctx.pairs,
      warmup: 3,
      beforeBaseline: () => direct.relogin(),
      baseline: () => direct.client.createTicket(direct.session()),
      beforeSubject: async () => {
        await forget();
        const current = await sessions.get(await local.broker.registry.get('lab'));
        await sessions.invalidate('lab', current.id);
      },
      subject: () => local.click(linkPath),
    });
    const forgotten = await alternate({
      pairs: ctx.pairs,
      warmup: 3,
      beforeBaseline: () => direct.relogin(),
      baseline: () => direct.client.createTicket(direct.session()),
      beforeSubject: async () => {
        await local.click(linkPath); // make sure the broker holds a live session first
        await forget();
      },
      subject: () => local.click(linkPath),
    });
    await direct.relogin();
    return [
      pairedRow(ctx, 2, {
        id: 'cold-click-dropped',
        label: 'cold-session click (session gone: login + createTicket) vs one round trip',
        samples: dropped,
        goal: ratioAtMost(2.1),
      }),
      // This path needs 3 round trips (refused, login, createTicket): its floor is a ratio of 3.
      pairedRow(ctx, 2, {
        id: 'cold-click-forgotten',
        label:
          'cold-session click (appliance forgot, broker still held it: refused + login + createTicket; floor 3 round trips) vs one round trip',
        samples: forgotten,
        goal: ratioAtMost(3.1),
      }),
    ];
  },
};
