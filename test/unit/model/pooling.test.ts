// DE pooling and similarity (algorithms.md section 1, "DE pooling and similarity, in general"):
// the lab's scores against the same formula computed here in float64 from the model's own
// hidden states, for every pooling, with and without normalisation, dot and cosine, and a
// temperature. Layer scores must apply the same rules to h^l.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Pooling, Similarity } from '../../../src/core/model/config';
import { G, PASSAGES, QUERIES, tinyModel } from './fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** float64 reference: pool each row of h [N][T][H] over mask [N][T]. */
function pool(h: number[][][], mask: number[][], how: Pooling, unit: boolean): number[][] {
  return h.map((rows, n) => {
    const keep = rows.filter((_, t) => mask[n][t] > 0);
    const H = rows[0].length;
    let v: number[];
    if (how === 'cls') v = rows[0].slice();
    else if (how === 'mean') v = Array.from({ length: H }, (_, j) => keep.reduce((s, r) => s + r[j], 0) / keep.length);
    else v = Array.from({ length: H }, (_, j) => Math.max(...keep.map((r) => r[j])));
    if (!unit) return v;
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    return v.map((x) => x / norm);
  });
}

describe('DE pooling, normalisation, similarity and temperature', () => {
  const cases: { pooling: Pooling; normalize: boolean; similarity: Similarity; scoreTemperature: number }[] = [
    { pooling: 'cls', normalize: false, similarity: 'dot', scoreTemperature: 1 },
    { pooling: 'mean', normalize: false, similarity: 'dot', scoreTemperature: 1 },
    { pooling: 'max', normalize: false, similarity: 'dot', scoreTemperature: 1 },
    { pooling: 'mean', normalize: true, similarity: 'dot', scoreTemperature: 1 },
    { pooling: 'mean', normalize: false, similarity: 'cosine', scoreTemperature: 0.05 },
    { pooling: 'max', normalize: false, similarity: 'cosine', scoreTemperature: 0.5 },
    { pooling: 'cls', normalize: false, similarity: 'cosine', scoreTemperature: 0.05 },
  ];
  for (const c of cases) {
    it(`${c.pooling}${c.normalize ? ' + normalize' : ''}, ${c.similarity} / ${c.scoreTemperature}: final and every layer match the formula`, () => {
      const m = tinyModel('de', c);
      try {
        const b = m.tokenize(QUERIES, PASSAGES, G);
        if (b.kind !== 'separate') throw new Error('DE batch expected');
        const out = m.scoresFromBatch(b, { training: false });
        const qh = m.hiddenStates(b.queries, 'query');
        const ph = m.hiddenStates(b.passages, 'passage');
        const qMask = Array.from({ length: b.queries.n }, (_, i) => Array.from(b.queries.mask.slice(i * b.queries.t, (i + 1) * b.queries.t)));
        const pMask = Array.from({ length: b.passages.n }, (_, i) => Array.from(b.passages.mask.slice(i * b.passages.t, (i + 1) * b.passages.t)));
        const unit = c.normalize || c.similarity === 'cosine';
        for (let l = 0; l < m.config.layers; l++) {
          const q = pool(qh.hidden[l].arraySync() as number[][][], qMask, c.pooling, unit);
          const p = pool(ph.hidden[l].arraySync() as number[][][], pMask, c.pooling, unit);
          const want = q.map((qv) => p.map((pv) => qv.reduce((s, x, j) => s + x * pv[j], 0) / c.scoreTemperature));
          const got = out.layers[l].arraySync();
          for (let i = 0; i < want.length; i++) {
            for (let j = 0; j < want[i].length; j++) expect(got[i][j]).toBeCloseTo(want[i][j], 3);
          }
        }
        expect(out.final.arraySync()).toEqual(out.layers[m.config.layers - 1].arraySync());
        // Retrieval ranks with the same vectors: similarity() of the embeddings equals the scores.
        const qe = m.encodeQueries(QUERIES);
        const pe = m.encodePassages(PASSAGES);
        const sim = m.similarity(qe, pe).arraySync();
        const fin = out.final.arraySync();
        for (let i = 0; i < sim.length; i++) for (let j = 0; j < sim[i].length; j++) expect(sim[i][j]).toBeCloseTo(fin[i][j], 3);
        const pairs = m.scorePairs([QUERIES[0], QUERIES[1]], [PASSAGES[0], PASSAGES[2]]).arraySync();
        expect(pairs[0]).toBeCloseTo(fin[0][0], 3);
        expect(pairs[1]).toBeCloseTo(fin[1][2], 3);
        tf.dispose([out.final, ...out.layers, qh.embeddings, ...qh.hidden, ph.embeddings, ...ph.hidden, qe.vectors, pe.vectors]);
      } finally {
        m.dispose();
      }
    });
  }

  it('pooling, normalisation, similarity and temperature are refused on CB and CE, and bad values are named', async () => {
    const { validateModelConfig } = await import('../../../src/core/model/config');
    const base = { layers: 1, hidden: 8, heads: 2, ffn: 16, vocabSize: 50 };
    expect(() => validateModelConfig({ ...base, kind: 'ce', pooling: 'mean' })).toThrow(/pooling.*'de' only/);
    expect(() => validateModelConfig({ ...base, kind: 'cb', similarity: 'cosine' })).toThrow(/similarity.*'de' only/);
    expect(() => validateModelConfig({ ...base, kind: 'de', pooling: 'sum' })).toThrow(/pooling must be one of cls, mean, max/);
    expect(() => validateModelConfig({ ...base, kind: 'de', scoreTemperature: 0 })).toThrow(/scoreTemperature must be a positive number/);
    const d = validateModelConfig({ ...base, kind: 'de' });
    expect([d.pooling, d.normalize, d.similarity, d.scoreTemperature]).toEqual(['cls', false, 'dot', 1]);
  });
});
