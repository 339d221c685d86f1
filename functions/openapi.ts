import middy from '@middy/core';
import { json } from './lib/events.js';
import { observability } from './lib/middlewares.js';
import { buildOpenApiDocument } from './lib/openapi.js';

let document: unknown;

/** `GET /openapi.json`: the OpenAPI 3.1 document generated from the route table's zod schemas. */
export const handler = middy()
  .use(observability())
  .handler(async () => {
    document ??= buildOpenApiDocument();
    return json(200, document, { 'cache-control': 'public, max-age=300' });
  });
