// The distillation math of algorithms.md sections 2 and 3: score matrices, the contrastive
// NLL (3.1), response KD in LEAD's form (3.2) and PROD's form (3.3), LEAD's layer loss (3.4)
// and total (3.5, joint or frozen teacher), PROD's stage loss with LwF (3.6), and plain KD.
//
// Every function is pure tensor code (no dataSync, no readback), usable inside
// tf.variableGrads on cpu, wasm, webgl and webgpu: only element-wise ops, reductions,
// reshape, matMul and logSoftmax, whose gradients every backend has (no gatherND or
// stridedSlice on the backward path). Call them inside a tidy (or variableGrads).
// On webgpu (fused kernels on) the NLL and the KL terms run as one fused kernel each, forward
// and backward (src/core/kernels/losses.ts: the same math); elsewhere as the composite ops.
//
// Layouts (section 2). A batch has B queries, each with a group of G = 1 + n passages, the
// positive first; the batch's P = B * G passages are the concatenated groups.
//   in-batch [B, P] (DE, CB): every query against every passage; positive of row i: i * G.
//   group    [B, G] (CE):     each query against its own group;   positive of row i: 0.
// When one side of a KL is a group matrix and the other in-batch, the in-batch one is cut to
// its groups first (`alignScores`). The spec names the CE teacher case; a CE student with a
// DE/CB teacher is handled the same way (the teacher is cut).

import * as tf from '@tensorflow/tfjs';
import type { KdRecipe, LeadRecipe, ProdRecipe } from './recipes';
import { fusedKernelsActive, fusedKl, fusedNll } from '../kernels';

export type ScoreLayout = 'inbatch' | 'group';

/** A score matrix: [B, P] in-batch or [B, G] group. */
export type ScoreMatrix = tf.Tensor2D;

/** tf.tidy for a function returning a typed object of tensors (tidy keeps every tensor in it). */
function tidyObject<T extends object>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

function shapeError(what: string): Error {
  return new Error(`distill losses: ${what}`);
}

/**
 * The layout of a score matrix with group size G (section 2).
 * shape: [B, N] -> 'group' when N = G, 'inbatch' when N = B * G.
 * With B = 1 both coincide (and so do the positives: index 0), reported as 'group'.
 */
export function scoreLayout(shape: readonly number[], G: number): ScoreLayout {
  if (shape.length !== 2) throw shapeError(`a score matrix must be 2-D [B, N], got [${shape.join(', ')}]`);
  const [B, N] = shape;
  if (!Number.isInteger(G) || G < 1) throw shapeError(`group size must be an integer >= 1, got ${G}`);
  if (N === G) return 'group';
  if (N === B * G) return 'inbatch';
  throw shapeError(`score matrix [${B}, ${N}] is neither [B, P = B*G = ${B * G}] nor [B, G = ${G}]`);
}

/**
 * The positive's column in each row (section 2): i * G for [B, P], 0 for [B, G].
 * shape: [B, N] -> number[B]
 */
export function positiveIndices(shape: readonly number[], G: number): number[] {
  const layout = scoreLayout(shape, G);
  return Array.from({ length: shape[0] }, (_, i) => (layout === 'inbatch' ? i * G : 0));
}

/**
 * The same values as a constant: no gradient flows back through the result (PyTorch's
 * `.detach()`; tfjs has no stopGradient). x: any shape -> the same shape.
 * It is a custom op with no inputs, so it lies on no tape path from any variable: backprop
 * never enters x's graph (a frozen teacher costs no backward pass, not even one of zeros),
 * and variables reached only through it get no gradient at all (null in variableGrads).
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return tf.customGrad(() => ({ value: x.clone(), gradFunc: () => [] }))() as T;
}

/**
 * Section 2: the group matrix of an in-batch matrix; row i keeps columns i*G .. i*G+G-1.
 * S: [B, P] (P = B * G) -> [B, G]
 * Gather-free (reshape, mask, sum), so its gradient is a plain broadcast on every backend.
 */
export function cutToGroups(S: ScoreMatrix, G: number): ScoreMatrix {
  const [B, P] = S.shape;
  if (P !== B * G) throw shapeError(`cutToGroups needs [B, B*G] = [${B}, ${B * G}], got [${B}, ${P}]`);
  if (B === 1) return S;
  return tf.tidy(() => {
    const blocks = tf.reshape(S, [B, B, G]); // [B, B, G]: blocks[i, j] = S[i, j*G .. j*G+G-1]
    const eye = tf.reshape(tf.eye(B), [B, B, 1]); // [B, B, 1]: keeps block j = i of row i
    return tf.sum(tf.mul(blocks, eye), 1) as tf.Tensor2D; // [B, G]
  });
}

