import { type Summary, summarize } from './stats.js';

/** One row of the result table: a measured value against a baseline measured in the same run. */
export interface Row {
  /** Stable id, used by `--compare`. */
  id: string;
  case: number;
  label: string;
  unit: string;
  measured: number;
  measuredP95?: number | undefined;
  baseline: number;
  baselineP95?: number | undefined;
  /** Human text of the goal, e.g. `≤1.05`; the ratio is what it applies to unless it says otherwise. */
  goal?: string | undefined;
  /** Whether the goal is met (undefined: no goal). */
  met?: boolean | undefined;
  /** Number of samples behind `measured`. */
  n?: number | undefined;
}

export interface RowInput {
  id: string;
  label: string;
  unit: string;
  measured: number | Summary;
  baseline: number | Summary;
  goal?: { text: string; met: (row: { ratio: number; measured: number }) => boolean };
}

/** `, n=…` for a label that does not state its sample count yet (`n=30`, or `n=120 vs 30` when the sides differ). */
function withCount(label: string, measured: number | Summary, baseline: number | Summary): string {
  if (typeof measured === 'number' || /\bn=\d/.test(label)) return label;
  const count =
    typeof baseline === 'number' || baseline.n === measured.n
      ? `${measured.n}`
      : `${measured.n} vs ${baseline.n}`;
  return `${label}, n=${count}`;
}

/**
 * Builds a row; summaries give median and p95, plain numbers a single value. A row from a summary states its
 * sample count in the label.
 */
export function row(caseNumber: number, input: RowInput): Row {
  const measured = typeof input.measured === 'number' ? input.measured : input.measured.median;
  const baseline = typeof input.baseline === 'number' ? input.baseline : input.baseline.median;
  const out: Row = {
    id: input.id,
    case: caseNumber,
    label: withCount(input.label, input.measured, input.baseline),
    unit: input.unit,
    measured,
    baseline,
  };
  if (typeof input.measured !== 'number') {
    out.measuredP95 = input.measured.p95;
    out.n = input.measured.n;
  }
  if (typeof input.baseline !== 'number') out.baselineP95 = input.baseline.p95;
  if (input.goal) {
    out.goal = input.goal.text;
    out.met = input.goal.met({ ratio: ratioOf(out), measured });
  }
  return out;
}

/** The goal `ratio ≤ limit`. */
export function ratioAtMost(limit: number): NonNullable<RowInput['goal']> {
  return { text: `≤${limit}`, met: ({ ratio }) => ratio <= limit };
}

/**
 * A latency row from two sample sets measured in this run (`alternate`'s pairs, or any subject against its
 * baseline): median and p95 of each, in ms. The raw samples are kept in the run's JSON under `<case>.<id>`.
 */
export function pairedRow(
  ctx: { samples: Record<string, unknown> },
  caseNumber: number,
  input: Omit<RowInput, 'unit' | 'measured' | 'baseline'> & {
    samples: { baseline: number[]; subject: number[] };
  },
): Row {
  const { samples, ...rest } = input;
  ctx.samples[`${caseNumber}.${input.id}`] = samples;
  return row(caseNumber, {
    ...rest,
    unit: 'ms',
    measured: summarize(samples.subject),
    baseline: summarize(samples.baseline),
  });
}

export function ratioOf(r: Pick<Row, 'measured' | 'baseline'>): number {
  if (r.baseline === 0) return r.measured === 0 ? 0 : Number.POSITIVE_INFINITY;
  return r.measured / r.baseline;
}

function number(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (abs === 0) return '0';
  return value.toPrecision(2);
}

/**
 * `number(value)`, with digits added (up to 6 decimals) while the rounded text would sit on another side of
 * `threshold` than the value does: 1.051 against ≤1.05 reads "1.051", not a "1.05" that looks met.
 */
function precise(value: number, threshold: number | undefined): string {
  const text = number(value);
  if (threshold === undefined || !Number.isFinite(value)) return text;
  const side = (n: number) => Math.sign(n - threshold);
  if (side(Number(text.replace(/,/g, ''))) === side(value)) return text;
  // Rounding moved it onto or across the threshold: one decimal more than shown, until the side is right.
  for (let decimals = (text.split('.')[1] ?? '').length + 1; decimals <= 6; decimals++) {
    const finer = value.toFixed(decimals);
    if (side(Number(finer)) === side(value)) return finer;
  }
  return value.toFixed(6);
}

function cell(value: number, unit: string, p95?: number): string {
  const text = unit ? `${number(value)} ${unit}` : number(value);
  return p95 === undefined ? text : `${text} (p95 ${number(p95)})`;
}

/** How a row's ratio reads: most rows are a cost (lower is better); two kinds are turned to read the same way. */
type Reading = 'cost' | 'rate' | 'speed-up';

