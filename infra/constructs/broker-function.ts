import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';
import { acknowledge } from '../nag.js';

/** The repository root: `functions/`, `shared/` and `package-lock.json` live here. */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The source file of a broker Lambda. */
export function functionEntry(name: string): string {
  return join(PROJECT_ROOT, 'functions', `${name}.ts`);
}

export function functionExists(name: string): boolean {
  return existsSync(functionEntry(name));
}

/**
 * The launch function's bundle budget in KB (1024 bytes; minified, source map apart): a click mostly meets a
 * cold Lambda, and import time grows with the bundle. test/infra/bundle-budget.test.ts fails past it.
 */
export const LAUNCH_BUNDLE_BUDGET_KB = 450;

/** ESM needs `require` for the CommonJS dependencies esbuild inlines. */
export const REQUIRE_SHIM =
  "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

/**
 * AWS SDK modules the Lambda runtime never reaches, each a lazy `import()` in the SDK: the credential providers
 * after `fromEnv` (the runtime sets AWS_ACCESS_KEY_ID and friends, so the default chain stops there) and event
 * streams. Left out of bundles, they cost nothing; the local runtime and the CLI run from node_modules and keep
 * them all.
 */
export const UNUSED_IN_LAMBDA = [
  '@aws-sdk/credential-provider-ini',
  '@aws-sdk/credential-provider-sso',
  '@aws-sdk/credential-provider-process',
  '@aws-sdk/credential-provider-web-identity',
  '@aws-sdk/credential-provider-login',
  '@aws-sdk/credential-provider-http',
  '@aws-sdk/token-providers',
  '@smithy/credential-provider-imds',
  // Event streams (imported lazily by the SDK's protocol layer): no DynamoDB or Secrets Manager call streams.
  '@smithy/core/event-streams',
];

export interface BundleChoices {
  /** With the AWS SDK inside the bundle (true) or left to the runtime's copy. */
  bundleAwsSdk: boolean;
  /** With the X-Ray SDK (Powertools Tracer): subsegments per call, at about 100 KB and its import time. */
  xraySdk?: boolean;
}

/** esbuild options of every function (see docs/deploy.md, "Bundling"). */
export function bundlingOptions(choices: boolean | BundleChoices): BundlingOptions {
  const { bundleAwsSdk, xraySdk = false } =
    typeof choices === 'boolean' ? { bundleAwsSdk: choices } : choices;
  return {
    format: OutputFormat.ESM,
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    target: 'node22',
    mainFields: ['module', 'main'],
    banner: REQUIRE_SHIM,
    bundleAwsSDK: bundleAwsSdk,
    // esbuild's size table flags every bundle over 1 MB with ⚠️, once per function on every synth; real warnings
    // still print. The size that matters, the launch bundle against its budget, is measured by `npm run bench`.
    logLevel: LogLevel.WARNING,
    // With the runtime's SDK, keep @aws-sdk/* out of the bundle (the runtime provides it).
    externalModules: bundleAwsSdk ? UNUSED_IN_LAMBDA : ['@aws-sdk/*'],
    // A constant for esbuild: without the X-Ray SDK, the tracing middleware's import is dead code and dropped.
    define: { 'process.env.BROKER_XRAY_SDK': xraySdk ? '"on"' : '"off"' },
  };
}

/**
 * The esbuild options `bundlingOptions` makes NodejsFunction pass, for the tools that bundle a function
 * themselves (the bench, infra/tools/measure-bundle.ts), so their bundles are the deployed ones. The caller adds
 * entryPoints and outfile (`index.mjs` for ESM, as NodejsFunction names it).
 */
export function esbuildOptions(choices: boolean | BundleChoices): BuildOptions {
  const options = bundlingOptions(choices);
  return {
    bundle: true,
    platform: 'node',
    format: options.format === OutputFormat.ESM ? 'esm' : 'cjs',
    ...(options.target ? { target: options.target } : {}),
    minify: options.minify ?? false,
    sourcemap: options.sourceMap ?? false,
    sourcesContent: options.sourcesContent ?? true,
    // NodejsFunction's default externals: none with the SDK bundled, the runtime's @aws-sdk/* without.
    external: options.externalModules ?? (options.bundleAwsSDK ? [] : ['@aws-sdk/*']),
    ...(options.mainFields ? { mainFields: options.mainFields } : {}),
    ...(options.banner ? { banner: { js: options.banner } } : {}),
    ...(options.define ? { define: options.define } : {}),
    absWorkingDir: PROJECT_ROOT,
  };
}

