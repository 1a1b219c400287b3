// Training health (src/core/train/health.ts): each rule on synthetic series, firing at the
// step it should and not on a healthy series; then the trainer acting on it with tiny models
// (wasm backend, as trainer.test.ts: exact and deterministic, much faster than cpu): a huge
// learning rate caught and rolled back at half the rate, a zeroed (collapsed) encoder named,
// a healthy short run left alone.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from '../../../src/core/backend/wasmKernels';
import { generateWorld } from '../../../src/core/data/world';
import { RetrievalModel } from '../../../src/core/model/retriever';
import { trainHashedWord } from '../../../src/core/text/tokenizerHashed';
import { BatchSampler, buildExamples, docText } from '../../../src/core/train/examples';
import { meanPairwiseCosine, PhaseTrainer } from '../../../src/core/train/trainer';
import { validateTrainSettings, type TrainSettings } from '../../../src/core/distill/recipes';
import { NonFiniteLossError } from '../../../src/core/errors';
import { HEALTH_RULES, HealthMonitor, summarizeHealth, type HealthObservation } from '../../../src/core/train/health';
import type { HealthEvent, StepEvent, TrainEvent } from '../../../src/core/train/events';
import type { Corpus } from '../../../src/core/data/types';
import type { Tokenizer } from '../../../src/core/text/tokenizerBase';

const LN64 = Math.log(64);

/** Feeds a monitor one observation per logged step; returns the findings with their steps. */
function feed(obs: HealthObservation[]) {
  const m = new HealthMonitor();
  return obs.flatMap((o) => m.observe(o));
}

/** Steps 1..total (every `every`), with loss/nll/cosine from functions of the step. */
function series(total: number, f: (step: number) => { loss: number; nll?: number; cos?: number }, opts: { warmup?: number; every?: number; N?: number } = {}) {
  const out: HealthObservation[] = [];
  for (let step = opts.every ?? 1; step <= total; step += opts.every ?? 1) {
    const v = f(step);
    out.push({ step, loss: v.loss, nll: v.nll ?? v.loss, candidates: opts.N ?? 64, warmupSteps: opts.warmup ?? 0, totalSteps: total, meanCosine: v.cos });
  }
  return out;
}

/** A healthy curve: from ln 64 down towards 0.5, with deterministic +-10% wiggle. */
const healthy = (step: number) => {
  const loss = (0.5 + (LN64 - 0.5) * Math.exp(-step / 80)) * (1 + 0.1 * Math.sin(step * 1.7));
  return { loss, cos: 0.6 };
};

