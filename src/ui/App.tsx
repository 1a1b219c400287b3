import { useCallback, useMemo, useState } from 'react';
import type { CompareRun } from './compare/compareRun';
import { configFromSearch, defaultRunConfig, type RunConfig } from './config/runConfig';
import { LabShell } from './LabShell';
import { BackendPanel, INITIAL_BACKEND_STATUS, type BackendStatus } from './panels/BackendPanel';
import { CorpusPanel } from './panels/CorpusPanel';
import { RunControlPanel, useRunController } from './run/RunControl';
import { useModels } from './models/useModels';

export function App() {
  const [backend, setBackend] = useState<BackendStatus>(INITIAL_BACKEND_STATUS);
  // A run config shared as ?config=... loads on arrival (validated; a refusal is shown in the Recipe tab).
  const [fromUrl] = useState(() => configFromSearch(window.location.search));
  const [config, setConfig] = useState<RunConfig>(() => (fromUrl && 'config' in fromUrl ? fromUrl.config : defaultRunConfig()));
  // The current run: trained in the worker, its TrainEvents folded as they arrive (lives here, so
  // switching tabs never interrupts it).
  const controller = useRunController();
  // Finished runs for Compare and Export: this session's results, plus imported metrics files.
  const [imported, setImported] = useState<CompareRun[]>([]);
  const onImportMetrics = useCallback((rs: CompareRun[]) => setImported((prev) => [...prev, ...rs]), []);
  const runs = useMemo(() => [...controller.compareRuns, ...imported], [controller.compareRuns, imported]);
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
          runControls={<RunControlPanel c={controller} />}
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
