// The text of every file the Export view writes, built by pure functions (tested in Node):
// metrics as CSV and JSON (and back), per-query values as CSV, TREC runs (the core's writer)
// and the run config (config/runConfig.ts).

import { ConfigError } from '../../core/errors';
import { toTrecRun, type Rankings } from '../../core/eval/trec';
import type { CompareRun } from '../compare/compareRun';
import { METRIC_KEYS, type MetricKey } from '../runState';

export const METRICS_FORMAT = 'distill-lab-metrics';

export interface MetricsRow {
  run: string;
  group: string;
  seed: number | null;
  split: string;
  metrics: Partial<Record<MetricKey, number>>;
  /** Per-query values by metric and query id (JSON only; lets Compare run its paired tests). */
  perQuery?: Partial<Record<MetricKey, Record<string, number>>>;
}

export function rowsFromRuns(runs: readonly CompareRun[], split = 'test'): MetricsRow[] {
  return runs.map((r) => ({ run: r.name, group: r.group, seed: r.seed ?? null, split, metrics: r.metrics, ...(r.perQuery ? { perQuery: r.perQuery } : {}) }));
}

/**
 * A text cell a spreadsheet would run as a formula (=, +, -, @, or a leading tab or CR, as
 * OWASP lists them) gets a leading apostrophe; numbers, and text that is a plain number
 * ("-1", "+0.5"), are left as they are.
 */
export function escapeFormula(s: string): string {
  return /^[=+\-@\t\r]/.test(s) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) ? `'${s}` : s;
}

/** RFC 4180 field: quoted when it holds a comma, quote or line break; formulas escaped (escapeFormula). */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : escapeFormula(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const csvLine = (fields: (string | number | null | undefined)[]) => fields.map(csvField).join(',');

/** One line per run; CRLF line ends (as the lab's other CSV output). */
export function metricsToCsv(rows: readonly MetricsRow[]): string {
  const lines = [csvLine(['run', 'group', 'seed', 'split', ...METRIC_KEYS])];
  for (const r of rows) lines.push(csvLine([r.run, r.group, r.seed, r.split, ...METRIC_KEYS.map((m) => r.metrics[m])]));
  return lines.join('\r\n') + '\r\n';
}

/** Long format: one line per run, metric and query. */
export function perQueryToCsv(rows: readonly MetricsRow[]): string {
  const lines = [csvLine(['run', 'split', 'metric', 'qid', 'value'])];
  for (const r of rows) {
    for (const m of METRIC_KEYS) {
      const pq = r.perQuery?.[m];
      if (!pq) continue;
      for (const [qid, v] of Object.entries(pq)) lines.push(csvLine([r.run, r.split, m, qid, v]));
    }
  }
  return lines.join('\r\n') + '\r\n';
}

export function metricsToJson(rows: readonly MetricsRow[]): string {
  return JSON.stringify({ format: METRICS_FORMAT, version: 1, rows }, null, 2) + '\n';
}

function bad(field: string, message: string): never {
  throw new ConfigError(`metrics file: ${field} ${message}`, { field });
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads a metrics JSON file back (validated; errors name the field). */
export function parseMetricsJson(text: string): MetricsRow[] {
  let x: unknown;
  try {
    x = JSON.parse(text);
  } catch (e) {
    bad('(root)', `is not valid JSON (${(e as Error).message})`);
  }
  if (typeof x !== 'object' || x === null) bad('(root)', 'must be an object');
  const o = x as Record<string, unknown>;
  if (o.format !== METRICS_FORMAT) bad('format', `must be "${METRICS_FORMAT}", got ${JSON.stringify(o.format)}`);
  if (o.version !== 1) bad('version', `must be 1, got ${JSON.stringify(o.version)}`);
  if (!Array.isArray(o.rows)) bad('rows', 'must be a list');
  return o.rows.map((r: unknown, i: number): MetricsRow => {
    const at = `rows[${i}]`;
    if (typeof r !== 'object' || r === null) bad(at, 'must be an object');
    const row = r as Record<string, unknown>;
    if (typeof row.run !== 'string' || !row.run) bad(`${at}.run`, 'must be a non-empty string');
    if (typeof row.group !== 'string') bad(`${at}.group`, 'must be a string');
    if (row.seed !== null && !(isNum(row.seed) && Number.isInteger(row.seed))) bad(`${at}.seed`, 'must be an integer or null');
    if (typeof row.split !== 'string') bad(`${at}.split`, 'must be a string');
    if (typeof row.metrics !== 'object' || row.metrics === null) bad(`${at}.metrics`, 'must be an object');
    const metrics: MetricsRow['metrics'] = {};
    for (const [k, v] of Object.entries(row.metrics as Record<string, unknown>)) {
      if (!(METRIC_KEYS as readonly string[]).includes(k)) bad(`${at}.metrics.${k}`, `is not a metric (${METRIC_KEYS.join(', ')})`);
      if (!isNum(v)) bad(`${at}.metrics.${k}`, 'must be a number');
      metrics[k as MetricKey] = v;
    }
    const out: MetricsRow = { run: row.run, group: row.group, seed: (row.seed as number | null) ?? null, split: row.split, metrics };
    if (row.perQuery !== undefined) {
      if (typeof row.perQuery !== 'object' || row.perQuery === null) bad(`${at}.perQuery`, 'must be an object');
      const pq: NonNullable<MetricsRow['perQuery']> = {};
      for (const [m, vals] of Object.entries(row.perQuery as Record<string, unknown>)) {
        if (!(METRIC_KEYS as readonly string[]).includes(m)) bad(`${at}.perQuery.${m}`, 'is not a metric');
        if (typeof vals !== 'object' || vals === null) bad(`${at}.perQuery.${m}`, 'must map query ids to numbers');
        for (const [q, v] of Object.entries(vals as Record<string, unknown>)) if (!isNum(v)) bad(`${at}.perQuery.${m}.${q}`, 'must be a number');
        pq[m as MetricKey] = vals as Record<string, number>;
      }
      out.perQuery = pq;
    }
    return out;
  });
}

/** Imported metrics as Compare runs (no curves: a file carries final values only). */
export function runsFromRows(rows: readonly MetricsRow[], idPrefix = 'imported'): CompareRun[] {
  return rows.map((r, i) => ({
    id: `${idPrefix}-${i}-${r.run}`,
    name: r.run,
    group: r.group || r.run,
    seed: r.seed ?? undefined,
    metrics: r.metrics,
    perQuery: r.perQuery,
  }));
}

/** A TREC run file (`qid Q0 docid rank score run_name`) of a model's rankings. */
export function trecRunText(rankings: Rankings, runName: string): string {
  return toTrecRun(rankings, runName);
}
