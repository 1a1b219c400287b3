// One typed, validated description of a retrieval model (algorithms.md section 1), plus the
// analytic parameter and FLOP counts the UI shows and `npm run bench` reports
// (benchmark.md: multiply-add = 2 FLOPs, embeddings count zero).

import { ConfigError } from '../errors';

export type ModelKind = 'de' | 'cb' | 'ce';
export const MODEL_KINDS: readonly ModelKind[] = ['de', 'cb', 'ce'];

/**
 * How a DE turns a layer's token states into one vector (algorithms.md section 1), plus two
 * sentence-transformers modes: 'mean_sqrt_len' (the masked sum over sqrt(token count)) and
 * 'lasttoken' (the last token whose mask is 1: [SEP] for BERT).
 */
export type Pooling = 'cls' | 'mean' | 'max' | 'mean_sqrt_len' | 'lasttoken';
export const POOLINGS: readonly Pooling[] = ['cls', 'mean', 'max', 'mean_sqrt_len', 'lasttoken'];
/** How a DE compares a query vector with a passage vector. */
export type Similarity = 'dot' | 'cosine';
export const SIMILARITIES: readonly Similarity[] = ['dot', 'cosine'];

export interface ModelConfig {
  /** 'de' dual encoder ([CLS] dot), 'cb' ColBERT (MaxSim), 'ce' cross encoder. */
  kind: ModelKind;
  /** Transformer blocks L. */
  layers: number;
  /** Hidden size H. */
  hidden: number;
  /** Attention heads; must divide hidden. */
  heads: number;
  /** Feed-forward (intermediate) size F. */
  ffn: number;
  /** Rows of the word embedding matrix; equals the tokenizer's vocabSize. */
  vocabSize: number;
  /** Rows of the position embedding matrix: the longest sequence the model can read. */
  maxPositions: number;
  /** Rows of the token-type (segment) embedding matrix; CE needs 2. */
  typeVocabSize: number;
  layerNormEps: number;
  /** Dropout rates, applied only when training (seeded). */
  dropout: { hidden: number; attention: number };
  /** Query length in tokens, [CLS] and [SEP] included (DE/CB; CE's default pair split). */
  maxQueryLen: number;
  /** Passage length in tokens, [CLS] and [SEP] included. */
  maxPassageLen: number;
  /** CE only: `[CLS] q [SEP] p [SEP]` length; default maxQueryLen + maxPassageLen. */
  maxPairLen?: number;
  /** CB only: final token vectors are projected by a bias-free linear map to this size. */
  colbertDim?: number;
  /** DE/CB: one encoder for both queries and passages (default true). */
  shareEncoders: boolean;
  /**
   * CE only: read [CLS] through BERT's pooler (tanh(W h + b)) before the linear head, as
   * `BertForSequenceClassification` does. Imported HF cross-encoders set it so their scores
   * equal PyTorch's logits; algorithms.md's head (`w . h_CLS + b`) is the default false.
   */
  cePooler: boolean;
  /**
   * DE only: the vector of a text at layer l is pool(h^l): 'cls' = h^l_[CLS]; 'mean' = the
   * mean over the tokens whose attention mask is 1 ([CLS] and [SEP] included); 'max' = the
   * element-wise max over them (algorithms.md section 1). Default 'cls'.
   */
  pooling: Pooling;
  /** DE only: divide each pooled vector by its L2 norm (sentence-transformers' Normalize). */
  normalize: boolean;
  /** DE only: 'dot' product or 'cosine' of the two vectors. */
  similarity: Similarity;
  /**
   * DE only: every score (final and per layer) is divided by this temperature tau_s. Cosine
   * scores live in [-1, 1]: a softmax over them is nearly flat unless they are sharpened, so
   * contrastive training from scratch uses cosine / 0.05 (scale 20). Default 1.
   */
  scoreTemperature: number;
  /**
   * DE/CB: text prepended to every query / passage before tokenisation (sentence-transformers
   * `prompts`, e.g. e5's "query: " and "passage: "); absent = none.
   */
  queryPrompt?: string;
  passagePrompt?: string;
  /** Std of the normal initialisation of weight matrices (BERT: 0.02). */
  initializerRange: number;
  /** Seed of weight initialisation and of the dropout stream. */
  initSeed: number;
}

