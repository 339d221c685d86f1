import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOCAL_DEFAULTS, resolveTarget } from '../../infra/cli/target.js';
import { DEFAULT_TABLE, KEYS_SECRET_ID } from '../../infra/local/runtime.js';
import { settingsSchema } from '../../shared/config/settings.js';
import { openViewer, startTestBroker, type TestBroker } from '../support/broker.js';
import { localTarget, type CliRun as Run, runCliCaptured } from '../support/cli.js';

/**
 * The operator CLI run in-process (its `runCli` with injected streams) against the real local parts: the
 * shared DynamoDB Local and secrets endpoint, a test broker on the same table and secret names, and the HTTPS
 * DSView simulator. What it writes is checked through the broker's own API.
 */

let t: TestBroker;
let dir: string;
let caFile: string;
/** The broker's clock runs with the wall clock, shifted by `offset` (to pass the 30 s auth cache). */
let offset = 0;
/** Every password the tests fed the CLI: none may appear in any output. */
const passwords = new Set<string>();
const outputs: string[] = [];

type FakeTty = PassThrough & { isTTY?: boolean; setRawMode?: (on: boolean) => void };

/** Runs the CLI against the test broker's state, with `stdin` piped (or a terminal when `tty`). */
async function cli(
  args: string[],
  options: { stdin?: string; tty?: (input: FakeTty) => void; env?: Record<string, string> } = {},
): Promise<Run> {
  return runRaw([...args, ...localTarget(t), '--public-base-url', t.url], options);
}

async function runRaw(
  argv: string[],
  options: { stdin?: string; tty?: (input: FakeTty) => void; env?: Record<string, string> } = {},
): Promise<Run> {
  let stdin: string | FakeTty | undefined = options.stdin;
  if (options.tty) {
    const input: FakeTty = new PassThrough();
    input.isTTY = true;
    input.setRawMode = () => undefined;
    options.tty(input);
    stdin = input;
  }
  const run = await runCliCaptured(argv, { stdin: stdin ?? '', env: options.env ?? {} });
  outputs.push(run.stdout, run.stderr);
  return run;
}

const addFlags = (baseUrl = t.sim.url) => [
  '--name',
  'Lab two',
  '--base-url',
  baseUrl,
  '--platform',
  'MP1000',
  '--firmware',
  '3.33.8',
  '--username',
  t.sim.username,
];

/** `extra`, preceded by each of the `defaults` flags it does not set itself. */
const withDefaults = (defaults: Record<string, string>, extra: string[]) => [
  ...Object.entries(defaults).flatMap(([name, value]) => (extra.includes(name) ? [] : [name, value])),
  ...extra,
];

/** `clients create <id>`, admin on every appliance unless `extra` sets --scopes or --appliances. */
const clientArgs = (id: string, ...extra: string[]) => [
  'clients',
  'create',
  id,
  ...withDefaults({ '--scopes': 'admin', '--appliances': '*' }, extra),
];

/** `links create` for `device`, KVM on `lab` unless `extra` sets --appliance or --viewer. */
const linkArgs = (device: string, ...extra: string[]) => [
  'links',
  'create',
  '--device',
  device,
  ...withDefaults({ '--appliance': 'lab', '--viewer': 'KVM' }, extra),
];

beforeAll(async () => {
  t = await startTestBroker({ clock: () => Date.now() + offset });
  dir = await mkdtemp(join(tmpdir(), 'cli-test-'));
  caFile = join(dir, 'ca.pem');
  await writeFile(caFile, t.sim.certPem);
  passwords.add(t.sim.password);
});

afterAll(async () => {
  await t?.close();
  await rm(dir, { recursive: true, force: true });
  // No password the CLI was given appears on its stdout/stderr or in a broker log line.
  const everything = [...outputs, ...(t?.output ?? [])].join('\n');
  for (const password of passwords) expect(everything).not.toContain(password);
});

