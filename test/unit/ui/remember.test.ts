// Issue 16's pure logic: generated model names follow the shape, imported metrics are not
// counted twice, and each result's curves are cut from its run's events.
import { describe, expect, it } from 'vitest';
import { autoModelName, defaultStudent, defaultTeacher, nameForShape } from '../../../src/ui/config/runConfig';
import { newImports, uniqueRuns, type CompareRun } from '../../../src/ui/compare/compareRun';
import { curvesOfResult, phasesOfResult } from '../../../src/ui/compare/runCurves';
import { reduceEvents } from '../../../src/ui/runState';
import type { TrainEvent } from '../../../src/core/train/events';
import { evalEveryHelp, smallerTeachers, splitWarnings } from '../../../src/ui/config/warnings';
import { relErrorText } from '../../../src/ui/panels/selfCheckText';
import { metricWithRerank, rerankNote } from '../../../src/ui/compare/rerank';

describe('model names from the shape', () => {
  it('a generated name follows the shape', () => {
    expect(nameForShape('teacher (DE 4 x 128)', { kind: 'de', layers: 2, hidden: 32 })).toBe('teacher (DE 2 x 32)');
    expect(nameForShape('teacher 2 (CE 4 x 128)', { kind: 'ce', layers: 6, hidden: 256 })).toBe('teacher 2 (CE 6 x 256)');
    expect(nameForShape('student (DE 2 x 64)', { kind: 'cb', layers: 2, hidden: 64 })).toBe('student (CB 2 x 64)');
  });
  it("a user's name is kept", () => {
    expect(nameForShape('my teacher', { kind: 'de', layers: 2, hidden: 32 })).toBe('my teacher');
    expect(nameForShape('teacher (DE 4 x 128) v2', { kind: 'de', layers: 2, hidden: 32 })).toBe('teacher (DE 4 x 128) v2');
  });
  it('the defaults are generated names', () => {
    const t = defaultTeacher();
    expect(t.name).toBe(autoModelName('teacher', t.shape));
    expect(defaultStudent().name).toMatch(/^student \(DE \d+ x \d+\)$/);
  });
});

describe('imported metrics are not counted twice', () => {
  const run = (name: string, seed?: number, id = name): CompareRun => ({ id, name, group: 'LEAD', seed, metrics: { 'ndcg@10': 0.5 } });
  it('the same file twice adds nothing the second time', () => {
    const file = [run('LEAD (a)', 1, 'i1-0'), run('LEAD (a)', 2, 'i1-1')];
    const first = newImports([], file);
    expect(first.added).toHaveLength(2);
    const again = newImports(first.added, file.map((r) => ({ ...r, id: `i2-${r.id}` })));
    expect(again.added).toHaveLength(0);
    expect(again.duplicates).toBe(2);
  });
  it('a run already in Compare is not imported again; another seed is', () => {
    const { added } = newImports([run('LEAD (a)', 1)], [run('LEAD (a)', 1, 'x'), run('LEAD (a)', 3, 'y')]);
    expect(added.map((r) => r.seed)).toEqual([3]);
  });
  it('uniqueRuns keeps the first of each run and seed', () => {
    expect(uniqueRuns([run('a', 1, 'p'), run('a', 1, 'q'), run('a', 2, 'r'), run('b', 1, 's')]).map((r) => r.id)).toEqual(['p', 'r', 's']);
  });
  it('two stored runs of the same name both stay', () => {
    const stored = [{ ...run('LEAD (demo)', 1, 'run-1:lead:1'), runId: 'run-1' }, { ...run('LEAD (demo)', 1, 'run-2:lead:1'), runId: 'run-2' }];
    expect(uniqueRuns(stored)).toHaveLength(2);
  });
});

