// The three retrieval model kinds of algorithms.md sections 1 and 2 behind one class:
//   DE  score = sim(pool(h^L(q)), pool(h^L(p))) / tau_s, layer l: the same on h^l.  [B, P]
//       pool: [CLS], mean or max over the mask (or sentence-transformers' mean_sqrt_len,
//       lasttoken); optional L2 normalisation; sim: dot or cosine; DE/CB texts may carry a
//       prompt ("query: ") prepended before tokenisation (ModelConfig.queryPrompt)
//   CB  score = sum_{i in q} max_{j in p} <E_q,i, E_p,j>, E = normalise(W h^L) (MaxSim);
//       layer l: the same MaxSim on raw h^l (no projection, no normalisation).  [B, P]
//   CE  score = w . h^L_CLS([CLS] q [SEP] p [SEP]) + b, layer l: same head on h^l_CLS. [B, G]
// Each model tokenises with its own tokenizer, so teacher and student can share nothing.
// `scores` is pure tensor code (no dataSync), usable inside tf.variableGrads / tf.grads.

import * as tf from '@tensorflow/tfjs';
import { CheckpointError, ConfigError } from '../errors';
import { Rng } from '../rng';
import { buildPair, buildSingle, padBatch, type Encoding, type PaddedBatch, type Tokenizer } from '../text/tokenizerBase';
import { pairLength, validateModelConfig, type ModelConfig, type ModelConfigInput } from './config';
import { attentionBiasData, BertEncoder, clsOf, dropout, linear, type EncoderInput, type EncoderOutput } from './encoder';
import { appliesWeightDecay, initialWeights, modelTensorSpecs, PASSAGE_PREFIX, specSize } from './params';

/** A weight of the model with its HF name and whether AdamW decays it. */
export interface ModelVariable {
  name: string;
  variable: tf.Variable;
  decay: boolean;
}

/** A batch tokenised for this model (reusable across steps; plain arrays, no tensors). */
export type ModelBatch =
  | { kind: 'separate'; queries: PaddedBatch; passages: PaddedBatch; groupSize: number }
  | { kind: 'pairs'; pairs: PaddedBatch; batchSize: number; groupSize: number };

export interface ScoreOptions {
  /** Dropout on (seeded from the model's stream) and graph recorded for gradients. */
  training: boolean;
  /** 0-based block indices whose layer scores are wanted (block l gives h^{l+1}); default all. */
  layers?: number[];
}

export interface ScoreOutput {
  /** DE/CB: [B, P] in-batch; CE: [B, G] group matrix. */
  final: tf.Tensor2D;
  /** One matrix per requested layer, same shape as final, in the order asked. */
  layers: tf.Tensor2D[];
}

/** What encodeQueries / encodePassages return, per kind. */
export type Embeddings =
  /** DE: the [CLS] vectors [N, H]. */
  | { kind: 'dense'; vectors: tf.Tensor2D }
  /** CB: L2-normalised (projected) token vectors [N, T, D], zero on padding, and the mask [N, T]. */
  | { kind: 'tokens'; vectors: tf.Tensor3D; mask: tf.Tensor2D };

export interface EncodeOptions {
  /** Sequences per forward pass (default 128); results are concatenated. */
  batchSize?: number;
  /**
   * DE: vectors as sentence-transformers' `encode` returns them: L2-normalised only when the
   * model itself normalises (a Normalize module), not merely because it compares by cosine.
   * Such vectors are for export (`npm run lab -- embed`), not for {@link RetrievalModel.similarity}.
   */
  asSentenceTransformers?: boolean;
}

/** Large negative added to padded passage positions before MaxSim's max. */
const MAXSIM_PAD = -1e9;
/** Padded lengths are rounded up to multiples of this: fewer distinct shapes for GPU kernels. */
const LENGTH_BUCKET = 8;
const TOKEN_CACHE_LIMIT = 50_000;

let modelCounter = 0;

/** tf.tidy for functions returning a typed object of tensors (tidy keeps every tensor in it). */
function tidyObject<T extends object>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

