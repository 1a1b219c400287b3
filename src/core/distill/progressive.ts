// PROD's data-progressive selection (algorithms.md section 5, last stage): keep the training
// queries where the student places its first relevant passage at rank rankLow..rankHigh
// (it almost has them) and the teacher at rank <= teacherRank (the teacher knows them).

export interface DpWindow {
  rankLow: number;
  rankHigh: number;
  teacherRank: number;
}

/** 1-based rank of the first relevant document in `ranked`, or null if none is there. */
export function firstRelevantRank(ranked: readonly number[], relevant: ReadonlySet<number>): number | null {
  for (let i = 0; i < ranked.length; i++) if (relevant.has(ranked[i])) return i + 1;
  return null;
}

/**
 * The selected query ids, in the order of `studentRanks`' keys. A query missing from either
 * ranking (null: no relevant passage retrieved) is never selected.
 */
export function selectDataProgressive(
  studentRanks: Readonly<Record<string, number | null>>,
  teacherRanks: Readonly<Record<string, number | null>>,
  w: DpWindow,
): string[] {
  const out: string[] = [];
  for (const [qid, s] of Object.entries(studentRanks)) {
    const t = teacherRanks[qid];
    if (s === null || s === undefined || t === null || t === undefined) continue;
    if (s >= w.rankLow && s <= w.rankHigh && t <= w.teacherRank) out.push(qid);
  }
  return out;
}
