// A BERT encoder in tfjs (post-LayerNorm, as in Devlin et al. 2019 and HF `BertModel`):
//   e   = LayerNorm(word[ids] + position[0..T) + type[typeIds])            (h^0)
//   a   = LayerNorm(h + Dropout(Wo . MHA(h) + bo))                          per block
//   h'  = LayerNorm(a + Dropout(W2 . GELU(W1 . a + b1) + b2))
// returning the output of every block h^1..h^L (LEAD reads them all).
//
// Weights are tf.Variables with HF names and HF shapes (Linear weights [out, in], used
// with transposeB, so import/export copy bytes without transposing). Every op on the
// backward path has a gradient on cpu, webgl, webgpu (and wasm): gather (embedding rows,
// with the scatter-add gradient below), slice, reshape, transpose, (fused) matMul,
// softmax, erf, elementwise math. No einsum, gatherND or strided slices.

import * as tf from '@tensorflow/tfjs';
import { fusedDense, fusedDenseGelu, fusedGelu, fusedKernelsActive, fusedLayerNorm, fusedSelfAttention } from '../kernels';
import { Rng } from '../rng';
import type { ModelConfig } from './config';

/** One weight of the model: its HF name (without the `bert.` prefix) and shape. */
export interface TensorSpec {
  name: string;
  shape: number[];
  /** How a fresh model initialises it (HF `_init_weights`). */
  init: 'normal' | 'zeros' | 'ones' | 'embedding';
}

/** The weights of one encoder, in HF state-dict order, names prefixed by `prefix`. */
export function encoderTensorSpecs(cfg: ModelConfig, prefix = ''): TensorSpec[] {
  const { hidden: H, ffn: F } = cfg;
  const s: TensorSpec[] = [
    { name: 'embeddings.word_embeddings.weight', shape: [cfg.vocabSize, H], init: 'embedding' },
    { name: 'embeddings.position_embeddings.weight', shape: [cfg.maxPositions, H], init: 'normal' },
    { name: 'embeddings.token_type_embeddings.weight', shape: [cfg.typeVocabSize, H], init: 'normal' },
    { name: 'embeddings.LayerNorm.weight', shape: [H], init: 'ones' },
    { name: 'embeddings.LayerNorm.bias', shape: [H], init: 'zeros' },
  ];
  for (let l = 0; l < cfg.layers; l++) {
    const p = `encoder.layer.${l}.`;
    const lin = (name: string, out: number, inp: number) => {
      s.push({ name: `${p}${name}.weight`, shape: [out, inp], init: 'normal' });
      s.push({ name: `${p}${name}.bias`, shape: [out], init: 'zeros' });
    };
    const ln = (name: string) => {
      s.push({ name: `${p}${name}.weight`, shape: [H], init: 'ones' });
      s.push({ name: `${p}${name}.bias`, shape: [H], init: 'zeros' });
    };
    lin('attention.self.query', H, H);
    lin('attention.self.key', H, H);
    lin('attention.self.value', H, H);
    lin('attention.output.dense', H, H);
    ln('attention.output.LayerNorm');
    lin('intermediate.dense', F, H);
    lin('output.dense', H, F);
    ln('output.LayerNorm');
  }
  return s.map((t) => ({ ...t, name: prefix + t.name }));
}

// ---------------------------------------------------------------------------------------
// Building blocks

/**
 * x: [M, in], w: [out, in] (HF Linear layout), b: [out] -> [M, out]. One fused kernel (on
 * webgpu with a bias the lab's own, whose backward is one kernel too).
 */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  if (b && fusedKernelsActive()) return fusedDense(x, w, b);
  return tf.fused.matMul({ a: x, b: w, transposeB: true, bias: b }) as tf.Tensor2D;
}

