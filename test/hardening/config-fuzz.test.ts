import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConfigFileError, loadConfigFile, parseConfig } from '../../shared/config/file.js';
import { defaultCertificate } from '../../simulators/certificate.js';
import { runBrokerExpectingFailure } from '../support/processes.js';
import { expectPrototypesUnchanged, snapshotPrototypes } from '../support/prototype.js';

/**
 * Configuration file fuzzing: every invalid file is refused with a `ConfigFileError` whose message names each bad
 * field as a JSON path (`appliances[0].tls.caPem`) and never carries a password or API key. In-process against
 * the loader, and once through a real `npm start`.
 */

const PASSWORD = `pw-${randomBytes(12).toString('base64url')}`;
const API_KEY = `key-${randomBytes(24).toString('base64url')}`;
let certPem: string;
let dir: string;

beforeAll(async () => {
  certPem = (await defaultCertificate()).certPem;
  dir = await mkdtemp(join(tmpdir(), 'clb-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = (string | number)[];

/** A valid configuration exercising every field and every kind of trust rule. */
function validConfig(): { [key: string]: Json } {
  return {
    publicBaseUrl: 'https://broker.example.com',
    appliances: [
      {
        id: 'lab-mp1000',
        name: 'Lab MP1000',
        baseUrl: 'https://10.0.0.5',
        platform: 'MP1000',
        firmwareVersion: '3.33.8',
        credentials: { username: 'admin', password: PASSWORD },
        tls: { caPem: certPem },
      },
      {
        id: 'row2',
        name: 'Row 2',
        baseUrl: 'https://10.0.0.6:8443',
        platform: 'RM1048P',
        firmwareVersion: '2.1',
        credentials: { username: 'svc', password: `${PASSWORD}-2` },
        tls: { fingerprint256: Array.from({ length: 32 }, () => 'AB').join(':') },
      },
      {
        id: 'va',
        name: 'VA',
        baseUrl: 'https://va.example',
        platform: 'MP1000VA',
        firmwareVersion: '3.40.0',
        credentials: { username: 'svc', password: `${PASSWORD}-3` },
        tls: { insecure: true },
      },
    ],
    clients: [
      { id: 'servicenow', apiKey: API_KEY, scopes: ['devices:read', 'admin'], appliances: ['*'] },
      {
        id: 'ops',
        apiKey: `${API_KEY}-2`,
        scopes: ['tickets:create', 'links:create'],
        appliances: ['row2', 'va'],
      },
    ],
    sync: { intervalSeconds: 900 },
  };
}

/** A path as `parseConfig` prints it: `appliances[0].tls.caPem`. */
const printPath = (path: Path) =>
  path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part),
    '',
  );

/** The field a message must name for a change at `path`: the trust rule is a union, named as a whole. */
function expectedField(path: Path): string {
  const tls = path.indexOf('tls');
  return printPath(tls >= 0 && path.length > tls + 1 ? path.slice(0, tls + 1) : path);
}

function nodes(value: Json, path: Path = []): { path: Path; value: Json }[] {
  const here = path.length ? [{ path, value }] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((item, i) => nodes(item, [...path, i]))];
  if (value && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([key, item]) => nodes(item, [...path, key]))];
  }
  return here;
}

function getAt(root: Json, path: Path): Json {
  return path.reduce<Json>((node, part) => (node as Record<string | number, Json>)[part] as Json, root);
}

/** Sets as an own data property, so `__proto__` and friends arrive as plain keys (as `JSON.parse` makes them). */
function setAt(root: Json, path: Path, value: Json | undefined): void {
  const parent = getAt(root, path.slice(0, -1)) as Record<string | number, Json>;
  const key = path.at(-1) as string | number;
  if (value === undefined) delete parent[key];
  else Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Refuses, naming every field in `fields`, and never quoting a credential. */
function expectRefused(config: unknown, fields: string[], secrets: string[] = []): string {
  let error: unknown;
  try {
    parseConfig(config, 'broker.json');
  } catch (caught) {
    error = caught;
  }
  expect(error, `accepted: ${JSON.stringify(config).slice(0, 400)}`).toBeInstanceOf(ConfigFileError);
  const message = (error as Error).message;
  expect(message).toMatch(/^broker\.json: /);
  // The field itself, or a part of it (`clients[0].scopes[0]` names `clients[0].scopes` more precisely).
  for (const field of fields) {
    const named = [`${field}: `, `${field}[`, `${field}.`].some((form) => message.includes(form));
    expect(named, `${field} not named in: ${message}`).toBe(true);
  }
  for (const secret of [PASSWORD, API_KEY, ...secrets]) expect(message).not.toContain(secret);
  expect(message).not.toContain('(root)');
  return message;
}

/* ----------------------------------------------------------------------------------------------------------
 * Arbitraries
 * ------------------------------------------------------------------------------------------------------- */

const OPTIONAL = new Set(['publicBaseUrl', 'sync']);

/** Values of every JSON type; the mutation keeps only those whose type differs from the original. */
const anyJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, '', 'x', [], {}, [1], { a: 1 }),
  fc.string({ maxLength: 20 }),
  fc.integer(),
);
const kind = (value: Json) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

