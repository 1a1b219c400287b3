import { useMemo, useRef } from 'react';
import { evalEveryHelp, splitWarnings, type SplitCounts } from '../config/warnings';
import { DEFAULT_TRAIN, defaultRecipe, RECIPE_KINDS, type Recipe, type RecipeKind, type TrainSettings } from '../../core/distill/recipes';
import { Explain } from '../Explain';
import { NumberField, SelectField, TextField } from '../controls';
import { getPath, setPath } from '../config/ablation';
import { runConfigErrors, type RunConfig } from '../config/runConfig';
import { AblationBuilder } from './AblationBuilder';
import { ConfigShare } from './ConfigShare';
import { KnobField } from './KnobField';
import { knobError, knobHelp, RECIPE_BLURB, RECIPE_FORMULAS, RECIPE_KNOBS, RECIPE_LABEL, seedHelp, TRAIN_KNOBS } from './knobs';
import { ProdChain } from './ProdChain';
import { BUILTIN_WORLD } from '../run/RunControl';

export interface RecipeViewProps {
  config: RunConfig;
  onChange: (c: RunConfig) => void;
  /** Starts one run (wired to the training worker). */
  onLaunch?: (c: RunConfig) => void;
  onLaunchGroup?: (configs: RunConfig[]) => void;
  /** The page address shared links start from. */
  pageUrl: string;
  /** An error from a ?config= in the address the page was opened with. */
  urlError?: string | null;
  /** Corpora stored in this browser (the run trains on one of them); undefined: not listed yet. */
  corpora?: { id: string; name: string; judged?: SplitCounts }[];
  /** Lists the stored corpora again (called when the corpus picker gets focus). */
  onRefreshCorpora?: () => void;
}


/** The options of the corpus picker: the built-in world first, then uploads; an unknown id is kept and flagged. */
function corpusOptions(current: string | null, corpora: { id: string; name: string }[] | undefined) {
  const opts = [{ value: '', label: 'Built-in world (default)' }];
  for (const c of corpora ?? []) if (c.id !== BUILTIN_WORLD) opts.push({ value: c.id, label: c.name === c.id ? c.id : `${c.name} (${c.id})` });
  if (current && current !== BUILTIN_WORLD && !opts.some((o) => o.value === current)) opts.push({ value: current, label: `${current} (not stored here)` });
  return opts;
}

