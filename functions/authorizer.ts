import middy from '@middy/core';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { getBroker } from '../shared/broker.js';
import { logger } from '../shared/observability.js';
import { type AuthorizerContext, principalToContext } from './lib/events.js';
import { observability } from './lib/middlewares.js';

/** The error message API Gateway turns into a 401. */
export const UNAUTHORIZED = 'Unauthorized';

/**
 * The REQUEST authorizer: resolves `Authorization: Bearer <api key>` to a client. Unknown keys are 401;
 * scopes and allow-lists are checked by each route, so one cached decision serves every route.
 */
export const handler = middy<
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult<AuthorizerContext>
>()
  .use(observability())
  .handler(async (event) => {
    const header = event.headers?.authorization ?? event.headers?.Authorization ?? '';
    const match = /^Bearer ([\x21-\x7e]{1,256})$/.exec(header.trim());
    if (!match?.[1]) throw new Error(UNAUTHORIZED);
    const broker = await getBroker();
    const principal = await broker.clients.authenticate(match[1]).catch((error: unknown) => {
      // API Gateway answers a failed authorizer with a bare error: the reason is only here.
      logger.error('authorizer could not decide', {
        error: error instanceof Error ? error.message : 'unknown',
      });
      throw error;
    });
    if (!principal) {
      logger.info('unknown API key refused', { sourceIp: event.requestContext.http.sourceIp });
      throw new Error(UNAUTHORIZED);
    }
    return { isAuthorized: true, context: principalToContext(principal) };
  });
