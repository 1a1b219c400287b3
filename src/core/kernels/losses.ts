// Fused distillation losses (algorithms.md section 3) on webgpu, the same math as the
// composite code of src/core/distill/losses.ts:
//   KL:  factor * sum_i sum_j p_ij (log p_ij - log q_ij),  p = softmax(t / tauT), q = softmax(s / tauS)
//        (factor = 1 / B for batchmean, T^2 / B in PROD's form), t, s: [B, N]
//   NLL: -1/B sum_i log_softmax(S)_i[pos_i],  pos_i = i * stride (stride G in-batch, 0 for groups)
// Forward: one kernel each (one workgroup, a thread per row, then a workgroup sum); backward:
// one kernel each, rows recomputed from the saved inputs:
//   KL:  dt = g / tauT * p (log p - log q - KL_i),  ds = g / tauS * (q - p)   (g = dy * factor)
//   NLL: dS = dy / B * (softmax(S) - onehot(pos))
// Saved: t and s (KL), S (NLL).

import * as tf from '@tensorflow/tfjs';
import { f32, program, reduceSnippet, registerOnce, runKernel, withRunner } from './webgpu';

export const KL = 'DistillKl';
export const KL_GRAD = 'DistillKlGrad';
export const NLL = 'DistillNll';
export const NLL_GRAD = 'DistillNllGrad';
const WG = 64;

interface KlAttrs {
  tauT: number;
  tauS: number;
  factor: number;
}

interface NllAttrs {
  stride: number;
}

/**
 * WGSL: log-sum-exp of row `o` of `X` divided by `tau`, max-shifted, as the pair (max m,
 * log sum exp(x - m)). Callers form log-probabilities as (x - m) - log_e, as tf.logSoftmax
 * does: x - (m + log_e) rounds m + log_e at the logits' magnitude first, an error of
 * |m| * 6e-8 in every log-probability (1e-5 for ColBERT's raw layer scores in the hundreds),
 * which the KL's gradient with respect to a joint teacher's scores carried into its weights.
 */
function lseFn(name: string, X: string, N: number, tau: number): string {
  return `
  fn ${name}(o : i32) -> vec2<f32> {
    var m = -3.402823e+38;
    for (var c = 0; c < ${N}; c++) { m = max(m, ${X}[o + c] / ${f32(tau)}); }
    var e = 0.0;
    for (var c = 0; c < ${N}; c++) { e = e + exp(${X}[o + c] / ${f32(tau)} - m); }
    return vec2<f32>(m, log(e));
  }`;
}

function klKey(B: number, N: number, a: KlAttrs): string {
  return `${B}_${N}_${a.tauT}_${a.tauS}_${a.factor}`;
}

/** T, S [B, N] -> [1]: the KL sum times factor. */
function klProgram(B: number, N: number, a: KlAttrs) {
  return program(`kl_${klKey(B, N, a)}`, ['T', 'S'], [1], WG, `
  ${reduceSnippet(WG)}
  ${lseFn('lseT', 'T', N, a.tauT)}
  ${lseFn('lseS', 'S', N, a.tauS)}
  fn main(index : i32) {
    let tid = index;
    var acc = 0.0;
    for (var r = tid; r < ${B}; r += ${WG}) {
      let o = r * ${N};
      let lt = lseT(o);
      let ls = lseS(o);
      for (var c = 0; c < ${N}; c++) {
        let lp = (T[o + c] / ${f32(a.tauT)} - lt.x) - lt.y;
        let lq = (S[o + c] / ${f32(a.tauS)} - ls.x) - ls.y;
        acc = acc + exp(lp) * (lp - lq);
      }
    }
    let total = reduceSum(tid, acc);
    if (tid == 0) { result[0] = total * ${f32(a.factor)}; }
  }`, { workgroup: WG });
}

/** T, S [B, N], Dy [1] -> dT (which = 't') or dS (which = 's') [B, N]; a thread per row. */
function klGradProgram(B: number, N: number, a: KlAttrs, which: 't' | 's') {
  const body =
    which === 't'
      ? `
      var kl = 0.0;
      for (var c = 0; c < ${N}; c++) {
        let lp = (T[o + c] / ${f32(a.tauT)} - lt.x) - lt.y;
        let lq = (S[o + c] / ${f32(a.tauS)} - ls.x) - ls.y;
        kl = kl + exp(lp) * (lp - lq);
      }
      for (var c = 0; c < ${N}; c++) {
        let lp = (T[o + c] / ${f32(a.tauT)} - lt.x) - lt.y;
        let lq = (S[o + c] / ${f32(a.tauS)} - ls.x) - ls.y;
        result[o + c] = g / ${f32(a.tauT)} * exp(lp) * (lp - lq - kl);
      }`
      : `
      for (var c = 0; c < ${N}; c++) {
        let lp = (T[o + c] / ${f32(a.tauT)} - lt.x) - lt.y;
        let lq = (S[o + c] / ${f32(a.tauS)} - ls.x) - ls.y;
        result[o + c] = g / ${f32(a.tauS)} * (exp(lq) - exp(lp));
      }`;
  return program(`kl_grad_${which}_${klKey(B, N, a)}`, ['T', 'S', 'Dy'], [B, N], B, `
  ${lseFn('lseT', 'T', N, a.tauT)}
  ${lseFn('lseS', 'S', N, a.tauS)}
  fn main(index : i32) {
    if (index >= ${B}) { return; }
    let o = index * ${N};
    let g = Dy[0] * ${f32(a.factor)};
    let lt = lseT(o);
    let ls = lseS(o);
    ${body}
  }`);
}

