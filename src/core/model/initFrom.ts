// A student initialised from a subset of a teacher's layers, as DistilBERT was (Sanh et al.
// 2019, section 3: "taking one layer out of two" of BERT-base): the embeddings (and LayerNorm),
// the chosen blocks in order, and the heads are copied; the student has the teacher's width,
// heads, FFN size and tokenizer, and `layers.length` blocks. Unshared DE/CB passage encoders
// and the CE head / pooler / ColBERT projection are copied the same way.

import { ConfigError } from '../errors';
import { validateModelConfig, type ModelConfig, type ModelConfigInput } from './config';
import { RetrievalModel } from './retriever';

/** DistilBERT's choice: every other block, starting with the first (0, 2, 4, ... of L). */
export function everyOtherLayer(teacherLayers: number): number[] {
  return Array.from({ length: Math.ceil(teacherLayers / 2) }, (_, i) => 2 * i);
}

/**
 * `n` blocks spread evenly over the teacher's L (first and last included when n > 1), for a
 * student of another depth than L / 2.
 */
export function spreadLayers(teacherLayers: number, n: number): number[] {
  if (!Number.isInteger(n) || n < 1 || n > teacherLayers) {
    throw new ConfigError(`initFrom: a student of ${n} layers cannot be cut from a teacher of ${teacherLayers}`, { field: 'layers' });
  }
  if (n === 1) return [0];
  return Array.from({ length: n }, (_, i) => Math.round((i * (teacherLayers - 1)) / (n - 1)));
}

/**
 * Checks a block list against a teacher of `teacherLayers` blocks: non-empty, integers,
 * strictly increasing, each in 0..L-1 (L unknown: only >= 0). ConfigError names `field`.
 */
export function checkLayerList(layers: unknown, teacherLayers: number | undefined, field = 'initFrom.layers'): number[] {
  const bad = (why: string): never => {
    throw new ConfigError(`${field}: ${JSON.stringify(layers)} ${why}`, { field });
  };
  if (!Array.isArray(layers) || layers.length === 0) bad('must be a non-empty list of block indices');
  const list = layers as unknown[];
  if (list.length > 256) bad('lists more blocks than a model has');
  const top = teacherLayers === undefined ? '' : ` in 0..${teacherLayers - 1}`;
  list.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) bad(`must be block indices (integers >= 0${top})`);
    const l = v as number;
    if (teacherLayers !== undefined && l >= teacherLayers) bad(`names block ${l}, but the teacher has ${teacherLayers} (0..${teacherLayers - 1})`);
    if (i > 0 && l <= (list[i - 1] as number)) bad('must be increasing block indices, each once');
  });
  return list as number[];
}

/**
 * The teacher's weights with only blocks `layers` kept, renumbered 0..n-1 in that order (the
 * embeddings, LayerNorm, heads and every other weight as they are). Names as modelTensorSpecs.
 */
export async function teacherBlockWeights(teacher: RetrievalModel, layers: readonly number[]): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  checkLayerList(layers, teacher.config.layers, 'initFrom.layers');
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, w] of await teacher.readWeights()) {
    const m = /^(.*encoder\.layer\.)(\d+)(\..*)$/.exec(name);
    if (!m) {
      out.set(name, w);
      continue;
    }
    const at = layers.indexOf(Number(m[2]));
    if (at >= 0) out.set(`${m[1]}${at}${m[3]}`, w);
  }
  return out;
}

/** The fields a student cut from a teacher keeps of its own design (the rest is the teacher's). */
export type StudentOwnFields = Pick<ModelConfigInput, 'kind'> &
  Partial<Pick<ModelConfigInput, 'dropout' | 'maxQueryLen' | 'maxPassageLen' | 'colbertDim' | 'pooling' | 'normalize' | 'similarity' | 'scoreTemperature'>>;

/**
 * The config of a student of `layers` blocks cut from a teacher (or any source model): the
 * teacher's architecture (hidden, heads, FFN, positions, token types, LayerNorm epsilon, shared
 * encoders, prompts, vocabulary) and, for a DE student of a DE teacher, its scoring (pooling,
 * normalisation, similarity, temperature); from the student's own design: its kind (DE or
 * ColBERT; a CE is refused), a ColBERT projection, the dropout and the query / passage
 * lengths, and the scoring when the teacher is not a DE.
 */
