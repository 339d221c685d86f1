import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ApplianceError } from '../../shared/appliances/errors.js';
import type { FieldError } from '../../shared/errors.js';
import {
  DeviceUnavailableError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  RateLimitedError,
  StoreUnavailableError,
  UnauthorizedError,
} from '../../shared/errors.js';

/** The base of every problem `type` URI; the suffix names the case. */
export const PROBLEM_BASE = 'urn:console-launch-broker:problem:';

/** An RFC 9457 problem body. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

/** Raised by the HTTP edge itself (malformed JSON, oversize body) with its own problem case. */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly case_: string,
    readonly title: string,
    detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail);
  }
}

const problem = (
  status: number,
  name: string,
  title: string,
  detail: string,
  errors?: FieldError[],
): Problem => ({
  type: `${PROBLEM_BASE}${name}`,
  title,
  status,
  detail,
  ...(errors ? { errors } : {}),
});

/** Maps any error to the problem the caller should see; unknown errors become a bare 500 without details. */
export function toProblem(error: unknown): Problem {
  if (error instanceof HttpProblem)
    return problem(error.status, error.case_, error.title, error.message, error.errors);
  if (error instanceof InvalidInputError)
    return problem(400, 'invalid-input', 'Invalid request', error.message, error.fields);
  if (error instanceof NotFoundError) {
    return problem(404, `${error.resource}-not-found`, `Unknown ${error.resource}`, error.message);
  }
  if (error instanceof UnauthorizedError)
    return problem(401, 'unauthorized', 'Authentication required', error.message);
  if (error instanceof ForbiddenError) return problem(403, 'forbidden', 'Not allowed', error.message);
  if (error instanceof RateLimitedError)
    return problem(429, 'rate-limited', 'Too many requests', error.message);
  if (error instanceof StoreUnavailableError) {
    return problem(
      503,
      'store-unavailable',
      // The detail names which: the state store (DynamoDB) or the secret store (Secrets Manager).
      'Broker store unavailable',
      `${error.message}; retry shortly`,
    );
  }
  if (error instanceof DeviceUnavailableError)
    return problem(409, 'device-unavailable', 'Device unavailable', error.message);
  if (error instanceof ApplianceError) return applianceProblem(error);
  return problem(500, 'internal', 'Internal error', 'the broker failed; see its logs');
}

function applianceProblem(error: ApplianceError): Problem {
  switch (error.kind) {
    case 'auth':
      return error.step === 'login'
        ? problem(
            502,
            'appliance-credentials-rejected',
            'Appliance rejected the stored credentials',
            `${error.message}; an operator must update the appliance credentials`,
          )
        : problem(502, 'appliance-session-rejected', 'Appliance rejected the session', error.message);
    case 'credentials':
      return problem(
        502,
        'appliance-credentials-missing',
        'No credentials stored for the appliance',
        `${error.message}; an operator must store them`,
      );
    case 'permission':
      return problem(
        502,
        'appliance-permission-denied',
        "The appliance's account lacks a privilege",
        `${error.message}; an operator must grant it to the account the broker signs in with`,
      );
    case 'timeout':
      return problem(504, 'appliance-timeout', 'Appliance did not answer in time', error.message);
    case 'protocol':
      return problem(502, 'appliance-bad-response', 'Appliance answered something unexpected', error.message);
    case 'tls':
      return problem(
        502,
        'appliance-tls-failed',
        'Appliance certificate did not match',
        `${error.message}; check the appliance's tls setting`,
      );
    default:
      return problem(502, 'appliance-unavailable', 'Appliance unavailable', error.message);
  }
}

/** A problem as an API Gateway response. */
export function problemResponse(
  p: Problem,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: p.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(p),
  };
}
