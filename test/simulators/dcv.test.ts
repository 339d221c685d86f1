import { X509Certificate } from 'node:crypto';
import { Agent, fetch } from 'undici';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  type DcvSimulator,
  type DcvSimulatorOptions,
  generatedSessions,
  SESSION_STATES,
  type SimSession,
  startDcvSimulator,
} from '../../simulators/dcv/simulator.js';
import {
  type Answer,
  callSimulator,
  manualClock,
  pinnedAgent,
  startSimulatorMain,
  terminate,
} from '../support/simulator-http.js';

const agents: Agent[] = [];
afterAll(async () => {
  await Promise.all(agents.map((agent) => agent.close()));
});

/** Pinned to this simulator's certificate, and closed when the file ends. */
function trustingAgent(sim: DcvSimulator): Agent {
  const agent = pinnedAgent(sim.certPem);
  agents.push(agent);
  return agent;
}

const dispatchers = new WeakMap<DcvSimulator, Agent>();

async function start(options: DcvSimulatorOptions = {}): Promise<DcvSimulator> {
  const sim = await startDcvSimulator(options);
  dispatchers.set(sim, trustingAgent(sim));
  onTestFinished(() => sim.close());
  return sim;
}

interface CallInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

function call(sim: DcvSimulator, path: string, init: CallInit = {}): Promise<Answer> {
  return callSimulator(sim, path, { ...init, dispatcher: dispatchers.get(sim) ?? trustingAgent(sim) });
}

function basic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

const FORM = 'application/x-www-form-urlencoded';

async function requestToken(
  sim: DcvSimulator,
  overrides: { authorization?: string; contentType?: string; query?: string; body?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    authorization: overrides.authorization ?? basic(sim.credentials.clientId, sim.credentials.clientSecret),
  };
  if (overrides.contentType !== '') headers['content-type'] = overrides.contentType ?? FORM;
  return call(sim, `/oauth2/token${overrides.query ?? '?grant_type=client_credentials'}`, {
    method: 'POST',
    headers,
    body: overrides.body ?? '',
  });
}

async function accessToken(sim: DcvSimulator): Promise<string> {
  const answer = await requestToken(sim);
  expect(answer.status).toBe(200);
  return answer.json<{ access_token: string }>().access_token;
}

async function describeSessions(sim: DcvSimulator, token: string, body?: unknown): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return call(sim, '/describeSessions', {
    method: 'POST',
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function connectionData(sim: DcvSimulator, token: string, sessionId: string, user: string) {
  return call(sim, `/sessionConnectionData/${encodeURIComponent(sessionId)}/${encodeURIComponent(user)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

async function connectionToken(sim: DcvSimulator, token: string, sessionId: string): Promise<string> {
  const answer = await connectionData(sim, token, sessionId, 'user1');
  expect(answer.status).toBe(200);
  return answer.json<{ ConnectionToken: string }>().ConnectionToken;
}

function readySession(sim: DcvSimulator, type: 'CONSOLE' | 'VIRTUAL' = 'VIRTUAL'): SimSession {
  const session = sim.sessions.find((s) => s.State === 'READY' && s.Type === type);
  if (!session) throw new Error('no READY session');
  return session;
}

function sessionIn(sim: DcvSimulator, state: string): SimSession {
  const session = sim.sessions.find((s) => s.State === state);
  if (!session) throw new Error(`no ${state} session`);
  return session;
}

function jwtPart(jwt: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[index] ?? '', 'base64url').toString('utf8'));
}

async function control(sim: DcvSimulator, body: unknown): Promise<Answer> {
  return call(sim, '/__sim/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

interface SessionsPage {
  Sessions: Record<string, unknown>[];
  NextToken: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('identity', () => {
  it('pins by its self-signed certificate and registers like register-api-client prints', async () => {
    const sim = await start();
    expect(sim.kind).toBe('dcv');
    expect(sim.url).toBe(`https://127.0.0.1:${sim.port}`);
    expect(sim.fingerprint256).toBe(new X509Certificate(sim.certPem).fingerprint256);
    expect(sim.credentials.clientId).toMatch(UUID);
    expect(sim.credentials.clientSecret).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(sim.credentials.clientSecret, 'base64').toString('base64')).toBe(
      sim.credentials.clientSecret,
    );
    const other = await start();
    expect(other.credentials.clientId).not.toBe(sim.credentials.clientId);
  });
});

