import { randomBytes } from 'node:crypto';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, Handler } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULED_SYNC_EVENT } from '../../infra/constructs/schedule.js';
import { createHandler as createKeysInitHandler } from '../../infra/handlers/broker-keys-init.js';
import { handlers } from '../../infra/local/handlers.js';
import { type Broker, createBroker, useBroker } from '../../shared/broker.js';
import { AwsCallRecorder, type RecordedCall } from '../support/aws-recorder.js';
import { deviceOfType, mintTicket, newLink, startTestBroker, type TestBroker } from '../support/broker.js';
import { startWaveTwoSources, type WaveTwoSources } from '../support/sources.js';
import {
  type Decision,
  describeGrant,
  exercises,
  grantsOf,
  type IamRequest,
  lambdaByDescription,
  policyOf,
  type ResolvedStatement,
  resolve,
  secretArn,
  simulate,
} from './iam-policy.js';
import { functionEnv, functionIds, single, synth } from './support.js';

/**
 * Every AWS call each function's real handler makes, driven through realistic requests, checked against that
 * function's IAM policy in the synthesized template by an IAM policy simulator (dynamodb:LeadingKeys included).
 * Each function gets its own broker, as each Lambda has its own process: no cache hides a call another
 * function made first.
 */

const KEYS_INIT = 'keys-init';
/** Grants the code never exercises through the SDK: Lambda, X-Ray, VPC networking and DynamoDB's KMS use them. */
const RUNTIME_ACTIONS = /^(logs|xray|ec2|kms):/;

const s = synth();
const recorder = new AwsCallRecorder();
const brokers = new Map<string, Promise<Broker>>();
const originalHandlers = { ...handlers };
let t: TestBroker;
/** Secret ids the keys initialiser was pointed at: all stand for the stack's keys secret. */
const keysSecretIds = new Set<string>();

/** Each handler runs as its function, on its own broker (created inside, so its start-up calls count as its own). */
function instrumentHandlers(): void {
  for (const [name, handler] of Object.entries(originalHandlers)) {
    handlers[name] = ((event: unknown, context: Context, callback: () => void) =>
      recorder.runAs(name, () => {
        useBroker(lazyBroker(name));
        return handler(event, context, callback);
      })) as Handler;
  }
}

/**
 * The function's broker, created when the handler first awaits it (inside `runAs`), so a function that never
 * builds the broker (health, openapi) makes none of its start-up calls.
 */
function lazyBroker(name: string): Promise<Broker> {
  const created = () => {
    const existing = brokers.get(name);
    if (existing) return existing;
    const broker = createBroker();
    brokers.set(name, broker);
    return broker;
  };
  return {
    // biome-ignore lint/suspicious/noThenProperty: a thenable is the point: creation waits for the first await
    then: (onFulfilled, onRejected) => created().then(onFulfilled, onRejected),
    catch: (onRejected) => created().catch(onRejected),
    finally: (onFinally) => created().finally(onFinally),
    [Symbol.toStringTag]: 'Promise',
  } as Promise<Broker>;
}

const lambdaContext = (name: string) =>
  ({ functionName: name, awsRequestId: randomBytes(8).toString('hex'), logStreamName: 'test' }) as Context;

let sources: WaveTwoSources;

beforeAll(async () => {
  sources = await startWaveTwoSources();
  // Every kind's calls go through the same registry and session partitions: the simulator proves it.
  t = await startTestBroker({ extraAppliances: sources.appliances });
  keysSecretIds.add(t.keysSecretId);
  instrumentHandlers();
});

afterAll(async () => {
  Object.assign(handlers, originalHandlers);
  recorder.stop();
  for (const broker of brokers.values()) await (await broker).close();
  await t?.close();
  await sources?.close();
});

