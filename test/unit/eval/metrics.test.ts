import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  evaluate,
  judgmentsFrom,
  ndcgAt,
  reciprocalRank,
  recallAt,
  type Judgments,
  type Run,
} from '../../../src/core/eval/metrics';

const here = dirname(fileURLToPath(import.meta.url));
const GOLDEN = resolve(here, '../../golden');

interface GoldenMetrics {
  run: Run;
  qrels: Judgments;
  evaluated_queries: string[];
  skipped_queries: string[];
  [metric: string]: unknown;
}
const golden = (JSON.parse(readFileSync(join(GOLDEN, 'losses.json'), 'utf8')) as { expected: { metrics: GoldenMetrics } })
  .expected.metrics;

describe('metrics: golden values (test/golden/losses.json, float64 reference)', () => {
  const metricKeys = Object.keys(golden).filter((k) => /@|^map$/.test(k));

  it('has the cases this test expects', () => {
    expect(metricKeys.sort()).toEqual(['mrr@10', 'ndcg@10', 'recall@1', 'recall@10', 'recall@5']);
  });

  it('matches every metric to 1e-6, evaluating and skipping the same queries', () => {
    const r = evaluate(golden.run, golden.qrels, metricKeys);
    for (const k of metricKeys) expect(r.mean[k]).toBeCloseTo(golden[k] as number, 6);
    expect(r.evaluated).toEqual(golden.evaluated_queries);
    expect(r.skipped).toEqual(golden.skipped_queries);
    expect(r.missing).toEqual([]);
    // Per-query values, aligned with `evaluated`, average to the means.
    expect(r.perQuery['mrr@10']).toEqual([0.5, 0, 1]);
  });
});

describe('metrics: hand-made cases', () => {
  const grades = { d1: 2, d2: 1, d3: 0 };

  it('MRR@k: first relevant within k; grade 0 is not relevant', () => {
    expect(reciprocalRank(['d3', 'x', 'd2', 'd1'], grades)).toBeCloseTo(1 / 3, 12);
    expect(reciprocalRank(['d3', 'x', 'd2'], grades, 2)).toBe(0);
    expect(reciprocalRank([], grades)).toBe(0);
  });

  it('Recall@k counts unretrieved relevant documents in the denominator', () => {
    expect(recallAt(['d1', 'd3', 'x'], grades, 3)).toBe(0.5);
    expect(recallAt(['d1', 'd3', 'x', 'd2'], grades, 3)).toBe(0.5);
    expect(recallAt(['d1', 'd3', 'x', 'd2'], grades, 4)).toBe(1);
  });

  it('nDCG@10 uses linear gains and an ideal ranking from all judged grades', () => {
    // DCG = 1/log2(2) + 2/log2(4); IDCG = 2/log2(2) + 1/log2(3)
    const dcg = 1 + 2 / 2;
    const idcg = 2 + 1 / Math.log2(3);
    expect(ndcgAt(['d2', 'x', 'd1'], grades)).toBeCloseTo(dcg / idcg, 12);
    expect(ndcgAt(['d1', 'd2'], grades)).toBe(1);
    expect(ndcgAt(['x'], { d1: 0 })).toBe(0);
    // Rank 11 is past the cutoff.
    expect(ndcgAt([...Array.from({ length: 10 }, (_, i) => `n${i}`), 'd1'], grades)).toBe(0);
  });

  it('MAP: mean precision at each relevant rank, over all relevant documents', () => {
    expect(averagePrecision(['d1', 'x', 'd2'], { d1: 1, d2: 1, d9: 1 })).toBeCloseTo((1 + 2 / 3) / 3, 12);
  });

  it('ties are broken by corpus order upstream: the order given is the ranking', () => {
    // Two documents with equal scores, corpus order a < b: the run lists a first.
    const r = evaluate({ q: ['a', 'b'] }, { q: { b: 1 } }, ['mrr@10']);
    expect(r.mean['mrr@10']).toBe(0.5);
  });

  it('skips and lists queries without a relevant document; scores missing rankings as zero', () => {
    const r = evaluate(
      { q1: ['d1'], q3: ['d1'] },
      judgmentsFrom([
        { qid: 'q1', docId: 'd1', rel: 1 },
        { qid: 'q2', docId: 'd1', rel: 1 },
        { qid: 'q3', docId: 'd1', rel: 0 },
      ]),
      ['mrr@10', 'recall@1'],
    );
    expect(r.evaluated).toEqual(['q1', 'q2']);
    expect(r.skipped).toEqual(['q3']);
    expect(r.missing).toEqual(['q2']);
    expect(r.mean).toEqual({ 'mrr@10': 0.5, 'recall@1': 0.5 });
    expect(evaluate({}, {}, ['map']).mean.map).toBe(0);
  });

  it('names metrics with any cutoff and rejects unknown ones', () => {
    const r = evaluate({ q: ['a', 'b', 'c'] }, { q: { c: 1 } }, ['recall@2', 'RECALL@3', 'p@3', 'ndcg@3', 'map']);
    expect(r.mean).toEqual({ 'recall@2': 0, 'RECALL@3': 1, 'p@3': 1 / 3, 'ndcg@3': 0.5, map: 1 / 3 });
    expect(() => evaluate({}, {}, ['bleu'])).toThrow(/unknown metric "bleu"/);
    expect(() => evaluate({}, {}, ['mrr@0'])).toThrow(/k must be at least 1/);
  });
});
