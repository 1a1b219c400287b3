import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfigInput, ModelKind, RetrievalModel } from '../../../src/core/model';
import { G, PASSAGES, QUERIES, lossOf, tinyModel } from './fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function lossValue(m: RetrievalModel): number {
  return tf.tidy(() => lossOf(m.scores(QUERIES, PASSAGES, G, { training: false })).dataSync()[0]);
}

/** Central differences on sampled entries of every variable vs tf.variableGrads. */
function checkGradients(m: RetrievalModel, eps: number): { worst: number; checked: number } {
  const vars = m.variables();
  const { value, grads } = tf.variableGrads(() => lossOf(m.scores(QUERIES, PASSAGES, G, { training: true })), m.trainableVariables());
  value.dispose();
  // Every variable is on the backward path.
  for (const v of vars) expect(grads[v.variable.name], v.name).toBeDefined();
  const usedIds = new Set<number>();
  const b = m.tokenize(QUERIES, PASSAGES, G);
  const idArrays = b.kind === 'pairs' ? [b.pairs.ids] : [b.queries.ids, b.passages.ids];
  for (const a of idArrays) a.forEach((id) => usedIds.add(id));
  let worst = 0;
  let checked = 0;
  let k = 0;
  for (const v of vars) {
    const g = grads[v.variable.name].dataSync();
    const data = Float32Array.from(v.variable.dataSync());
    const cols = v.variable.shape.length === 2 ? v.variable.shape[1] : 1;
    // Two entries per variable; embedding rows that the batch reads (others have zero grad).
    const rows = v.name.endsWith('word_embeddings.weight') ? [...usedIds] : null;
    for (let s = 0; s < 2; s++, k++) {
      const i = rows ? rows[(k * 7) % rows.length] * cols + (k % cols) : (k * 2654435761) % data.length;
      const set = (x: number) => {
        const d = data.slice();
        d[i] = x;
        tf.tidy(() => v.variable.assign(tf.tensor(d, v.variable.shape)));
      };
      // Mixed tolerance: 1% relative, plus the float32 noise of a difference quotient
      // (a few ulps of the loss divided by the step). A MaxSim max can switch tokens within
      // one step (a kink): then a 3x smaller step decides.
      let err = Infinity;
      let fd = NaN;
      for (const h of [eps, eps / 3]) {
        set(data[i] + h);
        const up = lossValue(m);
        set(data[i] - h);
        const down = lossValue(m);
        set(data[i]);
        fd = (up - down) / (2 * h);
        const tol = 1e-2 * Math.max(Math.abs(fd), Math.abs(g[i])) + (4e-6 * Math.max(1, Math.abs(up))) / h;
        err = Math.min(err, Math.abs(fd - g[i]) / tol);
        if (err <= 1) break;
      }
      worst = Math.max(worst, err);
      checked++;
      expect(err, `${v.name}[${i}] fd ${fd} vs grad ${g[i]}`).toBeLessThanOrEqual(1);
    }
  }
  tf.dispose(grads);
  return { worst, checked };
}

// MaxSim is piecewise smooth: a step of 1e-2 can move a max to another passage token, so
// CB uses a smaller step.
const cases: [string, ModelKind, Partial<ModelConfigInput>, number][] = [
  ['DE (shared encoders)', 'de', {}, 1e-2],
  ['CB (projection, separate query/passage encoders)', 'cb', { colbertDim: 6, shareEncoders: false, initializerRange: 0.2 }, 1e-3],
  ['CB (no projection)', 'cb', { initializerRange: 0.2 }, 1e-3],
  ['CE (linear head, algorithms.md)', 'ce', {}, 1e-2],
  ['CE (pooler head, as BertForSequenceClassification)', 'ce', { cePooler: true }, 1e-2],
];

describe('finite-difference gradients (float32 cpu, central differences)', () => {
  for (const [label, kind, extra, eps] of cases) {
    it(`${label}: every variable gets a gradient and sampled entries match`, () => {
      const m = tinyModel(kind, extra);
      const before = tf.memory().numTensors;
      const { worst, checked } = checkGradients(m, eps);
      expect(checked).toBe(2 * m.variables().length);
      expect(tf.memory().numTensors).toBe(before);
      console.log(`${label}: ${checked} entries, worst |fd - grad| / tolerance = ${worst.toFixed(3)}`);
      m.dispose();
    });
  }
});

