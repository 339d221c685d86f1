import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import middy from '@middy/core';
import { ApplianceError } from '../shared/appliances/errors.js';
import { getBroker } from '../shared/broker.js';
import { logger, metrics } from '../shared/observability.js';
import { sourceOf } from './lib/api-route.js';
import type { ApiEvent, ApiResult } from './lib/events.js';
import { observability } from './lib/middlewares.js';
import { LAUNCH_HEADERS, page } from './lib/pages.js';
import { toProblem } from './lib/problem.js';

const REFUSALS = {
  not_found: { status: 404, title: 'Link not found', message: 'This launch link is unknown or was revoked.' },
  revoked: { status: 404, title: 'Link not found', message: 'This launch link is unknown or was revoked.' },
  expired: {
    status: 410,
    title: 'Link expired',
    message: 'This launch link has expired. Ask for a new one.',
  },
  used: {
    status: 410,
    title: 'Link already used',
    message: 'This single-use launch link has already been used.',
  },
} as const;

/** Failures of the click itself become a page for a person, never JSON and never a stack. */
export function htmlErrors(): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: (request) => {
      const problem = toProblem(request.error);
      logger.error('launch failed', { problem: problem.type });
      request.response = page({
        status: problem.status === 404 || problem.status >= 500 ? problem.status : 500,
        title:
          problem.status === 404
            ? 'Link not found'
            : problem.status === 503
              ? 'Temporarily unavailable'
              : 'Something went wrong',
        message:
          problem.status === 503
            ? 'The broker cannot reach its state store. Try again in a minute.'
            : 'The console could not be opened. Try again in a minute.',
      });
    },
  };
}

/** `GET /launch/{token}`: claim the link, mint one ticket, 302 to the appliance's viewer. */
export const handler = middy<ApiEvent, ApiResult>()
  .use(observability())
  .use(htmlErrors())
  .handler(async (event) => {
    const broker = await getBroker();
    const token = event.pathParameters?.token ?? '';
    const result = await broker.links.click(token, sourceOf(event));
    if (result.kind === 'redirect') {
      metrics.addMetric('LaunchRedirected', MetricUnit.Count, 1);
      return { statusCode: 302, headers: { location: result.location, ...LAUNCH_HEADERS } };
    }
    if (result.kind === 'refused') {
      metrics.addMetric(`LaunchRefused`, MetricUnit.Count, 1);
      return page({
        ...REFUSALS[result.state],
        fallbackUrl: result.state === 'revoked' ? undefined : result.fallbackUrl,
      });
    }
    metrics.addMetric('LaunchApplianceFailed', MetricUnit.Count, 1);
    const timedOut = result.error instanceof ApplianceError && result.error.kind === 'timeout';
    logger.warn('launch: appliance failed', { problem: toProblem(result.error).type });
    return page({
      status: timedOut ? 504 : 502,
      title: timedOut ? 'The appliance did not answer' : 'The appliance could not open the console',
      message: timedOut
        ? 'The console appliance did not answer in time. Nothing was used up; try the link again in a minute.'
        : 'The console appliance refused or failed the request. Nothing was used up; try the link again in a minute.',
      fallbackUrl: result.fallbackUrl,
    });
  });
