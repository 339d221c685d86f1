import { routeList } from '../../functions/routes.js';
import { ConfigFileError, loadConfigFile } from '../../shared/config/file.js';
import { useLocalLogFormat } from '../../shared/observability.js';
import { type BannerFacts, renderBanner } from './banner.js';
import { type Demo, removeDemoLeftovers, startDemo } from './demo.js';
import { findNpmAncestor, whenProcessGone } from './npm-parent.js';
import { startLocalBroker } from './runtime.js';

/** Routes a person may want to open, as the banner lists them (only those the route table has). */
const PERSON_ROUTES = [
  { path: '/', what: 'start here' },
  { path: '/docs', what: 'API docs' },
  { path: '/openapi.json', what: 'OpenAPI' },
  { path: '/health', what: 'health' },
];

/**
 * `npm start`: the broker on this machine. With BROKER_CONFIG it serves that file; with persisted or shared
 * state (BROKER_DATA_DIR, BROKER_DYNAMODB_ENDPOINT) and no file, what that state holds; otherwise a demo with
 * simulated sources and a demo API client, in memory only, so a demo never writes into a real store.
 */
async function main(): Promise<void> {
  const env = process.env;
  useLocalLogFormat(env);
  const host = env.HOST ?? '127.0.0.1';
  const port = Number.parseInt(env.PORT ?? '3000', 10);
  const configFile = env.BROKER_CONFIG;
  const sharedState = env.BROKER_DYNAMODB_ENDPOINT ?? env.BROKER_SECRETS_ENDPOINT;
  const persisted = Boolean(env.BROKER_DATA_DIR || sharedState);
  const demo: Demo | undefined = configFile || persisted ? undefined : await startDemo();

  const local = await startLocalBroker({
    host,
    port,
    config: async (listenUrl) => {
      if (configFile) return loadConfigFile(configFile);
      return demo?.config(listenUrl);
    },
    dataDir: env.BROKER_DATA_DIR,
    dynamodbEndpoint: env.BROKER_DYNAMODB_ENDPOINT,
    secretsEndpoint: env.BROKER_SECRETS_ENDPOINT,
    tableName: env.BROKER_TABLE_NAME,
  }).catch(async (error: unknown) => {
    await demo?.close();
    throw error;
  });

  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    if (timer) clearInterval(timer);
    process.stderr.write(`${reason}: stopping\n`);
    await local.close();
    await demo?.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // `kill <npm pid>` ends npm and its shell but signals nothing below them: follow npm out.
  const npm = findNpmAncestor();
  if (npm !== undefined) whenProcessGone(npm, () => void stop('npm exited'));
  // Started with an IPC channel (the benchmark): answer `stats` with this process's CPU time, stop with the parent.
  if (process.send) {
    process.on('message', (message) => {
      if (message === 'stats')
        process.send?.({ stats: { cpu: process.cpuUsage(), rss: process.memoryUsage().rss } });
    });
    process.on('disconnect', () => void stop('disconnect'));
  }

  const broker = local.broker;
  const removedDemo = demo ? [] : await removeDemoLeftovers(broker, local.config);
  // One sync at start so the inventory search answers at once, then every sync.intervalSeconds if configured.
  const sync = () =>
    broker.inventory.sync
      .syncAll()
      .then(() => broker.inventory.search.invalidate())
      .catch((error: unknown) => process.stderr.write(`inventory sync failed: ${String(error)}\n`));
  void sync();
  const interval = local.config?.sync?.intervalSeconds;
  timer = interval ? setInterval(sync, interval * 1000) : undefined;
  timer?.unref();
  const state = env.BROKER_DATA_DIR
    ? `in ${env.BROKER_DATA_DIR} (kept across restarts)`
    : sharedState
      ? `in the shared engines at ${[env.BROKER_DYNAMODB_ENDPOINT, env.BROKER_SECRETS_ENDPOINT].filter(Boolean).join(' and ')}`
      : 'in memory (gone when the broker stops)';
  const counts = async () => ({
    appliances: (await broker.registry.list()).length,
    clients: (await broker.clients.list()).length,
  });
  const served = new Set(routeList.filter((route) => route.method === 'GET').map((route) => route.path));
  const facts: BannerFacts = {
    url: local.url,
    state,
    sharedEngines: Boolean(sharedState),
    docs: PERSON_ROUTES.filter(({ path }) => served.has(path)),
    mode: demo
      ? {
          kind: 'demo',
          apiKey: demo.apiKey,
          sources: demo.sources.map((source) => source.facts),
          links: await demo.createLinks(broker),
        }
      : configFile
        ? { kind: 'config', file: configFile, ...(await counts()), removedDemo }
        : { kind: 'store', ...(await counts()), removedDemo },
  };
  // One write, so nothing the broker logs meanwhile (stderr) lands inside the block.
  process.stdout.write(renderBanner(facts));
}

main().catch((error: unknown) => {
  process.stderr.write(`${startFailure(error)}\n`);
  process.exit(1);
});

/** What to tell the operator when the broker cannot start. */
function startFailure(error: unknown): string {
  if (error instanceof ConfigFileError) return `invalid configuration: ${error.message}`;
  const { code, address, port } = error as { code?: string; address?: string; port?: number };
  if (code === 'EADDRINUSE') {
    return `cannot listen on ${address}:${port}: the port is in use (another broker?); set PORT to another port`;
  }
  if (code === 'EADDRNOTAVAIL')
    return `cannot listen on ${address}: not an address of this machine; check HOST`;
  return String(error);
}
