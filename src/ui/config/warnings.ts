// Warnings about a run config that is valid but probably not what was meant: a student larger
// than its teacher, and a setting that refers to a split the chosen corpus lacks.

/** Teachers with fewer parameters than the student (null counts: an invalid shape, skipped). */
export function smallerTeachers(teachers: readonly { name: string; params: number | null }[], studentParams: number | null): { name: string; params: number }[] {
  if (studentParams === null) return [];
  return teachers.filter((t): t is { name: string; params: number } => t.params !== null && t.params < studentParams);
}

/** Judged queries per split of the corpus a run trains on (as the store counts them). */
export type SplitCounts = Partial<Record<'train' | 'dev' | 'test', number>>;

/**
 * Settings that name a split the corpus has no judged queries for: "Evaluate every" evaluates
 * on the dev queries. Empty when the counts are unknown.
 */
export function splitWarnings(train: { evalEvery: number }, counts: SplitCounts | undefined): { knob: 'evalEvery'; text: string }[] {
  if (!counts) return [];
  const out: { knob: 'evalEvery'; text: string }[] = [];
  if (train.evalEvery > 0 && !(counts.dev ?? 0)) {
    out.push({
      knob: 'evalEvery',
      text: `Evaluate every ${train.evalEvery} steps evaluates on the dev queries, and this corpus has none: there will be no evaluations while a phase trains, only the test split's at its end. Set it to 0, or pick a corpus with dev queries.`,
    });
  }
  return out;
}

/** The help line of "Evaluate every" for a corpus (it names dev queries only when there are some). */
export function evalEveryHelp(counts: SplitCounts | undefined): string | null {
  if (!counts || (counts.dev ?? 0) > 0) return null;
  return 'Evaluate on held-out queries every N steps (0: only at the end of each phase). This corpus has no dev queries, so only the test split is evaluated, at the end of each phase.';
}