interface BatchTensors extends EncoderInput {
  mask: tf.Tensor2D; // float32 [N, T]
}

/** PaddedBatch -> encoder input (ids stay JS arrays; the encoder uploads them). Call inside a tidy. */
function toTensors(b: PaddedBatch, withTypes: boolean): BatchTensors {
  return {
    n: b.n,
    t: b.t,
    ids: b.ids,
    typeIds: withTypes ? b.typeIds : null,
    attentionBias: tf.tensor4d(attentionBiasData(b.mask), [b.n, 1, 1, b.t]),
    mask: tf.tensor2d(b.mask, [b.n, b.t]),
  };
}

/** mask: [P, T] of 0/1 -> [P, T] of 0 (token) or MAXSIM_PAD (padding); no 0 * inf anywhere. */
function maxSimPad(mask: tf.Tensor2D): tf.Tensor2D {
  return tf.where(tf.greater(mask, 0), tf.zerosLike(mask), tf.fill(mask.shape, MAXSIM_PAD));
}

/** x: [..., D] -> x / sqrt(|x|^2 + 1e-12) along the last axis (F.normalize, smooth at 0). */
function l2normalize<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12)));
}

/**
 * A DE's vector of each text at one layer (algorithms.md section 1, "DE pooling").
 * h: [N, T, H], mask: [N, T] of 0/1 -> [N, H]; normalised when the model normalises or
 * compares by cosine (cosine = dot of unit vectors).
 */
export function poolVectors(cfg: Pick<ModelConfig, 'pooling' | 'normalize' | 'similarity'>, h: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  let v: tf.Tensor2D;
  if (cfg.pooling === 'cls') v = clsOf(h);
  else {
    const m = tf.expandDims(mask, 2); // [N, T, 1]
    if (cfg.pooling === 'mean') {
      // sum over unmasked tokens / their count (>= 1: [CLS] and [SEP] are always there)
      v = tf.div(tf.sum(tf.mul(h, m), 1), tf.maximum(tf.sum(m, 1), 1)) as tf.Tensor2D; // [N, H]
    } else if (cfg.pooling === 'mean_sqrt_len') {
      // sentence-transformers' mean_sqrt_len_tokens: the masked sum / sqrt(count)
      v = tf.div(tf.sum(tf.mul(h, m), 1), tf.sqrt(tf.maximum(tf.sum(m, 1), 1))) as tf.Tensor2D; // [N, H]
    } else if (cfg.pooling === 'lasttoken') {
      // the last unmasked token (right padding: index count - 1), picked by a one-hot row
      const last = tf.sub(tf.sum(mask, 1), 1).toInt(); // [N]
      const pick = tf.expandDims(tf.oneHot(last, h.shape[1]).toFloat(), 2); // [N, T, 1]
      v = tf.sum(tf.mul(h, pick), 1) as tf.Tensor2D; // [N, H]
    } else {
      // max over unmasked tokens: padding pushed to -1e9 first (sentence-transformers' way)
      v = tf.max(tf.add(h, tf.mul(tf.sub(1, m), -1e9)), 1) as tf.Tensor2D; // [N, H]
    }
  }
  return cfg.normalize || cfg.similarity === 'cosine' ? l2normalize(v) : v;
}

/** q: [B, D], p: [P, D] pooled vectors -> [B, P] scores divided by the model's temperature. */
function deSimilarity(cfg: Pick<ModelConfig, 'scoreTemperature'>, q: tf.Tensor2D, p: tf.Tensor2D): tf.Tensor2D {
  const s: tf.Tensor2D = tf.matMul(q, p, false, true); // [B, P]
  return cfg.scoreTemperature === 1 ? s : (tf.div(s, cfg.scoreTemperature) as tf.Tensor2D);
}

/**
 * ColBERT MaxSim of every query against every passage.
 * q: [B, Tq, D], qMask: [B, Tq] (0/1); p: [P, Tp, D], pPad: [P, Tp] (0 or MAXSIM_PAD) -> [B, P].
 */
