// Ready-made experiments for the lab's one-click demo on the built-in world.
//
// "quick" and "small" distil the teacher the lab ships (public/teachers/world-default-de, a DE
// 4x64 trained by the lab's own command line: README "Shipped teacher") into a DE 2x32 student,
// with the same budget for the student alone, response KD, LEAD and PROD. The teacher is not
// trained again, so the demo shows its quality at once and spends its time on the students.
// "standard" trains its own teachers at the benchmark's sizes, for a real GPU.
//
// The students' settings come from measurements (docs/training.md, "Why the first demo showed
// no distillation"): at lr 1e-3 a 2x32 student is still far from its teacher after a few hundred
// steps, and the teacher's distribution at tau = 1 (cosine / 0.05, nearly one-hot) says what the
// labels say; Adam, blind to the loss's scale, then trains the KD student exactly like the
// student alone. At lr 5e-3 the student nears what its labels can teach it within the budget,
// and a teacher softened to T = 2 (both sides over T, T^2-scaled) tells it which negatives are
// close. Over three seeds (docs/results.md, ablations): response KD at T = 2 closed 45% of the
// teacher-student gap, LEAD at tau = 2 94% (at the paper's tau = 1: 30%).
import { ConfigError } from '../errors';
import { shippedTeacherNamed, SHIPPED_TEACHERS } from '../model/shipped';
import { defaultExperiment, type ExperimentConfig, type ModelSpec } from './experiment';
import { defaultRecipe, type Recipe } from './recipes';

export type DemoSize = 'quick' | 'small' | 'standard';

/** The shipped teacher of the page's built-in world, world:default (public/teachers/<name>/). */
export const SHIPPED_TEACHER = 'world-default-de';

export const DEMO_SIZES: { id: DemoSize; label: string; description: string }[] = [
  {
    id: 'quick',
    label: 'Quick',
    description: 'The shipped teacher (DE 4x64) distilled into a DE 2x32 student, 250 steps per recipe: about 4 minutes without a GPU.',
  },
  {
    id: 'small',
    label: 'Small',
    description: 'The shipped teacher distilled into a DE 2x32 student, 500 steps of 48 queries per recipe: a firmer comparison, about 15 minutes without a GPU.',
  },
  { id: 'standard', label: 'Standard', description: "Trains its own teachers at the benchmark's sizes (student 2x32, teachers 4x64) for 1,000 steps each: for a real GPU." },
];

/**
 * A shipped teacher (core/model/shipped.ts) as a run's teacher: used as it is, never trained
 * again (except by joint LEAD, on the run's copy). Its architecture is the checkpoint's own.
 */
export function shippedTeacher(name: string = SHIPPED_TEACHER): ModelSpec {
  const t = shippedTeacherNamed(name);
  if (!t) throw new ConfigError(`the lab ships no teacher "${name}" (it ships ${SHIPPED_TEACHERS.map((x) => x.name).join(', ')})`, { field: 'teacher' });
  const base = defaultExperiment().teachers[0];
  const m = t.model;
  return {
    name: `shipped teacher (DE ${m.layers} x ${m.hidden}, ${t.name})`,
    model: { ...base.model, ...m },
    tokenizer: { ...t.tokenizer },
    pretrained: `builtin:${t.name}`,
  };
}

/**
 * Options of a demo: `steps` shortens every student's budget (tests, slow machines); `teacher`
 * names the shipped teacher it distils, on that teacher's corpus (the page's demo:
 * world-default-de; the command line picks the one of its --corpus).
 */
export interface DemoOptions {
  steps?: number;
  teacher?: string;
}

export function demoExperiment(size: DemoSize = 'quick', seed = 1, opts: DemoOptions = {}): ExperimentConfig {
  const base = defaultExperiment(seed);
  if (size === 'standard') return { ...base, recipes: [defaultRecipe('baseline'), defaultRecipe('kd'), defaultRecipe('lead'), defaultRecipe('prod')] };
  const steps = Math.max(10, Math.round(opts.steps ?? (size === 'quick' ? 250 : 500)));
  const batchSize = size === 'quick' ? 32 : 48;
  const lr = 5e-3;
  // PROD spends the same budget: its distillation stage, then a data-progressive stage of a tenth
  // on the training queries the teacher gets right and the student nearly does, chosen from
  // 1,000 ranked training queries (from 200, the ~14 selected were over-fitted and the stage
  // lost 0.02-0.05 nDCG@10: docs/training.md).
  const dpSteps = Math.max(2, Math.round(steps / 10));
  const prod = defaultRecipe('prod');
  const recipes: Recipe[] = [
    defaultRecipe('baseline'),
    { ...defaultRecipe('kd'), form: 'prod', temperature: 2 },
    // LEAD's tau = 2 for the same reason: at tau = 1 (the paper's) its response and layer KLs
    // repeat the label; over three seeds tau = 2 closed 94% of the gap, tau = 1 30%.
    { ...defaultRecipe('lead'), tau: 2 },
    {
      ...prod,
      temperature: 2,
      stages: [{ teacher: 0, steps: steps - dpSteps, lr }],
      dataProgressive: { ...prod.dataProgressive, steps: dpSteps, lr: lr / 5, maxQueries: 1000 },
    },
  ];
  const checkpointEvery = Math.max(5, Math.round(steps / 5));
  const studentTrain = { ...base.studentTrain, steps, batchSize, negatives: 0, lr, logEvery: 5, checkpointEvery, evalEvery: 0 };
  return {
    ...base,
    teachers: [shippedTeacher(opts.teacher ?? SHIPPED_TEACHER)],
    student: { ...base.student, name: 'DE student (2 x 32)' },
    studentTrain,
    recipes,
    rerankDepth: 20,
  };
}