/**
 * The shape rule of section 2 for a (teacher, student) pair: if one is a group matrix and the
 * other in-batch, the in-batch one is cut to its groups; otherwise both are returned as they are.
 * t: [B, Nt], s: [B, Ns] -> [t', s'] of one shape [B, N]
 */
export function alignScores(t: ScoreMatrix, s: ScoreMatrix, G: number): [ScoreMatrix, ScoreMatrix] {
  if (t.shape[0] !== s.shape[0]) throw shapeError(`teacher has ${t.shape[0]} query rows, student ${s.shape[0]}`);
  const lt = scoreLayout(t.shape, G);
  const ls = scoreLayout(s.shape, G);
  if (lt === ls) return [t, s];
  return lt === 'group' ? [t, cutToGroups(s, G)] : [cutToGroups(t, G), s];
}

/** One-hot of the positives, a constant. shape: [B, N] -> [B, N] float32. */
function positiveMask(shape: readonly number[], G: number): tf.Tensor2D {
  const [B, N] = shape;
  const data = new Float32Array(B * N);
  positiveIndices(shape, G).forEach((p, i) => (data[i * N + p] = 1));
  return tf.tensor2d(data, [B, N]);
}

/**
 * (3.1) Contrastive NLL: mean_i -log_softmax(S)_i[pos_i].
 * S: [B, P] or [B, G] -> scalar
 */
export function nllLoss(S: ScoreMatrix, G: number): tf.Scalar {
  if (fusedKernelsActive()) return fusedNll(S, scoreLayout(S.shape, G) === 'inbatch' ? G : 0);
  return tf.tidy(() => {
    const logP = tf.logSoftmax(S); // [B, N]
    const picked = tf.sum(tf.mul(logP, positiveMask(S.shape, G))); // scalar: sum_i logP[i, pos_i]
    return tf.div(tf.neg(picked), S.shape[0]) as tf.Scalar;
  });
}

/**
 * KL(softmax(t) || softmax(s)) summed over the whole matrix and divided by B ("batchmean",
 * PyTorch's F.kl_div(log_softmax(s), softmax(t), reduction='batchmean')).
 * t, s: [B, N] logits of one shape -> scalar
 */
export function klBatchmean(t: ScoreMatrix, s: ScoreMatrix): tf.Scalar {
  return klTempered(t, s, 1, 1, 1);
}

/**
 * T2 * batchmean KL(softmax(t / tauT) || softmax(s / tauS)) (tau 1: no division; T2 1: no
 * factor), one fused kernel on webgpu. t, s: [B, N] logits of one shape -> scalar
 */
function klTempered(t: ScoreMatrix, s: ScoreMatrix, tauT: number, tauS: number, T2: number): tf.Scalar {
  if (t.shape[0] !== s.shape[0] || t.shape[1] !== s.shape[1]) {
    throw shapeError(`KL needs one shape, got [${t.shape.join(', ')}] and [${s.shape.join(', ')}]`);
  }
  if (fusedKernelsActive()) return fusedKl(t, s, tauT, tauS, T2 / t.shape[0]);
  return tf.tidy(() => {
    const kl = klComposite(tauT === 1 ? t : tf.div(t, tauT), tauS === 1 ? s : tf.div(s, tauS));
    return T2 === 1 ? kl : (tf.mul(kl, T2) as tf.Scalar);
  });
}

/** The composite batchmean KL of klBatchmean. t, s: [B, N] -> scalar */
function klComposite(t: ScoreMatrix, s: ScoreMatrix): tf.Scalar {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(t); // [B, N] target log-probabilities
    const logQ = tf.logSoftmax(s); // [B, N]
    // p * (log p - log q) with p = exp(log p): finite even where p underflows to 0.
    return tf.div(tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ))), t.shape[0]) as tf.Scalar;
  });
}

/**
 * (3.2) Response KD, LEAD form: batchmean KL(softmax(S_t / tau) || softmax(S_s)).
 * The temperature divides the teacher only. S_s is cut to groups when S_t is a group matrix.
 * S_t: [B, P] or [B, G], S_s: [B, P] (or [B, G]) -> scalar
 */
export function responseKdLead(S_t: ScoreMatrix, S_s: ScoreMatrix, tau: number, G: number): tf.Scalar {
  return tf.tidy(() => {
    const [t, s] = alignScores(S_t, S_s, G);
    return klTempered(t, s, tau, 1, 1);
  });
}

