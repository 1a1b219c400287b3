// Training examples and batches.
//
// An example is a query with one positive passage. Examples come from the training qrels
// when the corpus has them and, on request or when it has none, from the corpus itself
// (self-supervised pairs): inverse cloze (a sentence as the query, its passage without it as
// the positive), title -> body, and two independent random crops of one passage. Test (and
// dev) queries never become examples.
//
// A batch lays out B queries and P = B * G passages in groups: query i's positive at i * G,
// then its n = G - 1 hard negatives (algorithms.md notation). The sampler's state (epoch,
// cursor, RNG) is saved in checkpoints, so a resumed run sees the same batches.
import type { Corpus, Split } from '../data/types';
import { ConfigError } from '../errors';
import { Rng } from '../rng';

export interface Example {
  /** Query id (a synthetic id for self-supervised pairs). */
  qid: string;
  query: string;
  /** Index of the positive passage in corpus.docs. */
  posDoc: number;
  /** The positive's text as the model reads it (ICT removes a sentence; crops cut). */
  posText: string;
  source: 'qrels' | 'ict' | 'title' | 'crop' | 'span';
}

export interface ExampleOptions {
  /** Which splits' judged queries train (never 'test'). Default ['train']. */
  splits?: Split[];
  /** Add self-supervised pairs: 'auto' = only when no training qrels exist. */
  selfSupervised?: 'auto' | 'always' | 'never';
  /** Self-supervised pairs per document (each kind drawn at random). */
  perDoc?: number;
  seed?: number;
}

/** "title. text" as the models read a passage. */
export function docText(d: { title: string; text: string }): string {
  return d.title ? `${d.title}. ${d.text}` : d.text;
}

function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+/).map((s) => s.trim()).filter((s) => s.length > 0);
}

/** Builds training examples (never from test queries). */
export function buildExamples(corpus: Corpus, opts: ExampleOptions = {}): Example[] {
  const splits = opts.splits ?? ['train'];
  if (splits.includes('test')) throw new ConfigError('test queries never reach training: remove "test" from the training splits');
  const docIndex = new Map(corpus.docs.map((d, i) => [d.id, i]));
  const queryText = new Map(corpus.queries.map((q) => [q.id, q.text]));
  const out: Example[] = [];
  for (const split of splits) {
    for (const r of corpus.qrels[split] ?? []) {
      if (r.rel <= 0) continue;
      const di = docIndex.get(r.docId);
      const q = queryText.get(r.qid);
      if (di === undefined || q === undefined) continue;
      out.push({ qid: r.qid, query: q, posDoc: di, posText: docText(corpus.docs[di]), source: 'qrels' });
    }
  }
  const mode = opts.selfSupervised ?? 'auto';
  if (mode === 'always' || (mode === 'auto' && out.length === 0)) {
    out.push(...selfSupervisedExamples(corpus, opts.perDoc ?? 1, opts.seed ?? 0));
  }
  if (out.length === 0) throw new ConfigError('no training examples: the corpus has no training qrels and self-supervised pairs are off');
  return out;
}

/** Inverse cloze, title -> body and random-crop pairs from the documents alone. */
export function selfSupervisedExamples(corpus: Corpus, perDoc: number, seed: number): Example[] {
  const rng = new Rng(seed ^ 0x5e1f);
  const out: Example[] = [];
  corpus.docs.forEach((d, i) => {
    for (let k = 0; k < perDoc; k++) {
      const sents = sentences(d.text);
      const kinds: Example['source'][] = [];
      if (sents.length >= 2) kinds.push('ict');
      if (d.title && d.text) kinds.push('title');
      const words = d.text.split(/\s+/).filter(Boolean);
      if (words.length >= 8) kinds.push('crop');
      if (kinds.length === 0) continue;
      const kind = rng.pick(kinds);
      const qid = `ss:${kind}:${d.id}:${k}`;
      if (kind === 'ict') {
        const j = rng.int(sents.length);
        // ICT keeps the sentence in the passage 10% of the time (Lee et al. 2019), so the
        // model also learns lexical matching.
        const keep = rng.next() < 0.1;
        const rest = keep ? d.text : sents.filter((_, x) => x !== j).join(' ');
        out.push({ qid, query: sents[j], posDoc: i, posText: docText({ title: d.title, text: rest }), source: 'ict' });
      } else if (kind === 'title') {
        out.push({ qid, query: d.title, posDoc: i, posText: d.text, source: 'title' });
      } else {
        const crop = (len: number) => {
          const start = rng.int(Math.max(1, words.length - len + 1));
          return words.slice(start, start + len).join(' ');
        };
        const qLen = Math.max(4, Math.min(12, Math.floor(words.length / 4)));
        const pLen = Math.max(8, Math.min(words.length, Math.floor(words.length * 0.6)));
        out.push({ qid, query: crop(qLen), posDoc: i, posText: docText({ title: d.title, text: crop(pLen) }), source: 'crop' });
      }
    }
  });
  return out;
}

