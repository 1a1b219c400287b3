// Training health on the page: the run state keeps the health events, the loss chart gets a
// marker per problem, Compare sums a group's health up. (The banner itself is checked in
// Chromium: test/browser/ui.test.mjs, PROD fixture.)
import { describe, expect, it } from 'vitest';
import type { HealthEvent, TrainEvent } from '../../../src/core/train/events';
import { summarizeHealth } from '../../../src/core/train/health';
import { healthNote, type CompareRun } from '../../../src/ui/compare/compareRun';
import { healthMarkers } from '../../../src/ui/run/HealthBanner';
import { reduceEvents } from '../../../src/ui/runState';

const h = (phase: string, step: number, kind: HealthEvent['kind']): HealthEvent => ({ type: 'health', phase, step, kind, title: `${kind} at ${step}`, explanation: 'why', numbers: { loss: 1 } });

describe('training health in the views', () => {
  const events: TrainEvent[] = [
    { type: 'phase', phase: 'teacher0', title: 'Train DE teacher', totalSteps: 100 },
    h('teacher0', 30, 'divergence'),
    h('teacher0', 30, 'recovery'),
    h('teacher0', 80, 'collapse'),
    { type: 'phase', phase: 'baseline', title: 'Student alone', totalSteps: 100 },
    h('baseline', 50, 'stall'),
  ];

  it('the run state keeps every health event in order', () => {
    const s = reduceEvents(events);
    expect(s.health.map((e) => `${e.phase}:${e.kind}:${e.step}`)).toEqual(['teacher0:divergence:30', 'teacher0:recovery:30', 'teacher0:collapse:80', 'baseline:stall:50']);
    expect(s.eventCount).toBe(events.length);
  });

  it('markers: one per problem of the phase shown (a recovery shares its divergence marker)', () => {
    const s = reduceEvents(events);
    expect(healthMarkers(s, 'teacher0').map((m) => [m.x, m.label])).toEqual([[30, 'diverged'], [80, 'collapse']]);
    expect(healthMarkers(s, 'baseline').map((m) => [m.x, m.label])).toEqual([[50, 'stall']]);
    expect(healthMarkers(s, null)).toEqual([]);
  });

  it('Compare: what went wrong in how many of a group, ok, or unknown', () => {
    const run = (id: string, hs?: HealthEvent[]): CompareRun => ({
      id, name: id, group: 'g', metrics: {}, ...(hs ? { health: summarizeHealth(hs.map(({ type: _t, ...r }) => r)) } : {}),
    });
    expect(healthNote([run('a'), run('b')]).text).toBe('–');
    expect(healthNote([run('a', [])])).toMatchObject({ text: 'ok', bad: false });
    const n = healthNote([run('a', [h('p', 3, 'divergence'), h('p', 3, 'recovery')]), run('b', [h('p', 9, 'collapse')]), run('c', [])]);
    expect(n).toMatchObject({ text: 'collapsed 1/3, diverged 1/3 (1 recovered)', bad: true });
    expect(n.detail).toBe('a, p step 3: divergence at 3\nb, p step 9: collapse at 9');
  });
});
