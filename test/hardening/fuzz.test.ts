import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as routes from '../../functions/routes.js';
import { type RouteSpec, routeList } from '../../functions/routes.js';
import { logger } from '../../shared/observability.js';
import {
  type CallResult,
  deviceOfType,
  errorFields,
  newLink,
  startTestBroker,
  type TestBroker,
} from '../support/broker.js';
import {
  expectPrototypesUnchanged,
  type PrototypeSnapshot,
  snapshotPrototypes,
} from '../support/prototype.js';

/**
 * Hostile input, property-based: every route of the contract gets random path segments, query strings, headers,
 * keys and bodies. Whatever arrives, the broker answers below 500, API errors are RFC 9457 problems naming the
 * field, `/launch` errors are HTML pages, and nothing a body carries reaches `Object.prototype`.
 */

let t: TestBroker;
let prototypesBefore: PrototypeSnapshot;
let kvmId: string;
let liveLinkId: string;

beforeAll(async () => {
  prototypesBefore = snapshotPrototypes();
  t = await startTestBroker({
    env: { CLIENT_RATE_LIMIT_PER_MINUTE: '1000000', LAUNCH_FAILURES_PER_MINUTE: '1000000' },
  });
  // Thousands of refusals would otherwise each write an INFO line.
  logger.setLogLevel('WARN');
  kvmId = deviceOfType(t.sim);
  liveLinkId = (await newLink(t, {}, t.keys.admin)).id;
});
afterAll(async () => {
  await t?.close();
});

/* ----------------------------------------------------------------------------------------------------------
 * What every answer must look like
 * ------------------------------------------------------------------------------------------------------- */

const STACK = /\n\s+at \S+ \(|\.ts:\d+:\d+|node:internal/;

/**
 * Whether a person clicked something under `/launch/`. The client sends the URL-normalised path (`..`,
 * `%2e%2e` resolved), so that is what counts. Whatever a mangled link looks like (extra slashes, bad
 * encoding), that person gets a page.
 */
function landsOnLaunch(path: string): boolean {
  return new URL(path, 'http://local').pathname.startsWith('/launch/');
}

/** Texts the broker always answers on refusals; a "key" that happens to be part of them is not an echo. */
const FIXED_TEXTS = ['send Authorization: Bearer <api key>', 'Authentication required', 'unauthorized'];
const echoes = (text: string, key: string) =>
  text.includes(key) && !FIXED_TEXTS.some((fixed) => fixed.includes(key));

function expectProblem(response: CallResult): void {
  expect(response.headers['content-type'], response.text).toMatch(/^application\/problem\+json/);
  expect(response.json, response.text).toMatchObject({
    type: expect.stringMatching(/^urn:console-launch-broker:problem:[a-z-]+$/),
    title: expect.any(String),
    status: response.status,
    detail: expect.any(String),
  });
  if (response.status === 400) {
    expect(Array.isArray(response.json.errors), response.text).toBe(true);
    expect(response.json.errors.length, response.text).toBeGreaterThan(0);
    for (const error of response.json.errors) {
      expect(error, response.text).toEqual({ field: expect.any(String), message: expect.any(String) });
      expect(error.field.length, response.text).toBeGreaterThan(0);
    }
  }
}

/** The properties every response holds, whatever was sent. */
function expectSane(method: string, path: string, response: CallResult, presentedKey?: string): void {
  const where = `${method} ${path.slice(0, 200)} → ${response.status} ${response.text.slice(0, 300)}`;
  expect(response.status, where).toBeLessThan(500);
  expect(response.text, where).not.toMatch(STACK);
  if (presentedKey && presentedKey.length >= 8 && presentedKey !== t.keys.admin) {
    expect(echoes(response.text, presentedKey), where).toBe(false);
  }
  if (method === 'HEAD' || response.status < 400) return;
  // A link answers a person, also the confirm page's POST.
  const onLaunch = landsOnLaunch(path) && ['GET', 'HEAD', 'POST'].includes(method) && response.status !== 405;
  if (onLaunch) {
    expect(response.headers['content-type'], where).toMatch(/^text\/html/);
    expect(response.text, where).toMatch(/^<!doctype html>/);
    expect(response.text, where).not.toMatch(/<script/i);
  } else {
    expectProblem(response);
  }
}

/* ----------------------------------------------------------------------------------------------------------
 * Arbitraries
 * ------------------------------------------------------------------------------------------------------- */

/** Segments already in URL form: traversal, NUL, CR/LF, broken percent-encoding, look-alikes. */
const hostileSegment = fc.constantFrom(
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '.%2e',
  '%2e%2e%2f',
  '..%2f..%2fetc%2fpasswd',
  '..%5c..%5cwindows',
  '%2F',
  '%00',
  'lab%00',
  'lab%00.json',
  '%0d%0a',
  'x%0D%0ASet-Cookie:%20a=b',
  '%0d%0aLocation:%20https://evil.example',
  '%',
  '%zz',
  '%E0%A4%A',
  '%C0%AE%C0%AE',
  '%u002e%u002e',
  '%252e%252e',
  '~',
  '+',
  '%20',
  'LAB',
  'lab.',
  'lab%20',
  '%EF%BB%BFlab',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  "'%20OR%20'1'='1",
  '%3Cscript%3Ealert(1)%3C%2Fscript%3E',
  '%7B%24ne%3Anull%7D',
  '*',
  'lnk_',
  `lnk_${'A'.repeat(65)}`,
);

const text = fc.oneof(
  fc.string({ minLength: 1, maxLength: 60 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }),
);
/** Up to ~5 KB, for paths; mostly unreserved characters so the request line stays under Node's header limit. */
const huge = fc
  .tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 8 }), fc.integer({ min: 500, max: 5000 }))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

