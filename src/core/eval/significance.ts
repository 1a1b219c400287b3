// Paired significance tests over per-query metric values of two runs on the same
// queries (EvalResult.perQuery, aligned by EvalResult.evaluated), for the Compare view.
// Two-sided: "is either run better?", as IR papers report them.

import { Rng } from '../rng';

export interface PairedTestResult {
  /** mean(a - b). */
  meanDiff: number;
  /** Two-sided p-value. */
  p: number;
  /** Number of paired queries. */
  n: number;
}

export interface TTestResult extends PairedTestResult {
  t: number;
  df: number;
}

function diffs(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new RangeError(`paired test needs equal lengths (got ${a.length} and ${b.length})`);
  return a.map((x, i) => x - b[i]);
}

/**
 * Student's paired t-test: t = mean(d) / (sd(d) / sqrt(n)), df = n - 1, p from the t
 * distribution. With no variance in the differences, p is 1 when they are all zero and 0
 * otherwise (every query moved the same way by the same amount).
 */
export function pairedTTest(a: readonly number[], b: readonly number[]): TTestResult {
  const d = diffs(a, b);
  const n = d.length;
  const mean = n ? d.reduce((s, x) => s + x, 0) / n : 0;
  if (n < 2) return { meanDiff: mean, p: 1, n, t: 0, df: Math.max(0, n - 1) };
  const variance = d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const df = n - 1;
  if (variance === 0) return { meanDiff: mean, p: mean === 0 ? 1 : 0, n, t: mean === 0 ? 0 : Math.sign(mean) * Infinity, df };
  const t = mean / Math.sqrt(variance / n);
  return { meanDiff: mean, p: studentTTwoSided(t, df), n, t, df };
}

/**
 * Paired randomisation (permutation) test: under the null hypothesis each query's pair
 * is exchangeable, so flip the sign of each difference at random and count how often
 * |mean| reaches the observed one. p = (count + 1) / (iterations + 1) (never exactly 0).
 * Seeded, so the same inputs give the same p.
 */
export function permutationTest(
  a: readonly number[],
  b: readonly number[],
  opts: { iterations?: number; seed?: number } = {},
): PairedTestResult {
  const d = diffs(a, b);
  const n = d.length;
  const iterations = opts.iterations ?? 10_000;
  const rng = new Rng(opts.seed ?? 0);
  const observed = Math.abs(d.reduce((s, x) => s + x, 0));
  // A tolerance so that sums equal up to rounding count as reaching the observed value.
  const eps = 1e-12 * Math.max(1, observed);
  // Queries with no difference do not move the sum whichever sign they get: only the others are
  // flipped, each by one bit of a 32-bit draw (the test runs on the page's main thread, where
  // 3 rows over 953 queries with one draw per query took ~90 ms).
  const nz = Float64Array.from(d.filter((x) => x !== 0));
  const m = nz.length;
  let count = 0;
  for (let it = 0; it < iterations; it++) {
    let s = 0;
    let bits = 0;
    for (let i = 0; i < m; i++) {
      if ((i & 31) === 0) bits = (rng.next() * 4294967296) >>> 0;
      s += (bits >>> (i & 31)) & 1 ? nz[i] : -nz[i];
    }
    if (Math.abs(s) >= observed - eps) count++;
  }
  return { meanDiff: n ? d.reduce((s, x) => s + x, 0) / n : 0, p: (count + 1) / (iterations + 1), n };
}

/** Two-sided p-value of Student's t: P(|T| >= |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2). */
export function studentTTwoSided(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** ln Gamma(x) for x > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative). */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xx = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (xx + i);
  const tt = xx + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(tt) - tt + Math.log(s);
}

/** I_x(a, b), the regularised incomplete beta function (continued fraction, Lentz). */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise.
  if (x > (a + 1) / (a + b + 2)) return 1 - regularizedIncompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let num = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    num = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return (Math.exp(lnFront) * f) / a;
}
