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

function cell(value: number, unit: string, p95?: number): string {
  const text = unit ? `${number(value)} ${unit}` : number(value);
  return p95 === undefined ? text : `${text} (p95 ${number(p95)})`;
}

function ratioText(ratio: number): string {
  if (!Number.isFinite(ratio)) return '∞';
  if (ratio === 0) return '0';
  return ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2);
}

/** The Markdown table: the ratio is always the last column; a Δ column appears when comparing. */
export function markdown(rows: readonly Row[], previous?: ReadonlyMap<string, Row>): string {
  const head = ['case', 'measured', 'baseline', 'goal'];
  if (previous) head.push('Δ ratio vs previous');
  head.push('ratio');
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_h, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) {
    const ratio = ratioOf(r);
    const goal = r.goal ? `${r.goal} ${r.met ? '✓' : '✗'}` : '';
    const cells = [
      `${r.case}. ${r.label}`,
      cell(r.measured, r.unit, r.measuredP95),
      cell(r.baseline, r.unit, r.baselineP95),
      goal,
    ];
    if (previous) {
      const before = previous.get(r.id);
      if (!before) cells.push('new');
      else {
        const old = ratioOf(before);
        const delta = old === 0 ? (ratio === 0 ? 0 : Number.POSITIVE_INFINITY) : (ratio - old) / old;
        cells.push(Number.isFinite(delta) ? `${delta >= 0 ? '+' : ''}${(delta * 100).toFixed(1)}%` : 'n/a');
      }
    }
    cells.push(ratioText(ratio));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