const pathSegment = (plausible: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 3, arbitrary: hostileSegment },
    { weight: 3, arbitrary: text.map(safeEncode) },
    { weight: 1, arbitrary: huge.map((s) => safeEncode(s).slice(0, 5000)) },
    { weight: 2, arbitrary: plausible },
  );

/** encodeURIComponent without throwing on lone surrogates. */
function safeEncode(value: string): string {
  return encodeURIComponent(
    value.replace(/[\ud800-\udfff]/g, (c, i, s: string) => (isPaired(s, i) ? c : '?')),
  );
}
function isPaired(s: string, i: number): boolean {
  const code = s.charCodeAt(i);
  if (code <= 0xdbff) return i + 1 < s.length && /[\udc00-\udfff]/.test(s[i + 1] ?? '');
  return i > 0 && /[\ud800-\udbff]/.test(s[i - 1] ?? '');
}

/** Plausible values per path parameter, so some requests get past validation and reach `shared/`. */
const plausibleParam: Record<string, fc.Arbitrary<string>> = {
  applianceId: fc.constantFrom('lab', 'other', 'nowhere', 'a'.repeat(64), 'a'.repeat(65)),
  deviceId: fc.oneof(
    fc.constantFrom(...['x', 'a:b', 'dev.1', '-']),
    fc.uuid(),
    fc.constant('').map(() => kvmId),
  ),
  id: fc.oneof(
    fc.stringMatching(/^lnk_[A-Za-z0-9_-]{16,64}$/),
    fc.constant('').map(() => liveLinkId),
  ),
  token: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{32}$/), fc.stringMatching(/^[A-Za-z0-9_-]{1,600}$/)),
};

