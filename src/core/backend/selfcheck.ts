// Start-up self-check of a tfjs backend: a tiny transformer block (embedding lookup,
// one attention head pair, LayerNorm, GELU feed-forward, a contrastive loss over an
// in-batch score matrix) computes its loss and the gradients of every weight on the
// backend under test and on the CPU reference. The backend is accepted only when all of
// them agree within tolerance. Then two steps of the lab's AdamW (the training config:
// weight decay except on biases and LayerNorm, global-norm clipping) update the weights on
// both backends from the same gradients (the reference's), and every weight's update must
// agree and must not be zero. This catches missing kernels (the wasm backend has no
// UnsortedSegmentSum, the embedding gradient), wrong kernels, broken drivers, and an
// optimiser step that silently does nothing (WebGPU once rejected AdamW's AddN over more
// than 8 inputs, so no weight ever moved) before a user trains on them.
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_TRAIN } from '../distill/recipes';
import { BackendSelfCheckError } from '../errors';
import { appliesWeightDecay } from '../model/params';
import { Rng } from '../rng';
import { AdamW, type AdamWOptions, type OptimizedVariable } from '../train/optimizer';

/** Relative tolerance of the self-check: |a - b| <= atol + rtol * max|b| per tensor. */
export const SELF_CHECK_RTOL = 1e-3;
export const SELF_CHECK_ATOL = 1e-5;

export interface SelfCheckResult {
  backend: string;
  passed: boolean;
  /** Loss on the backend and on the CPU reference. */
  loss: number;
  referenceLoss: number;
  /** Largest relative difference over the loss, every gradient and every AdamW update. */
  maxRelError: number;
  /** The worst tensor's name (loss, a weight's gradient, or a weight's update in an AdamW step). */
  worst: string;
  tolerance: { rtol: number; atol: number };
  /** Milliseconds of one student-sized forward+backward after warm-up (speed trial; NaN if not run). */
  trialMs: number;
  reason?: string;
}

/** Sizes of the block: tiny for the numeric check, student-sized for the speed trial. */
export interface BlockDims {
  V: number; // vocabulary
  H: number; // hidden
  NH: number; // heads
  F: number; // feed-forward
  T: number; // sequence length
  B: number; // queries
  G: number; // passages per query
}
export const CHECK_DIMS: BlockDims = { V: 23, H: 8, NH: 2, F: 16, T: 5, B: 2, G: 2 };
/** The benchmark's student width (benchmark.md) at a shorter length, so the trial stays short. */
export const TRIAL_DIMS: BlockDims = { V: 2000, H: 64, NH: 2, F: 256, T: 16, B: 4, G: 2 };

type Weights = Record<string, { shape: number[]; data: Float32Array }>;

/**
 * The block's weights under the names a BERT checkpoint gives them, so that AdamW's decay
 * exclusions are the training's own (appliesWeightDecay: none on biases and LayerNorm).
 */
const CHECKPOINT_NAMES: Record<string, string> = {
  emb: 'embeddings.word_embeddings.weight',
  wq: 'encoder.layer.0.attention.self.query.weight',
  wk: 'encoder.layer.0.attention.self.key.weight',
  wv: 'encoder.layer.0.attention.self.value.weight',
  wo: 'encoder.layer.0.attention.output.dense.weight',
  ln_g: 'encoder.layer.0.output.LayerNorm.weight',
  ln_b: 'encoder.layer.0.output.LayerNorm.bias',
  w1: 'encoder.layer.0.intermediate.dense.weight',
  b1: 'encoder.layer.0.intermediate.dense.bias',
  w2: 'encoder.layer.0.output.dense.weight',
  b2: 'encoder.layer.0.output.dense.bias',
};

/** Steps of the optimiser check and their learning rate (see checkOptimizer). */
export const SELF_CHECK_ADAMW_STEPS = 2;
export const SELF_CHECK_LR = 1e-2;

/** What the optimiser check needs of an optimiser: the lab's AdamW, or a test's stand-in. */
export interface SelfCheckOptimizer {
  step(grads: tf.NamedTensorMap, lr: number): tf.Scalar;
  dispose(): void;
}
export type SelfCheckOptimizerFactory = (variables: OptimizedVariable[], opts: AdamWOptions) => SelfCheckOptimizer;
const labAdamW: SelfCheckOptimizerFactory = (variables, opts) => new AdamW(variables, opts);

