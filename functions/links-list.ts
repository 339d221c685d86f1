import type { LinkSummary } from '../shared/links/link-service.js';
import { apiRoute } from './lib/api-route.js';
import { json } from './lib/events.js';
import * as routes from './routes.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** `GET /v1/links`: live links without their tokens; a client's own, or an admin's pick within its allow-list. */
export const handler = apiRoute(routes.listLinks, async ({ query, principal, broker }) => {
  const page = await broker.links.list(principal, query);
  return json(200, { ...page, links: page.links.map(wire) });
});

function wire(link: LinkSummary) {
  const { createdAt, expiresAt, lastUsedAt, ...rest } = link;
  return {
    ...rest,
    createdAt: iso(createdAt),
    expiresAt: iso(expiresAt),
    ...(lastUsedAt === undefined ? {} : { lastUsedAt: iso(lastUsedAt) }),
  };
}
