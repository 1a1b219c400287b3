import { useEffect, useRef, useState } from 'react';
import type { ProdRecipe, ProdStage } from '../../core/distill/recipes';
import { NumberField, SelectField } from '../controls';
import type { ModelDesign } from '../config/runConfig';
import { knobError, knobHelp } from './knobs';

type Action = 'up' | 'down' | 'remove';

/** Moves stage i by d places (a pure helper of the chain builder). */
export function moveStage(stages: readonly ProdStage[], i: number, d: number): ProdStage[] {
  const j = i + d;
  if (j < 0 || j >= stages.length) return [...stages];
  const out = [...stages];
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}

/**
 * PROD's teacher chain: add, remove and reorder stages with buttons. Focus follows a moved
 * stage, and every change is announced, so the chain is fully keyboard-operable.
 */
export function ProdChain({
  recipe, teachers, errors, onChange,
}: {
  recipe: ProdRecipe;
  teachers: ModelDesign[];
  errors: Record<string, string>;
  onChange: (r: ProdRecipe) => void;
}) {
  const [announce, setAnnounce] = useState('');
  const [focus, setFocus] = useState<{ index: number; action: Action | 'add' } | null>(null);
  const buttons = useRef(new Map<string, HTMLButtonElement>());
  useEffect(() => {
    if (!focus) return;
    const n = recipe.stages.length;
    const i = Math.min(focus.index, n - 1);
    // Prefer the same button on the moved stage; fall back to a neighbour that is enabled.
    const order: Action[] = focus.action === 'add' ? ['remove'] : [focus.action as Action, 'up', 'down', 'remove'];
    for (const a of order) {
      const b = buttons.current.get(`${i}-${a}`);
      if (b && !b.disabled) {
        b.focus();
        break;
      }
    }
    setFocus(null);
  }, [focus, recipe.stages.length]);

  const set = (stages: ProdStage[]) => onChange({ ...recipe, stages });
  const move = (i: number, d: number) => {
    set(moveStage(recipe.stages, i, d));
    setAnnounce(`Stage ${i + 1} moved ${d < 0 ? 'up' : 'down'} to position ${i + d + 1}.`);
    setFocus({ index: i + d, action: d < 0 ? 'up' : 'down' });
  };
  const remove = (i: number) => {
    set(recipe.stages.filter((_, j) => j !== i));
    setAnnounce(`Stage ${i + 1} removed.`);
    setFocus({ index: Math.max(0, i - 1), action: 'remove' });
  };
  const add = () => {
    const last = recipe.stages[recipe.stages.length - 1];
    const teacher = Math.min(teachers.length - 1, (last?.teacher ?? -1) + 1);
    set([...recipe.stages, { teacher: Math.max(0, teacher), steps: last?.steps ?? 300, lr: last?.lr ?? 5e-4 }]);
    setAnnounce(`Stage ${recipe.stages.length + 1} added.`);
  };
  const ref = (key: string) => (el: HTMLButtonElement | null) => {
    if (el) buttons.current.set(key, el);
    else buttons.current.delete(key);
  };
  const teacherOptions = teachers.map((t, i) => ({ value: String(i), label: `${i + 1}: ${t.name}` }));
  const stagesErr = errors['recipe.stages'];
  return (
    <fieldset className="prod-chain" data-testid="prod-chain">
      <legend>Teacher chain</legend>
      <p className="field-hint">{knobHelp('prod', 'stages')} Stages after the first use LwF when it is on.</p>
      {stagesErr && <p className="field-error">{stagesErr}</p>}
      <ol className="stage-list">
        {recipe.stages.map((s, i) => (
          <li key={i} className="stage-row" data-testid="prod-stage">
            <span className="stage-num" aria-hidden="true">
              {i + 1}
            </span>
            <SelectField
              label={`Stage ${i + 1} teacher`}
              value={String(s.teacher)}
              options={teacherOptions.length ? teacherOptions : [{ value: String(s.teacher), label: `teacher ${s.teacher + 1} (missing)` }]}
              onChange={(v) => set(recipe.stages.map((x, j) => (j === i ? { ...x, teacher: Number(v) } : x)))}
              error={knobError(errors, `recipe.stages[${i}].teacher`)}
            />
            <NumberField label="Steps" value={s.steps} onChange={(v) => set(recipe.stages.map((x, j) => (j === i ? { ...x, steps: v ?? NaN } : x)))} error={knobError(errors, `recipe.stages[${i}].steps`)} />
            <NumberField label="Learning rate" value={s.lr} onChange={(v) => set(recipe.stages.map((x, j) => (j === i ? { ...x, lr: v ?? NaN } : x)))} error={knobError(errors, `recipe.stages[${i}].lr`)} />
            <div className="button-row" role="group" aria-label={`Stage ${i + 1} order`}>
              <button type="button" className="small" ref={ref(`${i}-up`)} onClick={() => move(i, -1)} disabled={i === 0} aria-label={`Move stage ${i + 1} up`}>
                ↑ Up
              </button>
              <button type="button" className="small" ref={ref(`${i}-down`)} onClick={() => move(i, 1)} disabled={i === recipe.stages.length - 1} aria-label={`Move stage ${i + 1} down`}>
                ↓ Down
              </button>
              <button type="button" className="small" ref={ref(`${i}-remove`)} onClick={() => remove(i)} disabled={recipe.stages.length === 1} aria-label={`Remove stage ${i + 1}`}>
                Remove
              </button>
            </div>
          </li>
        ))}
      </ol>
      <button type="button" onClick={add} data-testid="prod-add-stage">
        Add a stage
      </button>
      <p className="visually-hidden" aria-live="polite">
        {announce}
      </p>
    </fieldset>
  );
}
