// One fused AdamW step over all variables of an optimiser (optimizer.ts's math, per element):
//   norm = sqrt(sum over all gradients of g^2),  c = min(1, maxNorm / (norm + 1e-6)) (or 1)
//   m' = b1 m + ((1 - b1) c) g,   v' = b2 v + ((1 - b2) c^2) g^2
//   p' = p keep + (m' / (sqrt(v') + eps')) stepSize       (keep = 1 - lr wd where decayed, else 1)
// One kernel for the engine: inside it, a running sum of squares over the gradients (one
// program per gradient, each adding to the previous total), then three programs per variable
// (m', v', p'; each recomputes the clip factor from the total). Outputs: the pre-clip norm,
// then the new p, m, v of every variable. Not differentiable (it runs outside the tape).

import * as tf from '@tensorflow/tfjs';
import { program, reduceSnippet, registerOnce, runKernel, withRunner, type Uniform } from './webgpu';

export const ADAMW = 'DistillAdamW';
const WG = 256;

export interface FusedAdamWScalars {
  beta1: number;
  beta2: number;
  /** Global-norm clipping threshold; null: none. */
  clipNorm: number | null;
  /** -(lr sqrt(1 - b2^t)) / (1 - b1^t). */
  stepSize: number;
  /** eps sqrt(1 - b2^t). */
  epsHat: number;
  /** 1 - lr weightDecay. */
  keep: number;
}

interface AdamWAttrs extends FusedAdamWScalars {
  n: number;
  decay: boolean[];
}

function sumSqProgram(size: number, first: boolean) {
  return program(`adamw_sumsq_${size}_${first}`, first ? ['G'] : ['G', 'Acc'], [1], WG, `
  ${reduceSnippet(WG)}
  fn main(index : i32) {
    let tid = index;
    var s = 0.0;
    for (var i = tid; i < ${size}; i += ${WG}) { let g = G[i]; s = s + g * g; }
    let total = reduceSum(tid, s);
    if (tid == 0) { result[0] = ${first ? 'total' : 'Acc[0] + total'}; }
  }`, { workgroup: WG });
}

const UNIFORMS = 'b1 : f32, b2 : f32, omb1 : f32, omb2 : f32, maxNorm : f32, stepSize : f32, epsHat : f32, keep : f32,';

function updateProgram(size: number, shape: number[], what: 'm' | 'v' | 'p') {
  const body =
    what === 'm' ? 'result[index] = m;' : what === 'v' ? 'result[index] = v;' : 'result[index] = P[index] * uniforms.keep + (m / (sqrt(v) + uniforms.epsHat)) * uniforms.stepSize;';
  const inputs = what === 'm' ? ['G', 'M', 'Acc'] : what === 'v' ? ['G', 'V', 'Acc'] : ['G', 'P', 'M', 'V', 'Acc'];
  const m = what === 'v' ? '' : 'let m = M[index] * uniforms.b1 + g * c1;';
  const v = what === 'm' ? '' : 'let v = V[index] * uniforms.b2 + (g * g) * c2;';
  return program(`adamw_${what}_${size}`, inputs, shape, size, `
  fn main(index : i32) {
    if (index >= uniforms.size) { return; }
    var c = 1.0;
    if (uniforms.maxNorm > 0.0) { c = min(uniforms.maxNorm / (sqrt(Acc[0]) + 1e-6), 1.0); }
    let c1 = uniforms.omb1 * c;
    let c2 = uniforms.omb2 * (c * c);
    let g = G[index];
    ${m}
    ${v}
    ${body}
  }`, { uniforms: UNIFORMS });
}

function sqrtProgram() {
  return program('adamw_norm', ['Acc'], [1], 1, `
  fn main(index : i32) {
    if (index == 0) { result[0] = sqrt(Acc[0]); }
  }`);
}

registerOnce({
  kernelName: ADAMW,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) =>
    withRunner(backend, (run) => {
      const a = attrs as unknown as AdamWAttrs;
      const ins = inputs as Record<string, tf.TensorInfo>;
      const n = a.n;
      let acc: tf.TensorInfo | null = null;
      for (let i = 0; i < n; i++) {
        const g = ins[`g${i}`];
        const size = g.shape.reduce((x, y) => x * y, 1);
        acc = run.run(sumSqProgram(size, acc === null), acc === null ? [g] : [g, acc]);
      }
      if (acc === null) throw new Error('DistillAdamW: no variables');
      const norm = run.reshape(run.run(sqrtProgram(), [acc]), []);
      const ps: tf.TensorInfo[] = [];
      const ms: tf.TensorInfo[] = [];
      const vs: tf.TensorInfo[] = [];
      const clip = a.clipNorm !== null && Number.isFinite(a.clipNorm) ? a.clipNorm : -1;
      for (let i = 0; i < n; i++) {
        const g = ins[`g${i}`];
        const size = g.shape.reduce((x, y) => x * y, 1);
        const u: Uniform[] = [a.beta1, a.beta2, 1 - a.beta1, 1 - a.beta2, clip, a.stepSize, a.epsHat, a.decay[i] ? a.keep : 1].map((x) => ({
          type: 'float32' as const,
          data: [x],
        }));
        const [p, m, v] = [ins[`p${i}`], ins[`m${i}`], ins[`v${i}`]];
        ms.push(run.run(updateProgram(size, g.shape, 'm'), [g, m, acc], u));
        vs.push(run.run(updateProgram(size, g.shape, 'v'), [g, v, acc], u));
        ps.push(run.run(updateProgram(size, g.shape, 'p'), [g, p, m, v, acc], u));
      }
      return [norm, ...ps, ...ms, ...vs];
    }),
});

export interface FusedAdamWSlot {
  grad: tf.Tensor;
  param: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
  decay: boolean;
}

/**
 * One fused AdamW step on webgpu over `slots` (at least one). Returns the pre-clip global
 * norm and the new values of every parameter and moment (the caller assigns them).
 */
export function fusedAdamW(slots: readonly FusedAdamWSlot[], s: FusedAdamWScalars): { norm: tf.Scalar; params: tf.Tensor[]; m: tf.Tensor[]; v: tf.Tensor[] } {
  const n = slots.length;
  const inputs: Record<string, tf.Tensor> = {};
  slots.forEach((x, i) => {
    inputs[`g${i}`] = x.grad;
    inputs[`p${i}`] = x.param;
    inputs[`m${i}`] = x.m;
    inputs[`v${i}`] = x.v;
  });
  const outs = runKernel<tf.Tensor[]>(ADAMW, inputs, { ...s, n, decay: slots.map((x) => x.decay) });
  return { norm: outs[0] as tf.Scalar, params: outs.slice(1, 1 + n), m: outs.slice(1 + n, 1 + 2 * n), v: outs.slice(1 + 2 * n) };
}
