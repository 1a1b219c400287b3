// The lab's fused kernels on tfjs's wasm backend: the kernels of this folder under the same
// names (and the same registered gradients). Every matrix product goes to the backend's own
// kernels (XNNPACK, through the lab's fast path of backend/wasmKernels.ts); the element-wise
// and row-wise work (GELU, LayerNorm, the attention softmax, AdamW) runs in the lab's SIMD
// module (simd/: AssemblyScript, four float32 lanes at a time), instantiated on tfjs's heap: it
// reads and writes the tensors where they are. What this saves over the composite tfjs ops: a plain lead-de step runs ~5,300
// kernels on wasm, each allocating its output and walking its operands once; fused, ~900.
// Measured on this machine, per value: JavaScript loops 10-16 ns for GELU (V8's Math.exp alone
// 10-15 ns), tfjs-wasm's Erf 7-20 ns (std::erf), the SIMD module ~1 ns.
//
// On wasm the dense+GELU and attention kernels keep their activations for the backward pass
// (the *Keep variants of dense.ts and attention.ts: the pre-activation; q, k, v and the
// probabilities), as PyTorch's autograd does: recomputing them there, as the WebGPU kernels
// do to save GPU memory, would add a fifth to a step's matrix products on a CPU. So only the
// *Keep variants of those two are registered here (the ops take them on wasm).
//
// Heap views (Float32Array over the tfjs module's memory) are taken after the allocations of
// each stage: an allocation may grow the heap, which detaches every older view. Addresses stay.

import * as tf from '@tensorflow/tfjs';
import { ADAMW, type FusedAdamWScalars } from './adamw';
import { ATTN_KEEP, ATTN_KEEP_GRAD, ATTN_MASK_KEEP, heads, merge } from './attention';
import { DENSE, DENSE_GELU_KEEP, DENSE_GRAD, GELU, GELU_GRAD } from './dense';
import { LN_GRAD, LN_NAMES, type Variant } from './layerNorm';
import { KL, KL_GRAD, NLL, NLL_GRAD } from './losses';
import { heapKernels, type SimdExports } from './simd';
import { registerOnce } from './webgpu';

/** What the kernels use of tfjs-backend-wasm's BackendWasm. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } | undefined };
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId): boolean;
}

type Infos = Record<string, tf.TensorInfo>;

/** Runs the wasm backend's kernels and the lab's loops, freeing its intermediates at the end. */
class WasmRunner {
  private temps: tf.TensorInfo[] = [];
  /** The SIMD kernels on this backend's heap. */
  readonly k: SimdExports;
  constructor(readonly backend: WasmBackendLike) {
    const k = heapKernels(backend);
    if (!k) throw new Error('the wasm fused kernels need WebAssembly SIMD'); // fusedKernelsActive() is false then
    this.k = k;
  }

  /** t's byte address in the heap (for the SIMD kernels). */
  addr(t: tf.TensorInfo): number {
    const d = this.backend.dataIdMap.get(t.dataId);
    if (!d) throw new Error('wasm fused kernel: a tensor without data');
    return d.memoryOffset;
  }

  /** A new float32 tensor, uninitialised (freed at dispose unless returned). */
  out(shape: number[]): tf.TensorInfo {
    return this.temp(this.backend.makeOutput(shape, 'float32'));
  }

  /** t's values in the heap (valid until the next allocation). */
  f32(t: tf.TensorInfo): Float32Array {
    if (t.dtype !== 'float32') throw new TypeError(`wasm fused kernel: expected a float32 tensor, got ${t.dtype}`);
    return this.backend.typedArrayFromHeap(t) as Float32Array;
  }

  /** The backend's own kernel `name` (not seen by the engine: no profile entry, no tape). */
  kernel(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const k = tf.getKernel(name, 'wasm');
    if (!k) throw new Error(`no wasm kernel ${name}`);
    return this.temp(k.kernelFunc({ inputs, attrs, backend: this.backend as unknown as tf.KernelBackend }) as tf.TensorInfo);
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.kernel('Reshape', { x }, { shape });
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.kernel('Transpose', { x }, { perm });
  }

