import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { ensureKeys } from '../../infra/local/runtime.js';
import { type BrokerProcess, spawnBroker } from '../../test/support/processes.js';
import { directClient } from './appliance.js';
import type { BenchContext } from './context.js';
import { applianceFor, BENCH_BROKER_ENV, LATENCY_MS } from './setup.js';
import { type SimHost, startSimHost } from './sims.js';

/** A broker process of the fleet. */
export interface BrokerChild extends BrokerProcess {
  /** CPU time (user + system) in ms so far, reported by the process itself over IPC. */
  cpuMs(): Promise<number>;
}

/** Cases 4 and 5: FLEET_SIZE `npm start` processes sharing one DynamoDB table, one simulated appliance at LATENCY_MS. */
export interface Fleet {
  host: SimHost;
  brokers: BrokerChild[];
  /** Appliance logins while the processes started (each syncs the inventory at start). */
  loginsAtStart: number;
  direct: Awaited<ReturnType<typeof directClient>>;
  /** Creates a multi-use launch link through process `via`; answers its path. */
  createLink(via?: number): Promise<string>;
  /** One click on process `index`; answers the latency in ms and the status. */
  click(index: number, path: string): Promise<{ ms: number; status: number }>;
}

export const FLEET_SIZE = 4;

/** `npm start` with an IPC channel, so the process reports its own CPU time. */
async function startBroker(env: Record<string, string>): Promise<BrokerChild> {
  const broker = await spawnBroker(env, {
    ipc: true,
    // BENCH_BROKER_FLAGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, profiles the broker processes.
    execArgv: process.env.BENCH_BROKER_FLAGS?.split(' ').filter(Boolean) ?? [],
    timeoutMs: 90_000,
    // Each request logs a line; keep only enough to explain a failed start.
    keepLines: 30,
  });
  const { child } = broker;
  return {
    ...broker,
    cpuMs: () =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no stats answer in 10 s')), 10_000);
        const onMessage = (message: { stats?: { cpu: { user: number; system: number } } }) => {
          if (!message.stats) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve((message.stats.cpu.user + message.stats.cpu.system) / 1000);
        };
        child.on('message', onMessage);
        child.send('stats');
      }),
  };
}

export function fleet(ctx: BenchContext): Promise<Fleet> {
  let fixture = ctx.shared.get('fleet') as Promise<Fleet> | undefined;
  if (!fixture) {
    fixture = startFleet(ctx);
    ctx.shared.set('fleet', fixture);
  }
  return fixture;
}

async function startFleet(ctx: BenchContext): Promise<Fleet> {
  const host = await startSimHost(ctx, [{ latencyMs: LATENCY_MS }]);
  const sim = host.sims[0]!;
  const dir = await mkdtemp(join(tmpdir(), 'clb-bench-'));
  ctx.defer(() => rm(dir, { recursive: true, force: true }));
  const apiKey = `bench-${randomBytes(24).toString('base64url')}`;
  const config = join(dir, 'fleet.json');
  await writeFile(
    config,
    JSON.stringify({
      appliances: [applianceFor('lab', sim)],
      clients: [{ id: 'bench', apiKey, scopes: ['admin'], appliances: ['*'] }],
    }),
  );
  const run = randomBytes(4).toString('hex');
  const env = {
    ...BENCH_BROKER_ENV,
    BROKER_CONFIG: config,
    BROKER_DYNAMODB_ENDPOINT: ctx.dynamodbEndpoint,
    BROKER_SECRETS_ENDPOINT: ctx.secretsEndpoint,
    BROKER_TABLE_NAME: await ctx.newTable('fleet'),
    KEYS_SECRET_ID: `bench/${run}/keys`,
    APPLIANCE_SECRET_PREFIX: `bench/${run}/appliances/`,
    HOST: '127.0.0.1',
  };
  await ensureKeys(env.KEYS_SECRET_ID);
  const brokers: BrokerChild[] = [];
  ctx.defer(() => Promise.all(brokers.map((b) => b.stop(8_000))));
  // One at a time: several tsx compilations at once on two cores only make each slower.
  for (let i = 0; i < FLEET_SIZE; i++) brokers.push(await startBroker(env));
  // Each process syncs the inventory at start (6 filtered listings); wait until all of them did.
  const deadline = Date.now() + 30_000;
  while ((await host.total()).deviceLists < FLEET_SIZE * 6 && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 200));
  const loginsAtStart = (await host.total()).logins;
  const direct = await directClient(ctx, sim, 'fleet-direct');
  const dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
  ctx.defer(() => dispatcher.close());
  const deviceId = sim.kvmDevice;
  return {
    host,
    brokers,
    loginsAtStart,
    direct,
    async createLink(via = 0) {
      const response = await request(`${brokers[via]!.url}/v1/links`, {
        method: 'POST',
        dispatcher,
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ applianceId: 'lab', deviceId, viewerType: 'KVM', ttlSeconds: 86_400 }),
      });
      const body = (await response.body.json()) as { url: string };
      if (response.statusCode !== 201) throw new Error(`link create answered ${response.statusCode}`);
      return new URL(body.url).pathname;
    },
    async click(index, path) {
      const start = process.hrtime.bigint();
      const response = await request(`${brokers[index]!.url}${path}`, {
        dispatcher,
        headers: { 'user-agent': 'bench' },
      });
      await response.body.dump();
      return { ms: Number(process.hrtime.bigint() - start) / 1e6, status: response.statusCode };
    },
  };
}