export function maxSim(q: tf.Tensor3D, qMask: tf.Tensor2D, p: tf.Tensor3D, pPad: tf.Tensor2D): tf.Tensor2D {
  const [B, Tq, D] = q.shape;
  const [P, Tp] = p.shape;
  const sim = tf.matMul(tf.reshape(q, [B * Tq, D]), tf.reshape(p, [P * Tp, D]), false, true); // [B*Tq, P*Tp]
  const masked = tf.add(tf.reshape(sim, [B * Tq, P, Tp]), pPad); // [B*Tq, P, Tp]
  const best = tf.max(masked, -1); // [B*Tq, P]: best passage token per query token
  return tf.sum(tf.mul(tf.reshape(best, [B, Tq, P]), tf.reshape(qMask, [B, Tq, 1])), 1); // [B, P]
}

/** Pairwise MaxSim: q[i] against p[i]. q: [N, Tq, D], p: [N, Tp, D] -> [N]. */
function maxSimPairs(q: tf.Tensor3D, qMask: tf.Tensor2D, p: tf.Tensor3D, pPad: tf.Tensor2D): tf.Tensor1D {
  const sim = tf.matMul(q, p, false, true); // [N, Tq, Tp]
  const best = tf.max(tf.add(sim, tf.expandDims(pPad, 1)), -1); // [N, Tq]
  return tf.sum(tf.mul(best, qMask), -1); // [N]
}

export class RetrievalModel {
  readonly config: ModelConfig;
  readonly tokenizer: Tokenizer;
  private readonly vars: ModelVariable[];
  private readonly byName = new Map<string, tf.Variable>();
  private readonly qEncoder: BertEncoder;
  private readonly pEncoder: BertEncoder;
  private readonly rng: Rng;
  private readonly tokenCache = new Map<string, number[]>();
  private disposed = false;

  /** Takes ownership of `tensors` (one per spec name), turning each into a variable. */
  private constructor(config: ModelConfig, tokenizer: Tokenizer, tensors: Map<string, tf.Tensor>) {
    this.config = config;
    this.tokenizer = tokenizer;
    const uid = `m${++modelCounter}`;
    this.vars = [];
    try {
      for (const spec of modelTensorSpecs(config)) {
        const t = tensors.get(spec.name)!;
        // The variable shares t's buffer (refcounted); disposing t leaves the variable whole.
        const variable = tf.variable(t, true, `${uid}/${spec.name}`);
        this.vars.push({ name: spec.name, variable, decay: appliesWeightDecay(spec.name) });
        this.byName.set(spec.name, variable);
      }
    } catch (e) {
      for (const v of this.vars) v.variable.dispose();
      throw e;
    } finally {
      for (const t of tensors.values()) t.dispose();
    }
    this.qEncoder = new BertEncoder(config, (n) => this.byName.get(n)!);
    this.pEncoder =
      config.kind !== 'ce' && !config.shareEncoders
        ? new BertEncoder(config, (n) => this.byName.get(PASSAGE_PREFIX + n)!)
        : this.qEncoder;
    // Dropout stream: seeded from the init seed, separate from the initialisation stream.
    this.rng = new Rng((config.initSeed ^ 0x5eed1e55) >>> 0);
  }

  private static checkTokenizer(cfg: ModelConfig, tokenizer: Tokenizer): void {
    if (tokenizer.vocabSize !== cfg.vocabSize) {
      throw new ConfigError(
        `model config: vocabSize (${cfg.vocabSize}) differs from the tokenizer's vocabulary (${tokenizer.vocabSize})`,
        { field: 'vocabSize' },
      );
    }
  }

  /** A fresh model, initialised from cfg.initSeed (BERT initialisation). */
  static create(config: ModelConfigInput | ModelConfig, tokenizer: Tokenizer): RetrievalModel {
    const cfg = validateModelConfig(config);
    RetrievalModel.checkTokenizer(cfg, tokenizer);
    const init = initialWeights(cfg, tokenizer.special.pad);
    const tensors = new Map<string, tf.Tensor>();
    for (const s of modelTensorSpecs(cfg)) tensors.set(s.name, tf.tensor(init.get(s.name)!, s.shape, 'float32'));
    return new RetrievalModel(cfg, tokenizer, tensors);
  }

