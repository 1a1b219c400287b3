// Where gradients flow in the distillation losses (algorithms.md 3.4-3.6): joint vs frozen
// teacher, lambda as a constant, the teacher-only terms, PROD's frozen models; closed-form and
// finite-difference checks; no tensor leaks. The "encoders" here are the golden file's [CLS]
// vectors held as tf.Variables, so every score matrix is a differentiable function of them.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ceGroupScores,
  cutToGroups,
  inBatchScores,
  klBatchmean,
  leadLoss,
  nllLoss,
  prodLoss,
  stopGradient,
  type LeadLossOptions,
  type ScoreSet,
} from '../../../src/core/distill/losses';
import { lossAndGrads } from '../../../src/core/train/optimizer';
import { loadLossesGolden } from './golden';

const { inputs: I } = loadLossesGolden();
const G = I.G;
const SL = I.selected_student_layers; // [0, 2]
const TL = I.selected_teacher_layers; // [1, 4]
const TOP = I.teacher_layers - 1;

interface Encoder {
  q: tf.Variable[];
  p: tf.Variable[];
}

let student: Encoder;
let teacherDe: Encoder;
/** CE teacher: per-layer pair [CLS] vectors and the head. */
let ce: { pairs: tf.Variable[]; w: tf.Variable; b: tf.Variable };
let prev: Encoder;

const encoder = (q: number[][][], p: number[][][], tag: string): Encoder => ({
  q: q.map((x, l) => tf.variable(tf.tensor2d(x), true, `${tag}/q${l}`)),
  p: p.map((x, l) => tf.variable(tf.tensor2d(x), true, `${tag}/p${l}`)),
});
const varsOf = (e: Encoder) => [...e.q, ...e.p];

beforeAll(async () => {
  await tf.setBackend('cpu');
  student = encoder(I.student_query_cls, I.student_passage_cls, 'student');
  teacherDe = encoder(I.teacher_de_query_cls, I.teacher_de_passage_cls, 'teacher');
  ce = {
    pairs: I.teacher_ce_pair_cls.map((x, l) => tf.variable(tf.tensor2d(x), true, `ce/pairs${l}`)),
    w: tf.variable(tf.tensor1d(I.teacher_ce_head_w), true, 'ce/w'),
    b: tf.variable(tf.scalar(I.teacher_ce_head_b), true, 'ce/b'),
  };
  prev = encoder([I.prev_student_query], [I.prev_student_passage], 'prev');
});

afterAll(() => {
  tf.disposeVariables();
});

/** [B, P] scores of an encoder at layer l. */
const at = (e: Encoder, l: number) => inBatchScores(e.q[l] as tf.Tensor2D, e.p[l] as tf.Tensor2D);
const studentSet = (): ScoreSet => ({ final: at(student, I.student_layers - 1), layers: SL.map((l) => at(student, l)) });
const deSet = (): ScoreSet => ({ final: at(teacherDe, TOP), layers: TL.map((l) => at(teacherDe, l)) });
const ceAt = (l: number) => ceGroupScores(ce.pairs[l] as tf.Tensor2D, ce.w as tf.Tensor1D, ce.b as tf.Scalar, G);
const ceSet = (): ScoreSet => ({ final: ceAt(TOP), layers: TL.map(ceAt) });
const ceVars = () => [...ce.pairs, ce.w, ce.b];

const opts = (joint: boolean, over: Partial<LeadLossOptions> = {}): LeadLossOptions => ({
  tau: I.tau,
  layerTemperature: I.layer_temperature,
  reweight: true,
  wLayer: 1,
  wStudent: 1,
  wResponse: 1,
  wTeacher: 1,
  joint,
  ...over,
});

function maxAbs(t: tf.Tensor | null | undefined): number {
  if (!t) return 0;
  return tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]);
}

