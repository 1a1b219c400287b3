// Live numbers of the model designer: parameters and FLOPs per training step, from the core's
// analytic counts (src/core/model/config.ts; benchmark.md: multiply-add = 2 FLOPs, embeddings 0).
import type { Recipe, TrainSettings } from '../../core/distill/recipes';
import { parameterCount, trainingStepFlops, type ModelConfig } from '../../core/model/config';
import { modelConfigOf, type ModelDesign } from '../config/runConfig';

export interface ModelStats {
  config: ModelConfig;
  params: number;
  /** FLOPs of one step that updates this model (forward x 3). */
  trainFlops: number;
  /** FLOPs of one step where this model is a frozen teacher (forward x 1). */
  frozenFlops: number;
  /** Tokens this model reads per step (queries and passages, or pairs). */
  tokens: number;
}

/** Stats of a design, or null when its config does not validate (the designer shows why). */
export function modelStats(d: ModelDesign, train: Pick<TrainSettings, 'batchSize' | 'negatives'>): ModelStats | null {
  let config: ModelConfig;
  try {
    config = modelConfigOf(d);
  } catch {
    return null;
  }
  const shape = { batchSize: train.batchSize, groupSize: 1 + train.negatives };
  const G = shape.groupSize;
  const tokens =
    config.kind === 'ce'
      ? train.batchSize * G * (config.maxPairLen ?? config.maxQueryLen + config.maxPassageLen)
      : train.batchSize * config.maxQueryLen + train.batchSize * G * config.maxPassageLen;
  return {
    config,
    params: parameterCount(config),
    trainFlops: trainingStepFlops(config, { ...shape, updated: true }),
    frozenFlops: trainingStepFlops(config, { ...shape, updated: false }),
    tokens,
  };
}

/** Does a teacher keep learning during distillation with this recipe? (LEAD joint training, 3.5.) */
export function teacherUpdatedDuringDistillation(recipe: Recipe): boolean {
  return recipe.kind === 'lead' && recipe.joint;
}
