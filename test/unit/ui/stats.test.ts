// Compare-view statistics against values computed by hand (and, for the t distribution's tail,
// by numerical integration of its density: t = 1.856558, df = 4 -> p = 0.136945).
import { describe, expect, it } from 'vitest';
import { alignPaired, meanSpread, pairedComparison, verdict, winsLosses } from '../../../src/ui/compare/stats';

const A = { q1: 0.9, q2: 0.5, q3: 0.7, q4: 0.2, q5: 0.6 };
const B = { q1: 0.6, q2: 0.5, q3: 0.4, q4: 0.3, q5: 0.2, q6: 1 };

describe('compare statistics', () => {
  it('mean ± sample standard deviation', () => {
    const s = meanSpread([0.3, 0.34, 0.32]);
    expect(s.mean).toBeCloseTo(0.32, 12);
    expect(s.sd).toBeCloseTo(0.02, 12);
    expect(s).toMatchObject({ n: 3, min: 0.3, max: 0.34 });
    expect(meanSpread([0.5])).toMatchObject({ mean: 0.5, sd: 0, n: 1 });
    expect(meanSpread([]).n).toBe(0);
  });

  it('pairs queries by id and counts the unpaired ones', () => {
    const p = alignPaired(A, B);
    expect(p.qids).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
    expect(p.onlyA).toBe(0);
    expect(p.onlyB).toBe(1);
  });

  it('wins, losses and ties; rows from the largest gain to the largest loss', () => {
    const wl = winsLosses(A, B);
    expect([wl.wins, wl.losses, wl.ties]).toEqual([3, 1, 1]);
    expect(wl.rows.map((r) => r.qid)).toEqual(['q5', 'q1', 'q3', 'q2', 'q4']);
    expect(wl.rows[0].diff).toBeCloseTo(0.4, 12);
  });

  it('paired t-test: d = (0.3, 0, 0.3, -0.1, 0.4), mean 0.18, sd sqrt(0.047), t = 1.8566, df 4, p = 0.1369', () => {
    const c = pairedComparison(A, B);
    expect(c.n).toBe(5);
    expect(c.unpaired).toBe(1);
    expect(c.meanDiff).toBeCloseTo(0.18, 12);
    expect(c.meanA).toBeCloseTo(0.58, 12);
    expect(c.tTest.t).toBeCloseTo(0.18 / Math.sqrt(0.047 / 5), 9);
    expect(c.tTest.df).toBe(4);
    expect(c.tTest.p).toBeCloseTo(0.136945, 5);
  });

  it('paired randomisation test: 4 of the 16 sign patterns reach |sum| >= 0.9, so p is about 0.25', () => {
    const c = pairedComparison(A, B, { iterations: 20_000, seed: 7 });
    expect(c.permutation.p).toBeGreaterThan(0.24);
    expect(c.permutation.p).toBeLessThan(0.26);
    expect(c.permutation.iterations).toBe(20_000);
    // Seeded: the same inputs give the same p.
    expect(pairedComparison(A, B, { iterations: 20_000, seed: 7 }).permutation.p).toBe(c.permutation.p);
  });

  it('reads the result in words', () => {
    const c = pairedComparison(A, B);
    expect(verdict(c, 'LEAD', 'baseline')).toMatch(/^LEAD scores higher than baseline on average, but the difference is not significant/);
    const big = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`q${i}`, 0.5 + (i % 3) * 0.01]));
    const small = Object.fromEntries(Object.entries(big).map(([q, v]) => [q, v - 0.1]));
    expect(verdict(pairedComparison(small, big), 'A', 'B')).toMatch(/^B is better than A, and the difference is significant/);
    expect(verdict(pairedComparison({ q: 1 }, { q: 0 }), 'A', 'B')).toMatch(/Too few/);
  });
});