/** Seeded split of judged queries into two groups (e.g. carve a dev set out of train). */
export function splitQueries(qids: string[], fraction: number, seed: number): { a: string[]; b: string[] } {
  const sorted = [...new Set(qids)].sort();
  new Rng(seed ^ 0x51e7).shuffle(sorted);
  const n = Math.round(sorted.length * fraction);
  return { a: sorted.slice(n), b: sorted.slice(0, n) };
}

export interface Batch {
  /** [B] query texts. */
  queries: string[];
  /** [P = B * G] passage texts, in groups, positive first. */
  passages: string[];
  /** [P] document index of each passage (the positive's index for self-supervised texts). */
  docs: number[];
  qids: string[];
  groupSize: number;
}

/**
 * An inverse-cloze span pair drawn fresh from one document (Lee et al. 2019's ICT on word
 * spans): a run of `minWords..maxWords` words of the text is the query, the document with that
 * run removed is the positive (kept whole with probability `keepProbability`, so the model also
 * learns that shared words matter). Drawn anew at every use, a corpus of a few thousand
 * documents yields millions of distinct pairs instead of the fixed few of `selfSupervisedExamples`.
 * Returns null when the document has too few words.
 */
export function spanPair(
  doc: { id: string; title: string; text: string },
  docIndex: number,
  rng: Rng,
  o: { minWords?: number; maxWords?: number; keepProbability?: number } = {},
): Example | null {
  const minW = o.minWords ?? 6;
  const maxW = o.maxWords ?? 16;
  const words = doc.text.split(/\s+/).filter(Boolean);
  if (words.length < minW + 4) return null;
  const len = Math.min(minW + rng.int(maxW - minW + 1), words.length - 4);
  const start = rng.int(words.length - len + 1);
  const query = words.slice(start, start + len).join(' ');
  const keep = rng.next() < (o.keepProbability ?? 0.1);
  const rest = keep ? doc.text : [...words.slice(0, start), ...words.slice(start + len)].join(' ');
  return { qid: `span:${doc.id}`, query, posDoc: docIndex, posText: docText({ title: doc.title, text: rest }), source: 'span' };
}

export interface SamplerOptions {
  /** 'random': negatives drawn uniformly from the pool; 'descend': in the pool's order. */
  negType?: 'random' | 'descend';
  /**
   * Probability that a batch item is a fresh inverse-cloze span pair (spanPair) rather than
   * the next judged example: 0 = judged pairs only; 1 = self-supervised only.
   */
  spanProbability?: number;
  /**
   * No two items of a batch share a query or a positive passage: one query's other relevant
   * passage would otherwise sit in its in-batch negatives, labelled wrong. Items that would
   * repeat one wait for a later batch. For small example sets (PROD's data-progressive subset),
   * where a batch would otherwise hold the same few queries many times over.
   */
  distinct?: boolean;
}

export interface SamplerState {
  epoch: number;
  cursor: number;
  rng: number;
  order: number[] | null;
  /** Examples put off by `distinct`, taken first by the next batch. */
  deferred?: number[];
}

/**
 * Seeded batches: an epoch is a shuffled pass over the examples; each example draws its
 * n negatives from its hard-negative pool ('random': uniformly; 'descend': in the pool's
 * order, i.e. the teacher's descending score), topped up with random passages.
 */
export class BatchSampler {
  private rng: Rng;
  private order: number[] = [];
  private epoch = 0;
  private cursor = 0;
  negType: 'random' | 'descend';
  readonly spanProbability: number;
  readonly distinct: boolean;
  private deferred: number[] = [];

  constructor(
    private readonly corpus: Corpus,
    private examples: Example[],
    private negatives: Map<string, number[]>,
    readonly batchSize: number,
    readonly groupSize: number,
    seed: number,
    negTypeOrOptions: 'random' | 'descend' | SamplerOptions = 'random',
  ) {
    const o: SamplerOptions = typeof negTypeOrOptions === 'string' ? { negType: negTypeOrOptions } : negTypeOrOptions;
    this.negType = o.negType ?? 'random';
    this.spanProbability = o.spanProbability ?? 0;
    this.distinct = o.distinct ?? false;
    if (!(this.spanProbability >= 0 && this.spanProbability <= 1)) throw new ConfigError(`span-pair probability must be in [0, 1], got ${this.spanProbability}`);
    if (examples.length === 0 && this.spanProbability < 1) throw new ConfigError('no training examples');
    if (groupSize < 1) throw new ConfigError('group size must be >= 1');
    this.rng = new Rng(seed ^ 0xba7c);
    this.reshuffle();
  }