function paramNames(route: RouteSpec): string[] {
  return [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
}

/** A path for `route` with each `{param}` replaced by an arbitrary (already encoded) segment. */
function pathFor(route: RouteSpec): fc.Arbitrary<string> {
  const names = paramNames(route);
  if (!names.length) return fc.constant(route.path);
  return fc
    .tuple(...names.map((name) => pathSegment(plausibleParam[name] ?? fc.constant('x'))))
    .map((segments) => names.reduce((path, name, i) => path.replace(`{${name}}`, segments[i]!), route.path));
}

const queryValue = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '-1',
    '1',
    '50',
    '500',
    '501',
    '1e3',
    '1.5',
    '0x10',
    'NaN',
    'Infinity',
    'true',
    'null',
    '[]',
    '[1,2]',
    '{}',
    'KVM',
    'SERIAL',
    'kvm',
    'lab',
    'Bad_Id',
    'ADX-IP-IQ',
    '2020-01-01T00:00:00Z',
    '2999-12-31T23:59:59.999999Z',
    '2020-02-30T00:00:00Z',
    '1970-01-01',
    'abc.def',
    'eyJhIjoxfQ.AAAAAAAAAAAAAAAAAAAAAA',
    '%00',
    '\r\n',
  ),
  text,
  fc.string({ minLength: 200, maxLength: 5000 }),
);
const queryKey = (route: RouteSpec) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...Object.keys(route.query?.shape ?? { type: 1, name: 1 })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '__proto__',
        'constructor',
        'toString',
        'hasOwnProperty',
        'limit[]',
        'a[b]',
        '',
        'LIMIT',
      ),
    },
    { weight: 1, arbitrary: text },
  );

/** A raw query string: duplicated keys, keys without `=`, empty values, numbers as strings, unicode. */
const queryFor = (route: RouteSpec) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant('') },
    {
      weight: 5,
      arbitrary: fc
        .array(fc.tuple(queryKey(route), fc.option(queryValue, { nil: undefined })), {
          minLength: 1,
          maxLength: 6,
        })
        .map(
          (pairs) =>
            `?${pairs
              .map(([k, v]) => (v === undefined ? safeEncode(k) : `${safeEncode(k)}=${safeEncode(v)}`))
              .join('&')}`,
        ),
    },
    { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?=', '?==', '?%', '?a=%zz', '?limit=1&limit=2') },
  );

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/problem+json',
  'application/vnd.api+json',
  'application/json-patch+json',
  'application/jsonx',
  'text/plain',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/octet-stream',
  '*/*',
  'json',
  ';',
);
const headerValue = fc.string({ maxLength: 200 }).map((s) => s.trim());
const headersArb = fc.record(
  {
    'content-type': contentType,
    accept: fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml', ''),
    'user-agent': headerValue,
    'x-forwarded-for': fc.constantFrom('1.2.3.4', '127.0.0.1, 10.0.0.1', 'garbage', ''),
    'x-amzn-trace-id': headerValue,
    'content-encoding': fc.constantFrom('gzip', 'identity', 'br'),
    'accept-language': headerValue,
  },
  { requiredKeys: [] },
);

/** Keys that, merged carelessly, would reach `Object.prototype`. */
const POLLUTION = [
  '{"__proto__":{"polluted":"yes","isAdmin":true}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"prototype":{"polluted":"yes"}}',
  '{"viewerType":"KVM","__proto__":{"polluted":"yes","sharingMode":"ACTIVE"}}',
  '{"applianceId":"lab","deviceId":"x","viewerType":"KVM","__proto__":{"singleUse":true,"polluted":"yes"}}',
  '{"applianceId":{"__proto__":{"polluted":"yes"}},"deviceId":"x","viewerType":"KVM"}',
  '{"viewerType":"KVM","constructor":{"prototype":{"polluted":"yes","scopes":["admin"]}}}',
  '[{"__proto__":{"polluted":"yes"}}]',
  '{"__proto__":[]}',
  '{"__proto__":null}',
];

const validBody = (route: RouteSpec): Record<string, unknown> => {
  if (route === routes.createLink) return { applianceId: 'lab', deviceId: kvmId, viewerType: 'KVM' };
  return { viewerType: 'KVM' };
};

