import { readFile } from 'node:fs/promises';
import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCS_ASSETS } from '../../functions/docs.js';
import { routeList } from '../../functions/routes.js';
import { SCHEDULED_SYNC_EVENT } from '../../infra/constructs/schedule.js';
import { PROFILES } from '../../infra/function-profiles.js';
import { createTableInput, TABLE_KEYS } from '../../shared/store/table-schema.js';
import {
  functionEnv,
  functionId,
  functionIds,
  functionProps,
  integrationUriOf,
  permissionsOfRole,
  resourcesOf,
  roleOf,
  type Synthesized,
  single,
  statementsOfRole,
  synth,
} from './support.js';

let s: Synthesized;
let ids: Map<string, string>;
beforeAll(() => {
  s = synth();
  ids = functionIds(s);
}, 120_000);

const FUNCTIONS = [
  'health',
  'appliances',
  'home',
  'openapi',
  'docs',
  'login',
  'devices',
  'ticket',
  'links-create',
  'links-revoke',
  'links-list',
  'launch',
  'launch-head',
  'audit',
  'inventory-search',
  'inventory-sync',
  'authorizer',
];

describe('functions', () => {
  it('has one function per action, plus the deploy-time key initialiser', () => {
    expect([...ids.keys()].sort()).toEqual([...FUNCTIONS].sort());
    const others = resourcesOf(s, 'AWS::Lambda::Function').filter(
      ([logicalId]) => ![...ids.values()].includes(logicalId),
    );
    expect(others.map(([, fn]) => fn.Properties?.Description)).toEqual([
      'Deploy-time custom resource: writes the broker keys once, never overwrites valid keys',
    ]);
  });

  it('every function runs nodejs22.x on arm64 with active tracing, its own log group and source maps', () => {
    for (const [logicalId, fn] of resourcesOf(s, 'AWS::Lambda::Function')) {
      const p = fn.Properties ?? {};
      expect(p.Runtime, logicalId).toBe('nodejs22.x');
      expect(p.Architectures, logicalId).toEqual(['arm64']);
      expect(p.TracingConfig, logicalId).toEqual({ Mode: 'Active' });
      expect(p.Handler, logicalId).toBe('index.handler');
      expect((p.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref, logicalId).toMatch(/Logs/);
      // Source maps are not loaded at run time (a cold-start cost for no stack trace the broker logs).
      expect(
        (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.NODE_OPTIONS,
        logicalId,
      ).toBeUndefined();
    }
  });

  it('every log group has a retention', () => {
    const groups = resourcesOf(s, 'AWS::Logs::LogGroup');
    expect(groups.length).toBe(FUNCTIONS.length + 2); // + key initialiser + API access logs
    for (const [, group] of groups) expect(group.Properties?.RetentionInDays).toBe(90);
  });

  it('broker functions get the Powertools settings and the table; health, home, openapi and docs only Powertools', () => {
    for (const name of FUNCTIONS) {
      const env = functionEnv(s, name);
      expect(env.POWERTOOLS_SERVICE_NAME, name).toBe('console-launch-broker');
      expect(env.POWERTOOLS_LOG_LEVEL, name).toBe('INFO');
      if (['health', 'home', 'openapi', 'docs'].includes(name)) {
        expect(env.TABLE_NAME, name).toBeUndefined();
      } else {
        expect(env.TABLE_NAME, name).toEqual({ Ref: expect.stringMatching(/^StateTable/) });
        expect(env.KEYS_SECRET_ID, name).toEqual({ Ref: expect.stringMatching(/^SecretsKeys/) });
        expect(env.PUBLIC_BASE_URL, name).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/^ApiHttpApi/), 'ApiEndpoint'],
        });
      }
    }
  });

  it('only docs ships package files beside its bundle: swagger-ui-dist’s, every asset its page serves', async () => {
    const withFiles = Object.entries(PROFILES).filter(([, profile]) => profile.packageFiles);
    expect(withFiles.map(([name]) => name)).toEqual(['docs']);
    const files = PROFILES.docs?.packageFiles?.['swagger-ui-dist'];
    expect(files).toEqual(expect.arrayContaining(['package.json', ...Object.keys(DOCS_ASSETS)]));
    const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(manifest.dependencies['swagger-ui-dist']).toBeDefined();
  });

  it('API functions answer within API Gateway’s 30 s; the launch function’s appliance timeout is at most 15 s', () => {
    for (const name of FUNCTIONS.filter((n) => n !== 'inventory-sync')) {
      expect(functionProps(s, name).Timeout as number, name).toBeLessThan(30);
    }
    const applianceMs = Number(functionEnv(s, 'launch').APPLIANCE_REQUEST_TIMEOUT_MS);
    expect(applianceMs).toBeLessThanOrEqual(15_000);
    // A forgotten session costs three appliance requests in a row; the function outlasts them and the stores.
    for (const name of ['launch', 'ticket', 'login', 'devices']) {
      expect(functionProps(s, name).Timeout as number, name).toBeGreaterThanOrEqual(
        (3 * applianceMs) / 1000 + 4,
      );
    }
    expect(functionProps(s, 'inventory-sync').Timeout).toBe(300);
  });
});

