// The standard workloads of benchmark.md as numbers: batch shapes per scale, the model
// configs, and the analytic FLOP and token counts of one step. Pure: no tensors here.
//
//   workload  student                    teacher                       B x G   Lq / Lp
//   lead-de   DE 2L, H 64, 2 heads, F 256  DE 4L, H 128, 4 heads, F 512  16 x 4  16 / 64
//   prod-ce   same student                 CE 4L, H 128, 4 heads, F 512  16 x 4  16 / 64, pairs of 80
//   encode    same student                 none                          512 passages of Lp, then
//                                                                        top-100 of 300 queries over 10,000 vectors
// `small` (for software adapters): B = 8, G = 2, Lp = 32, vocabulary 2000; all else as `full`.

import { flopsPerForward, trainingStepFlops, validateModelConfig, type ModelConfig, type ModelConfigInput } from '../model/config';

export type WorkloadName = 'lead-de' | 'prod-ce' | 'encode';
export const WORKLOADS: readonly WorkloadName[] = ['lead-de', 'prod-ce', 'encode'];

export type BenchScale = 'full' | 'small';
export const SCALES: readonly BenchScale[] = ['full', 'small'];

export function isWorkloadName(x: unknown): x is WorkloadName {
  return typeof x === 'string' && (WORKLOADS as readonly string[]).includes(x);
}

export function isBenchScale(x: unknown): x is BenchScale {
  return typeof x === 'string' && (SCALES as readonly string[]).includes(x);
}

export interface BenchShape {
  scale: BenchScale;
  /** Queries per batch. */
  B: number;
  /** Passages per query (positive + negatives). */
  G: number;
  /** Passages per batch, B * G. */
  P: number;
  /** Query and passage lengths in tokens ([CLS] and [SEP] included). */
  Lq: number;
  Lp: number;
  /** CE pair length `[CLS] q [SEP] p [SEP]` (80 at both scales, as the PyTorch anchor). */
  pairLen: number;
  /** Vocabulary of each tokenizer (student and teacher draw their own ids). */
  vocab: number;
  /** encode: passages encoded per step, in forward chunks of encodeBatch (the lab's default 128). */
  encodePassages: number;
  encodeBatch: number;
  /** encode: exact top-k of searchQueries query vectors over searchCorpus passage vectors. */
  searchQueries: number;
  searchCorpus: number;
  searchK: number;
}

export function benchShape(scale: BenchScale): BenchShape {
  const full = scale === 'full';
  const B = full ? 16 : 8;
  const G = full ? 4 : 2;
  return {
    scale,
    B,
    G,
    P: B * G,
    Lq: 16,
    Lp: full ? 64 : 32,
    pairLen: 80,
    vocab: full ? 8000 : 2000,
    encodePassages: 512,
    encodeBatch: 128,
    searchQueries: 300,
    searchCorpus: 10_000,
    searchK: 100,
  };
}

/** The student of every workload: DE, 2 layers, hidden 64, 2 heads, FFN 256. */
export function studentConfig(s: BenchShape): ModelConfig {
  return validateModelConfig({
    kind: 'de', layers: 2, hidden: 64, heads: 2, ffn: 256, vocabSize: s.vocab,
    maxQueryLen: s.Lq, maxPassageLen: s.Lp, initSeed: 1,
  } satisfies ModelConfigInput);
}

/** lead-de's teacher: DE, 4 layers, hidden 128, 4 heads, FFN 512 (its own vocabulary). */
export function teacherDeConfig(s: BenchShape): ModelConfig {
  return validateModelConfig({
    kind: 'de', layers: 4, hidden: 128, heads: 4, ffn: 512, vocabSize: s.vocab,
    maxQueryLen: s.Lq, maxPassageLen: s.Lp, initSeed: 2,
  } satisfies ModelConfigInput);
}

/** prod-ce's teacher: CE, 4 layers, hidden 128, 4 heads, FFN 512, pairs of pairLen tokens. */
export function teacherCeConfig(s: BenchShape): ModelConfig {
  return validateModelConfig({
    kind: 'ce', layers: 4, hidden: 128, heads: 4, ffn: 512, vocabSize: s.vocab,
    maxQueryLen: s.Lq, maxPassageLen: s.Lp, maxPairLen: s.pairLen, initSeed: 3,
  } satisfies ModelConfigInput);
}

/** Tokens one step reads (benchmark.md): queries B * Lq plus passages P * Lp; encode: its passages. */
export function workloadTokens(w: WorkloadName, scale: BenchScale): number {
  const s = benchShape(scale);
  return w === 'encode' ? s.encodePassages * s.Lp : s.B * s.Lq + s.P * s.Lp;
}

/** Analytic FLOPs of one step, split by part (benchmark.md: multiply-add = 2, embeddings 0). */
export function workloadFlopParts(w: WorkloadName, scale: BenchScale): Record<string, number> {
  const s = benchShape(scale);
  const student = studentConfig(s);
  const shape = { batchSize: s.B, groupSize: s.G, queryLen: s.Lq, passageLen: s.Lp };
  switch (w) {
    case 'lead-de':
      // Both models updated (joint): forward x 3 each.
      return {
        student: trainingStepFlops(student, { ...shape, updated: true }),
        teacher: trainingStepFlops(teacherDeConfig(s), { ...shape, updated: true }),
      };
    case 'prod-ce':
      // Frozen CE teacher and frozen student copy: forward x 1; the student: x 3.
      return {
        teacher: trainingStepFlops(teacherCeConfig(s), { ...shape, pairLen: s.pairLen, updated: false }),
        previous: trainingStepFlops(student, { ...shape, updated: false }),
        student: trainingStepFlops(student, { ...shape, updated: true }),
      };
    case 'encode':
      return {
        encode: flopsPerForward(student, s.encodePassages * s.Lp, s.Lp),
        // The search's [Q, H] x [H, N] score matrix; the top-k selection counts zero.
        search: 2 * s.searchQueries * s.searchCorpus * student.hidden,
      };
  }
}

export function workloadFlops(w: WorkloadName, scale: BenchScale): number {
  return Object.values(workloadFlopParts(w, scale)).reduce((a, b) => a + b, 0);
}
