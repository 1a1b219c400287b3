// Node WebGPU (the optional npm package `webgpu`, Dawn) as src/cli/backend.ts sets it up for
// `npm run lab` and `npm run bench`: when an adapter is there (on these CPU-only machines,
// Debian Chromium's SwiftShader, found without any environment variable), the lab's model
// computes a loss and the gradients of every weight on webgpu equal to the cpu backend's, the
// backend's own self-check passes, and exact top-k keeps the tie order. Without an adapter
// (no `webgpu` package, no Vulkan driver, no Chromium) the tests are skipped, saying why.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installNodeWebGPU } from '../../../src/cli/backend';
import { selfCheckBackend } from '../../../src/core/backend/selfcheck';
import { gpuMemory, randomBatch } from '../../../src/core/bench';
import { nllLoss } from '../../../src/core/distill/losses';
import { validateModelConfig } from '../../../src/core/model/config';
import { RetrievalModel, type ModelBatch } from '../../../src/core/model/retriever';
import { exactTopK } from '../../../src/core/retrieval/search';
import { Rng } from '../../../src/core/rng';
import { SPECIAL_TOKENS } from '../../../src/core/text/tokenizerBase';
import { HashedWordTokenizer } from '../../../src/core/text/tokenizerHashed';
import { lossAndGrads } from '../../../src/core/train/optimizer';

const gpu = await installNodeWebGPU();
const G = 2;

/** Loss and every gradient of a small seeded DE (2 layers, hidden 16) on the current backend. */
async function lossAndGradients(): Promise<{ loss: number; grads: Record<string, Float32Array> }> {
  const cfg = validateModelConfig({
    kind: 'de', layers: 2, hidden: 16, heads: 2, ffn: 32, vocabSize: 50, maxQueryLen: 8, maxPassageLen: 12, initSeed: 5,
  });
  const model = RetrievalModel.create(cfg, new HashedWordTokenizer([], cfg.vocabSize - SPECIAL_TOKENS.length, { hashSeed: 1 }));
  const rng = new Rng(3);
  const batch: ModelBatch = { kind: 'separate', queries: randomBatch(rng, 3, 8, 50), passages: randomBatch(rng, 3 * G, 12, 50), groupSize: G };
  try {
    const { out, grads } = lossAndGrads(() => {
      const s = model.scoresFromBatch(batch, { training: false, layers: [] });
      return { total: nllLoss(s.final, G) };
    }, model.trainableVariables());
    const loss = (await out.total.data())[0];
    const read: Record<string, Float32Array> = {};
    // Variable names carry the model instance's prefix (m1/...): keyed without it.
    for (const [name, g] of Object.entries(grads)) read[name.replace(/^[^/]*\//, '')] = (await g.data()) as Float32Array;
    tf.dispose([out.total, ...Object.values(grads)]);
    return { loss, grads: read };
  } finally {
    model.dispose();
  }
}

describe.skipIf(!gpu.adapter)(`Node WebGPU (${gpu.text})`, () => {
  let previous = '';
  beforeAll(() => {
    previous = tf.getBackend();
  });
  afterAll(async () => {
    if (previous) await tf.setBackend(previous);
  });

  it('the adapter is described, and a CPU-only machine is told apart as a software adapter', () => {
    expect(gpu.adapter).not.toBeNull();
    expect(gpu.text.length).toBeGreaterThan(0);
    if (/swiftshader/i.test(`${gpu.adapter!.architecture} ${gpu.adapter!.description}`)) expect(gpu.text).toMatch(/software adapter/);
  });

  it("the lab model's loss and gradients on webgpu equal the cpu backend's", async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
    const ref = await lossAndGradients();
    expect(await tf.setBackend('webgpu')).toBe(true);
    await tf.ready();
    expect(tf.getBackend()).toBe('webgpu');
    const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
    expect(device).toBeDefined();
    const got = await lossAndGradients();
    expect(Number.isFinite(ref.loss)).toBe(true);
    expect(got.loss).toBeCloseTo(ref.loss, 4);
    const names = Object.keys(ref.grads).sort();
    expect(Object.keys(got.grads).sort()).toEqual(names);
    expect(names.length).toBeGreaterThan(10);
    // These gradients are small (1e-14 .. 2e-3) and webgpu sums in another order than cpu:
    // measured here, |webgpu - cpu| <= 2e-6 everywhere (wasm - cpu is of the same order). So:
    // every gradient within 2e-3 of the largest gradient of the model, and each one that is
    // not negligible pointing the same way (cosine > 0.999): a missing or wrong kernel fails.
    const globalMax = Math.max(...names.map((n) => Math.max(...Array.from(ref.grads[n], Math.abs))));
    expect(globalMax).toBeGreaterThan(1e-4);
    let compared = 0;
    for (const name of names) {
      const a = got.grads[name];
      const b = ref.grads[name];
      expect(a.length, name).toBe(b.length);
      let worst = 0;
      let dot = 0;
      let na = 0;
      let nb = 0;
      for (let i = 0; i < b.length; i++) {
        worst = Math.max(worst, Math.abs(a[i] - b[i]));
        dot += a[i] * b[i];
        na += a[i] * a[i];
        nb += b[i] * b[i];
      }
      expect(worst, name).toBeLessThanOrEqual(2e-3 * globalMax);
      if (Math.sqrt(nb) > 1e-3 * globalMax) {
        expect(dot / Math.sqrt(na * nb), name).toBeGreaterThan(0.999);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(names.length / 3);
  });

  it("the backend's self-check (tiny transformer block: loss and gradients vs cpu) passes", async () => {
    const r = await selfCheckBackend('webgpu', { trial: false });
    expect(r.reason).toBeUndefined();
    expect(r.passed).toBe(true);
    expect(r.maxRelError).toBeLessThan(1e-3);
  });

  it("the bench's GPU bytes: numBytesInGPU in use and the backend's pool, on webgpu", async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    const before = gpuMemory();
    expect(before.inUse).not.toBeNull();
    const x = tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])); // 16 KiB on the GPU
    await x.data();
    const during = gpuMemory();
    expect(during.inUse! - before.inUse!).toBeGreaterThanOrEqual(64 * 64 * 4);
    expect(during.allocated!).toBeGreaterThanOrEqual(during.inUse!);
    x.dispose();
    expect(gpuMemory().inUse).toBeLessThan(during.inUse!);
  });

  it('exact top-k on webgpu (bitonic tf.topk, passage blocks) keeps ties in passage order', async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    const rng = new Rng(4);
    const pv = Array.from({ length: 90 }, () => Array.from({ length: 3 }, () => rng.int(3) - 1));
    const qv = Array.from({ length: 6 }, () => Array.from({ length: 3 }, () => rng.int(3) - 1));
    const want = qv.map((q) =>
      pv
        .map((p, j) => ({ j, s: p[0] * q[0] + p[1] * q[1] + p[2] * q[2] }))
        .sort((x, y) => y.s - x.s || x.j - y.j)
        .slice(0, 20)
        .map((x) => x.j),
    );
    const q = tf.tensor2d(qv);
    const p = tf.tensor2d(pv);
    expect(await exactTopK(q, p, 20, { passageChunk: 32 })).toEqual(want);
    tf.dispose([q, p]);
  });
});

describe.skipIf(gpu.adapter !== null)('Node WebGPU unavailable', () => {
  it(`skipped: ${gpu.text}`, () => {
    expect(gpu.reason).toBeTruthy();
  });
});