/** Field values of the right type but wrong content, per field (`*` is any array index). */
const WRONG_VALUES: [string, Json[]][] = [
  ['publicBaseUrl', ['ftp://x', 'nope', 'https://x/?q=1', 'https://x/#f', '//x', '']],
  ['appliances', [[]]],
  ['appliances.*.id', ['', 'Lab', 'lab_1', '-lab', 'a'.repeat(65), 'lab mp', '__proto__', 'lab\n']],
  ['appliances.*.name', ['', 'n'.repeat(201)]],
  [
    'appliances.*.baseUrl',
    [
      'http://10.0.0.5',
      'nope',
      '10.0.0.5',
      'https://10.0.0.5/api',
      'https://10.0.0.5?x=1',
      'https://u:p@10.0.0.5',
      'https://10.0.0.5#x',
      'javascript:alert(1)',
      'file:///etc/passwd',
    ],
  ],
  ['appliances.*.platform', ['mp1000', 'MP2000', '']],
  ['appliances.*.firmwareVersion', ['', '3.x', 'v3.33.8', '1.2.3.4.5', '3..3']],
  ['appliances.*.credentials.username', ['', 'u'.repeat(257)]],
  ['appliances.*.credentials.password', ['', 'p'.repeat(1025)]],
  [
    'appliances.*.tls.caPem',
    [
      '',
      'not a certificate',
      '-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
    ],
  ],
  ['appliances.*.tls.fingerprint256', ['', 'AB', 'AB:CD', 'ZZ'.repeat(32), Array(33).fill('AB').join(':')]],
  ['appliances.*.tls', [{}, { insecure: false }, { insecure: true, caPem: 'x' }, 'insecure', []]],
  ['clients', [[]]],
  ['clients.*.id', ['', 'Ops', 'ops!', 'a'.repeat(65)]],
  ['clients.*.apiKey', ['', 'short', `${'k'.repeat(40)} space`, 'k'.repeat(257), `${'k'.repeat(40)}\u00e9`]],
  ['clients.*.scopes', [[], ['root'], ['ADMIN'], ['admin', 'x']]],
  ['clients.*.appliances', [[], ['Lab'], ['*', 'Bad_Id'], ['nowhere']]],
  [
    'sync',
    [{}, { intervalSeconds: 5 }, { intervalSeconds: 86_401 }, { intervalSeconds: 1.5 }, { every: 900 }],
  ],
  ['sync.intervalSeconds', [0, 9, 86_401, 1.5, -900]],
];

/** Concrete paths for a pattern in the valid config. */
function pathsFor(pattern: string): Path[] {
  const config = validConfig();
  const parts = pattern.split('.');
  const expand = (path: Path, rest: string[]): Path[] => {
    if (!rest.length) return [path];
    const [head, ...tail] = rest as [string, ...string[]];
    const node = getAt(config, path);
    if (head === '*') return (node as Json[]).flatMap((_, i) => expand([...path, i], tail));
    if (!node || typeof node !== 'object' || !(head in node)) return [];
    return expand([...path, head], tail);
  };
  return expand([], parts);
}

interface Mutation {
  describe: string;
  path: Path;
  /** Checked only once the rest of the file is valid (a client allow-list naming no appliance). */
  crossChecked?: boolean;
  apply(config: Json): void;
  /** The field the message must name. */
  field: string;
  /** Strings the mutation put in credential fields, which must not be quoted either. */
  secrets: string[];
}

const wrongValue: fc.Arbitrary<Mutation> = fc
  .constantFrom(
    ...WRONG_VALUES.flatMap(([pattern, values]) => pathsFor(pattern).map((path) => ({ path, values }))),
  )
  .chain(({ path, values }) =>
    fc.constantFrom(...values).map((value) => ({
      describe: `${printPath(path)} = ${JSON.stringify(value).slice(0, 60)}`,
      path,
      crossChecked: JSON.stringify(value) === '["nowhere"]',
      apply: (config: Json) => setAt(config, path, value),
      field: expectedField(path),
      secrets:
        /password|apiKey/.test(String(path.at(-1))) && typeof value === 'string' && value.length >= 8
          ? [value]
          : [],
    })),
  );

const allNodes = nodes(validConfig());

