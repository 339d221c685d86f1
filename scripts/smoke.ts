/**
 * A smoke test of a deployed stack (or, with --local, of the local runtime): the public routes, a temporary API
 * client, one appliance's devices, a single-use link through HEAD and GET (the redirect not followed), its audit
 * event, and the clean-up, which runs even when a step fails. Prints one row per step with its latency.
 *   npm run smoke -- --stack <name> [--appliance <id>]
 *   npm run smoke -- --local [--appliance <id>]
 * Never prints the API key, the link's URL or token, nor the redirect's ticket.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { CliError, type CliIo, parseStrict, str, table, UsageError } from '../infra/cli/args.js';
import { connectBroker, linkBaseUrl, resolveTarget, TARGET_OPTIONS } from '../infra/cli/target.js';
import type { Broker } from '../shared/broker.js';

const OPTIONS = {
  ...TARGET_OPTIONS,
  appliance: {
    type: 'string',
    value: '<id>',
    description: 'the appliance to test (default: the first registered)',
  },
} as const;

interface Step {
  name: string;
  result: string;
  ms: number;
  ok: boolean;
}

interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** The smoke run; answers the exit code. */
export async function runSmoke(
  argv: string[],
  io: Pick<CliIo, 'stdout' | 'stderr' | 'env'>,
): Promise<number> {
  const { values } = parseStrict(argv, OPTIONS, 'smoke');
  const target = await resolveTarget(values, io.env);
  const base = linkBaseUrl(target);
  const dispatcher = new Agent({ connect: { timeout: 10_000 }, headersTimeout: 35_000, bodyTimeout: 35_000 });
  const steps: Step[] = [];
  let broker: Broker | undefined;
  let clientId: string | undefined;
  let apiKey: string | undefined;
  let linkId: string | undefined;
  let failed = false;

  const http = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const headers: Record<string, string> = { 'user-agent': 'console-launch-broker-smoke' };
    if (apiKey && !path.startsWith('/launch/')) headers.authorization = `Bearer ${apiKey}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await request(`${base}${path}`, {
      method: method as 'GET',
      headers,
      dispatcher,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
  };
  /** Runs a step unless an earlier one failed (clean-up steps run regardless); a step's result is one line. */
  const step = async (name: string, run: () => Promise<string>, always = false): Promise<void> => {
    if (failed && !always) {
      steps.push({ name, result: 'skipped (an earlier step failed)', ms: 0, ok: false });
      return;
    }
    const started = performance.now();
    try {
      const result = await run();
      steps.push({ name, result, ms: performance.now() - started, ok: true });
    } catch (error) {
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      steps.push({ name, result: `FAILED: ${message}`, ms: performance.now() - started, ok: false });
    }
  };
  const expectStatus = (response: Response, ...expected: number[]) => {
    if (!expected.includes(response.status)) {
      throw new Error(
        `HTTP ${response.status}, expected ${expected.join(' or ')}: ${summary(response.text)}`,
      );
    }
  };

  let applianceId = str(values, 'appliance');
  let device: { id: string; viewerTypes: string[] } | undefined;
  let token: string | undefined;
  try {
    await step('GET /health', async () => {
      const response = await http('GET', '/health');
      expectStatus(response, 200);
      return 'ok';
    });
    await step('GET /openapi.json', async () => {
      const response = await http('GET', '/openapi.json');
      expectStatus(response, 200);
      return `OpenAPI ${(JSON.parse(response.text) as { openapi?: string }).openapi ?? '?'}`;
    });
    await step('create a temporary API client', async () => {
      broker = await connectBroker(target, io.env);
      applianceId ??= (await broker.registry.list())[0]?.id;
      if (!applianceId) throw new Error('no appliance is registered; add one or pass --appliance');
      clientId = `smoke-${randomBytes(4).toString('hex')}`;
      ({ apiKey } = await broker.clients.create({
        id: clientId,
        scopes: ['admin', 'devices:read', 'links:create'],
        appliances: [applianceId],
      }));
      return `client ${clientId} on appliance ${applianceId}`;
    });
    await step('GET /v1/appliances/{id}/devices', async () => {
      const response = await http('GET', `/v1/appliances/${encodeURIComponent(applianceId!)}/devices`);
      expectStatus(response, 200);
      const devices = (JSON.parse(response.text) as { devices: { id: string; viewerTypes: string[] }[] })
        .devices;
      device = devices.find((candidate) => candidate.viewerTypes.length > 0);
      if (!device) throw new Error(`appliance ${applianceId} lists no device with a viewer`);
      return `${devices.length} devices`;
    });
    await step('POST /v1/links (single use)', async () => {
      const response = await http('POST', '/v1/links', {
        applianceId,
        deviceId: device?.id,
        viewerType: device?.viewerTypes[0],
        singleUse: true,
        ttlSeconds: 300,
      });
      expectStatus(response, 201);
      const link = JSON.parse(response.text) as { id: string; url: string };
      linkId = link.id;
      token = new URL(link.url).pathname.split('/').pop();
      return `link ${linkId} (${device?.viewerTypes[0]})`;
    });
    await step('HEAD /launch/{token}', async () => {
      const response = await http('HEAD', `/launch/${token}`);
      expectStatus(response, 204);
      return 'live';
    });
    await step('GET /launch/{token} (not followed)', async () => {
      const response = await http('GET', `/launch/${token}`);
      expectStatus(response, 302, 502, 504);
      if (response.status === 302) return `302 to ${new URL(String(response.headers.location)).host}`;
      return `${response.status}: the appliance is unreachable or refused (${pageTitle(response.text)})`;
    });
    await step('GET /v1/audit (the click)', async () => {
      const response = await http(
        'GET',
        `/v1/audit?applianceId=${encodeURIComponent(applianceId!)}&limit=50`,
      );
      expectStatus(response, 200);
      const events = (JSON.parse(response.text) as { events: { linkId?: string; outcome: string }[] }).events;
      const event = events.find((candidate) => candidate.linkId === linkId);
      if (!event) throw new Error(`no audit event for link ${linkId}`);
      return `outcome ${event.outcome}`;
    });
  } finally {
    await step(
      'DELETE /v1/links/{id}',
      async () => {
        if (!linkId) return 'no link to revoke';
        const response = await http('DELETE', `/v1/links/${linkId}`);
        expectStatus(response, 204);
        return 'revoked';
      },
      true,
    );
    await step(
      'delete the API client',
      async () => {
        if (!clientId || !broker) return 'no client to delete';
        await broker.clients.revoke(clientId);
        return `deleted ${clientId}`;
      },
      true,
    );
    await broker?.close();
    await dispatcher.close();
  }
  io.stdout.write(
    `Smoke test of ${target.description} at ${base}\n${table(
      ['step', 'ms', 'result'],
      steps.map((s) => [`${s.ok ? 'ok  ' : 'FAIL'} ${s.name}`, s.ms.toFixed(0), s.result]),
    )}\n`,
  );
  return steps.every((s) => s.ok) ? 0 : 1;
}

/** The first line of a body, short: problem details name the failure, never a secret. */
const summary = (text: string) => text.split('\n')[0]?.slice(0, 200) ?? '';
const pageTitle = (html: string) => /<title>([^<]*)<\/title>/i.exec(html)?.[1] ?? 'an error page';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runSmoke(process.argv.slice(2), process).then(
    (code) => process.exit(code),
    (error: unknown) => {
      const usage = error instanceof UsageError || error instanceof CliError;
      process.stderr.write(`smoke: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(usage ? 2 : 1);
    },
  );
}
