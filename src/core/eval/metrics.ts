// Retrieval metrics exactly as algorithms.md section 6 (trec_eval's definitions):
// a ranked list per query, relevant = grade > 0, queries without a relevant document
// skipped (and listed). Per-query values are kept for paired significance tests.

import type { Qrel } from '../data/types';

/** Ranked document ids per query id, best first (ties already broken by corpus order). */
export type Run = Record<string, readonly string[]>;
/** Grades per query id per document id; grade > 0 is relevant and is the nDCG gain. */
export type Judgments = Record<string, Record<string, number>>;

/** Nests a flat qrels list; a repeated (qid, docId) keeps the first grade. */
export function judgmentsFrom(qrels: readonly Qrel[]): Judgments {
  const out: Judgments = {};
  for (const q of qrels) {
    const m = (out[q.qid] ??= {});
    if (!(q.docId in m)) m[q.docId] = q.rel;
  }
  return out;
}

/** 1 / rank of the first relevant document within the top k, else 0. */
export function reciprocalRank(ranked: readonly string[], grades: Record<string, number>, k = 10): number {
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if ((grades[ranked[i]] ?? 0) > 0) return 1 / (i + 1);
  return 0;
}

const relevantCount = (grades: Record<string, number>) => Object.values(grades).filter((g) => g > 0).length;

/** |relevant in top k| / |relevant| (0 when nothing is relevant). */
export function recallAt(ranked: readonly string[], grades: Record<string, number>, k: number): number {
  const total = relevantCount(grades);
  if (total === 0) return 0;
  let found = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if ((grades[ranked[i]] ?? 0) > 0) found++;
  return found / total;
}

/** |relevant in top k| / k. */
export function precisionAt(ranked: readonly string[], grades: Record<string, number>, k: number): number {
  let found = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) if ((grades[ranked[i]] ?? 0) > 0) found++;
  return found / k;
}

/**
 * nDCG@k with linear gains (trec_eval's ndcg_cut): DCG = sum_{i=1..k} rel_i / log2(i + 1);
 * the ideal DCG sorts every judged grade descending (unretrieved relevant documents count).
 */
export function ndcgAt(ranked: readonly string[], grades: Record<string, number>, k = 10): number {
  let dcg = 0;
  const n = Math.min(k, ranked.length);
  for (let i = 0; i < n; i++) {
    const g = grades[ranked[i]] ?? 0;
    if (g > 0) dcg += g / Math.log2(i + 2);
  }
  const ideal = Object.values(grades)
    .filter((g) => g > 0)
    .sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += ideal[i] / Math.log2(i + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

/** Average precision over the whole ranked list: mean of precision@rank at each relevant hit, over |relevant|. */
export function averagePrecision(ranked: readonly string[], grades: Record<string, number>): number {
  const total = relevantCount(grades);
  if (total === 0) return 0;
  let found = 0;
  let sum = 0;
  for (let i = 0; i < ranked.length; i++) {
    if ((grades[ranked[i]] ?? 0) > 0) {
      found++;
      sum += found / (i + 1);
    }
  }
  return sum / total;
}

/** Metric names: "mrr@k", "recall@k", "ndcg@k", "p@k", "map". */
export type MetricName = string;
export const DEFAULT_METRICS: readonly MetricName[] = ['mrr@10', 'recall@10', 'recall@100', 'ndcg@10', 'map'];

/** A metric by name, as a function of one query's ranking and grades. */
export function metricFn(name: MetricName): (ranked: readonly string[], grades: Record<string, number>) => number {
  const m = /^(mrr|recall|ndcg|p)@(\d+)$/.exec(name.toLowerCase());
  if (m) {
    const k = Number(m[2]);
    if (k < 1) throw new RangeError(`metric "${name}": k must be at least 1`);
    switch (m[1]) {
      case 'mrr':
        return (r, g) => reciprocalRank(r, g, k);
      case 'recall':
        return (r, g) => recallAt(r, g, k);
      case 'ndcg':
        return (r, g) => ndcgAt(r, g, k);
      default:
        return (r, g) => precisionAt(r, g, k);
    }
  }
  if (name.toLowerCase() === 'map') return averagePrecision;
  throw new RangeError(`unknown metric "${name}" (expected mrr@k, recall@k, ndcg@k, p@k or map)`);
}

export interface EvalResult {
  /** Mean of each metric over the evaluated queries (0 when none). */
  mean: Record<MetricName, number>;
  /** Per metric, the values in the order of `evaluated` (for paired tests). */
  perQuery: Record<MetricName, number[]>;
  /** Queries with at least one relevant document, in qrels order. */
  evaluated: string[];
  /** Judged queries without a relevant document: skipped, to be shown as a warning. */
  skipped: string[];
  /** Evaluated queries absent from the run: scored as an empty ranking (all zero). */
  missing: string[];
}

/**
 * Evaluates a run against judgments. Every judged query with a relevant document counts
 * (as trec_eval -c): one the run lacks scores 0, so a run cannot look better by omission.
 */
export function evaluate(run: Run, qrels: readonly Qrel[] | Judgments, metrics: readonly MetricName[] = DEFAULT_METRICS): EvalResult {
  const judgments = Array.isArray(qrels) ? judgmentsFrom(qrels) : (qrels as Judgments);
  const fns = metrics.map(metricFn);
  const perQuery: Record<MetricName, number[]> = Object.fromEntries(metrics.map((m) => [m, []]));
  const evaluated: string[] = [];
  const skipped: string[] = [];
  const missing: string[] = [];
  for (const [qid, grades] of Object.entries(judgments)) {
    if (relevantCount(grades) === 0) {
      skipped.push(qid);
      continue;
    }
    evaluated.push(qid);
    const ranked = run[qid];
    if (!ranked) missing.push(qid);
    fns.forEach((f, i) => perQuery[metrics[i]].push(f(ranked ?? [], grades)));
  }
  const mean: Record<MetricName, number> = {};
  for (const m of metrics) {
    const v = perQuery[m];
    mean[m] = v.length ? v.reduce((s, x) => s + x, 0) / v.length : 0;
  }
  return { mean, perQuery, evaluated, skipped, missing };
}
