// The lab side of a parity run (src/cli/parity.ts), free of Node APIs so that a browser page
// can run it too: tiny teacher and student (dropout off), a seeded synthetic world, the lab's
// real PhaseTrainer for N steps with a recording sampler and logEvery 1, and the files of a
// dump folder for the PyTorch twin (tools/parity/twin.py): the initial weights, the exact token
// ids / masks / segment ids every model read at every step, LEAD's layer pairs, the loss knobs,
// the optimiser's and the schedule's constants, and the lab's own record and final weights.
import * as tf from '@tensorflow/tfjs';
import { generateWorld } from '../core/data/world';
import { defaultRecipe, validateTrainSettings, type TrainSettings } from '../core/distill/recipes';
import { RetrievalModel, type ModelBatch } from '../core/model/retriever';
import type { ModelConfigInput, ModelKind } from '../core/model/config';
import { writeSafetensors } from '../core/model/safetensors';
import { trainHashedWord } from '../core/text/tokenizerHashed';
import { trainWordPiece } from '../core/text/wordpieceTrainer';
import type { PaddedBatch, Tokenizer } from '../core/text/tokenizerBase';
import { BatchSampler, buildExamples, docText, type Batch } from '../core/train/examples';
import { AdamW } from '../core/train/optimizer';
import { warmupStepsFor } from '../core/train/schedule';
import { PhaseTrainer, type PhaseMode, type PhaseSpec } from '../core/train/trainer';
import type { StepEvent } from '../core/train/events';

export const PARITY_RECIPES = ['baseline', 'kd', 'lead', 'lead-frozen', 'prod'] as const;
export type ParityRecipe = (typeof PARITY_RECIPES)[number];
export const PARITY_KINDS = ['de', 'de-cls', 'de-max', 'cb', 'ce'] as const;
export type ParityKind = (typeof PARITY_KINDS)[number];

export interface ParityOptions {
  recipe: ParityRecipe;
  kind: ParityKind;
  /**
   * The teacher's kind when it differs from the student's (default: the same). A CE teacher of
   * a DE/CB student exercises section 2's cut of the student's [B, P] matrix to [B, G].
   */
  teacherKind?: ParityKind;
  steps: number;
  /** Peak learning rate (default 2e-3). */
  lr?: number;
  /** Queries per batch B (default 4) and hard negatives per query (default 3: G = 4). */
  batchSize?: number;
  negatives?: number;
  /** Seed of the world, the models and the sampler (default 1). */
  seed?: number;
  /** Std of the initial weight matrices (default 0.2 for both; see INIT_STD). */
  init?: { student?: number; teacher?: number };
}

/** The sampler the trainer reads, keeping every batch it hands out. */
class RecordingSampler extends BatchSampler {
  readonly batches: Batch[] = [];
  override next(): Batch {
    const b = super.next();
    this.batches.push(b);
    return b;
  }
}

/**
 * Std of the initial weights. At BERT's 0.02 a tiny model trained from scratch scores every
 * passage nearly alike: its gradients are differences of nearly equal numbers, and float32
 * rounding alone (PyTorch float32 against float64) moves some weights by 1e-2 relative within
 * 10 steps. At 0.2 the scores differ from the first step and the comparison measures the math.
 */
export const INIT_STD = 0.2;

/** DE pooling/similarity fields per kind (ModelConfig's, set only for DE kinds). */
const DE_OPTIONS: Record<string, { student: Record<string, unknown>; teacher: Record<string, unknown> }> = {
  de: {
    student: { pooling: 'mean', similarity: 'cosine', scoreTemperature: 0.05 },
    teacher: { pooling: 'mean', normalize: true, similarity: 'cosine', scoreTemperature: 0.05 },
  },
  'de-cls': { student: {}, teacher: {} },
  'de-max': {
    student: { pooling: 'max', normalize: true, similarity: 'dot', scoreTemperature: 0.1 },
    teacher: { pooling: 'max', similarity: 'cosine', scoreTemperature: 0.1 },
  },
};

function modelKind(kind: ParityKind): ModelKind {
  return kind.startsWith('de') ? 'de' : (kind as ModelKind);
}