/** grads of f() w.r.t. vars; returns max |grad| per variable name (0 when there is none). */
function gradSizes(f: () => tf.Scalar, vars: tf.Variable[]): Map<string, number> {
  const { out, grads } = lossAndGrads(() => ({ total: f() }), vars);
  const sizes = new Map(vars.map((v) => [v.name, maxAbs(grads[v.name])] as const));
  tf.dispose([out.total, ...Object.values(grads)]);
  return sizes;
}

/** Central difference of f at entry i of v (float32; f returns a number). */
function finiteDiff(v: tf.Variable, i: number, h: number, f: () => number): number {
  const base = Float32Array.from(v.dataSync());
  const set = (x: number) => {
    const d = base.slice();
    d[i] = x;
    tf.tidy(() => v.assign(tf.tensor(d, v.shape)));
  };
  set(base[i] + h);
  const up = f();
  set(base[i] - h);
  const down = f();
  set(base[i]);
  return (up - down) / (2 * h);
}

const value = (f: () => tf.Scalar) => tf.tidy(() => f().dataSync()[0]);

describe('closed forms', () => {
  it('cutToGroups passes gradients back to exactly the kept columns', () => {
    const S = tf.variable(tf.randomNormal([3, 9], 0, 1, 'float32', 7), true, 'cut/S');
    const R = tf.tensor2d([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(cutToGroups(S as tf.Tensor2D, 3), R)), [S]);
    expect(Array.from(grads[S.name].dataSync())).toEqual([
      1, 2, 3, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 4, 5, 6, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 7, 8, 9,
    ]);
    tf.dispose([R, grads[S.name]]);
  });

  it('dNLL/dS = (softmax(S) - onehot(pos)) / B; dKL(t||s)/ds = (softmax(s) - softmax(t)) / B', () => {
    tf.tidy(() => {
      const S = tf.randomNormal([3, 9], 0, 1, 'float32', 3) as tf.Tensor2D;
      const T = tf.randomNormal([3, 9], 0, 1, 'float32', 4) as tf.Tensor2D;
      const gN = tf.grad((x: tf.Tensor) => nllLoss(x as tf.Tensor2D, G))(S);
      const onehot = tf.tensor2d([[1, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1, 0, 0]]);
      expect(maxAbs(tf.sub(gN, tf.div(tf.sub(tf.softmax(S), onehot), 3)))).toBeLessThan(1e-7);
      const gK = tf.grad((x: tf.Tensor) => klBatchmean(T, x as tf.Tensor2D))(S);
      expect(maxAbs(tf.sub(gK, tf.div(tf.sub(tf.softmax(S), tf.softmax(T)), 3)))).toBeLessThan(1e-7);
    });
  });

  it('stopGradient: same values, no gradient, and the graph behind it is not visited', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]), true, 'sg/v');
    const w = tf.variable(tf.tensor1d([4, 5, 6]), true, 'sg/w');
    const { value: y, grads } = tf.variableGrads(() => tf.sum(tf.mul(stopGradient(tf.mul(v, 2)), w)), [v, w]);
    expect(y.dataSync()[0]).toBe(64);
    expect(grads[v.name]).toBeUndefined();
    expect(Array.from(grads[w.name].dataSync())).toEqual([2, 4, 6]);
    tf.dispose([y, grads[w.name]]);
  });
});

