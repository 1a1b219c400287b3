// Kernels the tfjs wasm backend lacks for training. tfjs 4.22's wasm backend has no
// UnsortedSegmentSum, which the gradient of tf.gather (every embedding lookup) needs, so a
// plain model cannot train on wasm at all. The wasm backend keeps tensors in the module's
// heap (CPU memory), so a JavaScript kernel reads and writes them without any GPU transfer.
import * as tf from '@tensorflow/tfjs';
import { heapKernels } from '../kernels/simd';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of a tensor's memory in the module's heap (detached when the heap grows). */
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

// x: [N, ...inner] (segmentIds cover the leading dims of x), segmentIds: [N] -> [numSegments, ...inner]
function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const segmentIds = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const backend = args.backend as WasmBackendLike;
  const n = segmentIds.shape.reduce((a, b) => a * b, 1);
  const inner = n === 0 ? 0 : x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = backend.makeOutput(outShape, x.dtype);
  // Views taken after the allocation (it may grow the heap); the output is written in place.
  const ids = backend.typedArrayFromHeap(segmentIds);
  const values = backend.typedArrayFromHeap(x);
  const sums = backend.typedArrayFromHeap(out);
  sums.fill(0);
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue; // as TensorFlow: out-of-range ids are dropped
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) sums[dst + j] += values[src + j];
  }
  return out;
}

// Matrix products on the fast path. tfjs 4.22's wasm BatchMatMul and _FusedMatMul hand a
// product to XNNPACK's fully-connected operator only when neither operand is transposed and
// both have a batch of 1; every other product (each weight gradient x^T dy, each input
// gradient dy W^T, every dense layer over a [B, T, H] activation, attention's per-head
// products) runs a scalar triple loop at ~2 GFLOP/s, against ~18 for XNNPACK on this machine
// (a [512,128]^T [512,512] weight gradient: 72 ms against ~5 ms). The lab's kernels below
// transpose an operand explicitly (one pass over it, O(size)), fold a's batch into its rows
// when b has no batch, and run a product whose operands both carry a batch as one XNNPACK
// product per batch entry, on views into the operands' memory (no copies), so that the
// product itself (O(M K N)) always takes the XNNPACK path.
type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap };
type KernelFn = (args: KernelArgs) => tf.TensorInfo;

interface WasmBackendRefs {
  disposeData(dataId: unknown): boolean;
}

/** The tfjs-backend-wasm 4.22 internals the batched product uses (checked by the unit tests against cpu). */
interface WasmBackendInternals extends WasmBackendRefs {
  wasm: {
    cwrap(name: string, ret: null, args: string[]): (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, memoryOffset: number): void; disposeData(id: number): void };
  };
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: unknown): { id: number; memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
}

/**
 * Per batch entry, M*K*N at least this: below it, XNNPACK's per-call cost (an operator made and
 * packed per entry) is more than the scalar loop's. Measured in Node wasm, 64 entries of
 * [M,K]x[K,N]: 8x8x8 0.056 ms scalar / 0.10 ms XNNPACK, 16x16x16 0.33 / 0.22, 32x32x32 2.1 / 1.4;
 * 256 entries of 64x64x32: 34 / 7.6 ms.
 */
let batchedXnnMinMkn = 2048;

/** Sets the batched-product threshold (tests: Infinity keeps tfjs's own loop, 0 always takes XNNPACK); returns the old one. */
export function setBatchedXnnMin(mkn: number): number {
  const old = batchedXnnMinMkn;
  batchedXnnMinMkn = mkn;
  return old;
}

const batchMatMulFns = new WeakMap<object, (...args: unknown[]) => void>();

