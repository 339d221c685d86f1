import middy from '@middy/core';
import { getBroker } from '../shared/broker.js';
import { DeviceUnavailableError } from '../shared/errors.js';
import { MetricUnit } from '../shared/metrics.js';
import { logger, metrics } from '../shared/observability.js';
import { sourceOf } from './lib/api-route.js';
import type { ApiEvent, ApiResult } from './lib/events.js';
import { clickResponse, failurePage, htmlErrors, refusalPage } from './lib/launch-response.js';
import { observability } from './lib/middlewares.js';
import { CONFIRMATION_FIELD, confirmPage } from './lib/pages.js';
import { toProblem } from './lib/problem.js';

/** The confirm form is one short field; anything longer is not from our page. */
const MAX_FORM_BYTES = 1024;

/**
 * The confirm page's form field, from a POST a browser sent from the page itself. A browser marks every
 * request with `Sec-Fetch-Site`: a form posted from another site (`cross-site`, `same-site`) is not a
 * confirmation, whatever it carries. (`Origin` is no help: the page's no-referrer policy makes it `null`.)
 */
function confirmationOf(event: ApiEvent): string | undefined {
  if (event.requestContext.http.method !== 'POST' || !event.body) return undefined;
  const site = event.headers?.['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text.length > MAX_FORM_BYTES) return undefined;
  return new URLSearchParams(text).get(CONFIRMATION_FIELD) ?? undefined;
}

/**
 * `GET /launch/{token}`: claim the link, launch once, answer with the console (302, page, file or 202). A
 * confirm link answers GET with its confirm page instead, and `POST /launch/{token}` (the page's button) claims
 * and launches, answering 303 to the viewer.
 */
export const handler = middy<ApiEvent, ApiResult>()
  .use(observability())
  .use(htmlErrors())
  .handler(async (event) => {
    const broker = await getBroker();
    const token = event.pathParameters?.token ?? '';
    const source = sourceOf(event);
    const address = source.sourceIp ?? 'unknown';
    broker.limits.check('launch-failures', address);
    const post = event.requestContext.http.method === 'POST';
    const result = await broker.links.click(token, source, confirmationOf(event));
    if (result.kind === 'refused' && (result.state === 'not_found' || result.state === 'revoked')) {
      // Guessing is futile at 192 bits; the cool-down keeps scanners out of the logs and the table.
      await broker.limits.countFailure(
        'launch-failures',
        address,
        broker.settings.LAUNCH_FAILURES_PER_MINUTE,
      );
    }
    if (result.kind === 'launch') {
      metrics.addMetric(
        result.launch.kind === 'pending' ? 'LaunchPending' : 'LaunchRedirected',
        MetricUnit.Count,
        1,
      );
      return clickResponse(result.launch, post ? 303 : 302);
    }
    if (result.kind === 'confirm') {
      metrics.addMetric('LaunchConfirmShown', MetricUnit.Count, 1);
      return confirmPage(result.view);
    }
    if (result.kind === 'refused') {
      metrics.addMetric(`LaunchRefused`, MetricUnit.Count, 1);
      return refusalPage(result.state, result.fallbackUrl);
    }
    const unavailable = result.error instanceof DeviceUnavailableError;
    metrics.addMetric(unavailable ? 'LaunchDeviceUnavailable' : 'LaunchApplianceFailed', MetricUnit.Count, 1);
    if (!unavailable) logger.warn('launch: appliance failed', { problem: toProblem(result.error).type });
    return failurePage(result.error, result.fallbackUrl);
  });
