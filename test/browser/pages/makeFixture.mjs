// Generates fixture-events.json: SYNTHETIC TrainEvents in the shape of src/core/train/events.ts,
// for the view tests (test/browser/ui.test.mjs via views.html). Nothing here comes from a real
// training run; the curves only look plausible. Deterministic (seeded): rerun with
//   node test/browser/pages/makeFixture.mjs
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const r4 = (x) => Math.round(x * 1e4) / 1e4;
const r6 = (x) => Number(x.toPrecision(6));
const softmax6 = (xs) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => r6(x / s));
};
const softmax = (xs) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => r4(x / s));
};
const lrAt = (step, total, peak) => {
  const warm = Math.max(1, Math.round(total * 0.1));
  return r6(step <= warm ? (peak * step) / warm : (peak * (total - step)) / (total - warm));
};
const metrics = (base, rand) => ({
  'mrr@10': r4(base + (rand() - 0.5) * 0.01),
  'ndcg@10': r4(base * 1.08 + (rand() - 0.5) * 0.01),
  'recall@10': r4(Math.min(1, base * 1.5 + (rand() - 0.5) * 0.01)),
  'recall@100': r4(Math.min(1, base * 1.9 + (rand() - 0.5) * 0.01)),
  map: r4(base * 0.95),
  queries: 300,
});
const sortedSample = (rand, n, k) => {
  const all = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [all[i], all[j]] = [all[j], all[i]];
  }
  return all.slice(0, k).sort((a, b) => a - b);
};

const QUERIES = [
  ['q12', 'which river runs through the capital of Veltria'],
  ['q31', 'what metal is the Orsk bridge made of'],
  ['q47', 'who founded the guild of glassmakers in Tamsin'],
  ['q58', 'how tall is the lighthouse at Brenn point'],
  ['q63', 'what colour are the roofs of Kallo village'],
  ['q77', 'when did the Harrow mine close'],
];

/** Contrastive training of one model alone. */
// Candidates per query of the student's NLL (StepEvent.candidates): 16 queries x (1 positive + 1
// hard negative) in-batch for the DE phases, a cross-encoder's group of 8 in PROD's CE stages.
const IN_BATCH = 32;
const CE_GROUP = 8;

function contrastivePhase(ev, rand, { phase, title, role, steps, start, end, evalBase, evalGain }) {
  ev.push({ type: 'phase', phase, title, totalSteps: steps });
  for (let s = 5; s <= steps; s += 5) {
    const f = s / steps;
    const nll = start * Math.exp(-2.2 * f) + end + (rand() - 0.5) * 0.08;
    ev.push({ type: 'step', phase, step: s, totalSteps: steps, lr: lrAt(s, steps, 5e-4), losses: { total: r4(nll), nll: r4(nll) }, trainAcc: { [role]: r4(Math.min(1, 0.2 + 0.7 * f + (rand() - 0.5) * 0.1)) }, gradNorm: r4(2.5 * Math.exp(-f) + rand() * 0.3), candidates: IN_BATCH });
    if (s % 50 === 0) ev.push({ type: 'eval', phase, step: s, role, split: 'dev', metrics: metrics(evalBase + evalGain * (1 - Math.exp(-3 * f)), rand) });
    if (s % 100 === 0) ev.push({ type: 'checkpoint', phase, step: s });
  }
  ev.push({ type: 'eval', phase, step: steps, role, split: 'test', metrics: metrics(evalBase + evalGain * 0.95, rand) });
}