const wrongType: fc.Arbitrary<Mutation> = fc.constantFrom(...allNodes).chain(({ path, value }) =>
  anyJson
    .filter((replacement) => kind(replacement) !== kind(value))
    .map((replacement) => ({
      describe: `${printPath(path)} = ${JSON.stringify(replacement)}`,
      path,
      apply: (config: Json) => setAt(config, path, replacement),
      field: expectedField(path),
      secrets: [],
    })),
);

const missing: fc.Arbitrary<Mutation> = fc
  .constantFrom(
    ...allNodes.filter(
      ({ path }) => typeof path.at(-1) === 'string' && !(path.length === 1 && OPTIONAL.has(String(path[0]))),
    ),
  )
  .map(({ path }) => ({
    describe: `without ${printPath(path)}`,
    path,
    apply: (config: Json) => setAt(config, path, undefined),
    field: expectedField(path),
    secrets: [],
  }));

const objectPaths: Path[] = [
  [],
  ...allNodes
    .filter(({ value }) => value && typeof value === 'object' && !Array.isArray(value))
    .map((n) => n.path),
];
const unknownKey: fc.Arbitrary<Mutation> = fc
  .tuple(
    fc.constantFrom(...objectPaths),
    fc.oneof(
      fc.constantFrom(
        '__proto__',
        'constructor',
        'prototype',
        'toString',
        'apikey',
        'Password',
        'tls2',
        'baseURL',
      ),
      fc.string({ minLength: 1, maxLength: 12 }).filter((key) => /^[\w-]+$/.test(key)),
    ),
    // What a merge would copy onto a prototype if it followed `__proto__`, `constructor` or `prototype`.
    fc.oneof(anyJson, fc.constant<Json>({ polluted: 'yes', prototype: { polluted: 'yes' } })),
  )
  .filter(([path, key]) => !Object.hasOwn(getAt(validConfig(), path) as object, key))
  .map(([path, key, value]) => ({
    describe: `${printPath([...path, key])} added`,
    path: [...path, key],
    apply: (config: Json) => setAt(config, [...path, key], value),
    // Named by its own path, except inside the trust rule (a union, named as a whole).
    field: path.includes('tls') ? expectedField([...path, key]) : printPath([...path, key]),
    secrets: [],
  }));

const isPrefix = (prefix: Path, path: Path) =>
  prefix.length <= path.length && prefix.every((part, i) => part === path[i]);

const cloneConfig = () => structuredClone(validConfig()) as Json;

/**
 * Applies `mutations` to a fresh valid configuration and expects it refused, naming `fields` (by default each
 * mutation's) and quoting none of the credentials they put in. `viaJson`: through JSON text, as a file arrives.
 */
function expectMutationsRefused(
  mutations: Mutation[],
  { fields = mutations.map((m) => m.field), viaJson = false }: { fields?: string[]; viaJson?: boolean } = {},
): void {
  const config = cloneConfig();
  for (const mutation of mutations) mutation.apply(config);
  expectRefused(
    viaJson ? JSON.parse(JSON.stringify(config)) : config,
    fields,
    mutations.flatMap((m) => m.secrets),
  );
}

/* ----------------------------------------------------------------------------------------------------------
 * Properties
 * ------------------------------------------------------------------------------------------------------- */

