// The fused kernels on the wasm backend (src/core/kernels/wasm.ts and its SIMD module,
// src/core/kernels/simd): each fused op against the composite tfjs ops it replaces, both on
// wasm, forward and the gradient of sum(y * R) for a random R, to 1e-4 relative; each runs as
// one kernel (tf.profile); AdamW's fused step against the per-variable one. Sizes leave tails
// (H = 18, T = 7, 10 outputs: not multiples of the module's 4 lanes), so the vector and the
// one-lane paths both run. The committed module is the one its AssemblyScript source compiles to.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSimdModule } from '../../../src/cli/buildSimd';
import { registerWasmTrainingKernels } from '../../../src/core/backend/wasmKernels';
import { nllLoss, responseKdLead, responseKdProd } from '../../../src/core/distill/losses';
import {
  fusedDense,
  fusedDenseGelu,
  fusedGelu,
  fusedKernelsActive,
  fusedKl,
  fusedLayerNorm,
  fusedNll,
  fusedSelfAttention,
  keepsActivations,
} from '../../../src/core/kernels';
import { heapKernels, simdKernels, simdOn } from '../../../src/core/kernels/simd';
import { Rng } from '../../../src/core/rng';
import { adamwFusedVsPerVariable, attentionRef, compare as compareFused, composite, geluRef, layerNormRef, linRef, type F } from '../../shared/fusedChecks';

const rng = new Rng(5);
const rnd = (shape: number[], s = 1) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal() * s), shape);

const compare = (f: F, g: F, xs: tf.Tensor[], nGrad = xs.length) => compareFused(f, g, xs, (shape) => rnd(shape), nGrad);

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});
afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('the SIMD module', () => {
  it('loads here (WebAssembly SIMD), and the fused kernels are active on wasm, keeping activations', () => {
    expect(simdKernels()).not.toBeNull();
    expect(heapKernels(tf.backend())).not.toBeNull(); // bound to tfjs-wasm's own memory
    expect(fusedKernelsActive()).toBe(true);
    expect(keepsActivations()).toBe(true);
    composite(() => expect(fusedKernelsActive()).toBe(false));
  });

  it('binary.ts is what assembly/kernels.ts compiles to (npm run build:simd)', async () => {
    const committed = readFileSync(new URL('../../../src/core/kernels/simd/binary.ts', import.meta.url), 'utf8');
    expect(await buildSimdModule()).toBe(committed);
  }, 60_000);

  it('GELU and its gradient at extremes: 0, large |z|, NaN', () => {
    const z = tf.tensor1d([0, -12, 12, -100, 100, 1e-30, NaN, 3]);
    const y = fusedGelu(z).dataSync();
    expect(Array.from(y.slice(0, 6))).toEqual([0, -0, 12, -0, 100, 5e-31].map((v) => expect.closeTo(v, 6)));
    expect(Number.isNaN(y[6])).toBe(true);
    const [d] = tf.grads((a: tf.Tensor) => tf.sum(fusedGelu(a)))([z]);
    const dv = d.dataSync();
    expect(dv[0]).toBeCloseTo(0.5, 6);
    expect(dv[1]).toBeCloseTo(0, 6);
    expect(dv[2]).toBeCloseTo(1, 6);
    expect(Number.isNaN(dv[6])).toBe(true);
    tf.dispose([z, d]);
  });
});

