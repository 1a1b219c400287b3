// The lab's wasm kernels (src/core/backend/wasmKernels.ts) against the cpu backend. Matrix
// products: every transpose combination, batch folding, broadcast batches, batched products on
// XNNPACK views and on tfjs's own loop, fused bias and activation, and gradients; no data ids
// left behind. Sums over leading axes, the embedding gradient (UnsortedSegmentSum), Identity.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels, setBatchedXnnMin } from '../../../src/core/backend/wasmKernels';
import { Rng } from '../../../src/core/rng';

const rng = new Rng(11);
const rand = (shape: number[]) => Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal());

async function on<T>(backend: string, f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1e-2 + Math.abs(want[i])));
  return worst;
}

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});
afterAll(async () => {
  setBatchedXnnMin(2048);
  await tf.setBackend('cpu');
});

// [a shape, b shape, transposeA, transposeB]
const CASES: [number[], number[], boolean, boolean][] = [
  [[5, 7], [7, 3], false, false],
  [[7, 5], [7, 3], true, false],
  [[5, 7], [3, 7], false, true],
  [[7, 5], [3, 7], true, true],
  [[2, 6, 8], [8, 4], false, false], // a's batch folded into rows
  [[2, 8, 6], [1, 4, 8], true, true],
  [[3, 2, 6, 8], [8, 5], false, false], // rank 4, b without batch
  [[4, 16, 8], [4, 8, 16], false, false], // both batched
  [[4, 8, 16], [4, 16, 8], true, true],
  [[2, 3, 16, 8], [2, 3, 16, 12], true, false], // rank 4, both batched (attention's shape)
  [[2, 3, 12, 16], [2, 3, 12, 16], false, true],
  [[1, 6, 8], [3, 8, 4], false, false], // a broadcast over b's batch: tfjs's own kernel
  [[2, 1, 6, 8], [2, 3, 8, 4], false, false],
];