  /**
   * A model from given weights (HF names without `bert.`). All names and sizes are checked
   * before any tensor is made: missing, unexpected and mis-sized weights are reported
   * together in one CheckpointError, and nothing is allocated then.
   */
  static fromWeights(
    config: ModelConfigInput | ModelConfig,
    tokenizer: Tokenizer,
    weights: ReadonlyMap<string, Float32Array>,
  ): RetrievalModel {
    const cfg = validateModelConfig(config);
    RetrievalModel.checkTokenizer(cfg, tokenizer);
    const specs = modelTensorSpecs(cfg);
    checkWeights(specs, weights);
    const tensors = new Map<string, tf.Tensor>();
    try {
      for (const s of specs) tensors.set(s.name, tf.tensor(weights.get(s.name)!, s.shape, 'float32'));
    } catch (e) {
      for (const t of tensors.values()) t.dispose();
      throw e;
    }
    return new RetrievalModel(cfg, tokenizer, tensors);
  }

  /** All weights with their HF names, in a fixed order, and whether weight decay applies. */
  variables(): ModelVariable[] {
    this.assertLive();
    return this.vars.slice();
  }

  /** The variables alone (for tf.variableGrads' varList). */
  trainableVariables(): tf.Variable[] {
    return this.variables().map((v) => v.variable);
  }

  variable(name: string): tf.Variable {
    const v = this.byName.get(name);
    if (!v) throw new RangeError(`no weight named ${name}`);
    return v;
  }

  /** Number of parameters (the sum of the variables' sizes). */
  get numParameters(): number {
    return this.vars.reduce((n, v) => n + v.variable.size, 0);
  }

  /** The encoder of one side (the same object for both when shared, and for CE). */
  encoder(side: 'query' | 'passage' = 'query'): BertEncoder {
    return side === 'query' ? this.qEncoder : this.pEncoder;
  }

  /** State of the dropout stream, to save in a checkpoint and restore on resume. */
  get rngState(): number {
    return this.rng.state;
  }
  set rngState(s: number) {
    this.rng.state = s;
  }

  // -------------------------------------------------------------------------------------
  // Tokenisation (plain arrays; cached per text because corpora repeat passages)

  private textIds(text: string): number[] {
    let ids = this.tokenCache.get(text);
    if (!ids) {
      // Truncation keeps a prefix no longer than the position table, so cache only that.
      ids = this.tokenizer.encode(text).slice(0, this.config.maxPositions);
      if (this.tokenCache.size >= TOKEN_CACHE_LIMIT) this.tokenCache.clear();
      this.tokenCache.set(text, ids);
    }
    return ids;
  }

  /** The texts of one side with the model's prompt prepended (sentence-transformers' prompts). */
  private prompted(texts: readonly string[], side: 'query' | 'passage'): readonly string[] {
    const p = side === 'query' ? this.config.queryPrompt : this.config.passagePrompt;
    return p ? texts.map((t) => p + t) : texts;
  }

  /** `[CLS] text [SEP]` for each text, padded to the longest (multiple of 8), capped at maxLen. */
  tokenizeTexts(texts: readonly string[], maxLen: number, length?: number): PaddedBatch {
    const sp = this.tokenizer.special;
    const encs: Encoding[] = texts.map((t) => buildSingle(this.textIds(t), sp, maxLen));
    return padBatch(encs, sp.pad, { maxLen, multipleOf: LENGTH_BUCKET, length });
  }

  /** `[CLS] q [SEP] p [SEP]` for each (queries[i], passages[i]), capped at the pair length. */
  tokenizePairs(queries: readonly string[], passages: readonly string[]): PaddedBatch {
    if (queries.length !== passages.length) {
      throw new RangeError(`tokenizePairs: ${queries.length} queries but ${passages.length} passages`);
    }
    const sp = this.tokenizer.special;
    const maxLen = pairLength(this.config);
    const encs = queries.map((q, i) => buildPair(this.textIds(q), this.textIds(passages[i]), sp, maxLen));
    return padBatch(encs, sp.pad, { maxLen, multipleOf: LENGTH_BUCKET });
  }

