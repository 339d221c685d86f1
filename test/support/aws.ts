import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { applyEnv, localAwsEnv } from '../../infra/local/aws-env.js';
import { ensureTable } from '../../infra/local/dynamodb-local.js';
import { SECRETS_STATS_PATH, type SecretsEndpointStats } from '../../infra/local/secrets-endpoint.js';

export interface LocalAws {
  tableName: string;
  dynamodb: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  secrets: SecretsManagerClient;
  env: Record<string, string>;
}

/** Points this test file's process at the shared local engines and gives it a private table, so files can run in parallel. */
export async function useLocalAws(options: { dynamodbEndpoint?: string } = {}): Promise<LocalAws> {
  const env = localAwsEnv({
    dynamodb: options.dynamodbEndpoint ?? inject('dynamodbEndpoint'),
    secretsManager: inject('secretsEndpoint'),
  });
  // Forked workers each have their own process.env, so this only affects the current test file.
  applyEnv(env);
  const tableName = `test-${randomBytes(6).toString('hex')}`;
  env['TABLE_NAME'] = tableName;
  process.env['TABLE_NAME'] = tableName;
  // No explicit endpoint: the clients must find the engines through the env vars, exactly like the handlers do.
  const dynamodb = new DynamoDBClient({});
  await ensureTable(dynamodb, tableName);
  const doc = DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } });
  const secrets = new SecretsManagerClient({});
  return { tableName, dynamodb, doc, secrets, env };
}

/** Reads the shared secrets endpoint's counters over HTTP, because it lives in the vitest main process. */
export async function fetchSecretsStats(): Promise<SecretsEndpointStats> {
  const response = await fetch(new URL(SECRETS_STATS_PATH, inject('secretsEndpoint')));
  if (!response.ok) throw new Error(`secrets stats request failed: ${response.status}`);
  return (await response.json()) as SecretsEndpointStats;
}
