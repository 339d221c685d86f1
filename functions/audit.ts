import { canUseAppliance, requireAppliance } from '../shared/auth/principal.js';
import { apiRoute } from './lib/api-route.js';
import { json } from './lib/events.js';
import * as routes from './routes.js';

/**
 * `GET /v1/audit`: launch audit events, newest first. An admin limited to some appliances sees only their
 * events: naming another appliance is a 403, and an unfiltered page drops the others (a page may then hold fewer
 * than `limit` events; `nextCursor` still continues it). Events that name no appliance (unknown tokens) are for
 * unrestricted admins only.
 */
export const handler = apiRoute(routes.audit, async ({ query, principal, broker }) => {
  if (query.applianceId !== undefined) requireAppliance(principal, query.applianceId);
  const page = await broker.audit.query(query);
  if (principal.appliances.includes('*')) return json(200, page);
  const events = page.events.filter(
    (event) => event.applianceId !== undefined && canUseAppliance(principal, event.applianceId),
  );
  return json(200, { ...page, events });
});