/** Fixed, seeded inputs and weights: the same numbers on every backend. */
function makeInputs(d: BlockDims): { weights: Weights; q: Int32Array; p: Int32Array } {
  const { V, H, F, T, B, G } = d;
  const rng = new Rng(1234);
  const w = (shape: number[], scale = 0.5) => ({
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * scale),
  });
  const weights = {
    emb: w([V, H]),
    wq: w([H, H]),
    wk: w([H, H]),
    wv: w([H, H]),
    wo: w([H, H]),
    ln_g: { shape: [H], data: Float32Array.from({ length: H }, () => 1 + 0.1 * rng.normal()) },
    ln_b: w([H], 0.1),
    w1: w([H, F]),
    b1: w([F], 0.1),
    w2: w([F, H]),
    b2: w([H], 0.1),
  };
  const q = Int32Array.from({ length: B * T }, () => rng.int(V));
  const p = Int32Array.from({ length: B * G * T }, () => rng.int(V));
  return { weights, q, p };
}

// x: [N, T, H] -> [N, T, H]
function layerNorm(x: tf.Tensor3D, g: tf.Tensor, b: tf.Tensor): tf.Tensor3D {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).div(variance.add(1e-6).sqrt()).mul(g).add(b) as tf.Tensor3D;
}

// erf-GELU through tanh approximation is avoided on purpose: tf.erf is what the models use.
function gelu(x: tf.Tensor): tf.Tensor {
  return x.mul(0.5).mul(tf.erf(x.div(Math.SQRT2)).add(1));
}

// ids: [N*T] -> CLS vectors [N, H]
function encode(ids: tf.Tensor1D, n: number, v: Record<string, tf.Tensor>, d: BlockDims): tf.Tensor2D {
  const { H, NH, T } = d;
  const x = tf.gather(v.emb, ids).reshape([n, T, H]) as tf.Tensor3D; // [N, T, H]
  const dh = H / NH;
  const heads = (m: tf.Tensor) =>
    tf.matMul(x.reshape([n * T, H]), m).reshape([n, T, NH, dh]).transpose([0, 2, 1, 3]); // [N, NH, T, dh]
  const qh = heads(v.wq);
  const kh = heads(v.wk);
  const vh = heads(v.wv);
  const att = tf.softmax(tf.matMul(qh, kh, false, true).div(Math.sqrt(dh))); // [N, NH, T, T]
  const ctx = tf.matMul(att, vh).transpose([0, 2, 1, 3]).reshape([n * T, H]); // [N*T, H]
  const a = layerNorm(x.add(tf.matMul(ctx, v.wo).reshape([n, T, H])) as tf.Tensor3D, v.ln_g, v.ln_b);
  const ff = tf.matMul(gelu(tf.matMul(a.reshape([n * T, H]), v.w1).add(v.b1)), v.w2).add(v.b2); // [N*T, H]
  const h = layerNorm(a.add(ff.reshape([n, T, H])) as tf.Tensor3D, v.ln_g, v.ln_b);
  return h.slice([0, 0, 0], [n, 1, H]).reshape([n, H]) as tf.Tensor2D;
}

/** Loss and gradients of the tiny block on the current backend, read back to the CPU. */
async function lossAndGrads(d: BlockDims, at?: Weights): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  const { B, G } = d;
  const inputs = makeInputs(d);
  const { q, p } = inputs;
  const weights = at ?? inputs.weights;
  const names = Object.keys(weights);
  const vars = names.map((n) => tf.tensor(weights[n].data, weights[n].shape));
  const qIds = tf.tensor1d(q, 'int32');
  const pIds = tf.tensor1d(p, 'int32');
  const labels = tf.tensor1d(Array.from({ length: B }, (_, i) => i * G), 'int32');
  const f = (...xs: tf.Tensor[]) => {
    const v: Record<string, tf.Tensor> = {};
    names.forEach((n, i) => (v[n] = xs[i]));
    const qv = encode(qIds, B, v, d); // [B, H]
    const pv = encode(pIds, B * G, v, d); // [P, H]
    const s = tf.matMul(qv, pv, false, true); // [B, P] in-batch scores
    const logp = tf.logSoftmax(s); // [B, P]
    const oneHot = tf.oneHot(labels, B * G); // [B, P]
    return logp.mul(oneHot).sum().neg().div(B) as tf.Scalar; // contrastive NLL (3.1)
  };
  const { value, grads } = tf.valueAndGrads(f)(vars);
  const out: Record<string, Float32Array> = {};
  for (let i = 0; i < names.length; i++) out[names[i]] = (await grads[i].data()) as Float32Array;
  const loss = (await value.data())[0];
  tf.dispose([value, ...grads, ...vars, qIds, pIds, labels]);
  return { loss, grads: out };
}

