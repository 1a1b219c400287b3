// The TREC export writes the model's scores: exactTopK hands back each query's top-k scores
// (in one passage block and across several), and the page's rankings use them.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { exactTopK } from '../../../src/core/retrieval/search';
import { toTrecRun } from '../../../src/core/eval/trec';
import { rankingsFromRun } from '../../../src/ui/models/useModels';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('TREC scores', () => {
  const q = [
    [1, 0.5],
    [-0.25, 2],
  ];
  const p = [
    [0.5, 1],
    [2, -1],
    [0.25, 0.25],
    [-1, 3],
    [1.5, 0.5],
  ];
  const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1];
  for (const passageChunk of [32_768, 2]) {
    it(`exactTopK returns the scores of the documents it ranks (passage blocks of ${passageChunk})`, async () => {
      const values: number[][] = [];
      const qt = tf.tensor2d(q);
      const pt = tf.tensor2d(p);
      const top = await exactTopK(qt, pt, 3, { values, passageChunk });
      qt.dispose();
      pt.dispose();
      expect(values).toHaveLength(2);
      top.forEach((row, i) => row.forEach((d, r) => expect(values[i][r]).toBeCloseTo(dot(q[i], p[d]), 5)));
    });
  }
  it("writes the model's scores, not the rank order", () => {
    const text = toTrecRun(rankingsFromRun({ q1: ['d3', 'd1'] }, { q1: [2.75, -0.5] }), 'model');
    expect(text).toBe('q1 Q0 d3 1 2.75 model\nq1 Q0 d1 2 -0.5 model\n');
    // Without scores (an older worker), the rank order.
    expect(toTrecRun(rankingsFromRun({ q1: ['d3', 'd1'] }), 'm')).toBe('q1 Q0 d3 1 2 m\nq1 Q0 d1 2 1 m\n');
  });
});
