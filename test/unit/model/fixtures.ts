// Tiny models and batches shared by the model tests.
import * as tf from '@tensorflow/tfjs';
import { RetrievalModel, type ModelConfigInput, type ModelKind } from '../../../src/core/model';
import { trainWordPiece } from '../../../src/core/text/tokenizer';
import type { Tokenizer } from '../../../src/core/text/tokenizerBase';

export const CORPUS = [
  'dense retrieval encodes queries and passages into vectors',
  'the teacher model distills knowledge into a small student',
  'late interaction scores every query token against passage tokens',
  'a cross encoder reads the query and the passage together',
  'layer wise distillation aligns score distributions',
  'hard negatives make contrastive training harder',
];

let tok: Tokenizer | null = null;
export function tinyTokenizer(): Tokenizer {
  tok ??= trainWordPiece(CORPUS, 90, { minFrequency: 1 }).tokenizer;
  return tok;
}

export function tinyModel(kind: ModelKind, extra: Partial<ModelConfigInput> = {}): RetrievalModel {
  const t = tinyTokenizer();
  return RetrievalModel.create(
    {
      kind,
      layers: 2,
      hidden: 8,
      heads: 2,
      ffn: 16,
      vocabSize: t.vocabSize,
      maxPositions: 40,
      maxQueryLen: 12,
      maxPassageLen: 16,
      dropout: { hidden: 0, attention: 0 },
      initializerRange: 0.4,
      initSeed: 7,
      ...extra,
    },
    t,
  );
}

/** B = 2 queries, G = 2 passages each (positive first): P = 4. */
export const QUERIES = ['dense retrieval of passages', 'teacher and student'];
export const PASSAGES = [
  'dense retrieval encodes queries',
  'hard negatives',
  'the teacher model distills knowledge into a small student',
  'late interaction',
];
export const G = 2;

/**
 * A scalar of the final AND every layer score matrix: NLL of the positives (index i*G for
 * [B, P], 0 for [B, G]) on final, plus fixed random weights on each layer's log-softmax.
 */
export function lossOf(out: { final: tf.Tensor2D; layers: tf.Tensor2D[] }): tf.Scalar {
  return tf.tidy(() => {
    const [B, C] = out.final.shape;
    const pos = Array.from({ length: B }, (_, i) => (C === B * G ? i * G : 0));
    const onehot = tf.oneHot(tf.tensor1d(pos, 'int32'), C).toFloat();
    let loss = tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(out.final)), -1))) as tf.Scalar;
    out.layers.forEach((s, l) => {
      const w = tf.tensor2d(Array.from({ length: B * C }, (_, k) => Math.sin(1 + k * 1.7 + l * 3.1)), [B, C]);
      loss = tf.add(loss, tf.mul(0.5, tf.mean(tf.mul(w, tf.logSoftmax(s))))) as tf.Scalar;
    });
    return loss;
  });
}
