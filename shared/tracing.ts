import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import { SERVICE } from './observability.js';

/** The one tracer of the process (X-Ray; inert outside Lambda). Loaded only where the X-Ray SDK is bundled. */
export const tracer = new Tracer({ serviceName: SERVICE });

/** X-Ray capture of a handler: a subsegment per invocation, the cold start annotated. */
export function tracingMiddleware(): MiddlewareObj {
  return captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj;
}
