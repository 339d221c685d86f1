import type { Context } from 'aws-lambda';
import { apiRoute } from './lib/api-route.js';
import { type ApiEvent, type ApiResult, json, type RouteContext } from './lib/events.js';
import * as routes from './routes.js';

/** `DELETE /v1/links/{id}`: the link stops working at once. */
const revokeOne = apiRoute(routes.revokeLink, async ({ params, principal, broker }) => {
  await broker.links.revoke(principal, params.id);
  return { statusCode: 204, headers: { 'cache-control': 'no-store' } };
});

/** `DELETE /v1/links?createdBy=<client>` (admin): every live link of that client, within the allow-list. */
const revokeAll = apiRoute(routes.revokeLinks, async ({ query, principal, broker }) =>
  json(200, await broker.links.revokeAllOf(principal, query.createdBy)),
);

/** Both revocation routes: one function, as both write the same items. */
export const handler = (event: ApiEvent, context: Context): Promise<ApiResult> =>
  (event.pathParameters?.id === undefined ? revokeAll : revokeOne)(event, context as RouteContext);