describe('api', () => {
  const routeKey = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

  function routes() {
    return new Map(
      resourcesOf(s, 'AWS::ApiGatewayV2::Route').map(([, route]) => [
        String(route.Properties?.RouteKey),
        route,
      ]),
    );
  }

  /** The broker function the route with this key invokes. */
  function functionOfRoute(key: string): string {
    const uri = integrationUriOf(s, key);
    const fn = [...ids.entries()].find(([, logicalId]) => uri.includes(`"${logicalId}"`));
    return fn?.[0] ?? 'none';
  }

  it('invokes functions directly: no alias, no provisioned concurrency unless configured', () => {
    expect(resourcesOf(s, 'AWS::Lambda::Alias')).toEqual([]);
    expect(JSON.stringify(s.json)).not.toContain('ProvisionedConcurrencyConfig');
  });

  it('is an HTTP API with one route per contract route, each to the function the route table names', () => {
    expect(resourcesOf(s, 'AWS::ApiGatewayV2::Api')[0]?.[1].Properties?.ProtocolType).toBe('HTTP');
    const byKey = routes();
    expect([...byKey.keys()].sort()).toEqual(routeList.map(routeKey).sort());
    for (const route of routeList) {
      expect(functionOfRoute(routeKey(route)), routeKey(route)).toBe(route.function);
    }
    expect(functionOfRoute('GET /launch/{token}')).toBe('launch');
    expect(functionOfRoute('HEAD /launch/{token}')).toBe('launch-head');
  });

  it('the API key authorizer guards every route with a scope and none of /launch, /health, /openapi.json', () => {
    const { id: authorizerId } = single(s, 'AWS::ApiGatewayV2::Authorizer');
    const byKey = routes();
    for (const route of routeList) {
      const p = byKey.get(routeKey(route))?.Properties ?? {};
      if (route.scope) {
        expect(p.AuthorizationType, routeKey(route)).toBe('CUSTOM');
        expect(p.AuthorizerId, routeKey(route)).toEqual({ Ref: authorizerId });
      } else {
        expect(p.AuthorizationType, routeKey(route)).toBe('NONE');
        expect(p.AuthorizerId, routeKey(route)).toBeUndefined();
      }
    }
    for (const open of [
      'GET /',
      'GET /health',
      'GET /openapi.json',
      'GET /launch/{token}',
      'HEAD /launch/{token}',
    ]) {
      expect(byKey.get(open)?.Properties?.AuthorizationType, open).toBe('NONE');
    }
    expect(routeList.filter((route) => route.scope).length).toBeGreaterThanOrEqual(8);
  });

  it('the authorizer is a REQUEST Lambda authorizer with simple responses, cached 5 minutes on Authorization', () => {
    s.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 300,
      EnableSimpleResponses: true,
      AuthorizerPayloadFormatVersion: '2.0',
    });
    const uri = JSON.stringify(
      resourcesOf(s, 'AWS::ApiGatewayV2::Authorizer')[0]?.[1].Properties?.AuthorizerUri,
    );
    expect(uri).toContain(functionId(s, 'authorizer'));
  });

  it('the stage throttles and writes JSON access logs without the path (it holds link tokens)', () => {
    const stage = { Properties: single(s, 'AWS::ApiGatewayV2::Stage').props };
    expect(stage.Properties.StageName).toBe('$default');
    expect(stage.Properties.AutoDeploy).toBe(true);
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 100,
    });
    const logs = stage.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(JSON.stringify(logs.DestinationArn)).toContain('ApiAccessLogs');
    const format = JSON.parse(logs.Format) as Record<string, string>;
    expect(format.routeKey).toBe('$context.routeKey');
    expect(format.status).toBe('$context.status');
    expect(Object.values(format)).not.toContain('$context.path');
  });
});

