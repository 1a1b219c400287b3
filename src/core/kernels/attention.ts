// Fused multi-head self-attention of a BERT block, up to (not including) the output dense:
//   q = x Wq^T + bq, k = x Wk^T + bk, v = x Wv^T + bv        (heads of dh = H / nh)
//   P = softmax(scale q k^T + bias)  over keys,   P' = P * mask (attention dropout, optional)
//   ctx = P' v, heads merged back to [M, H]
// Forward: one kernel (three fused matMuls, two batched matMuls, one softmax program);
// backward: one kernel (q, k, v and P recomputed from x) giving dx, dWq, dbq, dWk, dbk, dWv, dbv:
//   dP' = dctx v^T,  dP = dP' * mask,  dS = scale P (dP - rowsum(dP P)),
//   dq = dS k,  dk = dS^T q,  dv = P'^T dctx,  dW = d^T x,  db = sum_rows(d),  dx = sum d W.
// Saved: x, Wq, Wk, Wv, bq, bk, bv, the bias and the mask (one output: no zero gradients for
// a second one, and nothing of [N, nh, T, T] is held between the passes).

import * as tf from '@tensorflow/tfjs';
import { colSumProgram, f32, keepsActivations, mulProgram, program, reduceSnippet, registerGradientOnce, registerOnce, rowPerThread, runKernel, withRunner, type Runner } from './webgpu';

const ATTN = 'DistillSelfAttention';
const ATTN_MASK = 'DistillSelfAttentionDrop';
const ATTN_GRAD = 'DistillSelfAttentionGrad';
/**
 * Variants that also output q, k, v ([N, nh, T, dh]) and the probabilities P ([N, nh, T, T],
 * before dropout) for the backward pass, which then recomputes nothing (backends that keep
 * activations: wasm; kernels in wasm.ts).
 */
export const ATTN_KEEP = 'DistillSelfAttentionKeep';
export const ATTN_MASK_KEEP = 'DistillSelfAttentionDropKeep';
export const ATTN_KEEP_GRAD = 'DistillSelfAttentionKeepGrad';
const WG = 64;

interface AttnAttrs {
  heads: number;
  seq: number;
  scale: number;
}

/** S [R, T] scores (R = N nh T rows), bias [N, T] -> softmax(scale S + bias) rows. */
function softmaxProgram(N: number, nh: number, T: number, scale: number) {
  const rows = N * nh * T;
  if (rowPerThread(T)) {
    // One invocation per row: max, sum of exponentials, then the normalised row.
    return program(`attn_softmax_row_${N}_${nh}_${T}_${scale}`, ['S', 'Bias'], [rows, T], rows, `
  fn main(index : i32) {
    if (index >= ${rows}) { return; }
    let n = index / ${nh * T};
    let o = index * ${T};
    var m = -3.402823e+38;
    for (var c = 0; c < ${T}; c++) { m = max(m, S[o + c] * ${f32(scale)} + Bias[n * ${T} + c]); }
    var e = 0.0;
    for (var c = 0; c < ${T}; c++) { e = e + exp(S[o + c] * ${f32(scale)} + Bias[n * ${T} + c] - m); }
    for (var c = 0; c < ${T}; c++) { result[o + c] = exp(S[o + c] * ${f32(scale)} + Bias[n * ${T} + c] - m) / e; }
  }`);
  }
  return program(`attn_softmax_${N}_${nh}_${T}_${scale}`, ['S', 'Bias'], [rows, T], rows * WG, `
  var<workgroup> mx : array<f32, ${WG}>;
  ${reduceSnippet(WG)}
  fn main(index : i32) {
    let row = index / ${WG};
    let tid = index % ${WG};
    let n = row / ${nh * T};
    let o = row * ${T};
    var m = -3.402823e+38;
    for (var c = tid; c < ${T}; c += ${WG}) { m = max(m, S[o + c] * ${f32(scale)} + Bias[n * ${T} + c]); }
    mx[tid] = m;
    workgroupBarrier();
    for (var s = ${WG / 2}; s > 0; s = s >> 1) {
      if (tid < s) { mx[tid] = max(mx[tid], mx[tid + s]); }
      workgroupBarrier();
    }
    let rowMax = mx[0];
    var e = 0.0;
    for (var c = tid; c < ${T}; c += ${WG}) { e = e + exp(S[o + c] * ${f32(scale)} + Bias[n * ${T} + c] - rowMax); }
    let total = reduceSum(tid, e);
    for (var c = tid; c < ${T}; c += ${WG}) { result[o + c] = exp(S[o + c] * ${f32(scale)} + Bias[n * ${T} + c] - rowMax) / total; }
  }`, { workgroup: WG });
}

