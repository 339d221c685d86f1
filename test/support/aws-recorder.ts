import { AsyncLocalStorage } from 'node:async_hooks';
import { __Client, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from '../../shared/store/table-schema.js';

/**
 * One AWS API call as IAM sees it: the action it is authorized as, the resource, and the context keys a policy
 * may test. A DynamoDB transaction or batch is several IAM requests, so it is recorded as one call per table.
 */
export interface RecordedCall {
  /** The function (`functions/<name>.ts`) whose handler made the call. */
  fn: string;
  /** IAM service prefix: `dynamodb`, `secretsmanager`. */
  service: string;
  /** `dynamodb:GetItem`. */
  action: string;
  /** The SDK command, when it is not the action itself (`TransactWriteItems` for a transaction's PutItem). */
  via?: string;
  /** The table or index name, or the secret id, as the code passed it (a name, not an ARN). */
  target:
    | { kind: 'table'; name: string; index?: string }
    | { kind: 'secret'; id: string }
    | { kind: 'other' };
  /** `dynamodb:LeadingKeys`: the partition key of every item the call touches (empty for a scan). */
  leadingKeys?: string[];
}

interface MiddlewareStackLike {
  add(middleware: unknown, options: Record<string, unknown>): void;
}

const SERVICE_OF_CLIENT: Record<string, string> = {
  DynamoDBClient: 'dynamodb',
  SecretsManagerClient: 'secretsmanager',
  CloudFormationClient: 'cloudformation',
};

/**
 * Records every AWS SDK v3 call made inside `runAs(fn, …)`, whatever client made it: a `build`-step middleware is
 * added to the middleware stack of each client on its first `send` (the document client shares its client's
 * stack, so it is covered too). Only tests install it; `stop` restores `send`.
 */
export class AwsCallRecorder {
  readonly calls: RecordedCall[] = [];
  private readonly current = new AsyncLocalStorage<string>();
  private readonly instrumented = new WeakSet<object>();
  private readonly originalSend: (...args: unknown[]) => unknown;
  private readonly base: { send: (...args: unknown[]) => unknown };

  constructor() {
    // Every generated client extends the same smithy Client; DynamoDB's package re-exports it.
    this.base = (__Client as unknown as { prototype: { send: (...args: unknown[]) => unknown } }).prototype;
    if (Object.getPrototypeOf(DynamoDBClient.prototype) !== this.base) {
      throw new Error('AwsCallRecorder: DynamoDBClient no longer extends the exported smithy Client');
    }
    this.originalSend = this.base.send;
    const recorder = this;
    this.base.send = function (this: { middlewareStack: MiddlewareStackLike }, ...args: unknown[]) {
      recorder.instrument(this.middlewareStack);
      return recorder.originalSend.apply(this, args);
    };
  }

  /** Runs `body` as function `fn`: every call it makes, now or in callbacks it schedules, is attributed to `fn`. */
  runAs<T>(fn: string, body: () => T): T {
    return this.current.run(fn, body);
  }

  /** The calls of one function. */
  callsOf(fn: string): RecordedCall[] {
    return this.calls.filter((call) => call.fn === fn);
  }

  stop(): void {
    this.base.send = this.originalSend;
  }

  private instrument(stack: MiddlewareStackLike): void {
    if (this.instrumented.has(stack)) return;
    this.instrumented.add(stack);
    stack.add(
      (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) =>
        async (args: { input?: Record<string, unknown> }) => {
          const fn = this.current.getStore();
          if (fn) this.calls.push(...describeCall(fn, context, args.input ?? {}));
          return next(args);
        },
      // After the document client's marshalling: every DynamoDB input has one (attribute value) shape here.
      { step: 'build', name: 'testAwsCallRecorder', priority: 'high', override: true },
    );
  }
}

/** The IAM requests one SDK call amounts to. */
export function describeCall(
  fn: string,
  context: { clientName?: string; commandName?: string },
  input: Record<string, unknown>,
): RecordedCall[] {
  const clientName = context.clientName ?? 'UnknownClient';
  const service = SERVICE_OF_CLIENT[clientName] ?? clientName.replace(/Client$/, '').toLowerCase();
  const command = (context.commandName ?? 'Unknown').replace(/Command$/, '');
  if (service === 'secretsmanager') {
    const id = String(input.SecretId ?? input.Name ?? '');
    return [{ fn, service, action: `${service}:${command}`, target: { kind: 'secret', id } }];
  }
  if (service !== 'dynamodb')
    return [{ fn, service, action: `${service}:${command}`, target: { kind: 'other' } }];
  return describeDynamoCall(fn, command, input);
}

type Item = Record<string, unknown>;

function describeDynamoCall(fn: string, command: string, input: Item): RecordedCall[] {
  const call = (
    action: string,
    name: string,
    keys: string[] | undefined,
    extra: Partial<RecordedCall> = {},
  ) => ({
    fn,
    service: 'dynamodb',
    action: `dynamodb:${action}`,
    target: { kind: 'table' as const, name },
    ...(keys ? { leadingKeys: keys } : {}),
    ...extra,
  });
  const table = String(input.TableName ?? '');
  switch (command) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [call(command, table, [partitionOf(input.Key as Item)])];
    case 'PutItem':
      return [call(command, table, [partitionOf(input.Item as Item)])];
    case 'Query': {
      const index = input.IndexName === undefined ? undefined : String(input.IndexName);
      const keyName = index === TABLE_KEYS.gsi1.name ? TABLE_KEYS.gsi1.partitionKey : TABLE_KEYS.partitionKey;
      const recorded = call(command, table, [queryPartition(input, keyName)]);
      return [index ? { ...recorded, target: { kind: 'table', name: table, index } } : recorded];
    }
    case 'Scan':
      return [call(command, table, [])];
    case 'BatchWriteItem':
    case 'BatchGetItem': {
      const requests = (input.RequestItems ?? {}) as Record<string, unknown>;
      return Object.entries(requests).map(([name, entries]) => {
        const items =
          command === 'BatchGetItem'
            ? ((entries as { Keys?: Item[] }).Keys ?? [])
            : (entries as Item[]).map(
                (entry) =>
                  ((entry.PutRequest as { Item?: Item })?.Item ??
                    (entry.DeleteRequest as { Key?: Item })?.Key ??
                    {}) as Item,
              );
        return call(command, name, [...new Set(items.map(partitionOf))]);
      });
    }
    case 'TransactWriteItems':
    case 'TransactGetItems': {
      // IAM authorizes each element of a transaction as its own action.
      const ACTIONS: Record<string, string> = {
        Put: 'PutItem',
        Update: 'UpdateItem',
        Delete: 'DeleteItem',
        ConditionCheck: 'ConditionCheckItem',
        Get: 'GetItem',
      };
      return ((input.TransactItems ?? []) as Record<string, Item>[]).flatMap((element) =>
        Object.entries(element).map(([kind, operation]) =>
          call(
            ACTIONS[kind] ?? kind,
            String(operation.TableName ?? ''),
            [partitionOf((operation.Item ?? operation.Key) as Item)],
            { via: command },
          ),
        ),
      );
    }
    default:
      return [call(command, table, undefined)];
  }
}

/** The partition key value of an item or key (marshalled `{ S: … }` or plain). */
function partitionOf(item: Item | undefined): string {
  return scalar(item?.[TABLE_KEYS.partitionKey]);
}

function scalar(value: unknown): string {
  if (value && typeof value === 'object') {
    const typed = value as Record<string, unknown>;
    return String(typed.S ?? typed.N ?? typed.B ?? JSON.stringify(value));
  }
  return String(value);
}

/** The value a Query's key condition binds to the partition key (`#pk = :pk`, names resolved). */
function queryPartition(input: Item, keyName: string): string {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  for (const clause of String(input.KeyConditionExpression ?? '').split(/\s+AND\s+/i)) {
    const match = /^\s*\(?\s*([#\w]+)\s*=\s*(:\w+)\s*\)?\s*$/.exec(clause);
    if (!match?.[1] || !match[2]) continue;
    if ((names[match[1]] ?? match[1]) === keyName) return scalar(values[match[2]]);
  }
  return '';
}