export function studentConfigFrom<T extends Partial<ModelConfigInput>>(teacher: T, own: StudentOwnFields, layers: number): T & { layers: number } {
  if (own.kind === 'ce' || teacher.kind === 'ce') {
    throw new ConfigError(
      `a student cut from a model's layers must be a DE or ColBERT model cut from a DE or ColBERT one (${own.kind === 'ce' ? 'the student' : 'the source'} is a cross encoder: it reads query and passage together, and its head and pair inputs have no counterpart in the other kinds)`,
      { field: 'init' },
    );
  }
  const { maxPairLen: _p, cePooler: _c, colbertDim: _d, initSeed: _s, pooling, normalize, similarity, scoreTemperature, ...arch } = teacher as Partial<ModelConfig>;
  const scoring = own.kind !== 'de' ? {}
    : teacher.kind === 'de' ? { pooling, normalize, similarity, scoreTemperature }
    : { pooling: own.pooling, normalize: own.normalize, similarity: own.similarity, scoreTemperature: own.scoreTemperature };
  const out: Record<string, unknown> = {
    ...arch,
    ...scoring,
    kind: own.kind,
    layers,
    ...(own.dropout !== undefined ? { dropout: own.dropout } : {}),
    ...(own.maxQueryLen !== undefined ? { maxQueryLen: own.maxQueryLen } : {}),
    ...(own.maxPassageLen !== undefined ? { maxPassageLen: own.maxPassageLen } : {}),
    ...(own.kind === 'cb' && own.colbertDim !== undefined ? { colbertDim: own.colbertDim } : {}),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as T & { layers: number };
}

/**
 * A student cut from `teacher` (blocks `layers`) with the student's own kind, lengths and
 * dropout (studentConfigFrom): a seeded fresh model whose every weight the teacher has under
 * the same name and shape (after renumbering the blocks) is the teacher's. The rest (a ColBERT
 * projection the teacher lacks) keeps its seeded initialisation. The caller owns the result.
 */
export async function cutStudent(
  teacher: RetrievalModel,
  layers: readonly number[],
  own: StudentOwnFields,
  initSeed: number,
): Promise<{ model: RetrievalModel; copied: number; total: number }> {
  const blocks = await teacherBlockWeights(teacher, layers);
  const cfg = validateModelConfig({ ...studentConfigFrom(teacher.config, own, layers.length), initSeed });
  const model = RetrievalModel.create(cfg, teacher.tokenizer);
  try {
    const merged = new Map<string, Float32Array>();
    let copied = 0;
    for (const [name, w] of await model.readWeights()) {
      const f = blocks.get(name);
      const same = f !== undefined && f.shape.length === w.shape.length && f.shape.every((d, j) => d === w.shape[j]);
      if (same) copied++;
      merged.set(name, same ? f.data : w.data);
    }
    model.assignWeights(merged);
    return { model, copied, total: merged.size };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * A new model whose weights are the teacher's, keeping blocks `layers` (0-based, increasing).
 * `overrides` may change what does not touch the weights' shapes (dropout, lengths, seed,
 * pooling and scoring of a DE, ...). The caller owns (and disposes of) the result.
 */
export async function initFromTeacher(
  teacher: RetrievalModel,
  layers: readonly number[] = everyOtherLayer(teacher.config.layers),
  overrides: Partial<Omit<ModelConfigInput, 'kind' | 'layers' | 'hidden' | 'heads' | 'ffn' | 'vocabSize'>> = {},
): Promise<RetrievalModel> {
  const L = teacher.config.layers;
  if (layers.length === 0 || layers.some((l, i) => !Number.isInteger(l) || l < 0 || l >= L || (i > 0 && l <= layers[i - 1]))) {
    throw new ConfigError(`initFrom: layers ${JSON.stringify(layers)} must be increasing block indices in 0..${L - 1}`, { field: 'initFrom.layers' });
  }
  const cfg = validateModelConfig({ ...teacher.config, ...overrides, layers: layers.length });
  const weights = new Map([...(await teacherBlockWeights(teacher, layers))].map(([n, w]) => [n, w.data] as const));
  return RetrievalModel.fromWeights(cfg, teacher.tokenizer, weights);
}
