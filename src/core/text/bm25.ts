// Okapi BM25 over title + text, as Anserini scores it (Lucene's BM25Similarity):
//   score(q, d) = sum_{t in q} qtf(t) * idf(t) * tf / (tf + k1 * (1 - b + b * |d| / avgdl))
//   idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
// with Anserini's defaults k1 = 0.9, b = 0.4. Lucene drops the constant (k1 + 1) factor of
// the textbook numerator (it does not change rankings); a repeated query term counts
// qtf times, as Anserini's bag-of-words query does. Exact document lengths are used
// where Lucene stores a lossy one-byte norm, so scores can differ in the last digits.

import type { Doc, Qrel, Query } from '../data/types';
import { Analyzer, tokenize } from './analyzer';

export interface Bm25Options {
  k1?: number;
  b?: number;
  analyzer?: Analyzer;
  /** Which fields are indexed (default title + text, as BEIR's "contents"). */
  fields?: (doc: Doc) => string;
}

export interface Hit {
  /** Position of the document in the indexed array. */
  docIndex: number;
  score: number;
}

export const BM25_K1 = 0.9;
export const BM25_B = 0.4;

/**
 * An inverted index in compressed-sparse-row form: the postings of term t are
 * postingDoc[termStart[t] .. termStart[t + 1]) (ascending document index) with the matching
 * term frequencies in postingTf.
 */
