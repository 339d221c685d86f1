import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSmoke } from '../../scripts/smoke.js';
import { startTestBroker, type TestBroker } from '../support/broker.js';
import { localTarget } from '../support/cli.js';

/** `npm run smoke -- --local`: the same steps as against a stack, on the local runtime. */

let t: TestBroker;

beforeAll(async () => {
  t = await startTestBroker();
});

afterAll(async () => {
  await t?.close();
});

async function smoke(...extra: string[]): Promise<{ code: number; output: string }> {
  const stdout = new PassThrough();
  const chunks: string[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const code = await runSmoke([...localTarget(t), '--public-base-url', t.url, ...extra], {
    stdout,
    stderr: new PassThrough(),
    env: {},
  });
  return { code, output: chunks.join('') };
}

const smokeClients = async () =>
  (await t.broker.clients.list()).filter((client) => client.id.startsWith('smoke-'));

describe('npm run smoke -- --local', () => {
  it('runs every step against the local runtime and leaves nothing behind', async () => {
    const { code, output } = await smoke('--appliance', 'lab');
    expect(output, output).toMatch(/ok {3}GET \/health/);
    for (const step of [
      'GET /openapi.json',
      'create a temporary API client',
      'GET /v1/appliances/{id}/devices',
      'POST /v1/links (single use)',
      'HEAD /launch/{token}',
      'GET /launch/{token} (not followed)',
      'GET /v1/audit (the click)',
      'DELETE /v1/links/{id}',
      'delete the API client',
    ]) {
      expect(output, output).toContain(`ok   ${step}`);
    }
    expect(output).toMatch(/302 to 127\.0\.0\.1:\d+/);
    expect(output).toMatch(/outcome \w+/);
    expect(code, output).toBe(0);
    expect(await smokeClients()).toEqual([]);
    // No API key, link token or ticket in what it prints.
    expect(output).not.toMatch(/clb_|\/launch\/[A-Za-z0-9_-]{20,}|ticket=/);
  });

  it('cleans up when a step fails, and says which', async () => {
    const { code, output } = await smoke('--appliance', 'nowhere');
    expect(code, output).toBe(1);
    expect(output).toMatch(/FAIL GET \/v1\/appliances\/\{id\}\/devices +\d+ +FAILED: HTTP 404/);
    expect(output).toContain('skipped (an earlier step failed)');
    expect(output).toMatch(/ok {3}delete the API client +\d+ +deleted smoke-/);
    expect(await smokeClients()).toEqual([]);
  });
});
