import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BENCH_PRINCIPAL, startInProcessBroker } from '../lib/broker.js';
import type { BenchCase, BenchContext } from '../lib/context.js';
import { apiEvent } from '../lib/lambda-events.js';
import { applianceFor } from '../lib/setup.js';
import { startSimHost } from '../lib/sims.js';
import { summarize } from '../lib/stats.js';
import { type Row, row } from '../lib/table.js';

const RUNNER = fileURLToPath(new URL('../lib/cold-start-runner.mjs', import.meta.url));
const FLOOR = fileURLToPath(new URL('../floor/handler.ts', import.meta.url));
/** The launch cold start against the floor handler, and every other function's (bundle and cold start). */
const LAUNCH_COLD_GOAL = 1.3;
const OTHERS_GOAL = 2;
const QUICK_COLD_STARTS = ['launch', 'launch-head', 'authorizer', 'inventory-search'];

/** The CDK app's construct module, loaded when the case runs (it pulls in aws-cdk-lib). */
const construct = () => import('../../infra/constructs/broker-function.js');
/** The launch bundle's budget (test/infra/bundle-budget.test.ts enforces it without a timing). */
const LAUNCH_BUDGET_KB = 450;

/** Bundles an entry exactly as the CDK app does (infra/constructs/broker-function.ts → NodejsFunction → esbuild). */
async function bundle(entry: string, outDir: string): Promise<{ file: string; bytes: number }> {
  const options = (await construct()).esbuildOptions(true);
  const file = join(outDir, options.format === 'esm' ? 'index.mjs' : 'index.js');
  await build({ ...options, entryPoints: [entry], outfile: file, logLevel: 'error' });
  return { file, bytes: (await stat(file)).size };
}

