import { useCallback, useEffect, useMemo, useState } from 'react';
import { newImports, type CompareRun } from './compare/compareRun';
import { configFromSearch, defaultRunConfig, encodeConfigParam, validateRunConfig, type RunConfig } from './config/runConfig';
import { LabShell } from './LabShell';
import { BackendPanel, INITIAL_BACKEND_STATUS, type BackendStatus } from './panels/BackendPanel';
import { CorpusPanel } from './panels/CorpusPanel';
import { RunControlPanel, RunResultsPanel, useRunController } from './run/RunControl';
import { useModels } from './models/useModels';

export function App() {
  const [backend, setBackend] = useState<BackendStatus>(INITIAL_BACKEND_STATUS);
  // A run config shared as ?config=... loads on arrival (validated; a refusal is shown in the Recipe tab).
  const [fromUrl] = useState(() => configFromSearch(window.location.search));
  const [config, setConfig] = useState<RunConfig>(() => (fromUrl && 'config' in fromUrl ? fromUrl.config : defaultRunConfig()));
  // The Models and Recipe tabs' state lives in the address (?config=, replaced in place, no new
  // history entry), so a reload keeps it; the other parameters (?backend=) and the view stay.
  useEffect(() => {
    const url = new URL(window.location.href);
    const encoded = encodeConfigParam(config);
    if (url.searchParams.get('config') === encoded) return;
    url.searchParams.set('config', encoded);
    history.replaceState(history.state, '', url.toString());
  }, [config]);
  // The current run: trained in the worker, its TrainEvents folded as they arrive (lives here, so
  // switching tabs never interrupts it).
  const controller = useRunController();
  // Finished runs for Compare and Export: this session's results, plus imported metrics files.
  const [imported, setImported] = useState<CompareRun[]>([]);
  const runs = useMemo(() => [...controller.compareRuns, ...imported], [controller.compareRuns, imported]);
  // A run and seed already in Compare is not added again (the same file imported twice is not two seeds).
  const onImportMetrics = useCallback(
    (rs: CompareRun[]) => {
      const { added } = newImports(runs, rs);
      setImported((prev) => [...prev, ...added]);
      return added.length;
    },
    [runs],
  );
  // The run on show, for Export: its name and the run config it was launched from (none for the demo).
  const active = controller.active;
  const selectedRun = useMemo(() => {
    if (!active) return undefined;
    let runConfig: RunConfig | undefined;
    try {
      runConfig = active.runConfig === undefined ? undefined : validateRunConfig(active.runConfig);
    } catch {
      runConfig = undefined;
    }
    return { id: active.id, name: active.name, config: runConfig };
  }, [active]);
  // Imported checkpoints and the models runs trained: listed again whenever a run stops.
  const lib = useModels(controller.busy ? 'busy' : `${controller.status}:${controller.results.length}`);
  const trained = useMemo(() => lib.models.filter((m) => m.run).map((m) => ({ id: m.id, name: m.name })), [lib.models]);
  const exportable = useMemo(() => lib.models.map((m) => ({ id: m.id, name: m.origin === 'import' ? `${m.name} (imported)` : m.name })), [lib.models]);
  // Built once: the Data tab stays mounted, and must not re-render with every batch of run events.
  const dataPanel = useMemo(
    () => (
      <>
        <BackendPanel onStatus={setBackend} />
        <CorpusPanel />
      </>
    ),
    [],
  );
  const goRun = useCallback(() => {
    window.location.hash = 'run';
  }, []);
  const pageUrl = `${window.location.origin}${window.location.pathname}${window.location.search}`;
  return (
    <div className="app">
      <header className="app-header">
        <h1>Distill Lab</h1>
        <p className="tagline">
          Knowledge distillation for dense retrieval, in your browser: train a teacher and a student, then distil
          with LEAD (per-layer distribution alignment) or PROD (progressive teachers and data).
        </p>
        <button
          type="button"
          className="primary"
          data-testid="header-demo"
          disabled={controller.busy}
          onClick={() => {
            goRun();
            void controller.startDemo();
          }}
        >
          Run the default demo
        </button>
      </header>
      <main>
        <LabShell
          backend={backend}
          dataPanel={dataPanel}
          run={controller.state}
          runName={controller.active?.name}
          selectedRun={selectedRun}
          runControls={
            <>
              <RunControlPanel c={controller} />
              <RunResultsPanel c={controller} />
            </>
          }
          runStatus={controller.status}
          runs={runs}
          config={config}
          onConfigChange={setConfig}
          configUrlError={fromUrl && 'error' in fromUrl ? fromUrl.error : null}
          pageUrl={pageUrl}
          actions={{
            onImportMetrics,
            onImportCheckpoint: (files) => void lib.onImportCheckpoint(files),
            importStatus: lib.importStatus,
            modelLibrary: { models: lib.models, corpora: lib.corpora, listError: lib.listError, onEvaluate: lib.onEvaluateModel, onDelete: lib.onDeleteModel, onRefresh: lib.refresh },
            exportModels: exportable,
            onExportModel: lib.onExportModel,
            rankingSources: trained,
            onRequestRankings: lib.onRequestRankings,
            onLaunch: (c) => {
              goRun();
              controller.launchConfig(c);
            },
            onLaunchGroup: (cs) => {
              goRun();
              void controller.launchGroup(cs);
            },
          }}
        />
      </main>
    </div>
  );
}