  /**
   * Tokenises a training batch: B queries and P = B * G passages laid out in groups (query
   * i's positive at i * G). CE gets the B * G pairs (queries[i], passages[i * G + g]).
   */
  tokenize(queries: readonly string[], passages: readonly string[], groupSize: number): ModelBatch {
    const B = queries.length;
    if (B === 0) throw new RangeError('scores: empty batch (no queries)');
    if (!Number.isInteger(groupSize) || groupSize < 1 || passages.length !== B * groupSize) {
      throw new RangeError(`scores: need B * G passages (B = ${B}, G = ${groupSize}), got ${passages.length}`);
    }
    if (this.config.kind === 'ce') {
      const qs = passages.map((_, j) => queries[Math.floor(j / groupSize)]);
      return { kind: 'pairs', pairs: this.tokenizePairs(qs, passages), batchSize: B, groupSize };
    }
    return {
      kind: 'separate',
      queries: this.tokenizeTexts(this.prompted(queries, 'query'), this.config.maxQueryLen),
      passages: this.tokenizeTexts(this.prompted(passages, 'passage'), this.config.maxPassageLen),
      groupSize,
    };
  }

  // -------------------------------------------------------------------------------------
  // Scores

  private resolveLayers(layers: number[] | undefined): number[] {
    const L = this.config.layers;
    const ls = layers ?? Array.from({ length: L }, (_, i) => i);
    for (const l of ls) {
      if (!Number.isInteger(l) || l < 0 || l >= L) {
        throw new ConfigError(`layer index ${l} out of range: this model has blocks 0..${L - 1}`, { field: 'layers' });
      }
    }
    return ls;
  }

  /**
   * Final and per-layer score matrices for B queries and B * G passages (groups, positive
   * first): DE/CB [B, P] in-batch, CE [B, G]. Differentiable; tensors the caller disposes.
   */
  scores(queries: readonly string[], passages: readonly string[], groupSize: number, opts: ScoreOptions): ScoreOutput {
    return this.scoresFromBatch(this.tokenize(queries, passages, groupSize), opts);
  }

  /** As {@link scores}, from a batch tokenised beforehand with {@link tokenize}. */
  scoresFromBatch(batch: ModelBatch, opts: ScoreOptions): ScoreOutput {
    this.assertLive();
    const layers = this.resolveLayers(opts.layers);
    const cfg = this.config;
    return tidyObject((): ScoreOutput => {
      const fwd = { training: opts.training, rng: this.rng };
      if (batch.kind === 'pairs') {
        if (cfg.kind !== 'ce') throw new RangeError('a pair batch needs a cross encoder');
        const { batchSize: B, groupSize: G } = batch;
        const out = this.qEncoder.forward(this.inputs(toTensors(batch.pairs, true)), fwd);
        // CE: [B*G, H] [CLS] rows -> head -> [B, G]
        const score = (h: tf.Tensor3D) => tf.reshape<tf.Rank.R2>(this.ceHead(clsOf(h), opts.training), [B, G]);
        const L = cfg.layers;
        const final = score(out.hidden[L - 1]);
        return { final, layers: layers.map((l) => (l === L - 1 ? tf.clone(final) : score(out.hidden[l]))) };
      }
      if (cfg.kind === 'ce') throw new RangeError('a cross encoder needs a pair batch');
      const qt = toTensors(batch.queries, false);
      const pt = toTensors(batch.passages, false);
      const qo = this.qEncoder.forward(this.inputs(qt), fwd);
      const po = this.pEncoder.forward(this.inputs(pt), fwd);
      return cfg.kind === 'de' ? this.deScores(qo, qt, po, pt, layers) : this.cbScores(qo, qt, po, pt, layers);
    });
  }

  private inputs(t: BatchTensors): EncoderInput {
    return t;
  }