describe('help and usage', () => {
  it('prints help per command and exits 0; no command is a usage error', async () => {
    const top = await runRaw(['--help']);
    expect(top.code).toBe(0);
    for (const command of ['appliances add', 'appliances test', 'clients create', 'links create', 'sync']) {
      expect(top.stdout).toContain(command);
    }
    const add = await runRaw(['appliances', 'add', '--help']);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/--tls-fingerprint/);
    expect(add.stdout).toMatch(/never taken from the command line/);
    expect(add.stdout).toMatch(/--stack <name>/);
    expect((await runRaw(['appliances'])).code).toBe(2);
    expect((await runRaw([])).code).toBe(2);
    const unknown = await runRaw(['appliance', 'list']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "appliance list"/);
  });

  it.each([
    [['appliances', 'add', 'lab2', '--password', 'x'], /--password is not accepted/],
    [['appliances', 'add', 'lab2', '--tls-insecure'], /--name is required/],
    [['appliances', 'add', 'lab2', '--nmae', 'x'], /unknown option --nmae/],
    [['appliances', 'add', 'lab2', '--name'], /--name needs a value/],
    [
      ['appliances', 'add', 'lab2', ...['--name', 'x', '--base-url', 'http://10.0.0.5']],
      /--platform is required/,
    ],
    [['appliances', 'add'], /missing <id>/],
    [['appliances', 'list', 'extra'], /unexpected argument "extra"/],
    [['clients', 'create', 'x', '--appliances', '*'], /--scopes is required/],
    [['clients', 'create', 'x', '--scopes', 'root', '--appliances', '*'], /--scopes: Invalid option/],
    [
      ['links', 'create', '--appliance', 'lab', '--device', 'd', '--viewer', 'TELNET'],
      /--viewer: must be one of/,
    ],
    [['links', 'create', '--appliance', 'lab', '--device', 'd', '--viewer', 'KVM', '--ttl', '2w'], /--ttl:/],
    [['links', 'create', '--appliance', 'lab', '--viewer', 'KVM'], /--device is required/],
    [['links', 'create', '--device', 'd', '--viewer', 'KVM', '--mouse-mode', '7'], /--appliance is required/],
  ])('%j → exit 2 naming the flag', async (args, message) => {
    const run = await cli(args, { stdin: 'never-used-password' });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('validates the appliance like the configuration file does, naming the flag', async () => {
    const cases: [string[], RegExp][] = [
      [
        [...addFlags('http://10.0.0.5'), '--tls-insecure'],
        /^console-launch-broker: --base-url: must be an https/,
      ],
      [[...addFlags('https://10.0.0.5/path'), '--tls-insecure'], /--base-url: must be only scheme, host/],
      [[...addFlags(), '--platform', 'MP2000', '--tls-insecure'], /--platform:/],
      [[...addFlags(), '--firmware', 'latest', '--tls-insecure'], /--firmware: must be a dotted version/],
      [[...addFlags(), '--tls-fingerprint', 'AB:CD'], /--tls-fingerprint: must be a SHA-256 fingerprint/],
      [
        [...addFlags(), '--tls-ca-file', join(dir, 'missing.pem')],
        /--tls-ca-file: cannot read .* \(ENOENT\)/,
      ],
      [
        [...addFlags(), '--tls-insecure', '--tls-ca-file', caFile],
        /choose one of --tls-ca-file, --tls-insecure/,
      ],
      [addFlags(), /one of --tls-ca-file, --tls-fingerprint or --tls-insecure is required/],
    ];
    for (const [flags, message] of cases) {
      const run = await cli(['appliances', 'add', 'lab2', ...flags], { stdin: 'pw' });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
    }
    const badId = await cli(['appliances', 'add', 'Lab_2', ...addFlags(), '--tls-insecure'], { stdin: 'pw' });
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/<id>: must be 1-64 characters/);
    expect((await cli(['appliances', 'list', '--json'])).stdout).not.toContain('lab2');
  });

  it('needs a target, and says how to pick one', async () => {
    const none = await runRaw(['appliances', 'list']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no target: pass --stack <name> or --table <name>.*--local/);
    const both = await runRaw(['appliances', 'list', '--local', '--stack', 'x']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--stack is for AWS/);
    const down = await runRaw(['appliances', 'list', '--dynamodb-endpoint', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the local runtime .*local engines/);
  });

  it('uses the same local defaults as `npm start`', async () => {
    expect(LOCAL_DEFAULTS.tableName).toBe(DEFAULT_TABLE);
    expect(LOCAL_DEFAULTS.keysSecretId).toBe(KEYS_SECRET_ID);
    expect(LOCAL_DEFAULTS.applianceSecretPrefix).toBe(
      settingsSchema.shape.APPLIANCE_SECRET_PREFIX.parse(undefined),
    );
    // What `--local` resolves to: npm start's table, key secret and address (PORT, unless PUBLIC_BASE_URL).
    const resolve = async (env: Record<string, string>) => {
      const target = await resolveTarget({ local: true }, env);
      target.dynamodb.destroy();
      target.secretsManager.destroy();
      return target;
    };
    expect(await resolve({})).toMatchObject({
      kind: 'local',
      tableName: DEFAULT_TABLE,
      keysSecretId: KEYS_SECRET_ID,
      applianceSecretPrefix: settingsSchema.shape.APPLIANCE_SECRET_PREFIX.parse(undefined),
      publicBaseUrl: 'http://127.0.0.1:3000',
    });
    expect((await resolve({ PORT: '4100' })).publicBaseUrl).toBe('http://127.0.0.1:4100');
    const base = 'https://broker.example';
    expect((await resolve({ PORT: '4100', PUBLIC_BASE_URL: base })).publicBaseUrl).toBe(base);
    expect((await resolve({ BROKER_TABLE_NAME: 'a', TABLE_NAME: 'b' })).tableName).toBe('a');
    await expect(resolve({ PORT: 'http' })).rejects.toThrow(/PORT: "http" is not a port number/);
  });

  it('says in help what --ttl and the link base URL default to', async () => {
    const help = (await runRaw(['links', 'create', '--help'])).stdout;
    expect(help).toMatch(
      /default LINK_DEFAULT_TTL_SECONDS, 1 day; more than LINK_MAX_TTL_SECONDS, 7 days, is refused/,
    );
    expect(help).toMatch(/with --local, else http:\/\/127\.0\.0\.1:\$PORT/);
  });
});

describe('appliances', () => {
  it('adds with a piped password, lists, tests and removes an appliance', async () => {
    const added = await cli(['appliances', 'add', 'lab2', ...addFlags(), '--tls-ca-file', caFile], {
      stdin: `${t.sim.password}\n`,
    });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(
      /added appliance lab2 \(MP1000 3\.33\.8 at https:\/\/127\.0\.0\.1:\d+, TLS ca\)/,
    );
    // The secret holds exactly the piped password (one trailing newline dropped), the record the flags.
    expect(await t.broker.registry.credentials('lab2', { forceFetch: true })).toEqual({
      username: t.sim.username,
      password: t.sim.password,
    });

    const again = await cli(['appliances', 'add', 'lab2', ...addFlags(), '--tls-ca-file', caFile], {
      stdin: t.sim.password,
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/appliance "lab2" already exists; pass --replace/);

    const listed = await cli(['appliances', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID +PLATFORM +FIRMWARE +BASE URL +TLS +NAME$/m);
    expect(listed.stdout).toMatch(/^lab2 +MP1000 +3\.33\.8 +https:\/\/127\.0\.0\.1:\d+ +ca +Lab two$/m);
    const json = JSON.parse((await cli(['appliances', 'list', '--json'])).stdout);
    expect(json.map((a: { id: string }) => a.id)).toEqual(['lab', 'lab2']);

    const logins = t.sim.counters.logins;
    const tested = await cli(['appliances', 'test', 'lab2']);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toContain(`certificate ${t.sim.fingerprint256}`);
    expect(tested.stdout).toMatch(/subject CN=dsview-simulator/);
    expect(tested.stdout).toMatch(new RegExp(`^login +ok as ${t.sim.username} in \\d+ ms$`, 'm'));
    expect(tested.stdout).toMatch(new RegExp(`^devices +${t.sim.devices.length} in \\d+ ms$`, 'm'));
    expect(tested.stdout).toMatch(/^total +\d+ ms$/m);
    expect(t.sim.counters.logins).toBe(logins + 1);
    const report = JSON.parse((await cli(['appliances', 'test', 'lab2', '--json'])).stdout);
    expect(report).toMatchObject({
      ok: true,
      applianceId: 'lab2',
      certificate: { fingerprint256: t.sim.fingerprint256 },
      devices: { count: t.sim.devices.length },
    });

    // The broker serves the new appliance at once.
    const devices = await t.call('GET', '/v1/appliances/lab2/devices', { key: t.keys.admin });
    expect(devices.status).toBe(200);
    expect(devices.json.devices).toHaveLength(t.sim.devices.length);

    const removed = await cli(['appliances', 'remove', 'lab2']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/removed appliance lab2/);
    await expect(t.broker.registry.credentials('lab2', { forceFetch: true })).rejects.toThrow(
      /no stored credentials/,
    );
    expect((await cli(['appliances', 'list'])).stdout).not.toMatch(/^lab2 /m);
    const gone = await cli(['appliances', 'remove', 'lab2']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe('console-launch-broker: appliance "lab2" was not found\n');
  });

  it('unknown appliance → exit 1', async () => {
    const run = await cli(['appliances', 'test', 'nope']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('console-launch-broker: appliance "nope" was not found\n');
  });

  it('prompts without echo on a terminal', async () => {
    const secret = 'typed-Secret-9';
    passwords.add(secret);
    const raw: boolean[] = [];
    const run = await cli(['appliances', 'add', 'typed', ...addFlags(), '--tls-insecure'], {
      tty: (input) => {
        input.setRawMode = (on: boolean) => raw.push(on);
        // Typed one character at a time, with a mistake fixed by backspace, then Enter.
        setTimeout(() => {
          for (const char of [...`${secret}x`, '\u007f', '\r']) input.write(char);
        }, 20);
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^Password for admin on https:\/\/127\.0\.0\.1:\d+: \n/);
    expect(raw).toEqual([true, false]);
    expect(run.stdout + run.stderr).not.toContain('typed-');
    expect((await t.broker.registry.credentials('typed', { forceFetch: true })).password).toBe(secret);
    expect(run.stdout).toMatch(/TLS INSECURE/);
    expect((await cli(['appliances', 'remove', 'typed'])).code).toBe(0);
  });

  it('refuses an empty stdin with a usage error', async () => {
    const run = await cli(['appliances', 'add', 'empty', ...addFlags(), '--tls-insecure'], { stdin: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/password: nothing on stdin/);
    const twoLines = await cli(['appliances', 'add', 'empty', ...addFlags(), '--tls-insecure'], {
      stdin: 'a\nb\n',
    });
    expect(twoLines.code).toBe(2);
    expect(twoLines.stderr).toMatch(/more than one line/);
  });

  it('test prints the certificate seen when the pin does not match, and exits 1', async () => {
    const wrong = Array.from({ length: 32 }, () => 'AB').join(':');
    const added = await cli(['appliances', 'add', 'pinned', ...addFlags(), '--tls-fingerprint', wrong], {
      stdin: t.sim.password,
    });
    expect(added.code, added.stderr).toBe(0);
    const run = await cli(['appliances', 'test', 'pinned']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`certificate ${t.sim.fingerprint256}`);
    expect(run.stdout).toMatch(/does NOT match the pinned fingerprint/);
    expect(run.stderr).toMatch(/^console-launch-broker: appliance pinned: login TLS verification failed/);
    // Pasting the fingerprint the test printed (any case, no colons) fixes it.
    const fixed = await cli(
      [
        'appliances',
        'add',
        'pinned',
        ...addFlags(),
        '--replace',
        '--tls-fingerprint',
        t.sim.fingerprint256.replaceAll(':', '').toLowerCase(),
      ],
      { stdin: t.sim.password },
    );
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.stdout).toMatch(/^updated appliance pinned/);
    const ok = await cli(['appliances', 'test', 'pinned']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/matches the pinned fingerprint/);
    expect((await cli(['appliances', 'remove', 'pinned'])).code).toBe(0);
  });

  it('set-password rotates the stored credentials', async () => {
    passwords.add('wrong-password-1');
    const wrong = await cli(['appliances', 'set-password', 'lab'], { stdin: 'wrong-password-1' });
    expect(wrong.code, wrong.stderr).toBe(0);
    const refused = await cli(['appliances', 'test', 'lab']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/appliance lab: login was refused with HTTP 401/);
    const right = await cli(['appliances', 'set-password', 'lab'], { stdin: t.sim.password });
    expect(right.code).toBe(0);
    expect((await cli(['appliances', 'test', 'lab'])).code).toBe(0);
  });

  it('set-password clears a refused-login hold, so the next login uses the new password at once', async () => {
    passwords.add('wrong-password-2');
    const lease = async () =>
      (
        await t.aws.doc.send(
          new GetCommand({ TableName: t.aws.tableName, Key: { pk: 'SESSION#lab', sk: 'SESSION' } }),
        )
      ).Item;
    expect((await cli(['appliances', 'set-password', 'lab'], { stdin: 'wrong-password-2' })).code).toBe(0);
    // A broker login with the wrong password is refused and holds further logins (LOGIN_FAILURE_HOLD_SECONDS).
    const refused = await cli(['sync', '--appliance', 'lab']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/^lab +error .*login was refused with HTTP 401/m);
    expect(JSON.parse(String((await lease())?.failure))).toMatchObject({ kind: 'auth', status: 401 });

    const right = await cli(['appliances', 'set-password', 'lab'], { stdin: t.sim.password });
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout).toBe(
      "stored new credentials for appliance lab; broker logins use them within 5 minutes (the functions' secret cache)\n",
    );
    expect(await lease()).toBeUndefined();
    const synced = await cli(['sync', '--appliance', 'lab']);
    expect(synced.code, synced.stdout).toBe(0);
  });

  it('set-password asks for --username only when no credentials are stored; other failures surface', async () => {
    const added = await cli(['appliances', 'add', 'nocreds', ...addFlags(), '--tls-insecure'], {
      stdin: 'pw-1',
    });
    expect(added.code, added.stderr).toBe(0);
    await t.aws.secrets.send(
      new DeleteSecretCommand({
        SecretId: `${t.applianceSecretPrefix}nocreds`,
        ForceDeleteWithoutRecovery: true,
      }),
    );
    const missing = await cli(['appliances', 'set-password', 'nocreds'], { stdin: 'pw-2' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--username is required: appliance nocreds has no stored user name/);

    // A secrets endpoint that refuses to read the appliance's secret: that is what the operator is told.
    const upstream = inject('secretsEndpoint');
    const refusing = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', async () => {
        if (req.headers['x-amz-target'] === 'secretsmanager.GetSecretValue' && body.includes('nocreds')) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'not allowed' }));
          return;
        }
        const headers = Object.fromEntries(
          Object.entries(req.headers).flatMap(([name, value]) =>
            ['host', 'connection', 'content-length'].includes(name) ? [] : [[name, String(value)]],
          ),
        );
        const answer = await fetch(new URL(req.url ?? '/', upstream), {
          method: req.method ?? 'POST',
          headers,
          body,
        });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/plain' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const address = refusing.address();
      const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const denied = await runRaw(['appliances', 'set-password', 'nocreds', ...localTarget(t, endpoint)], {
        stdin: 'pw-3',
      });
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/secret store unavailable/);
      expect(denied.stderr).not.toMatch(/--username/);
    } finally {
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
    const given = await cli(['appliances', 'set-password', 'nocreds', '--username', 'admin'], {
      stdin: 'pw-4',
    });
    expect(given.code, given.stderr).toBe(0);
    expect((await cli(['appliances', 'remove', 'nocreds'])).code).toBe(0);
  });
});

describe('clients', () => {
  it('creates a client whose key works against the broker, lists it, revokes it', async () => {
    const created = await cli(clientArgs('ticketing', '--scopes', 'devices:read', '--appliances', 'lab'));
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(key).toMatch(/^clb_[A-Za-z0-9_-]{43}$/);
    expect(created.stdout).toBe(`${key}\n`);
    expect(created.stderr).toMatch(/created client ticketing .*shown only this once/);
    expect(created.stderr).not.toContain(key);

    // Only a hash is stored: no item of the table carries the key.
    const { Items } = await t.aws.doc.send(new ScanCommand({ TableName: t.aws.tableName }));
    expect(JSON.stringify(Items)).not.toContain(key);

    const devices = await t.call('GET', '/v1/appliances/lab/devices', { key });
    expect(devices.status).toBe(200);
    expect((await t.call('POST', '/v1/inventory/sync', { key })).status).toBe(403);

    const listed = await cli(['clients', 'list']);
    expect(listed.stdout).toMatch(/^ticketing +devices:read +lab +\d{4}-\d\d-\d\dT/m);
    expect(listed.stdout).not.toContain(key);
    expect((await cli(['clients', 'list', '--json'])).stdout).not.toContain('keyHash');

    const dup = await cli(clientArgs('ticketing'));
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/client "ticketing" already exists; pass --replace/);
    const unknown = await cli(clientArgs('other', '--appliances', 'lab,ghost'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/--appliances: no appliance ghost is registered/);

    const revoked = await cli(['clients', 'revoke', 'ticketing']);
    expect(revoked.code, revoked.stderr).toBe(0);
    offset += 31_000; // past the broker's 30 s authentication cache
    expect((await t.call('GET', '/v1/appliances/lab/devices', { key })).status).toBe(401);
    const again = await cli(['clients', 'revoke', 'ticketing']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/client "ticketing" was not found/);
  });

  it('--replace rotates the key', async () => {
    const first = await cli(clientArgs('rotating', '--json'));
    const { apiKey: oldKey } = JSON.parse(first.stdout);
    const second = await cli(clientArgs('rotating', '--replace'));
    const newKey = second.stdout.trim();
    expect(newKey).not.toBe(oldKey);
    expect((await t.call('POST', '/v1/inventory/sync', { key: newKey })).status).toBe(200);
    expect((await t.call('POST', '/v1/inventory/sync', { key: oldKey })).status).toBe(401);
  });
});

describe('links', () => {
  const kvm = () => t.sim.devices.find((d) => d.device_name === 'rack12-web01 KVM')!.id;

  it('creates a link whose URL redirects to the appliance viewer', async () => {
    const created = await cli(linkArgs(kvm(), '--viewer', 'kvm'));
    expect(created.code, created.stderr).toBe(0);
    const url = created.stdout.trim();
    expect(url).toMatch(new RegExp(`^${t.url}/launch/[A-Za-z0-9_-]{32}$`));
    expect(created.stderr).toMatch(/^link lnk_\S+: KVM on device \S+ of lab, expires \d{4}-/);
    const click = await t.call('GET', new URL(url).pathname);
    expect(click.status).toBe(302);
    expect(click.headers.location).toMatch(new RegExp(`^${t.sim.url}/`));
    expect(await openViewer(click.headers.location!)).toBe(200);
  });

  it('with --local and no --public-base-url, builds the URL on PORT (where npm start listens)', async () => {
    const created = await runRaw([...linkArgs(kvm()), ...localTarget(t)], { env: { PORT: '4555' } });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^http:\/\/127\.0\.0\.1:4555\/launch\/[A-Za-z0-9_-]{32}\n$/);
    // In AWS without a stack, PUBLIC_BASE_URL or the flag, no link is written: the CLI says what to pass.
    const aws = await runRaw([
      ...linkArgs(kvm()),
      '--table',
      t.aws.tableName,
      '--keys-secret',
      t.keysSecretId,
      '--appliance-secret-prefix',
      t.applianceSecretPrefix,
    ]);
    expect(aws.code).toBe(2);
    expect(aws.stderr).toMatch(/no public base URL for the link: pass --public-base-url/);
  });

  it('finds a device by name, honours --single-use and --ttl, and revokes', async () => {
    const created = await cli(linkArgs('RACK12-WEB01 kvm', '--single-use', '--ttl', '30m', '--json'));
    expect(created.code, created.stderr).toBe(0);
    const link = JSON.parse(created.stdout);
    expect(link.singleUse).toBe(true);
    expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(Date.parse(link.expiresAt) - Date.now()).toBeLessThanOrEqual(30 * 60_000);
    const path = new URL(link.url).pathname;
    expect((await t.call('HEAD', path)).status).toBeLessThan(300);
    const revoked = await cli(['links', 'revoke', link.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect((await t.call('HEAD', path)).status).toBe(404);
  });

  it("lists live links without their URLs and revokes a client's links with --client", async () => {
    const made = JSON.parse((await cli(linkArgs(kvm(), '--confirm', '--json'))).stdout);
    expect(made.confirm).toBe(true);
    const listed = await cli(['links', 'list', '--client', 'operator-cli']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^ID +CLIENT +APPLIANCE +DEVICE +VIEWER +USES +EXPIRES +FLAGS$/m);
    expect(listed.stdout).toMatch(
      new RegExp(`^${made.id} +operator-cli +lab +rack12-web01 KVM +KVM +0 +\\S+ +confirm$`, 'm'),
    );
    expect(listed.stdout).not.toContain('/launch/');
    const json = JSON.parse((await cli(['links', 'list', '--appliance', 'lab', '--json'])).stdout);
    expect(json.map((link: { id: string }) => link.id)).toContain(made.id);

    const api = await t.call('POST', '/v1/links', {
      key: t.keys.operator,
      body: { applianceId: 'lab', deviceId: kvm(), viewerType: 'KVM' },
    });
    const path = new URL(api.json.url).pathname;
    const revoked = await cli(['links', 'revoke', '--client', 'operator']);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/^revoked [1-9]\d* links? of operator\n$/);
    expect((await t.call('HEAD', path)).status).toBe(404);
    expect((await cli(['links', 'revoke'])).code).toBe(2);
    expect((await cli(['links', 'revoke', made.id, '--client', 'operator'])).code).toBe(2);
  });

  it('rejects what a click would fail on: unknown device or appliance (1), unsupported viewer (2)', async () => {
    const device = await cli(linkArgs('no-such'));
    expect(device.code).toBe(1);
    expect(device.stderr).toMatch(/--device: appliance lab has no device with id or name "no-such"/);
    const appliance = await cli(linkArgs('x', '--appliance', 'ghost'));
    expect(appliance.code).toBe(1);
    expect(appliance.stderr).toMatch(/appliance "ghost" was not found/);
    const viewer = await cli(linkArgs(kvm(), '--viewer', 'SERIAL'));
    expect(viewer.code).toBe(2);
    expect(viewer.stderr).toMatch(/^console-launch-broker: --viewer: .*does not support viewer type SERIAL/);
    const ttl = await cli(linkArgs(kvm(), '--ttl', '30d'));
    expect(ttl.code).toBe(2);
    expect(ttl.stderr).toMatch(/--ttl: must be between 1 and/);
  });
});

describe('sync', () => {
  it('prints the per-appliance table, exits 1 when an appliance fails', async () => {
    const first = await cli(['sync']);
    expect(first.code, first.stdout).toBe(0);
    expect(first.stdout).toMatch(/^APPLIANCE +STATUS +DEVICES +ADDED +UPDATED +REMOVED +TIME +ERROR$/m);
    const row = new RegExp(`^lab +ok +${t.sim.devices.length} +(\\d+) +0 +0 +\\d+ ms$`, 'm');
    expect(first.stdout).toMatch(row);
    expect(first.stderr).toBe(`1 appliance, ${t.sim.devices.length} devices\n`);
    const second = await cli(['sync', '--json']);
    expect(JSON.parse(second.stdout).appliances).toEqual([
      expect.objectContaining({ applianceId: 'lab', status: 'ok', devices: t.sim.devices.length, added: 0 }),
    ]);
    const search = await t.call('GET', '/v1/devices?applianceId=lab', { key: t.keys.admin });
    expect(search.json.devices.length).toBe(t.sim.devices.length);

    // An appliance nobody answers for: its row says why, the others still sync, the exit code is 1.
    const dead = await cli(
      ['appliances', 'add', 'dead', ...addFlags('https://127.0.0.1:9'), '--tls-insecure'],
      {
        stdin: 'pw',
      },
    );
    expect(dead.code).toBe(0);
    const failing = await cli(['sync']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/^dead +error +0 +0 +0 +0 +\d+ ms +appliance dead: login /m);
    expect(failing.stdout).toMatch(/^lab +ok /m);
    expect(failing.stderr).toMatch(/2 appliances, \d+ devices, 1 failed/);
    const only = await cli(['sync', '--appliance', 'lab']);
    expect(only.code).toBe(0);
    expect(only.stdout).not.toMatch(/^dead/m);
    const unknown = await cli(['sync', '--appliance', 'ghost']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/--appliance: no appliance ghost is registered/);
    expect((await cli(['appliances', 'remove', 'dead'])).code).toBe(0);
  });

  it('remove drops the appliance’s inventory', async () => {
    const added = await cli(['appliances', 'add', 'temp', ...addFlags(), '--tls-insecure'], {
      stdin: t.sim.password,
    });
    expect(added.code).toBe(0);
    expect((await cli(['sync', '--appliance', 'temp'])).code).toBe(0);
    const count = async () =>
      (
        await t.aws.doc.send(
          new QueryCommand({
            TableName: t.aws.tableName,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': 'INV#temp' },
          }),
        )
      ).Items?.length;
    expect(await count()).toBe(t.sim.devices.length);
    const removed = await cli(['appliances', 'remove', 'temp']);
    expect(removed.stdout).toMatch(`${t.sim.devices.length} inventory devices dropped`);
    expect(await count()).toBe(0);
  });
});

describe('AWS target through --stack', () => {
  let server: Server;
  let endpoint: string;
  const requests: { headers: Record<string, unknown>; body: string }[] = [];

  beforeAll(async () => {
    // A CloudFormation stand-in answering DescribeStacks as the query API does (XML).
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        requests.push({ headers: req.headers, body });
        const name = new URLSearchParams(body).get('StackName');
        if (name !== 'broker-prod') {
          res.writeHead(400, { 'content-type': 'text/xml' });
          res.end(
            `<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${name} does not exist</Message></Error></ErrorResponse>`,
          );
          return;
        }
        const outputs: Record<string, string> = {
          TableName: t.aws.tableName,
          KeysSecretArn: t.keysSecretId,
          ApplianceSecretPrefix: t.applianceSecretPrefix,
          PublicBaseUrl: `${t.url}/`,
          Region: 'eu-west-1',
        };
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>broker-prod</StackName><Outputs>${Object.entries(
            outputs,
          )
            .map(
              ([k, v]) =>
                // Values XML-escaped (a `/` as `&#47;`): the CLI must read them decoded.
                `<member><Description>d &amp; e</Description><OutputKey>${k}</OutputKey><OutputValue>${v.replaceAll('/', '&#47;')}</OutputValue></member>`,
            )
            .join('')}</Outputs></member></Stacks></DescribeStacksResult></DescribeStacksResponse>`,
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
    // The SDK's CloudFormation client finds the stand-in as it finds the local engines: through the process
    // environment, as an operator's AWS_ENDPOINT_URL_CLOUDFORMATION would point it elsewhere.
    process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = endpoint;
  });
  afterAll(async () => {
    delete process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads table, secrets and public URL from the stack outputs', async () => {
    // The AWS clients find the local engines and the stand-in through AWS_ENDPOINT_URL_* in the process
    // environment (set by the test support and above), as the SDK does for an operator.
    const listed = await runRaw(['appliances', 'list', '--stack', 'broker-prod', '--region', 'eu-west-1']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^lab +MP1000/m);
    // One signed DescribeStacks query call (the SDK orders the parameters and signs a few more headers).
    const request = requests.at(-1)!;
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      Action: 'DescribeStacks',
      StackName: 'broker-prod',
      Version: '2010-05-15',
    });
    expect(String(request.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=local\/\d{8}\/eu-west-1\/cloudformation\/aws4_request, SignedHeaders=([a-z0-9-]+;)*content-type;([a-z0-9-]+;)*host;([a-z0-9-]+;)*x-amz-date(;[a-z0-9-]+)*, Signature=[0-9a-f]{64}$/,
    );
    const kvm = t.sim.devices.find((d) => d.device_type_programmatic_name === 'ADX-IP-IQ')!.id;
    const link = await runRaw(linkArgs(kvm, '--stack', 'broker-prod'), { env: { BROKER_STACK: 'ignored' } });
    expect(link.code, link.stderr).toBe(0);
    expect(link.stdout.startsWith(`${t.url}/launch/`)).toBe(true);
    const missing = await runRaw(['appliances', 'list'], { env: { BROKER_STACK: 'broker-test' } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'console-launch-broker: --stack broker-test: Stack with id broker-test does not exist\n',
    );
  });
});
