// The knobs of each recipe and of the training settings: label, control type, and the one-line
// help the editor shows (the core's KNOB_HELP, plus lines for the knobs it does not cover yet).
import { KNOB_HELP, type RecipeKind } from '../../core/distill/recipes';

export type KnobType = 'number' | 'boolean' | 'select' | 'nullableNumber';

export interface Knob {
  /** Path inside the recipe (or the train settings): "k", "dataProgressive.rankLow". */
  key: string;
  label: string;
  type: KnobType;
  options?: { value: string; label: string }[];
  /** Shown as the placeholder of an empty nullable number. */
  emptyLabel?: string;
}

export const RECIPE_LABEL: Record<RecipeKind, string> = {
  baseline: 'Baseline (contrastive)',
  kd: 'Response KD',
  lead: 'LEAD',
  prod: 'PROD',
};

export const RECIPE_BLURB: Record<RecipeKind, string> = {
  baseline: 'The student alone, trained on the labels with the contrastive NLL (3.1): the bar distillation must beat.',
  kd: 'The student matches the teacher’s final score distribution over each query’s passages (3.2 or 3.3), plus its own NLL.',
  lead: 'Also aligns per-layer score distributions of randomly paired student and teacher layers, weighted by how well each teacher layer ranks (3.4, 3.5); the teacher may keep learning.',
  prod: 'A chain of ever stronger teachers, one stage each, with LwF against forgetting (3.6), negatives refreshed between stages and a last stage on the queries the teacher gets right and the student wrong (section 5).',
};

export const RECIPE_FORMULAS: Record<RecipeKind, string[]> = {
  baseline: ['3.1'],
  kd: ['3.1', '3.2', '3.3'],
  lead: ['3.2', '3.4', '3.5', '4'],
  prod: ['3.3', '3.6', '5'],
};

export const RECIPE_KNOBS: Record<RecipeKind, Knob[]> = {
  baseline: [],
  kd: [
    { key: 'form', label: 'KD form', type: 'select', options: [{ value: 'lead', label: 'LEAD (3.2): teacher / tau' }, { value: 'prod', label: 'PROD (3.3): T² KL, both / T' }] },
    { key: 'temperature', label: 'Temperature', type: 'number' },
    { key: 'wStudent', label: 'w_student', type: 'number' },
    { key: 'wResponse', label: 'w_response', type: 'number' },
  ],
  lead: [
    { key: 'k', label: 'Layer pairs k', type: 'number' },
    { key: 'selection', label: 'Layer selection', type: 'select', options: [{ value: 'random', label: 'random (paper)' }, { value: 'last', label: 'last k' }, { value: 'skip', label: 'skip (every other teacher layer)' }] },
    { key: 'resampleEvery', label: 'Re-sample every (steps)', type: 'number' },
    { key: 'tau', label: 'τ (teacher temperature)', type: 'number' },
    { key: 'layerTemperature', label: 'Layer temperature', type: 'number' },
    { key: 'reweight', label: 'Re-weight layers by ranking quality', type: 'boolean' },
    { key: 'wLayer', label: 'w_layer (re-weighting off)', type: 'number' },
    { key: 'wStudent', label: 'w_s', type: 'number' },
    { key: 'wResponse', label: 'w_resp', type: 'number' },
    { key: 'wTeacher', label: 'w_t', type: 'number' },
    { key: 'joint', label: 'Joint training (teacher keeps learning)', type: 'boolean' },
    { key: 'teacherLr', label: 'Teacher learning rate', type: 'nullableNumber', emptyLabel: 'the student’s' },
  ],
  prod: [
    { key: 'refreshNegatives', label: 'Refresh hard negatives between stages', type: 'boolean' },
    { key: 'refreshTopM', label: 'Refresh from top m', type: 'number' },
    { key: 'lwf', label: 'LwF in stages after the first', type: 'boolean' },
    { key: 'wCe', label: 'w_ce', type: 'number' },
    { key: 'wKd', label: 'w_kd', type: 'number' },
    { key: 'wLwf', label: 'w_lwf', type: 'number' },
    { key: 'temperature', label: 'T', type: 'number' },
    { key: 'dataProgressive.enabled', label: 'Data-progressive last stage', type: 'boolean' },
    { key: 'dataProgressive.rankLow', label: 'Student rank from', type: 'number' },
    { key: 'dataProgressive.rankHigh', label: 'Student rank to', type: 'number' },
    { key: 'dataProgressive.teacherRank', label: 'Teacher rank at most', type: 'number' },
    { key: 'dataProgressive.steps', label: 'Last-stage steps', type: 'number' },
    { key: 'dataProgressive.lr', label: 'Last-stage learning rate', type: 'number' },
    { key: 'dataProgressive.rerankDepth', label: 'Teacher re-ranks top', type: 'number' },
  ],
};