describe('fused kernels on wasm match the composite ops', () => {
  const M = 21; // N * T
  const H = 18;
  const N = 3;
  const T = 7;
  const nh = 3;
  const dh = H / nh;
  const eps = 1e-12;
  const scale = 1 / Math.sqrt(dh);
  const t1 = (t: tf.Tensor) => t as tf.Tensor1D;
  const t2 = (t: tf.Tensor) => t as tf.Tensor2D;
  const ln = layerNormRef(eps);
  const gelu = geluRef;
  const lin = linRef;
  let x: tf.Tensor, r: tf.Tensor, gm: tf.Tensor, bt: tf.Tensor, mask: tf.Tensor, W: tf.Tensor, b: tf.Tensor, bias: tf.Tensor, pm: tf.Tensor;
  let aw: tf.Tensor[];
  beforeAll(() => {
    x = rnd([M, H], 2);
    r = rnd([M, H]);
    gm = rnd([H]);
    bt = rnd([H]);
    mask = tf.tensor(Float32Array.from({ length: M * H }, (_, i) => (i % 3 ? 1.25 : 0)), [M, H]);
    W = rnd([10, H]);
    b = rnd([10]);
    const biasData = new Float32Array(N * T);
    biasData[T - 1] = -1e4;
    biasData[2 * T - 2] = -1e4;
    bias = tf.tensor(biasData, [N, 1, 1, T]);
    pm = tf.tensor(Float32Array.from({ length: N * nh * T * T }, (_, i) => (i % 5 ? 1.1 : 0)), [N, nh, T, T]);
    aw = [rnd([H, H]), rnd([H]), rnd([H, H]), rnd([H]), rnd([H, H]), rnd([H])];
  });
  afterAll(() => tf.dispose([x, r, gm, bt, mask, W, b, bias, pm, ...aw]));

  const attn = (p: tf.Tensor | null) => attentionRef(bias, N, T, nh, scale)(p);
  const fAttn = (p: tf.Tensor | null): F => (a, wq, bq, wk, bk, wv, bv) =>
    fusedSelfAttention(t2(a), { wq, bq, wk, bk, wv, bv } as never, bias, p, nh, T, scale);

  const check = (r0: Awaited<ReturnType<typeof compare>>, kernel: string, skipGrad: number[] = []) => {
    expect(r0.kernels).toEqual([kernel]);
    expect(r0.forward).toBeLessThan(1e-4);
    r0.grads.forEach((e, i) => {
      if (!skipGrad.includes(i)) expect(e, `gradient ${i}`).toBeLessThan(1e-4);
    });
  };

  it('LayerNorm, plain, with a residual, with dropout and a residual', async () => {
    check(await compare((a, g, bb) => fusedLayerNorm(t2(a), null, null, t1(g), t1(bb), eps), ln, [x, gm, bt]), 'DistillLayerNorm');
    check(await compare((a, rr, g, bb) => fusedLayerNorm(t2(a), t2(rr), null, t1(g), t1(bb), eps), (a, rr, g, bb) => ln(tf.add(a, rr), g, bb), [x, r, gm, bt]), 'DistillAddLayerNorm');
    check(
      await compare(
        (a, rr, g, bb, k) => fusedLayerNorm(t2(a), t2(rr), k, t1(g), t1(bb), eps),
        (a, rr, g, bb, k) => ln(tf.add(tf.mul(a, k), rr), g, bb),
        [x, r, gm, bt, mask],
        4,
      ),
      'DistillDropAddLayerNorm',
    );
  });

  it('GELU, dense, dense+GELU (keeping its pre-activation)', async () => {
    check(await compare((a) => fusedGelu(a), gelu, [x]), 'DistillGelu');
    check(await compare((a, w, bb) => fusedDense(t2(a), t2(w), t1(bb)), lin, [x, W, b]), 'DistillDense');
    check(await compare((a, w, bb) => fusedDenseGelu(t2(a), t2(w), t1(bb)), (a, w, bb) => gelu(lin(a, w, bb)), [x, W, b]), 'DistillDenseGeluKeep');
  });

  it('self-attention without and with attention dropout (keeping q, k, v and P)', async () => {
    // The key bias has a zero gradient (softmax ignores a per-row constant): both sides are rounding noise there.
    check(await compare(fAttn(null), attn(null), [x, ...aw]), 'DistillSelfAttentionKeep', [4]);
    check(await compare(fAttn(pm), attn(pm), [x, ...aw]), 'DistillSelfAttentionDropKeep', [4]);
  });

  it('the backward pass recomputes nothing: no matrix product of the forward runs again', async () => {
    const [wq, bq, wk, bk, wv, bv] = aw;
    const w = { wq, bq, wk, bk, wv, bv } as never;
    const f = () => tf.grads((a: tf.Tensor, ww: tf.Tensor) => tf.sum(fusedDenseGelu(fusedSelfAttention(t2(a), w, bias, pm, nh, T, scale), t2(ww), t1(b))))([x, W]);
    const prof = await tf.profile(() => {
      tf.dispose(f());
      return [];
    });
    expect(prof.kernels.map((k) => k.name).filter((n) => n.startsWith('Distill'))).toEqual([
      'DistillSelfAttentionDropKeep',
      'DistillDenseGeluKeep',
      'DistillDenseGrad',
      'DistillSelfAttentionKeepGrad',
    ]);
  });

  it('losses: KL (LEAD and PROD forms), NLL in-batch and in groups', async () => {
    const B = 4;
    const G = 3;
    const lt = rnd([B, B * G], 4);
    const ls = rnd([B, B * G], 4);
    const lgroup = rnd([B, G], 4);
    check(await compare((t, s) => fusedKl(t2(t), t2(s), 0.5, 1, 1 / B), (t, s) => responseKdLead(t2(t), t2(s), 0.5, G), [lt, ls]), 'DistillKl');
    check(await compare((t, s) => fusedKl(t2(t), t2(s), 2, 2, 4 / B), (t, s) => responseKdProd(t2(t), t2(s), 2, G), [lt, ls]), 'DistillKl');
    check(await compare((s) => fusedNll(t2(s), G), (s) => nllLoss(t2(s), G), [ls]), 'DistillNll');
    check(await compare((s) => fusedNll(t2(s), 0), (s) => nllLoss(t2(s), G), [lgroup]), 'DistillNll');
    tf.dispose([lt, ls, lgroup]);
  });

  it('AdamW: two steps fused (one kernel each) equal two per-variable steps (clipping, decay on some variables)', async () => {
    const r = await adamwFusedVsPerVariable([[30, 9], [9], [5, 7, 3], [1]], rnd);
    expect(r.fusedKernels).toBe(2);
    expect(r.perVariableKernels).toBe(0);
    expect(r.maxRelError).toBeLessThan(1e-4);
    expect(r.firstNorm).toBeGreaterThan(1); // the clip engaged
  });

  it('leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    const [wq, bq, wk, bk, wv, bv] = aw;
    const w = { wq, bq, wk, bk, wv, bv } as never;
    const gs = tf.grads((a: tf.Tensor, ww: tf.Tensor) =>
      tf.sum(fusedLayerNorm(t2(fusedDenseGelu(fusedSelfAttention(t2(a), w, bias, pm, nh, T, scale), t2(ww), t1(b))), null, null, t1(tf.ones([10])), t1(tf.zeros([10])), eps)),
    )([x, W]);
    tf.dispose(gs);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('where the SIMD module cannot bind', () => {
  it('a memory its import does not accept (smaller than the 1 page it declares) gives no kernels, and no error', () => {
    expect(simdOn(new WebAssembly.Memory({ initial: 0 }))).toBeNull();
    expect(simdOn(new WebAssembly.Memory({ initial: 1 }))).not.toBeNull();
  });
});
