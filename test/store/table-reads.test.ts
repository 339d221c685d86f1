import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../../shared/errors.js';
import { createTable, storeCall, type Table } from '../../shared/store/dynamo.js';
import { type LocalAws, useLocalAws } from '../support/aws.js';

/**
 * `Table.read` against DynamoDB Local: the reads one turn asks for go out as one BatchGetItem (a cold click's
 * registry, session and creator reads), each caller still gets its own item, and a failure reaches every caller.
 */
let aws: LocalAws;
beforeAll(async () => {
  aws = await useLocalAws();
  for (const [pk, value] of [
    ['A#1', 'one'],
    ['A#2', 'two'],
    ['A#3', 'three'],
  ]) {
    await aws.doc.send(new PutCommand({ TableName: aws.tableName, Item: { pk, sk: 'X', value } }));
  }
});

interface Sent {
  command: string;
  input: {
    ConsistentRead?: boolean;
    RequestItems?: Record<string, { Keys: unknown[]; ConsistentRead?: boolean }>;
  };
}

/** A table on its own SDK client whose every request is noted before it leaves (and may be rewritten after). */
function recordedTable(
  options: {
    client?: DynamoDBClient;
    answer?: (sent: Sent, output: Record<string, unknown>) => Record<string, unknown>;
  } = {},
): { table: Table; sent: Sent[] } {
  const { client = new DynamoDBClient({}), answer } = options;
  const sent: Sent[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const entry = {
        command: String(context.commandName),
        input: structuredClone(args.input) as Sent['input'],
      };
      sent.push(entry);
      const result = await next(args);
      if (!answer) return result;
      const output = answer(entry, result.output as unknown as Record<string, unknown>);
      return { ...result, output } as unknown as typeof result;
    },
    { step: 'initialize', name: 'recordRequests' },
  );
  return { table: createTable(aws.tableName, client), sent };
}

const key = (pk: string) => ({ pk, sk: 'X' });

/** An answer rewrite: the first `times` BatchGetItem answers leave `pk` out and name it unprocessed. */
function leavingUnprocessed(pk: string, times: number) {
  let left = 0;
  return (entry: Sent, output: Record<string, unknown>): Record<string, unknown> => {
    if (entry.command !== 'BatchGetItemCommand' || left++ >= times) return output;
    const responses = (output.Responses as Record<string, { pk: string }[]>)[aws.tableName] ?? [];
    return {
      ...output,
      Responses: { [aws.tableName]: responses.filter((item) => item.pk !== pk) },
      UnprocessedKeys: { [aws.tableName]: { Keys: [key(pk)], ConsistentRead: false } },
    };
  };
}

describe('Table.read', () => {
  it('sends the reads of one turn as one BatchGetItem and hands each caller its own item', async () => {
    const { table, sent } = recordedTable();
    const [one, two, missing] = await Promise.all([
      table.read(key('A#1')),
      table.read(key('A#2')),
      table.read(key('A#none')),
    ]);
    expect(one?.value).toBe('one');
    expect(two?.value).toBe('two');
    expect(missing).toBeUndefined();
    expect(sent.map((entry) => entry.command)).toEqual(['BatchGetItemCommand']);
    expect(sent[0]?.input.RequestItems?.[aws.tableName]?.Keys).toHaveLength(3);
  });

  it('reads consistently for every key when one caller asked for it, and asks for a key once', async () => {
    const { table, sent } = recordedTable();
    const [plain, consistent, again] = await Promise.all([
      table.read(key('A#1')),
      table.read(key('A#2'), { consistent: true }),
      table.read(key('A#1')),
    ]);
    expect([plain?.value, consistent?.value, again?.value]).toEqual(['one', 'two', 'one']);
    const request = sent[0]?.input.RequestItems?.[aws.tableName];
    expect(request?.ConsistentRead).toBe(true);
    // DynamoDB refuses a batch naming one key twice.
    expect(request?.Keys).toHaveLength(2);
  });

  it('sends a lone read as a GetItem, and reads asked for on later turns separately', async () => {
    const { table, sent } = recordedTable();
    expect((await table.read(key('A#3'), { consistent: true }))?.value).toBe('three');
    expect((await table.read(key('A#1')))?.value).toBe('one');
    expect(sent.map((entry) => [entry.command, entry.input.ConsistentRead])).toEqual([
      ['GetItemCommand', true],
      ['GetItemCommand', false],
    ]);
  });

  it('asks again for the keys DynamoDB left unprocessed', async () => {
    // The first answer leaves A#2 out, as DynamoDB does when a partition is throttled.
    const { table, sent } = recordedTable({ answer: leavingUnprocessed('A#2', 1) });
    const [one, two] = await Promise.all([table.read(key('A#1')), table.read(key('A#2'))]);
    expect([one?.value, two?.value]).toEqual(['one', 'two']);
    expect(sent.map((entry) => entry.input.RequestItems?.[aws.tableName]?.Keys.length)).toEqual([2, 1]);
  });

  it('fails the reads DynamoDB keeps leaving unprocessed, after four requests, and keeps the others', async () => {
    const { table, sent } = recordedTable({ answer: leavingUnprocessed('A#2', Number.POSITIVE_INFINITY) });
    const [one, two] = await Promise.allSettled([
      storeCall('read an appliance', () => table.read(key('A#1'))),
      storeCall('read a client', () => table.read(key('A#2'))),
    ]);
    expect(one).toEqual({ status: 'fulfilled', value: expect.objectContaining({ value: 'one' }) });
    expect(two).toEqual({
      status: 'rejected',
      reason: new StoreUnavailableError('state store unavailable while trying to read a client'),
    });
    expect(sent).toHaveLength(4);
  });

  it('fails every caller of a batch that fails, each naming what it was reading', async () => {
    // Nothing listens on port 1: the batch's one request cannot be sent.
    const { table, sent } = recordedTable({
      client: new DynamoDBClient({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 }),
    });
    const reads = await Promise.allSettled([
      storeCall('read an appliance', () => table.read(key('A#1'))),
      storeCall('read a client', () => table.read(key('A#2'))),
    ]);
    expect(sent).toHaveLength(1);
    expect(reads.map((read) => (read as PromiseRejectedResult).reason)).toEqual([
      new StoreUnavailableError('state store unavailable while trying to read an appliance'),
      new StoreUnavailableError('state store unavailable while trying to read a client'),
    ]);
  });
});
