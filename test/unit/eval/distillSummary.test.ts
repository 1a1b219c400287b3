import { describe, expect, it } from 'vitest';
import { summarizeDistillation, type SummaryInput } from '../../../src/core/eval/distillSummary';

const q = Array.from({ length: 40 }, (_, i) => `q${i}`);
function run(recipe: string, ndcg: (i: number) => number, seed = 1): SummaryInput {
  const v = q.map((_, i) => ndcg(i));
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  return { recipe, seed, metrics: { 'ndcg@10': mean, 'mrr@10': mean }, perQuery: { qids: q, 'ndcg@10': v, 'mrr@10': v } };
}

describe('summarizeDistillation', () => {
  it('gives each distilled row its gain, its paired p-value and the share of the gap it closed', () => {
    const s = summarizeDistillation([
      run('bm25', () => 0.3),
      run('teacher:DE teacher', () => 0.8),
      run('baseline', (i) => (i % 2 ? 0.4 : 0.6)), // mean 0.5
      run('kd', (i) => (i % 2 ? 0.55 : 0.75)), // +0.15 on every query
      run('lead', (i) => (i % 2 ? 0.4 : 0.6) + (i < 2 ? 0.01 : 0)), // +0.0005
      run('prod', (i) => (i % 2 ? 0.35 : 0.55)), // -0.05
    ])!;
    expect(s.alone).toBeCloseTo(0.5, 12);
    expect(s.teacher).toBeCloseTo(0.8, 12);
    const [kd, lead, prod] = s.rows;
    expect(kd.recipe).toBe('kd');
    expect(kd.deltaNdcg).toBeCloseTo(0.15, 12);
    expect(kd.gapRecovered).toBeCloseTo(0.5, 12);
    expect(kd.p).toBeLessThan(0.001);
    expect(lead.beats).toBe(true);
    expect(lead.p).toBeGreaterThan(0.2);
    expect(prod.beats).toBe(false);
    expect(prod.gapRecovered).toBeCloseTo(-1 / 6, 12);
    expect(s.text).toMatch(/response KD gained 0\.150, closing 50% of the gap: more than chance \(p < 0\.001\)/);
    expect(s.text).toMatch(/LEAD gained 0\.00\d.*within what chance alone could give/);
    expect(s.text).toMatch(/PROD did not beat the student alone \(-0\.050/);
  });

  it('pairs queries by id, reads one seed, and says nothing without a student alone', () => {
    const a = run('baseline', () => 0.5, 2);
    const b = { ...run('kd', (i) => 0.5 + (i === 3 ? 0.4 : 0), 2) };
    b.perQuery = { qids: [...b.perQuery.qids].reverse(), 'ndcg@10': [...b.perQuery['ndcg@10']].reverse(), 'mrr@10': [...b.perQuery['mrr@10']].reverse() };
    const s = summarizeDistillation([a, b, run('baseline', () => 0.1, 3)], 2)!;
    expect(s.rows[0].deltaNdcg).toBeCloseTo(0.01, 12);
    expect(s.rows[0].gapRecovered).toBeNull();
    expect(summarizeDistillation([run('kd', () => 0.5)])).toBeNull();
  });
});
