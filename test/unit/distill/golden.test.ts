// Every case of test/golden/losses.json (except section 6's retrieval metrics, tested with
// the evaluation code) against the float32 implementation, to 1e-4 relative: on the cpu backend
// (tfjs's composite ops) and on wasm (the lab's fused kernels: src/core/kernels/wasm.ts).
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../../src/core/backend/wasmKernels';
import { fusedKernelsActive } from '../../../src/core/kernels';
import { selectDataProgressive } from '../../../src/core/distill/layers';
import {
  ceGroupScores,
  cutToGroups,
  inBatchScores,
  kdLoss,
  l2Normalize,
  leadLayerLoss,
  leadLoss,
  maxSimScores,
  nllLoss,
  positiveIndices,
  prodLoss,
  responseKdLead,
  responseKdProd,
  type LeadLossOptions,
  type ScoreSet,
} from '../../../src/core/distill/losses';
import { expectClose, loadLossesGolden, type LeadExpected } from './golden';

const golden = loadLossesGolden();
const I = golden.inputs;
const E = golden.expected;
const G = I.G;

afterAll(async () => {
  tf.disposeVariables();
  await tf.setBackend('cpu');
});

/** Student DE scores at layer l. [B, H] x [P, H]^T -> [B, P] */
const studentAt = (l: number) => inBatchScores(tf.tensor2d(I.student_query_cls[l]), tf.tensor2d(I.student_passage_cls[l]));
const studentFinal = () => studentAt(I.student_layers - 1);
const studentSelected = () => I.selected_student_layers.map(studentAt);

type TeacherKind = 'de' | 'cb' | 'ce';

/** Teacher scores at layer l; `final` applies the kind's final-score rule (CB: normalised tokens). */
function teacherAt(kind: TeacherKind, l: number, final = false): tf.Tensor2D {
  switch (kind) {
    case 'de':
      return inBatchScores(tf.tensor2d(I.teacher_de_query_cls[l]), tf.tensor2d(I.teacher_de_passage_cls[l]));
    case 'cb': {
      let q = tf.tensor3d(I.teacher_cb_query_tokens[l]); // [B, Tq, H]
      let p = tf.tensor3d(I.teacher_cb_passage_tokens[l]); // [P, Tp, H]
      // Final CB score: no projection in this file, L2-normalised token vectors (section 1).
      if (final) [q, p] = [l2Normalize(q), l2Normalize(p)];
      return maxSimScores(q, tf.tensor2d(I.query_mask), p, tf.tensor2d(I.passage_mask));
    }
    case 'ce':
      return ceGroupScores(tf.tensor2d(I.teacher_ce_pair_cls[l]), tf.tensor1d(I.teacher_ce_head_w), I.teacher_ce_head_b, G);
  }
}

const teacherSet = (kind: TeacherKind): ScoreSet => ({
  final: teacherAt(kind, I.teacher_layers - 1, true),
  layers: I.selected_teacher_layers.map((l) => teacherAt(kind, l)),
});

const leadOpts = (joint: boolean): LeadLossOptions => ({
  tau: I.tau,
  layerTemperature: I.layer_temperature,
  reweight: true,
  wLayer: 1,
  wStudent: 1,
  wResponse: 1,
  wTeacher: 1,
  joint,
});

