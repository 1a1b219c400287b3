// Test page: every fused WebGPU kernel of src/core/kernels against the composite tfjs ops it
// replaces (forward and the gradient of sum(y * R) for a random R, both on webgpu), AdamW's
// fused step against the per-variable one, and the kernels (tf.profile) of one step built as
// bench's lead-de (student 2 layers, teacher 4, LEAD k = 2, joint, AdamW per model) at tiny
// sizes: the kernel count depends on the layer structure, not on the sizes.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { fusedDense, fusedDenseGelu, fusedGelu, fusedKl, fusedLayerNorm, fusedNll, fusedSelfAttention, setRowStrategy } from '../../../src/core/kernels';
import { adamwFusedVsPerVariable, attentionRef, compare as compareFused, composite, geluRef, layerNormRef, linRef, type F } from '../../shared/fusedChecks';
import { leadLoss, nllLoss, positiveIndices, responseKdLead, responseKdProd } from '../../../src/core/distill/losses';
import { LayerSelector } from '../../../src/core/distill/layers';
import { defaultRecipe, DEFAULT_TRAIN } from '../../../src/core/distill/recipes';
import { randomBatch } from '../../../src/core/bench/workloads';
import { validateModelConfig } from '../../../src/core/model/config';
import { RetrievalModel, type ModelBatch } from '../../../src/core/model/retriever';
import { Rng } from '../../../src/core/rng';
import { HashedWordTokenizer } from '../../../src/core/text/tokenizerHashed';
import { SPECIAL_TOKENS } from '../../../src/core/text/tokenizerBase';
import { AdamW, lossAndGrads } from '../../../src/core/train/optimizer';

let seed = 1;
function rnd(shape: number[], s = 1): tf.Tensor {
  const d = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < d.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    d[i] = ((seed / 2147483648) * 2 - 1) * s;
  }
  return tf.tensor(d, shape);
}

const compare = (f: F, g: F, xs: tf.Tensor[], nGrad = xs.length) => compareFused(f, g, xs, rnd, nGrad);