function leadRun() {
  const rand = rng(1);
  const ev = [];
  const Lt = 6;
  const Ls = 3;
  contrastivePhase(ev, rand, { phase: 'teacher', title: 'Train the teacher (DE 6 x 128)', role: 'teacher', steps: 200, start: 2.2, end: 0.35, evalBase: 0.2, evalGain: 0.38 });
  contrastivePhase(ev, rand, { phase: 'student:baseline', title: 'Train the student alone (DE 3 x 64)', role: 'student', steps: 200, start: 2.3, end: 0.7, evalBase: 0.15, evalGain: 0.24 });
  const phase = 'lead';
  const steps = 300;
  ev.push({ type: 'phase', phase, title: 'LEAD: distil the teacher into the student', totalSteps: steps });
  let pairs = [];
  for (let s = 5; s <= steps; s += 5) {
    const f = s / steps;
    if ((s - 5) % 10 === 0) {
      const st = sortedSample(rand, Ls, 2);
      const tt = sortedSample(rand, Lt, 2);
      pairs = st.map((a, j) => [a, tt[j]]);
    }
    // lambda = softmax(-NLL_t(layer) / 10): deeper teacher layers rank better (3.4).
    const nllT = pairs.map(([, t]) => 2.4 - 0.3 * t - 0.4 * f);
    const weights = softmax(nllT.map((x) => -x / 0.5));
    const nll = 1.3 * Math.exp(-1.8 * f) + 0.45 + (rand() - 0.5) * 0.06;
    const response = 0.9 * Math.exp(-2.5 * f) + 0.12 + (rand() - 0.5) * 0.04;
    const layer = 1.6 * Math.exp(-2 * f) + 0.25 + (rand() - 0.5) * 0.05;
    const teacherNll = 0.4 + 0.05 * Math.exp(-f) + (rand() - 0.5) * 0.03;
    ev.push({
      type: 'step', phase, step: s, totalSteps: steps, lr: lrAt(s, steps, 5e-4),
      losses: { total: r4(nll + response + layer + teacherNll), nll: r4(nll), response: r4(response), layer: r4(layer), teacher_nll: r4(teacherNll) },
      trainAcc: { student: r4(Math.min(1, 0.55 + 0.35 * f + (rand() - 0.5) * 0.08)), teacher: r4(Math.min(1, 0.86 + 0.05 * f + (rand() - 0.5) * 0.04)) },
      gradNorm: r4(1.5 * Math.exp(-f) + rand() * 0.2),
      layerPairs: pairs, layerWeights: weights, candidates: IN_BATCH,
    });
    if (s % 50 === 0) {
      ev.push({ type: 'eval', phase, step: s, role: 'student', split: 'dev', metrics: metrics(0.37 + 0.1 * (1 - Math.exp(-3 * f)), rand) });
      ev.push({ type: 'eval', phase, step: s, role: 'teacher', split: 'dev', metrics: metrics(0.57 + 0.02 * f, rand) });
      const kl = Array.from({ length: Lt }, (_, t) =>
        Array.from({ length: Ls }, (_, a) => r4((0.15 + 1.4 * Math.abs(t / (Lt - 1) - a / (Ls - 1))) * (0.4 + 0.6 * Math.exp(-2 * f)) + 0.05 + rand() * 0.05)),
      );
      ev.push({ type: 'layerKL', phase, step: s, kl, selected: pairs });
      for (const [qid, query] of QUERIES) {
        const qr = rng(qid.length * 97 + Number(qid.slice(1)));
        const rel = Math.floor(qr() * 8);
        const noise = Array.from({ length: 8 }, () => qr() * 1.5);
        const cand = Array.from({ length: 8 }, (_, i) => ({ docId: `${qid}-d${i}`, title: i === rel ? `Passage answering “${query}”` : `Distractor passage ${i + 1} about a similar entity`, relevant: i === rel }));
        const dist = (L, sharp, tau) => Array.from({ length: L }, (_, l) => softmax(noise.map((n, i) => (n + (i === rel ? sharp * (l + 1) / L : 0)) / tau)));
        ev.push({ type: 'distribution', phase, step: s, qid, query, candidates: cand, teacher: dist(Lt, 4.5, 1), student: dist(Ls, 1 + 3 * f, 1), tau: 1 });
      }
    }
    if (s % 100 === 0) ev.push({ type: 'checkpoint', phase, step: s });
  }
  ev.push({ type: 'eval', phase, step: steps, role: 'student', split: 'test', metrics: metrics(0.46, rand) });
  ev.push({ type: 'eval', phase, step: steps, role: 'teacher', split: 'test', metrics: metrics(0.58, rand) });
  // Embeddings: 4 topics, each with queries and passages; the student's map is noisier and rotated.
  const points = [];
  for (let i = 0; i < 40; i++) {
    const topic = i % 4;
    const cx = Math.cos((topic * Math.PI) / 2) * 3;
    const cy = Math.sin((topic * Math.PI) / 2) * 3;
    const kind = i < 16 ? 'query' : 'passage';
    const id = `${kind === 'query' ? 'q' : 'd'}${i}`;
    const label = `${kind === 'query' ? 'query' : 'passage'} about topic ${topic + 1} (#${i})`;
    const tx = cx + (rand() - 0.5) * 1.2;
    const ty = cy + (rand() - 0.5) * 1.2;
    points.push({ id, label, kind, role: 'teacher', x: r4(tx), y: r4(ty) });
    points.push({ id, label, kind, role: 'student', x: r4(-ty * 0.9 + (rand() - 0.5) * 2), y: r4(tx * 0.9 + (rand() - 0.5) * 2) });
  }
  ev.push({ type: 'embeddings', method: 'PCA of the [CLS] vectors', points });
  return ev;
}

