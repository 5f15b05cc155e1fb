/**
 * The report: one table per scenario, each figure next to the baseline measured in the same run and their ratio,
 * with the target and whether it was met. Machines are noisy; ratios are what to compare across runs.
 */

export interface Target {
  /** What the target applies to: the figure itself or its ratio to the baseline. */
  on: 'value' | 'ratio';
  op: '>=' | '<=';
  threshold: number;
}

export interface Row {
  figure: string;
  value: number;
  unit: string;
  baseline?: { label: string; value: number };
  /** Defaults to value / baseline.value. */
  ratio?: number;
  target?: Target;
  note?: string;
}

export interface ScenarioReport {
  scenario: string;
  title: string;
  /** Context lines printed above the table (sizes, durations, pinning, data set). */
  info: string[];
  rows: Row[];
}

/** Spread into a Row: `{ ...optionalNote(text) }` adds the note only when there is one. */
export function optionalNote(note: string | undefined): { note?: string } {
  return note ? { note } : {};
}

export function ratioOf(row: Row): number | undefined {
  if (row.ratio !== undefined) return row.ratio;
  if (!row.baseline || row.baseline.value === 0 || !Number.isFinite(row.baseline.value)) return undefined;
  return row.value / row.baseline.value;
}

export function passed(row: Row): boolean | undefined {
  if (!row.target) return undefined;
  const subject = row.target.on === 'value' ? row.value : ratioOf(row);
  if (subject === undefined || !Number.isFinite(subject)) return false;
  return row.target.op === '>=' ? subject >= row.target.threshold : subject <= row.target.threshold;
}

export function formatNumber(value: number, unit = ''): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  const digits = Number.isInteger(value) || abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  const text = value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit ? `${text} ${unit}` : text;
}

function formatTarget(row: Row): string {
  if (!row.target) return '—';
  const { on, op, threshold } = row.target;
  const sign = op === '>=' ? '≥' : '≤';
  return on === 'ratio' ? `ratio ${sign} ${threshold}` : `${sign} ${formatNumber(threshold, row.unit)}`;
}

export function renderReport(report: ScenarioReport): string {
  const header = ['figure', 'value', 'baseline', 'ratio', 'target', 'result'];
  const lines = report.rows.map((row) => {
    const ratio = ratioOf(row);
    const ok = passed(row);
    return [
      row.figure,
      formatNumber(row.value, row.unit),
      row.baseline ? `${formatNumber(row.baseline.value, row.unit)} (${row.baseline.label})` : '—',
      ratio === undefined ? '—' : `${ratio.toFixed(2)}×`,
      formatTarget(row),
      ok === undefined ? '—' : ok ? 'PASS' : 'FAIL',
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]): string =>
    cells
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ');
  const out = [
    '',
    `== ${report.scenario}: ${report.title}`,
    ...report.info.map((line) => `   ${line}`),
    '',
    format(header),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...lines.map(format),
  ];
  const notes = report.rows.filter((row) => row.note).map((row) => `   * ${row.figure}: ${row.note}`);
  if (notes.length) out.push('', ...notes);
  return out.join('\n');
}

/** A markdown version of the same table, for pasting into docs/performance.md. */
export function renderMarkdown(report: ScenarioReport): string {
  const out = [`| ${report.scenario} | value | baseline | ratio | target | result |`, '|---|---|---|---|---|---|'];
  for (const row of report.rows) {
    const ratio = ratioOf(row);
    const ok = passed(row);
    out.push(
      `| ${row.figure} | ${formatNumber(row.value, row.unit)} | ${
        row.baseline ? `${formatNumber(row.baseline.value, row.unit)} (${row.baseline.label})` : '—'
      } | ${ratio === undefined ? '—' : `${ratio.toFixed(2)}×`} | ${formatTarget(row)} | ${
        ok === undefined ? '—' : ok ? 'pass' : 'FAIL'
      } |`,
    );
  }
  return out.join('\n');
}
