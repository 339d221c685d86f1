import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Broker, createBroker } from '../../shared/broker.js';
import { readSettings } from '../../shared/config/settings.js';
import { generateBrokerKeys } from '../../shared/secrets/broker-keys.js';
import { SecretStore } from '../../shared/secrets/store.js';
import { ensureTable } from '../local/dynamodb-local.js';
import { CliError, type CliIo, type OptionSpecs, str, UsageError, type Values } from './args.js';
import { describeStackOutputs } from './stack-outputs.js';

/**
 * Defaults of the local runtime (`infra/local/runtime.ts`, `shared/config/settings.ts`): the table, key secret
 * and credential prefix `npm start` uses, and the engine ports `cli local engines` listens on.
 */
export const LOCAL_DEFAULTS = {
  dynamodbEndpoint: 'http://127.0.0.1:8000',
  secretsEndpoint: 'http://127.0.0.1:8001',
  tableName: 'console-launch-broker',
  keysSecretId: 'console-launch-broker/keys',
  applianceSecretPrefix: 'console-launch-broker/appliances/',
  publicBaseUrl: 'http://127.0.0.1:3000',
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
    description: 'DynamoDB table (env BROKER_TABLE_NAME or TABLE_NAME; stack output TableName)',
  },
  'keys-secret': {
    type: 'string',
    value: '<id|arn>',
    description: 'the broker keys secret (env KEYS_SECRET_ID; stack output KeysSecretArn)',
  },
  'appliance-secret-prefix': {
    type: 'string',
    value: '<prefix>',
    description: 'name prefix of appliance credential secrets (env APPLIANCE_SECRET_PREFIX)',
  },
  'public-base-url': {
    type: 'string',
    value: '<url>',
    description: 'base of launch link URLs (env PUBLIC_BASE_URL; stack output PublicBaseUrl)',
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
  if (publicBaseUrlFlag !== undefined) checkUrl('--public-base-url', publicBaseUrlFlag, /^https?:$/);

  if (local) {
    const dynamodbEndpoint = dynamodbFlag ?? env.BROKER_DYNAMODB_ENDPOINT ?? LOCAL_DEFAULTS.dynamodbEndpoint;
    const secretsEndpoint = secretsFlag ?? env.BROKER_SECRETS_ENDPOINT ?? LOCAL_DEFAULTS.secretsEndpoint;
    checkUrl(
      dynamodbFlag ? '--dynamodb-endpoint' : 'BROKER_DYNAMODB_ENDPOINT',
      dynamodbEndpoint,
      /^https?:$/,
    );
    checkUrl(secretsFlag ? '--secrets-endpoint' : 'BROKER_SECRETS_ENDPOINT', secretsEndpoint, /^https?:$/);
    // The local engines accept any credentials; fixed ones keep the SDK from searching for real ones.
    const common = {
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 2,
    };
    return {
      kind: 'local',
      description: `local runtime (DynamoDB ${dynamodbEndpoint}, secrets ${secretsEndpoint})`,
      tableName: str(values, 'table') ?? env.BROKER_TABLE_NAME ?? env.TABLE_NAME ?? LOCAL_DEFAULTS.tableName,
      keysSecretId: str(values, 'keys-secret') ?? env.KEYS_SECRET_ID ?? LOCAL_DEFAULTS.keysSecretId,
      applianceSecretPrefix:
        str(values, 'appliance-secret-prefix') ??
        env.APPLIANCE_SECRET_PREFIX ??
        LOCAL_DEFAULTS.applianceSecretPrefix,
      publicBaseUrl: publicBaseUrlFlag ?? env.PUBLIC_BASE_URL ?? LOCAL_DEFAULTS.publicBaseUrl,
      dynamodb: new DynamoDBClient({ ...common, endpoint: dynamodbEndpoint }),
      secretsManager: new SecretsManagerClient({ ...common, endpoint: secretsEndpoint }),
    };
  }

  const region = str(values, 'region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const outputs = stack ? await describeStackOutputs(stack, { region, env }) : {};
  if (stack && !outputs.TableName) {
    throw new CliError(
      `--stack ${stack}: the stack has no TableName output; is it a Console Launch Broker stack?`,
    );
  }
  const stackRegion = region ?? outputs.Region;
  const tableName = str(values, 'table') ?? outputs.TableName ?? env.BROKER_TABLE_NAME ?? env.TABLE_NAME;
  if (!tableName) {
    throw new UsageError(
      'no target: pass --stack <name> or --table <name> (or set TABLE_NAME) for AWS, or --local for the local runtime',
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
      LOCAL_DEFAULTS.keysSecretId,
    applianceSecretPrefix:
      str(values, 'appliance-secret-prefix') ??
      outputs.ApplianceSecretPrefix ??
      env.APPLIANCE_SECRET_PREFIX ??
      LOCAL_DEFAULTS.applianceSecretPrefix,
    publicBaseUrl: publicBaseUrlFlag ?? outputs.PublicBaseUrl ?? env.PUBLIC_BASE_URL,
    dynamodb: new DynamoDBClient(common),
    secretsManager: new SecretsManagerClient(common),
  };
}

/**
 * The broker's services on the target. Locally the table and key secret are created when missing (what
 * `npm start` does too), so the CLI can prepare state before the broker's first start.
 */
export async function connectBroker(target: Target, env: CliIo['env']): Promise<Broker> {
  if (target.kind === 'local') {
    try {
      await ensureTable(target.dynamodb, target.tableName);
      await new SecretStore(target.secretsManager).createJson(target.keysSecretId, generateBrokerKeys());
    } catch (error) {
      throw new CliError(
        `cannot reach the ${target.description}: ${firstLine(error)}; start it with \`npm run cli -- local engines\` or point --dynamodb-endpoint/--secrets-endpoint at it`,
      );
    }
  }
  const settings = readSettings({
    ...pickTuning(env),
    TABLE_NAME: target.tableName,
    KEYS_SECRET_ID: target.keysSecretId,
    APPLIANCE_SECRET_PREFIX: target.applianceSecretPrefix,
    // The CLI acts once: it reads credentials fresh rather than from a cache.
    SECRETS_CACHE_SECONDS: '1',
  });
  try {
    return await createBroker({
      settings,
      dynamodb: target.dynamodb,
      secretsManager: target.secretsManager,
    });
  } catch (error) {
    throw new CliError(`cannot open the ${target.description}: ${describeAwsError(error)}`);
  }
}

/** Tuning variables the broker reads (timeouts, link TTLs), so the CLI behaves as the deployed functions do. */
function pickTuning(env: CliIo['env']): Record<string, string> {
  const names = [
    'LINK_DEFAULT_TTL_SECONDS',
    'LINK_MAX_TTL_SECONDS',
    'APPLIANCE_CONNECT_TIMEOUT_MS',
    'APPLIANCE_REQUEST_TIMEOUT_MS',
    'SYNC_CONCURRENCY',
  ];
  return Object.fromEntries(names.flatMap((name) => (env[name] ? [[name, env[name]]] : [])));
}

function checkUrl(name: string, value: string, protocol: RegExp): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${name}: ${JSON.stringify(value)} is not a URL`);
  }
  if (!protocol.test(url.protocol)) throw new UsageError(`${name}: must be an http:// or https:// URL`);
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

export const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