function readingOf(r: Pick<Row, 'label' | 'unit'>): Reading {
  // A throughput: its ratio is taken on the time per item, so that lower is better here too.
  if (r.unit.endsWith('/s')) return 'rate';
  // The other way (the vendor's) measured against the broker: the ratio is how many times faster the broker is.
  if (/\bspeed-up\b/.test(r.label)) return 'speed-up';
  return 'cost';
}

/** The ratio the table shows and compares: measured ÷ baseline, on the time per item for a rate. */
function shownRatio(r: Pick<Row, 'label' | 'unit' | 'measured' | 'baseline'>): number {
  return readingOf(r) === 'rate' ? ratioOf({ measured: r.baseline, baseline: r.measured }) : ratioOf(r);
}

function ratioText(ratio: number, threshold?: number): string {
  if (!Number.isFinite(ratio)) return '∞';
  if (ratio === 0) return '0';
  if (threshold !== undefined) return precise(ratio, threshold);
  return ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2);
}

/**
 * What a goal is checked against: the measured value when its text names a unit or a statistic (`≤300 KB`,
 * `p50 ≤50 ms`), else the ratio (`≤1.05`; a count such as `1` is both, its baseline being 1 or its ratio 0).
 */
function goalOn(goal: string): 'measured' | 'ratio' {
  return /[a-z]/i.test(goal) ? 'measured' : 'ratio';
}

/** The number a goal's text sets (its last number: `p50 ≤50 ms` → 50), if any. */
function goalThreshold(goal: string): number | undefined {
  const numbers = goal.match(/\d[\d,]*(\.\d+)?/g);
  return numbers ? Number(numbers[numbers.length - 1]?.replace(/,/g, '')) : undefined;
}

/** `≤1.05: 1.051 ✗`: the goal, the value checked against it (digits enough to show the side), met or missed. */
function goalCell(r: Row): string {
  if (!r.goal) return '';
  const threshold = goalThreshold(r.goal);
  const checked =
    goalOn(r.goal) === 'measured'
      ? `${precise(r.measured, threshold)}${r.unit ? ` ${r.unit}` : ''}`
      : ratioText(ratioOf(r), threshold);
  return `${r.goal}: ${checked} ${r.met ? '✓' : '✗'}`;
}

/** What the columns mean, printed under the table so it reads alone (in a terminal, a pull request, a doc). */
export const LEGEND = [
  '- **measured**, **baseline**: the median (p95) of n samples, or a single count or size; both sides are measured in the same run.',
  '- **ratio**: measured ÷ baseline, lower is better (1.00: as fast as the baseline). For a throughput (/s) it is taken on the time per item (baseline rate ÷ measured rate), so lower is better there too. **N×** marks a speed-up: that row measures another way (the vendor’s) against the broker, which is N times faster.',
  '- **goal**: the target, then the value checked against it (the ratio, or the measured value where the goal names a unit) and ✓ met or ✗ missed; digits are added where rounding would hide a miss. Rows without a goal are context.',
];

/** The Markdown table in case order, then its legend: the ratio is always the last column; a Δ column appears when comparing. */
export function markdown(rows: readonly Row[], previous?: ReadonlyMap<string, Row>): string {
  const head = ['case', 'measured', 'baseline', 'goal'];
  if (previous) head.push('Δ ratio vs previous');
  head.push('ratio');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_h, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  // Array.prototype.sort is stable: rows of one case keep the order the case gave them.
  for (const r of [...rows].sort((a, b) => a.case - b.case)) {
    const ratio = shownRatio(r);
    const cells = [
      `${r.case}. ${r.label}`,
      cell(r.measured, r.unit, r.measuredP95),
      cell(r.baseline, r.unit, r.baselineP95),
      goalCell(r),
    ];
    if (previous) {
      const before = previous.get(r.id);
      if (!before) cells.push('new');
      else {
        const old = shownRatio(before);
        const delta = old === 0 ? (ratio === 0 ? 0 : Number.POSITIVE_INFINITY) : (ratio - old) / old;
        cells.push(Number.isFinite(delta) ? `${delta >= 0 ? '+' : ''}${(delta * 100).toFixed(1)}%` : 'n/a');
      }
    }
    const threshold = r.goal && goalOn(r.goal) === 'ratio' ? goalThreshold(r.goal) : undefined;
    cells.push(`${ratioText(ratio, threshold)}${readingOf(r) === 'speed-up' ? '×' : ''}`);
    lines.push(`| ${cells.join(' | ')} |`);
  }
  const legend = previous
    ? [
        ...LEGEND,
        '- **Δ ratio vs previous**: the change of the ratio against the compared run; negative is better, except on a × row.',
      ]
    : LEGEND;
  return [...lines, '', ...legend].join('\n');
}