async function runKernelChecks() {
  await tf.setBackend('webgpu');
  await tf.ready();
  const M = 24;
  const H = 16;
  const eps = 1e-12;
  const ln = layerNormRef(eps);
  const gelu = geluRef;
  const x = rnd([M, H], 2);
  const r = rnd([M, H]);
  const gm = rnd([H]);
  const bt = rnd([H]);
  const mask = tf.tensor(Float32Array.from({ length: M * H }, (_, i) => (i % 3 ? 1.25 : 0)), [M, H]);
  const W = rnd([20, H]);
  const b = rnd([20]);
  const N = 3;
  const T = 8;
  const nh = 2;
  const dh = H / nh;
  const scale = 1 / Math.sqrt(dh);
  const biasData = new Float32Array(N * T);
  biasData[T - 1] = -1e4;
  biasData[2 * T - 2] = -1e4;
  const bias = tf.tensor(biasData, [N, 1, 1, T]);
  const pm = tf.tensor(Float32Array.from({ length: N * nh * T * T }, (_, i) => (i % 5 ? 1.1 : 0)), [N, nh, T, T]);
  const aw = [rnd([H, H]), rnd([H]), rnd([H, H]), rnd([H]), rnd([H, H]), rnd([H])];
  const lin = linRef;
  const attn = attentionRef(bias, N, T, nh, scale);
  const fAttn = (p: tf.Tensor | null): F => (a, wq, bq, wk, bk, wv, bv) =>
    fusedSelfAttention(a as tf.Tensor2D, { wq, bq, wk, bk, wv, bv } as never, bias, p, nh, T, scale);
  const t2 = (t: tf.Tensor) => t as tf.Tensor2D;
  const LB = 4;
  const LG = 3;
  const lt = rnd([LB, LB * LG], 4);
  const ls = rnd([LB, LB * LG], 4);
  const lgroup = rnd([LB, LG], 4);
  const t1 = (t: tf.Tensor) => t as tf.Tensor1D;
  const results: Record<string, Awaited<ReturnType<typeof compare>>> = {
    layerNorm: await compare((a, g, bb) => fusedLayerNorm(t2(a), null, null, t1(g), t1(bb), eps), ln, [x, gm, bt]),
    addLayerNorm: await compare((a, rr, g, bb) => fusedLayerNorm(t2(a), t2(rr), null, t1(g), t1(bb), eps), (a, rr, g, bb) => ln(tf.add(a, rr), g, bb), [x, r, gm, bt]),
    dropAddLayerNorm: await compare(
      (a, rr, g, bb, k) => fusedLayerNorm(t2(a), t2(rr), k, t1(g), t1(bb), eps),
      (a, rr, g, bb, k) => ln(tf.add(tf.mul(a, k), rr), g, bb),
      [x, r, gm, bt, mask],
      4,
    ),
    gelu: await compare((a) => fusedGelu(a), gelu, [x]),
    dense: await compare((a, w, bb) => fusedDense(t2(a), t2(w), t1(bb)), lin, [x, W, b]),
    denseGelu: await compare((a, w, bb) => fusedDenseGelu(t2(a), t2(w), t1(bb)), (a, w, bb) => gelu(lin(a, w, bb)), [x, W, b]),
    attention: await compare(fAttn(null), attn(null), [x, ...aw]),
    attentionDropout: await compare(fAttn(pm), attn(pm), [x, ...aw]),
    // The losses against losses.ts's own composite code (fused kernels off): B = 4, G = 3.
    klLead: await compare((t, s) => fusedKl(t2(t), t2(s), 0.5, 1, 1 / LB), (t, s) => composite(() => responseKdLead(t2(t), t2(s), 0.5, LG)), [lt, ls]),
    klProd: await compare((t, s) => fusedKl(t2(t), t2(s), 2, 2, 4 / LB), (t, s) => composite(() => responseKdProd(t2(t), t2(s), 2, LG)), [lt, ls]),
    nllInBatch: await compare((s) => fusedNll(t2(s), LG), (s) => composite(() => nllLoss(t2(s), LG)), [ls]),
    nllGroup: await compare((s) => fusedNll(t2(s), 0), (s) => composite(() => nllLoss(t2(s), LG)), [lgroup]),
  };
  // The row-wise programs (LayerNorm, attention softmax) also with one workgroup per row, the
  // mapping long rows take ('auto' above takes one invocation per row at these sizes).
  setRowStrategy('workgroup');
  try {
    results['layerNorm (workgroup rows)'] = await compare((a, g, bb) => fusedLayerNorm(t2(a), null, null, t1(g), t1(bb), eps), ln, [x, gm, bt]);
    results['dropAddLayerNorm (workgroup rows)'] = await compare(
      (a, rr, g, bb, k) => fusedLayerNorm(t2(a), t2(rr), k, t1(g), t1(bb), eps),
      (a, rr, g, bb, k) => ln(tf.add(tf.mul(a, k), rr), g, bb),
      [x, r, gm, bt, mask],
      4,
    );
    results['attentionDropout (workgroup rows)'] = await compare(fAttn(pm), attn(pm), [x, ...aw]);
  } finally {
    setRowStrategy('auto');
  }
  tf.dispose([x, r, gm, bt, mask, W, b, bias, pm, ...aw, lt, ls, lgroup]);
  return { backend: tf.getBackend(), results, adamw: await adamwCheck(), tensors: tf.memory().numTensors };
}

/** Two steps of AdamW (clipping on, decay on some variables) fused and per variable, from the same start. */
async function adamwCheck() {
  const r = await adamwFusedVsPerVariable([[30, 8], [8], [5, 7, 3], [1]], rnd);
  return { maxRelError: r.maxRelError, fusedKernels: r.fusedKernels };
}

