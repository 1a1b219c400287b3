// Recipes as typed, validated, serialisable configs, with the papers' defaults scaled to
// small models. One RunConfig (seed included) describes a whole run; it round-trips through
// JSON export/import and the URL.
//
// Defaults: LEAD (Sun et al. 2022; SimXNS/LEAD scripts): k = 2 layers at random, re-sampled
// every 10 steps, tau = 1, layer temperature 10, re-weighting on, joint training on,
// w_s = w_resp = w_t = 1. PROD (Lin et al. 2023; SimXNS/PROD): T = 4, w_ce = 0.1, w_kd = 0.9,
// w_lwf = 1.0, data-progressive ranks 2..15, lr 1e-5 vs 5e-5 (here scaled up for small models
// trained from scratch; the paper's 1:5 ratio is kept).
import { ConfigError } from '../errors';

export type RecipeKind = 'baseline' | 'kd' | 'lead' | 'prod';
export const RECIPE_KINDS: readonly RecipeKind[] = ['baseline', 'kd', 'lead', 'prod'];

export type LayerSelection = 'random' | 'last' | 'skip';

export interface TrainSettings {
  /** Optimiser steps. */
  steps: number;
  /** Queries per batch B. */
  batchSize: number;
  /** Hard negatives per query n (group size G = 1 + n). */
  negatives: number;
  /** Peak learning rate of AdamW. */
  lr: number;
  /** Fraction of steps spent warming up linearly to lr. */
  warmupFraction: number;
  weightDecay: number;
  /** Global-norm clipping threshold (algorithms.md section 7: 1.0). */
  clipNorm: number;
  /** Micro-batches summed into one optimiser step. */
  accumulate: number;
  /** Checkpoint every N steps (0: only at the end). */
  checkpointEvery: number;
  /** Evaluate on the dev split every N steps (0: only at the end). */
  evalEvery: number;
  /** Read loss values back every N steps (charts; the non-finite check). */
  logEvery: number;
}

export interface BaselineRecipe {
  kind: 'baseline';
}

export interface KdRecipe {
  kind: 'kd';
  /** 'lead' = formula 3.2 (teacher / tau only); 'prod' = formula 3.3 (T^2, both / T). */
  form: 'lead' | 'prod';
  temperature: number;
  /** Weight of the student's own contrastive loss. */
  wStudent: number;
  wResponse: number;
}

export interface LeadRecipe {
  kind: 'lead';
  /** Number of layer pairs k. */
  k: number;
  selection: LayerSelection;
  resampleEvery: number;
  /** tau of formulas 3.2 and 3.4. */
  tau: number;
  layerTemperature: number;
  /** Re-weight layers by their own ranking quality (3.4); off: w_layer * sum KL_j. */
  reweight: boolean;
  wLayer: number;
  wStudent: number;
  wResponse: number;
  wTeacher: number;
  /** Joint training: the teacher keeps learning (the paper's default). */
  joint: boolean;
  /** Learning rate of the teacher under joint training (null: the student's). */
  teacherLr: number | null;
}

export interface ProdStage {
  /** Which teacher of the run's chain (index into the run's teachers). */
  teacher: number;
  steps: number;
  lr: number;
}

export interface ProdRecipe {
  kind: 'prod';
  stages: ProdStage[];
  /** Re-mine negatives from the newest student between stages. */
  refreshNegatives: boolean;
  /** Depth of the ranking negatives are re-mined from. */
  refreshTopM: number;
  /** LwF against the stage-start student in stages after the first. */
  lwf: boolean;
  wCe: number;
  wKd: number;
  wLwf: number;
  temperature: number;
  dataProgressive: {
    enabled: boolean;
    /** Student rank window of the first relevant passage (inclusive). */
    rankLow: number;
    rankHigh: number;
    /** Teacher rank required (1 in the paper). */
    teacherRank: number;
    steps: number;
    lr: number;
    /** Candidates the teacher re-ranks. */
    rerankDepth: number;
    /** Training queries ranked for the selection (a seeded sample; re-ranking costs G x this). */
    maxQueries: number;
    /**
     * Hard negatives per query in this stage, from the teacher's ranking in descending score
     * (the paper's neg_type = descend). Without them the stage's only negatives are the other
     * selected queries' positives, and its few queries are over-fitted.
     */
    negatives: number;
  };
}

export type Recipe = BaselineRecipe | KdRecipe | LeadRecipe | ProdRecipe;

