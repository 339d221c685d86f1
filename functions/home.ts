import middy from '@middy/core';
import { observability } from './lib/middlewares.js';
import { page } from './lib/pages.js';
import { routeList } from './routes.js';

/** What a person finds at `/`, for each route worth a click; only the routes this deployment has are shown. */
const DESTINATIONS = [
  { path: '/docs', text: 'API documentation' },
  { path: '/openapi.json', text: 'OpenAPI 3.1 description of every route (/openapi.json)' },
  { path: '/health', text: 'Health check (/health)' },
];

/** The links of the home page, read from the route table so a route that is not deployed is not linked. */
export function homeLinks(routes = routeList): { href: string; text: string }[] {
  const served = new Set(routes.filter((route) => route.method === 'GET').map((route) => route.path));
  return DESTINATIONS.filter(({ path }) => served.has(path)).map(({ path, text }) => ({ href: path, text }));
}

/** `GET /`: a person who opens the broker's address learns what it is and where its interface is described. */
export const handler = middy()
  .use(observability())
  .handler(async () =>
    page({
      status: 200,
      title: 'Console Launch Broker',
      message:
        'This broker opens remote consoles in one click: ticketing systems call its HTTP API with an API key to ' +
        'list devices and create launch links. There is nothing to sign in to here.',
      links: homeLinks(),
      headers: { 'cache-control': 'public, max-age=300' },
    }),
  );