/**
 * LayerNorm over the last axis (biased variance, eps inside the sqrt, as torch):
 * x: [M, H], gamma, beta: [H] -> [M, H]. The backward pass is the closed form
 *   dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),  g = dy * gamma,
 *   dgamma = sum_rows(dy * xhat),  dbeta = sum_rows(dy),
 * 11 kernels instead of the ~20 autodiff would chain through the 9 forward ops (kernel
 * launches, not FLOPs, bound a small model's step on a GPU). On webgpu: one fused kernel each
 * way (src/core/kernels/layerNorm.ts).
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  if (fusedKernelsActive()) return fusedLayerNorm(x, null, null, gamma, beta, eps);
  const op = tf.customGrad((xi, gi, bi, save) => {
    const x2 = xi as tf.Tensor2D;
    const g = gi as tf.Tensor1D;
    const mean = tf.mean(x2, -1, true); // [M, 1]
    const xc = tf.sub(x2, mean); // [M, H]
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps)); // [M, 1]
    const xhat = tf.mul(xc, rstd); // [M, H]
    (save as tf.GradSaveFunc)([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), bi as tf.Tensor1D), // [M, H]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gm] = saved;
        const dyg = tf.mul(dy, gm); // [M, H]
        const a = tf.mean(dyg, -1, true); // [M, 1]
        const c = tf.mean(tf.mul(dyg, xh), -1, true); // [M, 1]
        const dx = tf.mul(tf.sub(tf.sub(dyg, a), tf.mul(xh, c)), rs); // [M, H]
        return [dx, tf.sum(tf.mul(dy, xh), 0), tf.sum(dy, 0)]; // [M, H], [H], [H]
      },
    };
  });
  return op(x, gamma, beta) as tf.Tensor2D;
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact GELU, HF "gelu": x * Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2. tfjs's erf
 * (Abramowitz-Stegun 7.1.26, max error 1.5e-7) exists on cpu, webgl, webgpu and wasm (and
 * has a registered gradient); the backward here is the closed form
 * d/dx = Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi), reusing Phi from the forward.
 * x: any shape -> same shape. On webgpu: one fused kernel each way.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  if (fusedKernelsActive()) return fusedGelu(x);
  const op = tf.customGrad((xi, save) => {
    const cdf = tf.mul(tf.add(tf.erf(tf.mul(xi as tf.Tensor, Math.SQRT1_2)), 1), 0.5); // Phi(x)
    (save as tf.GradSaveFunc)([xi as tf.Tensor, cdf]);
    return {
      value: tf.mul(xi as tf.Tensor, cdf),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, phi] = saved;
        const pdf = tf.mul(tf.exp(tf.mul(tf.square(xs), -0.5)), INV_SQRT_2PI); // phi(x)
        return tf.mul(dy, tf.add(phi, tf.mul(xs, pdf)));
      },
    };
  });
  return op(x) as T;
}

/**
 * Scatter-add of gradient rows into the table: dy [M, H] at rows ids (M) -> [V, H].
 * tf.gather's own gradient is UnsortedSegmentSum over all V rows, which costs
 * O(V * M * H) on cpu and webgl (a loop or a shader pass per vocabulary row: minutes per
 * step for an 8000-word vocabulary on cpu) and does not exist on wasm. ScatterNd sums
 * duplicate indices in O(M * H) on cpu, wasm and webgpu (atomics). WebGL's ScatterNd is a
 * naive O(V * M * H) shader, so there the rows are first summed per distinct id
 * (UnsortedSegmentSum over the U distinct ids of the batch: O(U * M * H)) and then laid
 * out over the vocabulary with one gather (O(V * H)).
 */
export function scatterRowsAdd(
  dy: tf.Tensor2D,
  idsT: tf.Tensor1D,
  ids: Int32Array,
  vocab: number,
  compact = tf.getBackend() === 'webgl',
): tf.Tensor2D {
  const [M, H] = dy.shape;
  if (!compact) return tf.scatterND(tf.reshape(idsT, [M, 1]), dy, [vocab, H]);
  const slot = new Int32Array(vocab); // 0: id absent from the batch; k + 1: k-th distinct id
  const inverse = new Int32Array(M);
  let distinct = 0;
  for (let i = 0; i < M; i++) {
    const id = ids[i];
    if (slot[id] === 0) slot[id] = ++distinct;
    inverse[i] = slot[id] - 1;
  }
  return tf.tidy((): tf.Tensor2D => {
    const rows = tf.unsortedSegmentSum(dy, tf.tensor1d(inverse, 'int32'), distinct); // [U, H]
    const padded = tf.concat([tf.zeros([1, H]), rows], 0); // [U + 1, H], row 0 = zeros
    return tf.gather(padded as tf.Tensor2D, tf.tensor1d(slot, 'int32')); // [V, H]
  });
}

