import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Broker, createBroker } from '../../shared/broker.js';
import { DEFAULT_TABLE_NAME, readSettings } from '../../shared/config/settings.js';
import { LOCAL_AWS } from '../local/aws-env.js';
import { ensureTable } from '../local/dynamodb-local.js';
import { CliError, type CliIo, type OptionSpecs, str, UsageError, type Values } from './args.js';

/** The broker settings' defaults (key secret, credential prefix, caches), as functions without overrides have them. */
export const SETTING_DEFAULTS = readSettings({ TABLE_NAME: DEFAULT_TABLE_NAME });

/**
 * Defaults of the local runtime: the engine endpoints `cli local engines` listens on, the table, key secret
 * and credential prefix `npm start` uses (from `shared/config/settings.ts`), and the port it listens on.
 */
export const LOCAL_DEFAULTS = {
  dynamodbEndpoint: 'http://127.0.0.1:8000',
  secretsEndpoint: 'http://127.0.0.1:8001',
  tableName: DEFAULT_TABLE_NAME,
  keysSecretId: SETTING_DEFAULTS.KEYS_SECRET_ID,
  applianceSecretPrefix: SETTING_DEFAULTS.APPLIANCE_SECRET_PREFIX,
  /** `npm start`'s port unless PORT is set. */
  port: '3000',
} as const;

/** The options every command that reads or writes broker state accepts. */
export const TARGET_OPTIONS: OptionSpecs = {
  local: {
    type: 'boolean',
    description: 'use the local runtime (DynamoDB Local + local secrets endpoint) instead of AWS',
  },
  'dynamodb-endpoint': {
    type: 'string',
    value: '<url>',
    description: `local DynamoDB (env BROKER_DYNAMODB_ENDPOINT, default ${LOCAL_DEFAULTS.dynamodbEndpoint}); implies --local`,
  },
  'secrets-endpoint': {
    type: 'string',
    value: '<url>',
    description: `local secrets endpoint (env BROKER_SECRETS_ENDPOINT, default ${LOCAL_DEFAULTS.secretsEndpoint}); implies --local`,
  },
  stack: {
    type: 'string',
    value: '<name>',
    description:
      'AWS: read table, key secret, prefix and public URL from this stack’s outputs (env BROKER_STACK)',
  },
  region: {
    type: 'string',
    value: '<region>',
    description: 'AWS region (env AWS_REGION, or your profile’s)',
  },
  table: {
    type: 'string',
    value: '<name>',
    description: 'DynamoDB table (stack output TableName; env BROKER_TABLE_NAME, then TABLE_NAME)',
  },
  'keys-secret': {
    type: 'string',
    value: '<id|arn>',
    description: 'the broker keys secret (stack output KeysSecretArn; env KEYS_SECRET_ID)',
  },
  'appliance-secret-prefix': {
    type: 'string',
    value: '<prefix>',
    description: 'name prefix of appliance credential secrets (env APPLIANCE_SECRET_PREFIX)',
  },
  'public-base-url': {
    type: 'string',
    value: '<url>',
    description: `base of launch link URLs (stack output PublicBaseUrl; env PUBLIC_BASE_URL; --local: else http://127.0.0.1:$PORT, PORT default ${LOCAL_DEFAULTS.port})`,
  },
};

export interface Target {
  kind: 'local' | 'aws';
  /** For messages: where the state lives. */
  description: string;
  tableName: string;
  keysSecretId: string;
  applianceSecretPrefix: string;
  publicBaseUrl: string | undefined;
  dynamodb: DynamoDBClient;
  secretsManager: SecretsManagerClient;
}