const weird = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('1', '0', 'true', 'KVM ', 'kvm', '', '\u0000', '\r\n', '3600', '1e3', -1, 1.5, 2 ** 53, -0),
  fc.string({ minLength: 1000, maxLength: 6000 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
);

/** JSON text: random JSON, mutated valid bodies, pollution keys, deep nesting, huge strings. */
const jsonBodyFor = (route: RouteSpec) =>
  fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc.constantFrom(...POLLUTION),
    fc
      .tuple(
        fc.constantFrom(...Object.keys(validBody(route)), 'sharingMode', 'mouseMode', 'ttlSeconds'),
        weird,
      )
      .map(([field, value]) => JSON.stringify({ ...validBody(route), [field]: value })),
    fc
      .tuple(fc.integer({ min: 1, max: 1000 }), fc.constantFrom('array', 'object', 'field'))
      .map(([depth, kind]) =>
        kind === 'array'
          ? `${'['.repeat(depth)}${']'.repeat(depth)}`
          : kind === 'object'
            ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
            : JSON.stringify({ ...validBody(route), viewerType: 'x' }).replace(
                '"x"',
                `${'{"v":'.repeat(depth)}"KVM"${'}'.repeat(depth)}`,
              ),
      ),
    fc.dictionary(fc.string({ maxLength: 20 }), weird, { maxKeys: 8 }).map((o) => JSON.stringify(o)),
  );

/** Bodies that are not JSON at all. */
const rawBody = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    'null',
    'undefined',
    'NaN',
    "{'viewerType':'KVM'}",
    '{"viewerType":"KVM"',
    '{"viewerType":"KVM"}}',
    '{"viewerType":"KVM",}',
    'viewerType=KVM&mouseMode=1',
    '<xml><viewerType>KVM</viewerType></xml>',
    '\u0000\u0001\u0002',
    '\ufeff{"viewerType":"KVM"}',
    '{"a":1}\n{"a":2}',
    '--xyz\r\nContent-Disposition: form-data; name="viewerType"\r\n\r\nKVM\r\n--xyz--',
  ),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
);

const keyArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant('admin') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 300 }) },
);

interface Attempt {
  path: string;
  query: string;
  headers: Record<string, string>;
  key: string | undefined;
  body: string | undefined;
}

const attemptFor = (route: RouteSpec, bodies: boolean): fc.Arbitrary<Attempt> =>
  fc
    .record({
      path: pathFor(route),
      query: queryFor(route),
      headers: headersArb,
      key: keyArb,
      body: bodies
        ? fc.oneof(
            { weight: 1, arbitrary: fc.constant(undefined) },
            { weight: 5, arbitrary: jsonBodyFor(route) },
            { weight: 2, arbitrary: rawBody },
          )
        : fc.constant(undefined),
    })
    .map(({ headers, key, ...rest }) => ({
      ...rest,
      headers: Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >,
      key: key === 'admin' ? t.keys.admin : key,
    }));

async function send(route: RouteSpec, attempt: Attempt): Promise<CallResult> {
  const path = `${attempt.path}${attempt.query}`;
  const headers = { ...attempt.headers };
  if (attempt.key !== undefined) headers.authorization = `Bearer ${attempt.key}`;
  return t.call(route.method, path, {
    headers,
    ...(attempt.body === undefined ? {} : { rawBody: attempt.body }),
  });
}

/* ----------------------------------------------------------------------------------------------------------
 * Properties
 * ------------------------------------------------------------------------------------------------------- */

const RUNS: Partial<Record<string, number>> = { syncInventory: 25, createTicket: 120, createLink: 150 };

/** The contract's routes by their export names (the module also exports `routeList`, the same routes in order). */
const namedRoutes = Object.entries(routes).filter(([name]) => name !== 'routeList') as [string, RouteSpec][];

describe('every route survives hostile input', () => {
  for (const [name, route] of namedRoutes) {
    const bodies = route.method === 'POST' || route.method === 'DELETE';
    it(`${route.method} ${route.path}`, { timeout: 30_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(attemptFor(route, bodies), async (attempt) => {
          const response = await send(route, attempt);
          expectSane(route.method, `${attempt.path}${attempt.query}`, response, attempt.key);
          if (route.scope && attempt.key !== t.keys.admin && response.status < 400) {
            throw new Error(`${route.path} answered ${response.status} without a valid key`);
          }
        }),
        { numRuns: RUNS[name] ?? 100 },
      );
    });
  }
  it('covers every route of the contract', () => {
    expect(namedRoutes.map(([, route]) => route)).toEqual(routeList);
  });
});