describe('POST /oauth2/token', () => {
  it('issues an RS256 bearer JWT whose lifetime follows the injected clock', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now });
    const answer = await requestToken(sim);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const body = answer.json<{ access_token: string; token_type: string; expires_in: number }>();
    expect(body.token_type).toBe('bearer');
    expect(body.expires_in).toBe(3600);
    expect(jwtPart(body.access_token, 0)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const claims = jwtPart(body.access_token, 1);
    expect(claims['iat']).toBe(clock.now() / 1000);
    expect(claims['exp']).toBe(clock.now() / 1000 + 3600);
    expect(claims['sub']).toBe(sim.credentials.clientId);
    expect(sim.counters).toMatchObject({ tokenRequests: 1, logins: 1, failedLogins: 0 });

    const short = await start({ now: clock.now, tokenTtlSeconds: 90 });
    const shortBody = (await requestToken(short)).json<{ access_token: string; expires_in: number }>();
    expect(shortBody.expires_in).toBe(90);
    expect(jwtPart(shortBody.access_token, 1)['exp']).toBe(clock.now() / 1000 + 90);
  });

  it('answers 401 invalid_client with a Basic challenge for a wrong, missing or malformed client', async () => {
    const sim = await start({ clientId: '794b2dbb-bd82-4707-a2f7-f3d9899cb386', clientSecret: 'c2VjcmV0' });
    const cases = [
      basic(sim.credentials.clientId, 'd3Jvbmc='),
      basic('00000000-0000-4000-8000-000000000000', sim.credentials.clientSecret),
      `Bearer ${sim.credentials.clientSecret}`,
      `Basic ${Buffer.from(sim.credentials.clientId).toString('base64')}`,
      'Basic',
    ];
    for (const authorization of cases) {
      const answer = await requestToken(sim, { authorization });
      expect(answer.status, authorization).toBe(401);
      expect(answer.json()).toMatchObject({ error: 'invalid_client' });
      expect(answer.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect(answer.text).not.toContain(sim.credentials.clientSecret);
    }
    expect(sim.counters).toMatchObject({ tokenRequests: 5, logins: 0, failedLogins: 5 });
  });

  it('answers 400 for the wrong content type, a missing grant_type or another grant', async () => {
    const sim = await start();
    const json = await requestToken(sim, { contentType: 'application/json', body: '{}' });
    expect(json.status).toBe(400);
    expect(json.json()).toMatchObject({ error: 'invalid_request' });
    expect((await requestToken(sim, { contentType: '' })).status).toBe(400);

    const missing = await requestToken(sim, { query: '' });
    expect(missing.status).toBe(400);
    expect(missing.json()).toMatchObject({ error: 'invalid_request' });
    const password = await requestToken(sim, { query: '?grant_type=password' });
    expect(password.status).toBe(400);
    expect(password.json()).toMatchObject({ error: 'unsupported_grant_type' });

    // RFC 6749 puts grant_type in the form body; the guide puts it in the query. Both work.
    const inBody = await requestToken(sim, { query: '', body: 'grant_type=client_credentials' });
    expect(inBody.status).toBe(200);
    const charset = await requestToken(sim, { contentType: `${FORM}; charset=UTF-8` });
    expect(charset.status).toBe(200);

    const get = await call(sim, '/oauth2/token?grant_type=client_credentials');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('refuses good credentials while rejectLogins is on', async () => {
    const sim = await start();
    sim.rejectLogins(true);
    expect((await requestToken(sim)).status).toBe(401);
    sim.rejectLogins(false);
    expect((await requestToken(sim)).status).toBe(200);
  });
});

describe('bearer access tokens', () => {
  it('needs one on every API call; unknown, foreign and malformed tokens get 401', async () => {
    const sim = await start();
    const session = readySession(sim);
    const none = await call(sim, '/describeSessions', { method: 'POST' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const noneLaunch = await call(sim, `/sessionConnectionData/${session.Id}/user1`);
    expect(noneLaunch.status).toBe(401);

    const other = await start();
    const foreign = await accessToken(other);
    const token = await accessToken(sim);
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    for (const bad of [foreign, forged, 'garbage', `${token}x`]) {
      const answer = await describeSessions(sim, bad);
      expect(answer.status).toBe(401);
      expect(answer.json()).toMatchObject({ error: 'invalid_token' });
      expect(answer.text).not.toContain(bad);
    }
    expect(sim.counters.unauthorized).toBe(6);
    expect((await describeSessions(sim, token)).status).toBe(200);
  });

  it('expires on the injected clock, and revokeAllTokens/expireAllTokens end every token issued', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now, tokenTtlSeconds: 600 });
    const token = await accessToken(sim);
    clock.advance(599_999);
    expect((await describeSessions(sim, token)).status).toBe(200);
    clock.advance(1);
    const expired = await describeSessions(sim, token);
    expect(expired.status).toBe(401);
    expect(expired.json<{ error_description: string }>().error_description).toContain('expired');

    const revoked = await accessToken(sim);
    sim.revokeAllTokens();
    expect((await describeSessions(sim, revoked)).status).toBe(401);
    const fresh = await accessToken(sim);
    expect((await describeSessions(sim, fresh)).status).toBe(200);
    sim.expireAllTokens();
    expect((await describeSessions(sim, fresh)).status).toBe(401);
    expect((await describeSessions(sim, await accessToken(sim))).status).toBe(200);
  });
});