/** Tiny models of two sizes: the student 2 x 16 (hashed words), the teacher 3 x 24 (WordPiece). */
function modelConfig(kind: ParityKind, role: 'student' | 'teacher', tok: Tokenizer, seed: number, init?: number): ModelConfigInput {
  const k = modelKind(kind);
  const size = role === 'student' ? { layers: 2, hidden: 16, heads: 2, ffn: 32 } : { layers: 3, hidden: 24, heads: 4, ffn: 48 };
  const cfg: Record<string, unknown> = {
    kind: k,
    ...size,
    vocabSize: tok.vocabSize,
    maxPositions: 64,
    maxQueryLen: 12,
    maxPassageLen: 24,
    dropout: { hidden: 0, attention: 0 },
    initializerRange: init ?? INIT_STD,
    initSeed: seed * 10 + (role === 'student' ? 1 : 2),
  };
  if (k === 'cb') cfg.colbertDim = role === 'student' ? 8 : 12;
  if (k === 'de') Object.assign(cfg, DE_OPTIONS[kind][role]);
  return cfg as unknown as ModelConfigInput;
}

function phaseMode(recipe: ParityRecipe): PhaseMode {
  switch (recipe) {
    case 'baseline':
      return { kind: 'contrastive' };
    case 'kd':
      return { kind: 'kd', recipe: defaultRecipe('kd') };
    case 'lead':
    case 'lead-frozen':
      // resampleEvery 4: several layer-pair draws even in a short run
      return { kind: 'lead', recipe: { ...defaultRecipe('lead'), resampleEvery: 4, joint: recipe === 'lead' } };
    case 'prod':
      return { kind: 'prod', recipe: defaultRecipe('prod'), lwf: true };
  }
}

/** The knobs of the phase's loss, as the twin reads them (dump.json "recipe"). */
function recipeKnobs(mode: PhaseMode): Record<string, unknown> {
  switch (mode.kind) {
    case 'contrastive':
      return { kind: 'baseline' };
    case 'kd': {
      const r = mode.recipe;
      return { kind: 'kd', form: r.form, temperature: r.temperature, wStudent: r.wStudent, wResponse: r.wResponse };
    }
    case 'lead': {
      const r = mode.recipe;
      return {
        kind: 'lead', joint: r.joint, k: r.k, selection: r.selection, resampleEvery: r.resampleEvery, tau: r.tau,
        layerTemperature: r.layerTemperature, reweight: r.reweight, wLayer: r.wLayer, wStudent: r.wStudent,
        wResponse: r.wResponse, wTeacher: r.wTeacher,
      };
    }
    case 'prod': {
      const r = mode.recipe;
      return { kind: 'prod', lwf: mode.lwf, temperature: r.temperature, wCe: r.wCe, wKd: r.wKd, wLwf: r.wLwf };
    }
  }
}

/** One padded sequence batch as the twin reads it; typeIds null = all zeros (DE/CB). */
function seqJson(b: PaddedBatch, withTypes: boolean) {
  return {
    n: b.n,
    t: b.t,
    ids: Array.from(b.ids),
    mask: Array.from(b.mask),
    type_ids: withTypes ? Array.from(b.typeIds) : new Array<number>(b.n * b.t).fill(0),
  };
}

function batchJson(b: ModelBatch) {
  if (b.kind === 'pairs') return { kind: 'pairs', pairs: seqJson(b.pairs, true), batch_size: b.batchSize, group_size: b.groupSize };
  return { kind: 'separate', queries: seqJson(b.queries, false), passages: seqJson(b.passages, false) };
}

