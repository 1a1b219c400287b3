// Rng.fillDropout (the inlined generator the dropout masks use) against next() in a loop:
// the same multipliers and the same state afterwards, so checkpoints and seeds reproduce runs.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/core/rng';

describe('Rng.fillDropout', () => {
  for (const keep of [0.9, 0.5, 1 - 1e-9, 0]) {
    it(`keep ${keep}: the same mask and state as next() < keep element by element`, () => {
      const a = new Rng(1234);
      const b = new Rng(1234);
      a.next(); // start mid-stream
      b.next();
      const n = 10_007;
      const scale = keep > 0 ? 1 / keep : 0;
      const got = new Float32Array(n);
      a.fillDropout(got, keep, scale);
      const want = new Float32Array(n);
      for (let i = 0; i < n; i++) want[i] = b.next() < keep ? scale : 0;
      expect(got).toEqual(want);
      expect(a.state).toBe(b.state);
      expect(a.next()).toBe(b.next());
      if (keep === 0.9) {
        const dropped = got.filter((v) => v === 0).length / n;
        expect(dropped).toBeGreaterThan(0.08);
        expect(dropped).toBeLessThan(0.12);
      }
    });
  }
});