/** P, dP (already times the mask) [R, T] -> scale P (dP - rowsum(dP P)). */
function softmaxGradProgram(rows: number, T: number, scale: number) {
  if (rowPerThread(T)) {
    return program(`attn_softmax_grad_row_${rows}_${T}_${scale}`, ['P', 'Dp'], [rows, T], rows, `
  fn main(index : i32) {
    if (index >= ${rows}) { return; }
    let o = index * ${T};
    var dot = 0.0;
    for (var c = 0; c < ${T}; c++) { dot = dot + Dp[o + c] * P[o + c]; }
    for (var c = 0; c < ${T}; c++) { result[o + c] = ${f32(scale)} * P[o + c] * (Dp[o + c] - dot); }
  }`);
  }
  return program(`attn_softmax_grad_${rows}_${T}_${scale}`, ['P', 'Dp'], [rows, T], rows * WG, `
  ${reduceSnippet(WG)}
  fn main(index : i32) {
    let row = index / ${WG};
    let tid = index % ${WG};
    let o = row * ${T};
    var s = 0.0;
    for (var c = tid; c < ${T}; c += ${WG}) { s = s + Dp[o + c] * P[o + c]; }
    let dot = reduceSum(tid, s);
    for (var c = tid; c < ${T}; c += ${WG}) { result[o + c] = ${f32(scale)} * P[o + c] * (Dp[o + c] - dot); }
  }`, { workgroup: WG });
}

/** What heads and merge need of a runner (webgpu.ts's Runner, wasm.ts's WasmRunner). */
export interface ShapeOps {
  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo;
  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo;
}

/** [M, H] -> [N, nh, T, dh]. */
export function heads(run: ShapeOps, t: tf.TensorInfo, N: number, T: number, nh: number): tf.TensorInfo {
  const H = t.shape[1];
  return run.transpose(run.reshape(t, [N, T, nh, H / nh]), [0, 2, 1, 3]);
}

/** [N, nh, T, dh] -> [M, H]. */
export function merge(run: ShapeOps, t: tf.TensorInfo): tf.TensorInfo {
  const [N, nh, T, dh] = t.shape;
  return run.reshape(run.transpose(t, [0, 2, 1, 3]), [N * T, nh * dh]);
}

function projections(run: Runner, i: Record<string, tf.TensorInfo>, N: number, T: number, nh: number) {
  return {
    q: heads(run, run.matMul(i.x, i.wq, false, true, i.bq), N, T, nh),
    k: heads(run, run.matMul(i.x, i.wk, false, true, i.bk), N, T, nh),
    v: heads(run, run.matMul(i.x, i.wv, false, true, i.bv), N, T, nh),
  };
}

/** q, k, v, P and P' (P times the mask) of one call. */
function attend(run: Runner, i: Record<string, tf.TensorInfo>, a: AttnAttrs) {
  const { heads: nh, seq: T, scale } = a;
  const N = i.x.shape[0] / T;
  const { q, k, v } = projections(run, i, N, T, nh);
  const s = run.matMul(q, k, false, true); // [N, nh, T, T]
  const p = run.reshape(run.run(softmaxProgram(N, nh, T, scale), [s, i.bias]), [N, nh, T, T]);
  const pd = i.mask ? run.run(mulProgram(N * nh * T * T, [N, nh, T, T]), [p, i.mask]) : p;
  return { q, k, v, p, pd };
}

const forward: tf.KernelFunc = ({ inputs, attrs, backend }) =>
  withRunner(backend, (run) => {
    const { v, pd } = attend(run, inputs as Record<string, tf.TensorInfo>, attrs as unknown as AttnAttrs);
    return [merge(run, run.matMul(pd, v, false, false))]; // [M, H]
  })[0];

function register(masked: boolean): void {
  const name = masked ? ATTN_MASK : ATTN;
  const saveNames = ['x', 'wq', 'bq', 'wk', 'bk', 'wv', 'bv', 'bias', ...(masked ? ['mask'] : [])];
  registerOnce(
    { kernelName: name, backendName: 'webgpu', kernelFunc: forward },
    {
      kernelName: name,
      inputsToSave: saveNames,
      gradFunc: (dy, saved, attrs) => {
        const ins: Record<string, tf.Tensor> = { dy: dy as tf.Tensor };
        saveNames.forEach((n, j) => (ins[n] = saved[j]));
        const [dx, dwq, dbq, dwk, dbk, dwv, dbv] = runKernel<tf.Tensor[]>(ATTN_GRAD, ins, attrs as Record<string, unknown>);
        return { x: () => dx, wq: () => dwq, bq: () => dbq, wk: () => dwk, bk: () => dbk, wv: () => dwv, bv: () => dbv };
      },
    },
  );
}