/** Works out where state lives from flags, then stack outputs, then environment, then defaults. */
export async function resolveTarget(values: Values, env: CliIo['env']): Promise<Target> {
  const dynamodbFlag = str(values, 'dynamodb-endpoint');
  const secretsFlag = str(values, 'secrets-endpoint');
  const local = values.local === true || dynamodbFlag !== undefined || secretsFlag !== undefined;
  const stack = str(values, 'stack') ?? (local ? undefined : env.BROKER_STACK);
  if (local && str(values, 'stack'))
    throw new UsageError('--stack is for AWS; it cannot be combined with --local');
  const publicBaseUrlFlag = str(values, 'public-base-url');
  if (publicBaseUrlFlag !== undefined) checkUrl('--public-base-url', publicBaseUrlFlag);

  if (local) {
    const dynamodbEndpoint = dynamodbFlag ?? env.BROKER_DYNAMODB_ENDPOINT ?? LOCAL_DEFAULTS.dynamodbEndpoint;
    const secretsEndpoint = secretsFlag ?? env.BROKER_SECRETS_ENDPOINT ?? LOCAL_DEFAULTS.secretsEndpoint;
    checkUrl(dynamodbFlag ? '--dynamodb-endpoint' : 'BROKER_DYNAMODB_ENDPOINT', dynamodbEndpoint);
    checkUrl(secretsFlag ? '--secrets-endpoint' : 'BROKER_SECRETS_ENDPOINT', secretsEndpoint);
    const common = { ...LOCAL_AWS, maxAttempts: 2 };
    return {
      kind: 'local',
      description: `local runtime (DynamoDB ${dynamodbEndpoint}, secrets ${secretsEndpoint})`,
      tableName: str(values, 'table') ?? env.BROKER_TABLE_NAME ?? env.TABLE_NAME ?? LOCAL_DEFAULTS.tableName,
      keysSecretId: str(values, 'keys-secret') ?? env.KEYS_SECRET_ID ?? LOCAL_DEFAULTS.keysSecretId,
      applianceSecretPrefix:
        str(values, 'appliance-secret-prefix') ??
        env.APPLIANCE_SECRET_PREFIX ??
        LOCAL_DEFAULTS.applianceSecretPrefix,
      publicBaseUrl: publicBaseUrlFlag ?? env.PUBLIC_BASE_URL ?? localBaseUrl(env),
      dynamodb: new DynamoDBClient({ ...common, endpoint: dynamodbEndpoint }),
      secretsManager: new SecretsManagerClient({ ...common, endpoint: secretsEndpoint }),
    };
  }

  const region = str(values, 'region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const outputs = stack ? await describeStackOutputs(stack, region) : {};
  if (stack && !outputs.TableName) {
    throw new CliError(
      `--stack ${stack}: the stack has no TableName output; is it a Console Launch Broker stack?`,
    );
  }
  const stackRegion = region ?? outputs.Region;
  const tableName = str(values, 'table') ?? outputs.TableName ?? env.BROKER_TABLE_NAME ?? env.TABLE_NAME;
  if (!tableName) {
    throw new UsageError(
      'no target: pass --stack <name> or --table <name> (or set BROKER_STACK, BROKER_TABLE_NAME or TABLE_NAME) for AWS, or --local for the local runtime',
    );
  }
  const common = { maxAttempts: 3, ...(stackRegion ? { region: stackRegion } : {}) };
  return {
    kind: 'aws',
    description: `AWS${stack ? ` stack ${stack}` : ''} (table ${tableName}${stackRegion ? ` in ${stackRegion}` : ''})`,
    tableName,
    keysSecretId:
      str(values, 'keys-secret') ??
      outputs.KeysSecretArn ??
      env.KEYS_SECRET_ID ??
      SETTING_DEFAULTS.KEYS_SECRET_ID,
    applianceSecretPrefix:
      str(values, 'appliance-secret-prefix') ??
      outputs.ApplianceSecretPrefix ??
      env.APPLIANCE_SECRET_PREFIX ??
      SETTING_DEFAULTS.APPLIANCE_SECRET_PREFIX,
    publicBaseUrl: publicBaseUrlFlag ?? outputs.PublicBaseUrl ?? env.PUBLIC_BASE_URL,
    dynamodb: new DynamoDBClient(common),
    secretsManager: new SecretsManagerClient(common),
  };
}

/** Where `npm start` serves links unless told otherwise: this machine, on PORT (default 3000). */
function localBaseUrl(env: CliIo['env']): string {
  const port = env.PORT ?? LOCAL_DEFAULTS.port;
  if (!/^\d{1,5}$/.test(port)) throw new UsageError(`PORT: ${JSON.stringify(port)} is not a port number`);
  return `http://127.0.0.1:${port}`;
}

/** The base of the target's launch link URLs, without a trailing slash. */
export function linkBaseUrl(target: Target): string {
  if (!target.publicBaseUrl) {
    throw new UsageError(
      'no public base URL for the link: pass --public-base-url, --stack or set PUBLIC_BASE_URL',
    );
  }
  return target.publicBaseUrl.replace(/\/$/, '');
}

/**
 * A stack's outputs by key, from one CloudFormation `DescribeStacks` call with the SDK's default region,
 * credentials and endpoint configuration (AWS_ENDPOINT_URL_CLOUDFORMATION included).
 */
async function describeStackOutputs(
  stackName: string,
  region: string | undefined,
): Promise<Record<string, string>> {
  const client = new CloudFormationClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 15_000 },
    ...(region ? { region } : {}),
  });
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    return Object.fromEntries(
      (Stacks?.[0]?.Outputs ?? []).flatMap(({ OutputKey, OutputValue }) =>
        OutputKey !== undefined && OutputValue !== undefined ? [[OutputKey, OutputValue]] : [],
      ),
    );
  } catch (error) {
    const message =
      error instanceof CloudFormationServiceException ? firstLine(error) : describeAwsError(error);
    throw new CliError(`--stack ${stackName}: ${message}`);
  } finally {
    client.destroy();
  }
}

