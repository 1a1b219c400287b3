// Ready-made experiment sizes for the lab's one-click demo. "quick" finishes in a few minutes
// even on a CPU-only laptop (and in the browser tests); "standard" is the benchmark's
// model sizes (benchmark.md), meant for a real GPU.
import { defaultExperiment, type ExperimentConfig } from './experiment';
import { defaultRecipe } from './recipes';

export type DemoSize = 'quick' | 'small' | 'standard';

export const DEMO_SIZES: { id: DemoSize; label: string; description: string }[] = [
  { id: 'quick', label: 'Quick', description: 'Tiny models and a few dozen steps: shows every view in minutes, even without a GPU. Numbers are rough.' },
  { id: 'small', label: 'Small', description: 'Small models and a few hundred steps: a fair comparison on a laptop GPU.' },
  { id: 'standard', label: 'Standard', description: "The benchmark's sizes (student 2x64, teacher 4x128): for a real GPU." },
];

export function demoExperiment(size: DemoSize = 'quick', seed = 1): ExperimentConfig {
  const base = defaultExperiment(seed);
  const recipes = [defaultRecipe('baseline'), defaultRecipe('kd'), defaultRecipe('lead')];
  if (size === 'standard') return { ...base, recipes };
  const dims =
    size === 'quick'
      ? { t: { layers: 2, hidden: 32, heads: 2, ffn: 64 }, s: { layers: 2, hidden: 16, heads: 2, ffn: 32 }, len: 24, vocab: 1500, tSteps: 40, sSteps: 30, batch: 8 }
      : { t: { layers: 3, hidden: 64, heads: 2, ffn: 256 }, s: { layers: 2, hidden: 32, heads: 2, ffn: 128 }, len: 32, vocab: 4000, tSteps: 300, sSteps: 200, batch: 16 };
  const lens = { maxQueryLen: 16, maxPassageLen: dims.len, maxPositions: 64 };
  return {
    ...base,
    teachers: [{ ...base.teachers[0], model: { ...base.teachers[0].model, ...dims.t, ...lens }, tokenizer: { kind: 'wordpiece', vocabSize: dims.vocab } }],
    student: { ...base.student, model: { ...base.student.model, ...dims.s, ...lens }, tokenizer: { kind: 'hashed-word', vocabSize: dims.vocab } },
    teacherTrain: { ...base.teacherTrain, steps: dims.tSteps, batchSize: dims.batch, lr: 5e-3, logEvery: 5, checkpointEvery: 10 },
    studentTrain: { ...base.studentTrain, steps: dims.sSteps, batchSize: dims.batch, lr: 5e-3, logEvery: 5, checkpointEvery: 10 },
    recipes,
    rerankDepth: 20,
  };
}