registerOnce({
  kernelName: ATTN_GRAD,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs, backend }) =>
    withRunner(backend, (run) => {
      const i = inputs as Record<string, tf.TensorInfo>;
      const a = attrs as unknown as AttnAttrs;
      const { heads: nh, seq: T, scale } = a;
      const [M, H] = i.x.shape;
      const N = M / T;
      const R = N * nh * T;
      const { q, k, v, p, pd } = attend(run, i, a);
      const dctx = heads(run, i.dy, N, T, nh); // [N, nh, T, dh]
      const dpd = run.matMul(dctx, v, false, true); // [N, nh, T, T]
      const dp = i.mask ? run.run(mulProgram(R * T, [N, nh, T, T]), [dpd, i.mask]) : dpd;
      const ds = run.reshape(run.run(softmaxGradProgram(R, T, scale), [p, dp]), [N, nh, T, T]);
      const dq = merge(run, run.matMul(ds, k, false, false)); // [M, H]
      const dk = merge(run, run.matMul(ds, q, true, false));
      const dv = merge(run, run.matMul(pd, dctx, true, false));
      const dx = run.add(run.add(run.matMul(dq, i.wq, false, false), run.matMul(dk, i.wk, false, false)), run.matMul(dv, i.wv, false, false));
      const grads = [dx];
      for (const d of [dq, dk, dv]) grads.push(run.matMul(d, i.x, true, false), run.run(colSumProgram('attn_db', 'Dy', M, H), [d]));
      return grads;
    }),
});

register(false);
register(true);

function registerKeep(masked: boolean): void {
  const name = masked ? ATTN_MASK_KEEP : ATTN_KEEP;
  const saveNames = ['x', 'wq', 'wk', 'wv', ...(masked ? ['mask'] : [])];
  registerGradientOnce({
    kernelName: name,
    inputsToSave: saveNames,
    outputsToSave: [false, true, true, true, true],
    gradFunc: (dy, saved, attrs) => {
      const ins: Record<string, tf.Tensor> = { dy: (dy as tf.Tensor[])[0] };
      [...saveNames, 'q', 'k', 'v', 'p'].forEach((n, j) => (ins[n] = saved[j]));
      const [dx, dwq, dbq, dwk, dbk, dwv, dbv] = runKernel<tf.Tensor[]>(ATTN_KEEP_GRAD, ins, attrs as Record<string, unknown>);
      return { x: () => dx, wq: () => dwq, bq: () => dbq, wk: () => dwk, bk: () => dbk, wv: () => dwv, bv: () => dbv };
    },
  });
}

registerKeep(false);
registerKeep(true);

export interface AttentionWeights {
  wq: tf.Tensor2D;
  bq: tf.Tensor1D;
  wk: tf.Tensor2D;
  bk: tf.Tensor1D;
  wv: tf.Tensor2D;
  bv: tf.Tensor1D;
}

/**
 * Fused self-attention on webgpu. x: [N*T, H], bias: [N, 1, 1, T] (additive, 0 or -1e4),
 * mask: [N, nh, T, T] attention-dropout multipliers or null -> context [N*T, H] (heads merged,
 * before the output dense).
 */
export function fusedSelfAttention(x: tf.Tensor2D, w: AttentionWeights, bias: tf.Tensor, mask: tf.Tensor | null, heads: number, seq: number, scale: number): tf.Tensor2D {
  const attrs = { heads, seq, scale };
  const ins: Record<string, tf.Tensor> = { x, ...w, bias };
  if (mask) ins.mask = mask;
  if (keepsActivations()) {
    // Outputs 2 to 5 (q, k, v, P) are for the tape, which holds its own references.
    const [ctx, ...kept] = runKernel<tf.Tensor[]>(mask ? ATTN_MASK_KEEP : ATTN_KEEP, ins, attrs);
    tf.dispose(kept);
    return ctx as tf.Tensor2D;
  }
  return runKernel<tf.Tensor2D>(mask ? ATTN_MASK : ATTN, ins, attrs);
}
