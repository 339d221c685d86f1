import { randomUUID } from 'node:crypto';

/** An API Gateway HTTP API (payload 2.0) event as the deployed API hands it to a function. */
export function apiEvent(options: {
  method: string;
  routePath: string;
  path: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  headers?: Record<string, string>;
  /** The authorizer's context (a principal), for routes with a scope. */
  principal?: { clientId: string; scopes: string; appliances: string };
}): Record<string, unknown> {
  const now = Date.now();
  const routeKey = `${options.method} ${options.routePath}`;
  const search = new URLSearchParams(options.query ?? {}).toString();
  const headers: Record<string, string> = { 'user-agent': 'bench', ...(options.headers ?? {}) };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return {
    version: '2.0',
    routeKey,
    rawPath: options.path,
    rawQueryString: search,
    headers,
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'bench.local',
      domainPrefix: 'bench',
      http: {
        method: options.method,
        path: options.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
      ...(options.principal ? { authorizer: { lambda: options.principal } } : {}),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    isBase64Encoded: false,
  };
}
