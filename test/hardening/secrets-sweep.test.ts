import { randomBytes } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logger } from '../../shared/observability.js';
import { putAppliance } from '../../shared/registry/admin.js';
import {
  type BrokerCaller,
  type CallOptions,
  type CallResult,
  deviceOfType,
  mintTicket,
  newLink,
  problemType,
  startTestBroker,
  steppableClock,
  type TestBroker,
} from '../support/broker.js';

/**
 * The secrets sweep: a full session through the local server (every route, the usual mistakes, appliance
 * faults), with every line the process wrote and every response kept. Afterwards no appliance password, no
 * appliance JWT (as the simulator issued them), no API key (valid or presented), no link token outside the
 * response that created it and no viewer ticket outside the one response that carries it may appear anywhere;
 * nor may any of them sit in plain text in the DynamoDB table.
 */

const HOLD_SECONDS = 1;
/** The stored password of a second registration that the appliance refuses. */
const WRONG_PASSWORD = `wrong-${randomBytes(12).toString('base64url')}`;
/** A well-formed key no client has. */
const PRESENTED_KEY = `test-unknown-${randomBytes(24).toString('base64url')}`;

let t: TestBroker;
/** The broker's clock: the test steps it past the refused-login hold instead of sleeping. */
const clock = steppableClock();
const jwts = new Set<string>();
const tickets = new Set<string>();
const tokens = new Set<string>();
/** Every response: status line, headers and body, as one text each. */
const responses: { what: string; text: string }[] = [];

interface SimInternals {
  login(req: unknown): Promise<{ status: number; body?: string }>;
  mintTicket(): string;
}

beforeAll(async () => {
  t = await startTestBroker({
    clock: clock.now,
    env: {
      APPLIANCE_REQUEST_TIMEOUT_MS: '1000',
      LOGIN_FAILURE_HOLD_SECONDS: String(HOLD_SECONDS),
      CLIENT_RATE_LIMIT_PER_MINUTE: '100000',
      LAUNCH_FAILURES_PER_MINUTE: '100000',
    },
  });
  // Every level, so a secret in a debug line counts too.
  logger.setLogLevel('DEBUG');
  // The simulator issues the JWTs and tickets: record each one as it leaves the appliance.
  const sim = t.sim as unknown as SimInternals;
  const login = sim.login.bind(sim);
  sim.login = async (req) => {
    const reply = await login(req);
    if (reply.status === 201 && reply.body) jwts.add(JSON.parse(reply.body).jwt);
    return reply;
  };
  const mintTicket = sim.mintTicket.bind(sim);
  sim.mintTicket = () => {
    const ticket = mintTicket();
    tickets.add(ticket);
    return ticket;
  };
  // A second registration of the same appliance whose stored password is wrong.
  await putAppliance(
    t.broker,
    {
      id: 'badpw',
      name: 'Wrong password',
      baseUrl: t.sim.url,
      kind: 'dsview',
      platform: 'MP1000',
      firmwareVersion: '3.33.8',
      tls: { caPem: t.sim.certPem },
    },
    { username: t.sim.username, password: WRONG_PASSWORD },
  );
});
afterAll(async () => {
  logger.setLogLevel('INFO');
  await t?.close();
});

async function call(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const response = await t.call(method, path, options);
  responses.push({
    what: `${method} ${path} → ${response.status}`,
    text: `${response.status}\n${JSON.stringify(response.headers)}\n${response.text}`,
  });
  return response;
}

