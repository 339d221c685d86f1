import { requireAppliance } from '../shared/auth/principal.js';
import { apiRoute } from './lib/api-route.js';
import { json } from './lib/events.js';
import * as routes from './routes.js';

/** `GET /v1/appliances/{applianceId}/devices`: devices live from the appliance. */
export const handler = apiRoute(routes.listDevices, async ({ params, query, principal, broker }) => {
  requireAppliance(principal, params.applianceId);
  const devices = await broker.devices.list(params.applianceId, query);
  return json(200, { devices });
});