describe('iam', () => {
  const table = (...partitions: string[]) => `table[${[...partitions].sort().join(',')}]`;
  const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
  const xray = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
  const base = (extra: Record<string, string[]>) => ({
    ...Object.fromEntries(logs.map((action) => [action, ['own-logs']])),
    ...Object.fromEntries(xray.map((action) => [action, ['*']])),
    ...extra,
  });
  const keys = ['keys-secret'];
  const keysAndAppliances = ['appliance-secrets', 'keys-secret'];
  const rate = table('RATE#client#*');

  /** Every permission of every function, written out. A change to a function's data access changes this table. */
  const EXPECTED: Record<string, Record<string, string[]>> = {
    health: base({}),
    home: base({}),
    openapi: base({}),
    appliances: base({
      'dynamodb:Query': ['table/index/gsi1'],
      'dynamodb:UpdateItem': [rate],
      'secretsmanager:GetSecretValue': keys,
    }),
    authorizer: base({
      'dynamodb:GetItem': [table('APIKEY#*')],
      'secretsmanager:GetSecretValue': keys,
    }),
    login: base({
      'dynamodb:GetItem': [table('APPLIANCE#*'), table('SESSION#*')].sort(),
      'dynamodb:PutItem': [table('SESSION#*')],
      'dynamodb:DeleteItem': [table('SESSION#*')],
      'dynamodb:UpdateItem': [rate, table('SESSION#*')].sort(),
      'secretsmanager:GetSecretValue': keysAndAppliances,
    }),
    devices: base({
      'dynamodb:GetItem': [table('APPLIANCE#*'), table('SESSION#*')].sort(),
      'dynamodb:PutItem': [table('SESSION#*')],
      'dynamodb:DeleteItem': [table('SESSION#*')],
      'dynamodb:UpdateItem': [rate, table('SESSION#*')].sort(),
      'secretsmanager:GetSecretValue': keysAndAppliances,
    }),
    ticket: base({
      'dynamodb:GetItem': [table('APPLIANCE#*', 'INV#*'), table('SESSION#*')].sort(),
      'dynamodb:PutItem': [table('AUDIT'), table('SESSION#*')].sort(),
      'dynamodb:DeleteItem': [table('SESSION#*')],
      'dynamodb:UpdateItem': [rate, table('SESSION#*')].sort(),
      'secretsmanager:GetSecretValue': keysAndAppliances,
    }),
    'links-create': base({
      'dynamodb:GetItem': [table('APPLIANCE#*', 'INV#*'), table('SESSION#*')].sort(),
      'dynamodb:PutItem': [table('AUDIT'), table('LINK#*', 'LINKID#*'), table('SESSION#*')].sort(),
      'dynamodb:DeleteItem': [table('SESSION#*')],
      'dynamodb:UpdateItem': [rate, table('SESSION#*')].sort(),
      'secretsmanager:GetSecretValue': keysAndAppliances,
    }),
    'links-list': base({
      'dynamodb:Query': ['table/index/gsi1'],
      'dynamodb:UpdateItem': [rate],
      'secretsmanager:GetSecretValue': keys,
    }),
    // Revoking a link that opened a Password Safe access request checks it in: appliance session and secret.
    'links-revoke': base({
      'dynamodb:BatchGetItem': [table('APPLIANCE#*')],
      'dynamodb:GetItem': [table('APPLIANCE#*', 'LINK#*', 'LINKID#*'), table('SESSION#*')].sort(),
      'dynamodb:PutItem': [table('SESSION#*')],
      'dynamodb:DeleteItem': [table('SESSION#*')],
      'dynamodb:Query': ['table/index/gsi1'],
      'dynamodb:UpdateItem': [table('LINK#*'), rate, table('SESSION#*')].sort(),
      'secretsmanager:GetSecretValue': keysAndAppliances,
    }),
    launch: base({
      'dynamodb:BatchGetItem': [table('APPLIANCE#*', 'CLIENT#*', 'SESSION#*')],
      'dynamodb:GetItem': [table('APPLIANCE#*', 'CLIENT#*', 'INV#*'), table('SESSION#*')].sort(),
      'dynamodb:PutItem': [table('AUDIT'), table('SESSION#*')].sort(),
      'dynamodb:DeleteItem': [table('SESSION#*')],
      'dynamodb:UpdateItem': [table('LINK#*', 'RATE#launch-failures#*'), table('SESSION#*')].sort(),
      'secretsmanager:GetSecretValue': keysAndAppliances,
    }),
    'launch-head': base({
      'dynamodb:GetItem': [table('LINK#*')],
      'secretsmanager:GetSecretValue': keys,
    }),
    audit: base({
      'dynamodb:Query': [table('AUDIT'), 'table/index/gsi1'].sort(),
      'dynamodb:UpdateItem': [rate],
      'secretsmanager:GetSecretValue': keys,
    }),
    'inventory-search': base({
      'dynamodb:GetItem': [table('INVENTORY')],
      'dynamodb:Query': [table('INV#*'), 'table/index/gsi1'].sort(),
      'dynamodb:UpdateItem': [rate],
      'secretsmanager:GetSecretValue': keys,
    }),
    'inventory-sync': base({
      'dynamodb:GetItem': [table('APPLIANCE#*'), table('SESSION#*')].sort(),
      'dynamodb:PutItem': [table('SESSION#*')],
      'dynamodb:DeleteItem': [table('SESSION#*')],
      'dynamodb:Query': [table('INV#*'), 'table/index/gsi1'].sort(),
      'dynamodb:BatchWriteItem': [table('INV#*')],
      'dynamodb:UpdateItem': [table('INVENTORY'), rate, table('SESSION#*')].sort(),
      'secretsmanager:GetSecretValue': keysAndAppliances,
    }),
  };

  it.each(Object.keys(EXPECTED))('%s has exactly its permissions', (name) => {
    const sorted = (record: Record<string, string[]>) =>
      Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
    expect(permissionsOfRole(s, roleOf(s, functionId(s, name)))).toEqual(sorted(EXPECTED[name]!));
  });

  it('the launch function cannot list or write secrets, scan the table or write the appliance registry', () => {
    const permissions = permissionsOfRole(s, roleOf(s, functionId(s, 'launch')));
    const actions = Object.keys(permissions);
    expect(actions.filter((action) => action.startsWith('secretsmanager:'))).toEqual([
      'secretsmanager:GetSecretValue',
    ]);
    expect(actions).not.toContain('dynamodb:Scan');
    expect(actions).not.toContain('dynamodb:Query');
    expect(actions).not.toContain('dynamodb:BatchWriteItem');
    for (const write of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
      for (const resource of permissions[write] ?? []) {
        expect(resource).toMatch(/^table\[/);
        expect(resource).not.toMatch(/APPLIANCE#|APIKEY#|CLIENT#/);
      }
    }
  });

  it('no broker role has a wildcard action, a Scan, or an unconditioned table grant', () => {
    for (const name of FUNCTIONS) {
      for (const statement of statementsOfRole(s, roleOf(s, functionId(s, name)))) {
        const actions = [statement.Action].flat();
        expect(
          actions.some((action) => action.includes('*')),
          name,
        ).toBe(false);
        expect(actions, name).not.toContain('dynamodb:Scan');
        const onTable =
          JSON.stringify(statement.Resource).includes('StateTable') &&
          !JSON.stringify(statement.Resource).includes('/index/');
        if (onTable && actions.some((action) => action.startsWith('dynamodb:'))) {
          expect(
            statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'],
            name,
          ).toBeDefined();
        }
      }
    }
  });

  it('no role uses an AWS managed policy', () => {
    for (const [logicalId, role] of resourcesOf(s, 'AWS::IAM::Role')) {
      expect(role.Properties?.ManagedPolicyArns, logicalId).toBeUndefined();
    }
  });

  it('the key initialiser may read and write only the keys secret', () => {
    const { id: initRole } = single(s, 'AWS::IAM::Role', 'SecretsKeysInit');
    const permissions = permissionsOfRole(s, initRole);
    expect(permissions['secretsmanager:GetSecretValue']).toEqual(['keys-secret']);
    expect(permissions['secretsmanager:PutSecretValue']).toEqual(['keys-secret']);
    expect(Object.keys(permissions).filter((action) => action.startsWith('secretsmanager:'))).toHaveLength(2);
  });
});

describe('state and secrets', () => {
  it('the table mirrors shared/store/table-schema.ts: pk/sk, gsi1, TTL, PITR, on demand, deletion protection', () => {
    const expected = createTableInput('x');
    s.template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    const { props: p, resource: table } = single(s, 'AWS::DynamoDB::GlobalTable');
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.KeySchema).toEqual(expected.KeySchema);
    expect(
      [...(p.AttributeDefinitions as { AttributeName: string }[])].sort((a, b) =>
        a.AttributeName.localeCompare(b.AttributeName),
      ),
    ).toEqual(
      [...expected.AttributeDefinitions!].sort((a, b) => a.AttributeName!.localeCompare(b.AttributeName!)),
    );
    expect(p.GlobalSecondaryIndexes).toEqual(expected.GlobalSecondaryIndexes);
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: TABLE_KEYS.ttl, Enabled: true });
    const [replica] = p.Replicas as Record<string, unknown>[];
    expect(replica?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(replica?.DeletionProtectionEnabled).toBe(true);
    expect(p.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect((table as { DeletionPolicy?: string }).DeletionPolicy).toBe('Retain');
  });

  it('the keys secret is generated by CloudFormation and filled by the custom resource, never with a template value', () => {
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const secret = { Properties: single(s, 'AWS::SecretsManager::Secret').props };
    expect(secret.Properties.Name).toBe('console-launch-broker/keys');
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(secret.Properties.GenerateSecretString).toEqual({});
    s.template.resourceCountIs('Custom::BrokerKeys', 1);
    // Appliance credential secrets are the CLI's: the stack creates none.
    expect(JSON.stringify(s.json.Resources)).not.toMatch(/"Name":"console-launch-broker\/appliances/);
  });
});

describe('schedule', () => {
  it('EventBridge Scheduler runs the sync every 15 minutes with 2 retries, a 1 h event age and a DLQ', () => {
    s.template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [functionId(s, 'inventory-sync'), 'Arn'] },
        Input: JSON.stringify(SCHEDULED_SYNC_EVENT),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScheduleDeadLetterQueue'), 'Arn'] },
        },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ScheduleRole'), 'Arn'] },
      },
    });
    s.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('the scheduler role may invoke the sync function (no version wildcard) and send to the DLQ, nothing else', () => {
    const { id: roleId } = single(s, 'AWS::IAM::Role', 'ScheduleRole');
    const statements = statementsOfRole(s, roleId);
    expect(statements).toHaveLength(2);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'lambda:InvokeFunction',
        Resource: { 'Fn::GetAtt': [functionId(s, 'inventory-sync'), 'Arn'] },
      }),
    );
    expect(permissionsOfRole(s, roleId)['sqs:SendMessage']).toEqual(['dead-letter-queue']);
    const trust = JSON.stringify(s.json.Resources[roleId]?.Properties?.AssumeRolePolicyDocument);
    expect(trust).toContain('scheduler.amazonaws.com');
    expect(trust).toContain('aws:SourceAccount');
  });
});

