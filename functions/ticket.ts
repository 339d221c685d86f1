import { requireAppliance } from '../shared/auth/principal.js';
import { apiRoute } from './lib/api-route.js';
import { ticketResponse } from './lib/launch-response.js';
import * as routes from './routes.js';

/** `POST /v1/appliances/{applianceId}/devices/{deviceId}/tickets`: validate, launch, audit. */
export const handler = apiRoute(routes.createTicket, async ({ params, body, principal, source, broker }) => {
  requireAppliance(principal, params.applianceId);
  const { reason, ...request } = body;
  const launch = await broker.tickets.issueForClient(
    principal.clientId,
    { applianceId: params.applianceId, deviceId: params.deviceId, request },
    source,
    reason,
  );
  return ticketResponse(launch);
});
