import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { awsClientOptions } from '../aws-client-options.js';
import { jitter, sleep } from '../clock.js';
import { StoreUnavailableError } from '../errors.js';

/** An item's primary key in the broker table. */
export type ItemKey = { pk: string; sk: string };
export type Item = Record<string, unknown>;

/** The broker table's document client and name. */
export interface Table {
  doc: DynamoDBDocumentClient;
  name: string;
  /**
   * One item by key (a consistent read when asked). Reads asked for in the same turn of the event loop go out
   * together as one BatchGetItem: a cold click's registry, session and creator reads cost one request, not three
   * on three connections.
   */
  read(key: ItemKey, options?: { consistent?: boolean }): Promise<Item | undefined>;
}

/**
 * Middlewares that run on every call and send nothing DynamoDB needs: the SDK's logger middleware filters each
 * input and output against the operation's schema for a logger that is a no-op here, and the user-agent
 * middleware rebuilds and escapes the SDK's user-agent strings. Together about a sixth of a call's CPU, and a
 * click makes two calls.
 */
const UNNEEDED_MIDDLEWARE = ['loggerMiddleware', 'getUserAgentMiddleware'];

/** A document client that drops undefined attributes (optional fields) instead of failing. */
export function createTable(name: string, client = new DynamoDBClient(awsClientOptions())): Table {
  for (const middleware of UNNEEDED_MIDDLEWARE) client.middlewareStack.remove(middleware);
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { doc, name, read: batchedReads(doc, name) };
}

interface PendingRead {
  key: ItemKey;
  consistent: boolean;
  resolve(item: Item | undefined): void;
  reject(error: unknown): void;
}

/** The reads of one turn by key: a key asked for twice is read once (DynamoDB refuses a batch naming it twice). */
type Batch = Map<string, PendingRead[]>;

/** Requests a batch read may take while DynamoDB leaves keys unprocessed (throttling) before the reads fail. */
const READ_ATTEMPTS = 4;

function batchedReads(doc: DynamoDBDocumentClient, TableName: string): Table['read'] {
  let waiting: Batch | undefined;
  return (key, options) =>
    new Promise((resolve, reject) => {
      if (!waiting) {
        const batch: Batch = new Map();
        waiting = batch;
        // After every read this turn asks for (each caller's own awaits run as microtasks before it).
        setImmediate(() => {
          waiting = undefined;
          readTogether(doc, TableName, batch);
        });
      }
      const id = keyId(key);
      const reads = waiting.get(id) ?? [];
      reads.push({ key, consistent: !!options?.consistent, resolve, reject });
      waiting.set(id, reads);
    });
}

async function readTogether(doc: DynamoDBDocumentClient, TableName: string, batch: Batch): Promise<void> {
  const reads = [...batch.values()].flat();
  // Consistent for every key when any read asked for it: a stronger read serves the others too.
  const ConsistentRead = reads.some((read) => read.consistent);
  const found = (item: Item) => {
    for (const read of batch.get(keyId(item as ItemKey)) ?? []) read.resolve(item);
  };
  try {
    const keys = [...batch.values()].map(([read]) => (read as PendingRead).key);
    if (keys.length === 1) {
      const { Item } = await doc.send(new GetCommand({ TableName, Key: keys[0], ConsistentRead }));
      if (Item) found(Item);
    } else {
      await sendUntilProcessed('reads', keys, { attempts: READ_ATTEMPTS, backoffMs: 25 }, async (Keys) => {
        const { Responses, UnprocessedKeys } = await doc.send(
          new BatchGetCommand({ RequestItems: { [TableName]: { Keys, ConsistentRead } } }),
        );
        for (const item of Responses?.[TableName] ?? []) found(item);
        return (UnprocessedKeys?.[TableName]?.Keys ?? []) as ItemKey[];
      });
    }
    // A key asked for and not returned is an item that does not exist (a settled read ignores this).
    for (const read of reads) read.resolve(undefined);
  } catch (error) {
    for (const read of reads) read.reject(error);
  }
}

const keyId = (key: ItemKey) => `${key.pk}\u0000${key.sk}`;

/**
 * Sends a batch call until DynamoDB has processed all of it: a throttled batch answers with what it left
 * unprocessed, which goes again after a jittered, doubling backoff, `attempts` requests at most; returns how many
 * requests it took. `send` answers what is still unprocessed.
 */
export async function sendUntilProcessed<T>(
  what: string,
  first: T[],
  { attempts, backoffMs }: { attempts: number; backoffMs: number },
  send: (pending: T[]) => Promise<T[]>,
): Promise<number> {
  let pending = first;
  let requests = 0;
  while (pending.length > 0) {
    if (requests === attempts) {
      throw new StoreUnavailableError(
        `state store left ${pending.length} ${what} unprocessed after ${attempts} requests`,
      );
    }
    if (requests > 0) await sleep(jitter(backoffMs * 2 ** requests));
    requests++;
    pending = await send(pending);
  }
  return requests;
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
