// Loads test/golden/losses.json (inputs and float64 expectations for algorithms.md
// sections 2-5) and compares float32 results with it.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
export const LOSSES_GOLDEN = resolve(here, '../../golden/losses.json');

type M = number[][];

export interface LeadExpected {
  teacher_scores_final: M;
  teacher_layer_scores: M[];
  layer_kl: number[];
  layer_weights: number[];
  layer_loss: number;
  response_loss: number;
  student_total: number;
  layer_loss_unweighted_sum?: number;
  teacher_nll?: number;
  teacher_reverse_response?: number;
}

export interface LossesGolden {
  about: string;
  inputs: {
    B: number;
    n: number;
    G: number;
    P: number;
    student_layers: number;
    teacher_layers: number;
    selected_student_layers: number[];
    selected_teacher_layers: number[];
    tau: number;
    layer_temperature: number;
    /** [layer][B][H] */
    student_query_cls: M[];
    /** [layer][P][H] */
    student_passage_cls: M[];
    teacher_de_query_cls: M[];
    teacher_de_passage_cls: M[];
    /** [layer][B][Tq][H] */
    teacher_cb_query_tokens: M[][];
    /** [layer][P][Tp][H] */
    teacher_cb_passage_tokens: M[][];
    query_mask: M;
    passage_mask: M;
    /** [layer][B*G][H] */
    teacher_ce_pair_cls: M[];
    teacher_ce_head_w: number[];
    teacher_ce_head_b: number;
    prev_student_query: M;
    prev_student_passage: M;
  };
  expected: {
    student_scores_final: M;
    nll_student_inbatch: number;
    student_scores_final_group: M;
    nll_student_group: number;
    lead_de: LeadExpected;
    lead_cb: LeadExpected;
    lead_ce: LeadExpected;
    prod_de: { T: number; w_ce: number; w_kd: number; kd: number; total: number };
    prod_ce_lwf: { T: number; w_ce: number; w_kd: number; w_lwf: number; prev_student_scores_group: M; kd: number; lwf: number; total: number };
    /** Section 6: covered by the retrieval metrics tests. */
    metrics: unknown;
    dpd_selection: {
      student_first_relevant_rank: Record<string, number | null>;
      teacher_first_relevant_rank: Record<string, number | null>;
      selected: string[];
    };
  };
}

export function loadLossesGolden(): LossesGolden {
  return JSON.parse(readFileSync(LOSSES_GOLDEN, 'utf8')) as LossesGolden;
}

/**
 * Tolerance: 1e-4 relative (algorithms.md), plus 1e-6 absolute for expectations near zero
 * (one DE teacher score is -5.7e-5: a float32 dot product of 12 terms carries ~1e-7 of
 * absolute rounding, which 1e-4 relative of such a value cannot absorb).
 */
export const REL = 1e-4;
export const ABS = 1e-6;

/** The shape of a nested array ([] for a number). */
function nestedShape(x: unknown): number[] {
  const shape: number[] = [];
  for (let y = x; Array.isArray(y); y = y[0]) shape.push(y.length);
  return shape;
}

/** Compares a tensor (or number) with a nested float64 array (or number), entry by entry. */
export function expectClose(actual: tf.Tensor | number | ArrayLike<number>, expected: unknown, what: string): void {
  const exp = (Array.isArray(expected) ? (expected as unknown[]).flat(Infinity) : [expected]) as number[];
  let act: number[];
  if (actual instanceof tf.Tensor) {
    expect(actual.shape, `${what}: shape`).toEqual(nestedShape(expected));
    act = Array.from(actual.dataSync());
  } else if (typeof actual === 'number') act = [actual];
  else act = Array.from(actual);
  expect(act.length, `${what}: size`).toBe(exp.length);
  for (let i = 0; i < exp.length; i++) {
    const tol = REL * Math.abs(exp[i]) + ABS;
    if (!(Math.abs(act[i] - exp[i]) <= tol)) {
      expect.fail(`${what}[${i}]: got ${act[i]}, expected ${exp[i]} (|diff| ${Math.abs(act[i] - exp[i])} > ${tol})`);
    }
  }
}
