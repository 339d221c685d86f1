import { apiRoute } from './lib/api-route.js';
import { json } from './lib/events.js';
import { routes } from './routes.js';

/** `POST /v1/links`: a validated one-click launch link; the token appears only in this response. */
export const handler = apiRoute(routes.createLink, async ({ body, principal, broker }) => {
  const link = await broker.links.create(principal, body);
  return json(201, { ...link, expiresAt: new Date(link.expiresAt).toISOString() });
});
