// AdamW, clipping, accumulation and the schedule (algorithms.md section 7) against a float64
// reference written out by hand (torch.optim.AdamW + clip_grad_norm_ +
// get_linear_schedule_with_warmup semantics).
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError } from '../../../src/core/errors';
import {
  AdamW,
  GradientAccumulator,
  clipByGlobalNorm,
  globalNorm,
  lossAndGrads,
  type AdamWOptions,
  type OptimizedVariable,
} from '../../../src/core/train/optimizer';
import { linearSchedule, linearWarmupFactor, linearWarmupLr, warmupStepsFor } from '../../../src/core/train/schedule';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterAll(() => {
  tf.disposeVariables();
});

// ---- A tiny quadratic: L = 1/2 sum a (w - c)^2 + 1/2 sum a' (b - d)^2, gradient a (x - c). ----
const W0 = [0.5, -1.2, 2.0, 0.3];
const A_W = [1.0, 3.0, 0.5, 2.0];
const C_W = [1.0, 1.0, -1.0, 0.0];
const B0 = [0.8, -0.4];
const A_B = [2.0, 1.0];
const C_B = [-0.5, 0.5];

let uid = 0;
function quadratic(): { vars: OptimizedVariable[]; loss: () => tf.Scalar } {
  const id = ++uid;
  const w = tf.variable(tf.tensor2d(W0, [2, 2]), true, `quad${id}/weight`);
  const b = tf.variable(tf.tensor1d(B0), true, `quad${id}/bias`);
  const loss = () =>
    tf.tidy(() => {
      const lw = tf.sum(tf.mul(tf.tensor2d(A_W, [2, 2]), tf.square(tf.sub(w, tf.tensor2d(C_W, [2, 2])))));
      const lb = tf.sum(tf.mul(tf.tensor1d(A_B), tf.square(tf.sub(b, tf.tensor1d(C_B)))));
      return tf.mul(tf.add(lw, lb), 0.5) as tf.Scalar;
    });
  return { vars: [{ name: 'dense.weight', variable: w, decay: true }, { name: 'dense.bias', variable: b, decay: false }], loss };
}

/** One training step: gradients of the loss, AdamW at lr; returns the pre-clip norm. */
function trainStep(opt: AdamW, q: ReturnType<typeof quadratic>, lr: number): number {
  const { value, grads } = tf.variableGrads(q.loss, q.vars.map((v) => v.variable));
  const norm = opt.step(grads, lr);
  const n = norm.dataSync()[0];
  tf.dispose([value, norm, ...Object.values(grads)]);
  return n;
}

/** torch.optim.AdamW after clip_grad_norm_, in float64. Returns [w, b] after each step and the norms. */
function referenceAdamW(lrs: number[], o: Required<Omit<AdamWOptions, 'clipNorm'>> & { clipNorm: number | null }) {
  const p = [W0.slice(), B0.slice()];
  const a = [A_W, A_B];
  const c = [C_W, C_B];
  const decay = [true, false];
  const m = [W0.map(() => 0), B0.map(() => 0)];
  const v = [W0.map(() => 0), B0.map(() => 0)];
  const history: { params: number[][]; norm: number }[] = [];
  lrs.forEach((lr, k) => {
    const t = k + 1;
    const g = p.map((x, j) => x.map((xi, i) => a[j][i] * (xi - c[j][i])));
    const norm = Math.sqrt(g.flat().reduce((s, x) => s + x * x, 0));
    const coef = o.clipNorm === null ? 1 : Math.min(1, o.clipNorm / (norm + 1e-6));
    const bc1 = 1 - o.beta1 ** t;
    const bc2 = 1 - o.beta2 ** t;
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < p[j].length; i++) {
        const gi = g[j][i] * coef;
        if (decay[j]) p[j][i] *= 1 - lr * o.weightDecay;
        m[j][i] = o.beta1 * m[j][i] + (1 - o.beta1) * gi;
        v[j][i] = o.beta2 * v[j][i] + (1 - o.beta2) * gi * gi;
        p[j][i] -= (lr / bc1) * (m[j][i] / (Math.sqrt(v[j][i]) / Math.sqrt(bc2) + o.eps));
      }
    }
    history.push({ params: p.map((x) => x.slice()), norm });
  });
  return history;
}

