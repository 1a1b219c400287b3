import { useMemo, useState } from 'react';
import { RECIPE_KINDS, type RecipeKind } from '../../core/distill/recipes';
import { Explain } from '../Explain';
import { TextField } from '../controls';
import { expandAblation, getPath, parseSeedList, type AblationAxis, type AxisValue } from '../config/ablation';
import type { RunConfig } from '../config/runConfig';
import { RECIPE_LABEL } from './knobs';

interface AxisChoice {
  path: string;
  label: string;
  values: { value: AxisValue; label: string }[];
}

const onOff = [
  { value: true, label: 'on' },
  { value: false, label: 'off' },
];

/** The axes worth varying for each recipe (the papers' ablations). */
const AXES: Record<RecipeKind, AxisChoice[]> = {
  baseline: [],
  kd: [
    { path: 'recipe.form', label: 'KD form', values: [{ value: 'lead', label: 'LEAD (3.2)' }, { value: 'prod', label: 'PROD (3.3)' }] },
    { path: 'recipe.temperature', label: 'Temperature', values: [1, 2, 4].map((v) => ({ value: v, label: String(v) })) },
  ],
  lead: [
    { path: 'recipe.selection', label: 'Layer selection', values: ['random', 'last', 'skip'].map((v) => ({ value: v, label: v })) },
    { path: 'recipe.reweight', label: 'Re-weighting', values: onOff },
    { path: 'recipe.joint', label: 'Joint training', values: onOff },
    { path: 'recipe.k', label: 'Layer pairs k', values: [1, 2, 3, 4].map((v) => ({ value: v, label: String(v) })) },
  ],
  prod: [
    { path: 'recipe.lwf', label: 'LwF', values: onOff },
    { path: 'recipe.refreshNegatives', label: 'Negative refresh', values: onOff },
    { path: 'recipe.dataProgressive.enabled', label: 'Data-progressive stage', values: onOff },
  ],
};

export interface AblationBuilderProps {
  config: RunConfig;
  /** Launches the variants as one group (wired to the training worker). */
  onLaunchGroup?: (configs: RunConfig[]) => void;
}

/** Builds a group of runs varying a few knobs (and seeds) of the current config. */
export function AblationBuilder({ config, onLaunchGroup }: AblationBuilderProps) {
  const kind = config.recipe.kind;
  const [picked, setPicked] = useState<Record<string, AxisValue[]>>({});
  const [recipes, setRecipes] = useState<RecipeKind[]>([]);
  const [seedText, setSeedText] = useState(String(config.seed));
  const seeds = parseSeedList(seedText);
  const choices = AXES[kind];

  const axes: AblationAxis[] = useMemo(() => {
    const out: AblationAxis[] = [];
    const others = recipes.filter((k) => k !== kind);
    if (others.length) out.push({ kind: 'recipe', values: [...RECIPE_KINDS.filter((k) => others.includes(k) || k === kind)] });
    for (const c of choices) {
      const vals = c.values.map((v) => v.value).filter((v) => (picked[c.path] ?? []).includes(v));
      // One value equal to the current one varies nothing.
      if (vals.length === 0 || (vals.length === 1 && vals[0] === getPath(config, c.path))) continue;
      out.push({ kind: 'field', path: c.path, values: vals });
    }
    if (seeds && !(seeds.length === 1 && seeds[0] === config.seed)) out.push({ kind: 'field', path: 'seed', values: seeds });
    return out;
  }, [recipes, kind, choices, picked, seeds, config]);

  const variants = useMemo(() => (axes.length ? expandAblation(config, axes) : []), [axes, config]);
  const bad = variants.filter((v) => Object.keys(v.errors).length > 0);
  const toggle = (path: string, v: AxisValue) =>
    setPicked((p) => {
      const cur = p[path] ?? [];
      return { ...p, [path]: cur.includes(v) ? cur.filter((x) => x !== v) : [...cur, v] };
    });

  return (
    <section className="panel" aria-labelledby="ablation-title" data-testid="ablation-builder">
      <h2 id="ablation-title">Ablation group</h2>
      <Explain>
        An ablation changes one ingredient at a time to see what it contributes: LEAD's random layer selection against the last
        layers or every other one, re-weighting on or off, a frozen teacher against joint training; PROD with and without LwF or
        its data-progressive stage. Tick the values to compare; every combination becomes one run of the group (the current
        settings for everything else). Add seeds to measure the spread: the Compare view then reports mean ± spread per
        variant and a paired test between any two.
      </Explain>
      <div className="axis-grid">
        <fieldset className="axis">
          <legend>Also run these recipes</legend>
          {RECIPE_KINDS.map((k) => (
            <label key={k} className="check">
              <input
                type="checkbox"
                checked={k === kind || recipes.includes(k)}
                disabled={k === kind}
                onChange={() => setRecipes((r) => (r.includes(k) ? r.filter((x) => x !== k) : [...r, k]))}
              />{' '}
              {RECIPE_LABEL[k]}
              {k === kind ? ' (this one)' : ' (defaults)'}
            </label>
          ))}
        </fieldset>
        {choices.map((c) => (
          <fieldset className="axis" key={c.path}>
            <legend>{c.label}</legend>
            {c.values.map((v) => (
              <label key={String(v.value)} className="check">
                <input type="checkbox" checked={(picked[c.path] ?? []).includes(v.value)} onChange={() => toggle(c.path, v.value)} data-testid={`axis-${c.path}-${String(v.value)}`} /> {v.label}
                {getPath(config, c.path) === v.value ? ' (current)' : ''}
              </label>
            ))}
          </fieldset>
        ))}
        <div className="axis">
          <TextField label="Seeds" value={seedText} onChange={setSeedText} hint="A list or a range: 1, 2, 3 or 1-5." error={seeds ? null : 'is not a list of seeds'} testId="ablation-seeds" />
        </div>
      </div>
      {variants.length > 0 ? (
        <table className="data-table compact" data-testid="ablation-variants">
          <caption>
            {variants.length} run{variants.length === 1 ? '' : 's'} in this group{bad.length ? `; ${bad.length} cannot run as set` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">variant</th>
              <th scope="col">problems</th>
            </tr>
          </thead>
          <tbody>
            {variants.map((v, i) => (
              <tr key={v.label}>
                <td>{i + 1}</td>
                <td>{v.label}</td>
                <td className={Object.keys(v.errors).length ? 'error' : undefined}>{Object.entries(v.errors).map(([f, m]) => `${f}: ${m}`).join('; ') || 'none'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="fine">Tick at least one value that differs from the current settings, or list more seeds.</p>
      )}
      <button type="button" disabled={!onLaunchGroup || variants.length === 0 || bad.length > 0} onClick={() => onLaunchGroup?.(variants.map((v) => v.config))} data-testid="launch-group">
        Launch {variants.length || ''} run{variants.length === 1 ? '' : 's'} as a group
      </button>
      {!onLaunchGroup && <p className="fine">Launching needs the training worker, which this page has not connected.</p>}
    </section>
  );
}
