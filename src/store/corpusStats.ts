// What the store keeps about a corpus besides its records: size statistics and the BM25
// baseline on every judged split, computed once before the corpus is committed so the
// corpus list can show them without reading the shards again.
import { SPLITS, type Corpus, type Split } from '../core/data/types';
import { evaluate } from '../core/eval/metrics';
import { Bm25Index } from '../core/text/bm25';
import type { BaselineMetrics, CorpusStats } from './schema';

/** The metrics the baseline table shows. */
export const BASELINE_METRICS = ['mrr@10', 'ndcg@10', 'recall@100', 'map'] as const;
/** Ranking depth: BEIR evaluates BM25 on its top 1,000 (MAP is over that depth). */
export const BASELINE_DEPTH = 1000;

const words = (s: string) => {
  let n = 0;
  for (const w of s.split(/\s+/)) if (w !== '') n++;
  return n;
};

export function corpusStats(corpus: Corpus, index: Bm25Index): CorpusStats {
  let docWords = 0;
  for (const d of corpus.docs) docWords += words(d.title) + words(d.text);
  let queryWords = 0;
  for (const q of corpus.queries) queryWords += words(q.text);
  return {
    avgDocWords: corpus.docs.length ? docWords / corpus.docs.length : 0,
    avgQueryWords: corpus.queries.length ? queryWords / corpus.queries.length : 0,
    vocabularySize: index.vocabularySize,
  };
}

/**
 * BM25 (Anserini defaults) on one split: ranks every judged query over the whole corpus
 * and scores the ranking. Null when the split has no query with a relevant document.
 */
export function bm25Baseline(corpus: Corpus, split: Split, index: Bm25Index): BaselineMetrics | null {
  const qrels = corpus.qrels[split];
  if (qrels.length === 0) return null;
  const judged = new Set(qrels.map((q) => q.qid));
  const queries = corpus.queries.filter((q) => judged.has(q.id));
  const run = index.rank(queries, BASELINE_DEPTH);
  const r = evaluate(run, qrels, BASELINE_METRICS);
  if (r.evaluated.length === 0) return null;
  return {
    'mrr@10': r.mean['mrr@10'],
    'ndcg@10': r.mean['ndcg@10'],
    'recall@100': r.mean['recall@100'],
    map: r.mean.map,
    queries: r.evaluated.length,
  };
}

/** Statistics and the BM25 baseline on every split with judgments (one index for all). */
export function describeCorpus(corpus: Corpus): { stats: CorpusStats; baseline: Partial<Record<Split, BaselineMetrics>> } {
  const index = Bm25Index.build(corpus.docs);
  const baseline: Partial<Record<Split, BaselineMetrics>> = {};
  for (const s of SPLITS) {
    const m = bm25Baseline(corpus, s, index);
    if (m) baseline[s] = m;
  }
  return { stats: corpusStats(corpus, index), baseline };
}

/** The split a baseline table shows: test, else dev, else train. */
export function preferredSplit(available: Iterable<Split>): Split | null {
  const have = new Set(available);
  for (const s of ['test', 'dev', 'train'] as const) if (have.has(s)) return s;
  return null;
}
