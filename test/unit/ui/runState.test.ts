import { describe, expect, it } from 'vitest';
import type { MetricSet, TrainEvent } from '../../../src/core/train/events';
import { evalKey, hasLeadData, hasProdData, initialRunState, MAX_DISTRIBUTION_QUERIES, reduceEvents, runReducer } from '../../../src/ui/runState';

const metrics = (x: number): MetricSet => ({ 'mrr@10': x, 'ndcg@10': x + 0.1, 'recall@10': x + 0.2, 'recall@100': x + 0.3, map: x, queries: 50 });

const stream: TrainEvent[] = [
  { type: 'phase', phase: 'teacher', title: 'Train the teacher', totalSteps: 100 },
  { type: 'step', phase: 'teacher', step: 10, totalSteps: 100, lr: 1e-4, losses: { total: 2, nll_student: 2 }, trainAcc: { teacher: 0.3 }, gradNorm: 1.5 },
  { type: 'step', phase: 'teacher', step: 20, totalSteps: 100, lr: 2e-4, losses: { total: 1.5, nll_student: 1.5 }, trainAcc: { teacher: 0.5 } },
  { type: 'eval', phase: 'teacher', step: 100, role: 'teacher', split: 'dev', metrics: metrics(0.4) },
  { type: 'phase', phase: 'lead', title: 'LEAD', totalSteps: 50 },
  {
    type: 'step', phase: 'lead', step: 10, totalSteps: 50, lr: 1e-4, losses: { total: 3, layer_kd: 0.5 }, trainAcc: { student: 0.2, teacher: 0.6 },
    layerPairs: [[0, 1], [1, 3]], layerWeights: [0.3, 0.7],
  },
  { type: 'eval', phase: 'lead', step: 50, role: 'student', split: 'dev', metrics: metrics(0.3) },
  { type: 'layerKL', phase: 'lead', step: 50, kl: [[1, 2], [3, 4], [5, 6], [7, 8]], selected: [[0, 1], [1, 3]] },
  { type: 'checkpoint', phase: 'lead', step: 50 },
];

describe('runReducer', () => {
  it('folds steps into per-phase series of every loss term, lr, accuracy and grad norm', () => {
    const s = reduceEvents(stream);
    expect(s.eventCount).toBe(stream.length);
    expect(s.phaseOrder).toEqual(['teacher', 'lead']);
    const t = s.phases.teacher;
    expect(t.title).toBe('Train the teacher');
    expect(t.lastStep).toBe(20);
    expect(Object.keys(t.losses).sort()).toEqual(['nll_student', 'total']);
    expect(t.losses.total.points.map((p) => [p.x, p.y])).toEqual([[10, 2], [20, 1.5]]);
    expect(t.lr.points.map((p) => p.y)).toEqual([1e-4, 2e-4]);
    expect(t.trainAcc.teacher.points.map((p) => p.y)).toEqual([0.3, 0.5]);
    expect(t.gradNorm.count).toBe(1);
    expect(s.currentPhase).toBe('lead');
  });

  it('lays phases end to end: the second phase starts where the first one ends', () => {
    const s = reduceEvents(stream);
    expect(s.phases.teacher.offset).toBe(0);
    expect(s.phases.lead.offset).toBe(100);
    expect(s.evals.map((e) => e.at)).toEqual([100, 150]);
    expect(s.evalSeries[evalKey('student', 'dev', 'ndcg@10')].points[0]).toMatchObject({ x: 150, y: 0.4 });
    expect(s.latestEval['teacher:dev'].metrics['mrr@10']).toBe(0.4);
  });

  it('keys LEAD layer weights by teacher layer and keeps the latest pairs and layer KL', () => {
    const s = reduceEvents(stream);
    const lead = s.phases.lead;
    expect(Object.keys(lead.layerWeights).sort()).toEqual(['t1', 't3']);
    expect(lead.layerWeights.t3.points[0].y).toBe(0.7);
    expect(lead.latestPairs).toEqual([[0, 1], [1, 3]]);
    expect(lead.latestWeights).toEqual([0.3, 0.7]);
    expect(s.layerKL?.kl).toHaveLength(4);
    expect(s.lastCheckpoint).toEqual({ phase: 'lead', step: 50 });
    expect(lead.lastCheckpoint).toBe(50);
    expect(hasLeadData(s)).toBe(true);
    expect(hasProdData(s)).toBe(false);
  });

  it('creates a phase it has not seen announced (a resumed run sends no phase event)', () => {
    const s = runReducer(initialRunState(), { type: 'step', phase: 'prod:stage2', step: 5, totalSteps: 40, lr: 1, losses: { total: 1, lwf: 0.4 }, trainAcc: {}, lwfDrift: 0.025 });
    expect(s.phaseOrder).toEqual(['prod:stage2']);
    expect(s.phases['prod:stage2'].totalSteps).toBe(40);
    expect(s.phases['prod:stage2'].lwfDrift.points[0].y).toBe(0.025);
    expect(hasProdData(s)).toBe(true);
  });

  it('keeps the latest distribution per query, at most MAX_DISTRIBUTION_QUERIES queries', () => {
    let s = initialRunState();
    const dist = (qid: string, step: number): TrainEvent => ({
      type: 'distribution', phase: 'lead', step, qid, query: `q ${qid}`, candidates: [{ docId: 'd', title: 'D', relevant: true }],
      teacher: [[1]], student: [[1]], tau: 1,
    });
    for (let i = 0; i < MAX_DISTRIBUTION_QUERIES + 5; i++) s = runReducer(s, dist(`q${i}`, 1));
    s = runReducer(s, dist('q10', 2));
    expect(s.distributionOrder).toHaveLength(MAX_DISTRIBUTION_QUERIES);
    expect(s.distributionOrder[0]).toBe('q5');
    expect(s.distributions.q0).toBeUndefined();
    expect(s.distributions.q10.step).toBe(2);
  });

  it('replaces a repeated stage and keeps stages in order; keeps the latest scatter and embeddings', () => {
    const stage = (n: number, mrr: number): TrainEvent => ({ type: 'stage', stage: n, title: `Stage ${n}`, teacher: 'CE', metrics: metrics(mrr), examples: 100 });
    const s = reduceEvents([stage(2, 0.5), stage(1, 0.3), stage(2, 0.6),
      { type: 'rankScatter', points: [{ qid: 'a', studentRank: 3, teacherRank: 1, selected: true }], window: { rankLow: 2, rankHigh: 15, teacherRank: 1 } },
      { type: 'embeddings', method: 'pca', points: [] }]);
    expect(s.stages.map((x) => [x.stage, x.metrics['mrr@10']])).toEqual([[1, 0.3], [2, 0.6]]);
    expect(s.rankScatter?.points).toHaveLength(1);
    expect(s.embeddings?.method).toBe('pca');
  });

  it('never mutates the previous state', () => {
    const a = reduceEvents(stream.slice(0, 3));
    const snapshot = JSON.stringify(a);
    runReducer(a, stream[3]);
    runReducer(a, stream[5]);
    expect(JSON.stringify(a)).toBe(snapshot);
  });
});
