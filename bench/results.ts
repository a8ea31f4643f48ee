/**
 * The benchmark results file, `reports/results.json`: one flat array of
 * measurements that every suite appends to. A run of some suites replaces
 * those suites' rows and keeps the others'.
 */
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';

/** One measurement. `ratio` is `value / baseline-value` for the named baseline case, same run. */
export interface Result {
  suite: string;
  case: string;
  metric: string;
  value: number;
  unit: string;
  /** The case this one is compared against (same suite, same run). */
  baseline?: string;
  /** How many times better than the baseline (higher is better, whatever the unit). */
  ratio?: number;
}

/** Merges `rows` into the results file, replacing earlier rows of the same suites. */
export function writeResults(file: string, suites: string[], rows: Result[]): Result[] {
  let old: Result[] = [];
  if (existsSync(file)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (Array.isArray(parsed)) old = parsed as Result[];
    } catch {
      old = [];
    }
  }
  const merged = [...old.filter((r) => !suites.includes(r.suite)), ...rows];
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(merged, null, 2) + '\n');
  return merged;
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6) return v.toExponential(3);
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

/** Renders rows as a fixed-width text table. */
export function formatTable(rows: Result[]): string {
  const head = ['suite', 'case', 'metric', 'value', 'unit', 'ratio', 'baseline'];
  const body = rows.map((r) => [r.suite, r.case, r.metric, fmt(r.value), r.unit, r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`, r.baseline ?? '']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 3 || i === 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
