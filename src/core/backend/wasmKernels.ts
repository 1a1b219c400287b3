// Kernels the tfjs wasm backend lacks for training. tfjs 4.22's wasm backend has no
// UnsortedSegmentSum, which the gradient of tf.gather (every embedding lookup) needs, so a
// plain model cannot train on wasm at all. The wasm backend keeps tensors in the module's
// heap (CPU memory), so a JavaScript kernel reads and writes them without any GPU transfer.
import * as tf from '@tensorflow/tfjs';

interface WasmBackendLike {
  readSync(dataId: unknown): tf.backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}

// x: [N, ...inner] (segmentIds cover the leading dims of x), segmentIds: [N] -> [numSegments, ...inner]
function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const segmentIds = args.inputs.segmentIds as tf.TensorInfo;
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const backend = args.backend as WasmBackendLike;
  const ids = backend.readSync(segmentIds.dataId) as Int32Array | Float32Array;
  const values = backend.readSync(x.dataId) as Float32Array | Int32Array;
  const n = ids.length;
  const inner = n === 0 ? 0 : values.length / n;
  const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
  for (let i = 0; i < n; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue; // as TensorFlow: out-of-range ids are dropped
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] += values[src + j];
  }
  return backend.makeOutput(outShape, x.dtype, undefined, out);
}

let registered = false;

/** Registers the missing training kernels for the 'wasm' backend (idempotent). */
export function registerWasmTrainingKernels(): void {
  if (registered || tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc });
  registered = true;
}
