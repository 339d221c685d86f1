import middy from '@middy/core';
import type { $ZodType, output } from 'zod/v4/core';
import type { RequestSource } from '../../shared/audit/audit-log.js';
import type { Principal } from '../../shared/auth/principal.js';
import { type Broker, getBroker } from '../../shared/broker.js';
import type { RouteSpec } from '../routes.js';
import type { ApiEvent, ApiResult, RouteContext } from './events.js';
import { authorize, bodyLimit, observability, problemErrors, validateRequest } from './middlewares.js';

/** Requests larger than this are refused with 413; no route needs more. */
export const MAX_BODY_BYTES = 16 * 1024;

type Infer<T> = T extends $ZodType ? output<T> : undefined;

/** What a route handler receives: validated input, the caller, and the broker's services. */
export interface RouteInput<R extends RouteSpec> {
  params: Infer<R['params']>;
  query: Infer<R['query']>;
  body: Infer<R['body']>;
  principal: R['scope'] extends string ? Principal : undefined;
  source: RequestSource;
  broker: Broker;
  event: ApiEvent;
}

/**
 * A Lambda handler for one contract route: observability, problem errors, body limit, the authorizer's
 * decision and zod validation run as middy middlewares; `handle` only calls `shared/` and shapes the answer.
 */
export function apiRoute<R extends RouteSpec>(
  route: R,
  handle: (input: RouteInput<R>) => Promise<ApiResult>,
) {
  return middy<ApiEvent, ApiResult, Error, RouteContext>()
    .use(observability())
    .use(problemErrors())
    .use(bodyLimit(MAX_BODY_BYTES))
    .use(authorize(route.scope))
    .use(validateRequest(route))
    .handler(async (event, context) => {
      const input = context.input as { params: unknown; query: unknown; body: unknown };
      const broker = await getBroker();
      const run = () =>
        handle({
          ...input,
          principal: context.principal,
          source: sourceOf(event),
          broker,
          event,
        } as RouteInput<R>);
      if (!context.principal) return run();
      return broker.limits.admit(
        'client',
        context.principal.clientId,
        broker.settings.CLIENT_RATE_LIMIT_PER_MINUTE,
        run,
      );
    });
}

/** Who sent the request, for the audit trail. */
export function sourceOf(event: ApiEvent): RequestSource {
  return { sourceIp: event.requestContext.http.sourceIp, userAgent: event.requestContext.http.userAgent };
}
