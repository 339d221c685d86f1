import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import middy from '@middy/core';
import { ApplianceError } from '../shared/appliances/errors.js';
import { getBroker } from '../shared/broker.js';
import { logger, metrics } from '../shared/observability.js';
import { sourceOf } from './lib/api-route.js';
import type { ApiEvent, ApiResult } from './lib/events.js';
import { observability } from './lib/middlewares.js';
import { LAUNCH_HEADERS, LINK_NOT_FOUND, page } from './lib/pages.js';
import { toProblem } from './lib/problem.js';

const REFUSALS = {
  not_found: LINK_NOT_FOUND,
  revoked: LINK_NOT_FOUND,
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
      const known = ERROR_PAGES[problem.status as keyof typeof ERROR_PAGES];
      if (!known || problem.status >= 500) logger.error('launch failed', { problem: problem.type });
      const retryAfter = (request.error as { retryAfterSeconds?: number } | null)?.retryAfterSeconds;
      request.response = page({
        ...(known ?? ERROR_PAGES[500]),
        status: known ? problem.status : 500,
        ...(retryAfter ? { headers: { 'retry-after': String(retryAfter) } } : {}),
      });
    },
  };
}

const FAILED = {
  title: 'Something went wrong',
  message: 'The console could not be opened. Try again in a minute.',
} as const;

const ERROR_PAGES = {
  404: LINK_NOT_FOUND,
  429: {
    title: 'Too many attempts',
    message: 'Too many failed attempts from your address. Wait a minute and try again.',
  },
  500: FAILED,
  502: FAILED,
  503: {
    title: 'Temporarily unavailable',
    message: 'The broker cannot reach its state store. Try again in a minute.',
  },
  504: FAILED,
} as const;

/** `GET /launch/{token}`: claim the link, mint one ticket, 302 to the appliance's viewer. */
export const handler = middy<ApiEvent, ApiResult>()
  .use(observability())
  .use(htmlErrors())
  .handler(async (event) => {
    const broker = await getBroker();
    const token = event.pathParameters?.token ?? '';
    const source = sourceOf(event);
    const address = source.sourceIp ?? 'unknown';
    broker.limits.check('launch-failures', address);
    const result = await broker.links.click(token, source);
    if (result.kind === 'refused' && (result.state === 'not_found' || result.state === 'revoked')) {
      // Guessing is futile at 192 bits; the cool-down keeps scanners out of the logs and the table.
      await broker.limits.countFailure(
        'launch-failures',
        address,
        broker.settings.LAUNCH_FAILURES_PER_MINUTE,
      );
    }
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
