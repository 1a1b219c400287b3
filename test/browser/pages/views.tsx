// Test page for the lab's views (test/browser/ui.test.mjs): the real LabShell with the Run,
// Compare, Models, Recipe and Export views, fed from a FIXTURE of synthetic TrainEvents
// (fixture-events.json, made by makeFixture.mjs), so the views can be checked without training.
// No worker starts here.
import { StrictMode, useCallback, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { TrainEvent } from '../../../src/core/train/events';
import type { CompareRun } from '../../../src/ui/compare/compareRun';
import { compareRunFromState } from '../../../src/ui/compare/compareRun';
import { defaultRunConfig, type RunConfig } from '../../../src/ui/config/runConfig';
import { LabShell } from '../../../src/ui/LabShell';
import type { BackendStatus } from '../../../src/ui/panels/BackendPanel';
import { reduceEvents } from '../../../src/ui/runState';
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
  compare: {
    runs: (FixtureRun & { group: string; seed: number; perQuery: CompareRun['perQuery'] })[];
    queries: Record<string, string>;
  };
}
const fixture = fixtureJson as unknown as Fixture;

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

function ViewsPage() {
  const [which, setWhich] = useState<'lead' | 'prod'>(() => (new URLSearchParams(window.location.search).get('run') === 'prod' ? 'prod' : 'lead'));
  const runs = useMemo(() => ({ lead: reduceEvents(fixture.lead.events), prod: reduceEvents(fixture.prod.events) }), []);
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
                <select value={which} onChange={(e) => setWhich(e.target.value as 'lead' | 'prod')} data-testid="fixture-run">
                  <option value="lead">{fixture.lead.name}</option>
                  <option value="prod">{fixture.prod.name}</option>
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
