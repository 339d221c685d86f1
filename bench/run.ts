/**
 * `npm run bench [-- --quick] [-- --compare bench/results/<file>.json] [-- --only 1,2]`: every case, one Markdown
 * table whose last column is measured ÷ baseline (both measured in this run), plus the table and raw samples
 * as JSON under bench/results/. `--compare` takes a run of the same mode (quick or full) and adds the change in
 * each row's ratio.
 */
process.env.POWERTOOLS_METRICS_NAMESPACE ??= 'ConsoleLaunchBrokerBench';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { warmClick } from './cases/1-warm-click.js';
import { coldClick } from './cases/2-cold-click.js';
import { vendorWay } from './cases/3-vendor-way.js';
import { coldBurst } from './cases/4-cold-burst.js';
import { warmThroughput } from './cases/5-warm-throughput.js';
import { lambdaColdStart } from './cases/6-lambda-cold-start.js';
import { inventory } from './cases/7-inventory.js';
import { providers } from './cases/8-providers.js';
import { type BenchCase, cleanUp, createContext } from './lib/context.js';
import { droppedLogLines, print, progress, quietLogs, recentWarnings } from './lib/output.js';
import { markdown, type Row } from './lib/table.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    compare: { type: 'string' },
    only: { type: 'string' },
  },
});
const quick = values.quick ?? false;
/** Execution order; the table is sorted by case number. */
// Case 5 runs before 4 so its login count covers the fleet's whole life; 4 then makes the sessions cold.
const CASES: BenchCase[] = [
  warmClick,
  coldClick,
  vendorWay,
  warmThroughput,
  coldBurst,
  lambdaColdStart,
  inventory,
  providers,
];
const only = values.only?.split(',').map(Number);
const selected = CASES.filter((c) => !only || only.includes(c.id));

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const started = Date.now();
const log = (message: string) =>
  progress(`[bench ${((Date.now() - started) / 1000).toFixed(0)}s] ${message}`);

const mode = quick ? 'quick' : 'full';
let previous: Map<string, Row> | undefined;
if (values.compare) {
  const before = JSON.parse(await readFile(values.compare, 'utf8')) as {
    meta?: { mode?: string };
    rows: Row[];
  };
  // Quick and full runs share row ids at different sizes (clicks, devices, rounds): their ratios do not compare.
  const theirs = before.meta?.mode;
  if (theirs !== mode) {
    const rerun =
      theirs === 'quick' || theirs === 'full'
        ? `, or run ${theirs === 'quick' ? 'with' : 'without'} --quick`
        : '';
    progress(
      `bench: --compare ${values.compare} is a ${theirs ?? 'unknown-mode'} run and this is a ${mode} run; their rows ` +
        `share ids but not sizes, so their ratios do not compare. Compare with a ${mode} run's JSON ` +
        `(bench/results/bench-*-${mode}.json)${rerun}.`,
    );
    process.exit(2);
  }
  previous = new Map(before.rows.map((r) => [r.id, r]));
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

quietLogs();
const rows: Row[] = [];
const failures: string[] = [];
let exitCode = 0;
let samples: Record<string, unknown> = {};
try {
  log(`starting DynamoDB Local and the secrets endpoint (${mode} run)`);
  const ctx = await createContext({ quick, log });
  samples = ctx.samples;
  for (const benchCase of selected) {
    if (interrupted) break;
    const caseStarted = Date.now();
    log(`case ${benchCase.id}: ${benchCase.title}`);
    try {
      const caseRows = await benchCase.run(ctx);
      rows.push(...caseRows);
      log(`case ${benchCase.id} done in ${((Date.now() - caseStarted) / 1000).toFixed(1)} s`);
    } catch (error) {
      exitCode = 1;
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push(`case ${benchCase.id} failed: ${message}`);
      log(`case ${benchCase.id} FAILED: ${message}`);
      const warnings = recentWarnings();
      if (warnings.length) log(`recent broker warnings:\n${warnings.join('\n')}`);
    }
  }
} finally {
  log('cleaning up');
  await cleanUp();
}

rows.sort((a, b) => a.case - b.case);
const table = markdown(rows, previous);
const elapsedSeconds = (Date.now() - started) / 1000;
let commit = '';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
} catch {
  // not a git checkout
}
const meta = {
  date: new Date().toISOString(),
  mode,
  commit,
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  loadavgAtEnd: loadavg(),
  elapsedSeconds,
  droppedLogLines: droppedLogLines(),
  ...(values.compare ? { comparedWith: values.compare } : {}),
};
await mkdir(RESULTS, { recursive: true });
const file = join(RESULTS, `bench-${meta.date.replace(/[:.]/g, '-')}-${meta.mode}.json`);
await writeFile(file, `${JSON.stringify({ meta, table, rows, failures, samples }, null, 1)}\n`);

print(table);
print('');
print(
  `${meta.mode} run, ${elapsedSeconds.toFixed(0)} s, node ${meta.node}, ${meta.cpus} CPUs, load ${meta.loadavgAtEnd
    .map((l) => l.toFixed(2))
    .join(' ')}; JSON: ${file}`,
);
for (const failure of failures) print(`\n${failure}`);
process.exit(exitCode);
