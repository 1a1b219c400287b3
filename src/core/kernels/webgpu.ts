// The plumbing of the lab's fused kernels on tfjs's WebGPU backend (no import of the backend
// package: its programs are plain objects, run through the backend's runWebGPUProgram).
//
// A fused kernel is registered with tf.registerKernel for 'webgpu' and runs, inside one
// kernel function, several WGSL programs of its own and calls of the backend's own kernel
// functions (matMul, transpose, reshape): to the engine (tf.profile, the tape) it is one
// kernel. Its gradient is registered with tf.registerGradient and calls one backward kernel.
// On every other backend the ops fall back to the composite tfjs code (the same math).

import * as tf from '@tensorflow/tfjs';
import { heapKernels } from './simd';

/** What the kernels use of tfjs-backend-webgpu's WebGPUBackend. */
export interface WebGPUBackendLike {
  runWebGPUProgram(program: Program, inputs: tf.TensorInfo[], outputDtype: tf.DataType, programUniforms?: Uniform[]): tf.TensorInfo;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** A program-defined uniform value (declared in Program.uniforms, in the same order). */
export interface Uniform {
  type: 'float32' | 'int32';
  data: number[];
}

/** tfjs-backend-webgpu's WebGPUProgram, the fields a flat (1-D dispatched) program needs. */
export interface Program {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size: boolean;
  uniforms?: string;
  getUserCode(): string;
}

let fusedEnabled = true;

/** Turns the fused kernels off (true: on, the default) for comparisons against the composite ops. */
export function setFusedKernels(on: boolean): void {
  fusedEnabled = on;
}

/**
 * Whether the ops use the fused kernels now: enabled and the current backend has them (webgpu,
 * and wasm where WebAssembly SIMD is there: wasm.ts, simd/).
 */
export function fusedKernelsActive(): boolean {
  if (!fusedEnabled) return false;
  const b = tf.getBackend();
  return b === 'webgpu' || (b === 'wasm' && heapKernels(tf.backend()) !== null);
}

/**
 * Whether the fused dense+GELU and attention keep their activations for the backward pass
 * (the pre-activation; q, k, v and the probabilities) instead of recomputing them from the
 * inputs there. On wasm (CPU memory, arithmetic-bound) recomputing would add a fifth to a
 * training step's matrix products; webgpu recomputes and holds nothing of [N, nh, T, T].
 */
export function keepsActivations(): boolean {
  return tf.getBackend() === 'wasm';
}

/**
 * How row-wise programs (LayerNorm statistics and gradient, attention softmax and its gradient)
 * map rows to invocations: one workgroup of 64 per row with a tree reduction in workgroup
 * memory, or one invocation per row looping over it. 'auto' takes one invocation per row when
 * the row has at most ROW_PER_THREAD_MAX elements: the lab's small models (H 16 to 128, T up
 * to 64) would leave most of a 64-wide workgroup idle, and a software adapter (SwiftShader)
 * pays dearly for every workgroupBarrier (measured: a 2 x 32 encoder's LayerNorm over
 * [3072, 32] took 230 ms with a workgroup per row). Longer rows keep the workgroup reduction.
 */
export type RowStrategy = 'auto' | 'thread' | 'workgroup';
export const ROW_PER_THREAD_MAX = 128;
let rowStrategy: RowStrategy = 'auto';

/** Forces one row mapping ('auto' restores the choice by row length): for tests of both paths. */
export function setRowStrategy(s: RowStrategy): void {
  rowStrategy = s;
}

/** Whether rows of `len` elements run one invocation each. */
export function rowPerThread(len: number): boolean {
  return rowStrategy === 'thread' || (rowStrategy === 'auto' && len <= ROW_PER_THREAD_MAX);
}

export function webgpuBackend(backend: unknown): WebGPUBackendLike {
  return backend as WebGPUBackendLike;
}

/** A WGSL f32 literal. */
export function f32(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`not a finite number: ${x}`);
  return `f32(${x.toExponential()})`;
}

/**
 * A program over `threads` invocations in workgroups of `workgroup` (one invocation per
 * output element, or one workgroup per row: then threads = rows * workgroup). `code` defines
 * `fn main(index : i32)`; inputs are arrays named as in `inputs`, the output is `result`.
 * `key` must make the shader code unique (every constant baked into `code`). Every input must
 * be read by the code (WebGPU drops unused bindings from an 'auto' layout).
 */
