import { memo } from 'react';
import { Deferred } from '../chart/Deferred';
import { Explain } from '../Explain';
import { fmtInt } from '../format';
import { hasLeadData, hasProdData, type RunViewState } from '../runState';
import { DistributionExplorer } from './DistributionExplorer';
import { EmbeddingMap } from './EmbeddingMap';
import { HealthBanner } from './HealthBanner';
import { KLHeatmap } from './KLHeatmap';
import { LayerWeightsChart } from './LayerWeightsChart';
import { LwfDriftChart, RankScatter, StageTimeline } from './ProdViews';
import { TrainingCurves } from './TrainingCurves';

export interface RunDashboardProps {
  /** The run's events folded by runReducer (the dashboard's only input). */
  state: RunViewState;
  /** Shown in the heading, e.g. "LEAD demo, seed 1". */
  runName?: string;
}

/** Everything a run reports, live: curves, LEAD's layers, PROD's stages, embeddings. */
/** Memoised: redrawn only when the folded state changes, not on every page update. */
export const RunDashboard = memo(function RunDashboard({ state, runName }: RunDashboardProps) {
  if (state.eventCount === 0) {
    return (
      <section className="panel" aria-labelledby="run-title" data-testid="run-dashboard">
        <h2 id="run-title">Run</h2>
        <div className="empty-state" data-testid="run-empty">
          <p>
            <strong>No run yet.</strong> When a run starts, this view fills in live from the events the trainer reports: every
            loss term, the learning rate and train accuracy step by step; held-out metrics after each evaluation; for LEAD, the
            candidate distributions of sample queries layer by layer, the layer weights and the teacher-layer × student-layer
            KL heatmap; for PROD, the stage timeline, the LwF drift and the data-progressive selection; and a linked map of
            teacher and student embeddings.
          </p>
          <p>Set up the models and a recipe in the Models and Recipe tabs, then launch it.</p>
        </div>
      </section>
    );
  }
  const phases = state.phaseOrder.map((id) => state.phases[id]);
  const lead = hasLeadData(state) || state.distributionOrder.length > 0;
  const prod = hasProdData(state);
  return (
    <div className="run-dashboard" data-testid="run-dashboard">
      <section className="panel" aria-labelledby="run-title">
        <h2 id="run-title">Run{runName ? `: ${runName}` : ''}</h2>
        <Explain>
          A run is a sequence of phases: the teacher trained alone, the student trained alone (the baseline), then distillation
          (response KD, LEAD, or PROD's stages). Each phase has its own steps; the views below read the events the trainer reports
          ({fmtInt(state.eventCount)} so far) and nothing else.
        </Explain>
        <ol className="phase-list" data-testid="phase-list">
          {phases.map((p) => (
            <li key={p.id} className={p.id === state.currentPhase ? 'current' : undefined}>
              <span className="phase-title">{p.title}</span>
              <progress max={Math.max(1, p.totalSteps)} value={p.lastStep} aria-label={`${p.title}: step ${p.lastStep} of ${p.totalSteps}`} />
              <span className="fine">
                {fmtInt(p.lastStep)} / {fmtInt(p.totalSteps)}
                {p.lastCheckpoint !== null ? `, checkpoint at ${fmtInt(p.lastCheckpoint)}` : ''}
              </span>
            </li>
          ))}
        </ol>
        <HealthBanner state={state} />
      </section>

      <section aria-labelledby="curves-title">
        <h2 id="curves-title" className="section-title">Training curves</h2>
        <TrainingCurves state={state} />
      </section>

      {lead && (
        <section aria-labelledby="lead-title">
          <h2 id="lead-title" className="section-title">LEAD: inside the layers</h2>
          {/* Each panel mounts in its own task when LEAD's views first appear (chart/Deferred.tsx). */}
          <Deferred minHeight={420}>
            <DistributionExplorer state={state} />
          </Deferred>
          <div className="chart-grid">
            <Deferred>
              <LayerWeightsChart state={state} />
            </Deferred>
            <Deferred>
              <KLHeatmap state={state} />
            </Deferred>
          </div>
        </section>
      )}

      {prod && (
        <section aria-labelledby="prod-title">
          <h2 id="prod-title" className="section-title">PROD: progressive teachers and data</h2>
          <Deferred minHeight={320}>
            <StageTimeline state={state} />
          </Deferred>
          <div className="chart-grid">
            <Deferred>
              <LwfDriftChart state={state} />
            </Deferred>
            <Deferred>
              <RankScatter state={state} />
            </Deferred>
          </div>
        </section>
      )}

      <section aria-labelledby="emb-title">
        <h2 id="emb-title" className="section-title">Representations</h2>
        <Deferred minHeight={360}>
          <EmbeddingMap state={state} />
        </Deferred>
      </section>
    </div>
  );
});