describe('curves of each result', () => {
  const metrics = { 'mrr@10': 0.1, 'ndcg@10': 0.2, 'recall@10': 0.3, 'recall@100': 0.4, map: 0.1, queries: 5 };
  const step = (phase: string, s: number, total: number): TrainEvent => ({ type: 'step', phase, step: s, totalSteps: total, lr: 0.001, losses: { total: 1 / s }, trainAcc: {} });
  const events: TrainEvent[] = [
    { type: 'phase', phase: 'teacher0', title: 'Train t', totalSteps: 2 },
    step('teacher0', 1, 2),
    step('teacher0', 2, 2),
    { type: 'eval', phase: 'teacher0', step: 2, role: 'teacher', split: 'test', metrics },
    { type: 'phase', phase: 'lead', title: 'LEAD', totalSteps: 2 },
    step('lead', 1, 2),
    step('lead', 2, 2),
    { type: 'eval', phase: 'lead', step: 2, role: 'student', split: 'test', metrics: { ...metrics, 'ndcg@10': 0.3 } },
  ];
  const state = reduceEvents(events);
  it('finds the phases of a teacher and of a recipe', () => {
    expect(phasesOfResult('teacher:t', ['teacher0', 'lead'], ['t'])).toEqual(['teacher0']);
    expect(phasesOfResult('prod', ['teacher0', 'prod:stage1', 'prod:dp', 'lead'], [])).toEqual(['prod:stage1', 'prod:dp']);
    expect(phasesOfResult('bm25', ['teacher0'], [])).toEqual([]);
  });
  it("cuts a result's curves on its own step axis", () => {
    const lead = curvesOfResult(state, 'lead', ['t']);
    expect(lead['test ndcg@10'].points.map((p) => [p.x, p.y])).toEqual([[2, 0.3]]);
    expect(lead['total loss'].points.map((p) => p.x)).toEqual([1, 2]);
    const teacher = curvesOfResult(state, 'teacher:t', ['t']);
    expect(teacher['test ndcg@10'].points[0].y).toBe(0.2);
    expect(curvesOfResult(state, 'bm25', ['t'])).toEqual({});
  });
});

describe('warnings and plain texts', () => {
  it('flags teachers smaller than the student', () => {
    expect(smallerTeachers([{ name: 't', params: 100 }, { name: 'u', params: null }], 200)).toEqual([{ name: 't', params: 100 }]);
    expect(smallerTeachers([{ name: 't', params: 300 }], 200)).toEqual([]);
    expect(smallerTeachers([{ name: 't', params: 100 }], null)).toEqual([]);
  });
  it('flags Evaluate every on a corpus without dev queries', () => {
    expect(splitWarnings({ evalEvery: 10 }, { train: 5, test: 5 })).toHaveLength(1);
    expect(splitWarnings({ evalEvery: 0 }, { train: 5, test: 5 })).toEqual([]);
    expect(splitWarnings({ evalEvery: 10 }, { dev: 3, test: 5 })).toEqual([]);
    expect(splitWarnings({ evalEvery: 10 }, undefined)).toEqual([]);
    expect(evalEveryHelp({ test: 5 })).toMatch(/no dev queries/);
    expect(evalEveryHelp({ dev: 2 })).toBeNull();
  });
  it("writes the self-check's error plainly", () => {
    expect(relErrorText('cpu', 0)).toBe('reference');
    expect(relErrorText('wasm', 0)).toBe('< 1e-6');
    expect(relErrorText('webgpu', 2.34e-4)).toBe('2.3e-4');
    expect(relErrorText('webgl', Infinity)).toBe('–');
  });
});

describe('re-ranking depth in metric labels', () => {
  it('labels CE and ColBERT metrics with their depth, DE ones not', () => {
    expect(metricWithRerank('Recall@100', rerankNote('ce', 30))).toBe('Recall@100 (re-ranks BM25 top 30)');
    expect(rerankNote('cb', 50)).toBe('re-ranks BM25 top 50');
    expect(rerankNote('de', 30)).toBeNull();
    expect(metricWithRerank('nDCG@10', rerankNote('de'))).toBe('nDCG@10');
  });
});

describe('counts in words', () => {
  it('says "1 result", not "1 results"', async () => {
    const { resultsSoFar } = await import('../../../src/ui/run/RunControl');
    expect(resultsSoFar(1)).toBe('1 result so far');
    expect(resultsSoFar(3)).toBe('3 results so far');
    expect(resultsSoFar(0)).toBe('no results so far');
  });
});