/** A model's weights as a safetensors file (F32, HF names). */
async function weightsFile(model: RetrievalModel): Promise<Uint8Array> {
  const w = await model.readWeights();
  return writeSafetensors([...w].map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
}

/** lab.json: what the lab's step events said, step by step. */
export interface LabRecord {
  backend: string;
  seconds: number;
  steps: { step: number; lr: number; losses: Record<string, number>; gradNorm: number; layerPairs?: [number, number][]; layerWeights?: number[] }[];
}

/** The files of a dump folder: name -> JSON text or safetensors bytes. */
export type ParityFiles = Record<string, string | Uint8Array>;

/**
 * The lab side of one parity run: builds the models, trains them with the real PhaseTrainer on
 * the current tfjs backend and returns the dump folder's files: dump.json, the initial weights
 * (student/teacher.safetensors), lab.json and the lab's final weights (lab_*.safetensors).
 */
export async function labParityFiles(opts: ParityOptions): Promise<ParityFiles> {
  const files: ParityFiles = {};
  const seed = opts.seed ?? 1;
  const corpus = generateWorld({ preset: 'easy', seed, entities: 60, train: 80, dev: 10, test: 10 });
  const texts = [...corpus.docs.map(docText), ...corpus.queries.map((q) => q.text)];
  const tTok = trainWordPiece(texts, 400).tokenizer;
  const sTok = trainHashedWord(texts, 300);
  const mode = phaseMode(opts.recipe);
  const student = RetrievalModel.create(modelConfig(opts.kind, 'student', sTok, seed, opts.init?.student), sTok);
  const teacher = mode.kind === 'contrastive' ? undefined : RetrievalModel.create(modelConfig(opts.teacherKind ?? opts.kind, 'teacher', tTok, seed, opts.init?.teacher), tTok);
  const previous = mode.kind === 'prod' && mode.lwf ? student.clone() : undefined;
  try {
    files['student.safetensors'] = await weightsFile(student);
    if (teacher) files['teacher.safetensors'] = await weightsFile(teacher);
    const B = opts.batchSize ?? 4;
    const negatives = opts.negatives ?? 3;
    const settings: TrainSettings = validateTrainSettings({
      steps: opts.steps, batchSize: B, negatives, lr: opts.lr ?? 2e-3, warmupFraction: 0.1, weightDecay: 0.01, clipNorm: 1.0,
      accumulate: 1, checkpointEvery: 0, evalEvery: 0, logEvery: 1,
    });
    const sampler = new RecordingSampler(corpus, buildExamples(corpus), new Map(), B, 1 + negatives, seed * 7);
    const spec: PhaseSpec = { id: 'parity', title: `parity ${opts.recipe} ${opts.kind}`, mode, settings, student, teacher, previous, sampler, seed: seed * 11 };
    const events: StepEvent[] = [];
    const t0 = performance.now();
    const trainer = new PhaseTrainer(spec);
    try {
      await trainer.run({ onEvent: (e) => e.type === 'step' && events.push(e) });
    } finally {
      trainer.dispose();
    }
    const seconds = (performance.now() - t0) / 1000;
    if (events.length !== opts.steps || sampler.batches.length !== opts.steps) {
      throw new Error(`parity: ${events.length} step events and ${sampler.batches.length} batches for ${opts.steps} steps`);
    }
    files['lab_student.safetensors'] = await weightsFile(student);
    const joint = mode.kind === 'lead' && mode.recipe.joint;
    if (joint) files['lab_teacher.safetensors'] = await weightsFile(teacher!);

    // The optimiser's constants as the trainer builds it (defaults the spec leaves open).
    const probe = new AdamW([], { weightDecay: settings.weightDecay, clipNorm: settings.clipNorm });
    const teacherLr = mode.kind === 'lead' && mode.recipe.joint ? mode.recipe.teacherLr : null;
    const dump = {
      format: 'distill-lab parity dump 1',
      parity_recipe: opts.recipe,
      kind: opts.kind,
      teacher_kind: opts.teacherKind ?? opts.kind,
      recipe: recipeKnobs(mode),
      student: { config: student.config },
      teacher: teacher ? { config: teacher.config } : null,
      constants: { attention_mask_bias: -1e4 },
      optimizer: {
        name: 'AdamW', beta1: probe.beta1, beta2: probe.beta2, eps: probe.eps, weight_decay: probe.weightDecay,
        clip_norm: probe.clipNorm, clip_eps: 1e-6, clip_scope: 'per_model',
        no_decay: 'names ending in .bias or containing LayerNorm',
      },
      schedule: {
        kind: 'linear_warmup_then_linear_decay', peak_lr: settings.lr, warmup_fraction: settings.warmupFraction,
        warmup_steps: warmupStepsFor(settings.steps, settings.warmupFraction), total_steps: settings.steps,
        formula: 'lr(s) = peak * (s < w ? s / max(1, w) : max(0, (total - s) / max(1, total - w))), s 0-based; w = floor(fraction * total)',
      },
      teacher_lr_scale: teacherLr ? teacherLr / settings.lr : 1,
      lab_lr: events.map((e) => e.lr),
      steps: sampler.batches.map((b, i) => {
        const G = b.groupSize;
        const ev = events[i];
        return {
          group_size: G,
          student: batchJson(student.tokenize(b.queries, b.passages, G)),
          ...(teacher ? { teacher: batchJson(teacher.tokenize(b.queries, b.passages, G)) } : {}),
          pairs: ev.layerPairs ? { student: ev.layerPairs.map((p) => p[0]), teacher: ev.layerPairs.map((p) => p[1]) } : null,
        };
      }),
    };
    files['dump.json'] = JSON.stringify(dump);
    const lab: LabRecord = {
      backend: tf.getBackend(),
      seconds,
      steps: events.map((e) => ({
        step: e.step, lr: e.lr, losses: e.losses, gradNorm: e.gradNorm ?? NaN,
        ...(e.layerPairs ? { layerPairs: e.layerPairs } : {}),
        ...(e.layerWeights ? { layerWeights: e.layerWeights } : {}),
      })),
    };
    files['lab.json'] = JSON.stringify(lab);
    return files;
  } finally {
    student.dispose();
    teacher?.dispose();
    previous?.dispose();
  }
}
