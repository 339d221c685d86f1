import middy from '@middy/core';
import { getBroker } from '../shared/broker.js';
import type { ApiEvent, ApiResult } from './lib/events.js';
import { htmlErrors } from './lib/launch-response.js';
import { observability } from './lib/middlewares.js';
import { LAUNCH_HEADERS } from './lib/pages.js';

const STATUS = { live: 204, not_found: 404, revoked: 404, expired: 410, used: 410 } as const;

/** `HEAD /launch/{token}`: whether a link is live. Never mints a ticket, never uses a link up. */
export const handler = middy<ApiEvent, ApiResult>()
  .use(observability())
  .use(htmlErrors())
  .handler(async (event) => {
    const broker = await getBroker();
    const state = await broker.links.inspect(event.pathParameters?.token ?? '');
    return { statusCode: STATUS[state], headers: { ...LAUNCH_HEADERS } };
  });