describe('every function, driven through realistic requests', () => {
  it('answers the public routes and refuses an unknown key', async () => {
    expect((await t.call('GET', '/health')).status).toBe(200);
    expect((await t.call('GET', '/openapi.json')).status).toBe(200);
    expect((await t.call('GET', '/v1/devices', { key: 'clb_unknown-key-0000000000' })).status).toBe(401);
  });

  it('logs in, lists devices live, mints a ticket and creates a link before any sync', async () => {
    const login = await t.call('POST', '/v1/appliances/lab/login', { key: t.keys.admin });
    expect(login.status, login.text).toBe(200);
    const devices = await t.call('GET', '/v1/appliances/lab/devices', { key: t.keys.reader });
    expect(devices.status, devices.text).toBe(200);
    const ticket = await mintTicket(t, deviceOfType(t.sim));
    expect(ticket.status, ticket.text).toBe(201);
    await newLink(t);
  });

  it('logs in, lists, mints and clicks through every provider kind', async () => {
    for (const applianceId of ['vc', 'dcv', 'pam']) {
      const login = await t.call('POST', `/v1/appliances/${applianceId}/login`, { key: t.keys.admin });
      expect(login.status, login.text).toBe(200);
      const listed = await t.call('GET', `/v1/appliances/${applianceId}/devices`, { key: t.keys.admin });
      expect(listed.status, listed.text).toBe(200);
      const device = (listed.json as { devices: { id: string; viewerTypes: string[] }[] }).devices.find(
        (candidate) => candidate.viewerTypes.length > 0,
      )!;
      const viewerType = device.viewerTypes[0]!;
      const path = `/v1/appliances/${applianceId}/devices/${encodeURIComponent(device.id)}/tickets`;
      const ticket = await t.call('POST', path, { key: t.keys.admin, body: { viewerType, reason: 'INC-7' } });
      expect(ticket.status, ticket.text).toBe(201);
      const link = await t.call('POST', '/v1/links', {
        key: t.keys.admin,
        body: { applianceId, deviceId: device.id, viewerType },
      });
      expect(link.status, link.text).toBe(201);
      const click = await t.call('GET', new URL((link.json as { url: string }).url).pathname);
      expect(click.status, `${applianceId} click`).toBeLessThan(400);
    }
  });

  it('syncs the inventory on the API and on the schedule, then searches it', async () => {
    const sync = await t.call('POST', '/v1/inventory/sync', { key: t.keys.admin });
    expect(sync.status, sync.text).toBe(200);
    const scheduled = (await handlers['inventory-sync']!(
      { ...SCHEDULED_SYNC_EVENT },
      lambdaContext('inventory-sync'),
      () => undefined,
    )) as { appliances: { status: string }[] };
    expect(scheduled.appliances.map((result) => result.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
    const search = await t.call('GET', '/v1/devices?q=rack&limit=5', { key: t.keys.reader });
    expect(search.status, search.text).toBe(200);
    const byAppliance = await t.call('GET', '/v1/devices?applianceId=lab', { key: t.keys.reader });
    expect(byAppliance.status, byAppliance.text).toBe(200);
  });

  it('mints from the inventory, clicks a link through its life and refuses junk', async () => {
    expect((await mintTicket(t, deviceOfType(t.sim))).status).toBe(201);
    const link = await newLink(t, { singleUse: true });
    expect((await t.call('HEAD', link.path)).status).toBe(204);
    const click = await t.call('GET', link.path);
    expect(click.status, click.text).toBe(302);
    expect((await t.call('GET', link.path)).status).toBe(410);

    const revoked = await newLink(t);
    expect((await t.call('DELETE', `/v1/links/${revoked.id}`, { key: t.keys.operator })).status).toBe(204);
    expect((await t.call('GET', revoked.path)).status).toBe(404);
    expect((await t.call('GET', `/launch/${randomBytes(24).toString('base64url')}`)).status).toBe(404);
    expect((await t.call('HEAD', `/launch/${randomBytes(24).toString('base64url')}`)).status).toBe(404);
  });

  it("lists links, revokes a client's links in bulk, and opens a confirm link with its button", async () => {
    expect((await t.call('GET', '/v1/appliances', { key: t.keys.reader })).status).toBe(200);
    const mine = await newLink(t);
    const own = await t.call('GET', '/v1/links?limit=5', { key: t.keys.operator });
    expect(own.status, own.text).toBe(200);
    const all = await t.call('GET', '/v1/links?limit=5', { key: t.keys.admin });
    expect(all.status, all.text).toBe(200);
    const bulk = await t.call('DELETE', '/v1/links?createdBy=operator', { key: t.keys.admin });
    expect(bulk.status, bulk.text).toBe(200);
    expect((await t.call('GET', mine.path)).status).toBe(404);

    const confirm = await newLink(t, { confirm: true, singleUse: true });
    const shown = await t.call('GET', confirm.path);
    expect(shown.status).toBe(200);
    const field = /name="confirmation" value="([^"]+)"/.exec(shown.text)?.[1] ?? '';
    const opened = await t.call('POST', confirm.path, {
      rawBody: `confirmation=${encodeURIComponent(field)}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    });
    expect(opened.status, opened.text).toBe(303);
  });

  it('reads the audit trail, all of it and per appliance', async () => {
    expect((await t.call('GET', '/v1/audit?limit=5', { key: t.keys.admin })).status).toBe(200);
    expect((await t.call('GET', '/v1/audit?applianceId=lab', { key: t.keys.admin })).status).toBe(200);
  });

  it('initialises the keys at deploy time, and keeps them on a re-run', async () => {
    const client = new SecretsManagerClient({});
    // CloudFormation creates the secret with a random placeholder before the custom resource runs.
    const fresh = `test/${randomBytes(6).toString('hex')}/keys`;
    await client.send(
      new CreateSecretCommand({ Name: fresh, SecretString: randomBytes(16).toString('hex') }),
    );
    keysSecretIds.add(fresh);
    const answers: string[] = [];
    const keysInit = createKeysInitHandler({
      client,
      respond: async (_url, body) => {
        answers.push((JSON.parse(body) as { Status: string }).Status);
      },
    });
    for (const secretId of [fresh, fresh]) {
      await recorder.runAs(KEYS_INIT, () =>
        keysInit(
          {
            RequestType: 'Create',
            ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:keys-init',
            ResponseURL: 'http://127.0.0.1:9/unused',
            StackId: 'stack',
            RequestId: 'request',
            LogicalResourceId: 'SecretsKeysReady',
            ResourceType: 'Custom::BrokerKeys',
            ResourceProperties: { ServiceToken: 'token', SecretId: secretId },
          },
          { logStreamName: 'test' },
        ),
      );
    }
    expect(answers).toEqual(['SUCCESS', 'SUCCESS']);
    client.destroy();
  });
});

describe('the synthesized IAM policies', () => {
  const table = single(s, 'AWS::DynamoDB::GlobalTable', 'StateTable');
  const tableArn = resolve(s, { 'Fn::GetAtt': [table.id, 'Arn'] }) as string;
  const keysSecret = single(s, 'AWS::SecretsManager::Secret', 'SecretsKeys');
  const keysSecretArn = resolve(s, { Ref: keysSecret.id }) as string;
  const deployedPrefix = String(functionEnv(s, 'login').APPLIANCE_SECRET_PREFIX);
  const shortNames: [string, string][] = [
    [tableArn, 'table'],
    [keysSecretArn, 'keys-secret'],
    [secretArn(deployedPrefix).replace(/-[A-Za-z]+$/, ''), 'appliance-secrets/'],
  ];

  const lambdas = new Map([
    ...functionIds(s),
    [KEYS_INIT, lambdaByDescription(s, 'Deploy-time custom resource')],
  ]);
  const policies = new Map<string, ResolvedStatement[]>(
    [...lambdas].map(([name, id]) => [name, policyOf(s, id)]),
  );

  /** The test's table and secret names, as the deployed ones: what IAM would see in AWS. */
  function toIamRequest(call: RecordedCall): IamRequest {
    const { target } = call;
    let resource = '*';
    if (target.kind === 'table') {
      const name = target.name === t.aws.tableName ? tableArn : tableArn.replace(/[^/]+$/, target.name);
      resource = target.index ? `${name}/index/${target.index}` : name;
    } else if (target.kind === 'secret') {
      if (keysSecretIds.has(target.id)) resource = keysSecretArn;
      else if (target.id.startsWith(t.applianceSecretPrefix))
        resource = secretArn(deployedPrefix + target.id.slice(t.applianceSecretPrefix.length));
      else resource = target.id.startsWith('arn:') ? target.id : secretArn(target.id);
    }
    const context: Record<string, string | string[]> = {};
    if (call.leadingKeys?.length) context['dynamodb:LeadingKeys'] = call.leadingKeys;
    return { call, action: call.action, resource, context };
  }

  const describeRequest = ({ call, action, resource, context }: IamRequest) =>
    `${call.fn}: ${action}${call.via ? ` (in ${call.via})` : ''} on ${resource}` +
    (context['dynamodb:LeadingKeys']
      ? ` with partition key ${[context['dynamodb:LeadingKeys']].flat().join(', ')}`
      : '');

  async function decisions(): Promise<Decision[]> {
    const unique = new Map<string, IamRequest>();
    for (const call of recorder.calls) {
      const request = toIamRequest(call);
      unique.set(describeRequest(request), request);
    }
    const out: Decision[] = [];
    for (const request of unique.values()) {
      const statements = policies.get(request.call.fn);
      if (!statements) throw new Error(`${request.call.fn} is not a function of the stack`);
      out.push(await simulate(statements, request.call.fn, request));
    }
    return out;
  }

  it('allow every call every function made', async () => {
    const results = await decisions();
    const called = new Set(results.map((decision) => decision.request.call.fn));
    // Every function that holds a data grant was driven (health and openapi touch no store).
    const withGrants = [...policies].filter(([, statements]) =>
      grantsOf(statements).some((grant) => !RUNTIME_ACTIONS.test(grant.action)),
    );
    expect(withGrants.map(([name]) => name).filter((name) => !called.has(name))).toEqual([]);
    const denied = results.filter((decision) => !decision.allowed);
    expect(
      denied.map((decision) => `${describeRequest(decision.request)}: ${decision.detail}`),
      'calls the synthesized policy denies (function: action on resource with partition key)',
    ).toEqual([]);
  });

  it('lists, per function, the grants no test exercised', async () => {
    const allowed = (await decisions())
      .filter((decision) => decision.allowed)
      .map((decision) => decision.request);
    const lines: string[] = [];
    for (const [name, statements] of [...policies].sort(([a], [b]) => a.localeCompare(b))) {
      const mine = allowed.filter((request) => request.call.fn === name);
      const unused: string[] = [];
      for (const grant of grantsOf(statements)) {
        if (RUNTIME_ACTIONS.test(grant.action)) continue;
        for (const partition of grant.partitions ?? [undefined]) {
          const narrowed = { ...grant, partitions: partition === undefined ? undefined : [partition] };
          if (!mine.some((request) => exercises(narrowed, request)))
            unused.push(describeGrant(grant, partition, shortNames));
        }
      }
      lines.push(`${name}: ${unused.length ? unused.join('; ') : 'every grant exercised'}`);
    }
    // Informational (docs/security.md, "Least privilege"): a grant listed here is one no test proves needed.
    console.log(`IAM grants no test exercised:\n  ${lines.join('\n  ')}`);
    expect(lines).toHaveLength(policies.size);
  });
});
