import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/file.js';
import { runCliCaptured } from '../support/cli.js';

const EXAMPLE_PATH = new URL('../../broker.config.example.json', import.meta.url);

interface ExampleAppliance {
  id: string;
  kind: string;
  baseUrl: string;
  credentials: Record<string, string>;
  tls: Record<string, unknown>;
}
interface Example {
  appliances: ExampleAppliance[];
  clients: { id: string; apiKey: string; appliances: string[] }[];
}
const example = JSON.parse(readFileSync(EXAMPLE_PATH, 'utf8')) as Example;

const dir = mkdtempSync(join(tmpdir(), 'check-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file holding `value` as JSON. */
function file(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

/** The example cut down to its DSView appliance, which every build of the loader accepts. */
function dsviewOnly(): Example {
  const dsview = example.appliances.filter((a) => a.kind === 'dsview');
  const ids = new Set(dsview.map((a) => a.id));
  return {
    ...example,
    appliances: dsview,
    clients: example.clients.map((c) => ({
      ...c,
      appliances: c.appliances.filter((id) => id === '*' || ids.has(id)),
    })),
  };
}

const cli = (argv: string[]) => runCliCaptured(argv);

describe('broker.config.example.json', () => {
  it('has one appliance of every kind of the contract, each with id, name, https baseUrl, credentials and tls', () => {
    expect(example.appliances.map((a) => a.kind).sort()).toEqual([
      'dcv',
      'dsview',
      'password-safe',
      'vcenter',
    ]);
    for (const appliance of example.appliances) {
      expect(appliance.baseUrl, appliance.id).toMatch(/^https:\/\//);
      expect(Object.keys(appliance.credentials).length, appliance.id).toBeGreaterThan(0);
      expect(Object.keys(appliance.tls), appliance.id).toHaveLength(1);
    }
  });

  it('its DSView appliance, clients and sync are accepted by the loader', () => {
    const config = parseConfig(dsviewOnly(), 'example');
    expect(config.appliances.map((a) => a.id)).toEqual(['lab-mp1000']);
    expect(config.clients.map((c) => c.id)).toEqual(['servicenow', 'runbook-mailer']);
    expect(config.sync).toEqual({ intervalSeconds: 900 });
  });

  it('every appliance of every kind is accepted by the loader as written', () => {
    const config = parseConfig(example, 'example');
    expect(config.appliances.map((a) => `${a.id} (${a.kind})`)).toEqual([
      'lab-mp1000 (dsview)',
      'vcenter-prod (vcenter)',
      'dcv-eu (dcv)',
      'pam (password-safe)',
    ]);
  });
});

describe('config check', () => {
  it('exits 0 and says what a valid file holds, without a password or an API key', async () => {
    const path = file('valid.json', dsviewOnly());
    const run = await cli(['config', 'check', path]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`${path}: valid: 1 appliance(s): lab-mp1000 (dsview); 2 client(s)`);
    expect(run.stdout).toContain('sync every 900 s');
    for (const secret of [
      ...example.appliances.flatMap((a) => Object.values(a.credentials)),
      ...example.clients.map((c) => c.apiKey),
    ]) {
      expect(run.stdout + run.stderr).not.toContain(secret);
    }
  });

  it('exits 1 with the message naming each bad field, as npm start would stop with', async () => {
    const broken = dsviewOnly();
    const [appliance] = broken.appliances;
    if (!appliance) throw new Error('the example has no DSView appliance');
    appliance.baseUrl = 'http://dsview-lab.example.net';
    const [client] = broken.clients;
    if (client) client.apiKey = 'short';
    const path = file('broken.json', broken);
    const run = await cli(['config', 'check', path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^invalid configuration: .*broken\.json: /);
    expect(run.stderr).toContain('appliances[0].baseUrl: must be an https:// URL');
    expect(run.stderr).toContain('clients[0].apiKey: must be at least 32 characters');
    expect(run.stderr).not.toContain('short');
  });

  it('names a missing field "is required", even one whose rule has its own message', async () => {
    const broken = dsviewOnly();
    const [appliance] = broken.appliances as [ExampleAppliance & { baseURL?: string }];
    appliance.baseURL = appliance.baseUrl;
    delete (appliance as Partial<ExampleAppliance>).baseUrl;
    delete appliance.credentials.password;
    const run = await cli(['config', 'check', file('missing.json', broken)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('appliances[0].baseUrl: is required');
    expect(run.stderr).toContain('appliances[0].credentials.password: is required');
    expect(run.stderr).toContain('appliances[0].baseURL: is not a known field');
  });

  it('exits 1 for a file that is not JSON or cannot be read, and 2 without a file', async () => {
    const notJson = await cli(['config', 'check', file('not-json.json', '{"appliances": [')]);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toContain('is not valid JSON (it ends too early)');
    // A comma too many: V8 names no position for this one; the message still does, and quotes no text.
    const trailing = '{\n  "appliances": [\n    {"id": "a", "password": "hunter2-secret"},\n  ]\n}';
    const comma = await cli(['config', 'check', file('trailing-comma.json', trailing)]);
    expect(comma.code).toBe(1);
    expect(comma.stderr).toContain(
      'is not valid JSON (line 4, column 3: a value was expected (a comma too many?))',
    );
    expect(comma.stderr).not.toContain('hunter2');
    const missing = await cli(['config', 'check', join(dir, 'absent.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot be read (ENOENT)');
    expect((await cli(['config', 'check'])).code).toBe(2);
  });
});