describe('wasm matMul on XNNPACK', () => {
  for (const threshold of [0, Infinity]) {
    for (const [as, bs, tA, tB] of CASES) {
      it(`${JSON.stringify(as)} x ${JSON.stringify(bs)} transposeA=${tA} transposeB=${tB}, batched threshold ${threshold}: values and gradients as cpu`, async () => {
        const a = rand(as);
        const b = rand(bs);
        const run = () =>
          tf.tidy(() => {
            const ta = tf.tensor(a, as);
            const tb = tf.tensor(b, bs);
            const out = tf.matMul(ta, tb, tA, tB);
            const w = tf.tensor(Float32Array.from({ length: out.size }, (_, i) => Math.sin(i)), out.shape);
            // tfjs's BatchMatMul gradient does not reduce broadcast batches (on any backend): gradients only where the batch shapes match.
            if (JSON.stringify(as.slice(0, -2)) !== JSON.stringify(bs.slice(0, -2))) return { shape: out.shape, out: out.dataSync().slice(), ga: new Float32Array(), gb: new Float32Array() };
            const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, tA, tB), w)))([ta, tb]);
            return { shape: out.shape, out: out.dataSync().slice(), ga: ga.dataSync().slice(), gb: gb.dataSync().slice() };
          });
        const want = await on('cpu', run);
        setBatchedXnnMin(threshold);
        const before = await on('wasm', () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds());
        const got = run();
        expect((tf.backend() as unknown as { numDataIds(): number }).numDataIds()).toBe(before);
        expect(got.shape).toEqual(want.shape);
        expect(maxRelError(got.out, want.out)).toBeLessThan(1e-4);
        expect(maxRelError(got.ga, want.ga)).toBeLessThan(1e-4);
        expect(maxRelError(got.gb, want.gb)).toBeLessThan(1e-4);
      });
    }
  }

  it('fused matMul with bias and relu, transposed and folded, as cpu', async () => {
    const as = [2, 8, 6];
    const bs = [5, 8];
    const a = rand(as);
    const b = rand(bs);
    const bias = rand([5]);
    const run = () =>
      tf.tidy(() => tf.fused.matMul({ a: tf.tensor(a, as), b: tf.tensor(b, bs), transposeA: true, transposeB: true, bias: tf.tensor(bias, [5]), activation: 'relu' }).dataSync().slice());
    const want = await on('cpu', run);
    const got = await on('wasm', run);
    expect(maxRelError(got, want)).toBeLessThan(1e-4);
    expect(Array.from(got).some((v) => v === 0)).toBe(true); // relu applied
  });

  it('Identity shares memory: a clone outlives its source, and nothing is left behind', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    const x = tf.tensor([1, 2, 3]);
    const c = tf.clone(x);
    expect(backend.numDataIds()).toBe(before + 1); // one buffer, two tensors
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
    expect(backend.numDataIds()).toBe(before);
  });

  for (const [shape, axis, keepDims] of [
    [[64, 16], 0, false],
    [[64, 16], [0], true],
    [[4, 8, 16], [1, 0], false],
    [[4, 8, 16], [-3], true],
    [[1001, 19], 0, false], // blocks of 256 rows and a tail of 1; 19 columns: a tail of 3
    [[4, 8, 16], -1, false], // the last axis: tfjs's kernel
    [[4, 8, 16], [0, 2], false], // not a leading block: tfjs's kernel
  ] as [number[], number | number[], boolean][]) {
    it(`sum of ${JSON.stringify(shape)} over ${JSON.stringify(axis)} keepDims=${keepDims} as cpu`, async () => {
      const x = rand(shape);
      const run = () => tf.tidy(() => {
        const out = tf.sum(tf.tensor(x, shape), axis, keepDims);
        return { shape: out.shape, values: out.dataSync().slice() };
      });
      const want = await on('cpu', run);
      const got = await on('wasm', run);
      expect(got.shape).toEqual(want.shape);
      expect(maxRelError(got.values, want.values)).toBeLessThan(1e-5);
    });
  }

  for (const [shape, perm, dtype] of [
    [[5, 7], [1, 0], 'float32'], // edges only (7 columns, 5 rows: 4 x 4 blocks plus edges)
    [[3, 33, 18], [0, 2, 1], 'float32'], // a batch, a 16 x 16 tile boundary and both edges
    [[2, 3, 8, 12], [0, 1, 3, 2], 'float32'],
    [[2, 5, 3, 4], [0, 2, 1, 3], 'float32'], // attention's heads (the SIMD module's permute)
    [[3, 4, 5, 6], [0, 2, 1, 3], 'float32'], // runs of 6: a tail of 2
    [[2, 3, 4, 5], [1, 0, 2, 3], 'float32'],
    [[2, 3, 4, 5], [2, 0, 1, 3], 'float32'],
    [[2, 3, 4], [2, 1, 0], 'float32'], // neither case: tfjs's kernel
    [[4, 6], [1, 0], 'int32'], // int32: tfjs's kernel
  ] as [number[], number[], 'float32' | 'int32'][]) {
    it(`transpose ${dtype} ${JSON.stringify(shape)} by ${JSON.stringify(perm)} as cpu`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = dtype === 'int32' ? Int32Array.from({ length: n }, (_, i) => i * 7 - 40) : Float32Array.from({ length: n }, (_, i) => i + 0.5);
      const run = () => tf.tidy(() => {
        const out = tf.transpose(tf.tensor(x, shape, dtype), perm);
        return { shape: out.shape, dtype: out.dtype, values: Array.from(out.dataSync()) };
      });
      const want = await on('cpu', run);
      const got = await on('wasm', run);
      expect(got).toEqual(want);
    });
  }

  for (const [shape, k, ties] of [
    [[3, 1000], 100, false],
    [[4, 257], 10, true], // values from 8 levels: ties everywhere, ranked by index
    [[2, 50], 50, true], // k = n: a whole sort
    [[7], 1, false],
    [[2, 3, 9], 4, true],
  ] as [number[], number, boolean][]) {
    it(`topk of ${JSON.stringify(shape)}, k = ${k}${ties ? ', with ties' : ''}: values and indices as cpu`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = ties ? Float32Array.from({ length: n }, () => Math.floor(rng.next() * 8) - 3) : rand(shape);
      const run = () => tf.tidy(() => {
        const { values, indices } = tf.topk(tf.tensor(x, shape), k);
        return { shape: values.shape, values: Array.from(values.dataSync()), indices: Array.from(indices.dataSync()), dtype: indices.dtype };
      });
      const want = await on('cpu', run);
      const got = await on('wasm', run);
      expect(got).toEqual(want);
    });
  }

  it('the embedding gradient (UnsortedSegmentSum) as cpu: repeated and out-of-range ids, float32 and int32', async () => {
    const ids = [3, 0, 3, 7, -1, 2, 9, 0];
    const x = rand([8, 5]);
    const run = () => tf.tidy(() => ({
      f: tf.unsortedSegmentSum(tf.tensor(x, [8, 5]), tf.tensor1d(ids, 'int32'), 8).dataSync().slice(),
      i: tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8], 'int32'), tf.tensor1d(ids, 'int32'), 8).dataSync().slice(),
    }));
    const want = await on('cpu', run);
    const got = await on('wasm', run);
    expect(maxRelError(got.f, want.f)).toBeLessThan(1e-6);
    expect(Array.from(got.i)).toEqual(Array.from(want.i));
    expect(Array.from(got.i)).toEqual([10, 0, 6, 4, 0, 0, 0, 4]); // ids 9 and -1 dropped
  });
});
