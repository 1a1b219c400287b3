// A student cut from the teacher's layers (ModelSpec.init, DistilBERT style) in a whole
// experiment: its initial weights are the chosen teacher blocks, every recipe starts from them,
// LEAD pairs at most the student's k blocks, and KD and LEAD train it (finite losses). And the
// config checks: bad block lists, a CE, LEAD's k against the cut depth, an init on a teacher.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateWorld } from '../../../src/core/data/world';
import { defaultExperiment, runExperiment, studentDepth, validateExperiment, type ExperimentConfig } from '../../../src/core/distill/experiment';
import { defaultRecipe } from '../../../src/core/distill/recipes';
import { ConfigError } from '../../../src/core/errors';
import type { RetrievalModel } from '../../../src/core/model/retriever';
import type { StepEvent, TrainEvent } from '../../../src/core/train/events';
import { importModelFolder } from '../../../src/core/model';
import { loadFolder, ST_GOLDEN } from '../model/stGolden';

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

function tinyConfig(init: ExperimentConfig['student']['init']): ExperimentConfig {
  const base = defaultExperiment(3);
  const small = { hidden: 16, heads: 2, ffn: 32, maxQueryLen: 12, maxPassageLen: 24, maxPositions: 64 };
  const lead = { ...defaultRecipe('lead'), k: 2 };
  return {
    ...base,
    teachers: [{ ...base.teachers[0], model: { ...base.teachers[0].model, ...small, layers: 4 }, tokenizer: { kind: 'wordpiece', vocabSize: 300 } }],
    // The student's own sizes (1 x 8, hashed words) are ignored: it takes the teacher's.
    student: { ...base.student, model: { ...base.student.model, ...small, layers: 1, hidden: 8 }, tokenizer: { kind: 'hashed-word', vocabSize: 200 }, init },
    teacherTrain: { ...base.teacherTrain, steps: 4, batchSize: 4, negatives: 1, logEvery: 1, checkpointEvery: 100 },
    studentTrain: { ...base.studentTrain, steps: 3, batchSize: 4, negatives: 1, logEvery: 1, checkpointEvery: 100 },
    recipes: [defaultRecipe('kd'), lead],
    rerankDepth: 10,
  };
}

const corpus = () => generateWorld({ preset: 'easy', seed: 2, entities: 30, train: 24, dev: 6, test: 8 });

async function weightsOf(m: RetrievalModel): Promise<Map<string, Float32Array>> {
  return new Map([...(await m.readWeights())].map(([n, w]) => [n, w.data] as const));
}

