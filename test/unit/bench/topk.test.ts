// search.ts's exactTopK against a full sort of every score row (score descending, passage
// index ascending), with many exact ties (small integer vectors, repeated passages), on the
// cpu and wasm backends, in one passage block and in several (the running merge).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactTopK } from '../../../src/core/retrieval/search';
import { Rng } from '../../../src/core/rng';

/** Integer vectors in [-2, 2]: dot products are exact in float32 and often equal. */
function intMatrix(rng: Rng, n: number, h: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: h }, () => rng.int(5) - 2));
}

/** The reference: every row sorted whole, by score descending then index ascending. */
function fullSortTopK(q: number[][], p: number[][], k: number): number[][] {
  return q.map((qv) => {
    const scores = p.map((pv, j) => ({ j, s: pv.reduce((a, x, d) => a + x * qv[d], 0) }));
    scores.sort((a, b) => b.s - a.s || a.j - b.j);
    return scores.slice(0, Math.min(k, p.length)).map((x) => x.j);
  });
}

let previous = '';
beforeAll(() => {
  previous = tf.getBackend();
});
afterAll(async () => {
  if (previous) await tf.setBackend(previous);
});

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`exactTopK on ${backend}`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      await tf.ready();
    });

    const rng = new Rng(11);
    const H = 4;
    // 300 passages, the last 60 copies of earlier ones: many rows with equal scores.
    const base = intMatrix(rng, 240, H);
    const pv = [...base, ...base.slice(0, 60)];
    const qv = intMatrix(rng, 37, H);
    const cases: { k: number; queryChunk: number; passageChunk?: number; what: string }[] = [
      { k: 10, queryChunk: 256, what: 'one block' },
      { k: 10, queryChunk: 8, passageChunk: 64, what: 'passage blocks of 64 (running merge), query chunks of 8' },
      { k: 50, queryChunk: 16, passageChunk: 7, what: 'k larger than a block (blocks of 7)' },
      { k: 300, queryChunk: 5, passageChunk: 100, what: 'k = N (every passage, full order)' },
      { k: 500, queryChunk: 256, passageChunk: 1000, what: 'k > N (clipped to N)' },
    ];
    for (const c of cases) {
      it(`equals a full sort, ties by passage index: ${c.what}`, async () => {
        const q = tf.tensor2d(qv);
        const p = tf.tensor2d(pv);
        const before = tf.memory().numTensors;
        const got = await exactTopK(q, p, c.k, { queryChunk: c.queryChunk, passageChunk: c.passageChunk });
        expect(tf.memory().numTensors).toBe(before); // nothing leaked, blocks freed
        const want = fullSortTopK(qv, pv, c.k);
        // The data really has ties at the cut: a tie-order bug would show.
        const tiesInside = want.filter((row, i) => {
          const s = row.map((j) => pv[j].reduce((a, x, d) => a + x * qv[i][d], 0));
          return s.some((x, r) => r > 0 && x === s[r - 1]);
        }).length;
        expect(tiesInside).toBeGreaterThan(qv.length / 2);
        expect(got).toEqual(want);
        tf.dispose([q, p]);
      });
    }

    it('k = 0 and an empty query set', async () => {
      const q = tf.tensor2d(qv.slice(0, 3));
      const p = tf.tensor2d(pv);
      expect(await exactTopK(q, p, 0)).toEqual([[], [], []]);
      const none = tf.zeros([0, H]) as tf.Tensor2D;
      expect(await exactTopK(none, p, 5)).toEqual([]);
      tf.dispose([q, p, none]);
    });
  });
}
