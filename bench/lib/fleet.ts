import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { ensureKeys } from '../../infra/local/runtime.js';
import { directClient } from './appliance.js';
import type { BenchContext } from './context.js';
import { applianceFor, BENCH_BROKER_ENV } from './setup.js';
import { type SimHost, startSimHost } from './sims.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BrokerChild {
  url: string;
  child: ChildProcess;
  /** CPU time (user + system) in ms so far, reported by the process itself over IPC. */
  cpuMs(): Promise<number>;
}

/** Cases 4 and 5: four `npm start` processes sharing one DynamoDB table, one simulated appliance at 40 ms. */
export interface Fleet {
  host: SimHost;
  brokers: BrokerChild[];
  apiKey: string;
  /** Appliance logins while the four processes started (each syncs the inventory at start). */
  loginsAtStart: number;
  direct: Awaited<ReturnType<typeof directClient>>;
  dispatcher: Agent;
  /** Creates a multi-use launch link through process `via`; answers its path. */
  createLink(via?: number): Promise<string>;
  /** One click on process `index`; answers the latency in ms and the status. */
  click(index: number, path: string): Promise<{ ms: number; status: number }>;
}

export const FLEET_SIZE = 4;

/** Spawns `infra/local/main.ts` (what `npm start` runs) with an IPC channel, resolving at its `ready` line. */
async function spawnBroker(env: Record<string, string>): Promise<BrokerChild> {
  // BENCH_BROKER_FLAGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, profiles the broker processes.
  const flags = process.env.BENCH_BROKER_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', 'infra/local/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const kill = () => child.kill('SIGKILL');
  process.on('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  const tail: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`broker not ready in 90 s:\n${tail.join('\n')}`)),
      90_000,
    );
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /^ready (http:\/\/\S+)$/.exec(line);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code} before ready:\n${tail.join('\n')}`));
    });
  });
  return {
    url,
    child,
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

async function stopBroker(broker: BrokerChild): Promise<void> {
  const { child } = broker;
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
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
  const host = await startSimHost(ctx, [{ latencyMs: 40 }]);
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
    PORT: '0',
  };
  await ensureKeys(env.KEYS_SECRET_ID);
  const brokers: BrokerChild[] = [];
  ctx.defer(() => Promise.all(brokers.map(stopBroker)));
  // One at a time: four tsx compilations at once on two cores only make each slower.
  for (let i = 0; i < FLEET_SIZE; i++) brokers.push(await spawnBroker(env));
  // Each process syncs the inventory at start (6 filtered listings); wait until all four did.
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
    apiKey,
    loginsAtStart,
    direct,
    dispatcher,
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