function expectNear(actual: ArrayLike<number>, expected: number[], rel: number, abs: number, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tol = rel * Math.abs(expected[i]) + abs;
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) expect.fail(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
  }
}

describe('AdamW', () => {
  const base = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
  for (const clipNorm of [null, 0.5] as const) {
    it(`matches the float64 reference over 8 steps (decay on the weight, none on the bias; clip ${clipNorm})`, () => {
      const lr = linearSchedule({ peakLr: 0.05, warmupSteps: 2, totalSteps: 8 });
      const lrs = Array.from({ length: 8 }, (_, s) => lr(s));
      expect(lrs[0]).toBe(0); // HF/PyTorch semantics: the first warm-up step runs at lr 0
      const ref = referenceAdamW(lrs, { ...base, clipNorm });
      const q = quadratic();
      const opt = new AdamW(q.vars, { ...base, clipNorm });
      lrs.forEach((l, k) => {
        const norm = trainStep(opt, q, l);
        expectNear([norm], [ref[k].norm], 1e-6, 0, `norm at step ${k}`);
        if (clipNorm !== null && k === 0) expect(norm).toBeGreaterThan(clipNorm); // clipping is active
        expectNear(q.vars[0].variable.dataSync(), ref[k].params[0], 1e-5, 1e-6, `weight after step ${k + 1}`);
        expectNear(q.vars[1].variable.dataSync(), ref[k].params[1], 1e-5, 1e-6, `bias after step ${k + 1}`);
      });
      expect(opt.stepCount).toBe(8);
      opt.dispose();
    });
  }

  it('defaults: betas 0.9/0.999, eps 1e-8, weight decay 0.01, clip 1.0', () => {
    const q = quadratic();
    const opt = new AdamW(q.vars);
    expect([opt.beta1, opt.beta2, opt.eps, opt.weightDecay, opt.clipNorm]).toEqual([0.9, 0.999, 1e-8, 0.01, 1.0]);
    opt.dispose();
  });

  it('weight decay is decoupled and only where decay = true', () => {
    // At the optimum the gradient is 0: the weight only shrinks by (1 - lr wd) per step, the bias stays.
    const w = tf.variable(tf.tensor1d([2, -4]), true, 'wd/weight');
    const b = tf.variable(tf.tensor1d([3, 5]), true, 'wd/bias');
    const opt = new AdamW([{ name: 'w', variable: w, decay: true }, { name: 'b', variable: b, decay: false }], { weightDecay: 0.5 });
    const zero = { [w.name]: tf.zeros([2]), [b.name]: tf.zeros([2]) };
    for (let k = 0; k < 3; k++) opt.step(zero, 0.1).dispose();
    expectNear(w.dataSync(), [2 * 0.95 ** 3, -4 * 0.95 ** 3], 1e-6, 0, 'weight');
    expect(Array.from(b.dataSync())).toEqual([3, 5]);
    tf.dispose(Object.values(zero));
    opt.dispose();
  });

  it('ignores gradients of other variables and leaves a variable without a gradient as it is', () => {
    const q = quadratic();
    const other = tf.variable(tf.tensor1d([1, 1]), true, 'other/teacher');
    const opt = new AdamW(q.vars, { clipNorm: null });
    const grads = { [q.vars[0].variable.name]: tf.ones([2, 2]), [other.name]: tf.fill([2], 100) };
    const norm = opt.step(grads, 0.1);
    expect(norm.dataSync()[0]).toBeCloseTo(2, 6); // only this optimiser's gradients count
    expect(Array.from(q.vars[1].variable.dataSync())).toEqual(Array.from(Float32Array.from(B0)));
    expect(Array.from(other.dataSync())).toEqual([1, 1]);
    // First Adam step: -lr * g / (|g| + eps) (1 - lr wd) aside.
    expectNear(q.vars[0].variable.dataSync(), W0.map((x) => x * (1 - 0.1 * 0.01) - 0.1), 1e-6, 1e-7, 'weight');
    tf.dispose([norm, ...Object.values(grads)]);
    opt.dispose();
  });

  it('refuses bad options and bad learning rates', () => {
    const q = quadratic();
    expect(() => new AdamW(q.vars, { beta1: 1 })).toThrow(ConfigError);
    expect(() => new AdamW(q.vars, { eps: 0 })).toThrow(ConfigError);
    expect(() => new AdamW(q.vars, { weightDecay: -1 })).toThrow(ConfigError);
    expect(() => new AdamW(q.vars, { clipNorm: 0 })).toThrow(ConfigError);
    expect(() => new AdamW([...q.vars, q.vars[0]])).toThrow(/appears twice/);
    const opt = new AdamW(q.vars);
    expect(() => opt.step({}, Number.NaN)).toThrow(ConfigError);
    opt.dispose();
  });
});