/** What a caller must give; everything else has a default. */
export type ModelConfigInput = Pick<ModelConfig, 'kind' | 'layers' | 'hidden' | 'heads' | 'ffn' | 'vocabSize'> &
  Partial<Omit<ModelConfig, 'dropout'>> & { dropout?: Partial<ModelConfig['dropout']> };

const KNOWN_FIELDS = new Set([
  'kind', 'layers', 'hidden', 'heads', 'ffn', 'vocabSize', 'maxPositions', 'typeVocabSize', 'layerNormEps',
  'dropout', 'maxQueryLen', 'maxPassageLen', 'maxPairLen', 'colbertDim', 'shareEncoders', 'cePooler',
  'initializerRange', 'initSeed', 'pooling', 'normalize', 'similarity', 'scoreTemperature',
  'queryPrompt', 'passagePrompt',
]);

function fail(field: string, message: string): never {
  throw new ConfigError(`model config: ${field} ${message}`, { field });
}

/**
 * Upper bounds on the sizes, far above any BERT-family encoder (bert-large: 24 layers, hidden
 * 1024, ffn 4096; XLM-R's vocabulary: 250,002), so that a hostile config.json or share link
 * (hidden 10^9) is refused here, naming the field, before anything is allocated.
 */
export const MODEL_LIMITS = {
  layers: 256, hidden: 16_384, heads: 256, ffn: 65_536, vocabSize: 4_194_304, maxPositions: 65_536,
  typeVocabSize: 1024, maxQueryLen: 65_536, maxPassageLen: 65_536, maxPairLen: 65_536, colbertDim: 16_384,
} as const;
/** No single weight matrix may hold more values than this (2^30 float32 = 4 GiB). */
export const MAX_MATRIX_VALUES = 2 ** 30;

function int(x: Record<string, unknown>, field: string, min: number, dflt?: number): number {
  const v = x[field] ?? dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(field, `must be an integer, got ${JSON.stringify(v)}`);
  if (v < min) fail(field, `must be >= ${min}, got ${v}`);
  const max = (MODEL_LIMITS as Record<string, number>)[field];
  if (max !== undefined && v > max) fail(field, `must be <= ${max}, got ${v}`);
  return v;
}

function rate(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v >= 1) fail(field, `must be in [0, 1), got ${JSON.stringify(v)}`);
  return v;
}

