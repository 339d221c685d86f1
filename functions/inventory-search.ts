import { apiRoute } from './lib/api-route.js';
import { json } from './lib/events.js';
import * as routes from './routes.js';

/** `GET /v1/devices`: the synced inventory, filtered, ordered by (appliance, name), paginated. */
export const handler = apiRoute(routes.searchDevices, async ({ query, principal, broker }) => {
  return json(200, await broker.inventory.search.search(principal, query));
});
