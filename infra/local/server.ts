import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  Context,
  Handler,
} from 'aws-lambda';
import { LINK_NOT_FOUND, page } from '../../functions/lib/pages.js';
import { PROBLEM_BASE } from '../../functions/lib/problem.js';
import type { RouteSpec } from '../../functions/routes.js';

/** API Gateway's own payload limit is 10 MB; we stop reading far earlier and let the handler's 16 KB rule speak. */
const MAX_READ_BYTES = 1024 * 1024;

export interface LocalServerOptions {
  host: string;
  port: number;
  routes: readonly RouteSpec[];
  handlers: Record<string, Handler>;
}

interface CompiledRoute {
  spec: RouteSpec;
  pattern: RegExp;
  names: string[];
}

/** A local stand-in for API Gateway's HTTP API: HTTP in, payload 2.0 events to the real handlers, HTTP out. */
export class LocalServer {
  private server: Server | undefined;
  private readonly compiled: CompiledRoute[];

  constructor(private readonly options: LocalServerOptions) {
    this.compiled = options.routes.map((spec) => {
      const names: string[] = [];
      const source = spec.path
        .split('/')
        .map((part) => {
          const match = /^\{(\w+)\}$/.exec(part);
          if (!match?.[1]) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(match[1]);
          return '([^/]+)';
        })
        .join('/');
      return { spec, pattern: new RegExp(`^${source}$`), names };
    });
  }

  /** Starts listening; resolves with the base URL. */
  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent)
          send(res, 500, problemBody(500, 'internal', 'Internal error', 'the local server failed'));
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 65_000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${port}`;
  }

  /** Stops accepting requests and closes idle connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2_000).unref();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://local');
    const body = await readBody(req);
    if (body === undefined) {
      // The rest of the body is never read, so this connection cannot carry another request.
      return send(
        res,
        413,
        problemBody(413, 'body-too-large', 'Request body too large', 'the body is too large'),
        { connection: 'close' },
      );
    }
    // A mangled link (`/launch/..`) stays a dead link for the person clicking it, not the home page.
    const climbedOut = (req.url ?? '').startsWith('/launch/') && url.pathname === '/';
    const candidates = climbedOut ? [] : this.compiled.filter((route) => route.pattern.test(url.pathname));
    const route = candidates.find((candidate) => candidate.spec.method === method);
    const event = route ? this.toEvent(req, url, route, body) : undefined;
    // A person's click: the path as sent or as routed (after `..` normalisation) is under /launch/.
    const forPerson = (req.url ?? '').startsWith('/launch/') || url.pathname.startsWith('/launch/');
    const wrongMethod = !route && candidates.length > 0;
    if (forPerson && !wrongMethod && (!route || typeof event === 'string')) {
      // Whatever a mangled link looks like, the person who clicked it gets a page, not JSON.
      return sendResult(res, method, page(LINK_NOT_FOUND));
    }
    if (!route || event === undefined) {
      if (candidates.length) {
        const allow = candidates.map((c) => c.spec.method).join(', ');
        return send(res, 405, problemBody(405, 'method-not-allowed', 'Method not allowed', `use ${allow}`), {
          allow,
        });
      }
      return send(
        res,
        404,
        problemBody(404, 'route-not-found', 'No such route', `no route for ${url.pathname}`),
      );
    }
    if (typeof event === 'string') {
      return send(
        res,
        400,
        problemBody(400, 'invalid-input', 'Invalid request', `${event}: is not valid percent-encoding`, [
          { field: event, message: 'is not valid percent-encoding' },
        ]),
      );
    }
    if (route.spec.scope) {
      const decision = await this.authorize(event);
      if (decision === 'unavailable') {
        return send(
          res,
          503,
          problemBody(
            503,
            'store-unavailable',
            'Broker store unavailable',
            'the authorizer could not reach the state or secret store to check the API key (its log says which); retry shortly',
          ),
        );
      }
      if (!decision) {
        return send(
          res,
          401,
          problemBody(401, 'unauthorized', 'Authentication required', 'send Authorization: Bearer <api key>'),
          {
            'www-authenticate': 'Bearer',
          },
        );
      }
      event.requestContext = {
        ...event.requestContext,
        authorizer: { lambda: decision },
      } as typeof event.requestContext;
    }
    const handler = this.options.handlers[route.spec.function];
    if (!handler) throw new Error(`no handler for ${route.spec.function}`);
    const result = (await handler(event, lambdaContext(route.spec.function), () => undefined)) as
      | APIGatewayProxyStructuredResultV2
      | undefined;
    sendResult(res, method, result);
  }
  private async authorize(
    event: APIGatewayProxyEventV2,
  ): Promise<Record<string, unknown> | 'unavailable' | undefined> {
    const header = event.headers.authorization;
    if (!header) return undefined;
    const authorizer = this.options.handlers.authorizer;
    if (!authorizer) throw new Error('no authorizer handler');
    const request: APIGatewayRequestAuthorizerEventV2 = {
      version: '2.0',
      type: 'REQUEST',
      routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${event.routeKey.replace(' ', '')}`,
      identitySource: [header],
      routeKey: event.routeKey,
      rawPath: event.rawPath,
      rawQueryString: event.rawQueryString,
      cookies: event.cookies ?? [],
      headers: event.headers as Record<string, string>,
      queryStringParameters: (event.queryStringParameters ?? {}) as Record<string, string>,
      requestContext: event.requestContext,
      pathParameters: (event.pathParameters ?? {}) as Record<string, string>,
      stageVariables: {},
    };
    try {
      const result = (await authorizer(request, lambdaContext('authorizer'), () => undefined)) as {
        isAuthorized: boolean;
        context?: Record<string, unknown>;
      };
      return result?.isAuthorized ? (result.context ?? {}) : undefined;
    } catch (error) {
      if (error instanceof Error && error.message === 'Unauthorized') return undefined;
      // API Gateway answers 500 when an authorizer fails; locally we say why, as a problem.
      return 'unavailable';
    }
  }

  private toEvent(
    req: IncomingMessage,
    url: URL,
    route: CompiledRoute,
    body: Buffer,
  ): APIGatewayProxyEventV2 | string {
    const match = route.pattern.exec(url.pathname);
    const pathParameters: Record<string, string> = {};
    for (const [index, name] of route.names.entries()) {
      try {
        pathParameters[name] = decodeURIComponent(match?.[index + 1] ?? '');
      } catch {
        return name;
      }
    }
    // Maps, then own data properties: names like `__proto__` or `toString` are plain keys, as in API Gateway's JSON.
    const headerMap = new Map<string, string>();
    const cookies: string[] = [];
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      if (name === 'cookie') cookies.push(...String(value).split(/;\s*/));
      else headerMap.set(name, Array.isArray(value) ? value.join(',') : value);
    }
    const headers: Record<string, string> = Object.fromEntries(headerMap);
    const queryMap = new Map<string, string>();
    for (const [name, value] of url.searchParams) {
      const previous = queryMap.get(name);
      queryMap.set(name, previous === undefined ? value : `${previous},${value}`);
    }
    const query: Record<string, string> = Object.fromEntries(queryMap);
    const now = Date.now();
    const routeKey = `${route.spec.method} ${route.spec.path}`;
    const text = body.toString('utf8');
    const isText = Buffer.from(text, 'utf8').equals(body);
    return {
      version: '2.0',
      routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      ...(cookies.length ? { cookies } : {}),
      headers,
      ...(url.search ? { queryStringParameters: query } : {}),
      ...(route.names.length ? { pathParameters } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: headers.host ?? 'localhost',
        domainPrefix: 'local',
        http: {
          method: route.spec.method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: randomUUID(),
        routeKey,
        stage: '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
      },
      ...(body.length ? { body: isText ? text : body.toString('base64') } : {}),
      isBase64Encoded: body.length > 0 && !isText,
    };
  }
}

