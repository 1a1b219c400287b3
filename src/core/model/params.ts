// The full list of a model's weights (names, shapes, initialisation, weight decay), the one
// place that decides them: creation, checkpoint loading, HF import/export and the parameter
// count all read this list.

import { Rng } from '../rng';
import type { ModelConfig } from './config';
import { encoderTensorSpecs, type TensorSpec } from './encoder';

/** Prefix of the passage-side encoder when DE/CB encoders are not shared. */
export const PASSAGE_PREFIX = 'passage_encoder.';

/** Every weight of a model of this config, in a fixed order. */
export function modelTensorSpecs(cfg: ModelConfig): TensorSpec[] {
  const H = cfg.hidden;
  const specs = encoderTensorSpecs(cfg);
  if (cfg.kind !== 'ce' && !cfg.shareEncoders) specs.push(...encoderTensorSpecs(cfg, PASSAGE_PREFIX));
  if (cfg.kind === 'ce') {
    if (cfg.cePooler) {
      specs.push({ name: 'pooler.dense.weight', shape: [H, H], init: 'normal' });
      specs.push({ name: 'pooler.dense.bias', shape: [H], init: 'zeros' });
    }
    specs.push({ name: 'classifier.weight', shape: [1, H], init: 'normal' });
    specs.push({ name: 'classifier.bias', shape: [1], init: 'zeros' });
  }
  if (cfg.kind === 'cb' && cfg.colbertDim !== undefined) {
    // ColBERT's projection (checkpoints call it `linear.weight`, no bias).
    specs.push({ name: 'linear.weight', shape: [cfg.colbertDim, H], init: 'normal' });
  }
  return specs;
}

/** AdamW decays weight matrices and embeddings, not biases or LayerNorm (algorithms.md 7). */
export function appliesWeightDecay(name: string): boolean {
  return !(name.endsWith('.bias') || name.includes('LayerNorm'));
}

export function specSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Fresh weights as HF's `_init_weights`: N(0, initializerRange) matrices and embeddings,
 * zero biases, LayerNorm 1/0, the [PAD] row of the word embeddings zero. Seeded by
 * cfg.initSeed: the same config gives the same model, bit for bit.
 */
export function initialWeights(cfg: ModelConfig, padId: number): Map<string, Float32Array> {
  const rng = new Rng(cfg.initSeed);
  const out = new Map<string, Float32Array>();
  const std = cfg.initializerRange;
  for (const s of modelTensorSpecs(cfg)) {
    const n = specSize(s.shape);
    const data = new Float32Array(n);
    if (s.init === 'ones') data.fill(1);
    else if (s.init === 'normal' || s.init === 'embedding') {
      for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
      if (s.init === 'embedding' && padId >= 0 && padId < s.shape[0]) data.fill(0, padId * s.shape[1], (padId + 1) * s.shape[1]);
    }
    out.set(s.name, data);
  }
  return out;
}