/** The papers' defaults, scaled to the lab's small models. */
export function defaultRecipe(kind: 'baseline'): BaselineRecipe;
export function defaultRecipe(kind: 'kd'): KdRecipe;
export function defaultRecipe(kind: 'lead'): LeadRecipe;
export function defaultRecipe(kind: 'prod'): ProdRecipe;
export function defaultRecipe(kind: RecipeKind): Recipe;
export function defaultRecipe(kind: RecipeKind): Recipe {
  switch (kind) {
    case 'baseline':
      return { kind };
    case 'kd':
      return { kind, form: 'lead', temperature: 1, wStudent: 1, wResponse: 1 };
    case 'lead':
      return {
        kind, k: 2, selection: 'random', resampleEvery: 10, tau: 1, layerTemperature: 10, reweight: true,
        wLayer: 1, wStudent: 1, wResponse: 1, wTeacher: 1, joint: true, teacherLr: null,
      };
    case 'prod':
      return {
        kind,
        stages: [{ teacher: 0, steps: 300, lr: 5e-4 }],
        refreshNegatives: true,
        refreshTopM: 30,
        lwf: true,
        wCe: 0.1,
        wKd: 0.9,
        wLwf: 1.0,
        temperature: 4,
        dataProgressive: { enabled: true, rankLow: 2, rankHigh: 15, teacherRank: 1, steps: 100, lr: 1e-4, rerankDepth: 20, maxQueries: 400, negatives: 3 },
      };
  }
}

/** One line per knob, shown next to it in the recipe editor. */
export const KNOB_HELP: Record<string, string> = {
  'kd.form': "Response KD form: LEAD's KL(softmax(S_t/tau) || softmax(S_s)) (3.2) or PROD's T^2-scaled KL with both sides over T (3.3).",
  'kd.temperature': 'Softens the teacher distribution; higher spreads probability over more passages.',
  'kd.wStudent': "Weight of the student's own contrastive loss against the labels (3.1).",
  'kd.wResponse': "Weight of matching the teacher's final score distribution.",
  'lead.k': 'How many student layers are aligned with teacher layers each step (must not exceed either depth).',
  'lead.selection': 'random (paper default): k layers of each model sampled and paired in order; last: the top k; skip: every other teacher layer.',
  'lead.resampleEvery': 'Steps between re-sampling the random layer pairs (paper: 10).',
  'lead.tau': 'Temperature dividing the teacher scores in the response and layer KLs.',
  'lead.layerTemperature': 'Softness of the layer weights softmax(-NLL_t(layer)/temp): high = nearly uniform.',
  'lead.reweight': 'Weigh each layer pair by how well that teacher layer ranks on its own (3.4).',
  'lead.wLayer': 'Weight of the summed layer KLs when re-weighting is off.',
  'lead.wStudent': "Weight of the student's contrastive loss.",
  'lead.wResponse': 'Weight of the final-layer response KL.',
  'lead.wTeacher': "Weight of the teacher's own contrastive loss under joint training.",
  'lead.joint': 'Joint training: the teacher keeps learning and receives gradients from the alignment losses too.',
  'lead.teacherLr': "The teacher's learning rate under joint training (empty: the student's).",
  'prod.stages': 'The teacher chain, weakest first: each stage distils one teacher into the student.',
  'prod.refreshNegatives': "Re-mine each query's hard negatives from the newest student between stages.",
  'prod.refreshTopM': 'Depth of the ranking that refreshed negatives are drawn from.',
  'prod.lwf': 'Learning without forgetting: keep the student close to itself at the start of the stage.',
  'prod.wCe': "Weight of the student's contrastive loss (paper: 0.1).",
  'prod.wKd': 'Weight of the KD loss from the stage teacher (paper: 0.9).',
  'prod.wLwf': 'Weight of the LwF KD loss against the stage-start student (paper: 1.0).',
  'prod.temperature': 'T of the PROD KD loss (paper: 4); the loss is scaled by T^2.',
  'prod.dataProgressive.enabled': 'A last stage on the queries the teacher gets right and the student gets wrong.',
  'prod.dataProgressive.rankLow': 'Lowest student rank of the first relevant passage kept (paper: 2).',
  'prod.dataProgressive.rankHigh': 'Highest student rank kept (paper: 15).',
  'prod.dataProgressive.teacherRank': 'The teacher must rank the relevant passage at or above this (paper: 1).',
  'prod.dataProgressive.lr': 'Lower learning rate for the last stage (paper: 1e-5 vs 5e-5).',
  'prod.dataProgressive.rerankDepth': "How many of the student's candidates the teacher re-ranks to find its rank.",
  'prod.dataProgressive.maxQueries': 'Training queries ranked for the selection (a seeded sample: re-ranking is the costly part).',
  'prod.dataProgressive.negatives': "Hard negatives per query in the last stage, in the teacher's descending-score order (paper: descend); 0 leaves only in-batch negatives.",
};

