// Starts, pauses and resumes training runs in the training worker, folds their events into
// the dashboard's state, and shows the final comparison table. A run's events are stored as
// they come, so after a reload the dashboard is redrawn from the store and the run resumes
// from its last checkpoint.
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { defaultExperiment, type ExperimentConfig, type RunResult } from '../../core/distill/experiment';
import { defaultRecipe } from '../../core/distill/recipes';
import { ConfigError } from '../../core/errors';
import { tokenizerVocabSize, type ModelDesign, type RunConfig } from '../config/runConfig';
import { DEMO_SIZES, demoExperiment, type DemoSize } from '../../core/distill/presets';
import type { TrainEvent } from '../../core/train/events';
import type { RunSummary, TrainProgress } from '../../worker/protocol';
import { getEngine } from '../engineClient';
import { getIngestEngine } from '../corpus/ingestClient';
import { Explain } from '../Explain';
import { initialRunState, reduceEvents, runReducer, type RunViewState } from '../runState';
import { curvesOfResult } from '../compare/runCurves';
import { rerankNote } from '../compare/rerank';
import type { CompareRun } from '../compare/compareRun';
import { BUILTIN_WORLD_ID } from '../../core/data/builtin';
import { summarizeDistillation } from '../../core/eval/distillSummary';

/** The built-in world's corpus id. */
export const BUILTIN_WORLD = BUILTIN_WORLD_ID;

/** Where the page's run stands (the Run tab's badge follows it). */
export type RunStatus = 'idle' | 'starting' | 'running' | 'paused' | 'done' | 'failed';
/** Charts redraw at most this often while a run streams events. */
const REDRAW_MS = 1000;

/**
 * `?demoSteps=N` shortens every student of the demo to N steps (the browser tests that check the
 * page's machinery rather than the demo's numbers, and slow machines); absent or invalid: the
 * preset's own budget.
 */
function demoStepsFromUrl(search: string): number | undefined {
  const v = Number(new URLSearchParams(search).get('demoSteps'));
  return Number.isInteger(v) && v >= 10 ? v : undefined;
}

const LABELS: Record<string, string> = {
  bm25: 'BM25',
  baseline: 'student alone',
  kd: 'response KD',
  lead: 'LEAD',
  prod: 'PROD',
};
export const recipeLabel = (r: string) => LABELS[r] ?? r.replace(/^teacher:/, 'teacher: ');

type Action = { type: 'reset' } | { type: 'events'; events: TrainEvent[] };
function reducer(state: RunViewState, a: Action): RunViewState {
  if (a.type === 'reset') return initialRunState();
  let s = state;
  for (const e of a.events) s = runReducer(s, e);
  return s;
}

/**
 * The final table: every result of the run, one row each, with the three headline metrics;
 * for each distilled student its gain over the student alone (nDCG@10), the paired
 * randomisation test's p-value on the same test queries, and the share of the teacher-student
 * gap it closed; then a paragraph saying what happened, written from those numbers.
 */