/** S [B, N] -> [1]: -1/B sum_i log_softmax(S)_i[i * stride]. */
function nllProgram(B: number, N: number, stride: number) {
  return program(`nll_${B}_${N}_${stride}`, ['S'], [1], WG, `
  ${reduceSnippet(WG)}
  ${lseFn('lse', 'S', N, 1)}
  fn main(index : i32) {
    let tid = index;
    var acc = 0.0;
    for (var r = tid; r < ${B}; r += ${WG}) {
      let o = r * ${N};
      let l = lse(o);
      acc = acc + ((l.x - S[o + r * ${stride}]) + l.y);
    }
    let total = reduceSum(tid, acc);
    if (tid == 0) { result[0] = total / ${f32(B)}; }
  }`, { workgroup: WG });
}

/** S [B, N], Dy [1] -> dS [B, N]: dy / B (softmax(S) - onehot(pos)); a thread per row. */
function nllGradProgram(B: number, N: number, stride: number) {
  return program(`nll_grad_${B}_${N}_${stride}`, ['S', 'Dy'], [B, N], B, `
  ${lseFn('lse', 'S', N, 1)}
  fn main(index : i32) {
    if (index >= ${B}) { return; }
    let o = index * ${N};
    let g = Dy[0] / ${f32(B)};
    let l = lse(o);
    let pos = index * ${stride};
    for (var c = 0; c < ${N}; c++) {
      var hot = 0.0;
      if (c == pos) { hot = 1.0; }
      result[o + c] = g * (exp((S[o + c] - l.x) - l.y) - hot);
    }
  }`);
}

registerOnce(
  {
    kernelName: KL,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) =>
      withRunner(backend, (run) => {
        const { t, s } = inputs as Record<string, tf.TensorInfo>;
        const [B, N] = t.shape;
        return [run.reshape(run.run(klProgram(B, N, attrs as unknown as KlAttrs), [t, s]), [])];
      })[0],
  },
  {
    kernelName: KL,
    inputsToSave: ['t', 's'],
    gradFunc: (dy, saved, attrs) => {
      const [dt, ds] = runKernel<tf.Tensor[]>(KL_GRAD, { t: saved[0], s: saved[1], dy: dy as tf.Tensor }, attrs as Record<string, unknown>);
      return { t: () => dt, s: () => ds };
    },
  },
);

registerOnce({
  kernelName: KL_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) =>
    withRunner(backend, (run) => {
      const { t, s, dy } = inputs as Record<string, tf.TensorInfo>;
      const [B, N] = t.shape;
      const a = attrs as unknown as KlAttrs;
      const d = run.reshape(dy, [1]);
      return [run.run(klGradProgram(B, N, a, 't'), [t, s, d]), run.run(klGradProgram(B, N, a, 's'), [t, s, d])];
    }),
});

registerOnce(
  {
    kernelName: NLL,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs, backend }) =>
      withRunner(backend, (run) => {
        const { s } = inputs as Record<string, tf.TensorInfo>;
        const [B, N] = s.shape;
        return [run.reshape(run.run(nllProgram(B, N, (attrs as unknown as NllAttrs).stride), [s]), [])];
      })[0],
  },
  {
    kernelName: NLL,
    inputsToSave: ['s'],
    gradFunc: (dy, saved, attrs) => {
      const ds = runKernel<tf.Tensor>(NLL_GRAD, { s: saved[0], dy: dy as tf.Tensor }, attrs as Record<string, unknown>);
      return { s: () => ds };
    },
  },
);

registerOnce({
  kernelName: NLL_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) =>
    withRunner(backend, (run) => {
      const { s, dy } = inputs as Record<string, tf.TensorInfo>;
      const [B, N] = s.shape;
      return [run.run(nllGradProgram(B, N, (attrs as unknown as NllAttrs).stride), [s, run.reshape(dy, [1])])];
    })[0],
});

/**
 * Fused factor * sum KL(softmax(t / tauT) || softmax(s / tauS)) on webgpu (batchmean: factor
 * 1 / B). t, s: [B, N] -> scalar; gradients to both.
 */
export function fusedKl(t: tf.Tensor2D, s: tf.Tensor2D, tauT: number, tauS: number, factor: number): tf.Scalar {
  return runKernel<tf.Scalar>(KL, { t, s }, { tauT, tauS, factor });
}

/**
 * Fused contrastive NLL on webgpu: -mean_i log_softmax(S)_i[i * stride] (stride G for an
 * in-batch [B, P] matrix, 0 for a group [B, G] one). S: [B, N] -> scalar.
 */
export function fusedNll(S: tf.Tensor2D, stride: number): tf.Scalar {
  return runKernel<tf.Scalar>(NLL, { s: S }, { stride });
}