describe('shapes and layer selection', () => {
  it('DE/CB give [B, P], CE [B, G]; layers as asked, last layer equals final for DE/CE', () => {
    for (const kind of ['de', 'cb', 'ce'] as const) {
      const m = tinyModel(kind);
      const out = m.scores(QUERIES, PASSAGES, G, { training: false, layers: [1, 0] });
      const shape = kind === 'ce' ? [2, 2] : [2, 4];
      expect(out.final.shape).toEqual(shape);
      expect(out.layers.map((l) => l.shape)).toEqual([shape, shape]);
      if (kind !== 'cb') expect(out.layers[0].arraySync()).toEqual(out.final.arraySync());
      const none = m.scores(QUERIES, PASSAGES, G, { training: false, layers: [] });
      expect(none.layers).toEqual([]);
      expect(() => m.scores(QUERIES, PASSAGES, G, { training: false, layers: [2] })).toThrow(/layer index 2/);
      tf.dispose([out.final, ...out.layers, none.final]);
      m.dispose();
    }
  });

  it('CE scores equal scorePairs on the same pairs; DE scores equal encode + similarity', () => {
    const ce = tinyModel('ce');
    const s = ce.scores(QUERIES, PASSAGES, G, { training: false });
    const qs = PASSAGES.map((_, j) => QUERIES[Math.floor(j / G)]);
    const p = ce.scorePairs(qs, PASSAGES);
    const flat = s.final.arraySync().flat();
    p.arraySync().forEach((x, j) => expect(x).toBeCloseTo(flat[j], 5));
    tf.dispose([s.final, ...s.layers, p]);
    ce.dispose();
    for (const kind of ['de', 'cb'] as const) {
      const m = tinyModel(kind);
      const sc = m.scores(QUERIES, PASSAGES, G, { training: false, layers: [] });
      const q = m.encodeQueries(QUERIES);
      const e = m.encodePassages(PASSAGES, { batchSize: 3 });
      const sim = m.similarity(q, e);
      const a = sim.arraySync();
      sc.final.arraySync().forEach((row, i) => row.forEach((x, j) => expect(a[i][j]).toBeCloseTo(x, 4)));
      const pairs = m.scorePairs([QUERIES[0], QUERIES[1]], [PASSAGES[0], PASSAGES[2]]);
      const pa = pairs.arraySync();
      expect(pa[0]).toBeCloseTo(a[0][0], 4);
      expect(pa[1]).toBeCloseTo(a[1][2], 4);
      const embTensors = q.kind === 'tokens' && e.kind === 'tokens' ? [q.vectors, q.mask, e.vectors, e.mask] : [q.vectors, e.vectors];
      tf.dispose([sc.final, sim, pairs, ...embTensors]);
      m.dispose();
    }
  });

  it('dropout is seeded, active only when training, and reproducible from the rng state', () => {
    const m = tinyModel('de', { dropout: { hidden: 0.3, attention: 0.3 } });
    const run = (training: boolean) => tf.tidy(() => m.scores(QUERIES, PASSAGES, G, { training, layers: [] }).final.arraySync());
    expect(run(false)).toEqual(run(false));
    const state = m.rngState;
    const a = run(true);
    const b = run(true);
    expect(a).not.toEqual(b);
    m.rngState = state;
    expect(run(true)).toEqual(a);
    m.dispose();
  });

  it('the same seed gives the same model; clone is independent', async () => {
    const a = tinyModel('cb', { colbertDim: 4 });
    const b = tinyModel('cb', { colbertDim: 4 });
    const wa = await a.readWeights();
    const wb = await b.readWeights();
    for (const [n, w] of wa) expect(Array.from(w.data)).toEqual(Array.from(wb.get(n)!.data));
    const c = a.clone();
    const v = a.variable('embeddings.LayerNorm.weight');
    tf.tidy(() => v.assign(tf.zerosLike(v)));
    expect(Array.from(c.variable('embeddings.LayerNorm.weight').dataSync())).toEqual(Array.from(wa.get('embeddings.LayerNorm.weight')!.data));
    a.dispose();
    b.dispose();
    c.dispose();
  });
});

describe('hand-written backward passes equal autodiff', () => {
  it('embedding scatter-add (both paths) equals tf.gather gradient, duplicates summed', async () => {
    const { embeddingLookup, scatterRowsAdd } = await import('../../../src/core/model/encoder');
    const table = tf.randomNormal([11, 5], 0, 1, 'float32', 3) as tf.Tensor2D;
    const ids = Int32Array.from([3, 0, 3, 10, 7, 3, 0]);
    const w = tf.randomNormal([7, 5], 0, 1, 'float32', 4);
    const f = (lookup: (t: tf.Tensor2D) => tf.Tensor) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(lookup(t as tf.Tensor2D), w)))(table);
    const ref = f((t) => tf.gather(t, tf.tensor1d(ids, 'int32')));
    const ours = f((t) => embeddingLookup(t, ids));
    const o = ours.dataSync();
    ref.dataSync().forEach((v, j) => expect(o[j]).toBeCloseTo(v, 6));
    const dy = tf.randomNormal([7, 5], 0, 1, 'float32', 5) as tf.Tensor2D;
    const idsT = tf.tensor1d(ids, 'int32');
    const a = scatterRowsAdd(dy, idsT, ids, 11, false).arraySync();
    const b = scatterRowsAdd(dy, idsT, ids, 11, true).arraySync();
    a.forEach((row, i) => row.forEach((x, j) => expect(b[i][j]).toBeCloseTo(x, 6)));
    tf.dispose([table, w, ref, ours, dy, idsT]);
  });

  it('LayerNorm and GELU closed-form gradients equal autodiff of the plain formulas', async () => {
    const { gelu, layerNorm } = await import('../../../src/core/model/encoder');
    const x = tf.randomNormal([6, 8], 0, 2, 'float32', 9) as tf.Tensor2D;
    const g = tf.randomNormal([8], 1, 0.3, 'float32', 10) as tf.Tensor1D;
    const b = tf.randomNormal([8], 0, 0.3, 'float32', 11) as tf.Tensor1D;
    const w = tf.randomNormal([6, 8], 0, 1, 'float32', 12);
    const plainLN = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const m = tf.mean(x, -1, true);
      const v = tf.mean(tf.square(tf.sub(x, m)), -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, m), tf.sqrt(tf.add(v, 1e-12))), g), b);
    };
    const loss = (ln: typeof plainLN) => (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ln(x, g, b), w));
    const ref = tf.grads(loss(plainLN))([x, g, b]);
    const ours = tf.grads(loss((x, g, b) => layerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, 1e-12)))([x, g, b]);
    ref.forEach((r, i) => {
      const o = ours[i].dataSync();
      r.dataSync().forEach((v, j) => expect(o[j]).toBeCloseTo(v, 4));
    });
    const plainGelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
    const gr = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(plainGelu(x), w)))(x).dataSync();
    const go = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(gelu(x), w)))(x).dataSync();
    gr.forEach((v, j) => expect(go[j]).toBeCloseTo(v, 5));
    tf.dispose([x, g, b, w, ...ref, ...ours]);
  });
});
