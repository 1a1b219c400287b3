import { useCallback, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { ModelExport, ModelExportLayout } from './models/useModels';
import type { ParsedRun, Rankings } from '../core/eval/trec';
import { CompareView } from './compare/CompareView';
import { PublishedResults } from './compare/PublishedResults';
import type { CompareRun } from './compare/compareRun';
import { runConfigErrors, type RunConfig } from './config/runConfig';
import { ExportView, type ExportSource, type SelectedRun } from './export/ExportView';
import type { HfCheckpointFiles, ImportState } from './models/CheckpointPicker';
import type { ModelLibraryProps } from './models/ModelLibrary';
import { ModelsView } from './models/ModelsView';
import type { BackendStatus } from './panels/BackendPanel';
import { RecipeView } from './recipe/RecipeView';
import { RunDashboard } from './run/RunDashboard';
import { hasLeadData, hasProdData, type RunViewState } from './runState';
import { StatusLine } from './StatusLine';
import { panelId, tabId, Tabs, type TabDef } from './Tabs';
import { TourCallout, useTourMemory, type TourStep } from './Tour';
import type { RunStatus } from './run/RunControl';

export type ViewId = 'data' | 'models' | 'recipe' | 'run' | 'compare' | 'export';
export const VIEW_IDS: readonly ViewId[] = ['data', 'models', 'recipe', 'run', 'compare', 'export'];
const VIEW_LABEL: Record<ViewId, string> = { data: 'Data', models: 'Models', recipe: 'Recipe', run: 'Run', compare: 'Compare', export: 'Export' };

/** What the views hand to the workers (App wires them; the views test page leaves some out). */
export interface LabActions {
  onLaunch?: (c: RunConfig) => void;
  onLaunchGroup?: (configs: RunConfig[]) => void;
  onImportCheckpoint?: (files: HfCheckpointFiles) => void;
  importStatus?: ImportState;
  rankingSources?: ExportSource[];
  onRequestRankings?: (id: string) => Promise<Rankings>;
  exportModels?: ExportSource[];
  onExportModel?: (id: string, layout?: ModelExportLayout) => Promise<ModelExport>;
  /** Adds imported runs to Compare; returns how many were new (a run and seed already there is not added), or nothing when all were. */
  onImportMetrics?: (runs: CompareRun[]) => number | void;
  onImportTrecRun?: (fileName: string, run: ParsedRun) => void;
  /** The Models tab's library: stored models, corpora to evaluate on, evaluate and delete. */
  modelLibrary?: Omit<ModelLibraryProps, 'onUseAsTeacher'>;
}

export interface LabShellProps {
  backend: BackendStatus;
  /** The Data tab: always mounted (it owns the backend and corpus panels' workers). */
  dataPanel: ReactNode;
  /** The current run's folded events. */
  run: RunViewState;
  runName?: string;
  /** The run on show (Export writes its results and its run config, named after it). */
  selectedRun?: SelectedRun;
  /** Finished (or imported) runs for Compare and Export. */
  runs: CompareRun[];
  config: RunConfig;
  onConfigChange: (c: RunConfig) => void;
  /** Why a ?config= in the address was refused, if it was. */
  configUrlError?: string | null;
  /** The address shared links are built on. */
  pageUrl: string;
  actions?: LabActions;
  /** A line above the tabs (e.g. "fixture data" on the test page). */
  banner?: ReactNode;
  /** Start / pause / resume and the results table, shown above the run dashboard. */
  runControls?: ReactNode;
  /** The current run's state, for the Run tab's badge (live while it trains, then paused/done/failed). */
  runStatus?: RunStatus;
}

const RUN_BADGE: Partial<Record<NonNullable<LabShellProps['runStatus']>, string>> = { starting: 'live', running: 'live', paused: 'paused', done: 'done', failed: 'failed' };

function viewFromHash(): ViewId {
  const h = window.location.hash.replace(/^#/, '');
  return (VIEW_IDS as readonly string[]).includes(h) ? (h as ViewId) : 'data';
}

/** The lab's shell: status line, tabs for every view, and the guided tour. */
export function LabShell({ backend, dataPanel, run, runName, selectedRun, runs, config, onConfigChange, configUrlError, pageUrl, actions = {}, banner, runControls, runStatus }: LabShellProps) {
  const [view, setView] = useState<ViewId>(viewFromHash);
  const select = useCallback((v: ViewId) => {
    setView(v);
    // Keep the view in the address (reload and back/forward return to it); no new history entry.
    history.replaceState(history.state, '', `${window.location.pathname}${window.location.search}#${v}`);
  }, []);
  useEffect(() => {
    const onHash = () => setView(viewFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const tour = useTourMemory();
  const problems = useMemo(() => Object.keys(runConfigErrors(config)).length, [config]);
  const live = run.eventCount > 0;
  // Without a status (the fixture page), events mean a run is shown.
  const runBadge = runStatus ? RUN_BADGE[runStatus] : live ? 'live' : undefined;
  const tabs: TabDef<ViewId>[] = VIEW_IDS.map((id) => ({
    id,
    label: VIEW_LABEL[id],
    badge: id === 'run' && runBadge ? runBadge : id === 'compare' && runs.length ? String(runs.length) : id === 'recipe' && problems ? '!' : undefined,
  }));
  const steps: TourStep<ViewId>[] = [
    {
      id: 'welcome', view: 'data', title: 'Welcome to Distill Lab',
      body: (
        <p>
          Here a small <em>teacher</em> retrieval model and a smaller <em>student</em> train in your browser, and the student learns from
          the teacher (knowledge distillation). This tab shows what computes (the backend, checked against the CPU before it is
          trusted) and what data it learns from: a built-in synthetic world, or your own corpus. Every panel has a “What am I looking
          at?” line that explains it.
        </p>
      ),
    },
    {
      id: 'models', view: 'models', title: 'Design the teacher and the student',
      body: <p>Choose each model’s kind, depth, width and tokenizer. Parameter counts and FLOPs per training step update as you type; a value the model cannot take is flagged next to its field.</p>,
    },
    {
      id: 'recipe', view: 'recipe', title: 'Choose how the student learns',
      body: <p>Baseline, response KD, LEAD or PROD, every knob at the papers’ default with one line on what it does. Build an ablation group to compare variants over seeds, and share the whole setup as a file or a link.</p>,
    },
    {
      id: 'run-waiting', view: 'run', title: 'Where a run comes alive', ready: !live,
      body: <p>Once a run starts, its loss terms, learning rate, accuracy and held-out metrics draw here live, followed by views inside the models’ layers.</p>,
    },
    {
      id: 'run-live', view: 'run', title: 'Reading a run', ready: live,
      body: <p>The top charts are the phase’s loss terms (one line per formula), learning rate and train accuracy; pick another phase to look back. Held-out metrics join the teacher’s and student’s curves after each evaluation. Every chart exports as SVG or PNG.</p>,
    },
    {
      id: 'lead-live', view: 'run', title: 'Inside LEAD’s layers', ready: hasLeadData(run),
      body: <p>The distribution explorer shows, for one query, how teacher and student layers spread probability over the candidates; the heatmap shows the KL between every teacher and student layer, with the pairs LEAD trains on outlined.</p>,
    },
    {
      id: 'prod-live', view: 'run', title: 'PROD’s stages', ready: hasProdData(run),
      body: <p>The timeline follows the teacher chain stage by stage; the drift chart shows how far LwF lets the student move; the scatter boxes the queries chosen for the last, data-progressive stage.</p>,
    },
    {
      id: 'compare', view: 'compare', title: 'Is the difference real?',
      body: <p>Runs side by side: mean ± spread over seeds, curves overlaid, and for two runs the queries one wins and the other loses, with a paired significance test.</p>,
    },
    {
      id: 'export', view: 'export', title: 'Take it out',
      body: <p>Metrics as CSV or JSON, rankings as a TREC run, any model as a Hugging Face checkpoint, and the run config that reproduces the run; each comes back in through the import buttons.</p>,
    },
  ];
  return (
    <div className="lab-shell">
      <StatusLine
        backend={backend}
        run={run}
        configProblems={problems}
        extra={
          tour.memory.dismissed || tour.memory.seen.length > 0 ? (
            <button type="button" className="small link tour-restart" onClick={tour.restart} data-testid="tour-restart">
              Restart the tour
            </button>
          ) : null
        }
      />
      {banner}
      <nav aria-label="Views" className="tabs-nav">
        <Tabs tabs={tabs} active={view} onSelect={select} label="Distill Lab views" />
      </nav>
      {VIEW_IDS.map((id) => {
        const active = id === view;
        // The Data tab stays mounted (its panels own long-lived workers); the others mount when shown,
        // so hidden charts never measure a zero-sized box.
        if (!active && id !== 'data') return null;
        return (
          <div key={id} role="tabpanel" id={panelId(id)} aria-labelledby={tabId(id)} hidden={!active} tabIndex={0} className="tab-panel" data-testid={`view-${id}`}>
            {active && <TourCallout steps={steps} view={id} tour={tour} onGoto={select} viewLabel={(v) => VIEW_LABEL[v]} />}
            {id === 'data' && dataPanel}
            {id === 'models' && <ModelsView config={config} onChange={onConfigChange} onImportCheckpoint={actions.onImportCheckpoint} importStatus={actions.importStatus} library={actions.modelLibrary} />}
            {id === 'recipe' && <RecipeView config={config} onChange={onConfigChange} onLaunch={actions.onLaunch} onLaunchGroup={actions.onLaunchGroup} pageUrl={pageUrl} urlError={configUrlError} corpora={actions.modelLibrary?.corpora} onRefreshCorpora={actions.modelLibrary?.onRefresh} />}
            {id === 'run' && runControls}
            {id === 'run' && <RunDashboard state={run} runName={runName} />}
            {id === 'compare' && (
              <>
                <CompareView runs={runs} />
                <PublishedResults />
              </>
            )}
            {id === 'export' && (
              <ExportView
                config={config}
                selectedRun={selectedRun}
                runs={runs}
                rankingSources={actions.rankingSources}
                onRequestRankings={actions.onRequestRankings}
                models={actions.exportModels}
                onExportModel={actions.onExportModel}
                onImportMetrics={actions.onImportMetrics}
                onImportConfig={onConfigChange}
                onImportTrecRun={actions.onImportTrecRun}
              />
            )}
          </div>
        );
      })}
    </div>
  );
}