export function ResultsTable({ results }: { results: RunResult[] }) {
  // 2,000 sign flips (p to within ~0.01): the test runs on the main thread, which must never
  // take over 100 ms at once while a run trains (10,000 flips over 300 queries took ~110 ms).
  const summary = useMemo(() => summarizeDistillation(results, results.find((r) => r.recipe === 'baseline')?.seed, { iterations: 2000 }), [results]);
  if (results.length === 0) return null;
  const row = (r: RunResult) => (summary && r.seed === summary.seed ? summary.rows.find((x) => x.recipe === r.recipe) : undefined);
  return (
    <div data-testid="results">
      <table className="data-table" data-testid="results-table">
        <caption>Test-split retrieval quality of each model (algorithms.md section 6); distilled students against the student alone</caption>
        <thead>
          <tr>
            <th scope="col">model</th>
            <th scope="col">MRR@10</th>
            <th scope="col">nDCG@10</th>
            <th scope="col">Recall@100</th>
            <th scope="col">queries</th>
            <th scope="col" title="nDCG@10 of this student minus the student trained alone's">vs alone</th>
            <th scope="col" title="Two-sided paired randomisation test on per-query nDCG@10 against the student alone (2,000 sign flips)">p</th>
            <th scope="col" title="(student - student alone) / (teacher - student alone), on nDCG@10">gap closed</th>
          </tr>
        </thead>
        <tbody>
          {results.map((r) => {
            const d = row(r);
            return (
              <tr key={`${r.recipe}:${r.seed}`} data-recipe={r.recipe} data-beats={d ? String(d.beats) : undefined}>
                <th scope="row">{recipeLabel(r.recipe)}</th>
                <td>{r.metrics['mrr@10'].toFixed(4)}</td>
                <td>{r.metrics['ndcg@10'].toFixed(4)}</td>
                <td>{r.metrics['recall@100'].toFixed(4)}</td>
                <td>{r.metrics.queries}</td>
                <td data-testid="delta">{d ? `${d.deltaNdcg >= 0 ? '+' : ''}${d.deltaNdcg.toFixed(4)}` : ''}</td>
                <td data-testid="p-value">{d ? (d.p < 0.001 ? '< 0.001' : d.p.toFixed(3)) : ''}</td>
                <td data-testid="gap">{d && d.gapRecovered !== null ? `${Math.round(d.gapRecovered * 100)}%` : ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {summary && summary.rows.length > 0 && (
        <p className="what-happened" data-testid="what-happened">
          <strong>What happened. </strong>
          {summary.text}
        </p>
      )}
    </div>
  );
}

/**
 * Compare-view runs from finished results (per-query nDCG@10 and MRR@10 included), with each
 * result's curves when the run's folded events are given (live, or read back from the store).
 */
export function compareRunsFromResults(
  run: { id: string; name: string; config?: { teachers?: { name: string; model?: { kind?: string } }[]; student?: { model?: { kind?: string } }; rerankDepth?: number } },
  results: RunResult[],
  state?: RunViewState,
): CompareRun[] {
  const teacherNames = (run.config?.teachers ?? []).map((t) => t.name);
  // The kind of each result's model: a CE or ColBERT one is evaluated by re-ranking BM25's top N.
  const kindOf = (recipe: string) =>
    recipe === 'bm25' ? undefined : recipe.startsWith('teacher:') ? run.config?.teachers?.find((t) => t.name === recipe.slice(8))?.model?.kind : run.config?.student?.model?.kind;
  return results.map((r) => {
    const rerank = rerankNote(kindOf(r.recipe), run.config?.rerankDepth);
    const pq = (m: 'ndcg@10' | 'mrr@10') => Object.fromEntries(r.perQuery.qids.map((q, i) => [q, r.perQuery[m][i]]));
    const curves = state ? curvesOfResult(state, r.recipe, teacherNames) : {};
    return {
      id: `${run.id}:${r.recipe}:${r.seed}`,
      runId: run.id,
      name: `${recipeLabel(r.recipe)} (${run.name})`,
      group: recipeLabel(r.recipe),
      seed: r.seed,
      metrics: { 'mrr@10': r.metrics['mrr@10'], 'ndcg@10': r.metrics['ndcg@10'], 'recall@10': r.metrics['recall@10'], 'recall@100': r.metrics['recall@100'], map: r.metrics.map },
      perQuery: { 'ndcg@10': pq('ndcg@10'), 'mrr@10': pq('mrr@10') },
      ...(Object.keys(curves).length ? { curves } : {}),
      ...(rerank ? { rerank } : {}),
      ...(r.health ? { health: r.health } : {}),
    };
  });
}

/** A stored run's events as the dashboard folds them (log lines and results left out). */
function foldStored(stored: TrainProgress[]): RunViewState {
  const events: TrainEvent[] = [];
  for (const p of stored) if (p.type !== 'log' && p.type !== 'result') events.push(p);
  return reduceEvents(events);
}

/** Experiment config from the Recipe tab's run config (one recipe, the designed models). */
export function experimentFromRunConfig(c: RunConfig): ExperimentConfig {
  const base = defaultExperiment(c.seed);
  const spec = (d: ModelDesign) => {
    if (d.tokenizer.kind === 'pretrained') {
      throw new ConfigError(`${d.name}: the student trains from scratch; an imported checkpoint can be a teacher only. Choose WordPiece or hashed words`);
    }
    return { name: d.name, model: d.shape, tokenizer: { kind: d.tokenizer.kind, vocabSize: tokenizerVocabSize(d.tokenizer) } };
  };
  // An imported teacher (Models tab) is loaded from the model store, with its own tokenizer.
  const teacherSpec = (d: ModelDesign) =>
    d.tokenizer.kind === 'pretrained'
      ? { name: d.name, model: d.shape, tokenizer: { kind: 'wordpiece' as const, vocabSize: d.tokenizer.vocabSize }, pretrained: d.tokenizer.source }
      : spec(d);
  return {
    ...base,
    seed: c.seed,
    teachers: c.teachers.map(teacherSpec),
    // A student cut from teacher 1 or a stored model takes that model's tokenizer: its own is not built.
    student: c.student.init && c.student.init.from !== 'random'
      ? { name: c.student.name, model: c.student.shape, tokenizer: { kind: 'wordpiece' as const, vocabSize: tokenizerVocabSize(c.student.tokenizer) }, init: c.student.init }
      : spec(c.student),
    teacherTrain: c.train,
    studentTrain: c.train,
    recipes: [defaultRecipe('baseline'), ...(c.recipe.kind === 'baseline' ? [] : [c.recipe])],
  };
}

export type RunController = ReturnType<typeof useRunController>;

/** The page's training state: lives in App so switching tabs never interrupts a run. */
export function useRunController() {
  const [size, setSize] = useState<DemoSize>('quick');
  const [runs, setRuns] = useState<RunSummary[]>([]);
  const [active, setActive] = useState<RunSummary | null>(null);
  const [status, setStatus] = useState<RunStatus>('idle');
  const [message, setMessage] = useState<string>('');
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<RunResult[]>([]);
  const [state, dispatch] = useReducer(reducer, undefined, initialRunState);
  const abort = useRef<AbortController | null>(null);
  // Set once the page opens, starts or resumes a run: the stored run shown on arrival must not replace it.
  const touched = useRef(false);
  // Compare's rows of every stored run with results, from its stored series (by run id, with the
  // updatedAt they were read at, so a run is read again only when it changed).
  const [storedCompare, setStoredCompare] = useState<Record<string, { updatedAt: number; runs: CompareRun[] }>>({});
  const storedSeen = useRef<Record<string, number>>({});
  // The run on show: Compare draws it from the live state, so its stored series is not read
  // (folding a whole stored run is main-thread work that must not land while it trains).
  const activeId = useRef<string | null>(null);
  // Events arrive faster than the charts need redrawing: fold them in batches, at most a few
  // times a second, so rendering never crowds the main thread while training runs.
  const queue = useRef<TrainEvent[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const enqueue = useCallback((e: TrainEvent) => {
    queue.current.push(e);
    if (timer.current === null) {
      timer.current = setTimeout(() => {
        timer.current = null;
        const events = queue.current;
        queue.current = [];
        dispatch({ type: 'events', events });
      }, REDRAW_MS);
    }
  }, []);

  const refresh = useCallback(async () => {
    const list = await getEngine().call('listRuns', {});
    setRuns(list);
    // Read the series of every stored run with results that is new or changed since last read.
    for (const run of list) {
      if (run.results.length === 0 || run.id === activeId.current || storedSeen.current[run.id] === run.updatedAt) continue;
      storedSeen.current[run.id] = run.updatedAt;
      try {
        const folded = foldStored(await getEngine().call('runEvents', { runId: run.id }));
        const rows = compareRunsFromResults(run, run.results, folded);
        setStoredCompare((prev) => ({ ...prev, [run.id]: { updatedAt: run.updatedAt, runs: rows } }));
      } catch {
        delete storedSeen.current[run.id];
      }
    }
    // Runs deleted elsewhere leave Compare.
    const ids = new Set(list.map((r) => r.id));
    setStoredCompare((prev) => (Object.keys(prev).every((id) => ids.has(id)) ? prev : Object.fromEntries(Object.entries(prev).filter(([id]) => ids.has(id)))));
    return list;
  }, []);

  // On arrival: list the stored runs and show the latest (its curves, results and state), unless
  // the page has already opened or started one.
  useEffect(() => {
    void refresh()
      .then((list) => {
        if (!touched.current && list.length > 0) void openRef.current?.(list[0], false, false);
      })
      .catch(() => {});
  }, [refresh]);

  // Compare: every stored run with results, oldest first; the run on show from its live state.
  const compareRuns = useMemo(() => {
    const out: CompareRun[] = [];
    const activeRows = active && results.length ? compareRunsFromResults(active, results, state) : [];
    let placed = false;
    for (const run of [...runs].reverse()) {
      if (active && run.id === active.id) {
        out.push(...activeRows);
        placed = true;
      } else out.push(...(storedCompare[run.id]?.runs ?? []));
    }
    if (!placed) out.push(...activeRows);
    return out;
  }, [runs, storedCompare, active, results, state]);

  const onProgress = useCallback(
    (p: TrainProgress) => {
      if (p.type === 'log') setMessage(p.message);
      else if (p.type === 'result') setResults((rs) => (rs.some((r) => r.recipe === p.result.recipe && r.seed === p.result.seed) ? rs : [...rs, p.result]));
      else enqueue(p);
    },
    [enqueue],
  );

  const train = useCallback(
    async (run: RunSummary, resume: boolean): Promise<boolean> => {
      setError(null);
      setStatus('running');
      const ctrl = new AbortController();
      abort.current = ctrl;
      try {
        const out = await getEngine().call(
          'train',
          { runId: run.id, name: run.name, corpusId: run.corpusId, config: run.config, resume, ...(run.runConfig !== undefined ? { runConfig: run.runConfig } : {}) },
          { signal: ctrl.signal, onProgress },
        );
        setResults(out.results);
        setStatus('done');
        setMessage('Finished.');
        return true;
      } catch (e) {
        const err = e as Error;
        if (err.name === 'CancelledError') {
          setStatus('paused');
          setMessage('Paused. Resume continues from the last checkpoint.');
        } else {
          setStatus('failed');
          setError(`${err.name}: ${err.message}`);
        }
        return false;
      } finally {
        abort.current = null;
        void refresh();
      }
    },
    [onProgress, refresh],
  );

  const launch = useCallback(async (config: ExperimentConfig, name: string, corpusId: string, runConfig?: RunConfig): Promise<boolean> => {
    touched.current = true;
    setStatus('starting');
    setError(null);
    setResults([]);
    dispatch({ type: 'reset' });
    try {
      // The built-in world is stored on first visit; make sure before training on it.
      if (corpusId === BUILTIN_WORLD) await getIngestEngine().call('ensureBuiltinWorld', {});
      const run: RunSummary = {
        id: `run-${Date.now().toString(36)}`,
        name,
        corpusId,
        status: 'created',
        createdAt: Date.now(),
        updatedAt: Date.now(),
        config,
        results: [],
        ...(runConfig ? { runConfig } : {}),
      };
      activeId.current = run.id;
      setActive(run);
      // The run shown before (drawn live until now) joins Compare from its stored series.
      void refresh().catch(() => {});
      return await train(run, false);
    } catch (e) {
      setStatus('failed');
      setError(`${(e as Error).name}: ${(e as Error).message}`);
      return false;
    }
  }, [train, refresh]);

  const startDemo = useCallback(
    () => launch(demoExperiment(size, 1, { steps: demoStepsFromUrl(window.location.search) }), `${DEMO_SIZES.find((d) => d.id === size)!.label} demo on the built-in world`, BUILTIN_WORLD),
    [launch, size],
  );
  const launchConfig = useCallback(
    (c: RunConfig) => {
      let config: ExperimentConfig;
      try {
        config = experimentFromRunConfig(c);
      } catch (e) {
        setStatus('failed');
        setError(`${(e as Error).name}: ${(e as Error).message}`);
        return;
      }
      void launch(config, c.name || 'run', c.corpus ?? BUILTIN_WORLD, c);
    },
    [launch],
  );

  // An ablation group: its runs one after another (one training worker, one run at a time),
  // each stored and listed on its own so Compare can set them side by side. A run that fails or
  // is paused stops the queue; the runs not started are named in the message.
  const [queued, setQueued] = useState<string[]>([]);
  const launchGroup = useCallback(
    async (configs: RunConfig[]) => {
      const names = configs.map((c, i) => c.name || `variant ${i + 1}`);
      for (let i = 0; i < configs.length; i++) {
        setQueued(names.slice(i + 1));
        let config: ExperimentConfig;
        try {
          config = experimentFromRunConfig(configs[i]);
        } catch (e) {
          setStatus('failed');
          setError(`${names[i]}: ${(e as Error).name}: ${(e as Error).message}`);
          break;
        }
        const ok = await launch(config, names[i], configs[i].corpus ?? BUILTIN_WORLD, { ...configs[i], name: names[i] });
        if (!ok) {
          if (i + 1 < configs.length) setMessage(`group stopped at ${names[i]}; not run: ${names.slice(i + 1).join(', ')}`);
          break;
        }
      }
      setQueued([]);
    },
    [launch],
  );

  // Shows a stored run (its curves, results and state) and, with `resume`, continues it. `byUser`
  // false: the latest run shown on arrival, dropped if the page has started or opened one since.
  const open = useCallback(
    async (run: RunSummary, resume: boolean, byUser = true) => {
      if (byUser) touched.current = true;
      const stored = await getEngine().call('runEvents', { runId: run.id });
      if (!byUser && touched.current) return;
      const events: TrainEvent[] = [];
      for (const p of stored) if (p.type !== 'log' && p.type !== 'result') events.push(p);
      dispatch({ type: 'reset' });
      activeId.current = run.id;
      setActive(run);
      setResults(run.results);
      setError(run.error ? `${run.error.name}: ${run.error.message}` : null);
      setMessage('');
      dispatch({ type: 'events', events });
      setStatus(run.status === 'done' ? 'done' : run.status === 'failed' ? 'failed' : 'paused');
      // The run shown before is drawn from its stored series now.
      if (!resume) void refresh().catch(() => {});
      if (resume) await train(run, true);
    },
    [train, refresh],
  );
  const openRef = useRef<typeof open | null>(null);
  openRef.current = open;

  const resumable = useMemo(() => runs.filter((r) => r.status === 'paused' || r.status === 'running'), [runs]);
  const busy = status === 'running' || status === 'starting';
  const pause = useCallback(() => abort.current?.abort(), []);
  const resume = useCallback(() => {
    if (active) void train(active, true);
  }, [active, train]);
  return { state, status, message, error, results, size, setSize, startDemo, launchConfig, launchGroup, queued, pause, resume, resumable, open, active, busy, compareRuns, runs };
}

/** Start / pause / resume, interrupted runs, and the final table. */
export function RunControlPanel({ c }: { c: RunController }) {
  const { status, message, error, size, setSize, startDemo, pause, resume, resumable, open, active, busy, queued } = c;
  return (
      <section className="panel" aria-labelledby="runctl-title" data-testid="run-control">
        <h2 id="runctl-title">Run the demo</h2>
        <Explain>
          One click loads the teacher the lab ships (a 4-layer dual encoder trained on this world by the lab's own command
          line) and scores it on the held-out test queries at once. Then the same small student (2 layers, 32 wide, the same
          initial weights every time) trains four ways on the same budget: alone with the contrastive loss (3.1); with response
          KD, matching the teacher's scores softened to T = 2 (3.3); with LEAD, aligning randomly chosen layer pairs'
          score distributions (teacher softened to τ = 2), re-weighted by how well each teacher layer ranks, teacher trained
          jointly (3.4, 3.5); and with PROD, a distillation
          stage then a data-progressive stage on the queries the teacher gets right and the student nearly does (section 5).
          The table at the end says how much each distilled student gained over the one trained alone, whether that is more
          than chance, and how much of the teacher-student gap it closed. Checkpoints are saved as it trains: pause, reload the
          page, and resume. The Standard size trains its own teachers instead, for a real GPU.
        </Explain>
        <fieldset className="inline-fields" disabled={busy}>
          <legend>Size</legend>
          {DEMO_SIZES.map((d) => (
            <label key={d.id} title={d.description}>
              <input type="radio" name="demo-size" value={d.id} checked={size === d.id} onChange={() => setSize(d.id)} /> {d.label}
            </label>
          ))}
        </fieldset>
        <p className="fine">{DEMO_SIZES.find((d) => d.id === size)!.description}</p>
        <div className="button-row">
          <button type="button" onClick={() => void startDemo()} disabled={busy} data-testid="start-demo">
            Run the default demo
          </button>
          <button type="button" onClick={pause} disabled={status !== 'running'} data-testid="pause-run">
            Pause
          </button>
          <button type="button" onClick={resume} disabled={busy || status !== 'paused' || !active} data-testid="resume-run">
            Resume
          </button>
        </div>
        <p role="status" aria-live="polite" data-testid="run-status">
          {status === 'idle' ? 'No run in progress.' : `${status}${message ? `: ${message}` : ''}`}
        </p>
        {queued.length > 0 && (
          <p className="fine" data-testid="run-queue">
            Ablation group: {active?.name ?? 'a run'} is training; queued next: {queued.join(', ')}.
          </p>
        )}
        {error && (
          <p role="alert" className="error" data-testid="run-error">
            {error}
          </p>
        )}
        {resumable.length > 0 && !busy && (
          <div data-testid="resumable-runs">
            <h3>Interrupted runs</h3>
            <ul>
              {resumable.map((r) => (
                <li key={r.id}>
                  {r.name} ({resultsSoFar(r.results.length)}){' '}
                  <button type="button" onClick={() => void open(r, true)} data-testid="resume-stored">
                    Resume
                  </button>{' '}
                  <button type="button" onClick={() => void open(r, false)}>
                    Show
                  </button>
                </li>
              ))}
            </ul>
          </div>
        )}
      </section>
  );
}

/** "no results so far", "1 result so far", "3 results so far". */
export function resultsSoFar(n: number): string {
  return n === 0 ? 'no results so far' : `${n} result${n === 1 ? '' : 's'} so far`;
}

const STATUS_WORD: Record<string, string> = { created: 'created', running: 'interrupted', paused: 'paused', done: 'done', failed: 'failed' };

/** The run on show (picked from every stored run) and its results table. */
export function RunResultsPanel({ c }: { c: RunController }) {
  const { runs, active, results, open, busy } = c;
  if (runs.length === 0 && !active) return null;
  const listed = active && !runs.some((r) => r.id === active.id) ? [active, ...runs] : runs;
  return (
    <section className="panel" aria-labelledby="run-results-title" data-testid="run-results">
      <h2 id="run-results-title">{active ? `Run: ${active.name}` : 'Stored runs'}</h2>
      <div className="field">
        <label htmlFor="run-picker">Show a stored run</label>
        <select
          id="run-picker"
          value={active?.id ?? ''}
          disabled={busy}
          onChange={(e) => {
            const run = runs.find((r) => r.id === e.target.value);
            if (run) void open(run, false);
          }}
          data-testid="run-picker"
        >
          {!active && <option value="">(pick a run)</option>}
          {listed.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}, {new Date(r.createdAt).toLocaleString()} ({STATUS_WORD[r.status] ?? r.status}, {resultsSoFar(r.results.length).replace(' so far', '')})
            </option>
          ))}
        </select>
      </div>
      {busy && <p className="fine">Another run can be shown once this one stops.</p>}
      <ResultsTable results={results} />
    </section>
  );
}
