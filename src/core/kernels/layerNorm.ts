// Fused LayerNorm over the last axis (biased variance, eps inside the sqrt, as torch), with an
// optional residual and dropout mask on its input: y = LayerNorm(x * mask + r) * gamma + beta.
// Forward: one kernel (two programs: row statistics and normalised rows, then the affine map);
// backward: one kernel giving dx, dr, dgamma, dbeta with the closed form of encoder.ts:
//   dv = rstd * (g - mean(g) - xhat * mean(g * xhat)),  g = dy * gamma,
//   dgamma = sum_rows(dy * xhat),  dbeta = sum_rows(dy),  dx = dv * mask,  dr = dv.
// Saved for the backward pass: gamma, the mask, and one [M, H + 1] buffer (xhat, rstd).

import * as tf from '@tensorflow/tfjs';
import { colSumProgram, copyProgram, f32, mulProgram, program, reduceSnippet, registerOnce, rowPerThread, runKernel, withRunner } from './webgpu';

const WG = 64;

export type Variant = 'plain' | 'residual' | 'residualMask';
export const LN_NAMES: Record<Variant, string> = { plain: 'DistillLayerNorm', residual: 'DistillAddLayerNorm', residualMask: 'DistillDropAddLayerNorm' };
export const LN_GRAD = 'DistillLayerNormGrad';

interface LnAttrs {
  eps: number;
}

/** [M, H] rows (x * mask + r) -> saved [M, H + 1]: xhat, then rstd at column H. */
function statsProgram(M: number, H: number, eps: number, variant: Variant) {
  const inputs = variant === 'plain' ? ['X'] : variant === 'residual' ? ['X', 'R'] : ['X', 'R', 'K'];
  const value = variant === 'plain' ? 'X[o + c]' : variant === 'residual' ? '(X[o + c] + R[o + c])' : '(X[o + c] * K[o + c] + R[o + c])';
  if (rowPerThread(H)) {
    // One invocation per row: three passes over its H values, no workgroup memory.
    return program(`ln_stats_row_${variant}_${M}_${H}_${eps}`, inputs, [M, H + 1], M, `
  fn main(index : i32) {
    if (index >= ${M}) { return; }
    let o = index * ${H};
    var s = 0.0;
    for (var c = 0; c < ${H}; c++) { s = s + ${value}; }
    let mean = s / f32(${H});
    var q = 0.0;
    for (var c = 0; c < ${H}; c++) { let d = ${value} - mean; q = q + d * d; }
    let rstd = inverseSqrt(q / f32(${H}) + ${f32(eps)});
    let w = index * ${H + 1};
    for (var c = 0; c < ${H}; c++) { result[w + c] = (${value} - mean) * rstd; }
    result[w + ${H}] = rstd;
  }`);
  }
  return program(`ln_stats_${variant}_${M}_${H}_${eps}`, inputs, [M, H + 1], M * WG, `
  ${reduceSnippet(WG)}
  fn main(index : i32) {
    let row = index / ${WG};
    let tid = index % ${WG};
    let o = row * ${H};
    var s = 0.0;
    for (var c = tid; c < ${H}; c += ${WG}) { s = s + ${value}; }
    let mean = reduceSum(tid, s) / f32(${H});
    var q = 0.0;
    for (var c = tid; c < ${H}; c += ${WG}) { let d = ${value} - mean; q = q + d * d; }
    let rstd = inverseSqrt(reduceSum(tid, q) / f32(${H}) + ${f32(eps)});
    let w = row * ${H + 1};
    for (var c = tid; c < ${H}; c += ${WG}) { result[w + c] = (${value} - mean) * rstd; }
    if (tid == 0) { result[w + ${H}] = rstd; }
  }`, { workgroup: WG });
}

/** saved [M, H + 1], gamma, beta [H] -> y [M, H]. */
function affineProgram(M: number, H: number) {
  return program(`ln_affine_${M}_${H}`, ['S', 'Gam', 'Bet'], [M, H], M * H, `
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    let row = index / ${H};
    let c = index % ${H};
    result[index] = S[row * ${H + 1} + c] * Gam[c] + Bet[c];
  }`);
}

/** dy [M, H], saved [M, H + 1], gamma [H] -> dv [M, H]. */
function dxProgram(M: number, H: number) {
  if (rowPerThread(H)) {
    return program(`ln_dx_row_${M}_${H}`, ['Dy', 'S', 'Gam'], [M, H], M, `
  fn main(index : i32) {
    if (index >= ${M}) { return; }
    let o = index * ${H};
    let w = index * ${H + 1};
    var a = 0.0;
    var b = 0.0;
    for (var c = 0; c < ${H}; c++) {
      let g = Dy[o + c] * Gam[c];
      a = a + g;
      b = b + g * S[w + c];
    }
    let ma = a / f32(${H});
    let mb = b / f32(${H});
    let rstd = S[w + ${H}];
    for (var c = 0; c < ${H}; c++) {
      let g = Dy[o + c] * Gam[c];
      result[o + c] = (g - ma - S[w + c] * mb) * rstd;
    }
  }`);
  }
  return program(`ln_dx_${M}_${H}`, ['Dy', 'S', 'Gam'], [M, H], M * WG, `
  ${reduceSnippet(WG)}
  fn main(index : i32) {
    let row = index / ${WG};
    let tid = index % ${WG};
    let o = row * ${H};
    let w = row * ${H + 1};
    var a = 0.0;
    var b = 0.0;
    for (var c = tid; c < ${H}; c += ${WG}) {
      let g = Dy[o + c] * Gam[c];
      a = a + g;
      b = b + g * S[w + c];
    }
    let ma = reduceSum(tid, a) / f32(${H});
    let mb = reduceSum(tid, b) / f32(${H});
    let rstd = S[w + ${H}];
    for (var c = tid; c < ${H}; c += ${WG}) {
      let g = Dy[o + c] * Gam[c];
      result[o + c] = (g - ma - S[w + c] * mb) * rstd;
    }
  }`, { workgroup: WG });
}