function check(cond: boolean, field: string, msg: string): asserts cond {
  if (!cond) throw new ConfigError(`recipe: ${field} ${msg}`, { field });
}
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const posInt = (v: unknown) => isNum(v) && Number.isInteger(v) && v >= 1;
/**
 * The most optimiser steps one phase may ask for (a run config or share link asking for 10^9
 * is refused, naming the field, instead of being scheduled): 10^7 is months at the lab's speeds.
 */
export const MAX_STEPS = 10_000_000;
/** The largest batch (queries per step) and hard negatives per query a config may ask for. */
export const MAX_BATCH = 65_536;
export const MAX_NEGATIVES = 1024;
const stepsOk = (v: unknown) => posInt(v) && (v as number) <= MAX_STEPS;

/** Validates a recipe against its kind (and the teacher count, for PROD); fills defaults. */
export function validateRecipe(input: unknown, teacherCount = Infinity): Recipe {
  check(typeof input === 'object' && input !== null, '(root)', 'must be an object');
  const x = input as Record<string, unknown>;
  check(RECIPE_KINDS.includes(x.kind as RecipeKind), 'kind', `must be one of ${RECIPE_KINDS.join(', ')}, got ${JSON.stringify(x.kind)}`);
  const kind = x.kind as RecipeKind;
  const base = defaultRecipe(kind) as unknown as Record<string, unknown>;
  for (const key of Object.keys(x)) check(Object.hasOwn(base, key), key, `is not a field of a ${kind} recipe`);
  const r = { ...base, ...x } as unknown as Recipe;
  switch (r.kind) {
    case 'baseline':
      break;
    case 'kd':
      check(r.form === 'lead' || r.form === 'prod', 'form', "must be 'lead' or 'prod'");
      check(isNum(r.temperature) && r.temperature > 0, 'temperature', 'must be > 0');
      check(isNum(r.wStudent) && r.wStudent >= 0, 'wStudent', 'must be >= 0');
      check(isNum(r.wResponse) && r.wResponse >= 0, 'wResponse', 'must be >= 0');
      break;
    case 'lead':
      check(posInt(r.k), 'k', 'must be an integer >= 1');
      check(['random', 'last', 'skip'].includes(r.selection), 'selection', "must be 'random', 'last' or 'skip'");
      check(posInt(r.resampleEvery), 'resampleEvery', 'must be an integer >= 1');
      check(isNum(r.tau) && r.tau > 0, 'tau', 'must be > 0');
      check(isNum(r.layerTemperature) && r.layerTemperature > 0, 'layerTemperature', 'must be > 0');
      check(typeof r.reweight === 'boolean', 'reweight', 'must be true or false');
      check(typeof r.joint === 'boolean', 'joint', 'must be true or false');
      for (const w of ['wLayer', 'wStudent', 'wResponse', 'wTeacher'] as const) check(isNum(r[w]) && r[w] >= 0, w, 'must be >= 0');
      check(r.teacherLr === null || (isNum(r.teacherLr) && r.teacherLr > 0), 'teacherLr', 'must be null or > 0');
      break;
    case 'prod': {
      check(Array.isArray(r.stages) && r.stages.length >= 1, 'stages', 'must list at least one stage');
      r.stages = r.stages.map((s, i) => {
        check(typeof s === 'object' && s !== null, `stages[${i}]`, 'must be an object');
        check(Number.isInteger(s.teacher) && s.teacher >= 0 && s.teacher < teacherCount, `stages[${i}].teacher`, `must index one of the ${teacherCount} teachers`);
        check(stepsOk(s.steps), `stages[${i}].steps`, `must be an integer in [1, ${MAX_STEPS}]`);
        check(isNum(s.lr) && s.lr > 0, `stages[${i}].lr`, 'must be > 0');
        return { teacher: s.teacher, steps: s.steps, lr: s.lr };
      });
      check(typeof r.refreshNegatives === 'boolean', 'refreshNegatives', 'must be true or false');
      check(typeof r.lwf === 'boolean', 'lwf', 'must be true or false');
      check(posInt(r.refreshTopM), 'refreshTopM', 'must be an integer >= 1');
      check(isNum(r.temperature) && r.temperature > 0, 'temperature', 'must be > 0');
      for (const w of ['wCe', 'wKd', 'wLwf'] as const) check(isNum(r[w]) && r[w] >= 0, w, 'must be >= 0');
      const dp = { ...defaultRecipe('prod').dataProgressive, ...(r.dataProgressive ?? {}) };
      check(posInt(dp.rankLow) && posInt(dp.rankHigh) && dp.rankLow <= dp.rankHigh, 'dataProgressive.rankLow/rankHigh', 'must be integers with 1 <= rankLow <= rankHigh');
      check(posInt(dp.teacherRank), 'dataProgressive.teacherRank', 'must be an integer >= 1');
      check(stepsOk(dp.steps), 'dataProgressive.steps', `must be an integer in [1, ${MAX_STEPS}]`);
      check(isNum(dp.lr) && dp.lr > 0, 'dataProgressive.lr', 'must be > 0');
      check(posInt(dp.rerankDepth) && dp.rerankDepth >= dp.rankHigh, 'dataProgressive.rerankDepth', 'must be an integer >= rankHigh');
      check(posInt(dp.maxQueries), 'dataProgressive.maxQueries', 'must be an integer >= 1');
      check(Number.isInteger(dp.negatives) && dp.negatives >= 0, 'dataProgressive.negatives', 'must be an integer >= 0');
      r.dataProgressive = dp;
      break;
    }
  }
  return r;
}

