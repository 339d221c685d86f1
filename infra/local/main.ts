import { randomBytes } from 'node:crypto';
import { type ConfigFile, ConfigFileError, loadConfigFile } from '../../shared/config/file.js';
import { startDsviewSimulator } from '../../simulators/dsview/simulator.js';
import { startLocalBroker } from './runtime.js';

/**
 * `npm start`: the broker on this machine. With BROKER_CONFIG it serves that configuration; without it, a
 * demo with a built-in simulated appliance and a demo API client.
 */
async function main(): Promise<void> {
  const env = process.env;
  const host = env.HOST ?? '127.0.0.1';
  const port = Number.parseInt(env.PORT ?? '3000', 10);
  const cleanups: (() => Promise<void>)[] = [];
  let demoKey: string | undefined;
  let demoDeviceId: string | undefined;

  const config = async (listenUrl: string): Promise<ConfigFile> => {
    if (env.BROKER_CONFIG) return loadConfigFile(env.BROKER_CONFIG);
    const simulator = await startDsviewSimulator({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => simulator.close());
    demoDeviceId = simulator.devices.find(
      (device) => device.device_type_programmatic_name === 'ADX-IP-IQ',
    )?.id;
    demoKey = `demo_${randomBytes(24).toString('base64url')}`;
    return {
      publicBaseUrl: listenUrl,
      appliances: [
        {
          id: 'demo',
          name: 'Demo DSView (simulated MP1000)',
          baseUrl: simulator.url,
          platform: 'MP1000',
          firmwareVersion: '3.33.8',
          credentials: { username: simulator.username, password: simulator.password },
          tls: { fingerprint256: simulator.fingerprint256 },
        },
      ],
      clients: [
        {
          id: 'demo',
          apiKey: demoKey,
          scopes: ['devices:read', 'tickets:create', 'links:create', 'admin'],
          appliances: ['*'],
        },
      ],
    };
  };

  const local = await startLocalBroker({
    host,
    port,
    config,
    dataDir: env.BROKER_DATA_DIR,
    dynamodbEndpoint: env.BROKER_DYNAMODB_ENDPOINT,
    secretsEndpoint: env.BROKER_SECRETS_ENDPOINT,
    tableName: env.BROKER_TABLE_NAME,
  });

  // One sync at start so the inventory search answers at once, then every sync.intervalSeconds if configured.
  const sync = () =>
    local.broker.inventory.sync
      .syncAll()
      .then(() => local.broker.inventory.search.invalidate())
      .catch((error: unknown) => process.stderr.write(`inventory sync failed: ${String(error)}\n`));
  void sync();
  const interval = local.config.sync?.intervalSeconds;
  const timer = interval ? setInterval(sync, interval * 1000) : undefined;
  timer?.unref();

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (timer) clearInterval(timer);
    process.stderr.write(`${signal}: stopping\n`);
    await local.close();
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Started with an IPC channel (the benchmark): answer `stats` with this process's CPU time, stop with the parent.
  if (process.send) {
    process.on('message', (message) => {
      if (message === 'stats')
        process.send?.({ stats: { cpu: process.cpuUsage(), rss: process.memoryUsage().rss } });
    });
    process.on('disconnect', () => void stop('disconnect'));
  }

  process.stdout.write(`ready ${local.url}\n`);
  if (demoKey) {
    process.stdout.write(`demo api key: ${demoKey}\n`);
    if (demoDeviceId) {
      const link = await local.broker.links.create(
        { clientId: 'demo', scopes: ['links:create'], appliances: ['demo'] },
        { applianceId: 'demo', deviceId: demoDeviceId, viewerType: 'KVM' },
      );
      process.stdout.write(`demo launch link: ${link.url}\n`);
    }
  }
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
