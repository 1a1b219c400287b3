// The data of one run in the Compare view, and how to build it from a run's events.
import type { ModelRole } from '../../core/train/events';
import type { HealthSummary } from '../../core/train/health';
import { evalKey, METRIC_KEYS, type MetricKey, type RunViewState } from '../runState';
import type { Series } from '../series';
import type { PerQuery } from './stats';

export interface CompareRun {
  id: string;
  /** The stored run it comes from (a run has one CompareRun per result), when it is one. */
  runId?: string;
  name: string;
  /** Runs of one group (same recipe, other seeds) are aggregated as mean ± spread. */
  group: string;
  seed?: number;
  /** Final metrics of the run's model on the test split. */
  metrics: Partial<Record<MetricKey, number>>;
  /** Per-query values on the test split, by metric then query id (for wins/losses and tests). */
  perQuery?: Partial<Record<MetricKey, PerQuery>>;
  /** Query texts by id, for the wins/losses table. */
  queries?: Readonly<Record<string, string>>;
  /** Curves to overlay, by name (x: run step). */
  curves?: Readonly<Record<string, Series>>;
  /** How its metrics were computed when its model re-ranks another's list ("re-ranks BM25 top 30"). */
  rerank?: string;
  /** Training health of the run's model (RunResult.health), when known. */
  health?: HealthSummary;
}

/** Curves of a run's state worth overlaying: held-out metrics of a role and the total loss. */
export function curvesFromState(state: RunViewState, role: ModelRole = 'student'): Record<string, Series> {
  const out: Record<string, Series> = {};
  const splits = [...new Set(state.evals.map((e) => e.split))];
  for (const split of splits) {
    for (const m of METRIC_KEYS) {
      const s = state.evalSeries[evalKey(role, split, m)];
      if (s && s.count > 0) out[`${role} ${split} ${m}`] = s;
    }
  }
  // The total loss of every phase of this role, laid end to end on the run axis.
  for (const id of state.phaseOrder) {
    const p = state.phases[id];
    const total = p.losses.total;
    if (!total || total.count === 0) continue;
    const key = `total loss (${id})`;
    out[key] = { ...total, points: total.points.map((pt) => ({ ...pt, x: pt.x + p.offset })) };
  }
  return out;
}

/** A CompareRun from a run's folded events: final metrics from its last eval on `split`. */
export function compareRunFromState(
  state: RunViewState,
  info: { id: string; name: string; group: string; seed?: number; split?: string; role?: ModelRole; perQuery?: CompareRun['perQuery']; queries?: CompareRun['queries'] },
): CompareRun {
  const role = info.role ?? 'student';
  const last = state.latestEval[`${role}:${info.split ?? 'test'}`];
  const metrics: CompareRun['metrics'] = {};
  if (last) for (const m of METRIC_KEYS) metrics[m] = last.metrics[m];
  return { id: info.id, name: info.name, group: info.group, seed: info.seed, metrics, perQuery: info.perQuery, queries: info.queries, curves: curvesFromState(state, role) };
}

/**
 * The training-health note of a group of runs (RunResult.health): what went wrong in how many
 * of them, "ok" when nothing did, "–" when no run of the group recorded its health.
 */
export function healthNote(rs: readonly CompareRun[]): { text: string; bad: boolean; detail: string } {
  const known = rs.filter((r) => r.health);
  if (known.length === 0) return { text: '–', bad: false, detail: 'no training-health record (an imported or older result)' };
  const of = (n: number) => (known.length > 1 ? ` ${n}/${known.length}` : '');
  const count = (f: (r: CompareRun) => boolean) => known.filter(f).length;
  const collapsed = count((r) => r.health!.collapsed);
  const diverged = count((r) => r.health!.diverged);
  const stalled = count((r) => r.health!.stalled);
  const recovered = known.reduce((a, r) => a + r.health!.recovered, 0);
  const parts = [
    collapsed && `collapsed${of(collapsed)}`,
    diverged && `diverged${of(diverged)} (${recovered} recovered)`,
    stalled && `stalled${of(stalled)}`,
  ].filter((x): x is string => Boolean(x));
  const detail = known.flatMap((r) => r.health!.events.filter((e) => e.kind !== 'recovery').map((e) => `${r.name}, ${e.phase} step ${e.step}: ${e.title}`)).join('\n');
  return { text: parts.length ? parts.join(', ') : 'ok', bad: collapsed + diverged > 0, detail: detail || 'no collapse, divergence or stall' };
}

/** What makes two Compare rows the same result: the run (its name) and the seed. */
export const runSeedKey = (r: Pick<CompareRun, 'name' | 'seed'>) => `${r.name}\u0000${r.seed ?? ''}`;

/**
 * The runs with repeats of a run and seed left out (the first kept), in order. Rows of stored
 * runs are told apart by their id (two runs may share a name); other rows by run name and seed.
 */
export function uniqueRuns<T extends Pick<CompareRun, 'id' | 'runId' | 'name' | 'seed'>>(runs: readonly T[]): T[] {
  const seen = new Set<string>();
  return runs.filter((r) => {
    const k = r.runId ? `\u0001${r.id}` : runSeedKey(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Imported rows that add something: the ones whose run and seed are not already among
 * `existing` (nor repeated within the import). Importing the same metrics file twice, or the
 * file of a run Compare already lists, adds nothing, so it never counts as another seed.
 */
export function newImports(existing: readonly CompareRun[], incoming: readonly CompareRun[]): { added: CompareRun[]; duplicates: number } {
  const seen = new Set(existing.map(runSeedKey));
  const added: CompareRun[] = [];
  for (const r of incoming) {
    const k = runSeedKey(r);
    if (seen.has(k)) continue;
    seen.add(k);
    added.push(r);
  }
  return { added, duplicates: incoming.length - added.length };
}
