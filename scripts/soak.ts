/**
 * A bounded soak: mixed traffic against an in-process broker and simulator for `--seconds` (default 300), sampling
 * heap, open handles and appliance logins. Passes when memory and handles stay flat and logins do not grow.
 *   npm run soak -- --seconds 60
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
// Side-effect free: the broker modules, which read the environment as they load, are imported below.
import { applianceFor, BENCH_BROKER_ENV, kvmDeviceOf } from '../bench/lib/setup.js';

process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
// The soak measures the broker, not the per-client limit: the bench's settings.
Object.assign(process.env, BENCH_BROKER_ENV);

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '8' } },
});
const seconds = Number(values.seconds);
const concurrency = Number(values.concurrency);

const { startLocalBroker } = await import('../infra/local/runtime.js');
const { startDsviewSimulator } = await import('../simulators/dsview/simulator.js');

const sim = await startDsviewSimulator({ latencyMs: 5, maxSessions: 8 });
const apiKey = `soak-${randomBytes(24).toString('base64url')}`;
const local = await startLocalBroker({
  host: '127.0.0.1',
  port: 0,
  config: async () => ({
    appliances: [applianceFor('soak', sim)],
    clients: [{ id: 'soak', apiKey, scopes: ['admin'], appliances: ['*'] }],
  }),
});
await local.broker.inventory.sync.syncAll();
const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: concurrency * 2 });
const auth = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
const device = kvmDeviceOf(sim);
if (!device) throw new Error('the simulator has no KVM device');
const link = await local.broker.links.create(
  { clientId: 'soak', scopes: ['admin'], appliances: ['*'] },
  { applianceId: 'soak', deviceId: device, viewerType: 'KVM', ttlSeconds: 86_400 },
);
const linkPath = new URL(link.url).pathname;

const actions: (() => Promise<number>)[] = [
  () => call('POST', `/v1/appliances/soak/devices/${device}/tickets`, JSON.stringify({ viewerType: 'KVM' })),
  () => call('GET', linkPath),
  () => call('HEAD', linkPath),
  () => call('GET', '/v1/devices?q=rack&limit=20'),
  () => call('GET', '/v1/appliances/soak/devices?type=ACS'),
  () => call('GET', `/launch/${randomBytes(24).toString('base64url')}`),
  () => call('POST', `/v1/appliances/soak/devices/${device}/tickets`, '{"viewerType":'),
  () => call('GET', '/health'),
];

async function call(method: string, path: string, body?: string): Promise<number> {
  const response = await request(`${local.url}${path}`, {
    method: method as 'GET',
    headers: auth,
    dispatcher,
    ...(body ? { body } : {}),
  });
  await response.body.dump();
  return response.statusCode;
}

const handles = () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
const samples: {
  at: number;
  heapMb: number;
  rssMb: number;
  handles: number;
  logins: number;
  requests: number;
}[] = [];
let requests = 0;
let errors = 0;
const deadline = Date.now() + seconds * 1000;
const sampleEvery = Math.max(1, Math.floor(seconds / 10)) * 1000;
const sampler = setInterval(() => {
  global.gc?.();
  const memory = process.memoryUsage();
  samples.push({
    at: Math.round((Date.now() - (deadline - seconds * 1000)) / 1000),
    heapMb: Math.round(memory.heapUsed / 1e5) / 10,
    rssMb: Math.round(memory.rss / 1e5) / 10,
    handles: handles(),
    logins: sim.counters.logins,
    requests,
  });
}, sampleEvery);

await Promise.all(
  Array.from({ length: concurrency }, async (_, worker) => {
    let i = worker;
    while (Date.now() < deadline) {
      const status = await actions[i++ % actions.length]!().catch(() => 599);
      requests++;
      if (status >= 500 || status === 429) errors++;
    }
  }),
);
clearInterval(sampler);

console.log(`| t (s) | requests | heap MB | rss MB | open handles | appliance logins |`);
console.log(`|---|---|---|---|---|---|`);
for (const s of samples)
  console.log(`| ${s.at} | ${s.requests} | ${s.heapMb} | ${s.rssMb} | ${s.handles} | ${s.logins} |`);
const settled = samples.slice(Math.floor(samples.length / 3));
const first = settled[0];
const last = settled.at(-1);
const verdicts = [
  `requests ${requests}, 5xx or 429 ${errors}`,
  first && last ? `heap ${first.heapMb} → ${last.heapMb} MB` : 'too short to judge heap',
  first && last ? `handles ${first.handles} → ${last.handles}` : '',
  `appliance logins ${sim.counters.logins} (1 expected)`,
];
console.log(`\n${verdicts.filter(Boolean).join('; ')}`);
const ok =
  errors === 0 &&
  sim.counters.logins === 1 &&
  (!first || !last || (last.handles <= first.handles + 4 && last.heapMb <= first.heapMb * 1.5 + 10));
await dispatcher.close();
await local.close();
await sim.close();
console.log(ok ? 'soak: PASS' : 'soak: FAIL');
process.exit(ok ? 0 : 1);