function prodRun() {
  const rand = rng(2);
  const ev = [];
  contrastivePhase(ev, rand, { phase: 'teacher', title: 'Train the teachers (DE 6 x 128, CE 4 x 128)', role: 'teacher', steps: 150, start: 2.2, end: 0.35, evalBase: 0.2, evalGain: 0.4 });
  const stages = [
    { id: 'prod:stage1', title: 'PROD stage 1 of 3: distil the DE teacher', teacher: 'DE 6 x 128', steps: 200, lwf: false, base: 0.36 },
    { id: 'prod:stage2', title: 'PROD stage 2 of 3: distil the CE teacher', teacher: 'CE 4 x 128', steps: 200, lwf: true, base: 0.43 },
    { id: 'prod:dp', title: 'PROD stage 3 of 3: data-progressive', teacher: 'CE 4 x 128', steps: 100, lwf: true, base: 0.47 },
  ];
  stages.forEach((st, k) => {
    if (st.id === 'prod:dp') {
      const pts = [];
      for (let i = 0; i < 400; i++) {
        const studentRank = Math.max(1, Math.round(Math.exp(rand() * Math.log(200))));
        const teacherRank = rand() < 0.6 ? 1 : Math.max(1, Math.round(Math.exp(rand() * Math.log(60))));
        pts.push({ qid: `t${i}`, studentRank, teacherRank, selected: studentRank >= 2 && studentRank <= 15 && teacherRank <= 1 });
      }
      ev.push({ type: 'rankScatter', points: pts, window: { rankLow: 2, rankHigh: 15, teacherRank: 1 } });
    }
    ev.push({ type: 'phase', phase: st.id, title: st.title, totalSteps: st.steps });
    for (let s = 5; s <= st.steps; s += 5) {
      const f = s / st.steps;
      const nll = 1.1 * Math.exp(-1.5 * f) + 0.5 - 0.1 * k + (rand() - 0.5) * 0.05;
      const kd = 2.4 * Math.exp(-2 * f) + 0.6 + (rand() - 0.5) * 0.1;
      const losses = { nll: r4(nll), kd: r4(kd) };
      let drift;
      if (st.lwf) {
        drift = 0.06 * (1 - Math.exp(-4 * f)) + rand() * 0.004;
        losses.lwf = r4(16 * drift);
      }
      losses.total = r4(0.1 * nll + 0.9 * kd + (losses.lwf ?? 0));
      const e = { type: 'step', phase: st.id, step: s, totalSteps: st.steps, lr: lrAt(s, st.steps, st.id === 'prod:dp' ? 1e-4 : 5e-4), losses, trainAcc: { student: r4(0.5 + 0.3 * f + 0.05 * k), teacher: r4(0.9) }, candidates: st.teacher.startsWith('CE') ? CE_GROUP : IN_BATCH };
      if (drift !== undefined) e.lwfDrift = r4(drift);
      ev.push(e);
      if (s % 50 === 0) ev.push({ type: 'eval', phase: st.id, step: s, role: 'student', split: 'dev', metrics: metrics(st.base - 0.03 + 0.04 * f, rand) });
    }
    ev.push({ type: 'stage', stage: k + 1, title: st.title, teacher: st.teacher, metrics: metrics(st.base + 0.01, rand), examples: st.id === 'prod:dp' ? 61 : 809 });
  });
  // Training health (src/core/train/health.ts): a divergence in the last stage, and the
  // trainer's recovery from it (no random draws: the events above are unchanged).
  ev.push({
    type: 'health', phase: 'prod:dp', step: 60, kind: 'divergence', title: 'loss 9.41 > 5x its running median 1.52',
    explanation: 'The loss jumped to 9.41, more than 5x its running median 1.52: an update was too large and training blew up. The trainer goes back to the last healthy state and continues at half the learning rate. If it recurs: lower the learning rate, lengthen the warm-up, keep gradient clipping on (clipNorm 1).',
    numbers: { loss: 9.41, median: 1.52, threshold: 7.6 },
  });
  ev.push({
    type: 'health', phase: 'prod:dp', step: 60, kind: 'recovery', title: 'restored step 54, learning rate x0.5',
    explanation: 'Restored the weights, optimiser and batch order as they were after step 54; training continues from there at 0.5x the configured learning rate (recovery 1 of 3).',
    numbers: { restoredTo: 54, lrScale: 0.5, attempt: 1 },
  });
  return ev;
}

