// The standard workloads of benchmark.md, built from the lab's own code so that their
// timings measure the product: RetrievalModel (scoresFromBatch, the encoder forward),
// leadLoss / prodLoss, lossAndGrads and AdamW, one step done the way PhaseTrainer does it.
// Batches are fixed-shape and made of seeded random token ids (no tokenizer training):
// every sequence is full length, `[CLS] ids [SEP]`, so no padding.
//
// A step ends with one readback (the loss, or the top-k indices): on webgl and webgpu that
// waits for every kernel the step queued, so wall-clock time per step is the step's cost.

import * as tf from '@tensorflow/tfjs';
import { leadLoss, positiveIndices, prodLoss } from '../distill/losses';
import { LayerSelector } from '../distill/layers';
import { defaultRecipe, DEFAULT_TRAIN } from '../distill/recipes';
import { attentionBiasData, clsOf } from '../model/encoder';
import { RetrievalModel, type ModelBatch } from '../model/retriever';
import type { ModelConfig } from '../model/config';
import { exactTopK } from '../retrieval/search';
import { Rng } from '../rng';
import { HashedWordTokenizer } from '../text/tokenizerHashed';
import { SPECIAL_TOKENS, type PaddedBatch } from '../text/tokenizerBase';
import { AdamW, lossAndGrads } from '../train/optimizer';
import {
  benchShape,
  studentConfig,
  teacherCeConfig,
  teacherDeConfig,
  workloadFlopParts,
  workloadTokens,
  type BenchScale,
  type BenchShape,
  type WorkloadName,
} from './shapes';

/** Milliseconds of each phase of one step, by name. */
export type StepPhases = Record<string, number>;

/** One benchmark workload, built on the current tfjs backend. */
export interface Workload {
  name: WorkloadName;
  scale: BenchScale;
  shape: BenchShape;
  /** Analytic FLOPs of one step, and their parts. */
  flopsPerStep: number;
  flopParts: Record<string, number>;
  /** Tokens one step reads (benchmark.md). */
  tokensPerStep: number;
  /**
   * One step, finished (its result read back) when the promise resolves. A workload with
   * phases (encode: `encode`, `search`) resolves with each phase's milliseconds.
   */
  step(): Promise<StepPhases | void>;
  /** Frees every tensor the workload made (models, optimiser moments, fixed inputs). */
  dispose(): void;
}

export interface WorkloadOptions {
  /** Seed of the random token ids and vectors (weights are seeded by the configs). */
  seed?: number;
  /** Learning rate of the AdamW steps (constant; the anchor's 5e-5). */
  lr?: number;
}

/** The tokenizer a model is created with: a hashed-word one of exactly `vocab` ids (never called here). */
function tokenizerOf(vocab: number, hashSeed: number): HashedWordTokenizer {
  return new HashedWordTokenizer([], vocab - SPECIAL_TOKENS.length, { hashSeed });
}

/** n full-length sequences `[CLS] random ids [SEP]` of t tokens; ids in [5, vocab). typeSplit: segment 1 from there on. */
export function randomBatch(rng: Rng, n: number, t: number, vocab: number, typeSplit?: number): PaddedBatch {
  const first = SPECIAL_TOKENS.length;
  const ids = new Int32Array(n * t);
  const typeIds = new Int32Array(n * t);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < t; j++) ids[i * t + j] = first + rng.int(vocab - first);
    ids[i * t] = 2; // [CLS]
    ids[i * t + t - 1] = 3; // [SEP]
    if (typeSplit !== undefined) {
      ids[i * t + typeSplit - 1] = 3; // [SEP] between query and passage
      typeIds.fill(1, i * t + typeSplit, (i + 1) * t);
    }
  }
  return { n, t, ids, typeIds, mask: new Float32Array(n * t).fill(1), lengths: new Int32Array(n).fill(t) };
}

function separateBatch(rng: Rng, s: BenchShape): ModelBatch {
  return { kind: 'separate', queries: randomBatch(rng, s.B, s.Lq, s.vocab), passages: randomBatch(rng, s.P, s.Lp, s.vocab), groupSize: s.G };
}

