// The run config's student init (random / teacher 1's blocks / a stored model): it round-trips
// through JSON and the ?config= link, is checked against teacher 1 with the bad field named, and
// the Models tab's parameter count is that of the model the student becomes.
import { describe, expect, it } from 'vitest';
import { fieldOf } from './fieldOf';
import { parameterCount, validateModelConfig } from '../../../src/core/model/config';
import { validateExperiment } from '../../../src/core/distill/experiment';
import {
  decodeConfigParam, defaultRunConfig, effectiveStudent, encodeConfigParam, modelConfigOf, runConfigErrors,
  runConfigFromJson, runConfigToJson, tokenizerVocabSize, validateRunConfig, type RunConfig,
} from '../../../src/ui/config/runConfig';
import { experimentFromRunConfig } from '../../../src/ui/run/RunControl';


const withInit = (init: unknown, kind: 'lead' | 'kd' = 'lead'): RunConfig => {
  const cfg = defaultRunConfig(kind);
  return { ...cfg, student: { ...cfg.student, init } as RunConfig['student'] };
};

describe('run config: the student init', () => {
  it('round-trips through JSON and the URL', () => {
    for (const init of [{ from: 'teacher' }, { from: 'teacher', layers: [1, 3] }, { from: 'checkpoint', id: 'builtin:world-default-de', layers: [0, 2] }, { from: 'random' }]) {
      const cfg = withInit(init);
      expect(validateRunConfig(cfg).student.init).toEqual(init);
      expect(runConfigFromJson(runConfigToJson(cfg))).toEqual(validateRunConfig(cfg));
      expect(decodeConfigParam(encodeConfigParam(cfg))).toEqual(validateRunConfig(cfg));
      expect(runConfigErrors(cfg)).toEqual({});
    }
    // Absent stays absent (configs written before the init existed load unchanged).
    expect('init' in validateRunConfig(defaultRunConfig()).student).toBe(false);
  });

  it('names the bad field: block lists, kinds, LEAD k against the cut depth, an init on a teacher', () => {
    expect(fieldOf(() => validateRunConfig(withInit({ from: 'teacher', layers: [2, 1] })))).toBe('student.init.layers');
    expect(fieldOf(() => validateRunConfig(withInit({ from: 'teacher', layers: [] })))).toBe('student.init.layers');
    // The default teacher has 4 blocks (0..3).
    expect(fieldOf(() => validateRunConfig(withInit({ from: 'teacher', layers: [0, 4] })))).toBe('student.init.layers');
    expect(runConfigErrors(withInit({ from: 'teacher', layers: [0, 4] }))['student.init.layers']).toMatch(/teacher has 4/);
    expect(fieldOf(() => validateRunConfig(withInit({ from: 'nowhere' })))).toBe('student.init.from');
    expect(fieldOf(() => validateRunConfig(withInit({ from: 'checkpoint', id: 7 })))).toBe('student.init.id');
    expect(fieldOf(() => validateRunConfig(withInit({ from: 'teacher', extra: 1 })))).toBe('student.init.extra');
    // LEAD pairs k = 2 blocks (the default): a student of one cut block is too shallow.
    expect(fieldOf(() => validateRunConfig(withInit({ from: 'teacher', layers: [3] })))).toBe('recipe.k');
    const ce = withInit({ from: 'teacher' }, 'kd');
    ce.student = { ...ce.student, shape: { kind: 'ce', layers: 2, hidden: 32, heads: 2, ffn: 64, maxQueryLen: 24, maxPassageLen: 96, maxPositions: 128 } };
    expect(fieldOf(() => validateRunConfig(ce))).toBe('student.init');
    const onTeacher = defaultRunConfig();
    onTeacher.teachers[0] = { ...onTeacher.teachers[0], init: { from: 'teacher' } };
    expect(fieldOf(() => validateRunConfig(onTeacher))).toBe('teachers[0].init');
  });

  it('the student becomes the teacher cut to the chosen blocks: its parameter count, and the experiment it runs', () => {
    const cfg = withInit({ from: 'teacher', layers: [0, 3] });
    const eff = effectiveStudent(cfg)!;
    const t = modelConfigOf(cfg.teachers[0]);
    expect(eff.shape).toMatchObject({ kind: 'de', layers: 2, hidden: t.hidden, heads: t.heads, ffn: t.ffn });
    expect(tokenizerVocabSize(eff.tokenizer)).toBe(t.vocabSize);
    expect(parameterCount(modelConfigOf(eff))).toBe(parameterCount(validateModelConfig({ ...t, layers: 2 })));
    expect(parameterCount(modelConfigOf(eff))).not.toBe(parameterCount(modelConfigOf(cfg.student)));
    // Every other block by default: 2 of the teacher's 4.
    expect(effectiveStudent(withInit({ from: 'teacher' }))!.shape.layers).toBe(2);
    // A stored model: its sizes from the library's listing; unknown until it is listed.
    const stored = withInit({ from: 'checkpoint', id: 'import:m1' });
    expect(effectiveStudent(stored)).toBeNull();
    const info = { kind: 'de', layers: 6, hidden: 48, heads: 4, ffn: 96, maxPositions: 128, vocabSize: 500 };
    expect(effectiveStudent(stored, [{ id: 'import:m1', info }])!.shape).toMatchObject({ layers: 6, hidden: 48, ffn: 96 });
    // The Run tab's experiment carries the init; the worker's validator accepts it.
    const exp = validateExperiment(experimentFromRunConfig(cfg));
    expect(exp.student.init).toEqual({ from: 'teacher', layers: [0, 3] });
  });
});