describe('POST /describeSessions', () => {
  it('lists sessions in every state with the fact sheet types (Server.Port a string, Endpoints[].Port an integer)', async () => {
    const sim = await start({ hostname: 'dcv-lab-07' });
    const token = await accessToken(sim);
    const answer = await describeSessions(sim, token);
    expect(answer.status).toBe(200);
    const body = answer.json<SessionsPage & { RequestId: string }>();
    expect(body.RequestId).toMatch(UUID);
    expect(body.NextToken).toBeNull();
    expect(body.Sessions).toHaveLength(20);
    expect(new Set(body.Sessions.map((s) => s['State']))).toEqual(new Set(SESSION_STATES));
    expect(new Set(body.Sessions.map((s) => s['Type']))).toEqual(new Set(['CONSOLE', 'VIRTUAL']));
    expect(body.Sessions.filter((s) => s['State'] === 'READY').length).toBeGreaterThanOrEqual(16);
    const first = body.Sessions[0] ?? {};
    expect(first['Id']).toMatch(UUID);
    expect(first['Tags']).toBeUndefined();
    expect(first['Server']).toMatchObject({
      Ip: '127.0.0.1',
      Hostname: 'dcv-lab-07',
      Port: String(sim.port),
      WebUrlPath: '/',
      Endpoints: [{ IpAddress: '127.0.0.1', Port: sim.port, WebUrlPath: '/', Protocol: 'HTTP' }],
      Tags: [
        { Key: 'os', Value: 'windows' },
        { Key: 'team', Value: 'team-1' },
      ],
    });
    expect(typeof first['CreationTime']).toBe('string');
    expect(typeof first['NumOfConnections']).toBe('number');
    expect(sim.counters).toMatchObject({ describeCalls: 1, lists: 1 });
  });

  it('pages 2,500 sessions: 1000 by default, MaxResults otherwise, NextToken null on the last page', async () => {
    const sim = await start({ sessionCount: 2500 });
    const token = await accessToken(sim);
    const pageSizes = async (maxResults?: number): Promise<{ sizes: number[]; ids: string[] }> => {
      const sizes: number[] = [];
      const ids: string[] = [];
      let next: string | null = null;
      for (let round = 0; round < 20; round++) {
        const body: Record<string, unknown> = {};
        if (maxResults !== undefined) body['MaxResults'] = maxResults;
        if (next !== null) body['NextToken'] = next;
        const answer = await describeSessions(sim, token, body);
        expect(answer.status).toBe(200);
        const page = answer.json<SessionsPage>();
        sizes.push(page.Sessions.length);
        ids.push(...page.Sessions.map((s) => String(s['Id'])));
        next = page.NextToken;
        if (next === null) break;
      }
      return { sizes, ids };
    };
    const byDefault = await pageSizes();
    expect(byDefault.sizes).toEqual([1000, 1000, 500]);
    expect(byDefault.ids).toEqual(sim.sessions.map((s) => s.Id));
    const small = await pageSizes(700);
    expect(small.sizes).toEqual([700, 700, 700, 400]);
    expect(new Set(small.ids).size).toBe(2500);
    expect((await pageSizes(1000)).sizes).toEqual([1000, 1000, 500]);
    expect((await pageSizes(1)).sizes.slice(0, 3)).toEqual([1, 1, 1]);
  });

  it('refuses MaxResults outside 1-1000 and NextTokens that are forged or belong to another query', async () => {
    const sim = await start({ sessionCount: 50 });
    const token = await accessToken(sim);
    for (const MaxResults of [0, 1001, -1, 1.5, '10', true]) {
      const answer = await describeSessions(sim, token, { MaxResults });
      expect(answer.status, String(MaxResults)).toBe(400);
      expect(answer.text).toContain('MaxResults');
    }
    expect((await describeSessions(sim, token, { MaxResults: null })).status).toBe(200);

    const first = (await describeSessions(sim, token, { MaxResults: 10 })).json<SessionsPage>();
    const next = first.NextToken ?? '';
    expect(next).not.toBe('');
    const tampered = `${next.slice(0, -2)}${next.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await describeSessions(sim, token, { NextToken: tampered })).status).toBe(400);
    expect((await describeSessions(sim, token, { NextToken: 'garbage' })).status).toBe(400);
    const otherQuery = { NextToken: next, Filters: [{ Key: 'owner', Value: 'alice' }] };
    expect((await describeSessions(sim, token, otherQuery)).status).toBe(400);
    const second = (
      await describeSessions(sim, token, { NextToken: next, MaxResults: 10 })
    ).json<SessionsPage>();
    expect(second.Sessions[0]?.['Id']).toBe(sim.sessions[10]?.Id);
  });

  it('filters by owner and tag:<key> (AND) and by SessionIds; refuses unknown filters and bad bodies', async () => {
    const sim = await start({ sessionCount: 100 });
    const token = await accessToken(sim);
    const list = async (body: unknown) =>
      (await describeSessions(sim, token, body)).json<SessionsPage>().Sessions;
    const owned = await list({ Filters: [{ Key: 'owner', Value: 'alice' }] });
    expect(owned.length).toBe(20);
    expect(owned.every((s) => s['Owner'] === 'alice')).toBe(true);
    const windows = await list({ Filters: [{ Key: 'tag:os', Value: 'windows' }] });
    const tagsOf = (s: Record<string, unknown>) =>
      (s['Server'] as { Tags: { Key: string; Value: string }[] }).Tags;
    expect(windows.length).toBeGreaterThan(0);
    expect(windows.every((s) => tagsOf(s).some((t) => t.Key === 'os' && t.Value === 'windows'))).toBe(true);
    const both = await list({
      Filters: [
        { Key: 'owner', Value: 'alice' },
        { Key: 'tag:os', Value: 'windows' },
      ],
    });
    expect(both.length).toBeGreaterThan(0);
    expect(both.length).toBeLessThan(Math.min(owned.length, windows.length));
    expect((await list({ Filters: [{ Key: 'tag:nope', Value: 'x' }] })).length).toBe(0);

    const ids = [sim.sessions[3]?.Id, sim.sessions[42]?.Id, 'no-such-session'];
    expect((await list({ SessionIds: ids })).map((s) => s['Id'])).toEqual(ids.slice(0, 2));

    for (const bad of [
      { Filters: [{ Key: 'state', Value: 'READY' }] },
      { Filters: [{ Key: 'owner' }] },
      { Filters: 'owner=alice' },
      { SessionIds: 'abc' },
      [],
    ]) {
      expect((await describeSessions(sim, token, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const notJson = await call(sim, '/describeSessions', { method: 'POST', headers, body: '{"MaxResults":' });
    expect(notJson.status).toBe(400);
    const text = await call(sim, '/describeSessions', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(text.status).toBe(415);
  });
});

describe('GET /sessionConnectionData/{sessionId}/{user}', () => {
  it('mints a new single-use connection JWT on every call, with the session as DescribeSessions shows it', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now });
    const token = await accessToken(sim);
    const session = readySession(sim);
    const answer = await connectionData(sim, token, session.Id, 'user1');
    expect(answer.status).toBe(200);
    const body = answer.json<{ Session: Record<string, unknown>; ConnectionToken: string }>();
    const listed = (await describeSessions(sim, token, { SessionIds: [session.Id] })).json<SessionsPage>();
    expect(body.Session).toEqual(listed.Sessions[0]);
    expect(jwtPart(body.ConnectionToken, 0)).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    expect(jwtPart(body.ConnectionToken, 1)['exp']).toBe(clock.now() / 1000 + 3600);
    const again = await connectionToken(sim, token, session.Id);
    expect(again).not.toBe(body.ConnectionToken);
    expect(sim.counters).toMatchObject({ connectionTokens: 2, launches: 2 });
  });

  it('answers 404 for an unknown session (400 with unknownSessionStatus) and 400 for a bad user name', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const unknown = await connectionData(sim, token, '00000000-0000-4000-8000-000000000000', 'user1');
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ message: 'The requested dcvSession does not exist' });
    const session = readySession(sim);
    for (const user of ['bad user', 'a/b', 'x:y', '-rf', 'a'.repeat(65), '%']) {
      const answer = await connectionData(sim, token, session.Id, user);
      expect(answer.status, user).toBe(400);
    }
    for (const user of ['CORP\\alice', 'bob@example.com', 'svc_dcv-01']) {
      expect((await connectionData(sim, token, session.Id, user)).status, user).toBe(200);
    }
    const malformed = await call(sim, `/sessionConnectionData/${session.Id}/%E0%A4%A`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(malformed.status).toBe(400);

    const strict = await start({ unknownSessionStatus: 400, knownUsers: ['alice'] });
    const strictToken = await accessToken(strict);
    const strictSession = readySession(strict);
    expect((await connectionData(strict, strictToken, 'nope', 'alice')).status).toBe(400);
    expect((await connectionData(strict, strictToken, strictSession.Id, 'user1')).status).toBe(400);
    expect((await connectionData(strict, strictToken, strictSession.Id, 'alice')).status).toBe(200);
  });

  it('refuses sessions that are not READY (400, or 409 with notReadyStatus) and follows setState', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    for (const state of ['CREATING', 'DELETING', 'DELETED', 'UNKNOWN']) {
      const answer = await connectionData(sim, token, sessionIn(sim, state).Id, 'user1');
      expect(answer.status, state).toBe(400);
      expect(answer.text).toContain(state);
    }
    const session = readySession(sim, 'CONSOLE');
    sim.setState(session.Id, 'DELETING');
    expect((await connectionData(sim, token, session.Id, 'user1')).status).toBe(400);
    const listed = (await describeSessions(sim, token, { SessionIds: [session.Id] })).json<SessionsPage>();
    expect(listed.Sessions[0]?.['State']).toBe('DELETING');
    sim.setState(session.Id, 'READY');
    expect((await connectionData(sim, token, session.Id, 'user1')).status).toBe(200);
    expect(() => sim.setState('no-such-session', 'READY')).toThrow();
    expect(sim.counters.connectionTokens).toBe(1);

    const conflict = await start({ notReadyStatus: 409 });
    const conflictToken = await accessToken(conflict);
    expect(
      (await connectionData(conflict, conflictToken, sessionIn(conflict, 'CREATING').Id, 'u')).status,
    ).toBe(409);
  });
});

describe('the DCV web client at WebUrlPath /', () => {
  it('opens the session a token was minted for, once; a second use, no token or an access token gets 401', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const session = readySession(sim);
    const connection = await connectionToken(sim, token, session.Id);
    const page = await call(sim, `/?authToken=${encodeURIComponent(connection)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.text).toContain('<title>DCV web client (simulated)</title>');
    expect(page.text).toContain(`<dd id="session-id">${session.Id}</dd>`);
    expect(page.text).toContain('<dd id="user">user1</dd>');
    expect(page.text).not.toContain(connection);

    const reused = await call(sim, `/?authToken=${encodeURIComponent(connection)}`);
    expect(reused.status).toBe(401);
    expect(reused.text).toContain('already been used');
    for (const path of ['/', `/?authToken=${token}`, '/?authToken=eyJ.garbage.x']) {
      expect((await call(sim, path)).status, path).toBe(401);
    }
    expect(sim.counters).toMatchObject({ webClientOpens: 1, webClientRejections: 4 });
  });

  it('refuses a connection token after its lifetime or expireAllTokens, and one for a session gone since', async () => {
    const clock = manualClock();
    const sim = await start({ now: clock.now, connectionTokenTtlSeconds: 60 });
    const token = await accessToken(sim);
    const session = readySession(sim);
    const late = await connectionToken(sim, token, session.Id);
    clock.advance(59_000);
    const inTime = await connectionToken(sim, token, session.Id);
    clock.advance(1_000);
    const expired = await call(sim, `/?authToken=${late}`);
    expect(expired.status).toBe(401);
    expect(expired.text).toContain('expired');
    expect((await call(sim, `/?authToken=${inTime}`)).status).toBe(200);

    const unspent = await connectionToken(sim, token, session.Id);
    sim.expireAllTokens();
    expect((await call(sim, `/?authToken=${unspent}`)).status).toBe(401);

    const fresh = await accessToken(sim);
    const deleted = await connectionToken(sim, fresh, session.Id);
    sim.setState(session.Id, 'DELETED');
    const gone = await call(sim, `/?authToken=${deleted}`);
    expect(gone.status).toBe(404);
    expect(gone.text).toContain('not available');
  });
});

