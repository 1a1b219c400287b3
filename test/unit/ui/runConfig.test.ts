import { describe, expect, it } from 'vitest';
import { fieldOf } from './fieldOf';
import { parameterCount } from '../../../src/core/model/config';
import {
  configFromSearch, configUrl, decodeConfigParam, defaultRunConfig, encodeConfigParam, modelConfigOf, runConfigErrors,
  runConfigFromJson, runConfigToJson, tokenizerVocabSize, validateRunConfig, type RunConfig,
} from '../../../src/ui/config/runConfig';
import { expandAblation, parseSeedList, setPath } from '../../../src/ui/config/ablation';


describe('run config', () => {
  it('the default config is valid, and the tokenizer sets the vocabulary size', () => {
    const cfg = defaultRunConfig();
    expect(validateRunConfig(cfg)).toEqual(cfg);
    expect(runConfigErrors(cfg)).toEqual({});
    expect(tokenizerVocabSize(cfg.student.tokenizer)).toBe(20000); // 5 specials + 18000 words + 1995 buckets
    expect(modelConfigOf(cfg.teachers[0]).vocabSize).toBe(30000);
    // The lab's default student: 2 layers, hidden 32, FFN 128, vocab 20000, 128 positions, 2 segments.
    const H = 32, F = 128, L = 2;
    const expected = (20000 + 128 + 2) * H + 2 * H + L * (4 * (H * H + H) + (2 * H * F + F + H) + 4 * H);
    expect(parameterCount(modelConfigOf(cfg.student))).toBe(expected);
  });

  it('round-trips through JSON and through the URL, unicode included', () => {
    const cfg: RunConfig = { ...defaultRunConfig('prod'), name: 'PROD — größer ✓' };
    expect(runConfigFromJson(runConfigToJson(cfg))).toEqual(validateRunConfig(cfg));
    const param = encodeConfigParam(cfg);
    expect(param).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeConfigParam(param)).toEqual(validateRunConfig(cfg));
    const url = configUrl('http://127.0.0.1:5173/?backend=wasm', cfg);
    expect(new URL(url).searchParams.get('backend')).toBe('wasm');
    const back = configFromSearch(new URL(url).search);
    expect(back && 'config' in back && back.config.name).toBe(cfg.name);
    expect(configFromSearch('?backend=cpu')).toBeNull();
  });

  it('names the bad field of a broken import', () => {
    const cfg = defaultRunConfig();
    expect(fieldOf(() => runConfigFromJson('{ nope'))).toBe('(root)');
    expect(fieldOf(() => validateRunConfig({ ...cfg, version: 2 }))).toBe('version');
    expect(fieldOf(() => validateRunConfig({ ...cfg, extra: 1 }))).toBe('extra');
    expect(fieldOf(() => validateRunConfig({ ...cfg, student: { ...cfg.student, shape: { ...cfg.student.shape, heads: 3 } } }))).toBe('student.shape.hidden');
    expect(fieldOf(() => validateRunConfig({ ...cfg, recipe: { ...cfg.recipe, tau: 0 } }))).toBe('recipe.tau');
    expect(fieldOf(() => validateRunConfig({ ...cfg, train: { ...cfg.train, lr: -1 } }))).toBe('train.lr');
    expect(fieldOf(() => validateRunConfig({ ...cfg, teachers: [] }))).toBe('teachers');
    expect(fieldOf(() => validateRunConfig({ ...cfg, recipe: { ...cfg.recipe, k: 3 } }))).toBe('recipe.k');
    expect(fieldOf(() => validateRunConfig({ ...cfg, student: { ...cfg.student, tokenizer: { kind: 'hashed-word', words: 10, buckets: 0 } } }))).toBe('student.tokenizer.buckets');
    expect(fieldOf(() => decodeConfigParam('not base64!'))).toBe('(url)');
    const bad = configFromSearch(`?config=${encodeConfigParam({ ...cfg, seed: -1 } as RunConfig)}`);
    expect(bad && 'error' in bad && bad.error).toMatch(/seed/);
  });

  it('runConfigErrors reports one problem per field across sections at once', () => {
    const cfg = defaultRunConfig();
    const errs = runConfigErrors({
      ...cfg,
      seed: 1.5,
      student: { ...cfg.student, shape: { ...cfg.student.shape, layers: 0 } },
      recipe: { ...cfg.recipe, tau: -1 },
      train: { ...cfg.train, warmupFraction: 1 },
    } as RunConfig);
    expect(Object.keys(errs).sort()).toEqual(['recipe.tau', 'seed', 'student.shape.layers', 'train.warmupFraction']);
    expect(errs['recipe.tau']).toMatch(/> 0/);
  });
});

describe('ablation groups', () => {
  it('expands the cartesian product, last axis fastest, with readable labels', () => {
    const base = defaultRunConfig('lead');
    const v = expandAblation(base, [
      { kind: 'field', path: 'recipe.selection', values: ['random', 'last', 'skip'] },
      { kind: 'field', path: 'recipe.reweight', values: [true, false] },
    ]);
    expect(v.map((x) => x.label)).toEqual([
      'selection=random, reweight=on', 'selection=random, reweight=off',
      'selection=last, reweight=on', 'selection=last, reweight=off',
      'selection=skip, reweight=on', 'selection=skip, reweight=off',
    ]);
    expect(v[3].config.recipe).toMatchObject({ selection: 'last', reweight: false });
    expect(v[3].config.name).toBe('LEAD demo [selection=last, reweight=off]');
    expect(v.every((x) => Object.keys(x.errors).length === 0)).toBe(true);
    expect(base.recipe).toMatchObject({ selection: 'random', reweight: true }); // base untouched
  });

  it('swaps recipes, skips fields a swapped recipe lacks, and flags invalid variants', () => {
    const base = defaultRunConfig('lead');
    const v = expandAblation(base, [
      { kind: 'recipe', values: ['baseline', 'lead'] },
      { kind: 'field', path: 'recipe.k', values: [1, 3] },
      { kind: 'field', path: 'seed', values: [1, 2] },
    ]);
    expect(v.map((x) => x.label)).toEqual([
      'recipe=baseline, seed=1', 'recipe=baseline, seed=2',
      'recipe=lead, k=1, seed=1', 'recipe=lead, k=1, seed=2', 'recipe=lead, k=3, seed=1', 'recipe=lead, k=3, seed=2',
    ]);
    expect(v[0].config.recipe).toEqual({ kind: 'baseline' });
    expect(v[4].errors['recipe.k']).toMatch(/depth/); // the student has 2 layers
  });

  it('setPath refuses unknown fields; parseSeedList reads lists and ranges', () => {
    expect(() => setPath(defaultRunConfig(), 'recipe.nope', 1)).toThrow(RangeError);
    expect(parseSeedList('1, 2 3')).toEqual([1, 2, 3]);
    expect(parseSeedList('1-4,2')).toEqual([1, 2, 3, 4]);
    expect(parseSeedList('x')).toBeNull();
    expect(parseSeedList('')).toBeNull();
  });
});