/**
 * A LEAD run whose student has collapsed: every student layer scores all candidates alike, so
 * its NLL sits at chance (ln 32) and its layer distributions are uniform; the teacher is barely
 * trained (its layers near uniform too), so every layer KL is under 0.0005 while the cells differ.
 * No random draws: the other runs are unchanged.
 */
function collapsedRun() {
  const ev = [];
  const Lt = 6;
  const Ls = 3;
  const N = 8;
  const phase = 'lead';
  const steps = 60;
  const chance = Math.log(IN_BATCH);
  ev.push({ type: 'phase', phase, title: 'LEAD: distil the teacher into the student (collapsed student)', totalSteps: steps });
  const pairs = [[0, 2], [2, 5]];
  for (let s = 5; s <= steps; s += 5) {
    const nll = chance - 0.0004 * Math.cos(s);
    const response = 0.0009 + 0.0001 * Math.sin(s);
    const layer = 0.0004 + 0.0001 * Math.cos(s / 2);
    ev.push({
      type: 'step', phase, step: s, totalSteps: steps, lr: lrAt(s, steps, 5e-4),
      losses: { total: r6(nll + response + layer), nll: r6(nll), response: r6(response), layer: r6(layer) },
      trainAcc: { student: r4(1 / IN_BATCH), teacher: r4(0.08) }, gradNorm: r6(1e-6), layerPairs: pairs, layerWeights: [0.5, 0.5], candidates: IN_BATCH,
    });
  }
  ev.push({
    type: 'health', phase, step: 30, kind: 'collapse', title: `NLL ${chance.toFixed(2)} within 2% of ln ${IN_BATCH} = ${chance.toFixed(2)} for 6 logged steps`,
    explanation: `The model gives every candidate (almost) the same score: its loss sits at ln ${IN_BATCH} = ${chance.toFixed(2)}, the loss of a blind guess among ${IN_BATCH} candidates. Try a lower learning rate or a longer warm-up.`,
    numbers: { nll: r6(chance), lnN: r6(chance), candidates: IN_BATCH, logSteps: 6 },
  });
  const uniform = Array.from({ length: N }, () => r6(1 / N));
  const dists = QUERIES.map(([qid, query], qi) => {
    const noise = Array.from({ length: N }, (_, i) => ((i * 7 + qi * 3) % N) / (N - 1) * 1.5);
    // Teacher layer t: softmax(a_t * noise), a_t small: near uniform, a little sharper with depth.
    const teacher = Array.from({ length: Lt }, (_, t) => softmax6(noise.map((n) => n * (0.025 + 0.0075 * t))));
    const student = Array.from({ length: Ls }, () => uniform);
    const cand = Array.from({ length: N }, (_, i) => ({ docId: `${qid}-d${i}`, title: i === 0 ? `Passage answering “${query}”` : `Distractor passage ${i + 1} about a similar entity`, relevant: i === 0 }));
    return { type: 'distribution', phase, step: steps, qid, query, candidates: cand, teacher, student, tau: 1 };
  });
  const kl = (p, q) => p.reduce((a, pi, i) => a + (pi > 0 ? pi * Math.log(pi / q[i]) : 0), 0);
  const matrix = Array.from({ length: Lt }, (_, t) =>
    Array.from({ length: Ls }, (_, a) => r6(dists.reduce((acc, d) => acc + kl(d.teacher[t], d.student[a]), 0) / dists.length)),
  );
  ev.push({ type: 'layerKL', phase, step: steps, kl: matrix, selected: pairs });
  ev.push(...dists);
  return ev;
}