/** a: [batch, M, K], b: [batch, K, N] (contiguous, float32) -> [batch, M, N], one XNNPACK product per entry. */
function batchedXnn(backend: WasmBackendInternals, a: tf.TensorInfo, b: tf.TensorInfo, batch: number, m: number, k: number, n: number): tf.TensorInfo {
  let mm = batchMatMulFns.get(backend.wasm);
  if (!mm) {
    // The C function behind tfjs's BatchMatMul kernel: (a_id, a_shape, a_rank, b_id, b_shape, b_rank, transpose_a, transpose_b, out_id).
    mm = backend.wasm.cwrap('BatchMatMul', null, ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number']);
    batchMatMulFns.set(backend.wasm, mm);
  }
  const aOff = backend.dataIdMap.get(a.dataId)!.memoryOffset;
  const bOff = backend.dataIdMap.get(b.dataId)!.memoryOffset;
  const out = backend.makeOutput([batch, m, n], 'float32');
  const oOff = backend.dataIdMap.get(out.dataId)!.memoryOffset;
  const aShape = new Uint8Array(new Int32Array([1, m, k]).buffer);
  const bShape = new Uint8Array(new Int32Array([1, k, n]).buffer);
  const { registerTensor, disposeData } = backend.wasm.tfjs;
  for (let i = 0; i < batch; i++) {
    // Views: tensor ids registered on slices of the operands' memory, released without freeing it
    // (tfjs.disposeData drops the id and the XNNPACK operator cached on it; only the backend's
    // disposeData frees memory).
    const ia = backend.dataIdNextNumber++;
    const ib = backend.dataIdNextNumber++;
    const io = backend.dataIdNextNumber++;
    registerTensor(ia, m * k, aOff + i * m * k * 4);
    registerTensor(ib, k * n, bOff + i * k * n * 4);
    registerTensor(io, m * n, oOff + i * m * n * 4);
    try {
      mm(ia, aShape, 3, ib, bShape, 3, 0, 0, io);
    } finally {
      disposeData(ia);
      disposeData(ib);
      disposeData(io);
    }
  }
  return out;
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A tensor's byte address in the wasm heap. */
function addressOf(backend: WasmBackendInternals, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

function fastMatMul(original: KernelFn, transposeKernel: KernelFn, reshapeKernel: KernelFn): KernelFn {
  return (args) => {
    const a = args.inputs.a as tf.TensorInfo;
    const b = args.inputs.b as tf.TensorInfo;
    const bias = args.inputs.bias as tf.TensorInfo | undefined;
    const attrs = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    const tA = Boolean(attrs.transposeA);
    const tB = Boolean(attrs.transposeB);
    const ra = a.shape.length;
    const rb = b.shape.length;
    const batchA = sizeOf(a.shape.slice(0, -2));
    const batchB = sizeOf(b.shape.slice(0, -2));
    const m = tA ? a.shape[ra - 1] : a.shape[ra - 2];
    const k = tA ? a.shape[ra - 2] : a.shape[ra - 1];
    const n = tB ? b.shape[rb - 2] : b.shape[rb - 1];
    const floats = a.dtype === 'float32' && b.dtype === 'float32';
    const backend = args.backend as WasmBackendInternals;
    const temps: tf.TensorInfo[] = [];
    const swapLast = (r: number) => [...Array(r - 2).keys(), r - 1, r - 2];
    // Both operands batched, the same batch shape, no bias or activation: one product per entry.
    const sameBatch = ra === rb && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
    if (floats && batchB > 1 && sameBatch && !bias && !args.inputs.preluActivationWeights && m * k * n >= batchedXnnMinMkn &&
      ((args.attrs?.activation ?? 'linear') === 'linear')) {
      try {
        let a2 = a;
        if (tA) temps.push((a2 = transposeKernel({ inputs: { x: a }, backend, attrs: { perm: swapLast(ra) } })));
        let b2 = b;
        if (tB) temps.push((b2 = transposeKernel({ inputs: { x: b }, backend, attrs: { perm: swapLast(rb) } })));
        const out3 = batchedXnn(backend, a2, b2, batchA, m, k, n);
        temps.push(out3);
        return reshapeKernel({ inputs: { x: out3 }, backend, attrs: { shape: [...a.shape.slice(0, -2), m, n] } });
      } finally {
        for (const t of temps) backend.disposeData(t.dataId);
      }
    }
    // Already on the fast path, or a case this does not change (batched b otherwise, int32, a 2-D bias).
    if ((batchA === 1 && !tA && !tB) || batchB !== 1 || !floats || (bias && bias.shape.length !== 1)) {
      return original(args);
    }
    try {
      // a: [...batchA, M, K] -> [1, batchA * M, K]
      let a2 = a;
      if (tA) temps.push((a2 = transposeKernel({ inputs: { x: a }, backend, attrs: { perm: swapLast(ra) } })));
      const a3 = reshapeKernel({ inputs: { x: a2 }, backend, attrs: { shape: [1, batchA * m, k] } });
      temps.push(a3);
      // b: [...1, K, N] -> [1, K, N]
      let b2 = b;
      if (tB) temps.push((b2 = transposeKernel({ inputs: { x: b }, backend, attrs: { perm: swapLast(rb) } })));
      const b3 = reshapeKernel({ inputs: { x: b2 }, backend, attrs: { shape: [1, k, n] } });
      temps.push(b3);
      // out: [1, batchA * M, N] -> [...broadcast batch, M, N]
      const out3 = original({ ...args, inputs: { ...args.inputs, a: a3, b: b3 }, attrs: { ...args.attrs, transposeA: false, transposeB: false } });
      temps.push(out3);
      const batch = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      return reshapeKernel({ inputs: { x: out3 }, backend, attrs: { shape: [...batch, m, n] } });
    } finally {
      for (const t of temps) backend.disposeData(t.dataId);
    }
  };
}

/** Replaces the wasm backend's kernel `name` by `wrap(original)`, keeping its setup and dispose. */
function replaceKernel(name: string, wrap: (original: KernelFn) => KernelFn): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original) return;
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ ...original, kernelFunc: wrap(original.kernelFunc as unknown as KernelFn) as unknown as tf.KernelFunc });
}