/** The bench's (and PhaseTrainer's) training accuracy. S: [B, N] -> scalar. */
function accuracy(S: tf.Tensor2D, G: number): tf.Scalar {
  return tf.tidy(() => {
    const pos = tf.tensor1d(positiveIndices(S.shape, G), 'int32');
    return tf.mean(tf.cast(tf.equal(tf.argMax(S, 1), pos), 'float32')) as tf.Scalar;
  });
}

function tokenizerOf(vocab: number, hashSeed: number): HashedWordTokenizer {
  return new HashedWordTokenizer([], vocab - SPECIAL_TOKENS.length, { hashSeed });
}

/** Kernels of one lead-de step (bench's workload, tiny sizes), and GPU bytes in use after each of `steps` steps. */
async function runLeadDeCount(steps: number) {
  await tf.setBackend('webgpu');
  await tf.ready();
  const B = 2;
  const G = 2;
  const Lq = 6;
  const Lp = 8;
  const vocab = 60;
  const cfg = (layers: number, hidden: number, heads: number, ffn: number, initSeed: number) =>
    validateModelConfig({ kind: 'de', layers, hidden, heads, ffn, vocabSize: vocab, maxQueryLen: Lq, maxPassageLen: Lp, initSeed });
  const student = RetrievalModel.create(cfg(2, 16, 2, 32, 1), tokenizerOf(vocab, 1));
  const teacher = RetrievalModel.create(cfg(4, 16, 2, 32, 2), tokenizerOf(vocab, 2));
  const recipe = defaultRecipe('lead');
  const o = { weightDecay: DEFAULT_TRAIN.weightDecay, clipNorm: DEFAULT_TRAIN.clipNorm };
  const sOpt = new AdamW(student.variables(), o);
  const tOpt = new AdamW(teacher.variables(), o);
  const rng = new Rng(7);
  const batch = (): ModelBatch => ({ kind: 'separate', queries: randomBatch(rng, B, Lq, vocab), passages: randomBatch(rng, B * G, Lp, vocab), groupSize: G });
  const sBatch = batch();
  const tBatch = batch();
  const selector = new LayerSelector({ selection: recipe.selection, k: recipe.k, studentDepth: 2, teacherDepth: 4, resampleEvery: recipe.resampleEvery, seed: 7 });
  const vars = [...student.trainableVariables(), ...teacher.trainableVariables()];
  let stepIndex = 0;
  const step = async () => {
    const pairs = selector.at(stepIndex++);
    const { out, grads } = lossAndGrads(() => {
      const st = student.scoresFromBatch(sBatch, { training: true, layers: pairs.student });
      const te = teacher.scoresFromBatch(tBatch, { training: true, layers: pairs.teacher });
      const l = leadLoss(st, te, G, recipe);
      return { ...l, accStudent: accuracy(st.final, G), accTeacher: accuracy(te.final, G) };
    }, vars);
    const norms = [sOpt.step(grads, 5e-5), tOpt.step(grads, 5e-5)];
    tf.dispose(Object.values(grads));
    try {
      return (await out.total.data())[0];
    } finally {
      tf.dispose([out as unknown as tf.TensorContainer, norms]);
    }
  };
  const prof = await tf.profile(async () => {
    await step();
  });
  const byName: Record<string, number> = {};
  for (const k of prof.kernels) byName[k.name] = (byName[k.name] ?? 0) + 1;
  const gpuBytes: number[] = [];
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(await step());
    gpuBytes.push((tf.memory() as tf.MemoryInfo & { numBytesInGPU: number }).numBytesInGPU);
  }
  sOpt.dispose();
  tOpt.dispose();
  student.dispose();
  teacher.dispose();
  return { kernels: prof.kernels.length, byName, gpuBytes, losses };
}

Object.assign(window, { runKernelChecks, runLeadDeCount, kernelsReady: true });
