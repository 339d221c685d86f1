import { requireAppliance } from '../shared/auth/principal.js';
import { apiRoute } from './lib/api-route.js';
import { json } from './lib/events.js';
import * as routes from './routes.js';

/** `POST /v1/appliances/{applianceId}/login`: ensures a session exists; never returns the session's secret. */
export const handler = apiRoute(routes.login, async ({ params, principal, broker }) => {
  requireAppliance(principal, params.applianceId);
  const appliance = await broker.registry.get(params.applianceId);
  const { session, reused } = await broker.sessions.ensure(appliance);
  return json(200, {
    applianceId: params.applianceId,
    userSessionId: session.id,
    username: session.principal,
    expiresAt: new Date(session.expiresAt).toISOString(),
    reused,
  });
});
