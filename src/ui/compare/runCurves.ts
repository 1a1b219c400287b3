// The curves of each result of a run (its teachers, each recipe's student), from the run's
// folded events: the live run's state or a stored run's series read back after a reload.
// Compare overlays them; the x axis is the result's own training step (its phases laid end to
// end from 0), so the same recipe of two runs lines up.
import { METRIC_KEYS, type RunViewState } from '../runState';
import { appendPoint, emptySeries, type Series } from '../series';

/**
 * The phases a result trained in: "teacher:<name>" is the phase `teacher<i>` of the teacher of
 * that name; a recipe is its phase and its stages ("prod:stage1", "prod:dp").
 */
export function phasesOfResult(recipe: string, phaseOrder: readonly string[], teacherNames: readonly string[]): string[] {
  if (recipe.startsWith('teacher:')) {
    const i = teacherNames.indexOf(recipe.slice('teacher:'.length));
    return i < 0 ? [] : phaseOrder.filter((p) => p === `teacher${i}`);
  }
  return phaseOrder.filter((p) => p === recipe || p.startsWith(`${recipe}:`));
}

/** Held-out metric curves ("<split> <metric>") and the total training loss of one result. */
export function curvesOfResult(state: RunViewState, recipe: string, teacherNames: readonly string[]): Record<string, Series> {
  const phases = phasesOfResult(recipe, state.phaseOrder, teacherNames);
  if (phases.length === 0) return {};
  const role = recipe.startsWith('teacher:') ? 'teacher' : 'student';
  const base = state.phases[phases[0]].offset;
  const out: Record<string, Series> = {};
  for (const e of state.evals) {
    if (e.role !== role || !phases.includes(e.phase)) continue;
    for (const m of METRIC_KEYS) {
      const key = `${e.split} ${m}`;
      out[key] = appendPoint(out[key] ?? emptySeries(), e.at - base, e.metrics[m]);
    }
  }
  let loss = null as Series | null;
  for (const id of phases) {
    const p = state.phases[id];
    const total = p.losses.total;
    if (!total || total.count === 0) continue;
    const shifted = total.points.map((pt) => ({ ...pt, x: pt.x + p.offset - base }));
    loss = loss ? { ...loss, count: loss.count + total.count, points: [...loss.points, ...shifted] } : { ...total, points: shifted };
  }
  if (loss) out['total loss'] = loss;
  return out;
}

