// Chance for the views (src/ui/run/chance.ts): the NLL of a blind guess among N candidates, and
// the layers whose distributions are uniform (a collapsed encoder); and the run state keeping
// the candidate count the steps report.
import { describe, expect, it } from 'vitest';
import { chanceGuide, chanceGuides, isUniform, layersAtChance } from '../../../src/ui/run/chance';
import { reduceEvents } from '../../../src/ui/runState';
import type { TrainEvent } from '../../../src/core/train/events';

describe('chance', () => {
  it('is ln N: the NLL of equal scores over N candidates', () => {
    const g = chanceGuide(64);
    expect(g.y).toBeCloseTo(4.158883, 6);
    expect(g.label).toBe('chance: ln 64 = 4.16');
    // -log softmax of equal scores at the positive, computed independently.
    const scores = new Array(64).fill(0.3);
    const lse = Math.log(scores.reduce((a, s) => a + Math.exp(s), 0));
    expect(lse - scores[0]).toBeCloseTo(g.y, 12);
  });

  it('draws one line per distinct count, none without one', () => {
    expect(chanceGuides([32, 32, 8, null, undefined]).map((g) => g.label)).toEqual(['chance: ln 8 = 2.08', 'chance: ln 32 = 3.47']);
    expect(chanceGuides([null, 1, NaN])).toEqual([]);
  });

  it('finds uniform distributions (1% of 1/N) and the layers uniform in every query', () => {
    expect(isUniform([0.25, 0.25, 0.25, 0.25])).toBe(true);
    expect(isUniform([0.2505, 0.2495, 0.25, 0.25])).toBe(true);
    expect(isUniform([0.26, 0.24, 0.25, 0.25])).toBe(false);
    expect(isUniform([1])).toBe(false);
    const flat = [0.25, 0.25, 0.25, 0.25];
    const peaked = [0.7, 0.1, 0.1, 0.1];
    // [query][layer][candidate]: layer 0 flat in both queries, layer 1 only in one.
    expect(layersAtChance([[flat, flat, peaked], [flat, peaked, peaked]])).toEqual([0]);
    expect(layersAtChance([])).toEqual([]);
  });

  it('the run state keeps the latest candidate count of each phase', () => {
    const step = (phase: string, s: number, candidates?: number): TrainEvent => ({ type: 'step', phase, step: s, totalSteps: 10, lr: 1e-4, losses: { total: 1, nll: 1 }, trainAcc: {}, ...(candidates ? { candidates } : {}) });
    const st = reduceEvents([step('a', 1), step('a', 2, 64), step('a', 3), step('b', 1, 8)]);
    expect(st.phases.a.candidates).toBe(64);
    expect(st.phases.b.candidates).toBe(8);
    expect(reduceEvents([step('c', 1)]).phases.c.candidates).toBeNull();
  });
});