/** Small runs for Compare: dev curves, total loss, and per-query test values. */
function compareRuns() {
  const groups = [
    { group: 'student alone', base: 0.4 },
    { group: 'response KD', base: 0.43 },
    { group: 'LEAD', base: 0.47 },
  ];
  const qids = Array.from({ length: 120 }, (_, i) => `q${i + 1}`);
  const hardness = qids.map((_, i) => rng(1000 + i)());
  const out = [];
  for (const g of groups) {
    for (const seed of [1, 2, 3]) {
      const rand = rng(seed * 31 + Math.round(g.base * 1000));
      const ev = [{ type: 'phase', phase: 'student', title: g.group, totalSteps: 300 }];
      for (let s = 10; s <= 300; s += 10) {
        const f = s / 300;
        ev.push({ type: 'step', phase: 'student', step: s, totalSteps: 300, lr: lrAt(s, 300, 5e-4), losses: { total: r4(2 * Math.exp(-2 * f) + 0.6 - g.base + (rand() - 0.5) * 0.05) }, trainAcc: { student: r4(0.3 + 0.6 * f) }, candidates: IN_BATCH });
        if (s % 50 === 0) ev.push({ type: 'eval', phase: 'student', step: s, role: 'student', split: 'dev', metrics: metrics(g.base * (0.6 + 0.4 * (1 - Math.exp(-3 * f))) + (rand() - 0.5) * 0.01, rand) });
      }
      const ndcg = {};
      const mrr = {};
      qids.forEach((q, i) => {
        // Distillation fixes some queries outright: a better group clears more of the hard ones.
        const solved = hardness[i] < g.base + 0.15 + (rand() - 0.5) * 0.1;
        const v = solved ? 0.6 + rand() * 0.4 : rand() * 0.35;
        ndcg[q] = r4(v);
        mrr[q] = r4(Math.min(1, v * 1.05));
      });
      const mean = (o) => r4(Object.values(o).reduce((a, b) => a + b, 0) / qids.length);
      ev.push({ type: 'eval', phase: 'student', step: 300, role: 'student', split: 'test', metrics: { ...metrics(g.base, rand), 'ndcg@10': mean(ndcg), 'mrr@10': mean(mrr) } });
      out.push({ id: `${g.group}-s${seed}`, name: `${g.group}, seed ${seed}`, group: g.group, seed, events: ev, perQuery: { 'ndcg@10': ndcg, 'mrr@10': mrr } });
    }
  }
  return { runs: out, queries: Object.fromEntries(qids.map((q, i) => [q, `fixture test query ${i + 1}`])) };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = {
  _fixture: 'FIXTURE: synthetic TrainEvents (shape of src/core/train/events.ts) generated by test/browser/pages/makeFixture.mjs for the view tests. Not the output of a real training run.',
  lead: { id: 'fixture-lead', name: 'LEAD demo (fixture)', events: leadRun() },
  prod: { id: 'fixture-prod', name: 'PROD demo (fixture)', events: prodRun() },
  collapsed: { id: 'fixture-collapsed', name: 'Collapsed student (fixture)', events: collapsedRun() },
  compare: compareRuns(),
};
writeFileSync(path.join(here, 'fixture-events.json'), JSON.stringify(fixture) + '\n');
console.log(`fixture: ${fixture.lead.events.length} LEAD events, ${fixture.prod.events.length} PROD events, ${fixture.collapsed.events.length} collapsed-run events, ${fixture.compare.runs.length} compare runs`);