export function program(key: string, inputs: string[], outputShape: number[], threads: number, code: string, opts: { workgroup?: number; uniforms?: string } = {}): Program {
  const wg = opts.workgroup ?? 64;
  return {
    variableNames: inputs,
    outputShape,
    shaderKey: `distill_${key}`,
    dispatchLayout: { x: outputShape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(threads / wg)), 1, 1],
    workgroupSize: [wg, 1, 1],
    size: true,
    uniforms: opts.uniforms,
    // Every binding must be used (the pipeline layout is 'auto'): the uniforms always are.
    getUserCode: () => code.replace('fn main(index : i32) {', 'fn main(index : i32) {\n    _ = uniforms.size;'),
  };
}

/** WGSL: tree-reduce `red` (workgroup array of `n`, a power of 2) to red[0]; every thread calls it. */
export function reduceSnippet(n: number, fnName = 'reduceSum'): string {
  return `
  var<workgroup> red : array<f32, ${n}>;
  fn ${fnName}(tid : i32, v : f32) -> f32 {
    red[tid] = v;
    workgroupBarrier();
    for (var s = ${n / 2}; s > 0; s = s >> 1) {
      if (tid < s) { red[tid] = red[tid] + red[tid + s]; }
      workgroupBarrier();
    }
    let total = red[0];
    workgroupBarrier();
    return total;
  }`;
}

/** Runs kernels and programs on the webgpu backend, freeing its intermediates at the end. */
export class Runner {
  private temps: tf.TensorInfo[] = [];
  constructor(readonly backend: WebGPUBackendLike) {}

  /** A program's output (freed at dispose unless kept). */
  run(p: Program, inputs: tf.TensorInfo[], uniforms?: Uniform[], dtype: tf.DataType = 'float32'): tf.TensorInfo {
    return this.temp(this.backend.runWebGPUProgram(p, inputs, dtype, uniforms));
  }

  /** The backend's own kernel `name` (not seen by the engine: no profile entry, no tape). */
  kernel(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
    const k = tf.getKernel(name, 'webgpu');
    if (!k) throw new Error(`no webgpu kernel ${name}`);
    const out = k.kernelFunc({ inputs, attrs, backend: this.backend as unknown as tf.KernelBackend });
    return this.temp(out as tf.TensorInfo);
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.kernel('Reshape', { x }, { shape });
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.kernel('Transpose', { x }, { perm });
  }

  /** a [..., M, K] x b [..., K, N] (with transposes) -> [..., M, N]; bias [N] added when given. */
  matMul(a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean, bias?: tf.TensorInfo): tf.TensorInfo {
    const small = smallMatMulProgram(a.shape, b.shape, transposeA, transposeB, bias !== undefined);
    if (small) return this.run(small, bias ? [a, b, bias] : [a, b]);
    if (bias) return this.kernel('_FusedMatMul', { a, b, bias }, { transposeA, transposeB, activation: 'linear' });
    return this.kernel('BatchMatMul', { a, b }, { transposeA, transposeB });
  }

  add(a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
    return this.kernel('Add', { a, b });
  }

  /** Keeps `x` past dispose (a kernel output). */
  keep<T extends tf.TensorInfo>(x: T): T {
    this.temps = this.temps.filter((t) => t !== x);
    return x;
  }

  private temp(x: tf.TensorInfo): tf.TensorInfo {
    this.temps.push(x);
    return x;
  }

  dispose(): void {
    for (const t of this.temps) this.backend.disposeData(t.dataId);
    this.temps = [];
  }
}

/**
 * Runs `f` with a Runner and frees every intermediate it made but the returned outputs.
 */
export function withRunner(backend: unknown, f: (r: Runner) => tf.TensorInfo[]): tf.TensorInfo[] {
  const r = new Runner(webgpuBackend(backend));
  try {
    const outs = f(r);
    outs.forEach((o) => r.keep(o));
    return outs;
  } finally {
    r.dispose();
  }
}

