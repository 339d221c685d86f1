/**
 * Bundles a broker function the way the stack does (esbuild, ESM, minified, source maps, node22) twice, with
 * the AWS SDK v3 inside the bundle and with it left to the Lambda runtime, and prints the bundle sizes and the
 * cold import time of each (fresh Node process per run, median of N). The figures are in docs/deploy.md.
 *
 *   npx tsx infra/tools/measure-bundle.ts [function=launch] [runs=15]
 *   MEASURE_NODE_OPTIONS=--enable-source-maps npx tsx infra/tools/measure-bundle.ts launch
 *
 * The "runtime SDK" variant resolves `@aws-sdk/*` from this repository's node_modules, as the runtime resolves
 * them from its own copy; the runtime's copy may be another SDK version, so treat its figures as indicative.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { summarize } from '../../bench/lib/stats.js';
import { esbuildOptions, functionEntry, PROJECT_ROOT } from '../constructs/broker-function.js';

const name = process.argv[2] ?? 'launch';
const runs = Number(process.argv[3] ?? 15);
// Inside the repository, so that the external variant finds @aws-sdk/* in node_modules.
const outRoot = join(PROJECT_ROOT, 'node_modules', '.cache', 'measure-bundle');

interface Figures {
  variant: string;
  bytes: number;
  gzipBytes: number;
  mapBytes: number;
  importMs: number[];
}

async function bundle(variant: 'bundled' | 'runtime'): Promise<string> {
  const outdir = join(outRoot, `${name}-${variant}`);
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  // The stack's own options: the SDK inside the bundle, or left to the runtime (`@aws-sdk/*` external).
  await build({
    ...esbuildOptions(variant === 'bundled'),
    entryPoints: [functionEntry(name)],
    outfile: join(outdir, 'index.mjs'),
    logLevel: 'error',
  });
  return outdir;
}

function measureImport(file: string): number {
  const script =
    'const t = performance.now(); await import(process.argv[1]); ' +
    'process.stdout.write(String(performance.now() - t));';
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, file], {
    env: {
      PATH: process.env.PATH,
      POWERTOOLS_SERVICE_NAME: 'measure',
      AWS_REGION: 'eu-west-1',
      // The functions run without --enable-source-maps (their cost: MEASURE_NODE_OPTIONS=--enable-source-maps).
      ...(process.env.MEASURE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.MEASURE_NODE_OPTIONS } : {}),
    },
    encoding: 'utf8',
  });
  return Number(out);
}

const variants = ['bundled', 'runtime'] as const;
const files = new Map<string, string>();
for (const variant of variants) {
  const file = join(await bundle(variant), 'index.mjs');
  files.set(variant, file);
  measureImport(file); // warm the file system cache
}
// Alternate the variants run by run, so that a busy machine slows both alike; each run is a fresh process,
// as a cold Lambda container is.
const importMs = new Map<string, number[]>(variants.map((variant) => [variant, []]));
for (let i = 0; i < runs; i++) {
  for (const variant of variants) importMs.get(variant)?.push(measureImport(files.get(variant) ?? ''));
}
const results: Figures[] = variants.map((variant) => {
  const file = files.get(variant) ?? '';
  const code = readFileSync(file);
  return {
    variant,
    bytes: code.length,
    gzipBytes: gzipSync(code).length,
    mapBytes: statSync(`${file}.map`).size,
    importMs: importMs.get(variant) ?? [],
  };
});

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const summary = results.map((r) => {
  const imports = summarize(r.importMs);
  return {
    variant: r.variant === 'bundled' ? 'SDK bundled' : 'runtime SDK (external)',
    bundle: kb(r.bytes),
    gzip: kb(r.gzipBytes),
    sourceMap: kb(r.mapBytes),
    importMedianMs: imports.median.toFixed(0),
    importMinMs: imports.min.toFixed(0),
    importMaxMs: imports.max.toFixed(0),
  };
});
console.log(
  `function: ${name}, node ${process.version}, ${runs} cold imports each, NODE_OPTIONS=${process.env.MEASURE_NODE_OPTIONS ?? ''}`,
);
console.table(summary);
writeFileSync(
  join(outRoot, `${name}.json`),
  JSON.stringify({ node: process.version, runs, results }, null, 2),
);
