// Seeded pseudo-random numbers. Every random choice in the lab (initialisation, data order,
// layer selection, dropout seeds, synthetic worlds) draws from one of these, so a run is
// reproducible from its seed, and its state can be saved in a checkpoint and restored.

import { simdKernels } from './kernels/simd';

/** Mulberry32: small, fast, 32-bit state; good enough for sampling (not for crypto). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed >>> 0) ^ 0x9e3779b9;
  }
  /** The state, to save in a checkpoint. */
  get state(): number {
    return this.s >>> 0;
  }
  set state(v: number) {
    this.s = v >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /**
   * Fills `out` with dropout multipliers: `scale` where next() < keep, else 0, drawing one
   * number per element in order: the same values and final state as calling next() in a loop,
   * with the generator inlined (a full-scale training step draws ~10^7 of them).
   */
  fillDropout(out: Float32Array, keep: number, scale: number): void {
    // next() < keep  <=>  x / 2^32 < keep  <=>  x < keep * 2^32 (both exact: powers of two).
    const threshold = keep * 4294967296;
    const simd = out.length >= 64 ? simdKernels() : null;
    if (simd) {
      // Four draws at a time in the SIMD module: draw i hashes s + i * 0x6d2b79f5, so the
      // lanes are independent (~0.3 ns a value against ~8 for this loop in V8).
      const thr = Math.ceil(threshold); // for an integer x: x < threshold <=> x < ceil(threshold)
      if (thr >= 4294967296) out.fill(scale);
      else {
        const [p] = simd.reserve([out.length]);
        simd.k.dropout(p, out.length, this.s >>> 0, Math.max(0, thr), scale);
        out.set(simd.view(p, out.length));
      }
      this.s = (this.s + Math.imul(out.length, 0x6d2b79f5)) >>> 0;
      return;
    }
    let s = this.s;
    for (let i = 0; i < out.length; i++) {
      let t = (s = (s + 0x6d2b79f5) >>> 0);
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = (t ^ (t >>> 14)) >>> 0 < threshold ? scale : 0;
    }
    this.s = s;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
  /** k distinct integers from [0, n), in sampling order. */
  sample(n: number, k: number): number[] {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    return idx.slice(0, k);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  /** A new independent generator derived from this one (for sub-streams). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}