/** Rows of `table` [V, H] for `ids` (M values in [0, V)) -> [M, H]; gradient by scatter-add. */
export function embeddingLookup(table: tf.Tensor2D, ids: Int32Array): tf.Tensor2D {
  const vocab = table.shape[0];
  const idsT = tf.tensor1d(ids, 'int32');
  const op = tf.customGrad((t, save) => {
    (save as tf.GradSaveFunc)([idsT]);
    return {
      value: tf.gather(t as tf.Tensor2D, idsT), // [M, H]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => scatterRowsAdd(dy as tf.Tensor2D, saved[0] as tf.Tensor1D, ids, vocab),
    };
  });
  return op(table) as tf.Tensor2D;
}

/** Inputs of one encoder forward: N sequences padded to T. */
export interface EncoderInput {
  n: number;
  t: number;
  /** Token ids, row-major [N, T]. */
  ids: Int32Array;
  /** Segment ids [N, T]; null means all zeros (no lookup needed). */
  typeIds: Int32Array | null;
  /** Additive attention bias, float32 [N, 1, 1, T]: 0 on tokens, -1e4 on padding. */
  attentionBias: tf.Tensor4D;
}

export interface EncoderOutput {
  /** Embedding output h^0: [N, T, H] (not a layer, algorithms.md section 1). */
  embeddings: tf.Tensor3D;
  /** h^1 .. h^L: [N, T, H] each. */
  hidden: tf.Tensor3D[];
}

export interface ForwardOptions {
  training: boolean;
  /** Stream the dropout masks are drawn from (used only when training). */
  rng?: Rng;
}

const fallbackRng = new Rng(0);

/**
 * Inverted dropout: x * mask, mask = 1/(1 - rate) with probability 1 - rate, else 0.
 * The mask is drawn in JS from the model's seeded stream and uploaded once: tfjs's own
 * tf.dropout also draws its uniforms on the CPU, then spends three more kernels (add,
 * floor, div) turning them into the mask; here it is one upload and one multiply.
 * x: any shape -> same shape.
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, rng: Rng): T {
  if (rate <= 0) return x;
  return tf.mul(x, dropoutMask(x.shape, rate, rng));
}

/** dropout's multipliers for a tensor of `shape`: 1/(1 - rate) or 0, drawn from `rng` in order. */
export function dropoutMask(shape: number[], rate: number, rng: Rng): tf.Tensor {
  const keep = 1 - rate;
  const scale = 1 / keep;
  const mask = new Float32Array(shape.reduce((a, b) => a * b, 1));
  rng.fillDropout(mask, keep, scale);
  return tf.tensor(mask, shape, 'float32');
}

/** The additive attention bias from a 0/1 mask laid out [N, T]: float32 [N, 1, 1, T]. */
export function attentionBiasData(mask: ArrayLike<number>): Float32Array {
  const out = new Float32Array(mask.length);
  // -1e4 (not -inf, not float32 min): exp underflows to exactly 0 in float32, and the
  // value stays finite on half-float WebGL textures.
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] > 0 ? 0 : -1e4;
  return out;
}

/** A view of the model's variables for one encoder, looked up by HF name once. */
interface Block {
  q: [tf.Variable, tf.Variable];
  k: [tf.Variable, tf.Variable];
  v: [tf.Variable, tf.Variable];
  ao: [tf.Variable, tf.Variable];
  aln: [tf.Variable, tf.Variable];
  i: [tf.Variable, tf.Variable];
  o: [tf.Variable, tf.Variable];
  oln: [tf.Variable, tf.Variable];
}