describe('bodies that break the schema name the field', () => {
  const ticketPath = () => `/v1/appliances/lab/devices/${kvmId}/tickets`;
  /** Wrong values per field: none passes the field's schema, so the 400 must name exactly that field. */
  const wrong: Record<string, unknown[]> = {
    applianceId: [1, true, null, [], {}, '', 'Bad_Id', '../lab', 'lab\r\n', 'a'.repeat(65), '__proto__'],
    deviceId: [1, false, null, ['x'], {}, '', 'a/b', '..%2f', 'x\r\nLocation: y', 'x'.repeat(129), '<b>'],
    viewerType: [1, null, 'kvm', 'KVM ', '', ['KVM'], { KVM: true }, 'RDP'],
    sharingMode: [1, null, 'active', '', ['ACTIVE'], 'SHARED'],
    mouseMode: ['1', '0', 3, -1, 1.5, null, true, [1]],
    ttlSeconds: ['3600', 0, -1, 1.5, true, null, [], {}, '1e3'],
    singleUse: ['true', 1, 0, null, 'yes', []],
  };
  const mutation = (fields: string[]) =>
    fc.oneof(
      fc
        .constantFrom(...fields)
        .chain((field) => fc.tuple(fc.constant(field), fc.constantFrom(...(wrong[field] ?? [null])))),
      fc
        .constantFrom('colour', 'url', 'redirect', '__proto__', 'constructor', 'x'.repeat(300), 'é')
        .map((field) => [field, 'x'] as [string, unknown]),
    );

  for (const [route, fields, path] of [
    [routes.createTicket, ['viewerType', 'sharingMode', 'mouseMode'], ticketPath],
    [
      routes.createLink,
      ['applianceId', 'deviceId', 'viewerType', 'sharingMode', 'mouseMode', 'ttlSeconds', 'singleUse'],
      () => '/v1/links',
    ],
  ] as const) {
    it(`${route.method} ${route.path}`, { timeout: 20_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(mutation([...fields]), async ([field, value]) => {
          // Raw JSON text, so `__proto__` arrives as an own key exactly as a hostile client would send it.
          const body = `${JSON.stringify(validBody(route)).slice(0, -1)},${JSON.stringify(field)}:${JSON.stringify(value)}}`;
          const response = await t.call('POST', path(), {
            key: t.keys.admin,
            rawBody: body,
            headers: { 'content-type': 'application/json' },
          });
          expect(response.status, response.text).toBe(400);
          expectProblem(response);
          expect(errorFields(response)).toContain(field);
        }),
        { numRuns: 80 },
      );
    });
  }

  it('query keys named like Object.prototype members are plain unknown fields, each named', async () => {
    for (const name of ['__proto__', 'toString', 'constructor', 'hasOwnProperty']) {
      const response = await t.call('GET', `/v1/devices?${name}=x&limit=5&${name}=y`, { key: t.keys.admin });
      expect(response.status, `${name}: ${response.text}`).toBe(400);
      expect(response.json.errors).toEqual([{ field: name, message: expect.any(String) }]);
    }
    const several = await t.call('GET', '/v1/devices?a=1&b=2&=3', { key: t.keys.admin });
    expect(errorFields(several).sort()).toEqual(['a', 'b', 'query']);
  });

  it('a path parameter that is not valid percent-encoding is a 400 naming it', async () => {
    const response = await t.call('GET', '/v1/appliances/lab%zz/devices', { key: t.keys.admin });
    expect(response.status).toBe(400);
    expectProblem(response);
    expect(response.json.errors).toEqual([{ field: 'applianceId', message: expect.any(String) }]);
  });

  it('a missing required field is named', async () => {
    for (const field of ['applianceId', 'deviceId', 'viewerType']) {
      const body: Record<string, unknown> = { applianceId: 'lab', deviceId: kvmId, viewerType: 'KVM' };
      delete body[field];
      const response = await t.call('POST', '/v1/links', { key: t.keys.admin, body });
      expect(response.status).toBe(400);
      expect(errorFields(response)).toContain(field);
    }
  });
});

