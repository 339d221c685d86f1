import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { startLocalBroker } from '../../infra/local/runtime.js';
import type { Principal } from '../../shared/auth/principal.js';
import type { Broker } from '../../shared/broker.js';
import type { ConfigFile } from '../../shared/config/file.js';
import type { BenchContext } from './context.js';
import { BENCH_BROKER_ENV } from './setup.js';

export interface InProcessBroker {
  url: string;
  broker: Broker;
  apiKey: string;
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

/**
 * The broker as `npm start` runs it (`startLocalBroker`: the real handlers behind the local HTTP API, real SDK
 * clients on the run's local engines), in this process, on a private table and secret names. One at a time: the
 * handlers use the process-wide broker, which each start replaces.
 */
export async function startInProcessBroker(
  ctx: BenchContext,
  options: { name: string; appliances: ConfigFile['appliances']; env?: Record<string, string> },
): Promise<InProcessBroker> {
  const run = randomBytes(4).toString('hex');
  Object.assign(process.env, BENCH_BROKER_ENV, {
    KEYS_SECRET_ID: `bench/${run}/keys`,
    APPLIANCE_SECRET_PREFIX: `bench/${run}/appliances/`,
    ...options.env,
  });
  const apiKey = `bench-${randomBytes(24).toString('base64url')}`;
  const local = await startLocalBroker({
    host: '127.0.0.1',
    port: 0,
    dynamodbEndpoint: ctx.dynamodbEndpoint,
    secretsEndpoint: ctx.secretsEndpoint,
    tableName: await ctx.newTable(options.name),
    config: async () => ({
      appliances: options.appliances,
      clients: [
        {
          id: 'bench',
          apiKey,
          scopes: ['admin', 'devices:read', 'tickets:create', 'links:create'],
          appliances: ['*'],
        },
      ],
    }),
  });
  const { url } = local;
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 256 });
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await dispatcher.close().catch(() => undefined);
      await local.close();
    })();
    return closed;
  };
  ctx.defer(close);
  return {
    url,
    broker: local.broker,
    apiKey,
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