describe('a student cut from the teacher in an experiment', () => {
  it('starts every recipe from the teacher blocks 1 and 3, and LEAD and KD train it', async () => {
    let teacherW: Map<string, Float32Array> | null = null;
    let studentW: Map<string, Float32Array> | null = null;
    let studentCfg: RetrievalModel['config'] | null = null;
    const logs: string[] = [];
    const events: TrainEvent[] = [];
    const results = await runExperiment(corpus(), tinyConfig({ from: 'teacher', layers: [1, 3] }), {
      onLog: (m) => logs.push(m),
      onEvent: (e) => events.push(e),
      onTeacher: async (_i, _s, m) => {
        teacherW = await weightsOf(m);
      },
      onStudentInit: async (m, info) => {
        expect(info).toEqual({ from: 'teacher', layers: [1, 3] });
        studentW = await weightsOf(m);
        studentCfg = m.config;
      },
    });
    expect(results.map((r) => r.recipe)).toEqual(['bm25', 'teacher:DE teacher', 'kd', 'lead']);
    const t = teacherW!;
    const s = studentW!;
    expect(studentCfg).toMatchObject({ kind: 'de', layers: 2, hidden: 16, heads: 2, ffn: 32, vocabSize: t.get('embeddings.word_embeddings.weight')!.length / 16 });
    // Embeddings as the teacher's; student block j = teacher block [1, 3][j].
    expect(s.get('embeddings.word_embeddings.weight')).toEqual(t.get('embeddings.word_embeddings.weight'));
    expect(s.get('embeddings.LayerNorm.weight')).toEqual(t.get('embeddings.LayerNorm.weight'));
    for (const [j, l] of [1, 3].entries()) {
      for (const w of ['attention.self.query.weight', 'intermediate.dense.weight', 'output.LayerNorm.bias']) {
        expect(s.get(`encoder.layer.${j}.${w}`)).toEqual(t.get(`encoder.layer.${l}.${w}`));
      }
    }
    expect(s.has('encoder.layer.2.output.dense.weight')).toBe(false);
    expect(logs.some((m) => /student: blocks 1, 3 of DE teacher \(4 layers\) copied/.test(m))).toBe(true);
    // Both recipes trained it with finite losses; LEAD paired k = 2 student blocks of 2.
    for (const phase of ['kd', 'lead']) {
      const steps = events.filter((e): e is StepEvent => e.type === 'step' && e.phase === phase);
      expect(steps.length).toBeGreaterThan(0);
      for (const e of steps) for (const v of Object.values(e.losses)) expect(Number.isFinite(v)).toBe(true);
      if (phase === 'lead') for (const e of steps) for (const [sl] of e.layerPairs ?? []) expect(sl).toBeLessThan(2);
    }
    for (const r of results) expect(Number.isFinite(r.metrics['ndcg@10'])).toBe(true);
  });

  it('defaults to every other block, and a ColBERT student takes its own kind', async () => {
    const cfg = tinyConfig({ from: 'teacher' });
    expect(studentDepth(validateExperiment(cfg))).toBe(2);
    cfg.student = { ...cfg.student, model: { kind: 'cb', layers: 1, hidden: 8, heads: 2, ffn: 16, maxQueryLen: 12, maxPassageLen: 24, colbertDim: 8, dropout: { hidden: 0, attention: 0 } } };
    cfg.recipes = [defaultRecipe('kd')];
    cfg.studentTrain = { ...cfg.studentTrain, steps: 2 };
    let got: { layers: number[] | null; kind: string; params: number; proj: boolean } | null = null;
    await runExperiment(corpus(), cfg, {
      onStudentInit: (m, info) => {
        got = { layers: info.layers, kind: m.config.kind, params: m.numParameters, proj: m.config.colbertDim === 8 };
      },
    });
    expect(got).toMatchObject({ layers: [0, 2], kind: 'cb', proj: true });
  });

  it('cuts a student from another checkpoint (the hooks load it), all its blocks by default', async () => {
    const cfg = tinyConfig({ from: 'checkpoint', id: 'golden' });
    cfg.recipes = [defaultRecipe('kd')];
    cfg.studentTrain = { ...cfg.studentTrain, steps: 2 };
    let source: RetrievalModel | null = null;
    let got: { layers: number[] | null; cfg: RetrievalModel['config']; word: Float32Array } | null = null;
    let sourceWord: Float32Array | null = null;
    const results = await runExperiment(corpus(), cfg, {
      loadPretrained: async (id) => {
        expect(id).toBe('golden');
        source = importModelFolder(loadFolder(ST_GOLDEN.meanCos).files).model;
        sourceWord = (await weightsOf(source)).get('embeddings.word_embeddings.weight')!;
        return source;
      },
      onStudentInit: async (m, info) => {
        got = { layers: info.layers, cfg: m.config, word: (await weightsOf(m)).get('embeddings.word_embeddings.weight')! };
      },
    });
    const src = source! as RetrievalModel;
    expect(src.isDisposed).toBe(true);
    expect(got!.layers).toEqual(Array.from({ length: src.config.layers }, (_, i) => i));
    expect(got!.cfg).toMatchObject({ layers: src.config.layers, hidden: src.config.hidden, pooling: src.config.pooling, maxQueryLen: 12 });
    expect(got!.word).toEqual(sourceWord);
    expect(Number.isFinite(results.at(-1)!.metrics['ndcg@10'])).toBe(true);
  });

  it('refuses bad block lists, a CE, a LEAD k deeper than the cut student, and an init on a teacher', () => {
    const fieldOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).details?.field;
      }
      return 'no error';
    };
    for (const layers of [[], [2, 1], [0, 4], [0, 0], [-1], [0.5], 'all']) {
      expect(fieldOf(() => validateExperiment(tinyConfig({ from: 'teacher', layers } as never)))).toBe('student.init.layers');
    }
    expect(fieldOf(() => validateExperiment(tinyConfig({ from: 'elsewhere' } as never)))).toBe('student.init.from');
    expect(fieldOf(() => validateExperiment(tinyConfig({ from: 'checkpoint', id: '' })))).toBe('student.init.id');
    const ce = tinyConfig({ from: 'teacher' });
    ce.student = { ...ce.student, model: { kind: 'ce', layers: 1, hidden: 8, heads: 2, ffn: 16 } };
    ce.recipes = [defaultRecipe('kd')];
    expect(() => validateExperiment(ce)).toThrow(/cross encoder/);
    expect(fieldOf(() => validateExperiment(ce))).toBe('student.init');
    // LEAD k = 2 needs two student blocks; one cut block is too few.
    expect(fieldOf(() => validateExperiment(tinyConfig({ from: 'teacher', layers: [3] })))).toBe('lead.k');
    const onTeacher = tinyConfig(undefined);
    onTeacher.teachers[0] = { ...onTeacher.teachers[0], init: { from: 'teacher' } };
    expect(fieldOf(() => validateExperiment(onTeacher))).toBe('teachers[0].init');
    expect(() => validateExperiment(tinyConfig({ from: 'checkpoint', id: 'hf:org/model', layers: [0, 5] }))).not.toThrow();
  });
});
