import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { TABLE_KEYS } from '../../shared/store/table-schema.js';
import { type LocalAws, useLocalAws } from '../support/aws.js';

/** The local addresses (kernel hex) of every TCP socket listening on `port`, IPv4 and IPv6. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter(([, local, , state]) => state === '0A' && local?.endsWith(`:${hexPort}`))
      .map(([, local]) => (local ?? '').split(':')[0] ?? ''),
  );
}

/** 127.0.0.1, ::ffff:127.0.0.1 and ::1 as /proc/net/tcp{,6} print them. */
const LOOPBACK_HEX = new Set([
  '0100007F',
  '0000000000000000FFFF00000100007F',
  '00000000000000000000000001000000',
]);

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

describe('shared DynamoDB Local engine', () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await useLocalAws();
  });
  afterAll(() => {
    aws?.dynamodb.destroy();
  });

  it('creates the broker table from the shared schema', async () => {
    expect(aws.tableName).toMatch(/^test-[0-9a-f]+$/);
    expect(process.env['TABLE_NAME']).toBe(aws.tableName);
    const { Table } = await aws.dynamodb.send(new DescribeTableCommand({ TableName: aws.tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.IndexStatus])).toEqual([
      [TABLE_KEYS.gsi1.name, 'ACTIVE'],
    ]);
  });

  it('round-trips an item through lib-dynamodb and the GSI, using only the env-var endpoint', async () => {
    const item = {
      pk: 'APPLIANCE#a1',
      sk: 'META',
      gsi1pk: 'TENANT#t1',
      gsi1sk: 'APPLIANCE#a1',
      nested: { n: 1 },
    };
    await aws.doc.send(new PutCommand({ TableName: aws.tableName, Item: item }));
    const { Item } = await aws.doc.send(
      new GetCommand({ TableName: aws.tableName, Key: { pk: 'APPLIANCE#a1', sk: 'META' } }),
    );
    expect(Item).toEqual(item);
    const { Items } = await aws.doc.send(
      new QueryCommand({
        TableName: aws.tableName,
        IndexName: TABLE_KEYS.gsi1.name,
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': 'TENANT#t1' },
      }),
    );
    expect(Items).toEqual([item]);
  });

  it('enables TTL on the ttl attribute', async () => {
    const { TimeToLiveDescription } = await aws.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: aws.tableName }),
    );
    expect(TimeToLiveDescription).toEqual({ AttributeName: 'ttl', TimeToLiveStatus: 'ENABLED' });
  });

  it('ensureTable is idempotent, including concurrent callers', async () => {
    await ensureTable(aws.dynamodb, aws.tableName);
    const name = `${aws.tableName}-race`;
    await Promise.all([ensureTable(aws.dynamodb, name), ensureTable(aws.dynamodb, name)]);
    const { TimeToLiveDescription } = await aws.dynamodb.send(
      new DescribeTimeToLiveCommand({ TableName: name }),
    );
    expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
  });
});

describe('startDynamoDbLocal', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ddb-local-test-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['an absolute', () => join(dataDir, 'nested', 'db')],
    ['a relative', () => relative(process.cwd(), join(dataDir, 'relative', 'db'))],
  ])(
    'keeps data in %s dataDir across stop and start',
    async (_kind, dirFor) => {
      const dir = dirFor();
      const first = await startDynamoDbLocal({ dataDir: dir });
      expect(first.endpoint).toBe(`http://127.0.0.1:${first.port}`);
      const client = clientFor(first.endpoint);
      try {
        await ensureTable(client, 'persisted');
        await DynamoDBDocumentClient.from(client).send(
          new PutCommand({ TableName: 'persisted', Item: { pk: 'k', sk: 's', value: 'kept' } }),
        );
      } finally {
        client.destroy();
        await first.stop();
      }
      await expect(clientFor(first.endpoint).send(new ListTablesCommand({}))).rejects.toThrow();

      const second = await startDynamoDbLocal({ dataDir: dir });
      const client2 = clientFor(second.endpoint);
      try {
        await ensureTable(client2, 'persisted');
        const { Item } = await DynamoDBDocumentClient.from(client2).send(
          new GetCommand({ TableName: 'persisted', Key: { pk: 'k', sk: 's' } }),
        );
        expect(Item).toEqual({ pk: 'k', sk: 's', value: 'kept' });
      } finally {
        client2.destroy();
        await second.stop();
      }
      // Two JVM starts and stops: ~12 s alone, past the default 30 s on a loaded machine (as store-outage's).
    },
    60_000,
  );

  it('explains how to install Java when it is missing', async () => {
    await expect(startDynamoDbLocal({ javaCommand: join(dataDir, 'no-such-java') })).rejects.toThrow(
      /Java 17.*apt-get install openjdk-17-jre-headless/s,
    );
  });

  it('reports the output tail when the engine exits early', async () => {
    // Node rejects the JVM-style flags on stderr and exits at once: a fast, deterministic early exit.
    await expect(startDynamoDbLocal({ javaCommand: process.execPath })).rejects.toThrow(
      /exited before it was ready \(code 9[\s\S]*output ended with:\n.*bad option: -Djava\.library\.path/,
    );
  });

  it('says why when the engine itself refuses to start (it reports on stdout)', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      await expect(startDynamoDbLocal({ port })).rejects.toThrow(/output ended with:[\s\S]*in use/i);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it.runIf(existsSync('/proc/net/tcp6'))(
    'listens on loopback only',
    async () => {
      const engine = await startDynamoDbLocal();
      try {
        const addresses = listeningAddresses(engine.port);
        expect(addresses.length).toBeGreaterThan(0);
        for (const address of addresses) expect(LOOPBACK_HEX).toContain(address);
      } finally {
        await engine.stop();
      }
    },
    60_000,
  );
});