describe('observability', () => {
  const alarms = () =>
    new Map(resourcesOf(s, 'AWS::CloudWatch::Alarm').map(([, alarm]) => [alarm, alarm.Properties ?? {}]));
  const byDescription = (pattern: RegExp) =>
    [...alarms().values()].filter((alarm) => pattern.test(String(alarm.AlarmDescription)));

  it('alarms on the API 5xx rate (metric math over the stage)', () => {
    const [alarm] = byDescription(/of API requests answered 5xx/);
    const metrics = alarm?.Metrics as {
      Expression?: string;
      MetricStat?: { Metric: { MetricName: string } };
    }[];
    expect(metrics.find((metric) => metric.Expression)?.Expression).toBe(
      'IF(requests > 0, 100 * errors / requests, 0)',
    );
    expect(
      metrics
        .map((metric) => metric.MetricStat?.Metric.MetricName)
        .filter(Boolean)
        .sort(),
    ).toEqual(['5xx', 'Count']);
    expect(alarm?.Threshold).toBe(5);
  });

  it('alarms on the launch p99 latency', () => {
    const [alarm] = byDescription(/p99 of the launch click/);
    expect(alarm).toMatchObject({
      MetricName: 'Duration',
      Namespace: 'AWS/Lambda',
      ExtendedStatistic: 'p99',
      Threshold: 5000,
    });
    expect(alarm?.Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: functionId(s, 'launch') } }]);
  });

  it('alarms on errors of every appliance-facing function, sync failures, undelivered syncs and throttles', () => {
    for (const name of ['login', 'devices', 'ticket', 'links-create', 'launch']) {
      const [alarm] = byDescription(new RegExp(`^${name}: invocations failed`));
      expect(alarm, name).toMatchObject({ MetricName: 'Errors', Statistic: 'Sum' });
      expect(alarm?.Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: functionId(s, name) } }]);
    }
    expect(byDescription(/^The inventory sync failed/)[0]).toMatchObject({ MetricName: 'Errors' });
    expect(byDescription(/dead-letter queue not empty/)[0]).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
    });
    const throttled = byDescription(/^Lambda throttles in/)
      .flatMap(
        (alarm) =>
          alarm.Metrics as { MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }[],
      )
      .filter((metric) => metric.MetricStat?.Metric.MetricName === 'Throttles');
    expect(throttled).toHaveLength(FUNCTIONS.length);
  });

  it('without alarmEmail or alarmTopicArn no topic is created and alarms have no actions', () => {
    s.template.resourceCountIs('AWS::SNS::Topic', 0);
    for (const alarm of alarms().values()) expect(alarm.AlarmActions).toBeUndefined();
  });
});

