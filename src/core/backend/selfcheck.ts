// Start-up self-check of a tfjs backend: a tiny transformer block (embedding lookup,
// one attention head pair, LayerNorm, GELU feed-forward, a contrastive loss over an
// in-batch score matrix) computes its loss and the gradients of every weight on the
// backend under test and on the CPU reference. The backend is accepted only when all of
// them agree within tolerance. This catches missing kernels (the wasm backend has no
// UnsortedSegmentSum, the embedding gradient), wrong kernels, and broken drivers before
// a user trains on them.
import * as tf from '@tensorflow/tfjs';
import { BackendSelfCheckError } from '../errors';
import { Rng } from '../rng';

/** Relative tolerance of the self-check: |a - b| <= atol + rtol * max|b| per tensor. */
export const SELF_CHECK_RTOL = 1e-3;
export const SELF_CHECK_ATOL = 1e-5;

export interface SelfCheckResult {
  backend: string;
  passed: boolean;
  /** Loss on the backend and on the CPU reference. */
  loss: number;
  referenceLoss: number;
  /** Largest relative difference over the loss and every gradient. */
  maxRelError: number;
  /** The worst tensor's name (loss or a weight's gradient). */
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

/** Fixed, seeded inputs and weights: the same numbers on every backend. */
function makeInputs(d: BlockDims): { weights: Record<string, { shape: number[]; data: Float32Array }>; q: Int32Array; p: Int32Array } {
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
async function lossAndGrads(d: BlockDims): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  const { B, G } = d;
  const { weights, q, p } = makeInputs(d);
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
  opts: { reference?: string; trial?: boolean } = {},
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
  try {
    ref = await onBackend(reference, () => lossAndGrads(CHECK_DIMS));
  } catch (e) {
    return failed(`reference backend ${reference} failed: ${(e as Error).message}`);
  }
  let got: Awaited<ReturnType<typeof lossAndGrads>>;
  let trialMs = NaN;
  try {
    got = await onBackend(backend, async () => {
      const first = await lossAndGrads(CHECK_DIMS);
      if (opts.trial) {
        await lossAndGrads(TRIAL_DIMS); // warm-up: compiles shaders, fills buffer pools
        const t0 = performance.now();
        await lossAndGrads(TRIAL_DIMS);
        trialMs = performance.now() - t0;
      }
      return first;
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
  const passed = maxRelError <= SELF_CHECK_RTOL;
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
      : `${worst} differs from the ${reference} backend by ${maxRelError.toExponential(2)} (relative), over the tolerance ${SELF_CHECK_RTOL}`,
  };
}