describe('health rules on synthetic series', () => {
  it('a healthy decreasing series raises nothing', () => {
    expect(feed(series(400, healthy, { warmup: 40 }))).toEqual([]);
    expect(feed(series(400, healthy, { warmup: 40, every: 10 }))).toEqual([]);
  });

  it('collapse: NLL within 2% of ln N for 25 consecutive logged steps after warm-up, once', () => {
    // Flat at ln 64 from the start: warm-up ends at step 20, the 25th logged step after it is 45.
    const f = feed(series(400, () => ({ loss: LN64 * 1.01 }), { warmup: 20 }));
    const c = f.filter((x) => x.kind === 'collapse');
    expect(c.map((x) => x.step)).toEqual([45]);
    expect(c[0].numbers.lnN).toBeCloseTo(LN64, 10);
    expect(c[0].explanation).toMatch(/blind guess/);
    // 3% off ln N is not flat; 24 flat logged steps then one off is not a collapse either.
    expect(feed(series(400, () => ({ loss: LN64 * 1.03 }), { warmup: 20 })).filter((x) => x.kind === 'collapse')).toEqual([]);
    const broken = series(400, (s) => ({ loss: s === 45 ? 2 : LN64, nll: s === 45 ? 2 : LN64 }), { warmup: 20 }).slice(0, 80);
    expect(feed(broken).filter((x) => x.kind === 'collapse').map((x) => x.step)).toEqual([70]); // 46..70
  });

  it('collapse: a collapse after learning says so (it had learned, and lost it)', () => {
    const f = feed(series(400, (s) => ({ loss: s < 100 ? 1 : LN64 }), { warmup: 10 }));
    const c = f.find((x) => x.kind === 'collapse')!;
    expect(c.step).toBe(124);
    expect(c.explanation).toMatch(/had learned something and lost it/);
  });

  it('collapse: mean pairwise cosine above 0.99 at 3 consecutive logged steps after warm-up', () => {
    const f = feed(series(400, (s) => ({ ...healthy(s), cos: 0.995 }), { warmup: 40, every: 10 }));
    // Logged steps after warm-up: 50, 60, 70 -> fires at 70 (not during warm-up, where a fresh encoder sits).
    expect(f.filter((x) => x.kind === 'collapse').map((x) => x.step)).toEqual([70]);
    expect(f.find((x) => x.kind === 'collapse')!.numbers.meanCosine).toBe(0.995);
    expect(feed(series(400, (s) => ({ ...healthy(s), cos: 0.985 }), { warmup: 40, every: 10 }))).toEqual([]);
  });

  it('divergence: a non-finite loss, or one over 5x the running median (floored at ln N / 10)', () => {
    const spike = (at: number, value: number) => (s: number) => (s === at ? { loss: value } : { loss: 2 + 0.1 * Math.sin(s) });
    const d = (f: (s: number) => { loss: number }) => feed(series(100, f)).filter((x) => x.kind === 'divergence');
    expect(d(spike(40, 10.5)).map((x) => x.step)).toEqual([40]);
    expect(d(spike(40, 10.5))[0].numbers.median).toBeCloseTo(2, 1);
    expect(d(spike(40, 9))).toEqual([]); // under 5x
    expect(d(spike(7, NaN)).map((x) => x.step)).toEqual([7]);
    expect(d(spike(3, Infinity)).map((x) => x.step)).toEqual([3]); // non-finite needs no history
    expect(d(spike(3, 100))).toEqual([]); // ... a big finite one does (5 logged losses first)
    // A run at near-zero loss: the median 0.01 is floored at ln(64)/10 = 0.416, so 5x is 2.08.
    const low = (at: number, v: number) => (s: number) => ({ loss: s === at ? v : 0.01 });
    expect(d(low(50, 1.5))).toEqual([]);
    expect(d(low(50, 2.5)).map((x) => x.step)).toEqual([50]);
  });

  it('stall: no 1% improvement of the smoothed loss over 20% of the run, counted from the end of warm-up', () => {
    // Constant after warm-up (step 10): the best is set at 11, 20% of 200 = 40 steps later is 51.
    const flat = feed(series(200, () => ({ loss: 1.5 }), { warmup: 10 }));
    expect(flat.filter((x) => x.kind === 'stall').map((x) => x.step)).toEqual([51]);
    expect(flat.find((x) => x.kind === 'stall')!.numbers.steps).toBe(40);
    // Improving until step 100, flat afterwards: one stall, after 100 + 40 and before the end.
    const bend = feed(series(400, (s) => ({ loss: 1 + Math.max(0, 100 - s) / 50 })));
    const st = bend.filter((x) => x.kind === 'stall');
    expect(st).toHaveLength(1);
    expect(st[0].step).toBeGreaterThan(180);
    expect(st[0].step).toBeLessThan(400);
  });

  it('rewind forgets the logged steps after the restored one', () => {
    const m = new HealthMonitor();
    const obs = series(400, () => ({ loss: LN64 }), { warmup: 0 });
    for (const o of obs.slice(0, 20)) expect(m.observe(o)).toEqual([]);
    m.rewind(10); // steps 11..20 are replayed: the flat run counts 10 + 15 = 25 at step 25
    const found = obs.slice(10, 30).flatMap((o) => m.observe(o));
    expect(found.filter((x) => x.kind === 'collapse').map((x) => x.step)).toEqual([25]);
  });

  it('summarizeHealth counts recoveries and flags each kind', () => {
    const s = summarizeHealth([
      { phase: 'p', kind: 'divergence', step: 5, title: '', explanation: '', numbers: {} },
      { phase: 'p', kind: 'recovery', step: 5, title: '', explanation: '', numbers: {} },
      { phase: 'p', kind: 'stall', step: 9, title: '', explanation: '', numbers: {} },
    ]);
    expect(s).toMatchObject({ recovered: 1, diverged: true, stalled: true, collapsed: false });
    expect(s.events).toHaveLength(3);
  });
});