/**
 * Identity without a copy. tfjs-wasm's Identity copies its input into a new buffer (a
 * [512,128] clone: 142 us in Node); tensors are immutable and the wasm backend counts
 * references, so the output can share the input's memory, as the cpu backend's does. A
 * lead-de step runs about 1,000 of them (gradients, clones).
 */
function registerSharedIdentity(): void {
  replaceKernel('Identity', (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original(args);
    (args.backend as { incRef(dataId: unknown): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}

/** Column sums of a [rows, cols] matrix, four rows per pass (in double precision). */
export function sumRows(src: Float32Array, rows: number, cols: number): Float64Array {
  const acc = new Float64Array(cols);
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const b0 = i * cols;
    const b1 = b0 + cols;
    const b2 = b1 + cols;
    const b3 = b2 + cols;
    for (let j = 0; j < cols; j++) acc[j] += src[b0 + j] + src[b1 + j] + (src[b2 + j] + src[b3 + j]);
  }
  for (; i < rows; i++) {
    const b = i * cols;
    for (let j = 0; j < cols; j++) acc[j] += src[b + j];
  }
  return acc;
}

/**
 * Sum over leading axes (bias and LayerNorm-parameter gradients: [N, H] -> [H]) without a
 * transpose. tfjs-wasm's Sum moves the reduced axes innermost with a transpose first and then
 * sums each row: 4 ms for a [4096,128] bias gradient in Node, 16 ms for [4096,512]. Here the
 * rows are added four at a time, reading the input once in order: in the SIMD module (float32
 * lanes per block of 256 rows, float64 totals), else into a float64 accumulator in JavaScript.
 * Other reductions (the last axis, int32) keep tfjs's kernel.
 */
function registerLeadingAxesSum(): void {
  replaceKernel('Sum', (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { axis, keepDims } = (args.attrs ?? {}) as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32') return original(args);
    const backend = args.backend as WasmBackendInternals & { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
    const rows = sizeOf(x.shape.slice(0, axes.length));
    const inner = x.shape.slice(axes.length);
    const cols = sizeOf(inner);
    const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...inner] : inner, 'float32');
    const k = heapKernels(backend);
    if (k) {
      const t = backend.makeOutput([2 * cols], 'float32'); // float64 totals
      try {
        k.colSums(addressOf(backend, x), rows, cols, addressOf(backend, out), addressOf(backend, t));
      } finally {
        backend.disposeData(t.dataId);
      }
      return out;
    }
    // Views after makeOutput: an allocation may grow the heap and detach older views.
    backend.typedArrayFromHeap(out).set(sumRows(backend.typedArrayFromHeap(x), rows, cols));
    return out;
  });
}

/**
 * Transposes of float32 tensors, faster. tfjs-wasm's Transpose walks the output with general
 * N-d index arithmetic: 6.6 ns a value in Node here (a [1024, 512] transpose: 3.5 ms), ~180 ms of
 * a full-scale lead-de step (the matrix products' explicit transposes, attention's heads). Two
 * cases are replaced: swapping the last two axes (a batch of matrices), by the SIMD module's
 * blocked transpose (on the heap, in place of tfjs's); and any permutation that keeps the last axis in
 * place: attention's [N, T, nh, dh] <-> [N, nh, T, dh] ([0, 2, 1, 3]) in the SIMD module, others
 * as runs of the last axis copied within the heap (copyWithin). Other permutations and dtypes
 * keep tfjs's kernel.
 */
function registerFastTranspose(): void {
  replaceKernel('Transpose', (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const perm = (args.attrs as { perm: number[] }).perm;
    const r = perm.length;
    const size = sizeOf(x.shape);
    if (x.dtype !== 'float32' || r < 2 || size === 0) return original(args);
    const swapLast = perm.every((p, i) => (i < r - 2 ? p === i : i === r - 2 ? p === r - 1 : p === r - 2));
    const keepsLast = perm[r - 1] === r - 1 && perm.some((p, i) => p !== i);
    const backend = args.backend as WasmBackendInternals & { typedArrayFromHeap(t: tf.TensorInfo): Float32Array };
    const k = heapKernels(backend);
    const heads = r === 4 && perm.join() === '0,2,1,3';
    if (!(swapLast && k) && !keepsLast) return original(args);
    const outShape = perm.map((p) => x.shape[p]);
    const out = backend.makeOutput(outShape, 'float32');
    if (k && swapLast) {
      const rows = x.shape[r - 2];
      const cols = x.shape[r - 1];
      k.transpose(addressOf(backend, x), addressOf(backend, out), size / (rows * cols), rows, cols);
      return out;
    }
    if (k && heads) {
      k.permute0213(addressOf(backend, x), addressOf(backend, out), x.shape[0], x.shape[1], x.shape[2], x.shape[3]);
      return out;
    }
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    // Runs of the last axis: walk the output's leading indices (an odometer), tracking the
    // source offset; copy each run within the heap.
    const heap = new Float32Array(src.buffer);
    const s0 = src.byteOffset / 4;
    const d0 = dst.byteOffset / 4;
    const inner = x.shape[r - 1];
    const strides = x.shape.map((_, i) => sizeOf(x.shape.slice(i + 1)));
    const step = perm.slice(0, r - 1).map((p) => strides[p]); // source stride of each output axis
    const dims = outShape.slice(0, r - 1);
    const idx = new Array<number>(r - 1).fill(0);
    let so = 0;
    for (let o = 0; o < size; o += inner) {
      heap.copyWithin(d0 + o, s0 + so, s0 + so + inner);
      for (let a = r - 2; a >= 0; a--) {
        so += step[a];
        if (++idx[a] < dims[a]) break;
        so -= step[a] * dims[a];
        idx[a] = 0;
      }
    }
    return out;
  });
}

/** Whether (value a, index ia) ranks above (b, ib): larger value, then lower index; NaN last. */
function ranksAbove(a: number, ia: number, b: number, ib: number): boolean {
  if (a > b) return true;
  if (a < b) return false;
  if (a === b) return ia < ib;
  return b !== b && (a === a || ia < ib); // NaN involved: a number ranks above NaN
}

/**
 * TopK without sorting whole rows. tfjs-wasm's TopK copies each row into a vector and std::sorts
 * it (O(n log n) per row, and allocation); the lab's exact search asks for the top 100 of blocks
 * of thousands of scores. Here each row is scanned once against a heap of the k best so far (its
 * root the worst of them): O(n log k), then the k are sorted. Same order as tfjs: larger value
 * first, ties by lower index. float32 only (int32 keeps tfjs's kernel).
 */
function registerSelectTopK(): void {
  replaceKernel('TopK', (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const k = (args.attrs as { k: number }).k;
    if (x.dtype !== 'float32') return original(args);
    const backend = args.backend as WasmBackendInternals & { typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array };
    const n = x.shape[x.shape.length - 1];
    const rows = n === 0 ? 0 : sizeOf(x.shape) / n;
    const outShape = [...x.shape.slice(0, -1), k];
    const values = backend.makeOutput(outShape, 'float32');
    const indices = backend.makeOutput(outShape, 'int32');
    const X = backend.typedArrayFromHeap(x) as Float32Array;
    const V = backend.typedArrayFromHeap(values) as Float32Array;
    const I = backend.typedArrayFromHeap(indices) as Int32Array;
    const hv = new Float32Array(k);
    const hi = new Int32Array(k);
    const order = Array.from({ length: k }, (_, i) => i);
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      let size = 0;
      for (let j = 0; j < n; j++) {
        const v = X[o + j];
        if (size < k) {
          // Sift up: the root is the worst kept.
          let c = size++;
          while (c > 0) {
            const p = (c - 1) >> 1;
            if (!ranksAbove(hv[p], hi[p], v, j)) break;
            hv[c] = hv[p];
            hi[c] = hi[p];
            c = p;
          }
          hv[c] = v;
          hi[c] = j;
        } else if (k > 0 && ranksAbove(v, j, hv[0], hi[0])) {
          // Replace the worst kept and sift down.
          let c = 0;
          for (;;) {
            const l = 2 * c + 1;
            if (l >= k) break;
            const m = l + 1 < k && ranksAbove(hv[l], hi[l], hv[l + 1], hi[l + 1]) ? l + 1 : l;
            if (!ranksAbove(v, j, hv[m], hi[m])) break;
            hv[c] = hv[m];
            hi[c] = hi[m];
            c = m;
          }
          hv[c] = v;
          hi[c] = j;
        }
      }
      order.sort((a, b) => (ranksAbove(hv[a], hi[a], hv[b], hi[b]) ? -1 : 1));
      for (let i = 0; i < k; i++) {
        V[r * k + i] = hv[order[i]];
        I[r * k + i] = hi[order[i]];
      }
    }
    return [values, indices] as unknown as tf.TensorInfo;
  });
}

function registerFastMatMuls(): void {
  const transpose = tf.getKernel('Transpose', 'wasm');
  const reshape = tf.getKernel('Reshape', 'wasm');
  if (!transpose || !reshape) return;
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    replaceKernel(name, (original) => fastMatMul(original, transpose.kernelFunc as unknown as KernelFn, reshape.kernelFunc as unknown as KernelFn));
  }
}

let registered = false;

/**
 * Registers the missing training kernels for the 'wasm' backend, puts its matrix products
 * on XNNPACK's path, makes Identity share memory and sums over leading axes without a
 * transpose (idempotent). Call after importing the wasm backend.
 */
export function registerWasmTrainingKernels(): void {
  if (registered || tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  if (!tf.getKernel('BatchMatMul', 'wasm')) throw new Error('registerWasmTrainingKernels: import @tensorflow/tfjs-backend-wasm first (its kernels are wrapped)');
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc });
  registerFastTranspose();
  registerSelectTopK();
  registerFastMatMuls();
  registerSharedIdentity();
  registerLeadingAxesSum();
  registered = true;
}