  /**
   * a [..., M, K] x b [..., K, N] (with transposes; the same batch dimensions, or b without)
   * -> [..., M, N]; bias [N] added when given. The kernels take rank 3, as tfjs's ops give them.
   */
  matMul(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, bias?: tf.TensorInfo): tf.TensorInfo {
    const to3 = (t: tf.TensorInfo) => (t.shape.length === 3 ? t : this.reshape(t, [sizeOf(t.shape.slice(0, -2)), ...t.shape.slice(-2)]));
    const [a3, b3] = [to3(a), to3(b)];
    const out = bias
      ? this.kernel('_FusedMatMul', { a: a3, b: b3, bias }, { transposeA, transposeB, activation: 'linear' })
      : this.kernel('BatchMatMul', { a: a3, b: b3 }, { transposeA, transposeB });
    const r = a.shape.length;
    const m = transposeA ? a.shape[r - 1] : a.shape[r - 2];
    return a.shape.length === 3 ? out : this.reshape(out, [...a.shape.slice(0, -2), m, out.shape[2]]);
  }

  /** A new [cols] tensor holding the column sums of the [rows, cols] tensor x. */
  colSums(x: tf.TensorInfo, rows: number, cols: number): tf.TensorInfo {
    const o = this.out([cols]);
    const t = this.out([2 * cols]); // float64 totals
    this.k.colSums(this.addr(x), rows, cols, this.addr(o), this.addr(t));
    return o;
  }

  dispose(keep: readonly tf.TensorInfo[]): void {
    for (const t of this.temps) if (!keep.includes(t)) this.backend.disposeData(t.dataId);
    this.temps = [];
  }

  private temp(x: tf.TensorInfo): tf.TensorInfo {
    this.temps.push(x);
    return x;
  }
}

/** Runs `f` with a WasmRunner and frees every intermediate it made but the returned outputs. */
function withWasm(backend: unknown, f: (r: WasmRunner) => tf.TensorInfo[]): tf.TensorInfo[] {
  const r = new WasmRunner(backend as WasmBackendLike);
  let outs: tf.TensorInfo[] = [];
  try {
    outs = f(r);
    return outs;
  } finally {
    r.dispose(outs);
  }
}