interface OptimizerSteps {
  /** Per step: the global gradient norm the optimiser returned (before clipping). */
  norms: number[];
  /** Per step: every weight's update (after minus before), in float64. */
  updates: Record<string, Float64Array>[];
  /** Per step: the gradients it was given (read back). */
  grads: Record<string, Float32Array>[];
}

/**
 * SELF_CHECK_ADAMW_STEPS optimiser steps on the current backend from the weights `w0`, with
 * the training's AdamW settings (DEFAULT_TRAIN's weight decay and clipping threshold) at
 * SELF_CHECK_LR. `gradsAt(k, w)` gives the gradients for step k at the weights w.
 */
async function optimizerSteps(
  w0: Weights,
  gradsAt: (k: number, w: Weights) => Promise<Record<string, Float32Array>>,
  make: SelfCheckOptimizerFactory,
): Promise<OptimizerSteps> {
  const names = Object.keys(w0);
  const vars: OptimizedVariable[] = names.map((n) => ({
    name: CHECKPOINT_NAMES[n] ?? n,
    // tf.variable shares the initial tensor's data and keeps it counted: free that tensor.
    variable: tf.tidy(() => tf.variable(tf.tensor(w0[n].data, w0[n].shape))),
    decay: appliesWeightDecay(CHECKPOINT_NAMES[n] ?? n),
  }));
  const opt = make(vars, { weightDecay: DEFAULT_TRAIN.weightDecay, clipNorm: DEFAULT_TRAIN.clipNorm });
  const out: OptimizerSteps = { norms: [], updates: [], grads: [] };
  try {
    let w = w0;
    for (let k = 0; k < SELF_CHECK_ADAMW_STEPS; k++) {
      const g = await gradsAt(k, w);
      const gt: tf.NamedTensorMap = {};
      names.forEach((n, i) => (gt[vars[i].variable.name] = tf.tensor(g[n], w0[n].shape)));
      const norm = opt.step(gt, SELF_CHECK_LR);
      out.norms.push((await norm.data())[0]);
      tf.dispose([norm, ...Object.values(gt)]);
      const next: Weights = {};
      const upd: Record<string, Float64Array> = {};
      for (let i = 0; i < names.length; i++) {
        const data = Float32Array.from((await vars[i].variable.data()) as Float32Array);
        next[names[i]] = { shape: w0[names[i]].shape, data };
        upd[names[i]] = Float64Array.from(data, (x, j) => x - w[names[i]].data[j]);
      }
      out.updates.push(upd);
      out.grads.push(g);
      w = next;
    }
  } finally {
    opt.dispose();
    tf.dispose(vars.map((v) => v.variable));
  }
  return out;
}

/** Largest |x| (NaN counts as 0: a NaN update is no move, and relError catches it anyway). */
function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]) > m) m = Math.abs(a[i]);
  return m;
}

function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let maxAbs = 0;
  let maxDiff = 0;
  for (let i = 0; i < b.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(b[i]));
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : Math.max(maxDiff, d);
  }
  if (maxDiff <= SELF_CHECK_ATOL) return 0;
  return maxDiff / Math.max(maxAbs, SELF_CHECK_ATOL);
}

async function onBackend<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  if (previous !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new BackendSelfCheckError(`backend ${name} could not be initialised`);
  }
  try {
    return await fn();
  } finally {
    if (previous && previous !== name) await tf.setBackend(previous);
  }
}

/**
 * Runs the self-check of `backend` against `reference` (default 'cpu'). Never throws for a
 * numeric disagreement or a missing kernel: the result says why it failed.
 */