function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 29_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/**
 * The body, or undefined once it passes MAX_READ_BYTES. Past the limit the rest is read and dropped (not left
 * unread on a kept-alive connection, where the next request would wait behind it forever) until the 413 closes it.
 */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > MAX_READ_BYTES) return;
      size += chunk.length;
      if (size > MAX_READ_BYTES) {
        chunks.length = 0;
        resolve(undefined);
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_READ_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
    // A client that goes away mid-body: settle (a no-op after `end`) rather than wait forever.
    req.on('close', () => reject(new Error('request closed before its body ended')));
  });
}

function problemBody(
  status: number,
  name: string,
  title: string,
  detail: string,
  errors?: { field: string; message: string }[],
): string {
  return JSON.stringify({
    type: `${PROBLEM_BASE}${name}`,
    title,
    status,
    detail,
    ...(errors ? { errors } : {}),
  });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/problem+json',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** Writes a Lambda proxy result as API Gateway would (no body for HEAD). */
function sendResult(
  res: ServerResponse,
  method: string,
  result: APIGatewayProxyStructuredResultV2 | undefined,
): void {
  const status = result?.statusCode ?? 200;
  const payload = result?.body
    ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8')
    : Buffer.alloc(0);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result?.headers ?? {}))
    headers[name.toLowerCase()] = String(value);
  if (result?.cookies?.length) headers['set-cookie'] = result.cookies;
  res.writeHead(status, headers);
  res.end(method === 'HEAD' ? undefined : payload);
}
