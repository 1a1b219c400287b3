// Test page: the golden checks of test/golden on a browser backend (WebGPU in the tests).
// The test reads the golden files in Node and hands them in; this page computes with the lab's
// own code on the chosen backend and returns the largest deviations.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { importHuggingFace } from '../../../src/core/model';
import {
  ceGroupScores, inBatchScores, leadLoss, nllLoss, prodLoss, responseKdLead, leadLayerLoss,
} from '../../../src/core/distill/losses';

type M = number[][];

function maxRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1e-2);
    worst = Math.max(worst, Number.isNaN(d) ? Infinity : d);
  }
  return worst;
}

async function runModelGolden(backend: string, files: { configJson: string; vocabTxt: string; safetensors: number[] }, ex: Record<string, unknown>) {
  await tf.setBackend(backend);
  await tf.ready();
  const model = importHuggingFace({ configJson: files.configJson, vocabTxt: files.vocabTxt, safetensors: new Uint8Array(files.safetensors).buffer });
  const ids = ex.input_ids as M;
  const mask = ex.attention_mask as M;
  const batch = {
    n: ids.length,
    t: ids[0].length,
    ids: Int32Array.from(ids.flat()),
    typeIds: Int32Array.from((ex.token_type_ids as M).flat()),
    mask: Float32Array.from(mask.flat()),
    lengths: Int32Array.from(mask.map((r) => r.reduce((a, b) => a + b, 0))),
  };
  const out = model.hiddenStates(batch);
  const states = (await Promise.all([out.embeddings, ...out.hidden].map((h) => h.array()))) as number[][][][];
  const want = ex.hidden_states as number[][][][];
  let worst = 0;
  for (let l = 0; l < states.length; l++)
    for (let b = 0; b < batch.n; b++)
      for (let t = 0; t < batch.t; t++) {
        if (mask[b][t] !== 1) continue;
        for (let h = 0; h < states[l][b][t].length; h++) worst = Math.max(worst, Math.abs(states[l][b][t][h] - want[l][b][t][h]));
      }
  const H = model.config.hidden;
  const cls = tf.tidy(() => tf.slice(out.hidden[model.config.layers - 1], [0, 0, 0], [batch.n, 1, H]).reshape([batch.n, H]) as tf.Tensor2D);
  const logits = (await model.ceHead(cls).array()) as number[];
  const wantLogits = (ex.classifier_logits as M).map((r) => r[0]);
  const logitErr = Math.max(...logits.map((v, i) => Math.abs(v - wantLogits[i])));
  tf.dispose([out.embeddings, ...out.hidden, cls]);
  model.dispose();
  return { backend: tf.getBackend(), layers: states.length, hiddenMaxAbs: worst, logitMaxAbs: logitErr };
}

async function runLossGolden(backend: string, golden: { inputs: Record<string, unknown>; expected: Record<string, unknown> }) {
  await tf.setBackend(backend);
  await tf.ready();
  const I = golden.inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const E = golden.expected as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const G = I.G as number;
  const errors: Record<string, number> = {};
  const check = async (name: string, t: tf.Tensor, want: number | number[] | M) => {
    const got = await t.data();
    errors[name] = maxRel(got, ([want] as unknown[]).flat(3) as number[]);
  };
  const studentAt = (l: number) => inBatchScores(tf.tensor2d(I.student_query_cls[l]), tf.tensor2d(I.student_passage_cls[l]));
  const deAt = (l: number) => inBatchScores(tf.tensor2d(I.teacher_de_query_cls[l]), tf.tensor2d(I.teacher_de_passage_cls[l]));
  const ceAt = (l: number) => ceGroupScores(tf.tensor2d(I.teacher_ce_pair_cls[l]), tf.tensor1d(I.teacher_ce_head_w), I.teacher_ce_head_b, G);
  const sFinal = studentAt(I.student_layers - 1);
  const sSel = (I.selected_student_layers as number[]).map(studentAt);
  await check('student_scores_final', sFinal, E.student_scores_final);
  await check('nll_student_inbatch', nllLoss(sFinal, G), E.nll_student_inbatch);
  const opts = { tau: I.tau, layerTemperature: I.layer_temperature, reweight: true, wLayer: 1, wStudent: 1, wResponse: 1, wTeacher: 1, joint: false };
  for (const [kind, at] of [['de', deAt], ['ce', ceAt]] as const) {
    const ex = E[`lead_${kind}`];
    const t = { final: at(I.teacher_layers - 1), layers: (I.selected_teacher_layers as number[]).map(at) };
    await check(`lead_${kind}.response_loss`, responseKdLead(t.final, sFinal, I.tau, G), ex.response_loss);
    const layer = leadLayerLoss(sSel, t.layers, G, opts);
    await check(`lead_${kind}.layer_kl`, layer.kl, ex.layer_kl);
    await check(`lead_${kind}.layer_weights`, layer.weights, ex.layer_weights);
    await check(`lead_${kind}.student_total`, leadLoss({ final: sFinal, layers: sSel }, t, G, opts).studentTotal, ex.student_total);
  }
  const ex = E.prod_ce_lwf;
  const prev = inBatchScores(tf.tensor2d(I.prev_student_query), tf.tensor2d(I.prev_student_passage));
  const prod = prodLoss(sFinal, ceAt(I.teacher_layers - 1), prev, G, { temperature: ex.T, wCe: ex.w_ce, wKd: ex.w_kd, wLwf: ex.w_lwf });
  await check('prod_ce_lwf.kd', prod.terms.kd, ex.kd);
  await check('prod_ce_lwf.lwf', prod.terms.lwf!, ex.lwf);
  await check('prod_ce_lwf.total', prod.total, ex.total);
  return { backend: tf.getBackend(), errors };
}

Object.assign(window, { runModelGolden, runLossGolden, goldenReady: true });