/** dy [M, H], saved [M, H + 1] -> dgamma [H] = sum_rows(dy * xhat). */
function dgammaProgram(M: number, H: number) {
  return program(`ln_dgamma_${M}_${H}`, ['Dy', 'S'], [H], H, `
  fn main(index : i32) {
    if (index >= ${H}) { return; }
    var s = 0.0;
    for (var r = 0; r < ${M}; r++) { s = s + Dy[r * ${H} + index] * S[r * ${H + 1} + index]; }
    result[index] = s;
  }`);
}

function register(variant: Variant): void {
  const name = LN_NAMES[variant];
  const inputNames = variant === 'plain' ? ['x'] : variant === 'residual' ? ['x', 'r'] : ['x', 'r', 'mask'];
  registerOnce(
    {
      kernelName: name,
      backendName: 'webgpu',
      kernelFunc: ({ inputs, attrs, backend }) =>
        withRunner(backend, (run) => {
          const { x, r, mask, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
          const [M, H] = x.shape;
          const eps = (attrs as unknown as LnAttrs).eps;
          const ins = variant === 'plain' ? [x] : variant === 'residual' ? [x, r] : [x, r, mask];
          const saved = run.run(statsProgram(M, H, eps, variant), ins);
          return [run.run(affineProgram(M, H), [saved, gamma, beta]), saved];
        }),
    },
    {
      kernelName: name,
      inputsToSave: variant === 'residualMask' ? ['gamma', 'mask'] : ['gamma'],
      outputsToSave: [false, true],
      gradFunc: (dy, saved) => {
        const dys = dy as tf.Tensor[];
        const [gamma, ...rest] = saved;
        const mask = variant === 'residualMask' ? rest[0] : undefined;
        const s = rest[rest.length - 1];
        const outs = runKernel<tf.Tensor[]>(LN_GRAD, mask ? { dy: dys[0], saved: s, gamma, mask } : { dy: dys[0], saved: s, gamma }, {
          variant,
        });
        const [dx, dgamma, dbeta, dr] = outs;
        const g: Record<string, () => tf.Tensor> = { gamma: () => dgamma, beta: () => dbeta, x: () => dx };
        if (inputNames.includes('r')) g.r = () => dr;
        return g;
      },
    },
  );
}

registerOnce({
  kernelName: LN_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) =>
    withRunner(backend, (run) => {
      const { dy, saved, gamma, mask } = inputs as Record<string, tf.TensorInfo>;
      const variant = (attrs as unknown as { variant: Variant }).variant;
      const [M, H] = dy.shape;
      const dv = run.run(dxProgram(M, H), [dy, saved, gamma]);
      const dgamma = run.run(dgammaProgram(M, H), [dy, saved]);
      const dbeta = run.run(colSumProgram('dbeta', 'Dy', M, H), [dy]);
      if (variant === 'plain') return [dv, dgamma, dbeta];
      // Two independent outputs: the engine may free one gradient while the other lives on.
      const dx = variant === 'residualMask' ? run.run(mulProgram(M * H, [M, H]), [dv, mask]) : run.run(copyProgram(M * H, [M, H]), [dv]);
      return [dx, dgamma, dbeta, dv];
    }),
});
register('plain');
register('residual');
register('residualMask');

/**
 * Fused LayerNorm(x * mask + r) * gamma + beta on webgpu (one kernel forward, one backward).
 * x: [M, H], r: [M, H] or null, mask: [M, H] or null (needs r), gamma, beta: [H] -> [M, H].
 */
export function fusedLayerNorm(x: tf.Tensor2D, r: tf.Tensor2D | null, mask: tf.Tensor | null, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  if (mask && !r) throw new Error('fusedLayerNorm: a mask needs a residual');
  const attrs = { eps };
  const outs = mask
    ? runKernel<tf.Tensor[]>(LN_NAMES.residualMask, { x, r: r!, mask, gamma, beta }, attrs)
    : r
      ? runKernel<tf.Tensor[]>(LN_NAMES.residual, { x, r, gamma, beta }, attrs)
      : runKernel<tf.Tensor[]>(LN_NAMES.plain, { x, gamma, beta }, attrs);
  // The saved buffer is the kernel's second output: the tape holds its own copy.
  outs[1].dispose();
  return outs[0] as tf.Tensor2D;
}