describe('faults and controls', () => {
  it('fails, garbles and delays the endpoint it targets', async () => {
    const sim = await start();
    sim.applyFaults({ failNext: { count: 1, status: 503, endpoint: 'login' } });
    expect((await requestToken(sim)).status).toBe(503);
    const token = await accessToken(sim);
    expect(sim.counters).toMatchObject({ tokenRequests: 2, logins: 1, failedLogins: 0 });

    sim.applyFaults({ garbageNext: { count: 2, endpoint: 'list' } });
    const html = await describeSessions(sim, token);
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const partial = await describeSessions(sim, token);
    expect(partial.json()['Sessions']).toBeUndefined();
    expect((await describeSessions(sim, token)).json<SessionsPage>().Sessions).toHaveLength(20);

    sim.applyFaults({ failNext: { count: 1, endpoint: 'launch' } });
    expect((await connectionData(sim, token, readySession(sim).Id, 'user1')).status).toBe(500);
    expect((await connectionData(sim, token, readySession(sim).Id, 'user1')).status).toBe(200);

    sim.applyFaults({ latencyMs: 150 });
    const started = performance.now();
    await describeSessions(sim, token);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('hangs API calls until released, and keeps one TLS connection for many calls', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    sim.hang(true);
    const parked = describeSessions(sim, token).then(
      () => 'answered',
      () => 'dropped',
    );
    const timeout = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 200));
    expect(await Promise.race([parked, timeout])).toBe('still waiting');
    sim.hang(false);
    expect(await parked).toBe('dropped');

    const reuse = await start();
    // One connection at most: undici may open a second socket before it sees the first one free again.
    const single = new Agent({
      connect: { ca: reuse.certPem, checkServerIdentity: () => undefined },
      connections: 1,
    });
    agents.push(single);
    dispatchers.set(reuse, single);
    const reuseToken = await accessToken(reuse);
    for (let i = 0; i < 5; i++) expect((await describeSessions(reuse, reuseToken)).status).toBe(200);
    expect(reuse.counters.tlsConnections).toBe(1);
  });

  it('takes the same controls over POST /__sim/faults and reports counters on GET /__sim/counters', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const session = readySession(sim);
    const moved = await control(sim, { sessionStates: { [session.Id]: 'UNKNOWN' }, revokeAllTokens: true });
    expect(moved.status).toBe(204);
    expect(sim.sessions.find((s) => s.Id === session.Id)?.State).toBe('UNKNOWN');
    expect((await describeSessions(sim, token)).status).toBe(401);
    const fresh = await accessToken(sim);
    expect((await control(sim, { forgetAllSessions: true })).status).toBe(204);
    expect((await describeSessions(sim, fresh)).status).toBe(401);

    for (const bad of [
      { failNext: { count: -1 } },
      { failNext: { count: 1, endpoint: 'devices' } },
      { sessionStates: { [session.Id]: 'RUNNING' } },
      { revokeAllTokens: false },
    ]) {
      expect((await control(sim, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    const counters = await call(sim, '/__sim/counters');
    expect(counters.json()).toEqual(sim.counters);
    expect(counters.json()).toMatchObject({ tokenRequests: 2, describeCalls: 2, unauthorized: 2 });
    expect((await control(sim, { resetCounters: true })).status).toBe(204);
    expect(sim.counters.tokenRequests).toBe(0);
  });

  it('lists every secret it handed out for the leak sweep', async () => {
    const sim = await start();
    const token = await accessToken(sim);
    const connection = await connectionToken(sim, token, readySession(sim).Id);
    expect(sim.secretsIssued()).toEqual([sim.credentials.clientSecret, token, connection]);
  });

  it('serves caller-supplied sessions exactly', async () => {
    const sessions = generatedSessions(3, 'custom').map((s, i) => ({ ...s, Hostname: `host-${i}` }));
    const sim = await start({ sessions });
    const listed = (await describeSessions(sim, await accessToken(sim))).json<SessionsPage>().Sessions;
    expect(listed.map((s) => (s['Server'] as { Hostname: string }).Hostname)).toEqual([
      'host-0',
      'host-1',
      'host-2',
    ]);
    expect(listed.map((s) => s['Id'])).toEqual(sessions.map((s) => s.Id));
  });
});

describe('main.ts', () => {
  it('prints one ready line, serves the printed credentials, and exits 0 on SIGTERM', async () => {
    const { child, line } = await startSimulatorMain(['--kind', 'dcv', '--port', '0', '--sessions', '30']);
    const match =
      /^ready (https:\/\/127\.0\.0\.1:\d+) clientId=(\S+) clientSecret=(\S+) fingerprint256=([0-9A-F:]{95})$/.exec(
        line,
      );
    expect(match, line).not.toBeNull();
    const [, url, clientId, clientSecret] = match ?? [];
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    agents.push(insecure);
    const token = await fetch(`${url}/oauth2/token?grant_type=client_credentials`, {
      method: 'POST',
      headers: { authorization: basic(clientId ?? '', clientSecret ?? ''), 'content-type': FORM },
      dispatcher: insecure,
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const list = await fetch(`${url}/describeSessions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access_token}` },
      dispatcher: insecure,
    });
    expect(((await list.json()) as SessionsPage).Sessions).toHaveLength(30);
    expect(await terminate(child)).toEqual([0, null]);
  });
});
