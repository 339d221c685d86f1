import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemType, startTestBroker, type TestBroker } from '../support/broker.js';

let t: TestBroker;

beforeAll(async () => {
  t = await startTestBroker({ env: { CLIENT_RATE_LIMIT_PER_MINUTE: '5', LAUNCH_FAILURES_PER_MINUTE: '3' } });
});
afterAll(async () => {
  await t?.close();
});

describe('per-client rate limit', () => {
  it('answers 429 with Retry-After once a client exceeds its budget, without touching other clients', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await t.call('GET', '/v1/devices', { key: t.keys.reader })).status);
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const limited = await t.call('GET', '/v1/devices', { key: t.keys.reader });
    expect(limited.json.type).toBe(problemType('rate-limited'));
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await t.call('GET', '/v1/devices', { key: t.keys.admin })).status).toBe(200);
  });

  it('stores every request in the count, including those counted beside the work', async () => {
    const { table } = t.broker;
    const countOf = async (clientId: string) => {
      const { Items } = await table.doc.send(
        new QueryCommand({
          TableName: table.name,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `RATE#client#${clientId}` },
        }),
      );
      return (Items ?? []).reduce((sum, item) => sum + Number(item.count), 0);
    };
    const before = await countOf('outsider');
    for (let i = 0; i < 3; i++) await t.call('GET', '/v1/devices', { key: t.keys.outsider });
    expect((await countOf('outsider')) - before).toBe(3);
  });
});

describe('link guessing', () => {
  it('cools a source address down after repeated unknown tokens, with a 429 page', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await t.call('GET', `/launch/${'A'.repeat(31)}${i}`)).status);
    }
    expect(statuses.slice(0, 4)).toEqual([404, 404, 404, 404]);
    const limited = await t.call('GET', `/launch/${'B'.repeat(32)}`);
    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toContain('text/html');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
