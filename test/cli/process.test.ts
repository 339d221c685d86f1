import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DsviewSimulator, startDsviewSimulator } from '../../simulators/dsview/simulator.js';
import { type LocalAws, useLocalAws } from '../support/aws.js';

/**
 * The CLI as operators run it, in real processes: the `bin` shim and `npx tsx infra/cli/main.ts`, with the
 * password piped on stdin, exit codes as the shell sees them, the local target taken from the environment.
 */

let aws: LocalAws;
let sim: DsviewSimulator;
let env: Record<string, string>;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], stdin = ''): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** stderr without npm's own configuration warnings, which have nothing to do with the CLI. */
const cliLines = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line && !line.startsWith('npm warn'))
    .join('\n');

beforeAll(async () => {
  aws = await useLocalAws();
  sim = await startDsviewSimulator();
  const run = randomBytes(6).toString('hex');
  // The local target from the environment, as an operator's shell would set it (no target flags below).
  env = {
    BROKER_DYNAMODB_ENDPOINT: inject('dynamodbEndpoint'),
    BROKER_SECRETS_ENDPOINT: inject('secretsEndpoint'),
    BROKER_TABLE_NAME: aws.tableName,
    KEYS_SECRET_ID: `cli-process/${run}/keys`,
    APPLIANCE_SECRET_PREFIX: `cli-process/${run}/appliances/`,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
});

afterAll(async () => {
  await sim?.close();
});

describe('the CLI as a process', () => {
  it('bin shim: adds an appliance with the password piped on stdin', async () => {
    const result = await run(
      process.execPath,
      [
        'infra/cli/bin.mjs',
        'appliances',
        'add',
        'lab',
        '--local',
        '--name',
        'Lab',
        '--base-url',
        sim.url,
        '--platform',
        'MP1000',
        '--firmware',
        '3.33.8',
        '--username',
        sim.username,
        '--tls-fingerprint',
        sim.fingerprint256,
      ],
      `${sim.password}\n`,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^added appliance lab \((dsview )?MP1000 3\.33\.8 at https:\/\/127\.0\.0\.1:\d+, TLS pin/,
    );
    expect(result.stdout + result.stderr).not.toContain(sim.password);
    // No broker log lines: the CLI reports in its own words.
    expect(result.stdout).not.toContain('{"level"');
  });

  it('npx tsx infra/cli/main.ts: tests the appliance; a bad flag exits 2 with one line', async () => {
    const tested = await run('npx', ['tsx', 'infra/cli/main.ts', 'appliances', 'test', 'lab', '--local']);
    expect(tested.code, tested.stderr).toBe(0);
    expect(tested.stdout).toContain(`certificate ${sim.fingerprint256}`);
    expect(tested.stdout).toMatch(/matches the pinned fingerprint/);
    expect(tested.stdout).toMatch(new RegExp(`^devices +${sim.devices.length} in \\d+ ms$`, 'm'));
    expect(tested.stdout + tested.stderr).not.toContain(sim.password);

    const usage = await run(process.execPath, [
      '--import',
      'tsx',
      'infra/cli/main.ts',
      'appliances',
      'add',
      'lab2',
      '--local',
      '--name',
      'x',
      '--base-url',
      'http://10.0.0.5',
      '--platform',
      'MP1000',
      '--firmware',
      '3.33.8',
      '--username',
      'admin',
      '--tls-insecure',
    ]);
    expect(usage.code).toBe(2);
    expect(usage.stdout).toBe('');
    expect(cliLines(usage.stderr)).toBe('console-launch-broker: --base-url: must be an https:// URL');
  });

  it('KEY=$(npm run -s cli -- clients create …) captures the key alone, as the README and help write it', async () => {
    const shell = await run('sh', [
      '-c',
      'KEY=$(npm run -s cli -- clients create capture --local --scopes devices:read --appliances "*") && printf "%s" "$KEY"',
    ]);
    expect(shell.code, shell.stderr).toBe(0);
    // Without -s, npm's "> console-launch-broker@… cli" banner would be captured ahead of the key.
    expect(shell.stdout).toMatch(/^clb_[A-Za-z0-9_-]{43}$/);
  });

  it('appliances test --url prints the fingerprint of an appliance not added yet, alone on stdout', async () => {
    const probed = await run(process.execPath, ['infra/cli/bin.mjs', 'appliances', 'test', '--url', sim.url]);
    expect(probed.code, probed.stderr).toBe(0);
    expect(probed.stdout).toBe(`${sim.fingerprint256}\n`);
    expect(probed.stderr).toContain(`--tls-fingerprint ${sim.fingerprint256}`);
  });
});