describe('global-norm clipping', () => {
  it('scales by max_norm / norm when norm > max_norm, and returns the norm before clipping', () => {
    tf.tidy(() => {
      const g = [tf.tensor1d([3, 0]), tf.tensor2d([[0, 4]])]; // global norm 5
      expect(globalNorm(g).dataSync()[0]).toBeCloseTo(5, 6);
      const big = clipByGlobalNorm(g, 1);
      expect(big.norm.dataSync()[0]).toBeCloseTo(5, 6);
      const s = 1 / (5 + 1e-6); // torch: max_norm / (norm + 1e-6)
      expectNear(big.grads[0].dataSync(), [3 * s, 0], 1e-6, 0, 'g0');
      expectNear(big.grads[1].dataSync(), [0, 4 * s], 1e-6, 0, 'g1');
      expect(globalNorm(big.grads).dataSync()[0]).toBeCloseTo(1, 5);
      const small = clipByGlobalNorm(g, 10);
      expect(Array.from(small.grads[0].dataSync())).toEqual([3, 0]);
      expect(Array.from(small.grads[1].dataSync())).toEqual([0, 4]);
      const off = clipByGlobalNorm(g, null);
      expect(Array.from(off.grads[1].dataSync())).toEqual([0, 4]);
      expect(globalNorm([]).dataSync()[0]).toBe(0);
    });
  });

  it('AdamW.step clips inside the update: equals an unclipped run fed pre-clipped gradients', () => {
    // Two steps with gradients g then 3g; clipped at 1 both have norm 1 after clipping, so the
    // result equals an unclipped run fed g/|g| and 3g/|3g|.
    const mk = (tag: string) => tf.variable(tf.tensor1d([1, 2, 3]), true, `clip/${tag}`);
    const a = mk('a');
    const b = mk('b');
    const oa = new AdamW([{ name: 'x', variable: a, decay: false }], { clipNorm: 1 });
    const ob = new AdamW([{ name: 'x', variable: b, decay: false }], { clipNorm: null });
    const g = [2, -1, 2]; // norm 3
    const steps: [number[], number][] = [[g, 3], [g.map((x) => 3 * x), 9]];
    for (const [gs, n] of steps) {
      const ga = { [a.name]: tf.tensor1d(gs) };
      const gb = { [b.name]: tf.tensor1d(gs.map((x) => x / (n + 1e-6))) };
      const na = oa.step(ga, 0.1);
      expect(na.dataSync()[0]).toBeCloseTo(n, 5);
      ob.step(gb, 0.1).dispose();
      tf.dispose([na, ...Object.values(ga), ...Object.values(gb)]);
    }
    expectNear(a.dataSync(), Array.from(b.dataSync()), 1e-6, 1e-7, 'clipped vs pre-scaled');
    oa.dispose();
    ob.dispose();
  });
});