/** Help lines the core's KNOB_HELP does not have (yet). */
const EXTRA_HELP: Record<string, string> = {
  'prod.dataProgressive.steps': 'Optimiser steps of the data-progressive last stage.',
  'prod.dataProgressive.rerankDepth': "How many of the student's top candidates the teacher re-ranks to find its rank (at least 'rank to').",
  'train.steps': 'Optimiser steps of each training phase.',
  'train.batchSize': 'Queries per batch B; the other queries’ passages act as extra negatives (in-batch, section 2).',
  'train.negatives': 'Hard negatives per query n; each query brings a group of G = 1 + n passages.',
  'train.lr': 'Peak learning rate of AdamW, reached after the warm-up (section 7).',
  'train.warmupFraction': 'Share of the steps spent warming the learning rate up linearly from 0.',
  'train.weightDecay': 'Decoupled weight decay of AdamW (none on biases and LayerNorm).',
  'train.clipNorm': 'Gradients are rescaled when their global norm exceeds this (reference scripts: 1.0).',
  'train.accumulate': 'Micro-batches summed into one optimiser step: a larger batch in the same memory.',
  'train.checkpointEvery': 'Save a resumable checkpoint every N steps (0: only at the end).',
  'train.evalEvery': 'Evaluate on the dev queries every N steps (0: only at the end of each phase).',
  'train.logEvery': 'Read the losses back every N steps: the charts’ resolution (and the non-finite check).',
  seed: 'Seeds everything random: initial weights, batches, layer selection, dropout. Same seed, same run.',
};

export function knobHelp(scope: string, key: string): string {
  const k = `${scope}.${key}`;
  return KNOB_HELP[k] ?? EXTRA_HELP[k] ?? '';
}

export const TRAIN_KNOBS: Knob[] = [
  { key: 'steps', label: 'Steps', type: 'number' },
  { key: 'batchSize', label: 'Batch size B', type: 'number' },
  { key: 'negatives', label: 'Hard negatives n', type: 'number' },
  { key: 'lr', label: 'Learning rate', type: 'number' },
  { key: 'warmupFraction', label: 'Warm-up fraction', type: 'number' },
  { key: 'weightDecay', label: 'Weight decay', type: 'number' },
  { key: 'clipNorm', label: 'Gradient clip norm', type: 'number' },
  { key: 'accumulate', label: 'Accumulate micro-batches', type: 'number' },
  { key: 'checkpointEvery', label: 'Checkpoint every', type: 'number' },
  { key: 'evalEvery', label: 'Evaluate every', type: 'number' },
  { key: 'logEvery', label: 'Log every', type: 'number' },
];

export const seedHelp = (): string => EXTRA_HELP.seed;

/** The error of a knob in runConfigErrors' map; "a.b/c" keys name two knobs at once. */
export function knobError(errors: Record<string, string>, path: string): string | null {
  if (errors[path]) return errors[path];
  const dot = path.lastIndexOf('.');
  const parent = path.slice(0, dot);
  const leaf = path.slice(dot + 1);
  for (const [k, v] of Object.entries(errors)) {
    const kd = k.lastIndexOf('.');
    if (k.slice(0, kd) === parent && k.slice(kd + 1).split('/').includes(leaf)) return v;
  }
  return null;
}
