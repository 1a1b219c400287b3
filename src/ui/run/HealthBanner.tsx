// Training health on the run view: one banner per problem the trainer's health monitor named
// (core/train/health.ts), with its explanation; and the loss chart's markers for the same events.
import type { HealthEvent, HealthKind } from '../../core/train/events';
import type { ChartMarker } from '../chart/SeriesChart';
import { fmtInt, fmtNum } from '../format';
import type { RunViewState } from '../runState';

const HEADLINE: Record<HealthKind, string> = {
  collapse: 'Collapse',
  divergence: 'Divergence',
  stall: 'Stall',
  recovery: 'Recovered',
};

/** Short chart labels and colours per kind. */
const MARK: Record<HealthKind, { label: string; color: string }> = {
  collapse: { label: 'collapse', color: 'var(--bad)' },
  divergence: { label: 'diverged', color: 'var(--bad)' },
  recovery: { label: 'restored', color: 'var(--c5)' },
  stall: { label: 'stall', color: 'var(--c5)' },
};

/** Markers on a phase's loss chart (x: the phase's own step) for its health events. */
export function healthMarkers(state: RunViewState, phaseId: string | null): ChartMarker[] {
  if (!phaseId) return [];
  // A divergence is followed by its recovery at the same step: one marker says both.
  const events = state.health.filter((e) => e.phase === phaseId && e.kind !== 'recovery');
  return events.map((e) => ({ x: e.step, label: MARK[e.kind].label, color: MARK[e.kind].color, title: `${HEADLINE[e.kind]} at step ${e.step}: ${e.title}` }));
}

function Numbers({ e }: { e: HealthEvent }) {
  const entries = Object.entries(e.numbers);
  if (entries.length === 0) return null;
  return <span className="fine"> ({entries.map(([k, v]) => `${k} ${fmtNum(v)}`).join(', ')})</span>;
}

/**
 * The run's health banners: the latest event of each kind per phase (a run that diverged three
 * times shows its last recovery, with the count), newest first. Nothing when all is well.
 */
export function HealthBanner({ state }: { state: RunViewState }) {
  if (state.health.length === 0) return null;
  const latest = new Map<string, HealthEvent>();
  const counts = new Map<string, number>();
  for (const e of state.health) {
    const key = `${e.phase}:${e.kind}`;
    latest.set(key, e);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const shown = [...latest.entries()].reverse();
  return (
    <div className="health-banners" data-testid="health-banners">
      {shown.map(([key, e]) => {
        const title = state.phases[e.phase]?.title ?? e.phase;
        const n = counts.get(key)!;
        return (
          <div key={key} className={`health-banner health-${e.kind}`} role={e.kind === 'recovery' || e.kind === 'stall' ? 'status' : 'alert'} data-testid="health-banner" data-kind={e.kind}>
            <p className="health-head">
              <strong>{HEADLINE[e.kind]}</strong> in {title} at step {fmtInt(e.step)}
              {n > 1 ? ` (${n} times)` : ''}: {e.title}
              <Numbers e={e} />
            </p>
            <p className="health-explain">{e.explanation}</p>
          </div>
        );
      })}
    </div>
  );
}