/**
 * (3.3) Response KD, PROD form: T^2 * batchmean KL(softmax(S_t / T) || softmax(S_s / T)).
 * S_t: [B, P] or [B, G], S_s: [B, P] (or [B, G]) -> scalar
 */
export function responseKdProd(S_t: ScoreMatrix, S_s: ScoreMatrix, T: number, G: number): tf.Scalar {
  return tf.tidy(() => {
    const [t, s] = alignScores(S_t, S_s, G);
    return klTempered(t, s, T, T, T * T);
  });
}

export interface LayerLossOptions {
  /** tau of 3.4: divides the teacher layer scores. */
  tau: number;
  layerTemperature: number;
  /** Re-weight by lambda = softmax(-L_nll(S_t^j) / layerTemperature); off: wLayer each. */
  reweight: boolean;
  wLayer: number;
}

export interface LayerLossOutput {
  /** L_layer = sum_j weights_j * KL_j. */
  loss: tf.Scalar;
  /** KL_j per pair: [k]. */
  kl: tf.Tensor1D;
  /** lambda_j (re-weighting on, a constant) or w_layer (off): [k]. */
  weights: tf.Tensor1D;
}

/**
 * (3.4) LEAD layer loss over k pairs (student layer a_j paired with teacher layer b_j):
 *   KL_j = batchmean KL(softmax(S_t^j / tau) || softmax(S_s^j))
 *   lambda = softmax(-L_nll(S_t^j) / layerTemperature), a constant (no gradient through it)
 *   L_layer = sum_j lambda_j KL_j, or w_layer * sum_j KL_j with re-weighting off.
 * S_s^j: k x [B, P], S_t^j: k x [B, P] or [B, G] -> { loss: scalar, kl: [k], weights: [k] }
 * With k = 0 the loss is 0.
 */
export function leadLayerLoss(
  studentLayers: readonly ScoreMatrix[],
  teacherLayers: readonly ScoreMatrix[],
  G: number,
  opts: LayerLossOptions,
): LayerLossOutput {
  const k = studentLayers.length;
  if (teacherLayers.length !== k) throw shapeError(`${k} student layer scores but ${teacherLayers.length} teacher layer scores`);
  return tidyObject((): LayerLossOutput => {
    if (k === 0) return { loss: tf.scalar(0), kl: tf.tensor1d([]), weights: tf.tensor1d([]) };
    const kl = tf.stack(studentLayers.map((s, j) => responseKdLead(teacherLayers[j], s, opts.tau, G))) as tf.Tensor1D; // [k]
    let weights: tf.Tensor1D; // [k]
    if (opts.reweight) {
      // c_j = -L_nll(S_t^j) / layer_temperature: a teacher layer that ranks well on its own
      // weighs more. Constants, as in SimXNS LEAD (softmax over torch.tensor(list) of values).
      const c = tf.div(tf.neg(tf.stack(teacherLayers.map((t) => nllLoss(t, G)))), opts.layerTemperature); // [k]
      weights = stopGradient(tf.softmax(c) as tf.Tensor1D);
    } else {
      weights = tf.fill([k], opts.wLayer) as tf.Tensor1D;
    }
    return { loss: tf.sum(tf.mul(kl, weights)) as tf.Scalar, kl, weights };
  });
}

/** A model's scores for one batch: the final matrix and the selected layers' matrices. */
export interface ScoreSet {
  /** [B, P] (DE, CB) or [B, G] (CE). */
  final: ScoreMatrix;
  /** Layer score matrices in pair order (student a_j with teacher b_j), each like `final`. */
  layers: readonly ScoreMatrix[];
}

export type LeadLossOptions = Pick<
  LeadRecipe,
  'tau' | 'layerTemperature' | 'reweight' | 'wLayer' | 'wStudent' | 'wResponse' | 'wTeacher' | 'joint'
>;

/** The separate terms, unweighted except L_layer (which carries lambda or w_layer), for charts. */
export interface LeadTerms {
  /** L_nll(S_s) (3.1); on S_s cut to groups when the teacher is a CE. */
  nll: tf.Scalar;
  /** L_resp(S_t, S_s) (3.2). */
  response: tf.Scalar;
  /** L_layer (3.4). */
  layer: tf.Scalar;
  /** Joint training only: L_nll(S_t). */
  teacherNll?: tf.Scalar;
  /** Joint training only: batchmean KL(softmax(S_s / tau) || softmax(S_t)). */
  teacherResponse?: tf.Scalar;
}

