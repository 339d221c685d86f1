import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';

/**
 * `local engines` in the foreground: when its DynamoDB Local dies on its own, the command says so, stops the
 * secrets endpoint too and exits 1, instead of serving half the engines under its "ready" line.
 */
describe('local engines', () => {
  it('exits 1 naming DynamoDB Local when the engine dies, and leaves nothing listening', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'infra/cli/main.ts',
        'local',
        'engines',
        '--dynamodb-port',
        '0',
        '--secrets-port',
        '0',
      ],
      {
        env: { ...process.env, BROKER_DYNAMODB_ENDPOINT: '', BROKER_SECRETS_ENDPOINT: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    onTestFinished(() => {
      child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const deadline = Date.now() + 60_000;
    while (!stderr.includes('ready: local engines') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(stderr).toContain('ready: local engines');
    const port = /BROKER_DYNAMODB_ENDPOINT=http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout)?.[1];
    const secrets = /BROKER_SECRETS_ENDPOINT=(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
    expect(port, stdout).toBeDefined();
    // The engine's own process (the CLI's child's child), found by the port it serves, killed as by the OOM killer.
    const engine = enginePid(Number(port));
    expect(engine, 'the DynamoDB Local process').toBeDefined();
    process.kill(engine!, 'SIGKILL');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toContain('DynamoDB Local stopped on its own');
    await expect(fetch(`${secrets}/`)).rejects.toThrow();
  }, 90_000);
});

/** The pid of the Java process serving DynamoDB Local on `port`, from the process table. */
function enginePid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const at = args.indexOf('-port');
    if (args.some((arg) => arg.includes('DynamoDBLocal')) && at >= 0 && args[at + 1] === String(port)) {
      return Number(entry);
    }
  }
  return undefined;
}
