// Shared by the fused-kernel checks in Node (test/unit/foundation/wasmFused.test.ts, on wasm) and
// in Chromium (test/browser/pages/kernels.ts, on webgpu): the composite tfjs ops each fused
// kernel replaces, the comparison of a fused op against its composite (forward, and the
// gradient of sum(y * R) for a random R), and the fused AdamW step against the per-variable one.
import * as tf from '@tensorflow/tfjs';
import { setFusedKernels } from '../../src/core/kernels';
import { AdamW } from '../../src/core/train/optimizer';

export type F = (...xs: tf.Tensor[]) => tf.Tensor;

/** max |a - b| / max |b| (0 when b is all 0). */
export async function rel(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = [await a.data(), await b.data()];
  if (x.length !== y.length) throw new Error(`rel: ${x.length} values against ${y.length}`);
  let m = 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    m = Math.max(m, Math.abs(x[i] - y[i]));
    s = Math.max(s, Math.abs(y[i]));
  }
  return s > 0 ? m / s : m;
}

/** f's value with the fused kernels off (the composite ops, on the same backend). */
export function composite<T>(f: () => T): T {
  setFusedKernels(false);
  try {
    return f();
  } finally {
    setFusedKernels(true);
  }
}

/**
 * Errors of fused f against composite g (forward, then the gradients w.r.t. the first nGrad
 * inputs; g runs with the fused kernels off), and the kernels f ran. `rnd` draws R.
 */
export async function compare(f: F, g: F, xs: tf.Tensor[], rnd: (shape: number[]) => tf.Tensor, nGrad = xs.length) {
  const prof = await tf.profile(() => f(...xs));
  tf.dispose(prof.result as tf.Tensor);
  const kernels = prof.kernels.map((k) => k.name);
  const y1 = f(...xs);
  const y2 = composite(() => g(...xs));
  const R = rnd(y1.shape);
  const grad = (h: F) => tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(h(...a, ...xs.slice(nGrad)), R)))(xs.slice(0, nGrad));
  const g1 = grad(f);
  const g2 = composite(() => grad(g));
  const errors = [await rel(y1, y2)];
  for (let i = 0; i < g1.length; i++) errors.push(await rel(g1[i], g2[i]));
  tf.dispose([y1, y2, R, ...g1, ...g2]);
  return { forward: errors[0], grads: errors.slice(1), kernels };
}

/** LayerNorm over the last axis (biased variance, eps inside the sqrt). */
export const layerNormRef = (eps: number) => (v: tf.Tensor, gm: tf.Tensor, bt: tf.Tensor) => {
  const xc = tf.sub(v, tf.mean(v, -1, true));
  return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps))), gm), bt);
};

/** Exact GELU: z Phi(z). */
export const geluRef = (z: tf.Tensor) => tf.mul(z, tf.mul(tf.add(tf.erf(tf.mul(z, Math.SQRT1_2)), 1), 0.5));

/** x W^T + b (W [out, in]). */
export const linRef = (a: tf.Tensor, w: tf.Tensor, bb: tf.Tensor) => tf.add(tf.matMul(a, w, false, true), bb);

/**
 * Self-attention up to the output dense, as the encoder's composite code: x [N*T, H], weights
 * wq, bq, wk, bk, wv, bv; bias [N, 1, 1, T]; p: attention-dropout multipliers [N, nh, T, T] or null.
 */
export function attentionRef(bias: tf.Tensor, N: number, T: number, nh: number, scale: number) {
  return (p: tf.Tensor | null): F =>
    (a, q1, q2, k1, k2, v1, v2) => {
      const H = a.shape[1]!;
      const heads = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [N, T, nh, H / nh]), [0, 2, 1, 3]);
      const q = heads(tf.mul(linRef(a, q1, q2), scale));
      let probs = tf.softmax(tf.add(tf.matMul(q, heads(linRef(a, k1, k2)), false, true), bias));
      if (p) probs = tf.mul(probs, p);
      return tf.reshape(tf.transpose(tf.matMul(probs, heads(linRef(a, v1, v2))), [0, 2, 1, 3]), [N * T, H]);
    };
}

/**
 * Two AdamW steps (clipping on, weight decay on every other variable) from the same start, fused
 * (one DistillAdamW kernel a step) and per variable: the largest relative difference over the
 * global norms, the parameters and both moments; the DistillAdamW kernels each run launched; the
 * first step's norm (above the clip threshold of 1, so the clip engages).
 */
export async function adamwFusedVsPerVariable(shapes: number[][], rnd: (shape: number[], s?: number) => tf.Tensor) {
  const init = shapes.map((s) => rnd(s));
  const grads = [0, 1].map(() => shapes.map((s) => rnd(s, 3)));
  const run = async (fused: boolean) => {
    setFusedKernels(fused);
    try {
      const vars = init.map((t, i) => ({ name: `w${i}`, variable: tf.variable(t.clone(), true, `adamw_check_${fused}_${i}`), decay: i % 2 === 0 }));
      const opt = new AdamW(vars, { weightDecay: 0.01, clipNorm: 1.0 });
      const norms: number[] = [];
      const prof = await tf.profile(async () => {
        for (const gs of grads) {
          const map: tf.NamedTensorMap = {};
          vars.forEach((v, i) => (map[v.variable.name] = gs[i]));
          const n = opt.step(map, 1e-2);
          norms.push((await n.data())[0]);
          n.dispose();
        }
        return [];
      });
      const state = await opt.getState();
      const values = await Promise.all(vars.map((v) => v.variable.data()));
      opt.dispose();
      vars.forEach((v) => v.variable.dispose());
      return {
        norms,
        values: values.map((v) => Array.from(v)),
        moments: [...state.moments.values()].map((m) => Array.from(m.data)),
        kernels: prof.kernels.filter((k) => k.name === 'DistillAdamW').length,
      };
    } finally {
      setFusedKernels(true);
    }
  };
  const a = await run(true);
  const c = await run(false);
  let worst = 0;
  const cmp = (u: number[], v: number[]) => u.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - v[i]) / Math.max(Math.abs(v[i]), 1e-3))));
  cmp(a.norms, c.norms);
  a.values.forEach((v, i) => cmp(v, c.values[i]));
  a.moments.forEach((v, i) => cmp(v, c.moments[i]));
  tf.dispose([...init, ...grads.flat()]);
  return { maxRelError: worst, fusedKernels: a.kernels, perVariableKernels: c.kernels, firstNorm: a.norms[0] };
}
