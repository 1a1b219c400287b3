import { describe, expect, it } from 'vitest';
import { pairedTTest, permutationTest, regularizedIncompleteBeta, studentTTwoSided } from '../../../src/core/eval/significance';

// Reference values from SciPy 1.17 (scipy.stats.ttest_rel, 2 * scipy.stats.t.sf) and an
// exact enumeration of all 2^8 sign flips for the permutation test.
const A = [0.5, 0.7, 0.2, 0.9, 0.4, 0.6, 0.3, 0.8];
const B = [0.4, 0.5, 0.3, 0.6, 0.4, 0.5, 0.1, 0.7];

describe('paired t-test', () => {
  it('matches scipy.stats.ttest_rel', () => {
    const r = pairedTTest(A, B);
    expect(r.t).toBeCloseTo(2.5528888301902897, 10);
    expect(r.p).toBeCloseTo(0.03794328796316369, 10);
    expect(r.df).toBe(7);
    expect(r.n).toBe(8);
    expect(r.meanDiff).toBeCloseTo(0.1125, 12);
  });

  it('Student t tail probabilities match SciPy', () => {
    expect(studentTTwoSided(2, 10)).toBeCloseTo(0.07338803477074037, 10);
    expect(studentTTwoSided(-0.5, 3)).toBeCloseTo(0.651447964848151, 10);
    expect(studentTTwoSided(4.2, 120)).toBeCloseTo(5.1547466708092386e-5, 12);
    // Integer a, b: I_x(2, 3) = sum_{j=2..4} C(4, j) x^j (1 - x)^(4 - j) = 0.3483 at x = 0.3.
    expect(regularizedIncompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 12);
  });

  it('handles degenerate inputs', () => {
    expect(pairedTTest([1, 2, 3], [1, 2, 3]).p).toBe(1);
    expect(pairedTTest([2, 3, 4], [1, 2, 3]).p).toBe(0); // every query better by exactly 1
    expect(pairedTTest([1], [0]).p).toBe(1);
    expect(() => pairedTTest([1, 2], [1])).toThrow(/equal lengths/);
  });
});

describe('paired permutation test', () => {
  it('is seeded and close to the exact permutation p-value', () => {
    const r1 = permutationTest(A, B, { iterations: 20_000, seed: 3 });
    const r2 = permutationTest(A, B, { iterations: 20_000, seed: 3 });
    expect(r1.p).toBe(r2.p);
    expect(Math.abs(r1.p - 0.078125)).toBeLessThan(0.01);
    expect(r1.meanDiff).toBeCloseTo(0.1125, 12);
  });

  it('over many queries, ties among them, agrees with the paired t-test (bits past the first 32 draws used)', () => {
    // 300 queries, a third tied, the rest differing by a small noisy gain: the randomisation
    // distribution of the mean is close to normal, so both tests give about the same p.
    let x = 7;
    const u = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 300; i++) {
      const base = u();
      a.push(base);
      b.push(i % 3 === 0 ? base : base - 0.01 + (u() - 0.5) * 0.5);
    }
    const perm = permutationTest(a, b, { iterations: 20_000, seed: 5 }).p;
    const t = pairedTTest(a, b).p;
    expect(t).toBeGreaterThan(0.05);
    expect(t).toBeLessThan(0.9);
    expect(Math.abs(perm - t)).toBeLessThan(0.02);
  });

  it('gives p = 1 for identical runs and a small p for a consistent large gain', () => {
    expect(permutationTest(A, A, { iterations: 1000 }).p).toBe(1);
    const better = Array.from({ length: 40 }, (_, i) => 0.5 + (i % 5) * 0.01);
    const worse = better.map((x) => x - 0.2);
    expect(permutationTest(better, worse, { iterations: 2000 }).p).toBeCloseTo(1 / 2001, 12);
  });
});
