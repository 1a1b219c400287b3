// Fused dense layer y = x W^T + b (HF Linear layout, W [out, in]) with an optional exact GELU
// (HF "gelu": x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, tfjs's erf: Abramowitz-Stegun
// 7.1.26), and a standalone fused GELU.
// Dense forward: one kernel (the backend's fused matMul with bias, then GELU when asked);
// backward: one kernel giving dx = d W, dW = d^T x, db = sum_rows(d), d = dy (times GELU's
// derivative Phi(z) + z exp(-z^2/2) / sqrt(2 pi) at the pre-activation z when fused).
// Saved: x, W (and b with GELU: the pre-activation is recomputed in the backward kernel).

import * as tf from '@tensorflow/tfjs';
import { colSumProgram, keepsActivations, program, registerGradientOnce, registerOnce, runKernel, withRunner } from './webgpu';

export const DENSE = 'DistillDense';
const DENSE_GELU = 'DistillDenseGelu';
export const DENSE_GRAD = 'DistillDenseGrad';
export const GELU = 'DistillGelu';
export const GELU_GRAD = 'DistillGeluGrad';
/** Dense+GELU that also outputs its pre-activation z for the backward pass (backends that keep activations: wasm). */
export const DENSE_GELU_KEEP = 'DistillDenseGeluKeep';

/** WGSL: erf (tfjs's constants) and Phi. */
function geluFns(): string {
  const u = tf.backend_util;
  return `
  fn distillErf(a : f32) -> f32 {
    let p = ${u.ERF_P};
    let a1 = ${u.ERF_A1};
    let a2 = ${u.ERF_A2};
    let a3 = ${u.ERF_A3};
    let a4 = ${u.ERF_A4};
    let a5 = ${u.ERF_A5};
    let sgn = sign(a);
    let absA = abs(a);
    let t = 1.0 / (1.0 + p * absA);
    return sgn * (1.0 - (((((a5 * t + a4) * t) + a3) * t + a2) * t + a1) * t * exp(-absA * absA));
  }
  fn distillPhi(x : f32) -> f32 { return (distillErf(x * ${Math.SQRT1_2}) + 1.0) * 0.5; }`;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

function geluProgram(size: number, shape: number[]) {
  return program(`gelu_${size}`, ['Z'], shape, size, `
  ${geluFns()}
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    let z = Z[index];
    result[index] = z * distillPhi(z);
  }`);
}

/** dy, z -> dy * (Phi(z) + z phi(z)). */
function geluGradProgram(size: number, shape: number[]) {
  return program(`gelu_grad_${size}`, ['Dy', 'Z'], shape, size, `
  ${geluFns()}
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    let z = Z[index];
    let pdf = exp(z * z * -0.5) * ${1 / Math.sqrt(2 * Math.PI)};
    result[index] = Dy[index] * (distillPhi(z) + z * pdf);
  }`);
}

registerOnce(
  {
    kernelName: GELU,
    backendName: 'webgpu',
    kernelFunc: ({ inputs, backend }) => {
      const { x } = inputs as Record<string, tf.TensorInfo>;
      return withRunner(backend, (run) => [run.run(geluProgram(sizeOf(x.shape), x.shape), [x])])[0];
    },
  },
  {
    kernelName: GELU,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => runKernel<tf.Tensor>(GELU_GRAD, { dy: dy as tf.Tensor, z: saved[0] }) }),
  },
);

registerOnce({
  kernelName: GELU_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) => {
    const { dy, z } = inputs as Record<string, tf.TensorInfo>;
    return withRunner(backend, (run) => [run.run(geluGradProgram(sizeOf(dy.shape), dy.shape), [dy, z])])[0];
  },
});

function denseForward(gelu: boolean): tf.KernelFunc {
  return ({ inputs, backend }) =>
    withRunner(backend, (run) => {
      const { x, w, b } = inputs as Record<string, tf.TensorInfo>;
      const [M] = x.shape;
      const out = w.shape[0];
      const z = run.matMul(x, w, false, true, b); // [M, out]
      if (!gelu) return [z];
      return [run.run(geluProgram(M * out, [M, out]), [z])];
    })[0];
}

registerOnce(
  { kernelName: DENSE, backendName: 'webgpu', kernelFunc: denseForward(false) },
  {
    kernelName: DENSE,
    inputsToSave: ['x', 'w'],
    gradFunc: (dy, saved) => denseGrads(dy as tf.Tensor, saved[0], saved[1], null),
  },
);

registerOnce(
  { kernelName: DENSE_GELU, backendName: 'webgpu', kernelFunc: denseForward(true) },
  {
    kernelName: DENSE_GELU,
    inputsToSave: ['x', 'w', 'b'],
    gradFunc: (dy, saved) => denseGrads(dy as tf.Tensor, saved[0], saved[1], saved[2]),
  },
);

// The keeping variant (its kernel is registered for wasm only, in wasm.ts): outputs [y, z];
// the backward kernel gets z (not b) and recomputes nothing.
registerGradientOnce({
  kernelName: DENSE_GELU_KEEP,
  inputsToSave: ['x', 'w'],
  outputsToSave: [false, true],
  gradFunc: (dy, saved) => {
    const [x, w, z] = saved;
    const [dx, dw, db] = runKernel<tf.Tensor[]>(DENSE_GRAD, { dy: (dy as tf.Tensor[])[0], x, w, z });
    return { x: () => dx, w: () => dw, b: () => db };
  },
});

/** b given: the layer has a GELU (its pre-activation x W^T + b is recomputed, not saved). */
function denseGrads(dy: tf.Tensor, x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null): Record<string, () => tf.Tensor> {
  const [dx, dw, db] = runKernel<tf.Tensor[]>(DENSE_GRAD, b ? { dy, x, w, b } : { dy, x, w });
  return { x: () => dx, w: () => dw, b: () => db };
}

registerOnce({
  kernelName: DENSE_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, backend }) =>
    withRunner(backend, (run) => {
      const { dy, x, w, b } = inputs as Record<string, tf.TensorInfo>;
      const [M, out] = dy.shape;
      const d = b ? run.run(geluGradProgram(M * out, [M, out]), [dy, run.matMul(x, w, false, true, b)]) : dy;
      const dx = run.matMul(d, w, false, false); // [M, out] x [out, in] -> [M, in]
      const dw = run.matMul(d, x, true, false); // [out, M] x [M, in] -> [out, in]
      const db = run.run(colSumProgram('db', 'Dy', M, out), [d]);
      return [dx, dw, db];
    }),
});

/** Fused x W^T + b on webgpu. x: [M, in], w: [out, in], b: [out] -> [M, out]. */
export function fusedDense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return runKernel<tf.Tensor2D>(DENSE, { x, w, b });
}

/** Fused GELU(x W^T + b) on webgpu. x: [M, in], w: [out, in], b: [out] -> [M, out]. */
export function fusedDenseGelu(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (keepsActivations()) {
    // The kernel's second output (z) is for the tape, which holds its own reference.
    const [y, z] = runKernel<tf.Tensor[]>(DENSE_GELU_KEEP, { x, w, b });
    z.dispose();
    return y as tf.Tensor2D;
  }
  return runKernel<tf.Tensor2D>(DENSE_GELU, { x, w, b });
}

/** Fused exact GELU on webgpu. x: any shape -> same shape. */
export function fusedGelu<T extends tf.Tensor>(x: T): T {
  return runKernel<T>(GELU, { x });
}
