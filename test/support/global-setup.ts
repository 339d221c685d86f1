import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { startSecretsEndpoint } from '../../infra/local/secrets-endpoint.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
    secretsEndpoint: string;
  }
}

/** Starts one DynamoDB Local and one secrets endpoint per run, since a JVM per test file would dominate run time. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [dynamodb, secrets] = await Promise.all([startDynamoDbLocal(), startSecretsEndpoint()]);
  project.provide('dynamodbEndpoint', dynamodb.endpoint);
  project.provide('secretsEndpoint', secrets.endpoint);
  return async () => {
    await Promise.all([dynamodb.stop(), secrets.stop()]);
  };
}