/** Recipe, knobs with defaults and help, training settings, launch, ablations, sharing. */
export function RecipeView({ config, onChange, onLaunch, onLaunchGroup, pageUrl, urlError, corpora, onRefreshCorpora }: RecipeViewProps) {
  const errors = useMemo(() => runConfigErrors(config), [config]);
  // Edits of each kind survive switching to another and back.
  const kept = useRef(new Map<RecipeKind, Recipe>());
  const recipe = config.recipe;
  const setRecipe = (r: Recipe) => onChange({ ...config, recipe: r });
  const switchKind = (kind: RecipeKind) => {
    if (kind === recipe.kind) return;
    kept.current.set(recipe.kind, recipe);
    setRecipe(kept.current.get(kind) ?? defaultRecipe(kind));
  };
  const defaults = defaultRecipe(recipe.kind);
  const corpusMissing =
    corpora !== undefined && config.corpus && config.corpus !== BUILTIN_WORLD && !corpora.some((c) => c.id === config.corpus)
      ? `"${config.corpus}" is not stored in this browser: upload it in the Data tab, or pick another corpus`
      : null;
  const errorCount = Object.keys(errors).length + (corpusMissing ? 1 : 0);
  // Settings that name a split the chosen corpus lacks (its judged queries per split, when listed).
  const judged = corpora?.find((c) => c.id === (config.corpus ?? BUILTIN_WORLD))?.judged;
  const splitWarns = splitWarnings(config.train, judged);
  return (
    <div className="recipe-view" data-testid="recipe-view">
      {urlError && (
        <p role="alert" className="error panel">
          The run config in this page’s address was not loaded: {urlError}
        </p>
      )}
      <section className="panel" aria-labelledby="recipe-title">
        <h2 id="recipe-title">Recipe</h2>
        <Explain formulas={RECIPE_FORMULAS[recipe.kind]}>
          A recipe is how the student learns. Every knob starts at the papers’ default (LEAD: Sun et al. 2022; PROD: Lin et al.
          2023, scaled to small models) and says in one line what it does; a changed knob is marked. Problems are shown next to
          the knob and block launching.
        </Explain>
        <fieldset className="recipe-kinds" data-testid="recipe-kind">
          <legend>Recipe</legend>
          {RECIPE_KINDS.map((k) => (
            <label key={k} className={`recipe-kind ${k === recipe.kind ? 'selected' : ''}`}>
              <input type="radio" name="recipe-kind" value={k} checked={k === recipe.kind} onChange={() => switchKind(k)} />
              <span>
                <strong>{RECIPE_LABEL[k]}</strong>
                <span className="fine"> {RECIPE_BLURB[k]}</span>
              </span>
            </label>
          ))}
        </fieldset>
        {RECIPE_KNOBS[recipe.kind].length > 0 && (
          <div className="field-grid knobs" data-testid="recipe-knobs">
            {RECIPE_KNOBS[recipe.kind]
              .filter((k) => recipe.kind !== 'prod' || !k.key.startsWith('dataProgressive.') || k.key === 'dataProgressive.enabled' || getPath(recipe, 'dataProgressive.enabled'))
              .map((k) => (
                <KnobField
                  key={k.key}
                  knob={k}
                  value={getPath(recipe, k.key)}
                  defaultValue={getPath(defaults, k.key)}
                  help={knobHelp(recipe.kind, k.key)}
                  error={knobError(errors, `recipe.${k.key}`)}
                  onChange={(v) => setRecipe(setPath(recipe, k.key, v))}
                  testId={`knob-${k.key}`}
                />
              ))}
          </div>
        )}
        {recipe.kind === 'prod' && <ProdChain recipe={recipe} teachers={config.teachers} errors={errors} onChange={setRecipe} />}
        <div className="button-row">
          <button type="button" className="small" onClick={() => setRecipe(defaultRecipe(recipe.kind))}>
            Reset {RECIPE_LABEL[recipe.kind]} to the papers’ defaults
          </button>
        </div>
        {errors.teachers && <p className="field-error">{errors.teachers}</p>}
      </section>

      <section className="panel" aria-labelledby="train-title">
        <h2 id="train-title">Training settings</h2>
        <Explain formulas={['2', '7']}>
          How each phase trains: AdamW with a linear warm-up and decay, batches of B queries each with one positive and n hard
          negatives, and how often the run logs, evaluates and saves a checkpoint it can resume from.
        </Explain>
        <div className="field-grid">
          <TextField label="Run name" value={config.name} onChange={(name) => onChange({ ...config, name })} testId="run-name" />
          <div onFocus={onRefreshCorpora}>
            <SelectField
              label="Corpus"
              value={config.corpus && config.corpus !== BUILTIN_WORLD ? config.corpus : ''}
              options={corpusOptions(config.corpus, corpora)}
              onChange={(v) => onChange({ ...config, corpus: v === '' ? null : v })}
              hint="What the run trains and is evaluated on: its training queries (or self-supervised pairs when it has none) and its test queries. Upload your own in the Data tab."
              error={corpusMissing}
              testId="run-corpus"
            />
          </div>
          <NumberField label="Seed" value={config.seed} onChange={(v) => onChange({ ...config, seed: v ?? NaN })} hint={seedHelp()} error={errors.seed} testId="seed" />
          {TRAIN_KNOBS.map((k) => (
            <KnobField
              key={k.key}
              knob={k}
              value={config.train[k.key as keyof TrainSettings]}
              defaultValue={DEFAULT_TRAIN[k.key as keyof TrainSettings]}
              help={(k.key === 'evalEvery' ? evalEveryHelp(judged) : null) ?? knobHelp('train', k.key)}
              error={knobError(errors, `train.${k.key}`)}
              onChange={(v) => onChange({ ...config, train: { ...config.train, [k.key]: v } })}
              testId={`train-${k.key}`}
            />
          ))}
        </div>
        {splitWarns.map((w) => (
          <p key={w.knob} role="note" className="warning" data-testid="warn-split" data-knob={w.knob}>
            {w.text}
          </p>
        ))}
        <div className="launch-row">
          <button type="button" className="primary" disabled={!onLaunch || errorCount > 0} onClick={() => onLaunch?.(config)} data-testid="launch-run">
            Launch this run
          </button>
          {errorCount > 0 ? (
            <span className="error" data-testid="config-error-count">
              {errorCount} problem{errorCount === 1 ? '' : 's'} to fix first (Models and Recipe tabs).
            </span>
          ) : !onLaunch ? (
            <span className="fine">Launching needs the training worker, which this page has not connected.</span>
          ) : null}
        </div>
      </section>

      <AblationBuilder config={config} onLaunchGroup={onLaunchGroup} />
      <ConfigShare config={config} onLoad={onChange} pageUrl={pageUrl} />
    </div>
  );
}