export class BertEncoder {
  private readonly word: tf.Variable;
  private readonly pos: tf.Variable;
  private readonly type: tf.Variable;
  private readonly eln: [tf.Variable, tf.Variable];
  private readonly blocks: Block[] = [];

  /** `get(name)` returns the variable of an HF name (with this encoder's prefix applied). */
  constructor(
    readonly cfg: ModelConfig,
    get: (name: string) => tf.Variable,
  ) {
    const pair = (n: string): [tf.Variable, tf.Variable] => [get(`${n}.weight`), get(`${n}.bias`)];
    this.word = get('embeddings.word_embeddings.weight');
    this.pos = get('embeddings.position_embeddings.weight');
    this.type = get('embeddings.token_type_embeddings.weight');
    this.eln = pair('embeddings.LayerNorm');
    for (let l = 0; l < cfg.layers; l++) {
      const p = `encoder.layer.${l}.`;
      this.blocks.push({
        q: pair(`${p}attention.self.query`),
        k: pair(`${p}attention.self.key`),
        v: pair(`${p}attention.self.value`),
        ao: pair(`${p}attention.output.dense`),
        aln: pair(`${p}attention.output.LayerNorm`),
        i: pair(`${p}intermediate.dense`),
        o: pair(`${p}output.dense`),
        oln: pair(`${p}output.LayerNorm`),
      });
    }
  }

