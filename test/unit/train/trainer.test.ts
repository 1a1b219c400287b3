// The training loop on a tiny world with tiny models (tfjs cpu backend, Node):
// resume equivalence, the non-finite loss path, no tensor leaks, joint vs frozen teacher.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from '../../../src/core/backend/wasmKernels';
import { generateWorld } from '../../../src/core/data/world';
import { RetrievalModel } from '../../../src/core/model/retriever';
import { trainHashedWord } from '../../../src/core/text/tokenizerHashed';
import { trainWordPiece } from '../../../src/core/text/wordpieceTrainer';
import { BatchSampler, buildExamples, docText } from '../../../src/core/train/examples';
import { PhaseTrainer, type PhaseSpec } from '../../../src/core/train/trainer';
import { defaultRecipe, validateTrainSettings, type TrainSettings } from '../../../src/core/distill/recipes';
import { NonFiniteLossError } from '../../../src/core/errors';
import type { CheckpointContent } from '../../../src/core/train/checkpoint';
import type { TrainEvent, StepEvent } from '../../../src/core/train/events';
import type { Corpus } from '../../../src/core/data/types';
import type { Tokenizer } from '../../../src/core/text/tokenizerBase';

let corpus: Corpus;
let tTok: Tokenizer;
let sTok: Tokenizer;

// The wasm backend (with the lab's embedding-gradient kernel) is ~50x faster than cpu here,
// which the 200-step leak test needs; both are exact and deterministic.
beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  corpus = generateWorld({ preset: 'easy', seed: 3, entities: 60, train: 80, dev: 10, test: 10 });
  const texts = [...corpus.docs.map(docText), ...corpus.queries.map((q) => q.text)];
  tTok = trainWordPiece(texts, 400).tokenizer;
  sTok = trainHashedWord(texts, 300);
});

const tiny = (kind: 'de' | 'ce', tok: Tokenizer, layers: number, seed: number, dropout = 0.1) =>
  RetrievalModel.create(
    { kind, layers, hidden: 16, heads: 2, ffn: 32, vocabSize: tok.vocabSize, maxQueryLen: 16, maxPassageLen: 32, maxPositions: 64, initSeed: seed, dropout: { hidden: dropout, attention: dropout } },
    tok,
  );

function settings(over: Partial<TrainSettings> = {}): TrainSettings {
  return validateTrainSettings({ steps: 12, batchSize: 4, negatives: 1, lr: 1e-3, warmupFraction: 0.2, logEvery: 1, checkpointEvery: 0, ...over });
}

function spec(over: Partial<PhaseSpec> & Pick<PhaseSpec, 'student' | 'mode'>): PhaseSpec {
  const examples = buildExamples(corpus);
  const sampler = new BatchSampler(corpus, examples, new Map(), 4, 2, 7);
  return { id: 'p', title: 'test phase', settings: settings(), sampler, seed: 11, ...over };
}

const stepLosses = (events: TrainEvent[]) => events.filter((e): e is StepEvent => e.type === 'step').map((e) => e.losses.total);

