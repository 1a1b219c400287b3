// Rng.fillDropout (the dropout masks: the SIMD module's four-lane generator from 64 values, an
// inlined loop below) against next() in a loop: the same multipliers and the same state
// afterwards, so checkpoints and seeds reproduce runs.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng';

describe('Rng.fillDropout', () => {
  for (const [keep, n] of [[0.9, 10_007], [0.5, 10_007], [1 - 1e-9, 10_007], [0, 10_007], [0.9, 37], [0.75, 64]]) {
    it(`keep ${keep}, ${n} values: the same mask and state as next() < keep element by element`, () => {
      const a = new Rng(1234);
      const b = new Rng(1234);
      a.next(); // start mid-stream
      b.next();
      const scale = keep > 0 ? 1 / keep : 0;
      const got = new Float32Array(n);
      a.fillDropout(got, keep, scale);
      const want = new Float32Array(n);
      for (let i = 0; i < n; i++) want[i] = b.next() < keep ? scale : 0;
      expect(got).toEqual(want);
      expect(a.state).toBe(b.state);
      expect(a.next()).toBe(b.next());
      if (keep === 0.9 && n > 1000) {
        const dropped = got.filter((v) => v === 0).length / n;
        expect(dropped).toBeGreaterThan(0.08);
        expect(dropped).toBeLessThan(0.12);
      }
    });
  }
});
