import { Annotations, CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RouteSpec } from '../functions/routes.js';
import type { DeployConfig } from './config.js';
import { Api } from './constructs/api.js';
import { functionExists } from './constructs/broker-function.js';
import { Edge } from './constructs/edge.js';
import { Functions } from './constructs/functions.js';
import { Network } from './constructs/network.js';
import { Observability } from './constructs/observability.js';
import { Schedule } from './constructs/schedule.js';
import { Secrets } from './constructs/secrets.js';
import { State } from './constructs/state.js';
import { AUTHORIZER_FUNCTION, LAUNCH_FUNCTION, SYNC_FUNCTION } from './function-profiles.js';

/**
 * The context flag (`cdk synth -c allowInsecureAppliances=true`) without which the functions refuse appliances
 * registered with `tls.insecure`: turning certificate checks off is a decision made at deploy time, on record.
 */
export const ALLOW_INSECURE_CONTEXT = 'allowInsecureAppliances';

/** True only for an explicit `true` (a CLI `-c` flag arrives as the string "true"). */
export function allowsInsecureAppliances(scope: Construct): boolean {
  const value: unknown = scope.node.tryGetContext(ALLOW_INSECURE_CONTEXT);
  return value === true || value === 'true';
}

export interface ConsoleLaunchBrokerStackProps extends StackProps {
  config: DeployConfig;
  /** The contract's routes; `routeList` from `functions/routes.ts`. */
  routes: RouteSpec[];
}

