import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { getBroker } from '../shared/broker.js';
import { apiRoute } from './lib/api-route.js';
import { type ApiEvent, json, type RouteContext } from './lib/events.js';
import { observability } from './lib/middlewares.js';
import * as routes from './routes.js';

/** An admin limited to some appliances syncs only those (review L3), as it reads only their audit. */
const onDemand = apiRoute(routes.syncInventory, async ({ broker, principal }) => {
  const appliances = await broker.inventory.sync.syncAll(
    principal.appliances.includes('*') ? undefined : principal.appliances,
  );
  broker.inventory.search.invalidate();
  return json(200, { appliances });
});

/** The EventBridge Scheduler run: failing appliances are reported, and a run where all failed is an error to retry. */
const scheduled = middy()
  .use(observability())
  .handler(async () => {
    const broker = await getBroker();
    const appliances = await broker.inventory.sync.syncAll();
    if (appliances.length && appliances.every((result) => result.status === 'error')) {
      throw new Error(`inventory sync failed for every appliance (${appliances.length})`);
    }
    return { appliances };
  });

/** `POST /v1/inventory/sync` and the scheduled sync: one Lambda, told apart by the event's shape. */
export const handler = (event: unknown, context: Context) =>
  (event as Partial<ApiEvent>)?.requestContext?.http
    ? onDemand(event as ApiEvent, context as RouteContext)
    : scheduled(event, context);