/**
 * Bundling hooks that copy a package's files beside the bundle from the installed copy (`npm ci` put it there).
 * NodejsFunction's own `nodeModules` would run `npm install` from the registry at every synth.
 */
export function copyPackageFiles(packages: Record<string, readonly string[]>) {
  const requireHere = createRequire(import.meta.url);
  const quote = (path: string) => `'${path.replaceAll("'", "'\\''")}'`;
  return {
    beforeBundling: () => [],
    beforeInstall: () => [],
    afterBundling: (_inputDir: string, outputDir: string) =>
      Object.entries(packages).flatMap(([name, files]) => {
        const from = dirname(requireHere.resolve(`${name}/package.json`));
        const to = join(outputDir, 'node_modules', name);
        return [
          `mkdir -p ${quote(to)}`,
          ...files.map((file) => `cp ${quote(join(from, file))} ${quote(join(to, file))}`),
        ];
      }),
  };
}

export interface VpcPlacement {
  vpc: ec2.IVpc;
  subnets: ec2.ISubnet[];
  securityGroups: ec2.ISecurityGroup[];
}

export interface BrokerFunctionProps {
  entry: string;
  description: string;
  memoryMb: number;
  timeout: Duration;
  environment: Record<string, string>;
  /** What the function may do besides writing its own logs and traces. */
  statements: iam.PolicyStatement[];
  logRetention: logs.RetentionDays;
  removalPolicy: RemovalPolicy;
  bundleAwsSdk: boolean;
  /** Bundle the X-Ray SDK for subsegments (the stack's `xraySdk`); Lambda's active tracing is on either way. */
  xraySdk?: boolean;
  /**
   * Files the function reads at run time from an installed package, by package name: copied from this project's
   * node_modules to `node_modules/<package>/` beside the bundle, where Node resolves the package (no install, so
   * synth stays offline).
   */
  packageFiles?: Record<string, readonly string[]>;
  vpc?: VpcPlacement;
}

/**
 * One Lambda the way the broker runs them: nodejs22.x on arm64, an ESM esbuild bundle with source maps, X-Ray
 * active tracing, its own log group with retention, and its own role whose policies list every permission
 * explicitly (no AWS managed policy).
 */
export class BrokerFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: BrokerFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const statements = [
      new iam.PolicyStatement({
        sid: 'OwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
      ...props.statements,
    ];
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
      inlinePolicies: { access: new iam.PolicyDocument({ statements }) },
    });
    if (props.vpc) {
      // In the default policy beside X-Ray's, never in `access`: the only statements that may name "*".
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'VpcNetworkInterfaces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }
    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      // No --enable-source-maps: with it Node parses the whole source map at import, 27 ms of CPU for the launch
      // bundle (93 → 66 ms, median of 9 imports; 11 ms for the floor handler's), and the broker logs no stack
      // traces to map (messages and problem types only). The .map file still ships beside the bundle, for
      // decoding a runtime error's stack by hand.
      environment: { ...props.environment },
      bundling: {
        ...bundlingOptions({ bundleAwsSdk: props.bundleAwsSdk, xraySdk: props.xraySdk ?? false }),
        ...(props.packageFiles ? { commandHooks: copyPackageFiles(props.packageFiles) } : {}),
      },
      ...(props.vpc
        ? {
            vpc: props.vpc.vpc,
            vpcSubnets: { subnets: props.vpc.subnets },
            securityGroups: props.vpc.securityGroups,
          }
        : {}),
    });

    // On the default policy resource only (X-Ray's statements, and the VPC's), not on the role's subtree: a
    // "*" added to the role's own `access` policy must still fail synthesis.
    acknowledge(
      (this.role.node.findChild('DefaultPolicy') as iam.Policy).node.defaultChild as iam.CfnPolicy,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords (added by active tracing) and, for functions in a VPC, the ' +
        'network interface actions Lambda needs support no resource-level permissions: AWS requires "*".',
    );
    acknowledge(
      this.fn,
      'AwsSolutions-L1',
      'The project targets nodejs22.x on purpose (its code, tests and bundle measurements are for Node 22); a ' +
        'newer runtime is a tested change, not a silent default.',
    );
  }
}
