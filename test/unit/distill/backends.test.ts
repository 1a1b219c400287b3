// The losses, their gradients and an AdamW step give the same numbers on the wasm backend as
// on cpu: every kernel they use (and its gradient) exists there. (webgl and webgpu run in the
// browser tests; these functions use no op beyond the ones checked here.)
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ceGroupScores, cutToGroups, inBatchScores, l2Normalize, leadLoss, maxSimScores, prodLoss } from '../../../src/core/distill/losses';
import { AdamW, lossAndGrads } from '../../../src/core/train/optimizer';
import { loadLossesGolden } from './golden';

const { inputs: I } = loadLossesGolden();
const G = I.G;

/** Runs LEAD (DE and CB teachers, joint) and PROD (CE teacher) with gradients and one AdamW step; all numbers out. */
function run(): number[] {
  const tag = tf.getBackend();
  const v = (x: number[][], name: string) => tf.variable(tf.tensor2d(x), true, `${tag}/${name}`);
  const sq = I.student_query_cls.map((x, l) => v(x, `sq${l}`));
  const sp = I.student_passage_cls.map((x, l) => v(x, `sp${l}`));
  const tq = I.teacher_de_query_cls.map((x, l) => v(x, `tq${l}`));
  const tp = I.teacher_de_passage_cls.map((x, l) => v(x, `tp${l}`));
  const vars = [...sq, ...sp, ...tq, ...tp];
  const S = (l: number) => inBatchScores(sq[l] as tf.Tensor2D, sp[l] as tf.Tensor2D);
  const T = (l: number) => inBatchScores(tq[l] as tf.Tensor2D, tp[l] as tf.Tensor2D);
  const opts = { tau: 2, layerTemperature: 10, reweight: true, wLayer: 1, wStudent: 1, wResponse: 1, wTeacher: 1, joint: true };
  const { out, grads } = lossAndGrads(() => {
    const lead = leadLoss({ final: S(2), layers: [S(0), S(2)] }, { final: T(4), layers: [T(1), T(4)] }, G, opts);
    const cb = tf.tidy(() => {
      const q = tf.tensor3d(I.teacher_cb_query_tokens[4]);
      const p = tf.tensor3d(I.teacher_cb_passage_tokens[4]);
      return maxSimScores(l2Normalize(q), tf.tensor2d(I.query_mask), l2Normalize(p), tf.tensor2d(I.passage_mask));
    });
    const leadCb = leadLoss({ final: S(2), layers: [] }, { final: cb, layers: [] }, G, { ...opts, joint: false });
    const ce = ceGroupScores(tf.tensor2d(I.teacher_ce_pair_cls[4]), tf.tensor1d(I.teacher_ce_head_w), I.teacher_ce_head_b, G);
    const prod = prodLoss(S(2), ce, cutToGroups(S(1), G), G, { temperature: 4, wCe: 0.1, wKd: 0.9, wLwf: 1 });
    return { total: tf.addN([lead.total, leadCb.total, prod.total]) as tf.Scalar, lead: lead.total, cb: leadCb.total, prod: prod.total };
  }, vars);
  const numbers = [out.total, out.lead, out.cb, out.prod].map((t) => t.dataSync()[0]);
  // Variables off every gradient path (unselected layers, the frozen LwF copy) have none: -1 marks them.
  for (const x of vars) numbers.push(...(grads[x.name] ? grads[x.name].dataSync() : [-1]));
  const opt = new AdamW(vars.map((x, i) => ({ name: `v${i}`, variable: x, decay: i % 2 === 0 })), { weightDecay: 0.1 });
  const norm = opt.step(grads, 0.01);
  numbers.push(norm.dataSync()[0]);
  for (const x of vars) numbers.push(...x.dataSync());
  tf.dispose([out as unknown as tf.TensorContainer, grads as tf.TensorContainer, norm]);
  opt.dispose();
  vars.forEach((x) => x.dispose());
  return numbers;
}

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('backends', () => {
  it('wasm agrees with cpu (losses, gradients, one AdamW step)', async () => {
    await tf.setBackend('cpu');
    const cpu = run();
    await import('@tensorflow/tfjs-backend-wasm');
    expect(await tf.setBackend('wasm')).toBe(true);
    const wasm = run();
    expect(wasm.length).toBe(cpu.length);
    let worst = 0;
    for (let i = 0; i < cpu.length; i++) worst = Math.max(worst, Math.abs(wasm[i] - cpu[i]) / (1e-3 + Math.abs(cpu[i])));
    expect(worst).toBeLessThan(1e-4);
  });
});
