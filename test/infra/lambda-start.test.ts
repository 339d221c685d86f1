import { execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiEvent } from '../../bench/lib/lambda-events.js';
import { DOCS_ASSETS } from '../../functions/docs.js';
import { principalToContext } from '../../functions/lib/events.js';
import { parseDeployConfig } from '../../infra/config.js';
import {
  copyPackageFiles,
  esbuildOptions,
  functionEntry,
  PROJECT_ROOT,
} from '../../infra/constructs/broker-function.js';
import { SCHEDULED_SYNC_EVENT } from '../../infra/constructs/schedule.js';
import { PROFILES } from '../../infra/function-profiles.js';
import { ensureTable } from '../../infra/local/dynamodb-local.js';
import { type Broker, createBroker } from '../../shared/broker.js';
import { applyConfig } from '../../shared/config/apply.js';
import { readSettings, settingsSchema } from '../../shared/config/settings.js';
import { type DsviewSimulator, startDsviewSimulator } from '../../simulators/dsview/simulator.js';
import { type LocalAws, useLocalAws } from '../support/aws.js';
import { deviceOfType, labAppliance } from '../support/broker.js';
import { DEPLOYMENT, lambdaByDescription, resolve } from './iam-policy.js';
import { functionEnv, functionIds, single, synth } from './support.js';

/**
 * Every function started as Lambda starts it: bundled with the CDK app's esbuild options, imported in a fresh
 * Node process whose environment is exactly its synthesized AWS::Lambda::Function's (plus the endpoint overrides
 * to the local engines and the variables the Lambda runtime sets), invoked once with the event its trigger sends.
 * A variable the process reads that the template does not set fails, named.
 */

const RUNNER = fileURLToPath(new URL('../../bench/lib/cold-start-runner.mjs', import.meta.url));
const ENV_READS = fileURLToPath(new URL('./lambda-env-reads.mjs', import.meta.url));
const KEYS_INIT = 'keys-init';
const KEYS_INIT_ENTRY = join(PROJECT_ROOT, 'infra', 'handlers', 'broker-keys-init.ts');

/**
 * Settings whose code default (shared/config/settings.ts) is the deployed value on purpose: the stack sets only
 * what its deploy configuration exposes. Any other setting a function reads must be in its template.
 */
const CODE_DEFAULTS = new Set([
  'SECRETS_CACHE_SECONDS',
  'REGISTRY_CACHE_SECONDS',
  'SESSION_REFRESH_MARGIN_SECONDS',
  'DEVICE_CACHE_SECONDS',
  'SYNC_CONCURRENCY',
  'LOGIN_FAILURE_HOLD_SECONDS',
  'CLIENT_RATE_LIMIT_PER_MINUTE',
  'LAUNCH_FAILURES_PER_MINUTE',
  'INVENTORY_SEEN_REFRESH_HOURS',
]);

/**
 * The variables our code reads: every broker setting, and every `process.env.X` in the sources a bundle is built
 * from. Anything else a process reads (HOME, DEBUG_*, the SDK's AWS_*) belongs to a library and has its default.
 */
