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
  /**
   * Filled, when given, with each query's scores aligned with its ranking: the model's scores
   * (DE: inner products; CB/CE: the re-ranked head's scores, then the unscored rest of the
   * candidates below the head's lowest, one apart, in their first-stage order).
   */
  scores?: Map<string, number[]>;
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

export interface TopKOptions {
  /** Queries per score block (default 256). */
  queryChunk?: number;
  /** Filled, when given, with each query's top-k scores (aligned with the returned indices). */
  values?: number[][];
  /**
   * Passages per score block (default 32,768). A corpus larger than this is scanned block by
   * block, each block's top k merged into a running top k, so the score matrix held at once
   * is at most queryChunk x passageChunk, and WebGL never hands a row of more than 100,000
   * scores to the CPU (its TOPK_LAST_DIM_CPU_HANDOFF_SIZE_THRESHOLD).
   */
  passageChunk?: number;
}

/**
 * Exact top-k by inner product. q: [Q, H], p: [N, H] -> per query the k best passage indices,
 * best first, ties broken by passage order (lower index first), as a full sort of each row
 * by (score descending, index ascending) would give.
 *
 * No row is sorted whole: tf.topk selects (cpu: quickselect, then a sort of the k;
 * webgpu and webgl: bitonic top-k; wasm: the lab's heap selection, backend/wasmKernels.ts; all
 * keep the lower index first among equal values). When
 * the corpus spans several passage blocks, the running top k (lower indices) is placed before
 * the block's top k and the two are selected from together, so the tie order holds across
 * blocks too.
 */
export async function exactTopK(q: tf.Tensor2D, p: tf.Tensor2D, k: number, o: TopKOptions = {}): Promise<number[][]> {
  const queryChunk = Math.max(1, Math.floor(o.queryChunk ?? 256));
  const passageChunk = Math.max(1, Math.floor(o.passageChunk ?? 32_768));
  const [nq] = q.shape;
  const [np] = p.shape;
  const kk = Math.max(0, Math.min(k, np));
  const out: number[][] = [];
  if (kk === 0) return Array.from({ length: nq }, () => []);
  // Passage blocks, sliced and transposed once for all query chunks: [H, C]. (wasm's matMul
  // with transposeB is about 8x slower than on a transposed copy: 160 vs 20 ms for
  // 256 x 64 x 10,000 here.)
  const blocks: { start: number; size: number; pT: tf.Tensor2D }[] = [];
  try {
    for (let j = 0; j < np; j += passageChunk) {
      const size = Math.min(passageChunk, np - j);
      blocks.push({ start: j, size, pT: tf.tidy(() => tf.transpose(np <= passageChunk ? p : p.slice([j, 0], [size, -1]))) });
    }
    for (let i = 0; i < nq; i += queryChunk) {
      const n = Math.min(queryChunk, nq - i);
      const [idx, vals] = tf.tidy(() => {
        const qc = nq <= queryChunk ? q : q.slice([i, 0], [n, -1]);
        let best: { values: tf.Tensor2D; indices: tf.Tensor2D } | null = null;
        for (const b of blocks) {
          const s = tf.matMul(qc, b.pT); // [n, C]
          const t = tf.topk(s, Math.min(kk, b.size), true);
          const indices = (b.start === 0 ? t.indices : tf.add(t.indices, tf.scalar(b.start, 'int32'))) as tf.Tensor2D;
          if (!best) {
            best = { values: t.values as tf.Tensor2D, indices };
            continue;
          }
          // Running top k first (all of lower passage indices), then this block's; select
          // from both, then pick the chosen candidates' passage indices (a flat gather:
          // wasm's gather with batchDims = 1 returns wrong rows).
          const values: tf.Tensor2D = tf.concat([best.values, t.values as tf.Tensor2D], 1);
          const cand: tf.Tensor2D = tf.concat([best.indices, indices], 1);
          const width = cand.shape[1];
          const m: { values: tf.Tensor; indices: tf.Tensor } = tf.topk(values, Math.min(kk, width), true);
          const rowStart = tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(width, 'int32')).reshape([n, 1]);
          const picked = tf.gather(cand.reshape([-1]), tf.add(m.indices, rowStart).reshape([-1])).reshape([n, -1]) as tf.Tensor2D;
          best = { values: m.values as tf.Tensor2D, indices: picked };
        }
        return [best!.indices, best!.values] as [tf.Tensor2D, tf.Tensor2D]; // [n, kk] each
      });
      const flat = await idx.data();
      const vflat = o.values ? await vals.data() : null;
      idx.dispose();
      vals.dispose();
      for (let r = 0; r < n; r++) {
        out.push(Array.from(flat.subarray(r * kk, (r + 1) * kk)));
        if (vflat) o.values!.push(Array.from(vflat.subarray(r * kk, (r + 1) * kk)));
      }
    }
  } finally {
    for (const b of blocks) b.pT.dispose();
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
          const values: number[][] | undefined = opts.scores ? [] : undefined;
          const top = await exactTopK(q, p, opts.k, values ? { values } : {});
          qs.forEach((qq, j) => {
            rankings.set(qq.id, top[j]);
            if (values) opts.scores!.set(qq.id, values[j]);
          });
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
      const ranked = [...order.map((o) => o.d), ...first.slice(depth)].slice(0, opts.k);
      rankings.set(q.id, ranked);
      if (opts.scores) {
        const low = order.length ? order[order.length - 1].s : 0;
        opts.scores.set(q.id, ranked.map((_, r) => (r < order.length ? order[r].s : low - (r - order.length + 1))));
      }
    } else {
      rankings.set(q.id, []);
      opts.scores?.set(q.id, []);
    }
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