describe('a full session', () => {
  it('leaves no password, JWT, API key, link token or stray ticket in any log line, response or table item', async () => {
    const { admin, reader, operator, outsider } = t.keys;
    /** The shared helpers, with every response recorded. */
    const recorded: BrokerCaller = { call, keys: t.keys, sim: t.sim };
    const kvmId = deviceOfType(t.sim);
    const ticketPath = `/v1/appliances/lab/devices/${kvmId}/tickets`;
    const mint = (key = operator, body?: Record<string, unknown>) => mintTicket(recorded, kvmId, key, body);
    const createLink = async (singleUse: boolean) => {
      const link = await newLink(recorded, { sharingMode: 'ACTIVE', singleUse });
      tokens.add(link.token);
      return link;
    };

    // Every route, working.
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('GET', '/openapi.json')).status).toBe(200);
    expect((await call('POST', '/v1/appliances/lab/login', { key: admin })).status).toBe(200);
    expect((await call('POST', '/v1/appliances/lab/login', { key: admin })).json.reused).toBe(true);
    expect((await call('GET', '/v1/appliances/lab/devices?type=ADX-IP-IQ', { key: reader })).status).toBe(
      200,
    );
    expect((await mint()).status).toBe(201);
    expect((await mint()).status).toBe(201);
    const once = await createLink(true);
    const many = await createLink(false);
    const revoked = await createLink(false);
    expect((await call('HEAD', once.path)).status).toBe(204);
    expect((await call('GET', once.path)).status).toBe(302);
    expect((await call('GET', once.path)).status).toBe(410);
    expect((await call('GET', many.path)).status).toBe(302);
    expect((await call('DELETE', `/v1/links/${revoked.id}`, { key: operator })).status).toBe(204);
    expect((await call('GET', revoked.path)).status).toBe(404);
    const sync = await call('POST', '/v1/inventory/sync', { key: admin });
    expect(sync.json.appliances.map((a: { status: string }) => a.status).sort()).toEqual(['error', 'ok']);
    const page = await call('GET', '/v1/devices?applianceId=lab&limit=3', { key: reader });
    expect(page.json.nextCursor).toBeTruthy();
    const next = `/v1/devices?applianceId=lab&limit=3&cursor=${encodeURIComponent(page.json.nextCursor)}`;
    expect((await call('GET', next, { key: reader })).status).toBe(200);
    expect((await call('GET', '/v1/audit?limit=5', { key: admin })).status).toBe(200);

    // The usual mistakes.
    expect((await call('GET', '/v1/devices')).status).toBe(401);
    expect((await call('GET', '/v1/devices', { key: PRESENTED_KEY })).status).toBe(401);
    expect((await mint(outsider)).status).toBe(403);
    expect((await mint(operator, { viewerType: 'RDP' })).status).toBe(400);
    expect((await call('POST', ticketPath, { key: operator, rawBody: '{"viewerType":' })).status).toBe(400);
    const pad = 'x'.repeat(20_000);
    expect((await mint(operator, { viewerType: 'KVM', pad })).status).toBe(413);
    expect((await call('PUT', '/v1/links', { key: operator })).status).toBe(405);
    expect((await call('GET', `/launch/${randomBytes(24).toString('base64url')}`)).status).toBe(404);
    expect((await call('DELETE', '/v1/links/lnk_AAAAAAAAAAAAAAAAAAAA', { key: operator })).status).toBe(404);
    expect((await call('POST', '/v1/appliances/badpw/login', { key: admin })).status).toBe(502);

    // Appliance faults.
    t.sim.expireAllJwts();
    expect((await mint()).status).toBe(201);
    t.sim.forgetAllSessions();
    expect((await call('GET', many.path)).status).toBe(302);
    t.sim.failNext(2, { status: 503, endpoint: 'ticket' });
    expect((await mint()).status).toBe(502);
    t.sim.failNext(2, { status: 503, endpoint: 'ticket' });
    expect((await call('GET', many.path)).status).toBe(502);
    t.sim.garbageNext(2, { endpoint: 'ticket' });
    expect((await mint()).status).toBe(502);
    expect((await call('GET', many.path)).status).toBe(502);
    t.sim.hang(true);
    try {
      expect((await mint()).status).toBe(504);
      expect((await call('GET', many.path)).status).toBe(504);
    } finally {
      t.sim.hang(false);
    }
    await t.sim.down();
    try {
      expect((await mint()).status).toBe(502);
      expect((await call('POST', '/v1/inventory/sync', { key: admin })).status).toBe(200);
    } finally {
      await t.sim.up();
    }
    t.sim.forgetAllSessions();
    t.sim.rejectLogins(true);
    try {
      const refused = await mint();
      expect(refused.json.type).toBe(problemType('appliance-credentials-rejected'));
      expect((await call('GET', many.path)).status).toBe(502);
      expect((await call('POST', '/v1/inventory/sync', { key: admin })).status).toBe(200);
    } finally {
      t.sim.rejectLogins(false);
    }
    clock.advance(HOLD_SECONDS * 1000 + 200);
    expect((await mint()).status).toBe(201);
    expect((await call('GET', many.path)).status).toBe(302);
    expect((await call('GET', '/v1/audit?limit=100', { key: admin })).status).toBe(200);

    // What the session saw.
    expect(jwts.size).toBeGreaterThanOrEqual(3);
    expect(tickets.size).toBeGreaterThanOrEqual(6);
    expect(tokens.size).toBe(3);
    const logs = t.output.join('');
    expect(logs).toContain('launch audit');
    expect(logs).toContain(problemType('appliance-credentials-rejected'));
    const { Items = [] } = await t.aws.doc.send(new ScanCommand({ TableName: t.aws.tableName }));
    const table = JSON.stringify(Items);
    expect(Items.length).toBeGreaterThan(10);

    const holders = (secret: string) => responses.filter((r) => r.text.includes(secret)).map((r) => r.what);
    const never: [string, string][] = [
      ['the appliance password', t.sim.password],
      ['a refused stored password', WRONG_PASSWORD],
      ['a presented unknown API key', PRESENTED_KEY],
      ...Object.entries(t.keys).map(([name, key]): [string, string] => [`the ${name} API key`, key]),
      ...[...jwts].map((jwt, i): [string, string] => [`appliance JWT ${i}`, jwt]),
      // The JWT's signature alone, in case a layer split it.
      ...[...jwts].map((jwt, i): [string, string] => [
        `appliance JWT ${i} signature`,
        jwt.split('.')[2] ?? jwt,
      ]),
    ];
    for (const [what, secret] of never) {
      expect(logs.includes(secret), `${what} is in the logs`).toBe(false);
      expect(holders(secret), `${what} is in a response`).toEqual([]);
      expect(table.includes(secret), `${what} is in the table`).toBe(false);
    }
    for (const ticket of tickets) {
      expect(logs.includes(ticket), 'a ticket is in the logs').toBe(false);
      expect(table.includes(ticket), 'a ticket is in the table').toBe(false);
      expect(holders(ticket).length, `ticket in ${holders(ticket).join(', ')}`).toBeLessThanOrEqual(1);
    }
    // Tickets minted for requests that then failed (none here) would be in no response; every other one in one.
    expect(responses.filter((r) => [...tickets].some((ticket) => r.text.includes(ticket))).length).toBe(
      tickets.size,
    );
    for (const token of tokens) {
      expect(logs.includes(token), 'a link token is in the logs').toBe(false);
      expect(table.includes(token), 'a link token is in the table').toBe(false);
      expect(holders(token), 'a link token outside its create response').toEqual([
        expect.stringMatching(/^POST \/v1\/links → 201$/),
      ]);
    }
    const jwtShape = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;
    expect(logs).not.toMatch(jwtShape);
    expect(responses.filter((r) => jwtShape.test(r.text)).map((r) => r.what)).toEqual([]);
  }, 60_000);
});