/**
 * WGSL: a matMul with a short inner dimension, one invocation per output element looping over
 * K (no workgroup memory), for the row mapping of rowPerThread(K): the lab's models have
 * K = H or dh of 8 to 128 in every forward product, where tfjs's tiled programs leave most of
 * a tile empty and a software adapter pays for their barriers (measured on SwiftShader: a
 * [3072, 32] x [32, 32] dense took ~70 ms tiled). Products over many rows (weight gradients,
 * K = rows) stay with tfjs's programs. a and b must have the same batch dimensions (no
 * broadcasting); returns null where this program does not apply.
 */
export function smallMatMulProgram(aShape: number[], bShape: number[], transposeA: boolean, transposeB: boolean, bias: boolean): Program | null {
  if (aShape.length !== bShape.length || aShape.length < 2) return null;
  const r = aShape.length;
  const batchDims = aShape.slice(0, r - 2);
  if (batchDims.some((d, i) => d !== bShape[i])) return null;
  const [M, K] = transposeA ? [aShape[r - 1], aShape[r - 2]] : [aShape[r - 2], aShape[r - 1]];
  const [K2, N] = transposeB ? [bShape[r - 1], bShape[r - 2]] : [bShape[r - 2], bShape[r - 1]];
  if (K !== K2) throw new RangeError(`matMul: inner dimensions ${K} and ${K2} differ`);
  if (!rowPerThread(K)) return null;
  const batch = batchDims.reduce((x, y) => x * y, 1);
  const total = batch * M * N;
  const aIdx = transposeA ? `k * ${M} + row` : `row * ${K} + k`;
  const bIdx = transposeB ? `col * ${K} + k` : `k * ${N} + col`;
  return program(`smallmm_${batch}_${M}_${N}_${K}_${transposeA}_${transposeB}_${bias}`, bias ? ['A', 'B', 'Bias'] : ['A', 'B'], [...batchDims, M, N], total, `
  fn main(index : i32) {
    if (index >= ${total}) { return; }
    let bi = index / ${M * N};
    let row = (index / ${N}) % ${M};
    let col = index % ${N};
    let aBase = bi * ${M * K};
    let bBase = bi * ${K * N};
    var s = 0.0;
    for (var k = 0; k < ${K}; k++) { s = s + A[aBase + ${aIdx}] * B[bBase + ${bIdx}]; }
    result[index] = s${bias ? ' + Bias[col]' : ''};
  }`);
}

/** WGSL: column sums of a [rows, cols] array `src` (one invocation per column). */
export function colSumProgram(key: string, input: string, rows: number, cols: number): Program {
  return program(`colsum_${key}_${rows}_${cols}`, [input], [cols], cols, `
  fn main(index : i32) {
    if (index >= ${cols}) { return; }
    var s = 0.0;
    for (var r = 0; r < ${rows}; r++) { s = s + ${input}[r * ${cols} + index]; }
    result[index] = s;
  }`);
}

/** WGSL: element-wise a * b of two arrays of `size` (e.g. a gradient times a dropout mask). */
export function mulProgram(size: number, shape: number[]): Program {
  return program(`mul_${size}`, ['A', 'B'], shape, size, `
  fn main(index : i32) {
    if (index < uniforms.size) { result[index] = A[index] * B[index]; }
  }`);
}

/** WGSL: a copy (a second, independent output holding the same values). */
export function copyProgram(size: number, shape: number[]): Program {
  return program(`copy_${size}`, ['A'], shape, size, `
  fn main(index : i32) {
    if (index < uniforms.size) { result[index] = A[index]; }
  }`);
}

/** Registers a kernel (for webgpu here, for wasm in wasm.ts) once (module re-evaluation, e.g. under vitest or HMR). */
export function registerOnce(config: tf.KernelConfig, grad?: tf.GradConfig): void {
  if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
  if (grad) registerGradientOnce(grad);
}

/** Registers a gradient once (every backend's kernel of that name shares it). */
export function registerGradientOnce(grad: tf.GradConfig): void {
  if (!tf.getGradient(grad.kernelName)) tf.registerGradient(grad);
}

/** Runs a registered kernel through the engine (one profile entry, recorded on the tape). */
export function runKernel<T extends tf.Tensor | tf.Tensor[]>(name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown> = {}): T {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as unknown as T;
}