let corpus: Corpus;
let tok: Tokenizer;

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
  corpus = generateWorld({ preset: 'easy', seed: 3, entities: 60, train: 80, dev: 10, test: 10 });
  tok = trainHashedWord([...corpus.docs.map(docText), ...corpus.queries.map((q) => q.text)], 300);
});

const tiny = (hidden = 16, kind: 'de' | 'cb' = 'de') =>
  RetrievalModel.create(
    { kind, layers: 1, hidden, heads: 2, ffn: 2 * hidden, vocabSize: tok.vocabSize, maxQueryLen: 16, maxPassageLen: 32, maxPositions: 64, initSeed: 1, dropout: { hidden: 0, attention: 0 } },
    tok,
  );

async function train(model: RetrievalModel, over: Partial<TrainSettings>, batch = 4) {
  const settings = validateTrainSettings({ steps: 30, batchSize: batch, negatives: 1, lr: 1e-3, warmupFraction: 0.1, logEvery: 1, checkpointEvery: 0, ...over });
  const sampler = new BatchSampler(corpus, buildExamples(corpus), new Map(), batch, 2, 7);
  const t = new PhaseTrainer({ id: 'p', title: 'test phase', mode: { kind: 'contrastive' }, settings, student: model, sampler, seed: 11 });
  const events: TrainEvent[] = [];
  const error = await t.run({ onEvent: (e) => events.push(e) }).then(() => null, (e: unknown) => e);
  t.dispose();
  model.dispose();
  return {
    events,
    error,
    steps: events.filter((e): e is StepEvent => e.type === 'step'),
    health: events.filter((e): e is HealthEvent => e.type === 'health'),
  };
}