/** The broker in one stack: table, secrets, functions, HTTP API, sync schedule, alarms. */
export class ConsoleLaunchBrokerStack extends Stack {
  readonly functions: Functions;
  readonly api: Api;
  readonly edge: Edge | undefined;
  readonly schedule: Schedule;
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: ConsoleLaunchBrokerStackProps) {
    super(scope, id, props);
    const { config, routes } = props;
    const removalPolicy = config.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const allowInsecure = allowsInsecureAppliances(this);
    if (allowInsecure) {
      Annotations.of(this).addWarningV2(
        'broker:insecure-appliances-allowed',
        `${ALLOW_INSECURE_CONTEXT} is set: appliances registered with tls.insecure are used without any ` +
          'certificate check, so anyone on the network path can collect their passwords.',
      );
    }

    // The functions: every route's, the authorizer and the scheduled sync. A route naming a function without a
    // source file fails here, at synthesis, rather than at the first request.
    const routeFunctions = [...new Set(routes.map((route) => route.function))];
    const names = [...new Set([...routeFunctions, AUTHORIZER_FUNCTION, SYNC_FUNCTION])];
    const missing = names.filter((name) => !functionExists(name));
    if (missing.length > 0) {
      throw new Error(
        `functions without a source file: ${missing.map((name) => `functions/${name}.ts`).join(', ')}`,
      );
    }

    const state = new State(this, 'State', {
      deletionProtection: config.deletionProtection,
      encryption: config.tableEncryption,
    });
    const secrets = new Secrets(this, 'Secrets', {
      namePrefix: config.secretNamePrefix,
      removalPolicy,
      logRetention: config.logRetentionDays,
      bundleAwsSdk: config.bundleAwsSdk,
    });
    const network = config.vpc
      ? new Network(this, 'Network', {
          vpcId: config.vpc.vpcId,
          subnetIds: config.vpc.subnetIds,
          securityGroupIds: config.vpc.securityGroupIds,
          routeTableIds: config.vpc.routeTableIds,
          endpoints: config.vpc.endpoints,
        })
      : undefined;

    this.functions = new Functions(this, 'Functions', {
      names,
      tableArn: state.table.tableArn,
      indexNames: state.indexNames,
      tableKey: state.key,
      keysSecret: secrets.keys,
      applianceSecretPrefix: secrets.applianceSecretPrefix,
      applianceSecretArnPattern: secrets.applianceSecretArnPattern,
      environment: {
        TABLE_NAME: state.table.tableName,
        KEYS_SECRET_ID: secrets.keys.secretArn,
        APPLIANCE_SECRET_PREFIX: secrets.applianceSecretPrefix,
        LINK_DEFAULT_TTL_SECONDS: String(config.linkDefaultTtlSeconds),
        LINK_MAX_TTL_SECONDS: String(config.linkMaxTtlSeconds),
        LINK_CONFIRM_DEFAULT: config.linkConfirmDefault,
        APPLIANCE_CONNECT_TIMEOUT_MS: String(config.applianceConnectTimeoutMs),
        APPLIANCE_REQUEST_TIMEOUT_MS: String(config.applianceTimeoutMs),
        AUDIT_RETENTION_DAYS: String(config.auditRetentionDays),
        POWERTOOLS_SERVICE_NAME: 'console-launch-broker',
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        POWERTOOLS_METRICS_NAMESPACE: 'ConsoleLaunchBroker',
        ALLOW_INSECURE_APPLIANCES: String(allowInsecure),
      },
      applianceTimeoutMs: config.applianceTimeoutMs,
      logRetention: config.logRetentionDays,
      removalPolicy,
      bundleAwsSdk: config.bundleAwsSdk,
      xraySdk: config.xraySdk,
      vpc: network?.placement,
      dependsOn: [secrets.keysReady],
      provisionedConcurrency: { [LAUNCH_FUNCTION]: config.launchProvisionedConcurrency },
    });

    this.api = new Api(this, 'Api', {
      routes,
      handlerOf: (name) => this.functions.target(name),
      authorizer: this.functions.get(AUTHORIZER_FUNCTION).fn,
      throttle: config.throttle,
      launchThrottle: config.launchThrottle,
      logRetention: config.logRetentionDays,
      removalPolicy,
      customDomain: config.customDomain,
    });
    this.edge = config.edge?.waf
      ? new Edge(this, 'Edge', {
          httpApi: this.api.httpApi,
          rateLimitPer5Minutes: config.edge.rateLimitPer5Minutes,
          webAclArn: config.edge.webAclArn,
        })
      : undefined;
    const publicBaseUrl = config.publicBaseUrl ?? this.edge?.url ?? this.api.publicBaseUrl;
    this.functions.addBrokerEnvironment('PUBLIC_BASE_URL', publicBaseUrl);

    this.schedule = new Schedule(this, 'Schedule', {
      target: this.functions.get(SYNC_FUNCTION).fn,
      expression: config.syncSchedule,
    });

    this.observability = new Observability(this, 'Observability', {
      stage: this.api.stage,
      launch: this.functions.has(LAUNCH_FUNCTION) ? this.functions.get(LAUNCH_FUNCTION).fn : undefined,
      applianceFacing: this.functions.all
        .filter(([name]) => name !== SYNC_FUNCTION && this.functions.profiles.get(name)?.applianceFacing)
        .map(([name, fn]) => [name, fn.fn]),
      sync: this.functions.get(SYNC_FUNCTION).fn,
      syncDeadLetterQueue: this.schedule.deadLetterQueue,
      all: this.functions.all.map(([name, fn]) => [name, fn.fn]),
      alarmEmail: config.alarmEmail,
      alarmTopicArn: config.alarmTopicArn,
    });

    // What the operator CLI and the DNS setup need.
    new CfnOutput(this, 'ApiEndpoint', { value: this.api.httpApi.apiEndpoint });
    new CfnOutput(this, 'PublicBaseUrl', { value: publicBaseUrl, description: 'Base of launch link URLs' });
    new CfnOutput(this, 'TableName', { value: state.table.tableName });
    new CfnOutput(this, 'KeysSecretArn', { value: secrets.keys.secretArn });
    new CfnOutput(this, 'ApplianceSecretPrefix', { value: secrets.applianceSecretPrefix });
    new CfnOutput(this, 'Region', { value: this.region });
    new CfnOutput(this, 'AllowInsecureAppliances', {
      value: String(allowInsecure),
      description: `Whether appliances with tls.insecure are used (context flag ${ALLOW_INSECURE_CONTEXT})`,
    });
    if (this.edge) {
      new CfnOutput(this, 'EdgeUrl', {
        value: this.edge.url,
        description: 'CloudFront (with WAF) in front of the API',
      });
    }
    if (this.api.domain) {
      new CfnOutput(this, 'CustomDomainTarget', {
        value: this.api.domain.regionalDomainName,
        description: `CNAME (or alias A) ${config.customDomain?.domainName} to this name`,
      });
    }
    if (this.observability.topic)
      new CfnOutput(this, 'AlarmTopicArn', { value: this.observability.topic.topicArn });
  }
}
