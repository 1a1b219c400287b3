// A tiny experiment on the built-in world for the worker tests: a DE teacher and student of a
// few units, a few steps each, so a whole run takes seconds.
import { defaultExperiment, type ExperimentConfig } from '../../../src/core/distill/experiment';
import type { Recipe } from '../../../src/core/distill/recipes';

export interface TinyOptions {
  seed: number;
  /** Layers, hidden and FFN of the teacher (and of the student, whose hidden is studentHidden). */
  layers: number;
  hidden: number;
  ffn: number;
  studentHidden: number;
  /** Vocabulary sizes of the teacher's WordPiece and the student's hashed words. */
  vocab: [number, number];
  steps: number;
  batchSize: number;
  /** logEvery and checkpointEvery. */
  every: number;
  recipes: Recipe[];
}

export function tinyExperiment(o: TinyOptions): ExperimentConfig {
  const base = defaultExperiment(o.seed);
  const small = { layers: o.layers, hidden: o.hidden, heads: 2, ffn: o.ffn, maxQueryLen: 12, maxPassageLen: 24, maxPositions: 64 };
  const train = { steps: o.steps, batchSize: o.batchSize, negatives: 1, logEvery: o.every, checkpointEvery: o.every };
  return {
    ...base,
    teachers: [{ ...base.teachers[0], model: { ...base.teachers[0].model, ...small }, tokenizer: { kind: 'wordpiece', vocabSize: o.vocab[0] } }],
    student: { ...base.student, model: { ...base.student.model, ...small, hidden: o.studentHidden }, tokenizer: { kind: 'hashed-word', vocabSize: o.vocab[1] } },
    teacherTrain: { ...base.teacherTrain, ...train },
    studentTrain: { ...base.studentTrain, ...train },
    recipes: o.recipes,
    rerankDepth: 10,
  };
}
