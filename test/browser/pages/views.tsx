// Test page for the lab's views (test/browser/ui.test.mjs): the real LabShell with the Run,
// Compare, Models, Recipe and Export views, fed from a FIXTURE of synthetic TrainEvents
// (fixture-events.json, made by makeFixture.mjs), so the views can be checked without training.
// No worker starts here.
import { StrictMode, useCallback, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { TrainEvent } from '../../../src/core/train/events';
import type { CompareRun } from '../../../src/ui/compare/compareRun';
import { compareRunFromState } from '../../../src/ui/compare/compareRun';
import { defaultRunConfig, type RunConfig } from '../../../src/ui/config/runConfig';
import { LabShell } from '../../../src/ui/LabShell';
import type { BackendStatus } from '../../../src/ui/panels/BackendPanel';
import { initialRunState, reduceEvents, type RunViewState } from '../../../src/ui/runState';
import '../../../src/ui/styles.css';
import fixtureJson from './fixture-events.json';

interface FixtureRun {
  id: string;
  name: string;
  events: TrainEvent[];
}
interface Fixture {
  _fixture: string;
  lead: FixtureRun;
  prod: FixtureRun;
  collapsed: FixtureRun;
  compare: {
    runs: (FixtureRun & { group: string; seed: number; perQuery: CompareRun['perQuery'] })[];
    queries: Record<string, string>;
  };
}
const fixture = fixtureJson as unknown as Fixture;
type FixtureName = 'lead' | 'prod' | 'collapsed';

/** What the status line shows here: a stand-in, since this page starts no worker. */
const FIXTURE_BACKEND: BackendStatus = {
  state: 'ready',
  info: {
    backend: 'cpu',
    choice: { chosen: 'cpu', reasons: ['fixture page: no worker started'], adapter: null, forced: null, candidates: [] },
    tfjsVersion: 'fixture',
    host: 'page',
    crossOriginIsolated: window.crossOriginIsolated,
  },
};

const params = new URLSearchParams(window.location.search);
// ?replay=MS: the shown run's events arrive as a live run's do, a batch (?batch=N events) every
// MS milliseconds (the run controller folds events in batches too), so that the page's main
// thread can be measured while the dashboard fills in; window.__replay counts what is left.
const REPLAY_MS = Number(params.get('replay') ?? 0);
const REPLAY_BATCH = Number(params.get('batch') ?? 4);
declare global {
  interface Window {
    __replay?: { left: number };
  }
}

/** The run's state: whole at once, or growing batch by batch in replay mode. */
function useReplayed(events: TrainEvent[], whole: RunViewState): RunViewState {
  const [state, setState] = useState<RunViewState>(() => (REPLAY_MS > 0 ? initialRunState() : whole));
  useEffect(() => {
    if (!(REPLAY_MS > 0)) {
      setState(whole);
      return;
    }
    let i = 0;
    let s = initialRunState();
    setState(s);
    window.__replay = { left: events.length };
    const timer = setInterval(() => {
      const batch = events.slice(i, i + REPLAY_BATCH);
      i += batch.length;
      window.__replay = { left: events.length - i };
      if (batch.length === 0) return clearInterval(timer);
      s = reduceEvents(batch, s);
      setState(s);
    }, REPLAY_MS);
    return () => clearInterval(timer);
  }, [events, whole]);
  return state;
}

function ViewsPage() {
  const [which, setWhich] = useState<FixtureName>(() => {
    const r = params.get('run');
    return r === 'prod' || r === 'collapsed' ? r : 'lead';
  });
  const whole = useMemo(
    () => ({ lead: reduceEvents(fixture.lead.events), prod: reduceEvents(fixture.prod.events), collapsed: reduceEvents(fixture.collapsed.events) }),
    [],
  );
  const shown = useReplayed(fixture[which].events, whole[which]);
  const runs = { ...whole, [which]: shown };
  const fixtureCompare = useMemo(
    () =>
      fixture.compare.runs.map((r) =>
        compareRunFromState(reduceEvents(r.events), { id: r.id, name: r.name, group: r.group, seed: r.seed, perQuery: r.perQuery, queries: fixture.compare.queries }),
      ),
    [],
  );
  const [imported, setImported] = useState<CompareRun[]>([]);
  const onImportMetrics = useCallback((rs: CompareRun[]) => setImported((p) => [...p, ...rs]), []);
  const [config, setConfig] = useState<RunConfig>(() => defaultRunConfig());
  const run = fixture[which];
  return (
    <div className="app">
      <header className="app-header">
        <h1>Distill Lab</h1>
        <p className="tagline">Test page: the lab’s views on recorded fixture events.</p>
      </header>
      <main>
        <LabShell
          backend={FIXTURE_BACKEND}
          dataPanel={
            <section className="panel" aria-labelledby="fixture-data-title">
              <h2 id="fixture-data-title">Data</h2>
              <p>On this test page no worker starts, so the corpus and backend panels are not shown; the other tabs draw from the fixture.</p>
            </section>
          }
          run={runs[which]}
          runName={run.name}
          runs={[...fixtureCompare, ...imported]}
          config={config}
          onConfigChange={setConfig}
          pageUrl={`${window.location.origin}${window.location.pathname}`}
          actions={{ onImportMetrics }}
          banner={
            <div className="fixture-banner" role="note" data-testid="fixture-banner">
              <strong>Fixture data.</strong> {fixture._fixture}{' '}
              <label>
                Run shown:{' '}
                <select value={which} onChange={(e) => setWhich(e.target.value as FixtureName)} data-testid="fixture-run">
                  <option value="lead">{fixture.lead.name}</option>
                  <option value="prod">{fixture.prod.name}</option>
                  <option value="collapsed">{fixture.collapsed.name}</option>
                </select>
              </label>
            </div>
          }
        />
      </main>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ViewsPage />
  </StrictMode>,
);
