import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';
// Core's parse, not shared/zod.ts: the docs and health functions validate nothing and so bundle no messages.
import { type $ZodIssue, type $ZodType, safeParse } from 'zod/v4/core';
import { requireScope, type Scope } from '../../shared/auth/principal.js';
import { InvalidInputError, issueMessage, UnauthorizedError } from '../../shared/errors.js';
import { logger, metrics } from '../../shared/observability.js';
import { type ApiEvent, type ApiResult, principalFromContext, type RouteContext } from './events.js';
import { HttpProblem, problemResponse, toProblem } from './problem.js';

type Middleware = MiddlewareObj<ApiEvent, ApiResult, Error, RouteContext>;

/** Powertools logger context, X-Ray capture (when bundled) and EMF metrics flush: one line per handler. */
export function observability(): MiddlewareObj[] {
  return [
    injectLambdaContext(logger, { resetKeys: true }),
    // The stack's `xraySdk` prop decides at bundling time: esbuild defines BROKER_XRAY_SDK as "on" or "off", this
    // test is a constant, and without the SDK its import is dead code, left out of the bundle (written out here,
    // not imported, because esbuild folds only what it sees in the same file). Unbundled (npm start, tests) it is
    // off: the X-Ray SDK's async hooks cost CPU on every promise and outside Lambda it records nothing. Lambda's
    // active tracing records every invocation either way; the SDK adds subsegments.
    ...(process.env.BROKER_XRAY_SDK === 'on' ? [lazyTracing()] : []),
    publishMetrics(),
  ] as MiddlewareObj[];
}

/** The invocation's metrics flushed as EMF, whether the handler answered or threw. */
function publishMetrics(): MiddlewareObj {
  const publish = () => metrics.publish();
  return { after: publish, onError: publish };
}

/**
 * The X-Ray capture middleware, imported at the first invocation, so that a bundle without the X-Ray SDK does
 * not reach its module at all.
 */
function lazyTracing(): MiddlewareObj {
  let loaded: Promise<MiddlewareObj> | undefined;
  const inner = () => {
    loaded ??= import('../../shared/tracing.js').then((module) => module.tracingMiddleware());
    return loaded;
  };
  return {
    before: async (request) => (await inner()).before?.(request),
    after: async (request) => (await inner()).after?.(request),
    onError: async (request) => (await inner()).onError?.(request),
  };
}

/** The single error exit: typed errors become RFC 9457 problems; anything else a bare 500, logged. */
export function problemErrors(): Middleware {
  return {
    onError: (request) => {
      const problem = toProblem(request.error);
      if (problem.status >= 500) {
        logger.error('request failed', { problem: problem.type, error: request.error?.message });
      } else {
        logger.info('request refused', { problem: problem.type, status: problem.status });
      }
      const retryAfter = (request.error as { retryAfterSeconds?: number } | null)?.retryAfterSeconds;
      request.response = problemResponse(problem, retryAfter ? { 'retry-after': String(retryAfter) } : {});
    },
  };
}

/** Refuses bodies over `maxBytes` with 413 before anything parses them. */
export function bodyLimit(maxBytes: number): Middleware {
  return {
    before: ({ event }) => {
      if (!event.body) return;
      const size = event.isBase64Encoded
        ? Math.floor((event.body.length * 3) / 4)
        : Buffer.byteLength(event.body);
      if (size > maxBytes) {
        throw new HttpProblem(
          413,
          'body-too-large',
          'Request body too large',
          `the body must be at most ${maxBytes} bytes`,
        );
      }
    },
  };
}

/** The authorizer's decision: no principal is 401, a missing scope 403. */
export function authorize(scope: Scope | undefined): Middleware {
  return {
    before: ({ event, context }) => {
      if (!scope) return;
      const authorizer = event.requestContext.authorizer?.lambda;
      if (!authorizer?.clientId) throw new UnauthorizedError('send Authorization: Bearer <api key>');
      const principal = principalFromContext(authorizer);
      requireScope(principal, scope);
      context.principal = principal;
    },
  };
}

export interface RequestSchemas {
  params?: $ZodType | undefined;
  query?: $ZodType | undefined;
  body?: $ZodType | undefined;
}

/** Parses and validates path, query and JSON body with zod; failures are 400s naming the field. */
export function validateRequest(schemas: RequestSchemas): Middleware {
  return {
    before: ({ event, context }) => {
      const fields: { field: string; message: string }[] = [];
      const check = (where: string, schema: $ZodType | undefined, value: unknown) => {
        if (!schema) return undefined;
        const parsed = safeParse(schema, value);
        if (parsed.success) return parsed.data;
        for (const issue of parsed.error.issues) fields.push(...describeIssue(where, issue, value));
        return undefined;
      };
      const params = check('path', schemas.params, event.pathParameters ?? {});
      const query = check('query', schemas.query, event.queryStringParameters ?? {});
      const body = check('body', schemas.body, schemas.body ? parseJsonBody(event) : undefined);
      if (fields.length) throw new InvalidInputError(fields);
      context.input = { params, query, body };
    },
  };
}

/** One error per offending field; every error names a field (an empty key is named after its parent). */
function describeIssue(
  where: string,
  issue: $ZodIssue,
  input: unknown,
): { field: string; message: string }[] {
  const parent = issue.path.length ? issue.path.join('.') : where;
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length ? `${parent}.` : '';
    return issue.keys.map((key) =>
      key
        ? { field: `${prefix}${key}`, message: `is not a known ${where} field` }
        : { field: parent, message: `has a field with an empty name, which is not a known ${where} field` },
    );
  }
  return [{ field: parent, message: issueMessage(input, issue) }];
}

function parseJsonBody(event: ApiEvent): unknown {
  if (!event.body) return {};
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const type = event.headers['content-type'] ?? event.headers['Content-Type'];
  if (type && !/^application\/(.+\+)?json\b/i.test(type)) {
    throw new HttpProblem(
      415,
      'unsupported-media-type',
      'Unsupported media type',
      'send the body as application/json',
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem(
      400,
      'malformed-json',
      'Malformed JSON body',
      'the request body is not valid JSON',
      [{ field: 'body', message: 'is not valid JSON' }],
    );
  }
}
