// Retrieval with a trained model, for evaluation and hard-negative mining.
// - DE: encode the whole corpus once (chunks), then exact top-k of query x passage dot
//   products on the backend, a chunk of queries at a time (tf.topk: no full sort).
// - CB (ColBERT) and CE (cross-encoder): re-rank the top candidates of a first stage
//   (BM25 or another model), keeping the first stage's order below the re-ranked depth.
import * as tf from '@tensorflow/tfjs';
import type { Corpus, Qrel, Query } from '../data/types';
import { evaluate, type EvalResult } from '../eval/metrics';
import type { RetrievalModel } from '../model/retriever';
import type { MetricSet } from '../train/events';
import { docText } from '../train/examples';

/** qid -> document indices, best first. */
export type Rankings = Map<string, number[]>;

export interface SearchOptions {
  /** Depth of each ranking. */
  k: number;
  /** Passages per encoder forward pass. */
  encodeBatch?: number;
  /** Queries per similarity chunk. */
  queryChunk?: number;
  /** First-stage candidates for CB/CE re-ranking (required for CE). */
  candidates?: Rankings;
  /** How many of the candidates CB/CE re-rank. */
  rerankDepth?: number;
  /** Called with (done, total) as work proceeds. */
  onProgress?: (done: number, total: number) => void;
  /** Between chunks: throw to cancel. */
  checkCancel?: () => void;
}

/** Passage embeddings of a whole corpus for a DE model: [N, H], kept on the backend. */
export function encodeCorpus(model: RetrievalModel, corpus: Corpus, batch = 128, onChunk?: (done: number) => void): tf.Tensor2D {
  const texts = corpus.docs.map(docText);
  const parts: tf.Tensor2D[] = [];
  try {
    for (let i = 0; i < texts.length; i += batch) {
      const e = model.encodePassages(texts.slice(i, i + batch), { batchSize: batch });
      if (e.kind !== 'dense') {
        e.vectors.dispose();
        if (e.kind === 'tokens') e.mask.dispose();
        throw new RangeError('encodeCorpus: only dense (DE) models encode a whole corpus');
      }
      parts.push(e.vectors);
      onChunk?.(Math.min(texts.length, i + batch));
    }
    return tf.concat(parts, 0);
  } finally {
    tf.dispose(parts);
  }
}

/**
 * Exact top-k by inner product. q: [Q, H], p: [N, H] -> per query the k best indices,
 * ties broken by passage order (tf.topk is stable on equal values: lower index first).
 */
export async function exactTopK(q: tf.Tensor2D, p: tf.Tensor2D, k: number, chunk = 256): Promise<number[][]> {
  const [nq] = q.shape;
  const kk = Math.min(k, p.shape[0]);
  const out: number[][] = [];
  for (let i = 0; i < nq; i += chunk) {
    const n = Math.min(chunk, nq - i);
    const idx = tf.tidy(() => {
      const s = tf.matMul(q.slice([i, 0], [n, -1]), p, false, true); // [n, N]
      return tf.topk(s, kk, true).indices; // [n, kk]
    });
    const flat = await idx.data();
    idx.dispose();
    for (let r = 0; r < n; r++) out.push(Array.from(flat.subarray(r * kk, (r + 1) * kk)));
  }
  return out;
}

/** Ranks `queries` over the corpus with `model` (see the file comment for each kind). */
export async function rankWithModel(model: RetrievalModel, corpus: Corpus, queries: readonly Query[], opts: SearchOptions): Promise<Rankings> {
  const rankings: Rankings = new Map();
  if (queries.length === 0) return rankings;
  const kind = model.config.kind;
  if (kind === 'de') {
    const p = encodeCorpus(model, corpus, opts.encodeBatch ?? 128, (d) => {
      opts.checkCancel?.();
      opts.onProgress?.(d, corpus.docs.length + queries.length);
    });
    try {
      const chunk = opts.queryChunk ?? 256;
      for (let i = 0; i < queries.length; i += chunk) {
        opts.checkCancel?.();
        const qs = queries.slice(i, i + chunk);
        const e = model.encodeQueries(qs.map((q) => q.text), { batchSize: opts.encodeBatch ?? 128 });
        const q = e.vectors as tf.Tensor2D;
        try {
          const top = await exactTopK(q, p, opts.k);
          qs.forEach((qq, j) => rankings.set(qq.id, top[j]));
        } finally {
          q.dispose();
        }
        opts.onProgress?.(corpus.docs.length + Math.min(queries.length, i + chunk), corpus.docs.length + queries.length);
      }
    } finally {
      p.dispose();
    }
    return rankings;
  }
  // CB / CE: re-rank first-stage candidates.
  const cands = opts.candidates;
  if (!cands) throw new RangeError(`a ${kind === 'ce' ? 'cross-encoder' : 'ColBERT'} model re-ranks candidates: give opts.candidates`);
  const depth = opts.rerankDepth ?? 30;
  const texts = corpus.docs.map(docText);
  let done = 0;
  for (const q of queries) {
    opts.checkCancel?.();
    const first = cands.get(q.id) ?? [];
    const head = first.slice(0, depth);
    if (head.length > 0) {
      const s = model.scorePairs(head.map(() => q.text), head.map((d) => texts[d]), { batchSize: 64 });
      const scores = await s.data();
      s.dispose();
      const order = head.map((d, i) => ({ d, s: scores[i], i })).sort((a, b) => b.s - a.s || a.i - b.i);
      rankings.set(q.id, [...order.map((o) => o.d), ...first.slice(depth)].slice(0, opts.k));
    } else rankings.set(q.id, []);
    opts.onProgress?.(++done, queries.length);
  }
  return rankings;
}

/** Rankings (doc indices) -> the metrics module's run (doc ids). */
export function toRun(corpus: Corpus, rankings: Rankings): Record<string, string[]> {
  const run: Record<string, string[]> = {};
  for (const [qid, docs] of rankings) run[qid] = docs.map((d) => corpus.docs[d].id);
  return run;
}

/** The queries judged in `qrels` (those a split evaluates). */
export function judgedQueries(corpus: Corpus, qrels: readonly Qrel[]): Query[] {
  const ids = new Set(qrels.map((r) => r.qid));
  return corpus.queries.filter((q) => ids.has(q.id));
}

export function metricSet(r: EvalResult): MetricSet {
  return {
    'mrr@10': r.mean['mrr@10'] ?? 0,
    'ndcg@10': r.mean['ndcg@10'] ?? 0,
    'recall@10': r.mean['recall@10'] ?? 0,
    'recall@100': r.mean['recall@100'] ?? 0,
    map: r.mean.map ?? 0,
    queries: r.evaluated.length,
  };
}

/** Evaluates rankings on qrels with the standard metrics. */
export function evaluateRankings(corpus: Corpus, rankings: Rankings, qrels: readonly Qrel[]): EvalResult {
  return evaluate(toRun(corpus, rankings), qrels, ['mrr@10', 'recall@10', 'recall@100', 'ndcg@10', 'map']);
}

/**
 * Hard negatives from a ranking: for each query its top-m documents that are not judged
 * relevant, best first (PROD's refresh; the 'descend' order of the data-progressive stage).
 */
export function negativesFromRankings(rankings: Rankings, positives: Map<string, Set<number>>, m: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [qid, docs] of rankings) {
    const pos = positives.get(qid);
    out.set(qid, docs.filter((d) => !pos?.has(d)).slice(0, m));
  }
  return out;
}