for (const backend of ['cpu', 'wasm'] as const) describe(`golden/losses.json on ${backend}`, () => {
  beforeAll(async () => {
    if (backend === 'wasm') registerWasmTrainingKernels();
    expect(await tf.setBackend(backend)).toBe(true);
    expect(fusedKernelsActive()).toBe(backend === 'wasm');
  });

  it('holds the cases this file tests (a new key needs a new test)', () => {
    expect(Object.keys(E).sort()).toEqual(
      [
        'student_scores_final', 'nll_student_inbatch', 'student_scores_final_group', 'nll_student_group',
        'lead_de', 'lead_cb', 'lead_ce', 'prod_de', 'prod_ce_lwf', 'metrics', 'dpd_selection',
      ].sort(),
    );
    const leadKeys = ['teacher_scores_final', 'teacher_layer_scores', 'layer_kl', 'layer_weights', 'layer_loss', 'response_loss', 'student_total'];
    expect(Object.keys(E.lead_de).sort()).toEqual([...leadKeys, 'layer_loss_unweighted_sum', 'teacher_nll', 'teacher_reverse_response'].sort());
    expect(Object.keys(E.lead_cb).sort()).toEqual([...leadKeys].sort());
    expect(Object.keys(E.lead_ce).sort()).toEqual([...leadKeys].sort());
    expect(Object.keys(E.prod_de).sort()).toEqual(['T', 'w_ce', 'w_kd', 'kd', 'total'].sort());
    expect(Object.keys(E.prod_ce_lwf).sort()).toEqual(['T', 'w_ce', 'w_kd', 'w_lwf', 'prev_student_scores_group', 'kd', 'lwf', 'total'].sort());
    expect([I.B, I.G, I.P, I.B * I.G]).toEqual([3, 1 + I.n, I.P, I.P]);
  });

  it('section 2: student in-batch scores, positives, group cut', () => {
    tf.tidy(() => {
      const S = studentFinal();
      expectClose(S, E.student_scores_final, 'student_scores_final');
      expect(positiveIndices(S.shape, G)).toEqual([0, 3, 6]);
      const cut = cutToGroups(S, G);
      expectClose(cut, E.student_scores_final_group, 'student_scores_final_group');
      expect(positiveIndices(cut.shape, G)).toEqual([0, 0, 0]);
    });
  });

  it('(3.1) NLL on [B, P] and on [B, G]', () => {
    tf.tidy(() => {
      expectClose(nllLoss(studentFinal(), G), E.nll_student_inbatch, 'nll_student_inbatch');
      expectClose(nllLoss(cutToGroups(studentFinal(), G), G), E.nll_student_group, 'nll_student_group');
    });
  });

  for (const kind of ['de', 'cb', 'ce'] as const) {
    const ex = E[`lead_${kind}`] as LeadExpected;
    describe(`LEAD with a ${kind.toUpperCase()} teacher`, () => {
      it('teacher final and layer score matrices', () => {
        tf.tidy(() => {
          const t = teacherSet(kind);
          expectClose(t.final, ex.teacher_scores_final, 'teacher_scores_final');
          t.layers.forEach((S, j) => expectClose(S, ex.teacher_layer_scores[j], `teacher_layer_scores[${j}]`));
        });
      });

      it('(3.2) response loss and (3.4) layer KLs, weights and loss', () => {
        tf.tidy(() => {
          const t = teacherSet(kind);
          expectClose(responseKdLead(t.final, studentFinal(), I.tau, G), ex.response_loss, 'response_loss');
          const layer = leadLayerLoss(studentSelected(), t.layers, G, leadOpts(false));
          expectClose(layer.kl, ex.layer_kl, 'layer_kl');
          expectClose(layer.weights, ex.layer_weights, 'layer_weights');
          expectClose(layer.loss, ex.layer_loss, 'layer_loss');
        });
      });

      for (const joint of [false, true]) {
        it(`(3.5) student total, every term (${joint ? 'joint' : 'frozen'} teacher)`, () => {
          tf.tidy(() => {
            const out = leadLoss({ final: studentFinal(), layers: studentSelected() }, teacherSet(kind), G, leadOpts(joint));
            // With a CE teacher the student's NLL is taken on its group matrix (section 2).
            expectClose(out.terms.nll, kind === 'ce' ? E.nll_student_group : E.nll_student_inbatch, 'terms.nll');
            expectClose(out.terms.response, ex.response_loss, 'terms.response');
            expectClose(out.terms.layer, ex.layer_loss, 'terms.layer');
            expectClose(out.layerKl, ex.layer_kl, 'layerKl');
            expectClose(out.layerWeights, ex.layer_weights, 'layerWeights');
            expectClose(out.studentTotal, ex.student_total, 'student_total');
            if (!joint) {
              expect(out.terms.teacherNll).toBeUndefined();
              expectClose(out.total, ex.student_total, 'total (frozen)');
            } else {
              expect(out.terms.teacherNll).toBeDefined();
              expect(out.terms.teacherResponse).toBeDefined();
            }
          });
        });
      }
    });
  }

  it('(3.4) re-weighting off: w_layer * sum KL_j (lead_de.layer_loss_unweighted_sum)', () => {
    tf.tidy(() => {
      const t = teacherSet('de');
      const off = leadLayerLoss(studentSelected(), t.layers, G, { ...leadOpts(false), reweight: false, wLayer: 1 });
      expectClose(off.loss, E.lead_de.layer_loss_unweighted_sum, 'layer_loss_unweighted_sum');
      expectClose(off.weights, [1, 1], 'weights');
      const half = leadLayerLoss(studentSelected(), t.layers, G, { ...leadOpts(false), reweight: false, wLayer: 0.5 });
      expectClose(half.loss, E.lead_de.layer_loss_unweighted_sum! * 0.5, 'w_layer = 0.5');
    });
  });

  it('(3.5) joint training: teacher NLL and reverse response KL (lead_de)', () => {
    tf.tidy(() => {
      const t = teacherSet('de');
      expectClose(nllLoss(t.final, G), E.lead_de.teacher_nll, 'teacher_nll');
      const out = leadLoss({ final: studentFinal(), layers: studentSelected() }, t, G, leadOpts(true));
      expectClose(out.terms.teacherNll!, E.lead_de.teacher_nll, 'terms.teacherNll');
      expectClose(out.terms.teacherResponse!, E.lead_de.teacher_reverse_response, 'terms.teacherResponse');
      // Derived: total = student_total + w_t teacher_nll + w_resp teacher_reverse_response (all 1).
      const e = E.lead_de;
      expectClose(out.total, e.student_total + e.teacher_nll! + e.teacher_reverse_response!, 'total (joint)');
      const w = leadLoss({ final: studentFinal(), layers: studentSelected() }, t, G, { ...leadOpts(true), wTeacher: 2, wResponse: 0.5 });
      const studentTotal = E.nll_student_inbatch + 0.5 * e.response_loss + e.layer_loss;
      expectClose(w.studentTotal, studentTotal, 'studentTotal (w_resp 0.5)');
      expectClose(w.total, studentTotal + 2 * e.teacher_nll! + 0.5 * e.teacher_reverse_response!, 'total (w_t 2, w_resp 0.5)');
    });
  });

  it('(3.3, 3.6) PROD with a DE teacher', () => {
    const ex = E.prod_de;
    tf.tidy(() => {
      const S_s = studentFinal();
      const S_t = teacherAt('de', I.teacher_layers - 1, true);
      expectClose(responseKdProd(S_t, S_s, ex.T, G), ex.kd, 'kd');
      const out = prodLoss(S_s, S_t, null, G, { temperature: ex.T, wCe: ex.w_ce, wKd: ex.w_kd, wLwf: 1 });
      expectClose(out.terms.kd, ex.kd, 'terms.kd');
      expectClose(out.terms.nll, E.nll_student_inbatch, 'terms.nll');
      expect(out.terms.lwf).toBeUndefined();
      expectClose(out.total, ex.total, 'total');
    });
  });

  it('(3.3, 3.6) PROD with a CE teacher and LwF', () => {
    const ex = E.prod_ce_lwf;
    tf.tidy(() => {
      const S_s = studentFinal();
      const S_t = teacherAt('ce', I.teacher_layers - 1, true);
      const S_prev = inBatchScores(tf.tensor2d(I.prev_student_query), tf.tensor2d(I.prev_student_passage)); // [B, P]
      expectClose(cutToGroups(S_prev, G), ex.prev_student_scores_group, 'prev_student_scores_group');
      expectClose(responseKdProd(S_t, S_s, ex.T, G), ex.kd, 'kd');
      const out = prodLoss(S_s, S_t, S_prev, G, { temperature: ex.T, wCe: ex.w_ce, wKd: ex.w_kd, wLwf: ex.w_lwf });
      expectClose(out.terms.nll, E.nll_student_group, 'terms.nll (student cut to groups)');
      expectClose(out.terms.kd, ex.kd, 'terms.kd');
      expectClose(out.terms.lwf!, ex.lwf, 'terms.lwf');
      expectClose(out.total, ex.total, 'total');
    });
  });

  it('plain KD (the kd recipe) reproduces the LEAD and PROD response terms', () => {
    tf.tidy(() => {
      const S_s = studentFinal();
      const de = teacherAt('de', I.teacher_layers - 1, true);
      const lead = kdLoss(S_s, de, G, { form: 'lead', temperature: I.tau, wStudent: 1, wResponse: 1 });
      expectClose(lead.terms.response, E.lead_de.response_loss, 'lead form');
      expectClose(lead.total, E.nll_student_inbatch + E.lead_de.response_loss, 'lead total');
      const prod = kdLoss(S_s, de, G, { form: 'prod', temperature: E.prod_de.T, wStudent: E.prod_de.w_ce, wResponse: E.prod_de.w_kd });
      expectClose(prod.total, E.prod_de.total, 'prod total');
      const ce = kdLoss(S_s, teacherAt('ce', I.teacher_layers - 1, true), G, { form: 'lead', temperature: I.tau, wStudent: 1, wResponse: 1 });
      expectClose(ce.total, E.nll_student_group + E.lead_ce.response_loss, 'CE teacher');
    });
  });

  it('section 5: data-progressive query selection', () => {
    const d = E.dpd_selection;
    expect(selectDataProgressive(d.student_first_relevant_rank, d.teacher_first_relevant_rank)).toEqual(d.selected);
    expect(selectDataProgressive(d.student_first_relevant_rank, d.teacher_first_relevant_rank, { rankLow: 2, rankHigh: 15, teacherRank: 1 })).toEqual(d.selected);
  });
});
