// The data of one run in the Compare view, and how to build it from a run's events.
import type { ModelRole } from '../../core/train/events';
import { evalKey, METRIC_KEYS, type MetricKey, type RunViewState } from '../runState';
import type { Series } from '../series';
import type { PerQuery } from './stats';

export interface CompareRun {
  id: string;
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
