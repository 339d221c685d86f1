import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { jsonErrorPosition } from '../shared/config/file.js';

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The file `loadDeployConfig` reads first, at the repository root. */
export const DEPLOY_CONFIG_FILE = 'deploy.config.json';
/** The `cdk.json` context key read when there is no config file. */
export const CONTEXT_KEY = 'broker';

const awsId = (pattern: RegExp, what: string) => z.string().regex(pattern, `must be ${what}`);

const vpcSchema = z
  .strictObject({
    vpcId: awsId(/^vpc-[0-9a-f]{8,17}$/, 'a VPC id (vpc-…)'),
    /** Private subnets with a route to the appliances; the appliance-facing functions get an ENI in each. */
    subnetIds: z.array(awsId(/^subnet-[0-9a-f]{8,17}$/, 'a subnet id (subnet-…)')).min(1),
    /** Security groups of the functions; they must allow outbound HTTPS to the appliances and the endpoints. */
    securityGroupIds: z.array(awsId(/^sg-[0-9a-f]{8,17}$/, 'a security group id (sg-…)')).min(1),
    /** Route tables of those subnets, for the DynamoDB gateway endpoint (CDK cannot look them up offline). */
    routeTableIds: z
      .array(awsId(/^rtb-[0-9a-f]{8,17}$/, 'a route table id (rtb-…)'))
      .min(1)
      .optional(),
    /**
     * Create the DynamoDB gateway endpoint and the Secrets Manager interface endpoint (default). Turn off when
     * the VPC already has them: a second Secrets Manager endpoint with private DNS cannot be created.
     */
    endpoints: z.boolean().default(true),
  })
  .superRefine((vpc, ctx) => {
    if (vpc.endpoints && !vpc.routeTableIds) {
      ctx.addIssue({
        code: 'custom',
        path: ['routeTableIds'],
        message: 'required when endpoints is true (the DynamoDB gateway endpoint attaches to route tables)',
      });
    }
  });

/** Deploy-time configuration of the stack. Every field is optional. */
export const deployConfigSchema = z
  .strictObject({
    stackName: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'must be a CloudFormation stack name')
      .default('ConsoleLaunchBroker'),
    /** Account and region; default: the CLI's (CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION), or environment-agnostic. */
    env: z
      .strictObject({
        account: awsId(/^\d{12}$/, 'a 12-digit account id').optional(),
        region: awsId(/^[a-z]{2}(-[a-z]+)+-\d$/, 'a region such as eu-west-1').optional(),
      })
      .optional(),
    /** Prefix of the broker's secret names: `<prefix>keys` and `<prefix>appliances/<id>`. */
    secretNamePrefix: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,200}\/$/, 'must be a Secrets Manager name prefix ending with /')
      .default('console-launch-broker/'),
    /** Base of launch link URLs; default: the custom domain if configured, else the API endpoint. */
    publicBaseUrl: z
      .url({ protocol: /^https$/, error: 'must be an https:// URL' })
      .refine((url) => !url.endsWith('/'), 'must not end with /')
      .optional(),
    customDomain: z
      .strictObject({
        domainName: z
          .string()
          .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a DNS name'),
        /** An ACM certificate in the stack's region covering domainName. */
        certificateArn: awsId(
          /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/,
          'an ACM certificate ARN',
        ),
      })
      .optional(),
    vpc: vpcSchema.optional(),
    /** DynamoDB deletion protection; also keeps the table, the key secret and the log groups on stack deletion. */
    deletionProtection: z.boolean().default(true),
    /** `aws-managed` (the aws/dynamodb key) or `customer-managed` (a KMS key this stack creates, rotated yearly). */
    tableEncryption: z.enum(['aws-managed', 'customer-managed']).default('aws-managed'),
    logRetentionDays: z
      .number()
      .int()
      .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(90),
    throttle: z
      .strictObject({
        rateLimit: z.number().positive().max(10_000).default(50),
        burstLimit: z.number().int().positive().max(5_000).default(100),
      })
      .prefault({}),
    /**
     * Throttle of each launch route (`GET` and `HEAD /launch/{token}`), apart from the API routes' (`throttle`,
     * one bucket per route), so junk on one side cannot use up the other's budget.
     */
    launchThrottle: z
      .strictObject({
        rateLimit: z.number().positive().max(10_000).default(50),
        burstLimit: z.number().int().positive().max(5_000).default(100),
      })
      .prefault({}),
    /**
     * CloudFront in front of the API with an AWS WAF rate-based rule per source address (HTTP APIs cannot carry
     * a web ACL). Launch links then use the distribution's domain unless publicBaseUrl says otherwise.
     */
    edge: z
      .strictObject({
        waf: z.boolean(),
        /** Requests one address may send in any 5 minutes before WAF blocks it (WAF's minimum is 10). */
        rateLimitPer5Minutes: z.number().int().min(10).max(2_000_000_000).default(1_000),
        /** An existing CLOUDFRONT web ACL (in us-east-1); required when the stack is in another region. */
        webAclArn: awsId(
          /^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[A-Za-z0-9_-]{1,128}\/[0-9a-f-]{36}$/,
          'a global (CLOUDFRONT) WAFv2 web ACL ARN',
        ).optional(),
      })
      .optional(),
    /** EventBridge Scheduler expression of the inventory sync. */
    syncSchedule: z
      .string()
      .regex(
        /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/,
        'must be rate(...) or cron(...)',
      )
      .default('rate(15 minutes)'),
    /** A new SNS topic with this e-mail subscribed receives the alarms. */
    alarmEmail: z.email().optional(),
    /** Or an existing SNS topic receives the alarms. */
    alarmTopicArn: awsId(
      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/,
      'an SNS topic ARN',
    ).optional(),
    linkDefaultTtlSeconds: z
      .number()
      .int()
      .positive()
      .default(24 * 3600),
    linkMaxTtlSeconds: z
      .number()
      .int()
      .positive()
      .max(365 * 24 * 3600)
      .default(7 * 24 * 3600),
    /**
     * Which links show a confirm page (an "Open console" button) before they claim, when the creator does not say:
     * `never` (the contract's one-click 302), `single-use` (the links a mail scanner can use up), `always`.
     */
    linkConfirmDefault: z.enum(['never', 'single-use', 'always']).default('never'),
    auditRetentionDays: z.number().int().positive().max(3650).default(400),
    /** Per-request appliance timeout; the launch function's own timeout is derived from it (≤ 29 s). */
    applianceTimeoutMs: z.number().int().min(1_000).max(15_000).default(8_000),
    applianceConnectTimeoutMs: z.number().int().min(500).max(15_000).default(3_000),
    /** Bundle the AWS SDK v3 into each function (default, see docs/deploy.md, "Bundling") or use the runtime's copy. */
    bundleAwsSdk: z.boolean().default(true),
    /**
     * Bundle the X-Ray SDK for per-call subsegments (appliance and DynamoDB calls inside a trace). Off by default:
     * Lambda's active tracing records every invocation anyway, and the SDK adds 77 KB and async hooks on every
     * promise to the click path.
     */
    xraySdk: z.boolean().default(false),
    /**
     * Pre-initialized environments of the launch function (an alias `live` the route invokes), so a click never
     * meets a cold start (about 0.5 s, see the README's Performance). Billed while deployed; 0 turns it off.
     */
    launchProvisionedConcurrency: z.number().int().min(0).max(1000).default(0),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  })
  .superRefine((config, ctx) => {
    if (config.alarmEmail && config.alarmTopicArn) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarmTopicArn'],
        message: 'set alarmEmail or alarmTopicArn, not both',
      });
    }
    if (config.linkDefaultTtlSeconds > config.linkMaxTtlSeconds) {
      ctx.addIssue({
        code: 'custom',
        path: ['linkDefaultTtlSeconds'],
        message: 'must not exceed linkMaxTtlSeconds',
      });
    }
    if (config.applianceConnectTimeoutMs > config.applianceTimeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['applianceConnectTimeoutMs'],
        message: 'must not exceed applianceTimeoutMs',
      });
    }
    if (config.edge?.waf && config.customDomain) {
      ctx.addIssue({
        code: 'custom',
        path: ['customDomain'],
        message:
          'not with edge.waf: the custom domain would reach API Gateway around the WAF; point your domain at ' +
          'the distribution and set publicBaseUrl',
      });
    }
    if (config.publicBaseUrl && config.customDomain) {
      ctx.addIssue({
        code: 'custom',
        path: ['publicBaseUrl'],
        message: 'set publicBaseUrl or customDomain, not both (the custom domain is the public base URL)',
      });
    }
  });