/** PhaseTrainer's training accuracy (it is part of every step's outputs). S: [B, N] -> scalar. */
function accuracy(S: tf.Tensor2D, G: number): tf.Scalar {
  return tf.tidy(() => {
    const pos = tf.tensor1d(positiveIndices(S.shape, G), 'int32'); // [B]
    return tf.mean(tf.cast(tf.equal(tf.argMax(S, 1), pos), 'float32')) as tf.Scalar;
  });
}

function createModel(cfg: ModelConfig, hashSeed: number): RetrievalModel {
  return RetrievalModel.create(cfg, tokenizerOf(cfg.vocabSize, hashSeed));
}

const optimiserOptions = { weightDecay: DEFAULT_TRAIN.weightDecay, clipNorm: DEFAULT_TRAIN.clipNorm };

/**
 * lead-de: LEAD with k = 2 random layer pairs, joint training: one tf.variableGrads over the
 * student's and the teacher's variables of leadLoss's total, then an AdamW step for each model.
 */
function leadDe(scale: BenchScale, o: Required<WorkloadOptions>): Omit<Workload, 'name' | 'scale' | 'shape' | 'flopsPerStep' | 'flopParts' | 'tokensPerStep'> {
  const s = benchShape(scale);
  const rng = new Rng(o.seed);
  const recipe = defaultRecipe('lead'); // k = 2, random, joint, re-weighting on
  const student = createModel(studentConfig(s), 1);
  const teacher = createModel(teacherDeConfig(s), 2);
  const sOpt = new AdamW(student.variables(), optimiserOptions);
  const tOpt = new AdamW(teacher.variables(), optimiserOptions);
  // Each model has its own tokenizer: the two batches share no ids (LEAD's setting).
  const sBatch = separateBatch(rng, s);
  const tBatch = separateBatch(rng, s);
  const selector = new LayerSelector({
    selection: recipe.selection, k: recipe.k, studentDepth: student.config.layers, teacherDepth: teacher.config.layers,
    resampleEvery: recipe.resampleEvery, seed: o.seed,
  });
  const vars = [...student.trainableVariables(), ...teacher.trainableVariables()];
  let stepIndex = 0;
  return {
    async step() {
      const pairs = selector.at(stepIndex++);
      const { out, grads } = lossAndGrads(() => {
        const st = student.scoresFromBatch(sBatch, { training: true, layers: pairs.student });
        const te = teacher.scoresFromBatch(tBatch, { training: true, layers: pairs.teacher });
        const l = leadLoss(st, te, s.G, recipe);
        return { ...l, accStudent: accuracy(st.final, s.G), accTeacher: accuracy(te.final, s.G) };
      }, vars);
      const norms = [sOpt.step(grads, o.lr), tOpt.step(grads, o.lr)];
      tf.dispose(Object.values(grads));
      try {
        await out.total.data();
      } finally {
        tf.dispose([out as unknown as tf.TensorContainer, norms]);
      }
    },
    dispose() {
      sOpt.dispose();
      tOpt.dispose();
      student.dispose();
      teacher.dispose();
    },
  };
}

/**
 * prod-ce: one PROD stage step with LwF: the frozen CE teacher's [B, G] scores and the frozen
 * student copy's [B, P] scores (outside the tape), then the student's loss, gradients, AdamW.
 */
function prodCe(scale: BenchScale, o: Required<WorkloadOptions>): Omit<Workload, 'name' | 'scale' | 'shape' | 'flopsPerStep' | 'flopParts' | 'tokensPerStep'> {
  const s = benchShape(scale);
  const rng = new Rng(o.seed);
  const recipe = defaultRecipe('prod'); // T = 4, w_ce 0.1, w_kd 0.9, w_lwf 1
  const student = createModel(studentConfig(s), 1);
  const previous = student.clone(); // PROD's stage-start copy
  const teacher = createModel(teacherCeConfig(s), 3);
  const opt = new AdamW(student.variables(), optimiserOptions);
  const sBatch = separateBatch(rng, s);
  // Query i's group: pairs i*G .. i*G+G-1, `[CLS] q [SEP] p [SEP]`, segment 1 for the passage.
  const pairs: ModelBatch = { kind: 'pairs', pairs: randomBatch(rng, s.P, s.pairLen, s.vocab, s.Lq), batchSize: s.B, groupSize: s.G };
  const vars = student.trainableVariables();
  return {
    async step() {
      const t = teacher.scoresFromBatch(pairs, { training: false, layers: [] });
      const prev = previous.scoresFromBatch(sBatch, { training: false, layers: [] });
      let norm: tf.Scalar | null = null;
      let out: Record<string, unknown> | null = null;
      try {
        const r = lossAndGrads(() => {
          const st = student.scoresFromBatch(sBatch, { training: true, layers: [] });
          const l = prodLoss(st.final, t.final, prev.final, s.G, recipe);
          return { ...l, accStudent: accuracy(st.final, s.G), accTeacher: accuracy(t.final, s.G) };
        }, vars);
        out = r.out as unknown as Record<string, unknown>;
        norm = opt.step(r.grads, o.lr);
        tf.dispose(Object.values(r.grads));
        await r.out.total.data();
      } finally {
        tf.dispose([t, prev, out ?? {}, norm ?? []] as unknown as tf.TensorContainer);
      }
    },
    dispose() {
      opt.dispose();
      student.dispose();
      previous.dispose();
      teacher.dispose();
    },
  };
}