  private reshuffle(): void {
    this.order = this.rng.shuffle(Array.from({ length: this.examples.length }, (_, i) => i));
    this.cursor = 0;
  }

  /** Replace the negative pools (PROD's refresh between stages). */
  setNegatives(negatives: Map<string, number[]>): void {
    this.negatives = negatives;
  }

  /** Replace the examples (PROD's data-progressive subset); restarts the epoch. */
  setExamples(examples: Example[]): void {
    if (examples.length === 0) throw new ConfigError('no training examples left for this stage');
    this.examples = examples;
    this.deferred = [];
    this.reshuffle();
  }

  get size(): number {
    return this.examples.length;
  }

  next(): Batch {
    const B = this.batchSize;
    const G = this.groupSize;
    const queries: string[] = [];
    const passages: string[] = [];
    const docs: number[] = [];
    const qids: string[] = [];
    const nDocs = this.corpus.docs.length;
    const taken = new Set<string>();
    const putOff: number[] = [];
    const carried = this.deferred;
    this.deferred = [];
    for (let b = 0; b < B; b++) {
      let ex: Example;
      const span = this.distinct ? this.maybeSpan() : null;
      if (!this.distinct) ex = this.nextExample();
      else if (span) ex = span;
      else {
        // The first example (carried over, then in order) that repeats no query or positive of
        // this batch; after a full pass without one, the next example as it comes.
        let found: Example | null = null;
        for (let tries = 0; found === null && tries <= this.examples.length; tries++) {
          const i = carried.length > 0 ? carried.shift()! : this.nextIndex();
          const cand = this.examples[i];
          if (taken.has(`q:${cand.qid}`) || taken.has(`d:${cand.posDoc}`)) putOff.push(i);
          else found = cand;
        }
        ex = found ?? this.examples[this.nextIndex()];
        taken.add(`q:${ex.qid}`).add(`d:${ex.posDoc}`);
      }
      queries.push(ex.query);
      qids.push(ex.qid);
      passages.push(ex.posText);
      docs.push(ex.posDoc);
      const pool = (this.negatives.get(ex.qid) ?? []).filter((d) => d !== ex.posDoc);
      const chosen: number[] = [];
      if (this.negType === 'descend') chosen.push(...pool.slice(0, G - 1));
      else if (pool.length > 0) {
        for (const j of this.rng.sample(pool.length, Math.min(G - 1, pool.length))) chosen.push(pool[j]);
      }
      let guard = 0;
      while (chosen.length < G - 1 && guard++ < 1000) {
        const d = this.rng.int(nDocs);
        if (d !== ex.posDoc && !chosen.includes(d)) chosen.push(d);
      }
      for (const d of chosen) {
        const doc = this.corpus.docs[d];
        passages.push(docText(doc));
        docs.push(d);
      }
    }
    if (this.distinct) this.deferred = [...carried, ...putOff];
    return { queries, passages, docs, qids, groupSize: G };
  }

  /** The index of the next judged example of the epoch's order (a new epoch when it ends). */
  private nextIndex(): number {
    if (this.cursor >= this.order.length) {
      this.epoch++;
      this.reshuffle();
    }
    return this.order[this.cursor++];
  }

  /** The next judged example, or (with probability spanProbability) a fresh span pair. */
  private nextExample(): Example {
    return this.maybeSpan() ?? this.examples[this.nextIndex()];
  }

  /** With probability spanProbability (always without judged examples), a fresh span pair. */
  private maybeSpan(): Example | null {
    if (this.spanProbability > 0 && (this.examples.length === 0 || this.rng.next() < this.spanProbability)) {
      for (let guard = 0; guard < 100; guard++) {
        const d = this.rng.int(this.corpus.docs.length);
        const ex = spanPair(this.corpus.docs[d], d, this.rng);
        if (ex) return ex;
      }
      if (this.examples.length === 0) throw new ConfigError('no document is long enough for inverse-cloze span pairs');
    }
    return null;
  }

  getState(): SamplerState {
    return { epoch: this.epoch, cursor: this.cursor, rng: this.rng.state, order: [...this.order], ...(this.distinct ? { deferred: [...this.deferred] } : {}) };
  }

  setState(s: SamplerState): void {
    this.epoch = s.epoch;
    this.cursor = s.cursor;
    this.rng.state = s.rng;
    if (s.order) this.order = [...s.order];
    this.deferred = [...(s.deferred ?? [])];
  }
}
