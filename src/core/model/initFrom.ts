// A student initialised from a subset of a teacher's layers, as DistilBERT was (Sanh et al.
// 2019, section 3: "taking one layer out of two" of BERT-base): the embeddings (and LayerNorm),
// the chosen blocks in order, and the heads are copied; the student has the teacher's width,
// heads, FFN size and tokenizer, and `layers.length` blocks. Unshared DE/CB passage encoders
// and the CE head / pooler / ColBERT projection are copied the same way.

import { ConfigError } from '../errors';
import { validateModelConfig, type ModelConfigInput } from './config';
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
  const src = await teacher.readWeights();
  const weights = new Map<string, Float32Array>();
  for (const [name, w] of src) {
    const m = /^(.*encoder\.layer\.)(\d+)(\..*)$/.exec(name);
    if (!m) {
      weights.set(name, w.data);
      continue;
    }
    const at = layers.indexOf(Number(m[2]));
    if (at >= 0) weights.set(`${m[1]}${at}${m[3]}`, w.data);
  }
  return RetrievalModel.fromWeights(cfg, teacher.tokenizer, weights);
}