  /** ids: [N, T] -> { embeddings: [N, T, H], hidden: L x [N, T, H] }. No tidy: callers own it. */
  forward(input: EncoderInput, opts: ForwardOptions): EncoderOutput {
    const cfg = this.cfg;
    const N = input.n;
    const T = input.t;
    const H = cfg.hidden;
    const nh = cfg.heads;
    const dh = H / nh;
    if (T > cfg.maxPositions) {
      throw new RangeError(`sequence length ${T} exceeds maxPositions ${cfg.maxPositions}`);
    }
    const drop = (x: tf.Tensor2D, rate: number): tf.Tensor2D =>
      opts.training && rate > 0 ? dropout(x, rate, opts.rng ?? fallbackRng) : x;
    const dropHidden = (x: tf.Tensor2D) => drop(x, cfg.dropout.hidden);
    const eps = cfg.layerNormEps;

    // Embeddings. word: [N*T, H]; position rows 0..T-1: [T, H] broadcast over N.
    const word = embeddingLookup(this.word as tf.Tensor2D, input.ids); // [N*T, H]
    const pos = tf.slice(this.pos as tf.Tensor2D, [0, 0], [T, H]); // [T, H]
    let e3 = tf.add(tf.reshape(word, [N, T, H]), pos); // [N, T, H]
    if (input.typeIds) {
      const typ = embeddingLookup(this.type as tf.Tensor2D, input.typeIds); // [N*T, H]
      e3 = tf.add(e3, tf.reshape(typ, [N, T, H]));
    } else {
      e3 = tf.add(e3, tf.slice(this.type as tf.Tensor2D, [0, 0], [1, H])); // row 0: [1, H]
    }
    let x = layerNorm(tf.reshape<tf.Rank.R2>(e3, [N * T, H]), this.eln[0] as tf.Tensor1D, this.eln[1] as tf.Tensor1D, eps);
    x = dropHidden(x); // [N*T, H]
    const embeddings = tf.reshape<tf.Rank.R3>(x, [N, T, H]);

    const hidden: tf.Tensor3D[] = [];
    const scale = 1 / Math.sqrt(dh);
    // [N*T, H] -> [N, nh, T, dh]
    const heads = (t: tf.Tensor2D) => tf.transpose(tf.reshape(t, [N, T, nh, dh]), [0, 2, 1, 3]);
    const fused = fusedKernelsActive();
    const mask = (shape: number[], rate: number): tf.Tensor | null =>
      opts.training && rate > 0 ? dropoutMask(shape, rate, opts.rng ?? fallbackRng) : null;
    for (const b of this.blocks) {
      if (fused) {
        // The same math in five fused kernels (src/core/kernels), dropout masks drawn in the
        // same order: attention probabilities, attention output, feed-forward output.
        const w2 = (p: [tf.Variable, tf.Variable]) => [p[0] as tf.Tensor2D, p[1] as tf.Tensor1D] as const;
        const g2 = (p: [tf.Variable, tf.Variable]) => [p[0] as tf.Tensor1D, p[1] as tf.Tensor1D] as const;
        const [wq, bq] = w2(b.q);
        const [wk, bk] = w2(b.k);
        const [wv, bv] = w2(b.v);
        const pMask = mask([N, nh, T, T], cfg.dropout.attention);
        const ctx = fusedSelfAttention(x, { wq, bq, wk, bk, wv, bv }, input.attentionBias, pMask, nh, T, scale); // [N*T, H]
        const attn = fusedDense(ctx, ...w2(b.ao)); // [N*T, H]
        const a = fusedLayerNorm(attn, x, mask([N * T, H], cfg.dropout.hidden), ...g2(b.aln), eps); // LN(drop(attn) + x)
        const inter = fusedDenseGelu(a, ...w2(b.i)); // [N*T, F]
        const out = fusedDense(inter, ...w2(b.o)); // [N*T, H]
        x = fusedLayerNorm(out, a, mask([N * T, H], cfg.dropout.hidden), ...g2(b.oln), eps); // LN(drop(out) + a)
        hidden.push(tf.reshape<tf.Rank.R3>(x, [N, T, H]));
        continue;
      }
      // Self-attention. The 1/sqrt(dh) scale goes on q ([N*T, H]), cheaper than on scores.
      const q = heads(tf.mul(linear(x, b.q[0] as tf.Tensor2D, b.q[1] as tf.Tensor1D), scale)); // [N, nh, T, dh]
      const k = heads(linear(x, b.k[0] as tf.Tensor2D, b.k[1] as tf.Tensor1D)); // [N, nh, T, dh]
      const v = heads(linear(x, b.v[0] as tf.Tensor2D, b.v[1] as tf.Tensor1D)); // [N, nh, T, dh]
      const scores = tf.add(tf.matMul(q, k, false, true), input.attentionBias); // [N, nh, T, T]
      let probs = tf.softmax(scores); // [N, nh, T, T] over keys
      if (opts.training && cfg.dropout.attention > 0) {
        probs = dropout(probs, cfg.dropout.attention, opts.rng ?? fallbackRng);
      }
      const ctx = tf.reshape<tf.Rank.R2>(tf.transpose(tf.matMul(probs, v), [0, 2, 1, 3]), [N * T, H]); // [N*T, H]
      const attn = dropHidden(linear(ctx, b.ao[0] as tf.Tensor2D, b.ao[1] as tf.Tensor1D)); // [N*T, H]
      const a = layerNorm(tf.add(attn, x), b.aln[0] as tf.Tensor1D, b.aln[1] as tf.Tensor1D, eps); // [N*T, H]
      // Feed-forward.
      const inter = gelu(linear(a, b.i[0] as tf.Tensor2D, b.i[1] as tf.Tensor1D)); // [N*T, F]
      const out = dropHidden(linear(inter, b.o[0] as tf.Tensor2D, b.o[1] as tf.Tensor1D)); // [N*T, H]
      x = layerNorm(tf.add(out, a), b.oln[0] as tf.Tensor1D, b.oln[1] as tf.Tensor1D, eps); // [N*T, H]
      hidden.push(tf.reshape<tf.Rank.R3>(x, [N, T, H]));
    }
    return { embeddings, hidden };
  }
}

/** h: [N, T, H] -> the [CLS] (first position) vectors [N, H]. */
export function clsOf(h: tf.Tensor3D): tf.Tensor2D {
  const [N, , H] = h.shape;
  return tf.reshape<tf.Rank.R2>(tf.slice(h, [0, 0, 0], [N, 1, H]), [N, H]);
}
