import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { routeList } from '../../functions/routes.js';
import { handlers } from '../../infra/local/handlers.js';
import { ensureKeys } from '../../infra/local/runtime.js';
import { LocalServer } from '../../infra/local/server.js';
import type { Principal } from '../../shared/auth/principal.js';
import { type Broker, createBroker, useBroker } from '../../shared/broker.js';
import { applyConfig } from '../../shared/config/apply.js';
import type { ConfigFile } from '../../shared/config/file.js';
import type { BenchContext } from './context.js';
import type { SimInfo } from './sim-host.js';

/** Settings every bench broker runs with: no client rate limit, since the bench is one client. */
export const BENCH_BROKER_ENV = {
  CLIENT_RATE_LIMIT_PER_MINUTE: '100000000',
  LAUNCH_FAILURES_PER_MINUTE: '100000000',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

export interface InProcessBroker {
  url: string;
  broker: Broker;
  apiKey: string;
  tableName: string;
  /** A keep-alive HTTP call to the broker; answers status, headers and body text. */
  call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>;
  /** A click as a browser makes it (no key); throws unless the answer is `expect` (302 by default). */
  click(path: string, expect?: number): Promise<string>;
  close(): Promise<void>;
}

/** Appliance config for a simulator: pinned by fingerprint, as an operator would configure it. */
export function applianceFor(id: string, sim: SimInfo): ConfigFile['appliances'][number] {
  return {
    id,
    name: `Bench ${id}`,
    baseUrl: sim.url,
    platform: 'MP1000',
    firmwareVersion: '3.33.8',
    credentials: { username: sim.username, password: sim.password },
    tls: { caPem: sim.certPem },
  };
}

/**
 * The broker as `npm start` runs it (the real handlers behind the local HTTP API, real SDK clients on the local
 * engines), in this process, on a private table and secret names. One at a time: the handlers use the
 * process-wide broker.
 */
export async function startInProcessBroker(
  ctx: BenchContext,
  options: { name: string; appliances: ConfigFile['appliances']; env?: Record<string, string> },
): Promise<InProcessBroker> {
  const tableName = await ctx.newTable(options.name);
  const run = randomBytes(4).toString('hex');
  const keysSecretId = `bench/${run}/keys`;
  Object.assign(process.env, BENCH_BROKER_ENV, {
    TABLE_NAME: tableName,
    KEYS_SECRET_ID: keysSecretId,
    APPLIANCE_SECRET_PREFIX: `bench/${run}/appliances/`,
    ...options.env,
  });
  await ensureKeys(keysSecretId);
  const server = new LocalServer({ host: '127.0.0.1', port: 0, routes: routeList, handlers });
  const url = await server.listen();
  process.env.PUBLIC_BASE_URL = url;
  const broker = await createBroker();
  useBroker(Promise.resolve(broker));
  const apiKey = `bench-${randomBytes(24).toString('base64url')}`;
  await applyConfig(broker, {
    appliances: options.appliances,
    clients: [
      {
        id: 'bench',
        apiKey,
        scopes: ['admin', 'devices:read', 'tickets:create', 'links:create'],
        appliances: ['*'],
      },
    ],
  });
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 256 });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await dispatcher.close().catch(() => undefined);
      await server.close();
      await broker.close();
    })();
    return closed;
  };
  ctx.defer(close);
  return {
    url,
    broker,
    apiKey,
    tableName,
    async call(method, path, body) {
      const response = await request(`${url}${path}`, {
        method: method as 'GET',
        dispatcher,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
    },
    async click(path, expect = 302) {
      const response = await request(`${url}${path}`, { dispatcher, headers: { 'user-agent': 'bench' } });
      const text = await response.body.text();
      if (response.statusCode !== expect)
        throw new Error(`click answered ${response.statusCode}, expected ${expect}: ${text.slice(0, 200)}`);
      return String(response.headers.location ?? '');
    },
    close,
  };
}

/** A principal that may create links on every appliance (for creating bench links directly). */
export const BENCH_PRINCIPAL: Principal = {
  clientId: 'bench',
  scopes: ['admin', 'links:create'],
  appliances: ['*'],
};
