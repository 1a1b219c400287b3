// Evaluating one model on a corpus split, exactly as an experiment evaluates its students
// (src/core/distill/experiment.ts): the split's judged queries, ranked 100 deep; a DE
// searches the whole corpus, a CE or ColBERT re-ranks BM25's top `rerankDepth` (BM25 over
// title + text, Anserini's defaults). The same weights on the same backend give the same
// numbers as the run that trained them.
import type { Corpus, Split } from '../data/types';
import { CancelledError, ConfigError } from '../errors';
import type { RetrievalModel } from '../model/retriever';
import { Bm25Index } from '../text/bm25';
import type { MetricSet } from '../train/events';
import { evaluateRankings, judgedQueries, metricSet, rankWithModel, toRun, type Rankings } from './search';

export interface ModelEvaluation {
  split: Split;
  metrics: MetricSet;
  /** Per evaluated query: nDCG@10 and MRR@10. */
  perQuery: { qids: string[]; 'ndcg@10': number[]; 'mrr@10': number[] };
  /** Document ids ranked per judged query, best first (100 deep). */
  run: Record<string, string[]>;
  /** The model's score of each ranked document, aligned with `run` (SearchOptions.scores). */
  scores?: Record<string, number[]>;
}

export interface EvaluateOptions {
  /** Candidates a CE or ColBERT model re-ranks (default 30, the experiments' default). */
  rerankDepth?: number;
  signal?: { aborted: boolean };
  onProgress?: (done: number, total: number) => void;
}

/** The split evaluated when none is named: test, else dev. */
export function defaultEvalSplit(corpus: Corpus): Split {
  if ((corpus.qrels.test ?? []).length > 0) return 'test';
  if ((corpus.qrels.dev ?? []).length > 0) return 'dev';
  throw new ConfigError(`corpus "${corpus.name}" has no test or dev judgments to evaluate on`);
}

export async function evaluateModel(model: RetrievalModel, corpus: Corpus, split: Split, opts: EvaluateOptions = {}): Promise<ModelEvaluation> {
  if (split === 'train') throw new ConfigError('evaluate on dev or test, never on the training queries', { field: 'split' });
  const qrels = corpus.qrels[split] ?? [];
  if (qrels.length === 0) throw new ConfigError(`corpus "${corpus.name}" has no ${split} judgments to evaluate on`, { field: 'split' });
  const queries = judgedQueries(corpus, qrels);
  let candidates: Rankings | undefined;
  if (model.config.kind !== 'de') {
    const bm25 = Bm25Index.build(corpus.docs);
    const hits = bm25.searchBatch(queries.map((q) => q.text), 100);
    candidates = new Map(queries.map((q, i) => [q.id, hits[i].map((h) => h.docIndex)]));
  }
  const scores = new Map<string, number[]>();
  const rankings = await rankWithModel(model, corpus, queries, {
    k: 100,
    scores,
    candidates,
    rerankDepth: opts.rerankDepth ?? 30,
    onProgress: opts.onProgress,
    checkCancel: () => {
      if (opts.signal?.aborted) throw new CancelledError('evaluation cancelled');
    },
  });
  const r = evaluateRankings(corpus, rankings, qrels);
  return {
    split,
    metrics: metricSet(r),
    perQuery: { qids: r.evaluated, 'ndcg@10': r.perQuery['ndcg@10'], 'mrr@10': r.perQuery['mrr@10'] },
    run: toRun(corpus, rankings),
    scores: Object.fromEntries(scores),
  };
}