describe('parseConfig', () => {
  it('accepts the valid configuration (so every refusal below is caused by its mutation)', () => {
    const parsed = parseConfig(validConfig(), 'broker.json');
    expect(parsed.appliances.map((a) => a.id)).toEqual(['lab-mp1000', 'row2', 'va']);
  });

  it('one to three wrong values: refused, naming every field, quoting no credential', () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(wrongValue, { minLength: 1, maxLength: 3, selector: (m) => m.field })
          .filter((list) => !list.some((a) => list.some((b) => a !== b && isPrefix(a.path, b.path)))),
        (mutations) => {
          // A dangling allow-list entry is only checked once the rest of the file is valid.
          const named = mutations.length > 1 ? mutations.filter((m) => !m.crossChecked) : mutations;
          expectMutationsRefused(mutations, { fields: named.map((m) => m.field) });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a value of the wrong JSON type anywhere: refused, naming that field', () => {
    fc.assert(
      fc.property(wrongType, (mutation) => expectMutationsRefused([mutation])),
      { numRuns: 300 },
    );
  });

  it('a missing required field anywhere: refused, naming it', () => {
    fc.assert(
      fc.property(missing, (mutation) => expectMutationsRefused([mutation])),
      { numRuns: 100 },
    );
  });

  it('an unknown field anywhere (prototype keys included): refused, naming it, and nothing is polluted', () => {
    const before = snapshotPrototypes();
    fc.assert(
      // Through JSON text, exactly as a file would arrive: `__proto__` is then an own key.
      fc.property(unknownKey, (mutation) => expectMutationsRefused([mutation], { viaJson: true })),
      { numRuns: 200 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expectPrototypesUnchanged(before);
  });

  it('duplicates and dangling references are refused, naming the list', () => {
    const twice = cloneConfig() as { appliances: Json[]; clients: { id: string; apiKey: string }[] };
    twice.appliances.push(structuredClone(twice.appliances[0]) as Json);
    expectRefused(twice, ['appliances']);
    const sameClient = cloneConfig() as { clients: { id: string }[] };
    (sameClient.clients[1] as { id: string }).id = 'servicenow';
    expectRefused(sameClient, ['clients']);
    const sameKey = cloneConfig() as { clients: { apiKey: string }[] };
    (sameKey.clients[1] as { apiKey: string }).apiKey = API_KEY;
    expectRefused(sameKey, ['clients']);
    const dangling = cloneConfig() as { clients: { appliances: string[] }[] };
    (dangling.clients[1] as { appliances: string[] }).appliances = ['row2', 'gone'];
    expect(expectRefused(dangling, ['clients[1].appliances'])).toContain('gone');
  });

  it('any JSON value at all is either a valid configuration or a ConfigFileError, never a crash', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        try {
          parseConfig(value, 'broker.json');
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigFileError);
          expect((error as Error).message).toMatch(/^broker\.json: \S/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('loadConfigFile', () => {
  const write = async (name: string, text: string) => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };

  it('a file that is not JSON is refused, naming the file and never quoting it', async () => {
    const texts = [
      '',
      '   ',
      `{"appliances": [{"credentials": {"password": ${PASSWORD}}}]}`,
      `{"clients": [{"apiKey": '${API_KEY}'}]}`,
      `{"clients": [{"apiKey": "${API_KEY}",}]}`,
      `{"clients": [{"apiKey": "${API_KEY}"`,
      `appliances:\n  - password: ${PASSWORD}\n`,
      `{"a": 1}\n{"b": "${PASSWORD}"}`,
    ];
    for (const [i, text] of texts.entries()) {
      const file = await write(`broken-${i}.json`, text);
      const error = await loadConfigFile(file).catch((e: unknown) => e);
      expect(error, text).toBeInstanceOf(ConfigFileError);
      const message = (error as Error).message;
      expect(message).toContain(`${file}: is not valid JSON`);
      expect(message).not.toContain(PASSWORD);
      expect(message).not.toContain(API_KEY);
      expect(message).not.toContain(PASSWORD.slice(3, 11));
      expect(message).not.toContain(API_KEY.slice(4, 12));
    }
  });

  it('an unreadable path is refused, naming it and the reason', async () => {
    const missingFile = join(dir, 'missing.json');
    await expect(loadConfigFile(missingFile)).rejects.toThrow(`${missingFile}: cannot be read (ENOENT)`);
    const directory = join(dir, 'a-directory.json');
    await mkdir(directory);
    await expect(loadConfigFile(directory)).rejects.toThrow(`${directory}: cannot be read (EISDIR)`);
  });

  it('a valid file with a byte order mark is accepted; an invalid one names its field', async () => {
    const valid = await write('bom.json', `\ufeff${JSON.stringify(validConfig())}`);
    expect((await loadConfigFile(valid)).clients).toHaveLength(2);
    const config = cloneConfig() as { appliances: { platform: string }[] };
    (config.appliances[2] as { platform: string }).platform = 'VA';
    const invalid = await write('invalid.json', JSON.stringify(config, null, 2));
    await expect(loadConfigFile(invalid)).rejects.toThrow(`${invalid}: appliances[2].platform: `);
  });
});

describe('npm start with an invalid file', () => {
  it('stops with exit code 1 and a message naming the file and every bad field, quoting no secret', async () => {
    const config = cloneConfig() as {
      publicBaseUrl: string;
      appliances: { tls: { caPem: string }; credentials: { password: string } }[];
      clients: { scopes: string[] }[];
    };
    config.publicBaseUrl = 'not a url';
    (config.appliances[0] as { tls: { caPem: string } }).tls.caPem =
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
    (config.clients[1] as { scopes: string[] }).scopes = ['root'];
    const file = join(dir, 'start.json');
    await writeFile(file, JSON.stringify(config));
    const { code, output } = await runBrokerExpectingFailure({
      BROKER_CONFIG: file,
      BROKER_DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
      BROKER_SECRETS_ENDPOINT: inject('secretsEndpoint'),
      BROKER_TABLE_NAME: `config-fuzz-${randomBytes(4).toString('hex')}`,
    });
    expect(code).toBe(1);
    expect(output).toContain(`invalid configuration: ${file}: `);
    for (const field of ['publicBaseUrl', 'appliances[0].tls.caPem', 'clients[1].scopes[0]']) {
      expect(output).toContain(`${field}: `);
    }
    expect(output).not.toMatch(/TypeError|at .*\.ts:\d+/);
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(API_KEY);
    expect(output).not.toMatch(/^ready /m);
  }, 60_000);
});