function bool(x: Record<string, unknown>, field: string, dflt: boolean): boolean {
  const v = x[field] ?? dflt;
  if (typeof v !== 'boolean') fail(field, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates (and fills defaults of) a model config; ConfigError names the bad field. */
export function validateModelConfig(input: unknown): ModelConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError('model config must be an object', { field: '(root)' });
  }
  const x = input as Record<string, unknown>;
  for (const k of Object.keys(x)) if (!KNOWN_FIELDS.has(k)) fail(k, 'is not a model config field');

  const kind = x.kind as ModelKind;
  if (!MODEL_KINDS.includes(kind)) fail('kind', `must be one of ${MODEL_KINDS.join(', ')}, got ${JSON.stringify(x.kind)}`);
  const layers = int(x, 'layers', 1);
  const hidden = int(x, 'hidden', 1);
  const heads = int(x, 'heads', 1);
  if (hidden % heads !== 0) fail('hidden', `(${hidden}) must be divisible by heads (${heads})`);
  const ffn = int(x, 'ffn', 1);
  const vocabSize = int(x, 'vocabSize', 6);
  for (const [field, rows] of [['vocabSize', vocabSize], ['ffn', ffn]] as const) {
    if (rows * hidden > MAX_MATRIX_VALUES) fail(field, `(${rows}) x hidden (${hidden}) is ${rows * hidden} values in one matrix, over the ${MAX_MATRIX_VALUES} the lab allocates`);
  }
  const maxPositions = int(x, 'maxPositions', 3, 512);
  const typeVocabSize = int(x, 'typeVocabSize', 1, 2);
  const layerNormEps = x.layerNormEps ?? 1e-12;
  if (typeof layerNormEps !== 'number' || !(layerNormEps > 0) || !Number.isFinite(layerNormEps)) {
    fail('layerNormEps', `must be a positive number, got ${JSON.stringify(layerNormEps)}`);
  }
  const d = x.dropout ?? {};
  if (typeof d !== 'object' || d === null) fail('dropout', 'must be an object {hidden, attention}');
  const dd = d as Record<string, unknown>;
  for (const k of Object.keys(dd)) if (k !== 'hidden' && k !== 'attention') fail(`dropout.${k}`, 'is not a dropout field');
  const dropout = { hidden: rate(dd.hidden ?? 0.1, 'dropout.hidden'), attention: rate(dd.attention ?? 0.1, 'dropout.attention') };
  const maxQueryLen = int(x, 'maxQueryLen', 3, 32);
  const maxPassageLen = int(x, 'maxPassageLen', 3, 128);

  let maxPairLen: number | undefined;
  if (kind === 'ce') {
    maxPairLen = x.maxPairLen === undefined ? maxQueryLen + maxPassageLen : int(x, 'maxPairLen', 4);
    if (maxPairLen > maxPositions) fail('maxPairLen', `(${maxPairLen}, default maxQueryLen + maxPassageLen) exceeds maxPositions (${maxPositions})`);
    if (typeVocabSize < 2) fail('typeVocabSize', `must be >= 2 for a cross encoder (segment ids 0/1), got ${typeVocabSize}`);
  } else {
    if (x.maxPairLen !== undefined) fail('maxPairLen', `applies to kind 'ce' only`);
    if (maxQueryLen > maxPositions) fail('maxQueryLen', `(${maxQueryLen}) exceeds maxPositions (${maxPositions})`);
    if (maxPassageLen > maxPositions) fail('maxPassageLen', `(${maxPassageLen}) exceeds maxPositions (${maxPositions})`);
  }

  let colbertDim: number | undefined;
  if (x.colbertDim !== undefined) {
    if (kind !== 'cb') fail('colbertDim', `applies to kind 'cb' only`);
    colbertDim = int(x, 'colbertDim', 1);
  }
  const shareEncoders = bool(x, 'shareEncoders', true);
  if (kind === 'ce' && !shareEncoders) fail('shareEncoders', 'must be true for a cross encoder (one encoder reads the pair)');
  const cePooler = bool(x, 'cePooler', false);
  if (cePooler && kind !== 'ce') fail('cePooler', `applies to kind 'ce' only`);
  const pooling = (x.pooling ?? 'cls') as Pooling;
  if (!POOLINGS.includes(pooling)) fail('pooling', `must be one of ${POOLINGS.join(', ')}, got ${JSON.stringify(x.pooling)}`);
  const normalize = bool(x, 'normalize', false);
  const similarity = (x.similarity ?? 'dot') as Similarity;
  if (!SIMILARITIES.includes(similarity)) fail('similarity', `must be one of ${SIMILARITIES.join(', ')}, got ${JSON.stringify(x.similarity)}`);
  const scoreTemperature = x.scoreTemperature ?? 1;
  if (typeof scoreTemperature !== 'number' || !Number.isFinite(scoreTemperature) || !(scoreTemperature > 0)) {
    fail('scoreTemperature', `must be a positive number, got ${JSON.stringify(x.scoreTemperature)}`);
  }
  if (kind !== 'de' && (pooling !== 'cls' || normalize || similarity !== 'dot' || scoreTemperature !== 1)) {
    fail(pooling !== 'cls' ? 'pooling' : normalize ? 'normalize' : similarity !== 'dot' ? 'similarity' : 'scoreTemperature', `applies to kind 'de' only`);
  }
  const prompts: { queryPrompt?: string; passagePrompt?: string } = {};
  for (const f of ['queryPrompt', 'passagePrompt'] as const) {
    const v = x[f];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string') fail(f, `must be a string, got ${JSON.stringify(v)}`);
    if (kind === 'ce') fail(f, `applies to kinds 'de' and 'cb' only`);
    prompts[f] = v;
  }
  const initializerRange = x.initializerRange ?? 0.02;
  if (typeof initializerRange !== 'number' || !(initializerRange >= 0) || !Number.isFinite(initializerRange)) {
    fail('initializerRange', `must be a non-negative number, got ${JSON.stringify(initializerRange)}`);
  }
  const initSeed = int(x, 'initSeed', 0, 0);
  if (initSeed > 0xffffffff) fail('initSeed', 'must fit in 32 bits');

  const cfg: ModelConfig = {
    kind, layers, hidden, heads, ffn, vocabSize, maxPositions, typeVocabSize, layerNormEps, dropout,
    maxQueryLen, maxPassageLen, shareEncoders, cePooler, initializerRange, initSeed,
    pooling, normalize, similarity, scoreTemperature,
  };
  if (maxPairLen !== undefined) cfg.maxPairLen = maxPairLen;
  if (colbertDim !== undefined) cfg.colbertDim = colbertDim;
  Object.assign(cfg, prompts);
  return cfg;
}

