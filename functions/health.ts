import middy from '@middy/core';
import { json } from './lib/events.js';
import { observability } from './lib/middlewares.js';

/** `GET /health`: answers without touching any store, so it tells only that the function runs. */
export const handler = middy()
  .use(observability())
  .handler(async () => json(200, { status: 'ok' }));