export async function selfCheckBackend(
  backend: string,
  opts: {
    reference?: string;
    trial?: boolean;
    /**
     * The optimiser run on `backend` (default: the lab's AdamW); the reference always runs the
     * lab's AdamW. Lets a test show that an optimiser that does nothing is rejected.
     */
    optimizer?: SelfCheckOptimizerFactory;
  } = {},
): Promise<SelfCheckResult> {
  const reference = opts.reference ?? 'cpu';
  const tolerance = { rtol: SELF_CHECK_RTOL, atol: SELF_CHECK_ATOL };
  const failed = (reason: string): SelfCheckResult => ({
    backend,
    passed: false,
    loss: NaN,
    referenceLoss: NaN,
    maxRelError: Infinity,
    worst: '',
    tolerance,
    trialMs: NaN,
    reason,
  });
  let ref: Awaited<ReturnType<typeof lossAndGrads>>;
  let refSteps: OptimizerSteps;
  try {
    [ref, refSteps] = await onBackend(reference, async () => {
      const first = await lossAndGrads(CHECK_DIMS);
      // Step 0 from these gradients, every later step from the reference's own at its weights.
      const steps = await optimizerSteps(
        makeInputs(CHECK_DIMS).weights,
        async (k, w) => (k === 0 ? first.grads : (await lossAndGrads(CHECK_DIMS, w)).grads),
        labAdamW,
      );
      return [first, steps] as const;
    });
  } catch (e) {
    return failed(`reference backend ${reference} failed: ${(e as Error).message}`);
  }
  let got: Awaited<ReturnType<typeof lossAndGrads>>;
  let gotSteps: OptimizerSteps;
  let trialMs = NaN;
  try {
    [got, gotSteps] = await onBackend(backend, async () => {
      const first = await lossAndGrads(CHECK_DIMS);
      // The same gradients as the reference's (not this backend's), so that the updates compare
      // the optimiser alone: AdamW's first steps are nearly sign(g), and a gradient within
      // rounding of zero could flip its sign between backends.
      const steps = await optimizerSteps(makeInputs(CHECK_DIMS).weights, async (k) => refSteps.grads[k], opts.optimizer ?? labAdamW);
      if (opts.trial) {
        await lossAndGrads(TRIAL_DIMS); // warm-up: compiles shaders, fills buffer pools
        const t0 = performance.now();
        await lossAndGrads(TRIAL_DIMS);
        trialMs = performance.now() - t0;
      }
      return [first, steps] as const;
    });
  } catch (e) {
    return failed(`${backend} cannot run the training ops: ${(e as Error).message}`);
  }
  let worst = 'loss';
  let maxRelError = relError([got.loss], [ref.loss]);
  for (const name of Object.keys(ref.grads)) {
    const e = relError(got.grads[name], ref.grads[name]);
    if (e > maxRelError) {
      maxRelError = e;
      worst = `gradient of ${name}`;
    }
  }
  // The optimiser: every step must move every weight (on both backends: the same no-op on
  // both would agree), and the updates must agree. A move is at least a tenth of the learning
  // rate: AdamW's first step moves every weight with a nonzero gradient by about lr.
  let unmoved: { name: string; step: number; side: string; change: number } | null = null;
  for (let k = 0; k < SELF_CHECK_ADAMW_STEPS && !unmoved; k++) {
    for (const [side, steps] of [[backend, gotSteps], [`${reference} (reference)`, refSteps]] as const) {
      const name = Object.keys(steps.updates[k]).find((n) => !(maxAbs(steps.updates[k][n]) >= SELF_CHECK_LR / 10));
      if (name !== undefined) {
        unmoved = { name, step: k + 1, side, change: maxAbs(steps.updates[k][name]) };
        break;
      }
    }
  }
  for (let k = 0; k < SELF_CHECK_ADAMW_STEPS; k++) {
    const en = relError([gotSteps.norms[k]], [refSteps.norms[k]]);
    if (en > maxRelError) {
      maxRelError = en;
      worst = `global gradient norm in AdamW step ${k + 1}`;
    }
    for (const name of Object.keys(refSteps.updates[k])) {
      const e = relError(gotSteps.updates[k][name], refSteps.updates[k][name]);
      if (e > maxRelError) {
        maxRelError = e;
        worst = `update of ${name} in AdamW step ${k + 1}`;
      }
    }
  }
  if (unmoved) {
    worst = `update of ${unmoved.name} in AdamW step ${unmoved.step}`;
    maxRelError = Math.max(maxRelError, 1);
  }
  const passed = maxRelError <= SELF_CHECK_RTOL && !unmoved;
  return {
    backend,
    passed,
    loss: got.loss,
    referenceLoss: ref.loss,
    maxRelError,
    worst,
    tolerance,
    trialMs,
    reason: passed
      ? undefined
      : unmoved
        ? `AdamW step ${unmoved.step} did not move ${unmoved.name} on the ${unmoved.side} backend (largest change ${unmoved.change.toExponential(2)}, learning rate ${SELF_CHECK_LR}): the optimiser does nothing`
        : `${worst} differs from the ${reference} backend by ${maxRelError.toExponential(2)} (relative), over the tolerance ${SELF_CHECK_RTOL}`,
  };
}

