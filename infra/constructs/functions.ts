import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IDependable } from 'constructs';
import { applianceFunctionTimeoutSeconds, type FunctionProfile, PROFILES } from '../function-profiles.js';
import { acknowledge, nagText } from '../nag.js';
import { BrokerFunction, functionEntry, type VpcPlacement } from './broker-function.js';

export interface FunctionsProps {
  /** Function names (`functions/<name>.ts`) to create. */
  names: string[];
  tableArn: string;
  indexNames: string[];
  /** The table's customer-managed key, if any. */
  tableKey: kms.IKey | undefined;
  keysSecret: Pick<secretsmanager.ISecret, 'secretArn'>;
  applianceSecretPrefix: string;
  applianceSecretArnPattern: string;
  /** Settings every broker function reads (TABLE_NAME, timeouts, TTLs, Powertools). */
  environment: Record<string, string>;
  applianceTimeoutMs: number;
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  bundleAwsSdk: boolean;
  /** Bundle the X-Ray SDK (per-call subsegments); Lambda's active tracing is on either way. */
  xraySdk: boolean;
  /** Placement of the appliance-facing functions, when the appliances sit on a private network. */
  vpc: VpcPlacement | undefined;
  /** Created after these (the keys secret must hold keys before a function can be invoked). */
  dependsOn: IDependable[];
  /** Pre-initialized environments per function name; such a function is invoked through its alias `live`. */
  provisionedConcurrency?: Record<string, number>;
}

/** One `NodejsFunction` per broker function, each with the permissions of its profile and nothing else. */
export class Functions extends Construct {
  private readonly byName = new Map<string, BrokerFunction>();
  private readonly aliases = new Map<string, lambda.IFunction>();
  readonly profiles = new Map<string, FunctionProfile>();

  constructor(scope: Construct, id: string, props: FunctionsProps) {
    super(scope, id);
    for (const name of props.names) {
      const profile = PROFILES[name];
      if (!profile) {
        // Least privilege is explicit: a function without a profile has no permissions to fall back on.
        throw new Error(
          `functions/${name}.ts has no profile in infra/function-profiles.ts: write down what it reads and writes`,
        );
      }
      this.profiles.set(name, profile);
      const timeout =
        profile.timeoutSeconds === 'appliance'
          ? applianceFunctionTimeoutSeconds(props.applianceTimeoutMs)
          : profile.timeoutSeconds;
      const usesBroker = profile.keysSecret || profile.table.length > 0;
      const fn = new BrokerFunction(this, pascal(name), {
        entry: functionEntry(name),
        description: `Console Launch Broker: ${name}`,
        memoryMb: profile.memoryMb,
        timeout: Duration.seconds(timeout),
        environment: usesBroker ? props.environment : pick(props.environment, /^POWERTOOLS_/),
        statements: statementsFor(profile, props),
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
        bundleAwsSdk: props.bundleAwsSdk,
        xraySdk: props.xraySdk,
        ...(profile.packageFiles ? { packageFiles: profile.packageFiles } : {}),
        ...(profile.applianceFacing && props.vpc ? { vpc: props.vpc } : {}),
      });
      if (usesBroker) for (const dependency of props.dependsOn) fn.node.addDependency(dependency);
      if (profile.applianceFacing) {
        acknowledge(
          // The role resource, whose inline policy holds the grant; not the role's subtree.
          fn.role.node.defaultChild as iam.CfnRole,
          `AwsSolutions-IAM5[Resource::${nagText(this, props.applianceSecretArnPattern)}]`,
          'Appliance credentials are one secret per appliance, created by the operator CLI at run time under ' +
            `${props.applianceSecretPrefix}; the prefix wildcard (GetSecretValue only) is the narrowest ` +
            'resource that covers appliances added after deployment.',
        );
      }
      this.byName.set(name, fn);
      const provisioned = props.provisionedConcurrency?.[name] ?? 0;
      if (provisioned > 0) {
        const alias = fn.fn.addAlias('live', { provisionedConcurrentExecutions: provisioned });
        // Alias declares `role` optional, which exactOptionalPropertyTypes will not match to IFunction by itself.
        this.aliases.set(name, alias as lambda.IFunction);
      }
    }
  }

  /** What callers invoke: the `live` alias of a function with provisioned concurrency, else the function. */
  target(name: string): lambda.IFunction {
    return this.aliases.get(name) ?? this.get(name).fn;
  }

  get(name: string): BrokerFunction {
    const fn = this.byName.get(name);
    if (!fn) throw new Error(`no function named ${name}`);
    return fn;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get all(): [string, BrokerFunction][] {
    return [...this.byName.entries()];
  }

  /** Sets an environment variable on every function that runs the broker (not health/openapi). */
  addBrokerEnvironment(key: string, value: string): void {
    for (const [name, fn] of this.byName) {
      const profile = this.profiles.get(name);
      if (profile && (profile.keysSecret || profile.table.length > 0)) fn.fn.addEnvironment(key, value);
    }
  }
}

const READ_ACTIONS = new Set(['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query']);

/** The explicit statements of a profile: table actions by partition, index queries, secrets, table key. */
export function statementsFor(
  profile: FunctionProfile,
  props: Pick<
    FunctionsProps,
    'tableArn' | 'indexNames' | 'tableKey' | 'keysSecret' | 'applianceSecretArnPattern'
  >,
): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  for (const grant of profile.table) {
    statements.push(
      new iam.PolicyStatement({
        sid: `Table${grant.sid}`,
        actions: [...grant.actions],
        resources: [props.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...grant.partitions] } },
      }),
    );
  }
  if (profile.queryIndex && props.indexNames.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'QueryIndexes',
        actions: ['dynamodb:Query'],
        resources: props.indexNames.map((index) => `${props.tableArn}/index/${index}`),
      }),
    );
  }
  if (props.tableKey && (profile.table.length > 0 || profile.queryIndex)) {
    const writes = profile.table.some((grant) => grant.actions.some((action) => !READ_ACTIONS.has(action)));
    statements.push(
      new iam.PolicyStatement({
        sid: 'TableKey',
        actions: [
          'kms:Decrypt',
          'kms:DescribeKey',
          ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey'] : []),
        ],
        resources: [props.tableKey.keyArn],
      }),
    );
  }
  const secrets: string[] = [];
  if (profile.keysSecret) secrets.push(props.keysSecret.secretArn);
  if (profile.applianceFacing) secrets.push(props.applianceSecretArnPattern);
  if (secrets.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: secrets,
      }),
    );
  }
  return statements;
}

/** `links-create` → `LinksCreate`. */
export function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

function pick(env: Record<string, string>, pattern: RegExp): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([key]) => pattern.test(key)));
}
