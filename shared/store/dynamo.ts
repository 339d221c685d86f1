import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StoreUnavailableError } from '../errors.js';

/** The broker table's document client and name. */
export interface Table {
  doc: DynamoDBDocumentClient;
  name: string;
}

/**
 * Middlewares that run on every call and send nothing DynamoDB needs: the SDK's logger middleware filters each
 * input and output against the operation's schema for a logger that is a no-op here, and the user-agent
 * middleware rebuilds and escapes the SDK's user-agent strings. Together about a sixth of a call's CPU, and a
 * click makes two calls.
 */
const UNNEEDED_MIDDLEWARE = ['loggerMiddleware', 'getUserAgentMiddleware'];

/** A document client that drops undefined attributes (optional fields) instead of failing. */
export function createTable(name: string, client = new DynamoDBClient({ maxAttempts: 3 })): Table {
  for (const middleware of UNNEEDED_MIDDLEWARE) client.middlewareStack.remove(middleware);
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { doc, name };
}

/** True for the SDK's failed-condition error, the normal outcome of a lost race. */
export function isConditionFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Runs a store call, turning transport failures into `StoreUnavailableError` so callers answer 503. */
export async function storeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isConditionFailed(error) || isClientFault(error)) throw error;
    throw new StoreUnavailableError(`state store unavailable while trying to ${what}`);
  }
}

function isClientFault(error: unknown): boolean {
  const fault = (error as { $fault?: unknown } | undefined)?.$fault;
  return fault === 'client' && (error as Error).name !== 'TimeoutError' && !isNetworkError(error);
}

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^E[A-Z]+/.test(code);
}