export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly analyzer: Analyzer;
  readonly numDocs: number;
  readonly avgDocLength: number;
  readonly docIds: readonly string[];
  private readonly vocab: Map<string, number>;
  private readonly termStart: Uint32Array; // [V + 1]
  private readonly postingDoc: Uint32Array; // [total postings]
  private readonly postingTf: Uint32Array; // [total postings]
  private readonly idf: Float64Array; // [V]
  /** k1 * (1 - b + b * |d| / avgdl), the length-normalised saturation per document */
  private readonly norm: Float64Array; // [N]
  // Scratch for one search: scores and which documents were touched.
  private readonly acc: Float64Array; // [N]
  private readonly touched: Uint32Array; // [N]

  private constructor(
    docIds: string[],
    vocab: Map<string, number>,
    termStart: Uint32Array,
    postingDoc: Uint32Array,
    postingTf: Uint32Array,
    docLength: Uint32Array,
    opts: Bm25Options,
  ) {
    this.k1 = opts.k1 ?? BM25_K1;
    this.b = opts.b ?? BM25_B;
    this.analyzer = opts.analyzer ?? new Analyzer();
    this.docIds = docIds;
    this.numDocs = docIds.length;
    this.vocab = vocab;
    this.termStart = termStart;
    this.postingDoc = postingDoc;
    this.postingTf = postingTf;
    const n = this.numDocs;
    let total = 0;
    for (let i = 0; i < n; i++) total += docLength[i];
    this.avgDocLength = n > 0 ? total / n : 0;
    const avg = this.avgDocLength || 1;
    this.norm = new Float64Array(n);
    for (let i = 0; i < n; i++) this.norm[i] = this.k1 * (1 - this.b + (this.b * docLength[i]) / avg);
    const v = vocab.size;
    this.idf = new Float64Array(v);
    for (let t = 0; t < v; t++) {
      const df = termStart[t + 1] - termStart[t];
      this.idf[t] = Math.log(1 + (n - df + 0.5) / (df + 0.5));
    }
    this.acc = new Float64Array(n);
    this.touched = new Uint32Array(n);
  }

  /** Indexes documents (title + text by default). SciFact's 5,183 take well under a second. */
  static build(docs: readonly Doc[], opts: Bm25Options = {}): Bm25Index {
    const analyzer = opts.analyzer ?? new Analyzer();
    const fields = opts.fields ?? ((d: Doc) => (d.title ? `${d.title} ${d.text}` : d.text));
    const vocab = new Map<string, number>();
    const n = docs.length;
    const docLength = new Uint32Array(n);
    // Pass 1: each document as a sorted list of term ids, and document frequencies.
    const docTerms: Uint32Array[] = new Array(n);
    let df = new Uint32Array(1024);
    let postings = 0;
    // Raw token -> term id (-1 for a stop word): one map lookup per token on the hot path
    // instead of stem-cache + vocabulary lookups.
    const tokenId = new Map<string, number>();
    let buf = new Uint32Array(1024);
    for (let i = 0; i < n; i++) {
      const tokens = tokenize(fields(docs[i]));
      if (tokens.length > buf.length) buf = new Uint32Array(tokens.length * 2);
      let len = 0;
      for (const tok of tokens) {
        let id = tokenId.get(tok);
        if (id === undefined) {
          const term = analyzer.term(tok);
          if (term === null) id = -1;
          else {
            id = vocab.get(term);
            if (id === undefined) {
              id = vocab.size;
              vocab.set(term, id);
              if (id >= df.length) {
                const grown = new Uint32Array(df.length * 2);
                grown.set(df);
                df = grown;
              }
            }
          }
          tokenId.set(tok, id);
        }
        if (id >= 0) buf[len++] = id;
      }
      docLength[i] = len;
      const ids = buf.slice(0, len);
      ids.sort();
      for (let j = 0; j < ids.length; j++) {
        if (j === 0 || ids[j] !== ids[j - 1]) {
          df[ids[j]]++;
          postings++;
        }
      }
      docTerms[i] = ids;
    }
    // Pass 2: postings laid out by term, documents ascending within a term.
    const v = vocab.size;
    const termStart = new Uint32Array(v + 1);
    for (let t = 0; t < v; t++) termStart[t + 1] = termStart[t] + df[t];
    const fill = termStart.slice(0, v);
    const postingDoc = new Uint32Array(postings);
    const postingTf = new Uint32Array(postings);
    for (let i = 0; i < n; i++) {
      const ids = docTerms[i];
      for (let j = 0; j < ids.length; ) {
        const t = ids[j];
        let k = j + 1;
        while (k < ids.length && ids[k] === t) k++;
        const p = fill[t]++;
        postingDoc[p] = i;
        postingTf[p] = k - j;
        j = k;
      }
    }
    return new Bm25Index(docs.map((d) => d.id), vocab, termStart, postingDoc, postingTf, docLength, { ...opts, analyzer });
  }

  get vocabularySize(): number {
    return this.vocab.size;
  }

  /** Accumulates scores of every matching document; returns how many were touched. */
  private score(query: string): number {
    const { acc, touched, norm, postingDoc, postingTf, termStart } = this;
    // Query term frequencies: a repeated term weighs qtf times.
    const qtf = new Map<number, number>();
    for (const t of this.analyzer.analyze(query)) {
      const id = this.vocab.get(t);
      if (id !== undefined) qtf.set(id, (qtf.get(id) ?? 0) + 1);
    }
    let nTouched = 0;
    for (const [t, count] of qtf) {
      const w = count * this.idf[t];
      for (let p = termStart[t]; p < termStart[t + 1]; p++) {
        const d = postingDoc[p];
        const tf = postingTf[p];
        if (acc[d] === 0) touched[nTouched++] = d;
        acc[d] += (w * tf) / (tf + norm[d]);
      }
    }
    return nTouched;
  }

  /**
   * The top k documents, by score descending, ties by document order. The ranking is over
   * the whole corpus: when fewer than k documents match, the rest follow with score 0 in
   * document order (unless `matchedOnly`).
   */
  search(query: string, k: number, opts: { matchedOnly?: boolean; exclude?: ReadonlySet<number> } = {}): Hit[] {
    const { acc, touched } = this;
    const nTouched = this.score(query);
    const kk = Math.min(k, this.numDocs);
    const exclude = opts.exclude;
    // Min-heap of the best kk (by score, then lower index better): root is the worst kept.
    const heap: number[] = [];
    const worse = (a: number, b: number) => acc[a] < acc[b] || (acc[a] === acc[b] && a > b);
    const siftDown = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && worse(heap[l], heap[m])) m = l;
        if (r < heap.length && worse(heap[r], heap[m])) m = r;
        if (m === i) return;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    };
    for (let j = 0; j < nTouched && kk > 0; j++) {
      const d = touched[j];
      if (exclude?.has(d)) continue;
      if (heap.length < kk) {
        heap.push(d);
        for (let i = heap.length - 1; i > 0; ) {
          const parent = (i - 1) >> 1;
          if (!worse(heap[i], heap[parent])) break;
          [heap[i], heap[parent]] = [heap[parent], heap[i]];
          i = parent;
        }
      } else if (worse(heap[0], d)) {
        heap[0] = d;
        siftDown(0);
      }
    }
    const hits: Hit[] = heap.map((d) => ({ docIndex: d, score: acc[d] }));
    hits.sort((a, b) => b.score - a.score || a.docIndex - b.docIndex);
    if (!opts.matchedOnly && hits.length < kk) {
      // Unmatched documents tie at 0 and follow in document order.
      for (let d = 0; d < this.numDocs && hits.length < kk; d++) {
        if (acc[d] === 0 && !exclude?.has(d)) hits.push({ docIndex: d, score: 0 });
      }
    }
    for (let j = 0; j < nTouched; j++) acc[touched[j]] = 0;
    return hits;
  }

  /** search() for many queries; `onProgress(done, total)` lets a worker report progress. */
  searchBatch(queries: readonly string[], k: number, onProgress?: (done: number, total: number) => void): Hit[][] {
    const out: Hit[][] = [];
    for (let i = 0; i < queries.length; i++) {
      out.push(this.search(queries[i], k));
      if (onProgress && ((i + 1) % 100 === 0 || i + 1 === queries.length)) onProgress(i + 1, queries.length);
    }
    return out;
  }

  /** Rankings as document ids per query id, the shape metrics.evaluate takes. */
  rank(queries: readonly Query[], k: number): Record<string, string[]> {
    const run: Record<string, string[]> = {};
    for (const q of queries) run[q.id] = this.search(q.text, k).map((h) => this.docIds[h.docIndex]);
    return run;
  }

  /**
   * BM25 hard negatives for the first training stage: for each query, its top m documents
   * that are not judged relevant (rel > 0) for it, best first. Only documents that share a
   * term with the query count (a zero-score "negative" teaches nothing).
   */
  negatives(queries: readonly Query[], qrels: readonly Qrel[], m: number): Record<string, string[]> {
    const docIndex = new Map(this.docIds.map((id, i) => [id, i]));
    const positives = new Map<string, Set<number>>();
    for (const q of qrels) {
      if (q.rel <= 0) continue;
      const d = docIndex.get(q.docId);
      if (d === undefined) continue;
      let s = positives.get(q.qid);
      if (!s) positives.set(q.qid, (s = new Set()));
      s.add(d);
    }
    const out: Record<string, string[]> = {};
    for (const q of queries) {
      const hits = this.search(q.text, m, { matchedOnly: true, exclude: positives.get(q.id) });
      out[q.id] = hits.map((h) => this.docIds[h.docIndex]);
    }
    return out;
  }
}