/**
 * encode: the student's passage encoder over 512 passages (chunks of 128, inference, as
 * RetrievalModel.encodePassages), their [CLS] vectors joined to a 10,000-vector index, then
 * search.ts's exactTopK of 300 query vectors, k = 100 (its own chunking and readback). The
 * two phases are timed apart: one value of the index is read back between them (a readback
 * waits for every kernel queued before it), so the step has one small readback more than
 * the evaluation itself.
 */
function encode(scale: BenchScale, o: Required<WorkloadOptions>): Omit<Workload, 'name' | 'scale' | 'shape' | 'flopsPerStep' | 'flopParts' | 'tokensPerStep'> {
  const s = benchShape(scale);
  const rng = new Rng(o.seed);
  const student = createModel(studentConfig(s), 1);
  const cfg = student.config;
  const H = cfg.hidden;
  const chunks: PaddedBatch[] = [];
  for (let i = 0; i < s.encodePassages; i += s.encodeBatch) {
    chunks.push(randomBatch(rng, Math.min(s.encodeBatch, s.encodePassages - i), s.Lp, s.vocab));
  }
  const normal = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const rest = tf.tensor2d(normal((s.searchCorpus - s.encodePassages) * H), [s.searchCorpus - s.encodePassages, H]);
  const queries = tf.tensor2d(normal(s.searchQueries * H), [s.searchQueries, H]);
  const enc = student.encoder('passage');
  return {
    async step() {
      const t0 = performance.now();
      const index = tf.tidy(() => {
        const vecs = chunks.map((b) => {
          const attentionBias = tf.tensor4d(attentionBiasData(b.mask), [b.n, 1, 1, b.t]);
          const h = enc.forward({ n: b.n, t: b.t, ids: b.ids, typeIds: null, attentionBias }, { training: false }).hidden[cfg.layers - 1];
          return clsOf(h); // [n, H]
        });
        return tf.concat([...vecs, rest], 0) as tf.Tensor2D; // [searchCorpus, H]
      });
      try {
        const one = tf.slice(index, [s.encodePassages - 1, 0], [1, 1]);
        try {
          await one.data();
        } finally {
          one.dispose();
        }
        const t1 = performance.now();
        await exactTopK(queries, index, s.searchK);
        return { encode: t1 - t0, search: performance.now() - t1 };
      } finally {
        index.dispose();
      }
    },
    dispose() {
      student.dispose();
      rest.dispose();
      queries.dispose();
    },
  };
}

/** Builds a workload on the current backend (models, optimisers, fixed inputs). */
export function createWorkload(name: WorkloadName, scale: BenchScale, opts: WorkloadOptions = {}): Workload {
  const o: Required<WorkloadOptions> = { seed: opts.seed ?? 7, lr: opts.lr ?? 5e-5 };
  const parts = workloadFlopParts(name, scale);
  const impl = name === 'lead-de' ? leadDe(scale, o) : name === 'prod-ce' ? prodCe(scale, o) : encode(scale, o);
  return {
    name,
    scale,
    shape: benchShape(scale),
    flopParts: parts,
    flopsPerStep: Object.values(parts).reduce((a, b) => a + b, 0),
    tokensPerStep: workloadTokens(name, scale),
    ...impl,
  };
}
