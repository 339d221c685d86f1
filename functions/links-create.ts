import { apiRoute } from './lib/api-route.js';
import { json } from './lib/events.js';
import * as routes from './routes.js';

/** `POST /v1/links`: a validated one-click launch link (audited); the token appears only in this response. */
export const handler = apiRoute(routes.createLink, async ({ body, principal, broker, source }) => {
  const link = await broker.links.create(principal, body, source);
  return json(201, { ...link, expiresAt: new Date(link.expiresAt).toISOString() });
});