describe('limits and methods', () => {
  const apiRoutes = routeList.filter((route) => route.scope && route.method !== 'GET');

  it.each(apiRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))(
    'a 20 KB body to %s is a 413 problem',
    async (_, route) => {
      const path = route.path
        .replace('{applianceId}', 'lab')
        .replace('{deviceId}', kvmId)
        .replace('{id}', liveLinkId);
      const response = await t.call(route.method, path, {
        key: t.keys.admin,
        body: { viewerType: 'KVM', padding: 'x'.repeat(20 * 1024) },
      });
      expect(response.status).toBe(413);
      expectProblem(response);
    },
  );

  it('wrong methods are 405 problems naming the allowed ones', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routeList),
        fc.constantFrom('PUT', 'PATCH', 'OPTIONS', 'TRACE', 'POST', 'DELETE', 'GET'),
        async (route, method) => {
          const allowed = routeList.filter((r) => r.path === route.path).map((r) => r.method as string);
          if (allowed.includes(method)) return;
          const path = route.path.replace(/\{\w+\}/g, 'x');
          const response = await t.call(method, path, { key: t.keys.admin });
          expect(response.status).toBe(405);
          expect(response.headers.allow?.split(', ').sort()).toEqual(allowed.sort());
          expectProblem(response);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('no key or a random key is a 401 problem on every protected route, and the key is never echoed', async () => {
    const protectedRoutes = routeList.filter((route) => route.scope);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...protectedRoutes),
        fc.oneof(
          fc.constant(undefined),
          fc.string({ minLength: 8, maxLength: 300 }).filter((s) => s.trim() === s && !/\s/.test(s)),
          fc.constantFrom('Basic YWRtaW46YWRtaW4=', 'Bearer', 'bearer', 'Token abc'),
        ),
        async (route, key) => {
          const path = route.path
            .replace('{applianceId}', 'lab')
            .replace('{deviceId}', kvmId)
            .replace('{id}', liveLinkId);
          const headers: Record<string, string> = {};
          if (key !== undefined) headers.authorization = key.includes(' ') ? key : `Bearer ${key}`;
          const response = await t.call(route.method, path, { headers });
          expect(response.status).toBe(401);
          expect(response.headers['www-authenticate']).toBe('Bearer');
          expectProblem(response);
          if (key) expect(echoes(response.text, key), response.text).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a body that is not UTF-8 is a 400 problem, not a crash', async () => {
    for (const bytes of [Buffer.from([0xff, 0xfe, 0x00, 0x7b]), Buffer.from([0xc0, 0xae, 0x22, 0x7d])]) {
      const response = await t.rawCall('POST', '/v1/links', {
        key: t.keys.admin,
        headers: { 'content-type': 'application/json' },
        body: bytes,
      });
      expect(response.status).toBe(400);
      expect(response.json.errors[0].field).toBe('body');
    }
  });
});

describe('after the run', () => {
  it('Object.prototype is not polluted', () => {
    const probe = {} as Record<string, unknown>;
    for (const key of ['polluted', 'isAdmin', 'singleUse', 'sharingMode', 'scopes', 'v', 'a']) {
      expect(probe[key], key).toBeUndefined();
    }
    expectPrototypesUnchanged(prototypesBefore);
    expect(Object.getPrototypeOf(probe)).toBe(Object.prototype);
  });

  it('the broker still works', async () => {
    const response = await t.call('POST', `/v1/appliances/lab/devices/${kvmId}/tickets`, {
      key: t.keys.admin,
      body: { viewerType: 'KVM' },
    });
    expect(response.status).toBe(201);
  });
});