async function ourVariables(): Promise<Set<string>> {
  const names = new Set(Object.keys(settingsSchema.shape));
  for (const folder of ['functions', 'shared', join('infra', 'handlers')]) {
    for (const file of await readdir(join(PROJECT_ROOT, folder), { recursive: true })) {
      if (!file.endsWith('.ts')) continue;
      const text = await readFile(join(PROJECT_ROOT, folder, file), 'utf8');
      for (const match of text.matchAll(/process\.env(?:\.|\[['"])([A-Z][A-Z0-9_]*)/g)) names.add(match[1]!);
    }
  }
  return names;
}

const s = synth();
const config = parseDeployConfig({});
const ADMIN_KEY = `test-admin-${randomBytes(24).toString('base64url')}`;
const ADMIN = { clientId: 'admin', scopes: ['admin'] as const, appliances: ['*'] };

let dir: string;
let ours: Set<string>;
let aws: LocalAws;
let sim: DsviewSimulator;
let broker: Broker;
let responses: Server;
let responseUrl: string;
const customResourceAnswers: { Status: string; Reason: string }[] = [];
/** Ref values the local engines decide: the keys secret's ARN as the endpoint made it, the table's name. */
const refs: Record<string, string> = {};

interface Outcome {
  status?: unknown;
  error?: string;
  /** Variables read that the template does not set (neither library variables nor code defaults). */
  missing: string[];
  stderr: string;
}

/** The Lambda's environment: its template's variables resolved, the runtime's own, the local endpoints. */
function lambdaEnvironment(name: string, logicalId: string): Record<string, string> {
  const props = s.json.Resources[logicalId]?.Properties ?? {};
  const variables =
    (props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const template = resolve(s, variables, refs) as Record<string, string>;
  return {
    ...template,
    // What the Lambda runtime sets for every nodejs22.x function.
    AWS_LAMBDA_FUNCTION_NAME: `${DEPLOYMENT.stackName}-${name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(props.MemorySize ?? 128),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'test',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    _X_AMZN_TRACE_ID: `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`,
    _HANDLER: 'index.handler',
    LAMBDA_TASK_ROOT: dir,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    // The local engines: endpoints, region and credentials they accept (DynamoDB Local keys data by them).
    ...Object.fromEntries(Object.entries(aws.env).filter(([variable]) => variable.startsWith('AWS_'))),
    AWS_DEFAULT_REGION: aws.env.AWS_REGION ?? 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** One fresh Node process: the bench's runner imports the bundle and invokes it once. */
async function invoke(name: string, event: unknown): Promise<Outcome> {
  const logicalId =
    name === KEYS_INIT ? lambdaByDescription(s, 'Deploy-time custom resource') : functionIds(s).get(name);
  if (!logicalId) throw new Error(`the stack has no function ${name}`);
  const env = lambdaEnvironment(name, logicalId);
  const readsFile = join(dir, `${name}-${randomUUID()}.reads.json`);
  const child = spawn(
    process.execPath,
    ['--import', ENV_READS, RUNNER, join(dir, name, 'index.mjs'), readsFile],
    { env: { ...env, BENCH_EVENT: JSON.stringify(event) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.once('close', (exit) => {
      clearTimeout(timer);
      done(exit);
    });
  });
  const line = /BENCH_RESULT (\{.*\})\n/.exec(stdout)?.[1];
  const result = line
    ? (JSON.parse(line) as { status?: unknown; error?: string })
    : { error: `exited ${code}` };
  const reads = JSON.parse(await readFile(readsFile, 'utf8').catch(() => '[]')) as string[];
  const missing = reads.filter(
    (variable) => ours.has(variable) && !(variable in env) && !CODE_DEFAULTS.has(variable),
  );
  return { ...result, missing, stderr: stderr.slice(-2_000) };
}

/** What a failing expectation says: the answer, and every variable read that the template lacks. */
function explain(name: string, outcome: Outcome): string {
  const missing = outcome.missing.length
    ? `functions/${name}: reads ${outcome.missing.join(', ')}, which its AWS::Lambda::Function does not set`
    : `functions/${name}: every variable it read is in its template`;
  return `${missing}; answered ${String(outcome.status ?? outcome.error)}${outcome.error ? `\n${outcome.stderr}` : ''}`;
}

async function expectAnswer(name: string, event: unknown, status: unknown): Promise<void> {
  const outcome = await invoke(name, event);
  expect(outcome.missing, explain(name, outcome)).toEqual([]);
  expect(outcome.status, explain(name, outcome)).toBe(status);
}

const principal = principalToContext({ ...ADMIN, scopes: [...ADMIN.scopes] });
const route = (
  method: string,
  routePath: string,
  path: string,
  extra: Partial<Parameters<typeof apiEvent>[0]> = {},
) => apiEvent({ method, routePath, path, principal, ...extra });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clb-lambda-start-'));
  ours = await ourVariables();
  const names = [...functionIds(s).keys()];
  const options = esbuildOptions(config.bundleAwsSdk);
  // One esbuild run for every function: the same options NodejsFunction passes, one `<name>/index.mjs` each.
  await build({
    ...options,
    entryPoints: Object.fromEntries([
      ...names.map((name) => [`${name}/index`, functionEntry(name)]),
      [`${KEYS_INIT}/index`, KEYS_INIT_ENTRY],
    ]),
    outdir: dir,
    outExtension: { '.js': options.format === 'esm' ? '.mjs' : '.js' },
    logLevel: 'error',
  });
  // What the bundling hooks put beside a bundle, by the same shell commands (the docs page's swagger-ui-dist).
  for (const name of names) {
    const packageFiles = PROFILES[name]?.packageFiles;
    if (!packageFiles) continue;
    for (const command of copyPackageFiles(packageFiles).afterBundling(PROJECT_ROOT, join(dir, name))) {
      execFileSync('sh', ['-c', command]);
    }
  }

  aws = await useLocalAws();
  const table = single(s, 'AWS::DynamoDB::GlobalTable', 'StateTable');
  refs[table.id] = `${DEPLOYMENT.stackName}-${table.id}-${randomBytes(4).toString('hex')}`;
  await ensureTable(aws.dynamodb, refs[table.id]!);
  // CloudFormation creates the keys secret with a placeholder; the key initialiser fills it.
  const keys = single(s, 'AWS::SecretsManager::Secret', 'SecretsKeys');
  const created = await aws.secrets.send(
    new CreateSecretCommand({
      Name: `${String(keys.props.Name)}-${randomBytes(4).toString('hex')}`,
      SecretString: randomBytes(16).toString('hex'),
    }),
  );
  refs[keys.id] = created.ARN!;

  responses = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      customResourceAnswers.push(JSON.parse(body));
      res.end();
    });
  });
  await new Promise<void>((done) => responses.listen(0, '127.0.0.1', done));
  responseUrl = `http://127.0.0.1:${(responses.address() as AddressInfo).port}/cfn-response`;
  sim = await startDsviewSimulator();
}, 120_000);

afterAll(async () => {
  await broker?.close();
  await sim?.close();
  await new Promise((done) => responses?.close(done));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('each function in a fresh process with only its template environment', () => {
  it('keys-init: the deploy-time custom resource fills the keys secret', async () => {
    const outcome = await invoke(KEYS_INIT, {
      RequestType: 'Create',
      ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:keys-init',
      ResponseURL: responseUrl,
      StackId: `arn:aws:cloudformation:eu-west-1:111111111111:stack/${DEPLOYMENT.stackName}/1`,
      RequestId: randomUUID(),
      LogicalResourceId: 'SecretsKeysReady',
      ResourceType: 'Custom::BrokerKeys',
      ResourceProperties: {
        ServiceToken: 'token',
        SecretId: refs[single(s, 'AWS::SecretsManager::Secret', 'SecretsKeys').id],
      },
    });
    expect(outcome.missing, explain(KEYS_INIT, outcome)).toEqual([]);
    expect(outcome.status, explain(KEYS_INIT, outcome)).toBe('ok');
    expect(customResourceAnswers.map((answer) => answer.Status)).toEqual(['SUCCESS']);

    // The operator's first steps, through the broker as the CLI builds it from the same settings.
    const env = resolve(s, functionEnv(s, 'login'), refs) as Record<string, string>;
    broker = await createBroker({
      settings: readSettings(env),
      dynamodb: aws.dynamodb,
      secretsManager: aws.secrets,
    });
    await applyConfig(broker, {
      appliances: [labAppliance(sim)],
      clients: [
        { id: ADMIN.clientId, apiKey: ADMIN_KEY, scopes: [...ADMIN.scopes], appliances: ADMIN.appliances },
      ],
    });
  });

  it('health and openapi', async () => {
    await expectAnswer('health', apiEvent({ method: 'GET', routePath: '/health', path: '/health' }), 200);
    await expectAnswer(
      'openapi',
      apiEvent({ method: 'GET', routePath: '/openapi.json', path: '/openapi.json' }),
      200,
    );
  });

  it('authorizer: simple responses, the identity source the API configures', async () => {
    const authorizer = single(s, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.props.EnableSimpleResponses).toBe(true);
    const header = /^\$request\.header\.(.+)$/.exec(
      String((authorizer.props.IdentitySource as string[])[0]),
    )?.[1];
    expect(header).toBe('Authorization');
    const event = (key: string) => {
      const base = apiEvent({
        method: 'GET',
        routePath: '/v1/devices',
        path: '/v1/devices',
        headers: { authorization: `Bearer ${key}` },
      });
      return {
        ...base,
        type: 'REQUEST',
        routeArn: `arn:aws:execute-api:${DEPLOYMENT.region}:${DEPLOYMENT.account}:api/$default/GET/v1/devices`,
        identitySource: [`Bearer ${key}`],
      };
    };
    await expectAnswer('authorizer', event(ADMIN_KEY), 'authorized=true');
    const refused = await invoke('authorizer', event('test-unknown-key-000000000000000'));
    expect(refused.error, explain('authorizer', refused)).toBe('Unauthorized');
  });

  it('the appliance routes: login, live devices, a ticket', async () => {
    const lab = { applianceId: 'lab' };
    await expectAnswer(
      'login',
      route('POST', '/v1/appliances/{applianceId}/login', '/v1/appliances/lab/login', {
        pathParameters: lab,
      }),
      200,
    );
    await expectAnswer(
      'devices',
      route('GET', '/v1/appliances/{applianceId}/devices', '/v1/appliances/lab/devices', {
        pathParameters: lab,
      }),
      200,
    );
    const deviceId = deviceOfType(sim);
    await expectAnswer(
      'ticket',
      route(
        'POST',
        '/v1/appliances/{applianceId}/devices/{deviceId}/tickets',
        `/v1/appliances/lab/devices/${deviceId}/tickets`,
        {
          pathParameters: { ...lab, deviceId },
          body: { viewerType: 'KVM' },
        },
      ),
      201,
    );
  });

  it('the inventory: the scheduled sync, the API sync, the search', async () => {
    await expectAnswer('inventory-sync', { ...SCHEDULED_SYNC_EVENT }, 'ok');
    await expectAnswer('inventory-sync', route('POST', '/v1/inventory/sync', '/v1/inventory/sync'), 200);
    await expectAnswer(
      'inventory-search',
      route('GET', '/v1/devices', '/v1/devices', { query: { q: 'rack' } }),
      200,
    );
  });

  it('links: create, HEAD, click, revoke, and the audit trail', async () => {
    const body = { applianceId: 'lab', deviceId: deviceOfType(sim), viewerType: 'KVM' };
    await expectAnswer('links-create', route('POST', '/v1/links', '/v1/links', { body }), 201);
    const link = await broker.links.create({ ...ADMIN, scopes: [...ADMIN.scopes] }, {
      ...body,
      viewerType: 'KVM',
    } as never);
    const token = new URL(link.url).pathname.split('/').pop() ?? '';
    const launch = { pathParameters: { token } };
    await expectAnswer(
      'launch-head',
      apiEvent({ method: 'HEAD', routePath: '/launch/{token}', path: `/launch/${token}`, ...launch }),
      204,
    );
    await expectAnswer(
      'launch',
      apiEvent({ method: 'GET', routePath: '/launch/{token}', path: `/launch/${token}`, ...launch }),
      302,
    );
    await expectAnswer(
      'links-revoke',
      route('DELETE', '/v1/links/{id}', `/v1/links/${link.id}`, { pathParameters: { id: link.id } }),
      204,
    );
    await expectAnswer('audit', route('GET', '/v1/audit', '/v1/audit', { query: { limit: '10' } }), 200);
    await expectAnswer('appliances', route('GET', '/v1/appliances', '/v1/appliances'), 200);
    await expectAnswer('links-list', route('GET', '/v1/links', '/v1/links'), 200);
  });

  it('the pages for a person: home and the API docs page', async () => {
    await expectAnswer('home', apiEvent({ method: 'GET', routePath: '/', path: '/' }), 200);
    await expectAnswer('docs', apiEvent({ method: 'GET', routePath: '/docs', path: '/docs' }), 200);
    // Its renderer's files, read from beside the bundle (outside this repository, as in /var/task).
    for (const asset of Object.keys(DOCS_ASSETS)) {
      await expectAnswer(
        'docs',
        apiEvent({
          method: 'GET',
          routePath: '/docs/{asset}',
          path: `/docs/${asset}`,
          pathParameters: { asset },
        }),
        200,
      );
    }
  });

  it('every setting the code reads is a template variable or a documented code default', () => {
    // A setting added to shared/config/settings.ts must reach the template or this list, deliberately.
    for (const name of CODE_DEFAULTS) expect(Object.keys(settingsSchema.shape)).toContain(name);
  });
});
