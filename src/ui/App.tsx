import { useCallback, useReducer, useState } from 'react';
import type { CompareRun } from './compare/compareRun';
import { configFromSearch, defaultRunConfig, type RunConfig } from './config/runConfig';
import { LabShell } from './LabShell';
import { BackendPanel, INITIAL_BACKEND_STATUS, type BackendStatus } from './panels/BackendPanel';
import { CorpusPanel } from './panels/CorpusPanel';
import { initialRunState, runReducer } from './runState';

export function App() {
  const [backend, setBackend] = useState<BackendStatus>(INITIAL_BACKEND_STATUS);
  // A run config shared as ?config=... loads on arrival (validated; a refusal is shown in the Recipe tab).
  const [fromUrl] = useState(() => configFromSearch(window.location.search));
  const [config, setConfig] = useState<RunConfig>(() => (fromUrl && 'config' in fromUrl ? fromUrl.config : defaultRunConfig()));
  // The current run: its TrainEvents folded as they arrive. Training is wired by dispatching each
  // progress event of engine.call('train', ..., { onProgress }) into this reducer.
  const [run] = useReducer(runReducer, undefined, initialRunState);
  // Finished runs for Compare and Export (imported metrics files land here too).
  const [runs, setRuns] = useState<CompareRun[]>([]);
  const onImportMetrics = useCallback((rs: CompareRun[]) => setRuns((prev) => [...prev, ...rs]), []);
  const pageUrl = `${window.location.origin}${window.location.pathname}${window.location.search}`;
  return (
    <div className="app">
      <header className="app-header">
        <h1>Distill Lab</h1>
        <p className="tagline">
          Knowledge distillation for dense retrieval, in your browser: train a teacher and a student, then distil
          with LEAD (per-layer distribution alignment) or PROD (progressive teachers and data).
        </p>
      </header>
      <main>
        <LabShell
          backend={backend}
          dataPanel={
            <>
              <BackendPanel onStatus={setBackend} />
              <CorpusPanel />
            </>
          }
          run={run}
          runs={runs}
          config={config}
          onConfigChange={setConfig}
          configUrlError={fromUrl && 'error' in fromUrl ? fromUrl.error : null}
          pageUrl={pageUrl}
          actions={{ onImportMetrics }}
        />
      </main>
    </div>
  );
}
