import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import {
  esbuildOptions,
  functionEntry,
  LAUNCH_BUNDLE_BUDGET_KB,
  UNUSED_IN_LAMBDA,
} from '../../infra/constructs/broker-function.js';

/**
 * The launch bundle, built exactly as the stack builds it, stays within its budget: no later change silently
 * regrows it (a size, not a timing, so it holds on any machine). The bench reports the cold start it buys.
 */
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function launchBundle() {
  const dir = await mkdtemp(join(tmpdir(), 'clb-budget-'));
  dirs.push(dir);
  const outfile = join(dir, 'index.mjs');
  const result = await build({
    ...esbuildOptions(true),
    entryPoints: [functionEntry('launch')],
    outfile,
    metafile: true,
    logLevel: 'error',
  });
  // What the output holds (a module esbuild read but dropped as dead code is not in it).
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint);
  const inputs = Object.entries(output?.inputs ?? {})
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
  return { bytes: (await stat(outfile)).size, inputs };
}

describe('the launch bundle', () => {
  it(`is at most ${LAUNCH_BUNDLE_BUDGET_KB} KB minified (source map apart)`, async () => {
    const { bytes, inputs } = await launchBundle();
    const byPackage = new Map<string, number>();
    for (const input of inputs) {
      const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'own code';
      byPackage.set(name, (byPackage.get(name) ?? 0) + 1);
    }
    expect(
      bytes / 1024,
      `launch bundle is ${(bytes / 1024).toFixed(1)} KB; inputs by package: ${JSON.stringify(Object.fromEntries(byPackage))}`,
    ).toBeLessThanOrEqual(LAUNCH_BUNDLE_BUDGET_KB);
  }, 60_000);

  it('carries neither undici, the X-Ray SDK nor the credential providers Lambda never reaches', async () => {
    const { inputs } = await launchBundle();
    const packages = new Set(inputs.map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1]));
    for (const name of ['undici', 'aws-xray-sdk-core', 'cls-hooked', ...UNUSED_IN_LAMBDA]) {
      expect(packages.has(name), name).toBe(false);
    }
  }, 60_000);
});
