// PROD's data-progressive stage (algorithms.md section 5): the selection rule lives with the
// layer-selection rules in layers.ts; this module adds the rank bookkeeping around it.
export { selectDataProgressive, type DataProgressiveWindow } from './layers';

/** 1-based rank of the first relevant document in `ranked`, or null if none is there. */
export function firstRelevantRank(ranked: readonly number[], relevant: ReadonlySet<number>): number | null {
  for (let i = 0; i < ranked.length; i++) if (relevant.has(ranked[i])) return i + 1;
  return null;
}