describe('the trainer acts on health', () => {
  it('meanPairwiseCosine: mean over ordered pairs i != j', () => {
    const x = tf.tensor2d([[1, 0], [2, 0], [0, 3]]); // cos: (0,1) = 1, (0,2) = (1,2) = 0
    const c = meanPairwiseCosine(x);
    expect(c.dataSync()[0]).toBeCloseTo(2 / 6, 6);
    tf.dispose([x, c]);
  });

  it('a huge learning rate: each divergence goes back to the same healthy state at half the rate, 3 times, then NonFiniteLossError', async () => {
    // lr 1e30 blows the weights up at once; halving it three times cannot save it.
    const r = await train(tiny(), { lr: 1e30, clipNorm: 1e30, warmupFraction: 0, steps: 20 });
    expect(r.error).toBeInstanceOf(NonFiniteLossError);
    expect((r.error as Error).message).toMatch(/after 3 restarts/);
    const rec = r.health.filter((e) => e.kind === 'recovery');
    expect(rec.map((e) => e.numbers.attempt)).toEqual([1, 2, 3]);
    expect(rec.map((e) => e.numbers.lrScale)).toEqual([0.5, 0.25, 0.125]);
    expect(r.health.filter((e) => e.kind === 'divergence')).toHaveLength(HEALTH_RULES.maxRecoveries + 1);
    expect(r.health.at(-1)!.explanation).toMatch(/stops/);
    // Every restart replays the step after the restored one: the same loss (the same weights
    // and batch: a real restore) at half the previous learning rate.
    const to = rec[0].numbers.restoredTo;
    expect(rec.every((e) => e.numbers.restoredTo === to)).toBe(true);
    const replays = r.steps.filter((s) => s.step === to + 1);
    expect(replays).toHaveLength(4);
    expect(new Set(replays.map((s) => s.losses.total)).size).toBe(1);
    expect(replays.map((s) => s.lr / replays[0].lr)).toEqual([1, 0.5, 0.25, 0.125]);
  });

  it('a blow-up that half the learning rate cures: caught, restored, and the run finishes', async () => {
    // lr 30 on the tiny model: the loss leaps past 5x its median at step 8; at 15 it settles.
    const r = await train(tiny(), { lr: 30 });
    expect(r.error).toBeNull();
    const div = r.health.filter((e) => e.kind === 'divergence');
    const rec = r.health.filter((e) => e.kind === 'recovery');
    expect(div.length).toBeGreaterThanOrEqual(1);
    expect(rec).toHaveLength(div.length);
    expect(div[0].numbers.loss).toBeGreaterThan(5 * div[0].numbers.median);
    expect(rec[0].numbers.lrScale).toBe(0.5);
    expect(rec[0].numbers.restoredTo).toBeLessThan(div[0].step);
    // After the restore the steps run at half the scheduled rate, and the run reaches its end.
    const after = r.steps.filter((s) => r.events.indexOf(s) > r.events.indexOf(rec[0]));
    const before = r.steps.find((s) => s.step === after[0].step)!;
    expect(after[0].lr).toBeCloseTo(before.lr / 2, 12);
    expect(r.steps.at(-1)!.step).toBe(30);
  });

  it('a collapsed encoder (all weights zero: every score equal) is named after 25 flat logged steps', async () => {
    const m = tiny();
    for (const v of m.variables()) v.variable.assign(tf.zerosLike(v.variable));
    const r = await train(m, { steps: 40, warmupFraction: 0.1 });
    expect(r.error).toBeNull();
    // Warm-up: floor(0.1 * 40) = 4 steps. Flat from step 5: the 25th flat logged step is 29; the
    // loss cannot improve either, so a stall is named 20% of the run (8 steps) after step 5.
    expect(r.health.map((e) => [e.kind, e.step])).toEqual([['stall', 13], ['collapse', 29]]);
    const c = r.health.find((e) => e.kind === 'collapse')!;
    expect(c.numbers.nll).toBeCloseTo(Math.log(8), 5); // B = 4 queries x G = 2 passages in-batch
    expect(c.numbers.meanCosine).toBe(0); // zero vectors: no direction at all
  });

  it('a collapsed encoder whose embeddings are all one vector is named by the cosine rule', async () => {
    const m = tiny();
    // Zero weights and LayerNorm bias 1: every LayerNorm outputs its bias, so every text
    // embeds to the same all-ones vector; the loss cannot move it (all scores stay equal).
    for (const v of m.variables()) v.variable.assign(v.name.includes('LayerNorm.bias') ? tf.onesLike(v.variable) : tf.zerosLike(v.variable));
    const r = await train(m, { steps: 20, warmupFraction: 0.1 });
    const c = r.health.filter((e) => e.kind === 'collapse');
    expect(c.map((e) => e.step)).toEqual([2 + 3]); // the third logged step after a 2-step warm-up
    expect(c[0].numbers.meanCosine).toBeGreaterThan(0.99);
    expect(c[0].explanation).toMatch(/point the same way/);
  });

  it('a healthy short run raises nothing', async () => {
    const r = await train(tiny(32), { steps: 60, lr: 0.01, logEvery: 2 }, 8);
    expect(r.error).toBeNull();
    expect(r.steps.at(-1)!.losses.total).toBeLessThan(r.steps[0].losses.total * 0.8); // it learned
    expect(r.health).toEqual([]);
  });
});