/**
 * The broker's services on the target. Locally the table and key secret are created when missing (what
 * `npm start` does too), so the CLI can prepare state before the broker's first start.
 */
export async function connectBroker(target: Target, env: CliIo['env']): Promise<Broker> {
  if (target.kind === 'local') {
    // The local runtime module brings the local server and every handler along: loaded for --local only.
    const { ensureKeys } = await import('../local/runtime.js');
    try {
      await ensureTable(target.dynamodb, target.tableName);
      await ensureKeys(target.keysSecretId, target.secretsManager);
    } catch (error) {
      throw new CliError(
        `cannot reach the ${target.description}: ${firstLine(error)}; start it with \`npm run cli -- local engines\` or point --dynamodb-endpoint/--secrets-endpoint at it`,
      );
    }
  }
  // Every setting the functions read (timeouts, link TTLs, sync concurrency), so the CLI behaves as they do.
  const settings = readSettings({
    ...env,
    TABLE_NAME: target.tableName,
    KEYS_SECRET_ID: target.keysSecretId,
    APPLIANCE_SECRET_PREFIX: target.applianceSecretPrefix,
    PUBLIC_BASE_URL: target.publicBaseUrl,
    // The CLI acts once: it reads credentials fresh rather than from a cache.
    SECRETS_CACHE_SECONDS: '1',
    // Against the local runtime, as `npm start` does: an insecure appliance is allowed (and warned about).
    ...(target.kind === 'local' && env.ALLOW_INSECURE_APPLIANCES === undefined
      ? { ALLOW_INSECURE_APPLIANCES: 'true' }
      : {}),
  });
  try {
    return await createBroker({
      settings,
      dynamodb: target.dynamodb,
      secretsManager: target.secretsManager,
      publicBaseUrl: () => linkBaseUrl(target),
      // The CLI reports sync results to the operator itself rather than to logs and metrics.
      onSyncResult: () => undefined,
    });
  } catch (error) {
    throw new CliError(`cannot open the ${target.description}: ${describeAwsError(error)}`);
  }
}

function checkUrl(name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${name}: ${JSON.stringify(value)} is not a URL`);
  }
  if (!/^https?:$/.test(url.protocol)) throw new UsageError(`${name}: must be an http:// or https:// URL`);
}

/** One line for an SDK failure, with the usual fixes for missing region or credentials. */
export function describeAwsError(error: unknown): string {
  const message = firstLine(error);
  if (/region is missing/i.test(message)) return 'no AWS region: pass --region or set AWS_REGION';
  if (error instanceof Error && /CredentialsProviderError/.test(error.name)) {
    return `no AWS credentials (${message}); configure a profile or set AWS_PROFILE`;
  }
  return message;
}

const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
