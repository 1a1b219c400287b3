// The golden BERT checkpoint (test/golden) imported and run: every hidden state, the pooler and
// the logits against the reference, on the cpu backend (tfjs's composite ops) and on wasm (the
// lab's fused kernels: LayerNorm, attention, dense+GELU in src/core/kernels/wasm.ts).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../../src/core/backend/wasmKernels';
import { fusedKernelsActive } from '../../../src/core/kernels';
import { exportHuggingFace, importHuggingFace, parseSafetensors, tensorToFloat32 } from '../../../src/core/model';
import type { PaddedBatch } from '../../../src/core/text/tokenizerBase';
import { loadGolden } from './golden';

const golden = loadGolden();
const ex = golden.expected;

afterAll(async () => {
  await tf.setBackend('cpu');
});

function goldenBatch(): PaddedBatch {
  const n = ex.input_ids.length;
  const t = ex.input_ids[0].length;
  return {
    n,
    t,
    ids: Int32Array.from(ex.input_ids.flat()),
    typeIds: Int32Array.from(ex.token_type_ids.flat()),
    mask: Float32Array.from(ex.attention_mask.flat()),
    lengths: Int32Array.from(ex.attention_mask.map((r) => r.reduce((a, b) => a + b, 0))),
  };
}

for (const backend of ['cpu', 'wasm'] as const) describe(`golden bert-tiny-random import on ${backend}`, () => {
  beforeAll(async () => {
    if (backend === 'wasm') registerWasmTrainingKernels();
    expect(await tf.setBackend(backend)).toBe(true);
    expect(fusedKernelsActive()).toBe(backend === 'wasm');
  });

  it('matches every layer, the pooler and the classifier logits within 1e-4', () => {
    const model = importHuggingFace(golden);
    expect(model.config.kind).toBe('ce');
    expect(model.config.cePooler).toBe(true);
    const before = tf.memory().numTensors;
    const batch = goldenBatch();
    const out = model.hiddenStates(batch);
    const states = [out.embeddings, ...out.hidden].map((h) => h.arraySync());
    expect(states.length).toBe(ex.hidden_states.length);
    let worst = 0;
    for (let l = 0; l < states.length; l++) {
      for (let b = 0; b < batch.n; b++) {
        for (let t = 0; t < batch.t; t++) {
          if (ex.attention_mask[b][t] !== 1) continue;
          for (let h = 0; h < 16; h++) worst = Math.max(worst, Math.abs(states[l][b][t][h] - ex.hidden_states[l][b][t][h]));
        }
      }
    }
    expect(worst).toBeLessThan(1e-4);
    const L = model.config.layers;
    const cls = tf.tidy(() => tf.slice(out.hidden[L - 1], [0, 0, 0], [batch.n, 1, 16]).reshape([batch.n, 16]) as tf.Tensor2D);
    const pooledT = tf.tidy(() => model.pooled(cls));
    const logitsT = tf.tidy(() => model.ceHead(cls));
    const pooled = pooledT.arraySync();
    const logits = logitsT.arraySync();
    for (let b = 0; b < batch.n; b++) {
      for (let h = 0; h < 16; h++) expect(Math.abs(pooled[b][h] - ex.pooler_output[b][h])).toBeLessThan(1e-4);
      expect(Math.abs(logits[b] - ex.classifier_logits[b][0])).toBeLessThan(1e-4);
    }
    tf.dispose([out.embeddings, ...out.hidden, cls, pooledT, logitsT]);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('scores the golden pairs through the public API exactly as the classifier', () => {
    const model = importHuggingFace(golden);
    const pairs = ex.pairs.filter((p) => p.b !== null) as { a: string; b: string }[];
    const s = model.scorePairs(pairs.map((p) => p.a), pairs.map((p) => p.b));
    const got = s.arraySync();
    pairs.forEach((_, i) => expect(Math.abs(got[i] - ex.classifier_logits[i][0])).toBeLessThan(1e-4));
    // The same through scores(): one query per group of one passage -> [B, 1].
    const sc = model.scores(pairs.map((p) => p.a), pairs.map((p) => p.b), 1, { training: false });
    expect(sc.final.shape).toEqual([2, 1]);
    const f = sc.final.arraySync();
    pairs.forEach((_, i) => expect(Math.abs(f[i][0] - ex.classifier_logits[i][0])).toBeLessThan(1e-4));
    tf.dispose([s, sc.final, ...sc.layers]);
    model.dispose();
  });

  it('accepts names without the bert. prefix and as DE', () => {
    const model = importHuggingFace(golden, { kind: 'de' });
    expect(model.config.kind).toBe('de');
    expect(model.variables().some((v) => v.name.startsWith('classifier'))).toBe(false);
    model.dispose();
  });

  it('exports and re-imports bit for bit', async () => {
    const model = importHuggingFace(golden);
    const files = await exportHuggingFace(model);
    const cfg = JSON.parse(files.configJson);
    expect(cfg.architectures).toEqual(['BertForSequenceClassification']);
    expect(cfg.distill_lab.config.kind).toBe('ce');
    expect(files.vocabTxt).toBe(golden.vocabTxt);
    // Same tensor names as the original file, and byte-identical data.
    const orig = parseSafetensors(golden.safetensors);
    const exp = parseSafetensors(files.safetensors);
    const origBy = new Map(orig.entries.map((e) => [e.name, e]));
    expect(new Set(exp.entries.map((e) => e.name))).toEqual(new Set(origBy.keys()));
    for (const e of exp.entries) {
      const o = origBy.get(e.name)!;
      expect(e.shape).toEqual(o.shape);
      expect(Buffer.from(exp.bytes.subarray(e.begin, e.end)).equals(Buffer.from(orig.bytes.subarray(o.begin, o.end)))).toBe(true);
    }
    const again = importHuggingFace({ ...files, safetensors: files.safetensors });
    const w1 = await model.readWeights();
    const w2 = await again.readWeights();
    for (const [name, w] of w1) {
      const a = new Uint8Array(w.data.buffer);
      const b = new Uint8Array(w2.get(name)!.data.buffer);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    }
    expect(again.config).toEqual(model.config);
    // And re-export is byte-identical as a whole.
    const files2 = await exportHuggingFace(again);
    expect(Buffer.from(files2.safetensors).equals(Buffer.from(files.safetensors))).toBe(true);
    expect(files2.configJson).toBe(files.configJson);
    expect(tensorToFloat32(exp, exp.entries[0]).length).toBeGreaterThan(0);
    model.dispose();
    again.dispose();
  });
});