describe('LEAD gradients', () => {
  for (const kind of ['de', 'ce'] as const) {
    const teacherSet = kind === 'de' ? deSet : ceSet;
    const teacherVars = () => (kind === 'de' ? varsOf(teacherDe) : ceVars());
    /** The teacher's variables that feed layer l. */
    const layerVars = (l: number) => (kind === 'de' ? [teacherDe.q[l], teacherDe.p[l]] : [ce.pairs[l]]);

    it(`${kind.toUpperCase()} teacher, joint: L_resp and L_layer reach the teacher`, () => {
      const all = [...varsOf(student), ...teacherVars()];
      // L_resp alone: the teacher's final layer (and the CE head) get a gradient.
      const resp = gradSizes(() => leadLoss(studentSet(), teacherSet(), G, opts(true)).terms.response, all);
      for (const v of layerVars(TOP)) expect(resp.get(v.name), v.name).toBeGreaterThan(1e-4);
      if (kind === 'ce') expect(resp.get(ce.w.name)).toBeGreaterThan(1e-4);
      // L_layer alone: teacher layer TL[0] = 1 appears in nothing else.
      const layer = gradSizes(() => leadLoss(studentSet(), teacherSet(), G, opts(true)).terms.layer, all);
      for (const v of layerVars(TL[0])) expect(layer.get(v.name), v.name).toBeGreaterThan(1e-4);
      // Unselected teacher layers get nothing.
      for (const v of layerVars(0)) expect(layer.get(v.name), v.name).toBe(0);
      // The total: student and teacher layers 1 and 4 all get gradients.
      const total = gradSizes(() => leadLoss(studentSet(), teacherSet(), G, opts(true)).total, all);
      for (const v of [...layerVars(TL[0]), ...layerVars(TOP), ...SL.map((l) => student.q[l])]) expect(total.get(v.name), v.name).toBeGreaterThan(1e-4);
      expect(total.get(student.q[1].name)).toBe(0); // student layer 1 is not selected
    });

    it(`${kind.toUpperCase()} teacher, frozen: no gradient reaches the teacher`, () => {
      const all = [...varsOf(student), ...teacherVars()];
      const { out, grads } = lossAndGrads(() => leadLoss(studentSet(), teacherSet(), G, opts(false)), all);
      for (const v of teacherVars()) expect(grads[v.name], v.name).toBeUndefined();
      for (const l of [...SL, I.student_layers - 1]) expect(maxAbs(grads[student.q[l].name])).toBeGreaterThan(1e-4);
      tf.dispose([out as unknown as tf.TensorContainer, grads as tf.TensorContainer]);
    });
  }

  it("the teacher-only terms (joint) give the student nothing", () => {
    const all = [...varsOf(student), ...varsOf(teacherDe)];
    const sizes = gradSizes(() => {
      const t = leadLoss(studentSet(), deSet(), G, opts(true)).terms;
      return tf.add(t.teacherNll!, t.teacherResponse!) as tf.Scalar;
    }, all);
    for (const v of varsOf(student)) expect(sizes.get(v.name), v.name).toBe(0);
    expect(sizes.get(teacherDe.q[TOP].name)).toBeGreaterThan(1e-4);
  });

  it('lambda carries no gradient: autograd matches finite differences with lambda held fixed', () => {
    // A low layer temperature makes lambda sensitive, so that "lambda held fixed" and "lambda
    // free" differ clearly and the test can tell them apart.
    const o = opts(true, { layerTemperature: 0.5 });
    const v = teacherDe.q[TL[0]]; // teacher layer 1: feeds KL_0 and lambda only
    const lambda0 = tf.tidy(() => Array.from(leadLoss(studentSet(), deSet(), G, o).layerWeights.dataSync()));
    expect(Math.abs(lambda0[0] - 0.5)).toBeGreaterThan(0.05);
    const layerFixed = () => {
      const out = leadLoss(studentSet(), deSet(), G, o);
      return tf.sum(tf.mul(out.layerKl, tf.tensor1d(lambda0))) as tf.Scalar;
    };
    const layerFree = () => leadLoss(studentSet(), deSet(), G, o).terms.layer;
    const { out, grads } = lossAndGrads(() => ({ total: layerFree() }), [v]);
    const auto = Array.from(grads[v.name].dataSync());
    tf.dispose([out.total, grads[v.name]]);
    const fdFixed: number[] = [];
    const fdFree: number[] = [];
    for (let i = 0; i < v.size; i++) {
      fdFixed.push(finiteDiff(v, i, 1e-2, () => value(layerFixed)));
      fdFree.push(finiteDiff(v, i, 1e-2, () => value(layerFree)));
    }
    const norm = (a: number[]) => Math.hypot(...a);
    const diff = (a: number[], b: number[]) => norm(a.map((x, i) => x - b[i]));
    expect(diff(auto, fdFixed) / norm(fdFixed)).toBeLessThan(2e-3);
    // The gradient through lambda is far from negligible here: had it flowed, the test would see it.
    expect(diff(fdFree, fdFixed) / norm(fdFixed)).toBeGreaterThan(0.1);
  });

  it('joint total: student and teacher gradients match finite differences', () => {
    const o = opts(true);
    const lambda0 = tf.tidy(() => Array.from(leadLoss(studentSet(), deSet(), G, o).layerWeights.dataSync()));
    const run = () => leadLoss(studentSet(), deSet(), G, o);
    // Student: d total/d theta_s = d L/d theta_s (the teacher-only terms see S_s as constant).
    const studentObjective = () => value(() => run().studentTotal);
    // Teacher: total with lambda held at its value (lambda is a constant).
    const teacherObjective = () =>
      value(() => {
        const out = run();
        return tf.addN([tf.sub(out.total, out.terms.layer), tf.sum(tf.mul(out.layerKl, tf.tensor1d(lambda0)))]) as tf.Scalar;
      });
    const checks: [tf.Variable, () => number][] = [
      [student.q[I.student_layers - 1], studentObjective],
      [student.p[SL[0]], studentObjective],
      [teacherDe.q[TOP], teacherObjective],
      [teacherDe.p[TL[0]], teacherObjective],
    ];
    const vars = checks.map(([v]) => v);
    const { out, grads } = lossAndGrads(run, vars);
    for (const [v, f] of checks) {
      const g = grads[v.name].dataSync();
      for (const i of [0, 5, 13, v.size - 1]) {
        const fd = finiteDiff(v, i, 1e-2, f);
        expect(Math.abs(g[i] - fd), `${v.name}[${i}]: autograd ${g[i]}, fd ${fd}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      }
    }
    tf.dispose([out as unknown as tf.TensorContainer, grads as tf.TensorContainer]);
  });
});

describe('PROD gradients', () => {
  it('the stage teacher and the LwF copy are frozen; the student learns', () => {
    for (const teacher of ['de', 'ce'] as const) {
      const tVars = teacher === 'de' ? varsOf(teacherDe) : ceVars();
      const all = [...varsOf(student), ...tVars, ...varsOf(prev)];
      const { out, grads } = lossAndGrads(
        () => prodLoss(at(student, I.student_layers - 1), teacher === 'de' ? at(teacherDe, TOP) : ceAt(TOP), at(prev, 0), G, {
          temperature: 4,
          wCe: 0.1,
          wKd: 0.9,
          wLwf: 1,
        }),
        all,
      );
      for (const v of [...tVars, ...varsOf(prev)]) expect(grads[v.name], v.name).toBeUndefined();
      expect(maxAbs(grads[student.q[I.student_layers - 1].name])).toBeGreaterThan(1e-4);
      tf.dispose([out as unknown as tf.TensorContainer, grads as tf.TensorContainer]);
    }
  });
});

describe('memory', () => {
  it('no tensors leak from the losses inside variableGrads', () => {
    const all = [...varsOf(student), ...varsOf(teacherDe)];
    const step = (joint: boolean) => {
      const { out, grads } = lossAndGrads(() => leadLoss(studentSet(), deSet(), G, opts(joint)), all);
      tf.dispose([out as unknown as tf.TensorContainer, grads as tf.TensorContainer]);
    };
    step(true);
    step(false);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step(i % 2 === 0);
    tf.tidy(() => {
      leadLoss(studentSet(), ceSet(), G, opts(true));
      prodLoss(at(student, 2), ceAt(TOP), at(prev, 0), G, { temperature: 4, wCe: 0.1, wKd: 0.9, wLwf: 1 });
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