/**
 * The lab's training defaults, for models trained from random weights (docs/training.md has
 * the evidence): batches of 64 queries with in-batch negatives only (64 candidates per query),
 * AdamW at 1e-3 with 10% linear warm-up then linear decay, weight decay 0.01, clipping 1.0,
 * 1,000 steps. The papers fine-tune pre-trained BERTs at 2e-5..5e-5: see PAPER_TRAIN.
 */
export const DEFAULT_TRAIN: TrainSettings = {
  steps: 1000,
  batchSize: 64,
  negatives: 0,
  lr: 1e-3,
  warmupFraction: 0.1,
  weightDecay: 0.01,
  clipNorm: 1.0,
  accumulate: 1,
  checkpointEvery: 100,
  evalEvery: 0,
  logEvery: 10,
};

/**
 * The papers' fine-tuning settings (SimXNS LEAD/PROD scripts), a named preset for pre-trained
 * (imported) models: lr 5e-5, 1 positive + 7 hard negatives per query, batch 16... here
 * scaled to the lab's shapes. Models from random weights do not learn at this rate.
 */
export const PAPER_TRAIN: TrainSettings = { ...DEFAULT_TRAIN, lr: 5e-5, batchSize: 16, negatives: 7, warmupFraction: 0.1 };

export function validateTrainSettings(input: unknown): TrainSettings {
  check(typeof input === 'object' && input !== null, 'train', 'must be an object');
  const x = { ...DEFAULT_TRAIN, ...(input as Record<string, unknown>) } as Record<string, unknown>;
  for (const key of Object.keys(x)) check(Object.hasOwn(DEFAULT_TRAIN, key), `train.${key}`, 'is not a training setting');
  for (const f of ['steps', 'batchSize', 'accumulate', 'logEvery'] as const) check(posInt(x[f]), `train.${f}`, 'must be an integer >= 1');
  check(stepsOk(x.steps), 'train.steps', `must be at most ${MAX_STEPS}, got ${x.steps as number}`);
  check((x.batchSize as number) <= MAX_BATCH, 'train.batchSize', `must be at most ${MAX_BATCH}, got ${x.batchSize as number}`);
  check((x.negatives as number) <= MAX_NEGATIVES || !isNum(x.negatives), 'train.negatives', `must be at most ${MAX_NEGATIVES}, got ${x.negatives as number}`);
  for (const f of ['negatives', 'checkpointEvery', 'evalEvery'] as const) {
    check(isNum(x[f]) && Number.isInteger(x[f]) && (x[f] as number) >= 0, `train.${f}`, 'must be an integer >= 0');
  }
  check(isNum(x.lr) && (x.lr as number) > 0, 'train.lr', 'must be > 0');
  check(isNum(x.warmupFraction) && (x.warmupFraction as number) >= 0 && (x.warmupFraction as number) < 1, 'train.warmupFraction', 'must be in [0, 1)');
  check(isNum(x.weightDecay) && (x.weightDecay as number) >= 0, 'train.weightDecay', 'must be >= 0');
  check(isNum(x.clipNorm) && (x.clipNorm as number) > 0, 'train.clipNorm', 'must be > 0');
  return x as unknown as TrainSettings;
}
