// Benchmark results: rows of figures per supervisor, checks against the targets (ratios measured
// in the same run), markdown tables, and the median over repeated runs (pure).
import { median } from './stats.js';

export const COLUMNS = ['corepod', 'supervisord', 'pm2', 's6', 'baseline'] as const;
export type Column = (typeof COLUMNS)[number];
export type Peer = Exclude<Column, 'corepod'>;

export type Check =
  /** corepod / values[against] compared with limit. */
  | { kind: 'ratio'; against: Peer; op: '<=' | '>='; limit: number }
  /** corepod's figure itself compared with limit. */
  | { kind: 'absolute'; op: '<=' | '>='; limit: number };

export interface Row {
  metric: string;
  unit: string;
  values: Partial<Record<Column, number>>;
  decimals?: number;
  checks?: Check[];
}

export interface BenchResult {
  name: string;
  title: string;
  /** What the baseline column measures for this benchmark (e.g. "cat > file"). */
  baseline?: string;
  rows: Row[];
  notes: string[];
  /** Raw samples and anything else worth keeping in the JSON file. */
  details: Record<string, unknown>;
}

export interface CheckOutcome {
  check: Check;
  ratio: number | undefined;
  ok: boolean | undefined;
}

function compare(value: number, op: '<=' | '>=', limit: number): boolean {
  return op === '<=' ? value <= limit : value >= limit;
}

export function evaluate(row: Row): CheckOutcome[] {
  const corepod = row.values.corepod;
  return (row.checks ?? []).map((check) => {
    if (corepod === undefined || !Number.isFinite(corepod)) return { check, ratio: undefined, ok: undefined };
    if (check.kind === 'absolute') return { check, ratio: undefined, ok: compare(corepod, check.op, check.limit) };
    const other = row.values[check.against];
    if (other === undefined || !Number.isFinite(other) || other === 0) return { check, ratio: undefined, ok: undefined };
    const ratio = corepod / other;
    return { check, ratio, ok: compare(ratio, check.op, check.limit) };
  });
}

/** true if every check passed, false if one failed, undefined if some could not be decided and none failed. */
export function rowOk(row: Row): boolean | undefined {
  const outcomes = evaluate(row);
  if (outcomes.length === 0) return undefined;
  if (outcomes.some((o) => o.ok === false)) return false;
  if (outcomes.some((o) => o.ok === undefined)) return undefined;
  return true;
}

export function formatNumber(value: number | undefined, decimals = 1): string {
  if (value === undefined) return '—';
  if (!Number.isFinite(value)) return 'n/a';
  return value.toFixed(decimals);
}

function formatRatio(ratio: number): string {
  if (ratio === 0) return '0';
  if (Math.abs(ratio) >= 10) return ratio.toFixed(0);
  if (Math.abs(ratio) >= 0.1) return ratio.toFixed(2);
  return ratio.toPrecision(2);
}

function describeCheck(check: Check, unit: string): string {
  const op = check.op === '<=' ? '≤' : '≥';
  return check.kind === 'absolute' ? `${op} ${check.limit} ${unit}` : `${op} ${check.limit}× ${check.against}`;
}

export function formatTable(result: BenchResult): string {
  const baseline = result.baseline ? `baseline: ${result.baseline}` : 'baseline';
  const head = ['metric', ...COLUMNS.filter((c) => c !== 'baseline'), baseline, 'ratio', 'target', 'ok'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const row of result.rows) {
    const outcomes = evaluate(row);
    const ratios = outcomes.flatMap((o) => (o.check.kind === 'ratio' && o.ratio !== undefined ? [`${formatRatio(o.ratio)}× ${o.check.against}`] : []));
    const ok = rowOk(row);
    const cells = [
      `${row.metric} (${row.unit})`,
      ...COLUMNS.map((column) => formatNumber(row.values[column], row.decimals)),
      ratios.join(', ') || '—',
      (row.checks ?? []).map((check) => describeCheck(check, row.unit)).join(', ') || '—',
      ok === undefined ? (outcomes.length === 0 ? '' : 'n/a') : ok ? 'yes' : '**NO**',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function formatResult(result: BenchResult): string {
  const notes = result.notes.map((note) => `- ${note}`).join('\n');
  return `### ${result.title}\n\n${formatTable(result)}\n${notes ? `\n${notes}\n` : ''}`;
}

/**
 * The median over repeated runs of one benchmark, cell by cell (rows matched by metric);
 * notes of the last run, details of every run.
 */
export function medianOf(runs: readonly BenchResult[]): BenchResult {
  if (runs.length === 0) throw new Error('no runs to aggregate');
  if (runs.length === 1) return runs[0]!;
  const last = runs[runs.length - 1]!;
  const rows = last.rows.map((row) => {
    const same = runs.map((run) => run.rows.find((r) => r.metric === row.metric));
    const values: Partial<Record<Column, number>> = {};
    for (const column of COLUMNS) {
      const samples = same.flatMap((r) => (r?.values[column] !== undefined && Number.isFinite(r.values[column]) ? [r.values[column]!] : []));
      if (samples.length > 0) values[column] = median(samples);
    }
    return { ...row, values };
  });
  return { ...last, rows, notes: [`median of ${runs.length} runs`, ...last.notes], details: { runs: runs.map((run) => run.details) } };
}
