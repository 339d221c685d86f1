import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import {
  deviceOfType,
  mintTicket,
  newLink,
  problemType,
  startTestBroker,
  type TestBroker,
} from '../support/broker.js';

let engine: DynamoDbLocal;
let dataDir: string;
let t: TestBroker;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'clb-outage-'));
  engine = await startDynamoDbLocal({ dataDir });
  t = await startTestBroker({ dynamodbEndpoint: engine.endpoint });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await engine?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the DynamoDB engine stops mid-run', () => {
  it('answers 503 (problem or page), loses nothing, and recovers when the engine is back', async () => {
    const deviceId = deviceOfType(t.sim);
    const mint = () => mintTicket(t, deviceId, t.keys.admin);
    expect((await mint()).status).toBe(201);
    const { path: launchPath } = await newLink(t, { deviceId, singleUse: true }, t.keys.admin);

    await engine.stop();
    const ticket = await mint();
    expect(ticket.status).toBe(503);
    expect(ticket.json.type).toBe(problemType('store-unavailable'));
    expect(ticket.json.detail).not.toMatch(/ECONNREFUSED|at .*\.ts/);
    const click = await t.call('GET', launchPath);
    expect(click.status).toBe(503);
    expect(click.headers['content-type']).toContain('text/html');
    expect((await t.call('HEAD', launchPath)).status).toBe(503);
    expect((await t.call('GET', '/health')).status).toBe(200);
    // A key no process has seen needs the store: the authorizer cannot decide, says so in the log.
    const stranger = await t.call('GET', '/v1/appliances', { key: `clb_${'k'.repeat(40)}` });
    expect(stranger.status).toBe(503);
    expect(stranger.json.detail).toContain('state or secret store');
    expect(t.output.join('')).toContain('authorizer could not decide');

    engine = await startDynamoDbLocal({ dataDir, port: engine.port });
    expect((await mint()).status).toBe(201);
    const later = await t.call('GET', launchPath);
    expect(later.status).toBe(302);
  }, 60_000);
});
