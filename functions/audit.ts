import { apiRoute } from './lib/api-route.js';
import { json } from './lib/events.js';
import { routes } from './routes.js';

/** `GET /v1/audit`: launch audit events, newest first. */
export const handler = apiRoute(routes.audit, async ({ query, broker }) => {
  return json(200, await broker.audit.query(query));
});