export type DeployConfig = z.infer<typeof deployConfigSchema>;
export type DeployConfigInput = z.input<typeof deployConfigSchema>;

/** A configuration that failed validation; the message names every wrong field. */
export class DeployConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid deploy configuration (${source}):\n  ${problems.join('\n  ')}`);
    this.name = 'DeployConfigError';
  }
}

/** `vpc.subnetIds[0]` from a zod issue path. */
export function fieldName(path: readonly PropertyKey[]): string {
  let name = '';
  for (const part of path) {
    if (typeof part === 'number') name += `[${part}]`;
    else name += name ? `.${String(part)}` : String(part);
  }
  return name || '(root)';
}

/** Validates a configuration object; `source` says where it came from in error messages. */
export function parseDeployConfig(input: unknown, source = 'config'): DeployConfig {
  const parsed = deployConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new DeployConfigError(
      source,
      parsed.error.issues.flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => `${fieldName([...issue.path, key])}: unknown field`)
          : [`${fieldName(issue.path)}: ${issue.message}`],
      ),
    );
  }
  return parsed.data;
}

export interface LoadOptions {
  /** Directory holding `deploy.config.json`. */
  rootDir: string;
  /** The `broker` context value from `cdk.json` or `--context`. */
  context?: unknown;
}

/** `deploy.config.json` if present, else the `broker` context, else the defaults. */
export function loadDeployConfig({ rootDir, context }: LoadOptions): {
  config: DeployConfig;
  source: string;
} {
  const file = join(rootDir, DEPLOY_CONFIG_FILE);
  if (existsSync(file)) {
    const text = readFileSync(file, 'utf8');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw new DeployConfigError(DEPLOY_CONFIG_FILE, [`(file): not valid JSON${jsonErrorPosition(text)}`]);
    }
    return { config: parseDeployConfig(raw, DEPLOY_CONFIG_FILE), source: DEPLOY_CONFIG_FILE };
  }
  if (context !== undefined) {
    const value = typeof context === 'string' ? parseContextString(context) : context;
    return {
      config: parseDeployConfig(value, `context "${CONTEXT_KEY}"`),
      source: `context "${CONTEXT_KEY}"`,
    };
  }
  return { config: parseDeployConfig({}, 'defaults'), source: 'defaults' };
}

/** `--context broker='{"vpc":…}'` arrives as a string. */
function parseContextString(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new DeployConfigError(`context "${CONTEXT_KEY}"`, [
      `(root): not valid JSON${jsonErrorPosition(value)}`,
    ]);
  }
}
