// Pure helpers of the LEAD views.

/** KL(p || q) = sum p (log p - log q) over one distribution; terms with p = 0 add nothing. */
export function klDivergence(p: readonly number[], q: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > 0) s += p[i] * (Math.log(p[i]) - Math.log(Math.max(q[i], 1e-30)));
  }
  return s;
}

/** Layers are shown counted from 1 (h^1 .. h^L of algorithms.md section 1); events count from 0. */
export const layerName = (i: number): string => `${i + 1}`;

/** "s2 ↔ t4" for a (student layer, teacher layer) pair given 0-based. */
export const pairName = ([s, t]: readonly [number, number]): string => `student ${layerName(s)} ↔ teacher ${layerName(t)}`;
