// Looks inside the models for the views, on a fixed probe batch (no gradients, read back
// asynchronously): the teacher-layer x student-layer KL matrix, one query's candidate
// distributions layer by layer (with the temperature applied as the loss applies it), and a
// 2-D projection of teacher and student embeddings linked by item.
import * as tf from '@tensorflow/tfjs';
import { alignScores, klBatchmean } from '../distill/losses';
import type { RetrievalModel } from '../model/retriever';
import type { Batch } from './examples';
import type { DistributionEvent, EmbeddingEvent, LayerKLEvent } from './events';

/**
 * KL(softmax(S_t^b / tau) || softmax(S_s^a)) for every teacher layer b and student layer a
 * (formula 3.4's KL_j, for all pairs, not just the selected ones), and query 0's
 * distributions over its own group of candidates.
 * -> kl: [Lt][Ls], teacher: [Lt][G], student: [Ls][G]
 */
export async function layerProbe(
  student: RetrievalModel,
  teacher: RetrievalModel,
  batch: Batch,
  tau: number,
): Promise<{ kl: number[][]; teacher: number[][]; student: number[][] }> {
  const G = batch.groupSize;
  const out = tf.tidy(() => {
    const s = student.scores(batch.queries, batch.passages, G, { training: false });
    const t = teacher.scores(batch.queries, batch.passages, G, { training: false });
    const rows: tf.Tensor[] = [];
    for (const tl of t.layers) {
      const kls = s.layers.map((sl) => {
        const [ta, sa] = alignScores(tl, sl, G);
        return klBatchmean(tf.div(ta, tau), sa);
      });
      rows.push(tf.stack(kls)); // [Ls]
    }
    // Query 0 over its own candidates: the first G columns (group 0), as the loss sees them.
    const groupRow = (S: tf.Tensor2D, div: number) => tf.softmax(tf.div(S.slice([0, 0], [1, G]), div)).reshape([G]);
    return {
      kl: tf.stack(rows), // [Lt, Ls]
      teacher: tf.stack(t.layers.map((l) => groupRow(l, tau))), // [Lt, G]
      student: tf.stack(s.layers.map((l) => groupRow(l, 1))), // [Ls, G]
    };
  });
  try {
    const [kl, te, st] = await Promise.all([out.kl.array(), out.teacher.array(), out.student.array()]);
    return { kl: kl as number[][], teacher: te as number[][], student: st as number[][] };
  } finally {
    tf.dispose([out.kl, out.teacher, out.student]);
  }
}

export function layerKLEvent(phase: string, step: number, kl: number[][], selected: [number, number][]): LayerKLEvent {
  return { type: 'layerKL', phase, step, kl, selected };
}

export function distributionEvent(
  phase: string,
  step: number,
  batch: Batch,
  probe: { teacher: number[][]; student: number[][] },
  docs: { id: string; title: string }[],
  relevantOf: (qid: string, doc: number) => boolean,
  tau: number,
): DistributionEvent {
  const G = batch.groupSize;
  const candidates = batch.docs.slice(0, G).map((d, j) => ({
    docId: docs[d]?.id ?? String(d),
    title: (docs[d]?.title || batch.passages[j]).slice(0, 80),
    relevant: j === 0 || relevantOf(batch.qids[0], d),
  }));
  return { type: 'distribution', phase, step, qid: batch.qids[0], query: batch.queries[0], candidates, teacher: probe.teacher, student: probe.student, tau };
}

/** Top-2 principal components of the rows of x (power iteration, deflation). x: [N][D] -> [N][2] */
export function pca2(x: number[][]): number[][] {
  const n = x.length;
  if (n === 0) return [];
  const d = x[0].length;
  const mean = new Array(d).fill(0);
  for (const r of x) for (let j = 0; j < d; j++) mean[j] += r[j] / n;
  const c = x.map((r) => r.map((v, j) => v - mean[j]));
  const comps: number[][] = [];
  for (let k = 0; k < 2; k++) {
    let v = Array.from({ length: d }, (_, j) => Math.sin(j + 1 + k)); // deterministic start
    for (let it = 0; it < 60; it++) {
      const xv = c.map((r) => r.reduce((s, a, j) => s + a * v[j], 0)); // [N]
      const w = new Array(d).fill(0);
      c.forEach((r, i) => r.forEach((a, j) => (w[j] += a * xv[i]))); // X^T X v
      for (const p of comps) {
        const dot = w.reduce((s, a, j) => s + a * p[j], 0);
        for (let j = 0; j < d; j++) w[j] -= dot * p[j];
      }
      const norm = Math.hypot(...w) || 1;
      v = w.map((a) => a / norm);
    }
    comps.push(v);
  }
  return c.map((r) => comps.map((p) => r.reduce((s, a, j) => s + a * p[j], 0)));
}

/**
 * Teacher and student embeddings of the probe batch's queries and passages, each model's
 * projected by its own PCA (the spaces differ in width), linked by item id.
 * DE models only (a CE has no separate embeddings).
 */
export async function embeddingEvent(student: RetrievalModel, teacher: RetrievalModel, batch: Batch): Promise<EmbeddingEvent | null> {
  if (student.config.kind !== 'de' || teacher.config.kind !== 'de') return null;
  const items = [
    ...batch.queries.map((t, i) => ({ id: `q:${batch.qids[i]}`, label: t, kind: 'query' as const })),
    ...batch.passages.map((t, i) => ({ id: `p:${batch.docs[i]}:${i}`, label: t.slice(0, 80), kind: 'passage' as const })),
  ];
  const points: EmbeddingEvent['points'] = [];
  for (const [role, m] of [['teacher', teacher], ['student', student]] as const) {
    const qe = m.encodeQueries(batch.queries);
    const pe = m.encodePassages(batch.passages);
    const rows = [...((await qe.vectors.array()) as number[][]), ...((await pe.vectors.array()) as number[][])];
    tf.dispose([qe.vectors, pe.vectors]);
    pca2(rows).forEach(([x, y], i) => points.push({ ...items[i], role, x, y }));
  }
  return { type: 'embeddings', method: 'PCA (each model its own), [CLS] vectors of one batch', points };
}