describe('state', () => {
  it('getState / setState: a restored optimiser continues identically', async () => {
    const lr = linearSchedule({ peakLr: 0.05, warmupSteps: 2, totalSteps: 10 });
    const qa = quadratic();
    const oa = new AdamW(qa.vars, { weightDecay: 0.1, clipNorm: 0.5 });
    for (let s = 0; s < 4; s++) trainStep(oa, qa, lr(s));
    const state = await oa.getState();
    const weights = qa.vars.map((v) => Float32Array.from(v.variable.dataSync()));
    expect(state.step).toBe(4);
    expect([...state.moments.keys()].sort()).toEqual(['m/dense.bias', 'm/dense.weight', 'v/dense.bias', 'v/dense.weight']);
    expect(state.moments.get('m/dense.weight')!.shape).toEqual([2, 2]);
    expect(state.moments.get('v/dense.bias')!.data).toBeInstanceOf(Float32Array);
    // Through plain arrays and back, as a checkpoint would carry it.
    const carried = {
      step: JSON.parse(JSON.stringify(state.step)) as number,
      moments: new Map([...state.moments].map(([k, e]) => [k, { shape: [...e.shape], data: Float32Array.from(Array.from(e.data)) }])),
    };
    for (let s = 4; s < 10; s++) trainStep(oa, qa, lr(s));

    const qb = quadratic();
    qb.vars.forEach((v, i) => v.variable.assign(tf.tensor(weights[i], v.variable.shape)));
    const ob = new AdamW(qb.vars, { weightDecay: 0.1, clipNorm: 0.5 });
    ob.setState(carried);
    expect(ob.stepCount).toBe(4);
    for (let s = 4; s < 10; s++) trainStep(ob, qb, lr(s));
    for (let i = 0; i < 2; i++) expect(Array.from(qb.vars[i].variable.dataSync())).toEqual(Array.from(qa.vars[i].variable.dataSync()));
    // The state read earlier was a copy: later steps did not change it.
    expect(Array.from(state.moments.get('m/dense.weight')!.data)).toEqual(Array.from(carried.moments.get('m/dense.weight')!.data));
    oa.dispose();
    ob.dispose();
  });

  it('setState refuses a state that does not fit, listing every problem, and changes nothing', async () => {
    const q = quadratic();
    const opt = new AdamW(q.vars);
    trainStep(opt, q, 0.01);
    const good = await opt.getState();
    const bad = { step: 1, moments: new Map(good.moments) };
    bad.moments.delete('v/dense.bias');
    bad.moments.set('m/dense.weight', { shape: [4], data: new Float32Array(4) });
    bad.moments.set('m/pooler.dense.weight', { shape: [1], data: new Float32Array(1) });
    let err: unknown;
    try {
      opt.setState(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CheckpointError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/missing v\/dense\.bias/);
    expect(msg).toMatch(/m\/dense\.weight has shape \[4\]/);
    expect(msg).toMatch(/unexpected m\/pooler\.dense\.weight/);
    expect(() => opt.setState({ step: -1, moments: good.moments })).toThrow(CheckpointError);
    const after = await opt.getState();
    expect(Array.from(after.moments.get('m/dense.weight')!.data)).toEqual(Array.from(good.moments.get('m/dense.weight')!.data));
    expect(after.step).toBe(1);
    opt.dispose();
  });
});

describe('accumulation and lossAndGrads', () => {
  it('sums (or averages) gradients over micro-batches', () => {
    const x = tf.variable(tf.tensor1d([1, 2]), true, 'acc/x');
    const acc = new GradientAccumulator();
    const micro = [tf.tensor1d([3, -1]), tf.tensor1d([1, 5])];
    for (const c of micro) {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(x, c)), [x]); // grad = c
      acc.add(grads);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(acc.count).toBe(2);
    const mean = acc.flush();
    expect(Array.from(mean[x.name].dataSync())).toEqual([2, 2]);
    expect(acc.count).toBe(0);
    acc.add({ [x.name]: micro[0] });
    acc.add({ [x.name]: micro[1] });
    const sum = acc.flush('sum');
    expect(Array.from(sum[x.name].dataSync())).toEqual([4, 4]);
    tf.dispose([...micro, mean[x.name], sum[x.name]]);
    acc.dispose();
  });

  it('lossAndGrads keeps every returned term alive', () => {
    const x = tf.variable(tf.tensor1d([1, 2]), true, 'lag/x');
    const before = tf.memory().numTensors;
    const { out, grads } = lossAndGrads(() => {
      const a = tf.sum(tf.square(x)) as tf.Scalar;
      const b = tf.sum(x) as tf.Scalar;
      return { total: tf.add(a, b) as tf.Scalar, terms: { a, b } };
    }, [x]);
    expect(out.terms.a.dataSync()[0]).toBe(5);
    expect(out.terms.b.dataSync()[0]).toBe(3);
    expect(out.total.dataSync()[0]).toBe(8);
    expect(Array.from(grads[x.name].dataSync())).toEqual([3, 5]);
    tf.dispose([out.total, out.terms.a, out.terms.b, grads[x.name]]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('memory', () => {
  it('no tensor leaks over 200 steps (accumulation, clipping, schedule)', () => {
    const q = quadratic();
    const opt = new AdamW(q.vars, { weightDecay: 0.01, clipNorm: 1 });
    const acc = new GradientAccumulator();
    const lr = linearSchedule({ peakLr: 1e-2, warmupSteps: 20, totalSteps: 200 });
    let at10 = -1;
    for (let s = 0; s < 200; s++) {
      for (let micro = 0; micro < 2; micro++) {
        const { out, grads } = lossAndGrads(() => ({ total: q.loss() }), q.vars.map((v) => v.variable));
        acc.add(grads);
        tf.dispose([out.total, ...Object.values(grads)]);
      }
      const grads = acc.flush();
      const norm = opt.step(grads, lr(s));
      tf.dispose([norm, ...Object.values(grads)]);
      if (s === 9) at10 = tf.memory().numTensors;
    }
    expect(tf.memory().numTensors).toBe(at10);
    opt.dispose();
  });
});

describe('schedule', () => {
  const o = { peakLr: 1e-3, warmupSteps: 10, totalSteps: 100 };
  it('linear warm-up to the peak, then linear decay to 0 (get_linear_schedule_with_warmup)', () => {
    expect(linearWarmupLr(0, o)).toBe(0);
    expect(linearWarmupLr(5, o)).toBeCloseTo(5e-4, 15);
    expect(linearWarmupLr(9, o)).toBeCloseTo(9e-4, 15);
    expect(linearWarmupLr(10, o)).toBe(1e-3); // warm-up end: the peak
    expect(linearWarmupLr(55, o)).toBeCloseTo(5e-4, 15);
    expect(linearWarmupLr(99, o)).toBeCloseTo(1e-3 / 90, 15);
    expect(linearWarmupLr(100, o)).toBe(0); // decay end
    expect(linearWarmupLr(150, o)).toBe(0);
    const f = linearSchedule(o);
    for (const s of [0, 3, 10, 42, 100, 120]) expect(f(s)).toBe(linearWarmupLr(s, o));
    // No warm-up: the first step runs at the peak.
    expect(linearWarmupLr(0, { ...o, warmupSteps: 0 })).toBe(1e-3);
    expect(linearWarmupFactor(50, 0, 100)).toBe(0.5);
    // Warm-up over the whole run: reaches the peak only at the end, then 0.
    expect(linearWarmupLr(99, { ...o, warmupSteps: 100 })).toBeCloseTo(0.99e-3, 15);
    expect(linearWarmupLr(100, { ...o, warmupSteps: 100 })).toBe(0);
  });

  it('warm-up steps from a fraction (int(ratio * max_steps)) and validation', () => {
    expect(warmupStepsFor(300, 0.1)).toBe(30);
    expect(warmupStepsFor(25, 0.1)).toBe(2);
    expect(warmupStepsFor(100, 0)).toBe(0);
    expect(() => warmupStepsFor(100, 1.5)).toThrow(ConfigError);
    expect(() => linearSchedule({ ...o, warmupSteps: 101 })).toThrow(ConfigError);
    expect(() => linearSchedule({ ...o, totalSteps: 0 })).toThrow(ConfigError);
    expect(() => linearSchedule({ ...o, peakLr: -1 })).toThrow(ConfigError);
    expect(() => linearWarmupLr(-1, o)).toThrow();
  });
});