  /** DE: q, p hidden states -> [B, P] similarities of pooled vectors (over tau_s). */
  private deScores(qo: EncoderOutput, qt: BatchTensors, po: EncoderOutput, pt: BatchTensors, layers: number[]): ScoreOutput {
    const cfg = this.config;
    const L = cfg.layers;
    const dot = (l: number): tf.Tensor2D =>
      deSimilarity(cfg, poolVectors(cfg, qo.hidden[l], qt.mask), poolVectors(cfg, po.hidden[l], pt.mask)); // [B,H]x[P,H]^T -> [B,P]
    const final = dot(L - 1);
    return { final, layers: layers.map((l) => (l === L - 1 ? tf.clone(final) : dot(l))) };
  }

  /** CB: MaxSim on projected, normalised final tokens; per layer on raw states. -> [B, P] */
  private cbScores(qo: EncoderOutput, qt: BatchTensors, po: EncoderOutput, pt: BatchTensors, layers: number[]): ScoreOutput {
    const L = this.config.layers;
    const pPad = maxSimPad(pt.mask); // [P, Tp]: 0 or -1e9
    const final = maxSim(this.colbertTokens(qo.hidden[L - 1]), qt.mask, this.colbertTokens(po.hidden[L - 1]), pPad);
    return { final, layers: layers.map((l) => maxSim(qo.hidden[l], qt.mask, po.hidden[l], pPad)) };
  }

  /** h: [N, T, H] -> [N, T, D] projected (if colbertDim) and L2-normalised. */
  private colbertTokens(h: tf.Tensor3D): tf.Tensor3D {
    const [N, T, H] = h.shape;
    let x = h;
    if (this.config.colbertDim !== undefined) {
      const D = this.config.colbertDim;
      x = tf.reshape(tf.matMul(tf.reshape(h, [N * T, H]), this.byName.get('linear.weight')!, false, true), [N, T, D]);
    }
    return l2normalize(x);
  }

  /**
   * CE head on [CLS] vectors: cls [N, H] -> [N] scores. With cePooler, through BERT's pooler
   * tanh(Wp cls + bp) first (BertForSequenceClassification). Dropout on the head's input
   * when training, as HF does.
   */
  ceHead(cls: tf.Tensor2D, training = false): tf.Tensor1D {
    let x = this.pooled(cls);
    if (training) x = dropout(x, this.config.dropout.hidden, this.rng);
    const w = this.byName.get('classifier.weight') as tf.Tensor2D; // [1, H]
    const b = this.byName.get('classifier.bias') as tf.Tensor1D; // [1]
    return tf.reshape(linear(x, w, b), [cls.shape[0]]); // [N, 1] -> [N]
  }

  /** cls [N, H] -> the CE head's input [N, H]: the pooler output when cePooler, else cls. */
  pooled(cls: tf.Tensor2D): tf.Tensor2D {
    if (!this.config.cePooler) return cls;
    const w = this.byName.get('pooler.dense.weight') as tf.Tensor2D;
    const b = this.byName.get('pooler.dense.bias') as tf.Tensor1D;
    return tf.tanh(linear(cls, w, b)); // [N, H]
  }

  /** Hidden states of a tokenised batch (layer explorer, tests). Caller disposes. */
  hiddenStates(batch: PaddedBatch, side: 'query' | 'passage' = 'query', training = false): EncoderOutput {
    this.assertLive();
    const withTypes = this.config.kind === 'ce';
    return tidyObject(() =>
      this.encoder(side).forward(this.inputs(toTensors(batch, withTypes)), { training, rng: this.rng }),
    );
  }

  // -------------------------------------------------------------------------------------
  // Inference: embeddings for retrieval, pair scores for re-ranking

  /** Query embeddings for retrieval (DE: pooled [N, H], unit length if normalised or cosine; CB: [N, T, D] + mask). Not for CE. */
  encodeQueries(texts: readonly string[], opts: EncodeOptions = {}): Embeddings {
    return this.encodeSide(texts, 'query', opts);
  }

  /** Passage embeddings for retrieval (DE: [N, H]; CB: [N, T, D] + mask). Not for CE. */
  encodePassages(texts: readonly string[], opts: EncodeOptions = {}): Embeddings {
    return this.encodeSide(texts, 'passage', opts);
  }

