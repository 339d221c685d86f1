import { providerOf } from '../shared/appliances/providers.js';
import { canUseAppliance } from '../shared/auth/principal.js';
import { apiRoute } from './lib/api-route.js';
import { json } from './lib/events.js';
import * as routes from './routes.js';

/** `GET /v1/appliances`: the sources this client may use, with what each can open. */
export const handler = apiRoute(routes.listAppliances, async ({ principal, broker }) => {
  const appliances = (await broker.registry.list())
    .filter((appliance) => canUseAppliance(principal, appliance.id))
    .map((appliance) => {
      const provider = providerOf(appliance.kind);
      const viewerTypes = provider.viewerTypesOf?.(appliance) ?? provider.viewerTypes;
      return { id: appliance.id, name: appliance.name, kind: appliance.kind, viewerTypes: [...viewerTypes] };
    });
  return json(200, { appliances });
});