export interface LeadLossOutput {
  terms: LeadTerms;
  /** (3.5) L = w_s L_nll(S_s) + w_resp L_resp + L_layer. */
  studentTotal: tf.Scalar;
  /**
   * What to differentiate with respect to both models' variables: studentTotal, plus under
   * joint training w_t L_nll(S_t) + w_resp KL(softmax(S_s/tau) || softmax(S_t)).
   */
  total: tf.Scalar;
  /** KL_j per layer pair: [k]. */
  layerKl: tf.Tensor1D;
  /** lambda_j (or w_layer): [k]. */
  layerWeights: tf.Tensor1D;
}

/**
 * (3.5) LEAD, one step, both models' sides in one scalar (`total`), so that one
 * tf.variableGrads over student and teacher variables gives each its gradient:
 *  - student: d total / d theta_s = d L / d theta_s (the teacher-only terms see S_s as a
 *    constant, so they add nothing to the student's gradient);
 *  - joint teacher: d total / d theta_t = d (L + w_t L_nll(S_t) + w_resp KL(S_s/tau || S_t)) /
 *    d theta_t: L_resp and L_layer reach the teacher too (its targets are not detached);
 *  - frozen teacher (joint = false): its scores are constants; its variables get no gradient.
 * student.final: [B, P], teacher.final: [B, P] or [B, G]; layers: k each, paired in order
 * -> terms (scalars), studentTotal, total (scalars), layerKl, layerWeights ([k])
 */
export function leadLoss(student: ScoreSet, teacher: ScoreSet, G: number, opts: LeadLossOptions): LeadLossOutput {
  return tidyObject((): LeadLossOutput => {
    const frozen = !opts.joint;
    const tFinal = frozen ? stopGradient(teacher.final) : teacher.final;
    const tLayers = frozen ? teacher.layers.map((t) => stopGradient(t)) : teacher.layers;
    const [t, s] = alignScores(tFinal, student.final, G); // [B, N] each
    const nll = nllLoss(s, G);
    const response = responseKdLead(t, s, opts.tau, G);
    const layer = leadLayerLoss(student.layers, tLayers, G, opts);
    const studentTotal = tf.addN([tf.mul(nll, opts.wStudent), tf.mul(response, opts.wResponse), layer.loss]) as tf.Scalar;
    const terms: LeadTerms = { nll, response, layer: layer.loss };
    let total = studentTotal;
    if (opts.joint) {
      // The teacher's own terms; S_s is a constant here (the spec gives them to the teacher).
      const teacherNll = nllLoss(tFinal, G);
      const teacherResponse = klTempered(stopGradient(s), t, opts.tau, 1, 1);
      terms.teacherNll = teacherNll;
      terms.teacherResponse = teacherResponse;
      total = tf.addN([studentTotal, tf.mul(teacherNll, opts.wTeacher), tf.mul(teacherResponse, opts.wResponse)]) as tf.Scalar;
    }
    return { terms, studentTotal, total, layerKl: layer.kl, layerWeights: layer.weights };
  });
}

export type ProdLossOptions = Pick<ProdRecipe, 'temperature' | 'wCe' | 'wKd' | 'wLwf'>;

export interface ProdTerms {
  /** L_nll(S_s), on S_s cut to the teacher's shape. */
  nll: tf.Scalar;
  /** L_kd(S_t, S_s) (3.3). */
  kd: tf.Scalar;
  /** L_kd(S_prev, S_s), when a previous student is given. */
  lwf?: tf.Scalar;
}

export interface ProdLossOutput {
  terms: ProdTerms;
  /** (3.6) w_ce L_nll + w_kd L_kd(S_t, S_s) [+ w_lwf L_kd(S_prev, S_s)]. */
  total: tf.Scalar;
}

/**
 * (3.6) PROD stage loss. The teacher and the stage-start student copy are frozen (constants).
 * S_s is cut to the teacher's shape first (so is S_prev), and the NLL is taken on it.
 * S_s: [B, P], S_t: [B, P] or [B, G], S_prev: [B, P] or null (no LwF) -> terms, total (scalars)
 */
export function prodLoss(
  S_s: ScoreMatrix,
  S_t: ScoreMatrix,
  S_prev: ScoreMatrix | null | undefined,
  G: number,
  opts: ProdLossOptions,
): ProdLossOutput {
  return tidyObject((): ProdLossOutput => {
    const [t, s] = alignScores(stopGradient(S_t), S_s, G); // [B, N] each
    const nll = nllLoss(s, G);
    const kd = responseKdProd(t, s, opts.temperature, G);
    const parts = [tf.mul(nll, opts.wCe), tf.mul(kd, opts.wKd)];
    const terms: ProdTerms = { nll, kd };
    if (S_prev) {
      const lwf = responseKdProd(stopGradient(S_prev), s, opts.temperature, G);
      terms.lwf = lwf;
      parts.push(tf.mul(lwf, opts.wLwf));
    }
    return { terms, total: tf.addN(parts) as tf.Scalar };
  });
}