function register(kernelName: string, kernelFunc: (args: { inputs: Infos; attrs: tf.NamedAttrMap; backend: unknown }) => tf.TensorInfo | tf.TensorInfo[]): void {
  registerOnce({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc });
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

// ---------------------------------------------------------------------------------------------
// LayerNorm (layerNorm.ts): y = LayerNorm(x * mask + r) * gamma + beta; saved [M, H + 1] = xhat, rstd.

const LN_MODE: Record<Variant, number> = { plain: 0, residual: 1, residualMask: 2 };

function layerNorm(variant: Variant) {
  return ({ inputs, attrs, backend }: { inputs: Infos; attrs: tf.NamedAttrMap; backend: unknown }) =>
    withWasm(backend, (run) => {
      const { x, r, mask, gamma, beta } = inputs;
      const [M, H] = x.shape;
      const eps = (attrs as unknown as { eps: number }).eps;
      const y = run.out([M, H]);
      const saved = run.out([M, H + 1]);
      const mode = LN_MODE[variant];
      run.k.layerNorm(run.addr(x), mode > 0 ? run.addr(r) : 0, mode > 1 ? run.addr(mask) : 0, run.addr(gamma), run.addr(beta), run.addr(y), run.addr(saved), M, H, eps, mode);
      return [y, saved];
    });
}

// dv = rstd (g - mean(g) - xhat mean(g xhat)), g = dy gamma; dgamma = sum_rows(dy xhat), dbeta = sum_rows(dy).
register(LN_GRAD, ({ inputs, attrs, backend }) =>
  withWasm(backend, (run) => {
    const { dy, saved, gamma, mask } = inputs;
    const variant = (attrs as unknown as { variant: Variant }).variant;
    const [M, H] = dy.shape;
    const dv = run.out([M, H]);
    const dgamma = run.out([H]);
    const dbeta = run.out([H]);
    const dx = variant === 'plain' ? null : run.out([M, H]);
    const mode = LN_MODE[variant];
    run.f32(dgamma).fill(0); // the kernel adds every row's terms into dgamma and dbeta
    run.f32(dbeta).fill(0);
    run.k.layerNormGrad(run.addr(dy), run.addr(saved), run.addr(gamma), run.addr(dv), dx ? run.addr(dx) : 0, mode > 1 ? run.addr(mask) : 0, run.addr(dgamma), run.addr(dbeta), M, H, mode);
    return dx ? [dx, dgamma, dbeta, dv] : [dv, dgamma, dbeta];
  }),
);

// ---------------------------------------------------------------------------------------------
// GELU and dense layers (dense.ts): exact GELU z Phi(z), erf by tfjs's Abramowitz-Stegun 7.1.26.

register(GELU, ({ inputs, backend }) =>
  withWasm(backend, (run) => {
    const y = run.out(inputs.x.shape);
    run.k.gelu(run.addr(inputs.x), run.addr(y), sizeOf(y.shape));
    return [y];
  })[0],
);

register(GELU_GRAD, ({ inputs, backend }) =>
  withWasm(backend, (run) => {
    const { dy, z } = inputs;
    const d = run.out(dy.shape);
    run.k.geluGrad(run.addr(dy), run.addr(z), run.addr(d), sizeOf(dy.shape));
    return [d];
  })[0],
);

register(DENSE, ({ inputs, backend }) => withWasm(backend, (run) => [run.matMul(inputs.x, inputs.w, false, true, inputs.b)])[0]);

register(DENSE_GELU_KEEP, ({ inputs, backend }) =>
  withWasm(backend, (run) => {
    const z = run.matMul(inputs.x, inputs.w, false, true, inputs.b); // [M, out]
    const y = run.out(z.shape);
    run.k.gelu(run.addr(z), run.addr(y), sizeOf(z.shape));
    return [y, z];
  }),
);

// dx = d W, dW = d^T x, db = sum_rows(d); d = dy, or dy GELU'(z) with z kept by DenseGeluKeep.
register(DENSE_GRAD, ({ inputs, backend }) =>
  withWasm(backend, (run) => {
    const { dy, x, w, z } = inputs;
    const [M, out] = dy.shape;
    let d = dy;
    if (z) {
      d = run.out([M, out]);
      run.k.geluGrad(run.addr(dy), run.addr(z), run.addr(d), M * out);
    }
    const dx = run.matMul(d, w, false, false); // [M, out] x [out, in] -> [M, in]
    // dW = d^T x [out, in]. XNNPACK packs the right operand of every product (~4 ns a value
    // here): with more inputs than outputs (the FFN's second dense), pack d, not x, and
    // transpose the small [in, out] result.
    const inDim = x.shape[1];
    const dw = out < inDim ? run.transpose(run.matMul(x, d, true, false), [1, 0]) : run.matMul(d, x, true, false);
    return [dx, dw, run.colSums(d, M, out)];
  }),
);

// ---------------------------------------------------------------------------------------------
// Self-attention (attention.ts): P = softmax(scale q k^T + bias), ctx = (P * mask) v.

interface AttnAttrs {
  heads: number;
  seq: number;
  scale: number;
}

/** A[j] += B[j] + C[j]. */
function addInto(A: Float32Array, B: Float32Array, C: Float32Array): void {
  for (let j = 0; j < A.length; j++) A[j] += B[j] + C[j];
}

/** q, k, v [N, nh, T, dh], P [N, nh, T, T] and P' = P * mask of one call. */
function attend(run: WasmRunner, i: Infos, a: AttnAttrs) {
  const { heads: nh, seq: T, scale } = a;
  const N = i.x.shape[0] / T;
  const q = heads(run, run.matMul(i.x, i.wq, false, true, i.bq), N, T, nh);
  const k = heads(run, run.matMul(i.x, i.wk, false, true, i.bk), N, T, nh);
  const v = heads(run, run.matMul(i.x, i.wv, false, true, i.bv), N, T, nh);
  const s = run.matMul(q, k, false, true); // [N, nh, T, T]
  const p = run.out(s.shape);
  const pd = i.mask ? run.out(s.shape) : p;
  const masked = i.mask ? 1 : 0;
  run.k.softmax(run.addr(s), run.addr(i.bias), run.addr(p), masked ? run.addr(pd) : 0, masked ? run.addr(i.mask) : 0, N * nh * T, T, nh * T, scale, masked);
  return { q, k, v, p, pd };
}

/** Outputs the context [M, H], and q, k, v and P for the backward pass. */
function attention({ inputs, attrs, backend }: { inputs: Infos; attrs: tf.NamedAttrMap; backend: unknown }) {
  return withWasm(backend, (run) => {
    const { q, k, v, p, pd } = attend(run, inputs, attrs as unknown as AttnAttrs);
    const ctx = merge(run, run.matMul(pd, v, false, false)); // [M, H]
    return [ctx, q, k, v, p];
  });
}

/**
 * dP' = dctx v^T, dP = dP' * mask, dS = scale P (dP - rowsum(dP P)); dq = dS k, dk = dS^T q,
 * dv = P'^T dctx; dW = d^T x, db = sum_rows(d), dx = sum d W.
 */
function attentionGrad(run: WasmRunner, i: Infos, a: AttnAttrs, parts: { q: tf.TensorInfo; k: tf.TensorInfo; v: tf.TensorInfo; p: tf.TensorInfo }): tf.TensorInfo[] {
  const { heads: nh, seq: T, scale } = a;
  const [M, H] = i.x.shape;
  const N = M / T;
  const dctx = heads(run, i.dy, N, T, nh); // [N, nh, T, dh]
  const dpd = run.matMul(dctx, parts.v, false, true); // [N, nh, T, T]
  const ds = run.out(dpd.shape);
  const pd = i.mask ? run.out(dpd.shape) : parts.p;
  const masked = i.mask ? 1 : 0;
  // Masked: dP = dP' * mask is written back into dpd (a temporary), and P' = P * mask into pd.
  run.k.softmaxGrad(run.addr(dpd), run.addr(parts.p), run.addr(ds), masked ? run.addr(pd) : 0, masked ? run.addr(i.mask) : 0, N * nh * T, T, scale, masked);
  const dq = merge(run, run.matMul(ds, parts.k, false, false)); // [M, H]
  const dk = merge(run, run.matMul(ds, parts.q, true, false));
  const dv = merge(run, run.matMul(pd, dctx, true, false));
  const dx = run.matMul(dq, i.wq, false, false); // a new tensor: the other two are added in place
  const dx2 = run.matMul(dk, i.wk, false, false);
  const dx3 = run.matMul(dv, i.wv, false, false);
  addInto(run.f32(dx), run.f32(dx2), run.f32(dx3));
  const grads = [dx];
  for (const d of [dq, dk, dv]) grads.push(run.matMul(d, i.x, true, false), run.colSums(d, M, H));
  return grads;
}

register(ATTN_KEEP, attention);
register(ATTN_MASK_KEEP, attention);
register(ATTN_KEEP_GRAD, ({ inputs, attrs, backend }) =>
  withWasm(backend, (run) => attentionGrad(run, inputs, attrs as unknown as AttnAttrs, { q: inputs.q, k: inputs.k, v: inputs.v, p: inputs.p })),
);

// ---------------------------------------------------------------------------------------------
// AdamW over all variables (adamw.ts): the global norm, clipping, m', v' and p' in one pass each.

register(ADAMW, ({ inputs, attrs, backend }) =>
  withWasm(backend, (run) => {
    const a = attrs as unknown as FusedAdamWScalars & { n: number; decay: boolean[] };
    const n = a.n;
    if (n < 1) throw new Error('DistillAdamW: no variables');
    const norm = run.out([]);
    const shapes = Array.from({ length: n }, (_, i) => inputs[`g${i}`].shape);
    const ps = shapes.map((s) => run.out(s));
    const ms = shapes.map((s) => run.out(s));
    const vs = shapes.map((s) => run.out(s));
    let acc = 0;
    for (let i = 0; i < n; i++) acc += run.k.sumSquares(run.addr(inputs[`g${i}`]), sizeOf(shapes[i]));
    const total = Math.sqrt(acc);
    run.f32(norm)[0] = total;
    const c = a.clipNorm !== null && Number.isFinite(a.clipNorm) ? Math.min(a.clipNorm / (total + 1e-6), 1) : 1;
    const { beta1: b1, beta2: b2, stepSize, epsHat } = a;
    for (let i = 0; i < n; i++) {
      const [g, p, m, v] = ['g', 'p', 'm', 'v'].map((x) => run.addr(inputs[`${x}${i}`]));
      run.k.adamw(g, p, m, v, run.addr(ps[i]), run.addr(ms[i]), run.addr(vs[i]), sizeOf(shapes[i]), b1, b2, (1 - b1) * c, (1 - b2) * (c * c), a.decay[i] ? a.keep : 1, stepSize, epsHat);
    }
    return [norm, ...ps, ...ms, ...vs];
  }),
);

// ---------------------------------------------------------------------------------------------
// Losses (losses.ts): KL of temperature softmaxes, contrastive NLL; rows recomputed in the backward.

/** log-sum-exp of X[o .. o + N) / tau (max-shifted). */
function lse(X: Float32Array, o: number, N: number, tau: number): number {
  let m = -Infinity;
  for (let c = o; c < o + N; c++) m = Math.max(m, X[c] / tau);
  let e = 0;
  for (let c = o; c < o + N; c++) e += Math.exp(X[c] / tau - m);
  return m + Math.log(e);
}

interface KlAttrs {
  tauT: number;
  tauS: number;
  factor: number;
}

register(KL, ({ inputs, attrs, backend }) =>
  withWasm(backend, (run) => {
    const { tauT, tauS, factor } = attrs as unknown as KlAttrs;
    const [B, N] = inputs.t.shape;
    const out = run.out([]);
    const [Tt, St] = [run.f32(inputs.t), run.f32(inputs.s)];
    let acc = 0;
    for (let r = 0; r < B; r++) {
      const o = r * N;
      const lt = lse(Tt, o, N, tauT);
      const ls = lse(St, o, N, tauS);
      for (let c = o; c < o + N; c++) {
        const lp = Tt[c] / tauT - lt;
        acc += Math.exp(lp) * (lp - (St[c] / tauS - ls));
      }
    }
    run.f32(out)[0] = acc * factor;
    return [out];
  })[0],
);

// dt = g / tauT p (log p - log q - KL_i), ds = g / tauS (q - p), g = dy factor.
register(KL_GRAD, ({ inputs, attrs, backend }) =>
  withWasm(backend, (run) => {
    const { tauT, tauS, factor } = attrs as unknown as KlAttrs;
    const [B, N] = inputs.t.shape;
    const dt = run.out([B, N]);
    const ds = run.out([B, N]);
    const [Tt, St, DT, DS] = [run.f32(inputs.t), run.f32(inputs.s), run.f32(dt), run.f32(ds)];
    const g = run.f32(inputs.dy)[0] * factor;
    for (let r = 0; r < B; r++) {
      const o = r * N;
      const lt = lse(Tt, o, N, tauT);
      const ls = lse(St, o, N, tauS);
      let kl = 0;
      for (let c = o; c < o + N; c++) {
        const lp = Tt[c] / tauT - lt;
        kl += Math.exp(lp) * (lp - (St[c] / tauS - ls));
      }
      for (let c = o; c < o + N; c++) {
        const lp = Tt[c] / tauT - lt;
        const lq = St[c] / tauS - ls;
        const p = Math.exp(lp);
        DT[c] = (g / tauT) * p * (lp - lq - kl);
        DS[c] = (g / tauS) * (Math.exp(lq) - p);
      }
    }
    return [dt, ds];
  }),
);

register(NLL, ({ inputs, attrs, backend }) =>
  withWasm(backend, (run) => {
    const stride = (attrs as unknown as { stride: number }).stride;
    const [B, N] = inputs.s.shape;
    const out = run.out([]);
    const S = run.f32(inputs.s);
    let acc = 0;
    for (let r = 0; r < B; r++) acc += lse(S, r * N, N, 1) - S[r * N + r * stride];
    run.f32(out)[0] = acc / B;
    return [out];
  })[0],
);

// dS = dy / B (softmax(S) - onehot(pos)), pos_i = i * stride.
register(NLL_GRAD, ({ inputs, attrs, backend }) =>
  withWasm(backend, (run) => {
    const stride = (attrs as unknown as { stride: number }).stride;
    const [B, N] = inputs.s.shape;
    const ds = run.out([B, N]);
    const [S, DS] = [run.f32(inputs.s), run.f32(ds)];
    const g = run.f32(inputs.dy)[0] / B;
    for (let r = 0; r < B; r++) {
      const o = r * N;
      const l = lse(S, o, N, 1);
      for (let c = 0; c < N; c++) DS[o + c] = g * (Math.exp(S[o + c] - l) - (c === r * stride ? 1 : 0));
    }
    return [ds];
  })[0],
);

for (const variant of ['plain', 'residual', 'residualMask'] as const) register(LN_NAMES[variant], layerNorm(variant));
