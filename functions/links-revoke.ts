import { apiRoute } from './lib/api-route.js';
import { routes } from './routes.js';

/** `DELETE /v1/links/{id}`: the link stops working at once. */
export const handler = apiRoute(routes.revokeLink, async ({ params, principal, broker }) => {
  await broker.links.revoke(principal, params.id);
  return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
});