export type KdLossOptions = Pick<KdRecipe, 'form' | 'temperature' | 'wStudent' | 'wResponse'>;

export interface KdLossOutput {
  terms: { nll: tf.Scalar; response: tf.Scalar };
  /** w_s L_nll(S_s) + w_resp (3.2 or 3.3). */
  total: tf.Scalar;
}

/**
 * Plain response KD from a frozen teacher (the 'kd' recipe): LEAD's form (3.2, tau =
 * temperature) or PROD's (3.3, T = temperature), plus the student's own NLL (on S_s cut to the
 * teacher's shape, as in 3.5/3.6).
 * S_s: [B, P], S_t: [B, P] or [B, G] -> terms, total (scalars)
 */
export function kdLoss(S_s: ScoreMatrix, S_t: ScoreMatrix, G: number, opts: KdLossOptions): KdLossOutput {
  return tidyObject((): KdLossOutput => {
    const [t, s] = alignScores(stopGradient(S_t), S_s, G);
    const nll = nllLoss(s, G);
    const response = opts.form === 'prod' ? responseKdProd(t, s, opts.temperature, G) : responseKdLead(t, s, opts.temperature, G);
    const total = tf.add(tf.mul(nll, opts.wStudent), tf.mul(response, opts.wResponse)) as tf.Scalar;
    return { terms: { nll, response }, total };
  });
}

// ---- Score matrices from encoder outputs (section 1), for tests and tools that hold the
// vectors themselves (the models build theirs in src/core/model/retriever.ts). ----

/**
 * DE in-batch scores: dot products of [CLS] vectors.
 * q: [B, H], p: [P, H] -> [B, P]
 */
export function inBatchScores(q: tf.Tensor2D, p: tf.Tensor2D): ScoreMatrix {
  return tf.matMul(q, p, false, true);
}

/**
 * L2-normalise along the last axis: x / sqrt(|x|^2 + 1e-12) (F.normalize, smooth at 0).
 * x: [..., D] -> [..., D]
 */
export function l2Normalize<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), -1, true), 1e-12))) as T);
}

/**
 * ColBERT MaxSim, every query against every passage: sum over the query's tokens (qMask 1) of
 * the max over the passage's tokens (pMask 1) of the dot product. The final CB score applies
 * it to projected, l2Normalize'd vectors; layer scores to raw hidden states.
 * q: [B, Tq, D], qMask: [B, Tq] (0/1), p: [P, Tp, D], pMask: [P, Tp] (0/1) -> [B, P]
 */
export function maxSimScores(q: tf.Tensor3D, qMask: tf.Tensor2D, p: tf.Tensor3D, pMask: tf.Tensor2D): ScoreMatrix {
  const [B, Tq, D] = q.shape;
  const [P, Tp] = p.shape;
  return tf.tidy(() => {
    const sim = tf.matMul(tf.reshape(q, [B * Tq, D]), tf.reshape(p, [P * Tp, D]), false, true); // [B*Tq, P*Tp]
    // Padding gets -1e9 (added, so real tokens keep their exact value) and never wins the max.
    const pad = tf.reshape(tf.mul(tf.sub(pMask, 1), 1e9), [1, P, Tp]); // [1, P, Tp]
    const best = tf.max(tf.add(tf.reshape(sim, [B * Tq, P, Tp]), pad), -1); // [B*Tq, P]
    return tf.sum(tf.mul(tf.reshape(best, [B, Tq, P]), tf.reshape(qMask, [B, Tq, 1])), 1) as tf.Tensor2D; // [B, P]
  });
}

/**
 * CE group scores: the head w . h_[CLS] + b on each (query, passage) pair, pairs in batch order
 * (query i's group is pairs i*G .. i*G+G-1).
 * pairCls: [B*G, H], w: [H], b: scalar -> [B, G]
 */
export function ceGroupScores(pairCls: tf.Tensor2D, w: tf.Tensor1D, b: tf.Scalar | number, G: number): ScoreMatrix {
  const [N, H] = pairCls.shape;
  if (N % G !== 0) throw shapeError(`${N} pairs do not split into groups of ${G}`);
  return tf.tidy(() => tf.reshape(tf.add(tf.matMul(pairCls, tf.reshape(w, [H, 1])), b), [N / G, G]) as tf.Tensor2D);
}