/** One fresh Node process (no NODE_OPTIONS, as the CDK app deploys it): wall ms to the first answer. */
async function coldStart(
  file: string,
  event: unknown,
  env: Record<string, string>,
): Promise<{
  wallMs: number;
  importMs: number;
  invokeMs: number;
  bootMs: number;
  status?: unknown;
  error?: string;
}> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [RUNNER, file], {
    env: { ...env, BENCH_EVENT: JSON.stringify(event) },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let output = '';
  child.stdout.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cold start of ${file} took over 30 s`));
    }, 30_000);
    let wallMs = 0;
    child.stdout.on('data', (chunk: string) => {
      output += chunk;
      if (!wallMs && /BENCH_RESULT .*\n/.test(output)) wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    });
    // Resolve only once the process is gone, so its teardown does not slow the next one's start.
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = /BENCH_RESULT (\{.*\})\n/.exec(output)?.[1];
      if (!line || !wallMs) reject(new Error(`cold start of ${file} exited ${code} without a result`));
      else resolve({ wallMs, ...JSON.parse(line) });
    });
  });
}

/** A realistic first request per function (the appliance at 0 ms, so only our code and the stores count). */
function eventsFor(linkToken: string, deviceId: string, apiKey: string): Record<string, unknown> {
  const principal = {
    clientId: 'bench',
    scopes: 'admin devices:read tickets:create links:create',
    appliances: '*',
  };
  const launch = { method: 'GET', routePath: '/launch/{token}', path: `/launch/${linkToken}` };
  return {
    health: apiEvent({ method: 'GET', routePath: '/health', path: '/health' }),
    openapi: apiEvent({ method: 'GET', routePath: '/openapi.json', path: '/openapi.json' }),
    authorizer: {
      version: '2.0',
      type: 'REQUEST',
      routeArn: 'arn:aws:execute-api:us-east-1:000000000000:bench/$default/GET/v1/devices',
      identitySource: [`Bearer ${apiKey}`],
      routeKey: 'GET /v1/devices',
      rawPath: '/v1/devices',
      rawQueryString: '',
      headers: { authorization: `Bearer ${apiKey}` },
      requestContext: (
        apiEvent({ method: 'GET', routePath: '/v1/devices', path: '/v1/devices' }) as {
          requestContext: unknown;
        }
      ).requestContext,
    },
    launch: apiEvent({ ...launch, pathParameters: { token: linkToken } }),
    'launch-head': apiEvent({ ...launch, method: 'HEAD', pathParameters: { token: linkToken } }),
    login: apiEvent({
      method: 'POST',
      routePath: '/v1/appliances/{applianceId}/login',
      path: '/v1/appliances/lab/login',
      pathParameters: { applianceId: 'lab' },
      principal,
    }),
    devices: apiEvent({
      method: 'GET',
      routePath: '/v1/appliances/{applianceId}/devices',
      path: '/v1/appliances/lab/devices',
      pathParameters: { applianceId: 'lab' },
      principal,
    }),
    ticket: apiEvent({
      method: 'POST',
      routePath: '/v1/appliances/{applianceId}/devices/{deviceId}/tickets',
      path: `/v1/appliances/lab/devices/${deviceId}/tickets`,
      pathParameters: { applianceId: 'lab', deviceId },
      body: { viewerType: 'KVM' },
      principal,
    }),
    'links-create': apiEvent({
      method: 'POST',
      routePath: '/v1/links',
      path: '/v1/links',
      body: { applianceId: 'lab', deviceId, viewerType: 'KVM' },
      principal,
    }),
    'links-revoke': apiEvent({
      method: 'DELETE',
      routePath: '/v1/links/{id}',
      path: '/v1/links/lnk_AAAAAAAAAAAAAAAAAAAAAA',
      pathParameters: { id: 'lnk_AAAAAAAAAAAAAAAAAAAAAA' },
      principal,
    }),
    audit: apiEvent({
      method: 'GET',
      routePath: '/v1/audit',
      path: '/v1/audit',
      query: { limit: '10' },
      principal,
    }),
    'inventory-search': apiEvent({
      method: 'GET',
      routePath: '/v1/devices',
      path: '/v1/devices',
      query: { q: 'rack' },
      principal,
    }),
    appliances: apiEvent({ method: 'GET', routePath: '/v1/appliances', path: '/v1/appliances', principal }),
    'links-list': apiEvent({ method: 'GET', routePath: '/v1/links', path: '/v1/links', principal }),
    docs: apiEvent({ method: 'GET', routePath: '/docs', path: '/docs' }),
    // The scheduled run (EventBridge Scheduler), the function's main job.
    'inventory-sync': {},
  };
}

async function prepare(ctx: BenchContext) {
  const host = await startSimHost(ctx, [{ latencyMs: 0 }]);
  const sim = host.sims[0]!;
  const local = await startInProcessBroker(ctx, { name: 'lambda', appliances: [applianceFor('lab', sim)] });
  await local.broker.inventory.sync.syncAll();
  const link = await local.broker.links.create(BENCH_PRINCIPAL, {
    applianceId: 'lab',
    deviceId: sim.kvmDevice,
    viewerType: 'KVM',
    ttlSeconds: 86_400,
  });
  await local.click(new URL(link.url).pathname); // a session in the table, as a warm fleet leaves it
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    ...ctx.awsEnv,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  for (const name of [
    'TABLE_NAME',
    'KEYS_SECRET_ID',
    'APPLIANCE_SECRET_PREFIX',
    'PUBLIC_BASE_URL',
    'CLIENT_RATE_LIMIT_PER_MINUTE',
    'LAUNCH_FAILURES_PER_MINUTE',
  ]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  const token = new URL(link.url).pathname.split('/').pop() ?? '';
  // The floor handler's one appliance request goes to the same simulator, trusted the same way.
  const floorEnv = { ...env, FLOOR_APPLIANCE_URL: sim.url, FLOOR_APPLIANCE_CA: sim.certPem };
  return { env, floorEnv, events: eventsFor(token, sim.kvmDevice, local.apiKey) };
}

export const lambdaColdStart: BenchCase = {
  id: 6,
  title: 'Lambda bundles: size and cold start',
  async run(ctx) {
    const { functionEntry, PROJECT_ROOT } = await construct();
    const dir = await mkdtemp(join(tmpdir(), 'clb-bench-bundles-'));
    ctx.defer(() => rm(dir, { recursive: true, force: true }));
    // Every functions/*.ts that exports a handler is a Lambda (routes.ts is the route table, not one).
    const names: string[] = [];
    for (const file of (await readdir(join(PROJECT_ROOT, 'functions'))).sort()) {
      if (!file.endsWith('.ts')) continue;
      const name = file.slice(0, -3);
      if (/export const handler\b/.test(await readFile(functionEntry(name), 'utf8'))) names.push(name);
    }
    const bundles = new Map<string, { file: string; bytes: number }>();
    bundles.set('floor', await bundle(FLOOR, join(dir, 'floor')));
    for (const name of names) bundles.set(name, await bundle(functionEntry(name), join(dir, name)));
    ctx.log(`case 6: bundled ${names.length} functions`);

    const { env, floorEnv, events } = await prepare(ctx);
    const rounds = ctx.quick ? 5 : 30;
    // Quick runs time the click path and the authorizer only; every bundle is still built and sized.
    const timed = ctx.quick ? names.filter((name) => QUICK_COLD_STARTS.includes(name)) : names;
    const samples = new Map<string, Awaited<ReturnType<typeof coldStart>>[]>();
    // Round-robin, the floor first in every round, so load drifts hit every function alike.
    for (let round = 0; round < rounds + 1; round++) {
      for (const name of ['floor', ...timed]) {
        const result = await coldStart(
          bundles.get(name)!.file,
          events[name] ?? {},
          name === 'floor' ? floorEnv : env,
        );
        if (round === 0) continue; // the first round warms the file cache
        (samples.get(name) ?? samples.set(name, []).get(name)!).push(result);
      }
      if (round % 5 === 0) ctx.log(`case 6: round ${round}/${rounds}`);
    }
    ctx.samples['6.lambda'] = {
      bytes: Object.fromEntries([...bundles].map(([name, b]) => [name, b.bytes])),
      coldStarts: Object.fromEntries(samples),
    };
    const floorWall = summarize(samples.get('floor')!.map((s) => s.wallMs));
    const floorBytes = bundles.get('floor')!.bytes;
    const floorStatus = [...new Set(samples.get('floor')!.map((r) => r.error ?? String(r.status)))].join(
      ', ',
    );
    const rows: Row[] = [];
    for (const name of names) {
      const bytes = bundles.get(name)!.bytes;
      const launch = name === 'launch';
      rows.push(
        row(6, {
          id: `bundle-${name}`,
          label: `${name}: bundle size (ESM, minified, AWS SDK bundled, source map apart) vs the floor handler's`,
          unit: 'KB',
          measured: bytes / 1024,
          baseline: floorBytes / 1024,
          goal: launch
            ? { text: `≤${LAUNCH_BUDGET_KB} KB`, met: ({ measured }) => measured <= LAUNCH_BUDGET_KB }
            : { text: `≤${OTHERS_GOAL}`, met: ({ ratio }) => ratio <= OTHERS_GOAL },
        }),
      );
      const runs = samples.get(name);
      if (!runs) continue;
      const statuses = [...new Set(runs.map((r) => r.error ?? String(r.status)))].join(', ');
      const goal = launch ? LAUNCH_COLD_GOAL : OTHERS_GOAL;
      rows.push(
        row(6, {
          id: `cold-${name}`,
          label: `${name}: fresh Node process → import + first invoke (answered ${statuses}) vs the floor handler (same I/O, answered ${floorStatus}), n=${runs.length}`,
          unit: 'ms',
          measured: summarize(runs.map((r) => r.wallMs)),
          baseline: floorWall,
          goal: { text: `≤${goal}`, met: ({ ratio }) => ratio <= goal },
        }),
      );
    }
    return rows;
  },
};
