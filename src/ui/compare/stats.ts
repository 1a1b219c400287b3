// Statistics of the Compare view: mean ± spread over seeds, per-query wins and losses between
// two runs, and the paired significance tests (the core's paired t-test and paired
// randomisation test, src/core/eval/significance.ts) on per-query values aligned by query id.

import { pairedTTest, permutationTest, type PairedTestResult, type TTestResult } from '../../core/eval/significance';

export interface Spread {
  mean: number;
  /** Sample standard deviation (n - 1); 0 for a single value. */
  sd: number;
  n: number;
  min: number;
  max: number;
}

export function meanSpread(values: readonly number[]): Spread {
  const v = values.filter((x) => Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, sd: NaN, n: 0, min: NaN, max: NaN };
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const sd = n > 1 ? Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n, min: Math.min(...v), max: Math.max(...v) };
}

/** Per-query values of one metric, by query id. */
export type PerQuery = Readonly<Record<string, number>>;

/** The queries both runs scored, in the first run's order, with both values. */
export function alignPaired(a: PerQuery, b: PerQuery): { qids: string[]; a: number[]; b: number[]; onlyA: number; onlyB: number } {
  const qids = Object.keys(a).filter((q) => q in b && Number.isFinite(a[q]) && Number.isFinite(b[q]));
  const inB = new Set(qids);
  return {
    qids,
    a: qids.map((q) => a[q]),
    b: qids.map((q) => b[q]),
    onlyA: Object.keys(a).filter((q) => !inB.has(q)).length,
    onlyB: Object.keys(b).filter((q) => !(q in a)).length,
  };
}

export interface QueryDiff {
  qid: string;
  a: number;
  b: number;
  /** a - b */
  diff: number;
}

export interface WinsLosses {
  /** Queries where run A scores higher than run B (by more than `tolerance`). */
  wins: number;
  losses: number;
  ties: number;
  /** Every paired query, the largest gain of A first, the largest loss last. */
  rows: QueryDiff[];
}

export function winsLosses(a: PerQuery, b: PerQuery, tolerance = 1e-9): WinsLosses {
  const p = alignPaired(a, b);
  const rows = p.qids.map((qid, i) => ({ qid, a: p.a[i], b: p.b[i], diff: p.a[i] - p.b[i] }));
  rows.sort((x, y) => y.diff - x.diff || x.qid.localeCompare(y.qid));
  let wins = 0;
  let losses = 0;
  for (const r of rows) {
    if (r.diff > tolerance) wins++;
    else if (r.diff < -tolerance) losses++;
  }
  return { wins, losses, ties: rows.length - wins - losses, rows };
}

export interface PairedComparison {
  n: number;
  meanA: number;
  meanB: number;
  /** mean(a - b) */
  meanDiff: number;
  tTest: TTestResult;
  permutation: PairedTestResult & { iterations: number; seed: number };
  wl: WinsLosses;
  /** Queries only one of the two runs scored (left out of the test). */
  unpaired: number;
}

export const PERMUTATION_ITERATIONS = 10_000;

/** Both paired tests (two-sided) on the queries the two runs share. */
export function pairedComparison(a: PerQuery, b: PerQuery, opts: { iterations?: number; seed?: number } = {}): PairedComparison {
  const iterations = opts.iterations ?? PERMUTATION_ITERATIONS;
  const seed = opts.seed ?? 0;
  const p = alignPaired(a, b);
  const mean = (v: number[]) => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN);
  return {
    n: p.qids.length,
    meanA: mean(p.a),
    meanB: mean(p.b),
    meanDiff: mean(p.a.map((x, i) => x - p.b[i])),
    tTest: pairedTTest(p.a, p.b),
    permutation: { ...permutationTest(p.a, p.b, { iterations, seed }), iterations, seed },
    wl: winsLosses(a, b),
    unpaired: p.onlyA + p.onlyB,
  };
}

/** One sentence that reads the test: which run is better, and whether the data say so. */
export function verdict(c: PairedComparison, nameA: string, nameB: string, alpha = 0.05): string {
  if (c.n < 2) return 'Too few shared queries for a test.';
  const p = c.permutation.p;
  if (c.meanDiff === 0) return `${nameA} and ${nameB} score the same on average.`;
  const better = c.meanDiff > 0 ? nameA : nameB;
  const worse = c.meanDiff > 0 ? nameB : nameA;
  return p < alpha
    ? `${better} is better than ${worse}, and the difference is significant at α = ${alpha} (randomisation test p = ${p.toFixed(4)}).`
    : `${better} scores higher than ${worse} on average, but the difference is not significant at α = ${alpha} (randomisation test p = ${p.toFixed(3)}): it could be chance.`;
}