describe('PhaseTrainer', () => {
  it('step events report the candidates per query of the NLL: B * G in-batch (chance is ln of it)', async () => {
    const student = tiny('de', sTok, 2, 1);
    const events: TrainEvent[] = [];
    const t = new PhaseTrainer(spec({ student, mode: { kind: 'contrastive' }, settings: settings({ steps: 2 }) }));
    await t.run({ onEvent: (e) => events.push(e) });
    const steps = events.filter((e): e is StepEvent => e.type === 'step');
    expect(steps.length).toBe(2);
    expect(steps.map((s) => s.candidates)).toEqual([8, 8]); // 4 queries x (1 positive + 1 negative)
    t.dispose();
    student.dispose();
  });

  it('a resumed LEAD run continues with the same losses as an uninterrupted one', async () => {
    const run = async (interrupt: boolean) => {
      const student = tiny('de', sTok, 2, 1);
      const teacher = tiny('de', tTok, 3, 2);
      const mk = () => spec({ student, teacher, mode: { kind: 'lead', recipe: { ...defaultRecipe('lead'), resampleEvery: 2 } } });
      const events: TrainEvent[] = [];
      let saved: CheckpointContent | null = null;
      let t = new PhaseTrainer(mk());
      if (interrupt) {
        let n = 0;
        await t.run({ onEvent: (e) => events.push(e), shouldPause: () => n++ >= 5 });
        saved = await t.checkpoint();
        t.dispose();
        // Scramble the live state, as a reload would lose it: new models from other seeds.
        const s2 = tiny('de', sTok, 2, 99);
        const t2 = tiny('de', tTok, 3, 98);
        const examples = buildExamples(corpus);
        t = new PhaseTrainer({ ...mk(), student: s2, teacher: t2, sampler: new BatchSampler(corpus, examples, new Map(), 4, 2, 12345) });
        t.restore(saved);
        await t.run({ onEvent: (e) => events.push(e) });
        t.dispose();
        s2.dispose();
        t2.dispose();
      } else {
        await t.run({ onEvent: (e) => events.push(e) });
        t.dispose();
      }
      student.dispose();
      teacher.dispose();
      return stepLosses(events);
    };
    const straight = await run(false);
    const resumed = await run(true);
    expect(straight).toHaveLength(12);
    expect(resumed).toEqual(straight);
  });

  it('no tensor leaks: numTensors after step 10 equals after step 200', async () => {
    const student = tiny('de', sTok, 1, 1);
    const teacher = tiny('de', tTok, 2, 2);
    const t = new PhaseTrainer(spec({ student, teacher, mode: { kind: 'lead', recipe: { ...defaultRecipe('lead'), k: 1 } }, settings: settings({ steps: 200, logEvery: 10 }) }));
    const counts = new Map<number, number>();
    await t.run({ onEvent: (e) => e.type === 'step' && counts.set(e.step, tf.memory().numTensors) });
    expect(counts.get(200)).toBe(counts.get(10));
    t.dispose();
    student.dispose();
    teacher.dispose();
  });

  it('a non-finite loss stops the run with NonFiniteLossError and leaves the last checkpoint as it was', async () => {
    const student = tiny('de', sTok, 1, 1);
    const checkpoints: number[] = [];
    // A learning rate of 1e30 blows the weights up within a few steps.
    const t = new PhaseTrainer(spec({ student, mode: { kind: 'contrastive' }, settings: settings({ steps: 50, lr: 1e30, clipNorm: 1e30, logEvery: 1, checkpointEvery: 1, warmupFraction: 0 }) }));
    const err = await t.run({ onCheckpoint: async (_c, step) => void checkpoints.push(step) }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toMatch(/non-finite at step (\d+)/);
    const bad = Number(/step (\d+)/.exec((err as Error).message)![1]);
    expect(checkpoints.at(-1)).toBe(bad - 1); // the last checkpoint is the step before, never the bad one
    t.dispose();
    student.dispose();
  });

  it('joint LEAD moves the teacher; a frozen teacher (KD, or LEAD joint=false) does not', async () => {
    const moved = async (mode: PhaseSpec['mode']) => {
      const student = tiny('de', sTok, 2, 1);
      const teacher = tiny('de', tTok, 2, 2);
      const before = await teacher.readWeights();
      const t = new PhaseTrainer(spec({ student, teacher, mode, settings: settings({ steps: 3 }) }));
      await t.run();
      const after = await teacher.readWeights();
      let diff = 0;
      for (const [name, w] of before) {
        const a = after.get(name)!.data;
        for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - w.data[i]));
      }
      t.dispose();
      student.dispose();
      teacher.dispose();
      return diff;
    };
    expect(await moved({ kind: 'lead', recipe: defaultRecipe('lead') })).toBeGreaterThan(0);
    expect(await moved({ kind: 'lead', recipe: { ...defaultRecipe('lead'), joint: false } })).toBe(0);
    expect(await moved({ kind: 'kd', recipe: defaultRecipe('kd') })).toBe(0);
  });

  it('a PROD stage against a CE teacher with LwF reports kd, lwf and the drift', async () => {
    // Without dropout the student and its stage-start copy agree exactly at the first step.
    const student = tiny('de', sTok, 2, 1, 0);
    const teacher = tiny('ce', tTok, 2, 2);
    const previous = student.clone();
    const events: TrainEvent[] = [];
    const t = new PhaseTrainer(spec({ student, teacher, previous, mode: { kind: 'prod', recipe: defaultRecipe('prod'), lwf: true }, settings: settings({ steps: 6, lr: 0.03 }) }));
    await t.run({ onEvent: (e) => events.push(e) });
    const steps = events.filter((e): e is StepEvent => e.type === 'step');
    expect(Object.keys(steps[0].losses).sort()).toEqual(['kd', 'lwf', 'nll', 'total']);
    // Against a CE teacher the NLL runs on each query's own group (G = 1 + 1 negative): chance is ln 2.
    expect(steps.map((s) => s.candidates)).toEqual(steps.map(() => 2));
    expect(steps[0].lwfDrift).toBeCloseTo(0, 6); // the student starts as its own copy
    // Then it moves away. The tiny student starts with near-equal scores (nll ~ ln 2) and Adam
    // steps along tiny gradients, so the drift of a given step depends on float rounding (the
    // order of a matMul's sums): the largest drift over the stage is what is checked. An
    // optimiser that did nothing would leave it at 0.
    expect(Math.max(...steps.slice(1).map((s) => s.lwfDrift!))).toBeGreaterThan(1e-7);
    t.dispose();
    [student, teacher, previous].forEach((m) => m.dispose());
  });
});