  private encodeSide(raw: readonly string[], side: 'query' | 'passage', opts: EncodeOptions): Embeddings {
    this.assertLive();
    const texts = this.prompted(raw, side);
    const cfg = this.config;
    if (cfg.kind === 'ce') {
      throw new ConfigError('a cross encoder has no separate query/passage embeddings: use scorePairs', { field: 'kind' });
    }
    const maxLen = side === 'query' ? cfg.maxQueryLen : cfg.maxPassageLen;
    if (texts.length === 0) {
      const D = cfg.colbertDim ?? cfg.hidden;
      return cfg.kind === 'de'
        ? { kind: 'dense', vectors: tf.zeros([0, cfg.hidden]) }
        : { kind: 'tokens', vectors: tf.zeros([0, 1, D]), mask: tf.zeros([0, 1]) };
    }
    const bs = Math.max(1, opts.batchSize ?? 128);
    const enc = this.encoder(side);
    // CB chunks must share one padded length to concatenate.
    const length = cfg.kind === 'cb' ? this.tokenizeTexts(texts, maxLen).t : undefined;
    return tf.tidy(() => {
      const vecs: tf.Tensor[] = [];
      const masks: tf.Tensor2D[] = [];
      for (let i = 0; i < texts.length; i += bs) {
        const chunk = texts.slice(i, i + bs);
        const b = this.tokenizeTexts(chunk, maxLen, length);
        const t = toTensors(b, false);
        const h = enc.forward(this.inputs(t), { training: false }).hidden[cfg.layers - 1]; // [n, T, H]
        if (cfg.kind === 'de') vecs.push(poolVectors(opts.asSentenceTransformers ? { ...cfg, similarity: 'dot' } : cfg, h, t.mask));
        else {
          vecs.push(tf.mul(this.colbertTokens(h), tf.expandDims(t.mask, 2))); // zero the padding
          masks.push(t.mask);
        }
      }
      if (cfg.kind === 'de') return { kind: 'dense', vectors: tf.concat(vecs as tf.Tensor2D[], 0) } as Embeddings;
      return { kind: 'tokens', vectors: tf.concat(vecs as tf.Tensor3D[], 0), mask: tf.concat(masks, 0) } as Embeddings;
    });
  }

  /**
   * Every query against every passage: [Nq, Np]. DE: dot products of the (pooled, maybe
   * normalised) vectors over tau_s; CB: MaxSim. Exact search is this plus a top-k (a positive
   * temperature does not change the order, so search ranks by the plain inner product).
   */
  similarity(q: Embeddings, p: Embeddings): tf.Tensor2D {
    return tf.tidy(() => {
      if (q.kind === 'dense' && p.kind === 'dense') return deSimilarity(this.config, q.vectors, p.vectors);
      if (q.kind === 'tokens' && p.kind === 'tokens') {
        return maxSim(q.vectors, q.mask, p.vectors, maxSimPad(p.mask));
      }
      throw new RangeError('similarity: query and passage embeddings of different kinds');
    });
  }