describe('outputs', () => {
  it('exports what the operator CLI needs', () => {
    expect(Object.keys(s.json.Outputs ?? {}).sort()).toEqual(
      [
        'AllowInsecureAppliances',
        'ApiEndpoint',
        'ApplianceSecretPrefix',
        'KeysSecretArn',
        'PublicBaseUrl',
        'Region',
        'TableName',
      ].sort(),
    );
  });
});

describe('cdk-nag', () => {
  it('AwsSolutionsChecks reports zero findings (errors or warnings)', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(s.app);
    expect(
      report.violations.map(
        (violation) =>
          `${violation.ruleName} ${violation.violatingResources.map((r) => r.constructPath).join(' ')}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('every acknowledged finding names a rule and carries a specific reason', () => {
    const acknowledged: [string, string, string][] = [];
    const walk = (node: IConstruct) => {
      for (const entry of node.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [rule, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledged.push([node.node.path, rule.replace(/^annotation::/i, ''), reason]);
        }
      }
      for (const child of node.node.children) walk(child);
    };
    walk(s.app);
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [path, rule, reason] of acknowledged) {
      expect(rule, path).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(reason.length, `${path} ${rule}`).toBeGreaterThan(60);
    }
    // Bulk acknowledgements of IAM5 (every wildcard) are not allowed: each names its finding.
    expect(acknowledged.filter(([, rule]) => rule === 'AwsSolutions-IAM5')).toEqual([]);
  });
});
