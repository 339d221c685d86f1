import { requireAppliance } from '../shared/auth/principal.js';
import { apiRoute } from './lib/api-route.js';
import { json } from './lib/events.js';
import { routes } from './routes.js';

/** `POST /v1/appliances/{applianceId}/devices/{deviceId}/tickets`: validate, mint, audit. */
export const handler = apiRoute(routes.createTicket, async ({ params, body, principal, source, broker }) => {
  requireAppliance(principal, params.applianceId);
  const issued = await broker.tickets.issueForClient(
    principal.clientId,
    { applianceId: params.applianceId, deviceId: params.deviceId, request: body },
    source,
  );
  return json(201, {
    ticket: issued.ticket,
    launchUrl: issued.launchUrl,
    expiresAt: new Date(issued.expiresAt).toISOString(),
  });
});
