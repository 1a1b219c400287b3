import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelConfigInput, ModelKind, RetrievalModel } from '../../../src/core/model';
import { G, PASSAGES, QUERIES, lossOf, tinyModel } from './fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** One SGD step through variableGrads, everything disposed. */
function step(m: RetrievalModel, layers?: number[]): number {
  const vars = m.trainableVariables();
  const { value, grads } = tf.variableGrads(() => lossOf(m.scores(QUERIES, PASSAGES, G, { training: true, layers })), vars);
  tf.tidy(() => {
    for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.05)));
  });
  const loss = value.dataSync()[0];
  tf.dispose([value, grads]);
  return loss;
}

const cases: [ModelKind, Partial<ModelConfigInput>][] = [
  ['de', { dropout: { hidden: 0.1, attention: 0.1 } }],
  ['cb', { colbertDim: 4, shareEncoders: false, dropout: { hidden: 0.1, attention: 0.1 } }],
  ['ce', { cePooler: true, dropout: { hidden: 0.1, attention: 0.1 } }],
];

describe('no tensor leaks', () => {
  for (const [kind, extra] of cases) {
    it(`${kind}: numTensors is the same after 3 and after 13 forward+backward steps; inference leaks nothing`, () => {
      const m = tinyModel(kind, extra);
      const start = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step(m, i % 2 ? [0] : undefined);
      const after3 = tf.memory().numTensors;
      const losses: number[] = [];
      for (let i = 0; i < 10; i++) losses.push(step(m, i % 2 ? [1, 0] : undefined));
      expect(tf.memory().numTensors).toBe(after3);
      expect(after3).toBe(start);
      expect(losses.every(Number.isFinite)).toBe(true);
      // Inference paths.
      if (kind === 'ce') {
        tf.dispose(m.scorePairs(QUERIES, PASSAGES.slice(0, 2)));
      } else {
        const q = m.encodeQueries(QUERIES);
        const p = m.encodePassages(PASSAGES, { batchSize: 3 });
        tf.dispose(m.similarity(q, p));
        tf.dispose(q.kind === 'tokens' && p.kind === 'tokens' ? [q.vectors, q.mask, p.vectors, p.mask] : [q.vectors, p.vectors]);
      }
      const s = m.scores(QUERIES, PASSAGES, G, { training: false });
      tf.dispose([s.final, ...s.layers]);
      expect(tf.memory().numTensors).toBe(start);
      const nVars = m.variables().length;
      m.dispose();
      expect(tf.memory().numTensors).toBe(start - nVars);
    });
  }

  it('training lowers the loss on a fixed batch (sanity)', () => {
    const m = tinyModel('de', { initializerRange: 0.1 });
    const first = step(m);
    let last = first;
    for (let i = 0; i < 15; i++) last = step(m);
    expect(last).toBeLessThan(first);
    m.dispose();
  });
});

describe('edge cases', () => {
  it('empty inputs give empty results; an empty batch is a clear error', () => {
    const de = tinyModel('de');
    const e = de.encodePassages([]);
    expect(e.vectors.shape).toEqual([0, 8]);
    tf.dispose(e.vectors);
    const s = de.scorePairs([], []);
    expect(s.shape).toEqual([0]);
    s.dispose();
    expect(() => de.scores([], [], 1, { training: false })).toThrow(/empty batch/);
    expect(() => de.scores(['a'], ['b'], 2, { training: false })).toThrow(/B \* G passages/);
    // Padding: the longest sequence rounded up to a multiple of 8, capped at the max length.
    const b = de.tokenize(['a', 'b'], ['x '.repeat(9), 'x '.repeat(40)], 1);
    expect(b.kind === 'separate' && [b.queries.t, b.passages.t]).toEqual([8, 16]);
    const short = de.tokenize(['a'], ['x x x x x x x'], 1);
    expect(short.kind === 'separate' && short.passages.t).toBe(16); // 9 tokens -> 16 (cap 16)
    const shorter = de.tokenize(['a'], ['x x'], 1);
    expect(shorter.kind === 'separate' && shorter.passages.t).toBe(8);
    de.dispose();
    const ce = tinyModel('ce');
    expect(() => ce.encodeQueries(['a'])).toThrow(/scorePairs/);
    ce.dispose();
  });
});
