import { providerOf } from '../shared/appliances/providers.js';
import { canUseAppliance } from '../shared/auth/principal.js';
import { apiRoute } from './lib/api-route.js';
import { json } from './lib/events.js';
import * as routes from './routes.js';

/** `GET /v1/appliances`: the sources this client may use, with what each can open. */
export const handler = apiRoute(routes.listAppliances, async ({ principal, broker }) => {
  const appliances = (await broker.registry.list())
    .filter((appliance) => canUseAppliance(principal, appliance.id))
    .map(({ id, name, kind }) => ({ id, name, kind, viewerTypes: [...providerOf(kind).viewerTypes] }));
  return json(200, { appliances });
});