/** CE pair length ([CLS] q [SEP] p [SEP]); for DE/CB the longer of query and passage. */
export function pairLength(cfg: ModelConfig): number {
  return cfg.maxPairLen ?? cfg.maxQueryLen + cfg.maxPassageLen;
}

/** Parameters of one encoder: embeddings, embedding LayerNorm, L blocks. */
export function encoderParameterCount(cfg: ModelConfig): number {
  const { hidden: H, ffn: F, layers: L } = cfg;
  const embeddings = (cfg.vocabSize + cfg.maxPositions + cfg.typeVocabSize) * H + 2 * H;
  // Q, K, V, attention output: 4 (H^2 + H); FFN: H F + F + F H + H; two LayerNorms: 4 H.
  const block = 4 * (H * H + H) + (2 * H * F + F + H) + 4 * H;
  return embeddings + L * block;
}

/** Trainable parameters of the whole model; equals the sum of its variables' sizes. */
export function parameterCount(cfg: ModelConfig): number {
  const H = cfg.hidden;
  const encoders = cfg.kind !== 'ce' && !cfg.shareEncoders ? 2 : 1;
  let n = encoders * encoderParameterCount(cfg);
  if (cfg.kind === 'ce') n += H + 1 + (cfg.cePooler ? H * H + H : 0);
  if (cfg.kind === 'cb' && cfg.colbertDim !== undefined) n += H * cfg.colbertDim;
  return n;
}

/**
 * FLOPs of one encoder forward over `tokens` tokens in sequences of `seqLen` (benchmark.md):
 * `L * (T * (8 H^2 + 4 H F) + 4 T_seq * T * H)`: the four H x H projections and the two
 * FFN matrices (2 FLOPs per multiply-add), plus attention scores and the weighted sum.
 */
export function flopsPerForward(cfg: Pick<ModelConfig, 'layers' | 'hidden' | 'ffn'>, tokens: number, seqLen: number): number {
  const { layers: L, hidden: H, ffn: F } = cfg;
  return L * (tokens * (8 * H * H + 4 * H * F) + 4 * seqLen * tokens * H);
}

export interface StepShape {
  /** Queries per batch B. */
  batchSize: number;
  /** Passages per query G (positive + negatives). */
  groupSize: number;
  /** Is the model updated (forward x 3) or frozen (forward x 1)? */
  updated: boolean;
  /** Lengths actually used; default the config's maxima. */
  queryLen?: number;
  passageLen?: number;
  pairLen?: number;
}

/**
 * FLOPs a training step spends on one model (benchmark.md): queries `B * Lq` tokens and
 * passages `B * G * Lp` tokens (DE/CB), or `B * G` pairs of `Lpair` tokens (CE); forward x 3
 * when the model is updated (forward + backward), x 1 when it is frozen.
 */
export function trainingStepFlops(cfg: ModelConfig, s: StepShape): number {
  let fwd: number;
  if (cfg.kind === 'ce') {
    const lp = s.pairLen ?? pairLength(cfg);
    fwd = flopsPerForward(cfg, s.batchSize * s.groupSize * lp, lp);
  } else {
    const lq = s.queryLen ?? cfg.maxQueryLen;
    const lp = s.passageLen ?? cfg.maxPassageLen;
    fwd = flopsPerForward(cfg, s.batchSize * lq, lq) + flopsPerForward(cfg, s.batchSize * s.groupSize * lp, lp);
  }
  return fwd * (s.updated ? 3 : 1);
}