  /**
   * Scores of (queries[i], passages[i]) pairs: [N]. CE reads each pair jointly (re-ranking);
   * DE/CB encode both sides and score them (dot / MaxSim). Inference only (no dropout).
   */
  scorePairs(queries: readonly string[], passages: readonly string[], opts: EncodeOptions = {}): tf.Tensor1D {
    this.assertLive();
    if (queries.length !== passages.length) {
      throw new RangeError(`scorePairs: ${queries.length} queries but ${passages.length} passages`);
    }
    const cfg = this.config;
    const bs = Math.max(1, opts.batchSize ?? 128);
    return tf.tidy(() => {
      const parts: tf.Tensor1D[] = [];
      for (let i = 0; i < queries.length; i += bs) {
        const qs = queries.slice(i, i + bs);
        const ps = passages.slice(i, i + bs);
        if (cfg.kind === 'ce') {
          const t = toTensors(this.tokenizePairs(qs, ps), true);
          const h = this.qEncoder.forward(this.inputs(t), { training: false }).hidden[cfg.layers - 1];
          parts.push(this.ceHead(clsOf(h)));
          continue;
        }
        const qt = toTensors(this.tokenizeTexts(this.prompted(qs, 'query'), cfg.maxQueryLen), false);
        const pt = toTensors(this.tokenizeTexts(this.prompted(ps, 'passage'), cfg.maxPassageLen), false);
        const qh = this.qEncoder.forward(this.inputs(qt), { training: false }).hidden[cfg.layers - 1];
        const ph = this.pEncoder.forward(this.inputs(pt), { training: false }).hidden[cfg.layers - 1];
        if (cfg.kind === 'de') {
          const d = tf.sum<tf.Tensor1D>(tf.mul(poolVectors(cfg, qh, qt.mask), poolVectors(cfg, ph, pt.mask)), -1); // [n]
          parts.push(cfg.scoreTemperature === 1 ? d : (tf.div(d, cfg.scoreTemperature) as tf.Tensor1D));
        }
        else {
          parts.push(maxSimPairs(this.colbertTokens(qh), qt.mask, this.colbertTokens(ph), maxSimPad(pt.mask)));
        }
      }
      return parts.length === 0 ? tf.zeros([0]) : tf.concat(parts, 0);
    });
  }

  // -------------------------------------------------------------------------------------
  // Weights

  /** A copy of every weight (HF name -> shape and float32 data), read asynchronously. */
  async readWeights(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    this.assertLive();
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const v of this.vars) {
      // Copy: on cpu, data() may hand out the backend's own buffer.
      out.set(v.name, { shape: v.variable.shape.slice(), data: new Float32Array(await v.variable.data<'float32'>()) });
    }
    return out;
  }

  /** Overwrites every weight (checkpoint restore); validated in full before anything changes. */
  assignWeights(weights: ReadonlyMap<string, Float32Array>): void {
    this.assertLive();
    const specs = modelTensorSpecs(this.config);
    checkWeights(specs, weights);
    for (const s of specs) {
      const v = this.byName.get(s.name)!;
      tf.tidy(() => v.assign(tf.tensor(weights.get(s.name)!, s.shape, 'float32')));
    }
  }

  /** An independent copy (e.g. PROD's frozen student for LwF); shares buffers until written. */
  clone(): RetrievalModel {
    this.assertLive();
    const tensors = new Map<string, tf.Tensor>();
    for (const v of this.vars) tensors.set(v.name, tf.clone(v.variable));
    const m = new RetrievalModel(this.config, this.tokenizer, tensors);
    m.rngState = this.rngState;
    return m;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars) v.variable.dispose();
    this.tokenCache.clear();
  }

  private assertLive(): void {
    if (this.disposed) throw new RangeError('this model has been disposed');
  }
}

/** Missing, unexpected and mis-sized weights, all at once; throws CheckpointError if any. */
function checkWeights(
  specs: ReturnType<typeof modelTensorSpecs>,
  weights: ReadonlyMap<string, Float32Array>,
): void {
  const wanted = new Set(specs.map((s) => s.name));
  const missing = specs.filter((s) => !weights.has(s.name)).map((s) => s.name);
  const unexpected = [...weights.keys()].filter((n) => !wanted.has(n));
  const misShaped = specs
    .filter((s) => weights.has(s.name) && weights.get(s.name)!.length !== specSize(s.shape))
    .map((s) => `${s.name}: ${weights.get(s.name)!.length} values, expected [${s.shape.join(', ')}]`);
  if (missing.length + unexpected.length + misShaped.length > 0) {
    const parts = [
      missing.length ? `missing ${missing.length}: ${missing.join(', ')}` : '',
      unexpected.length ? `unexpected ${unexpected.length}: ${unexpected.join(', ')}` : '',
      misShaped.length ? `mis-shaped ${misShaped.length}: ${misShaped.join('; ')}` : '',
    ].filter(Boolean);
    throw new CheckpointError(`weights do not match the model config (${parts.join('; ')})`, {
      missing,
      unexpected,
      misShaped,
    });
  }
}
