import { describe, expect, it } from 'vitest';
import { LEGEND, markdown, type Row, ratioAtMost, row } from '../../bench/lib/table.js';

/** The body rows of a rendered table, as cells (the header, the rule and the legend left out). */
function cellsOf(table: string): string[][] {
  return table
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| case'))
    .map((line) => line.slice(2, -2).split(' | '));
}

const click = (measured: number): Row =>
  row(1, {
    id: 'warm-click',
    label: 'warm click',
    unit: 'ms',
    measured,
    baseline: 40,
    goal: ratioAtMost(1.05),
  });

describe('the bench table', () => {
  it('shows a missed ratio goal with the digits that show the miss, in the goal and the ratio column', () => {
    const [cells] = cellsOf(markdown([click(42.04)]));
    // 42.04 / 40 = 1.051: rounded to 1.05 it would look met.
    expect(cells?.[3]).toBe('≤1.05: 1.051 ✗');
    expect(cells?.at(-1)).toBe('1.051');
  });

  it('keeps the usual rounding where it does not mislead', () => {
    const [met] = cellsOf(markdown([click(41)]));
    expect(met?.[3]).toBe('≤1.05: 1.02 ✓');
    expect(met?.at(-1)).toBe('1.02');
    const [exact] = cellsOf(markdown([click(42)]));
    expect(exact?.[3]).toBe('≤1.05: 1.05 ✓');
    const [under] = cellsOf(markdown([click(41.98)]));
    // 1.0495 is met, but "1.05" would read as exactly the limit: the digit that shows it is under.
    expect(under?.[3]).toBe('≤1.05: 1.049 ✓');
  });

  it('checks a goal that names a unit against the measured value', () => {
    const rows = [
      row(6, {
        id: 'launch-bundle',
        label: 'launch: bundle size',
        unit: 'KB',
        measured: 1541,
        baseline: 300,
        goal: { text: '≤300 KB', met: ({ measured }) => measured <= 300 },
      }),
      row(7, {
        id: 'search',
        label: 'search',
        unit: 'ms',
        measured: 50.04,
        baseline: 0.5,
        goal: { text: 'p50 ≤50 ms', met: ({ measured }) => measured <= 50 },
      }),
    ];
    const [bundle, search] = cellsOf(markdown(rows));
    expect(bundle?.[3]).toBe('≤300 KB: 1,541 KB ✗');
    expect(search?.[3]).toBe('p50 ≤50 ms: 50.04 ms ✗');
  });

  it('gives the ratio one meaning: lower is better, a rate on its time per item, a speed-up marked ×', () => {
    const rows = [
      row(5, { id: 'throughput', label: 'throughput vs direct', unit: '/s', measured: 250, baseline: 750 }),
      row(3, {
        id: 'vendor',
        label: "vendor's way vs warm click: speed-up",
        unit: 'ms',
        measured: 136,
        baseline: 43.6,
      }),
    ];
    const byLabel = new Map(cellsOf(markdown(rows)).map((cells) => [cells[0], cells.at(-1)]));
    expect(byLabel.get('5. throughput vs direct')).toBe('3.00');
    expect(byLabel.get("3. vendor's way vs warm click: speed-up")).toBe('3.12×');
  });

  it('lists rows in case order, keeping the order within a case', () => {
    const rows = [
      row(2, { id: 'b', label: 'two', unit: '', measured: 1, baseline: 1 }),
      row(1, { id: 'a1', label: 'one first', unit: '', measured: 1, baseline: 1 }),
      row(1, { id: 'a2', label: 'one second', unit: '', measured: 1, baseline: 1 }),
    ];
    expect(cellsOf(markdown(rows)).map((cells) => cells[0])).toEqual([
      '1. one first',
      '1. one second',
      '2. two',
    ]);
  });

  it('ends with a legend of every column, and of the Δ column when comparing', () => {
    const table = markdown([click(41)]);
    expect(table.endsWith(LEGEND.join('\n'))).toBe(true);
    for (const column of ['measured', 'baseline', 'ratio', 'goal']) expect(table).toContain(`**${column}**`);
    expect(table).not.toContain('Δ ratio');
    const compared = markdown([click(41)], new Map([['warm-click', click(42)]]));
    const [cells] = cellsOf(compared);
    expect(cells?.[4]).toBe('-2.4%');
    expect(compared).toContain('- **Δ ratio vs previous**');
  });
});
