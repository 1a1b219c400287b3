// The one-click demo's experiments (core/distill/presets.ts): they validate, their teacher is the
// checkpoint shipped in public/teachers (the architecture the preset states is the one its
// config.json holds), and every recipe gets the same student budget.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateExperiment } from '../../../src/core/distill/experiment';
import { demoExperiment, DEMO_SIZES, SHIPPED_TEACHER } from '../../../src/core/distill/presets';
import { SHIPPED_TEACHERS } from '../../../src/core/model/shipped';

const shipped = JSON.parse(readFileSync(path.resolve(__dirname, '../../../public/teachers', SHIPPED_TEACHER, 'config.json'), 'utf8')).distill_lab.config;

describe('demo presets', () => {
  for (const { id } of DEMO_SIZES) {
    it(`${id}: validates`, () => {
      expect(() => validateExperiment(demoExperiment(id, 1))).not.toThrow();
    });
  }

  for (const size of ['quick', 'small'] as const) {
    it(`${size}: the shipped teacher, as its config.json describes it, and one budget for every student`, () => {
      const cfg = demoExperiment(size, 1);
      expect(cfg.teachers).toHaveLength(1);
      const t = cfg.teachers[0];
      expect(t.pretrained).toBe(`builtin:${SHIPPED_TEACHER}`);
      for (const k of ['kind', 'layers', 'hidden', 'heads', 'ffn', 'maxQueryLen', 'maxPassageLen', 'maxPositions', 'pooling', 'similarity', 'scoreTemperature'] as const) {
        expect([k, (t.model as Record<string, unknown>)[k]]).toEqual([k, shipped[k]]);
      }
      expect(cfg.recipes.map((r) => r.kind)).toEqual(['baseline', 'kd', 'lead', 'prod']);
      const prod = cfg.recipes.find((r) => r.kind === 'prod')!;
      if (prod.kind !== 'prod') throw new Error('unreachable');
      const prodSteps = prod.stages.reduce((n, s) => n + s.steps, 0) + (prod.dataProgressive.enabled ? prod.dataProgressive.steps : 0);
      expect(prodSteps).toBe(cfg.studentTrain.steps);
      // The softened teacher is what makes response KD differ from the labels (docs/training.md).
      const kd = cfg.recipes.find((r) => r.kind === 'kd')!;
      expect(kd.kind === 'kd' && kd.temperature > 1).toBe(true);
      const lead = cfg.recipes.find((r) => r.kind === 'lead')!;
      expect(lead.kind === 'lead' && lead.tau > 1).toBe(true);
    });
  }

  it('steps shortens every student, PROD included', () => {
    const cfg = demoExperiment('quick', 1, { steps: 40 });
    expect(cfg.studentTrain.steps).toBe(40);
    const prod = cfg.recipes.find((r) => r.kind === 'prod')!;
    if (prod.kind !== 'prod') throw new Error('unreachable');
    expect(prod.stages[0].steps + prod.dataProgressive.steps).toBe(40);
  });

  for (const t of SHIPPED_TEACHERS) {
    it(`quick on ${t.corpus}: distils ${t.name} as its config.json describes it`, () => {
      const cfg = demoExperiment('quick', 1, { teacher: t.name });
      expect(() => validateExperiment(cfg)).not.toThrow();
      const own = JSON.parse(readFileSync(path.resolve(__dirname, '../../../public/teachers', t.name, 'config.json'), 'utf8')).distill_lab;
      const spec = cfg.teachers[0];
      expect(spec.pretrained).toBe(`builtin:${t.name}`);
      for (const k of ['kind', 'layers', 'hidden', 'heads', 'ffn', 'maxQueryLen', 'maxPassageLen', 'maxPositions', 'pooling', 'similarity', 'scoreTemperature'] as const) {
        expect([k, (spec.model as Record<string, unknown>)[k]]).toEqual([k, own.config[k]]);
      }
      expect([spec.tokenizer.kind, spec.tokenizer.vocabSize]).toEqual([own.tokenizer.kind, own.config.vocabSize]);
    });
  }

  it('a teacher the lab does not ship is a named error', () => {
    expect(() => demoExperiment('quick', 1, { teacher: 'no-such-teacher' })).toThrow(/ships no teacher "no-such-teacher"/);
  });
});
