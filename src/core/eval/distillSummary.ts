// What a finished experiment says about distillation, in numbers and in words: for each
// distilled student, how much it gained over the student trained alone (nDCG@10 and MRR@10),
// whether that gain is more than chance (paired randomisation test over the same test
// queries), and what fraction of the teacher-student gap it closed. The page's results table,
// its "what happened" paragraph, the CLI's results.md and the README read the same numbers.

import { permutationTest } from './significance';

/** The fields of a RunResult this summary reads (core/distill/experiment.ts RunResult). */
export interface SummaryInput {
  recipe: string;
  seed: number;
  metrics: { 'ndcg@10': number; 'mrr@10': number };
  perQuery: { qids: string[]; 'ndcg@10': number[]; 'mrr@10': number[] };
}

export interface DistillRow {
  recipe: string;
  /** nDCG@10 of this student minus the student alone's. */
  deltaNdcg: number;
  deltaMrr: number;
  /** Two-sided paired randomisation test on per-query nDCG@10 against the student alone. */
  p: number;
  /** (student - alone) / (teacher - alone) on nDCG@10; null when the teacher is not better. */
  gapRecovered: number | null;
  /** Did it beat the student alone on nDCG@10? */
  beats: boolean;
}

export interface DistillSummary {
  seed: number;
  alone: number;
  teacher: number | null;
  teacherName: string | null;
  bm25: number | null;
  rows: DistillRow[];
  /** One plain paragraph, written from the numbers above. */
  text: string;
}

const STUDENT_RECIPES = ['kd', 'lead', 'prod'];
const NAMES: Record<string, string> = { kd: 'response KD', lead: 'LEAD', prod: 'PROD' };

/** Per-query values of `a` and `b` on the queries both evaluated, in one order. */
function paired(a: SummaryInput, b: SummaryInput, metric: 'ndcg@10' | 'mrr@10'): [number[], number[]] {
  const bi = new Map(b.perQuery.qids.map((q, i) => [q, i]));
  const xa: number[] = [];
  const xb: number[] = [];
  a.perQuery.qids.forEach((q, i) => {
    const j = bi.get(q);
    if (j === undefined) return;
    xa.push(a.perQuery[metric][i]);
    xb.push(b.perQuery[metric][j]);
  });
  return [xa, xb];
}

const f3 = (x: number) => x.toFixed(3);
const pct = (x: number) => `${Math.round(x * 100)}%`;
const pText = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`);

/**
 * The summary of one seed's results (null when there is no student alone to compare with).
 * The first teacher ("teacher:<name>") is the reference for the gap. `iterations` of the
 * randomisation test (default 10,000; the page uses fewer: it runs on the main thread).
 */
export function summarizeDistillation(results: readonly SummaryInput[], seed?: number, opts: { iterations?: number } = {}): DistillSummary | null {
  const rs = seed === undefined ? results : results.filter((r) => r.seed === seed);
  const alone = rs.find((r) => r.recipe === 'baseline');
  if (!alone) return null;
  const teacher = rs.find((r) => r.recipe.startsWith('teacher:')) ?? null;
  const bm25 = rs.find((r) => r.recipe === 'bm25') ?? null;
  const a = alone.metrics['ndcg@10'];
  const t = teacher ? teacher.metrics['ndcg@10'] : null;
  const rows: DistillRow[] = [];
  for (const kind of STUDENT_RECIPES) {
    const r = rs.find((x) => x.recipe === kind);
    if (!r) continue;
    const [xs, xa] = paired(r, alone, 'ndcg@10');
    const p = permutationTest(xs, xa, { iterations: opts.iterations ?? 10_000, seed: 17 }).p;
    const d = r.metrics['ndcg@10'] - a;
    rows.push({
      recipe: kind,
      deltaNdcg: d,
      deltaMrr: r.metrics['mrr@10'] - alone.metrics['mrr@10'],
      p,
      gapRecovered: t !== null && t > a ? d / (t - a) : null,
      beats: d > 0,
    });
  }
  return { seed: alone.seed, alone: a, teacher: t, teacherName: teacher ? teacher.recipe.slice('teacher:'.length) : null, bm25: bm25 ? bm25.metrics['ndcg@10'] : null, rows, text: whatHappened(a, t, bm25 ? bm25.metrics['ndcg@10'] : null, rows) };
}

function whatHappened(alone: number, teacher: number | null, bm25: number | null, rows: DistillRow[]): string {
  const parts: string[] = [];
  if (teacher !== null) {
    parts.push(
      `The teacher reached nDCG@10 ${f3(teacher)} and the student trained alone ${f3(alone)}` +
        (bm25 !== null ? ` (BM25: ${f3(bm25)})` : '') +
        `, a gap of ${f3(teacher - alone)} for distillation to close.`,
    );
  } else {
    parts.push(`The student trained alone reached nDCG@10 ${f3(alone)}.`);
  }
  const winners = rows.filter((r) => r.beats).sort((x, y) => y.deltaNdcg - x.deltaNdcg);
  const losers = rows.filter((r) => !r.beats);
  for (const r of winners) {
    const sig = r.p < 0.05 ? `more than chance (${pText(r.p)})` : `within what chance alone could give on these queries (${pText(r.p)})`;
    const gap = r.gapRecovered !== null ? `, closing ${pct(r.gapRecovered)} of the gap` : '';
    parts.push(`${NAMES[r.recipe]} gained ${f3(r.deltaNdcg)}${gap}: ${sig}.`);
  }
  for (const r of losers) {
    parts.push(`${NAMES[r.recipe]} did not beat the student alone (${f3(r.deltaNdcg)}, ${pText(r.p)}).`);
  }
  if (winners.length > 0) {
    parts.push(
      'With the same steps, the same data and the same initial weights, the only difference is the teacher: ' +
        "its scores over each query's candidates tell the student how much every passage should rank, not just which one is right.",
    );
  }
  return parts.join(' ');
}

export interface PooledRow {
  recipe: string;
  seeds: number;
  /** Seeds where this recipe beat the student alone on nDCG@10. */
  wins: number;
  deltaMean: number;
  /** Sample SD of the per-seed gains (0 with one seed). */
  deltaSd: number;
  /** Paired randomisation test over every (seed, query) pair against the same seed's student alone. */
  p: number;
  /** Mean over seeds of the gap closed (seeds where the teacher beat the student alone). */
  gapMean: number | null;
}

/** The per-seed summaries pooled: mean and SD of the gains, one paired test over all seeds' queries. */
export function poolDistillation(results: readonly SummaryInput[]): PooledRow[] {
  const seeds = [...new Set(results.filter((r) => r.recipe === 'baseline').map((r) => r.seed))].sort((a, b) => a - b);
  const per = seeds.map((s) => summarizeDistillation(results, s)!);
  const out: PooledRow[] = [];
  for (const kind of STUDENT_RECIPES) {
    const rows = per.flatMap((s) => s.rows.filter((r) => r.recipe === kind));
    if (rows.length === 0) continue;
    const xs: number[] = [];
    const xa: number[] = [];
    for (const s of seeds) {
      const a = results.find((r) => r.recipe === 'baseline' && r.seed === s);
      const r = results.find((x) => x.recipe === kind && x.seed === s);
      if (!a || !r) continue;
      const [u, v] = paired(r, a, 'ndcg@10');
      xs.push(...u);
      xa.push(...v);
    }
    const d = rows.map((r) => r.deltaNdcg);
    const mean = d.reduce((s, x) => s + x, 0) / d.length;
    const sd = d.length > 1 ? Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (d.length - 1)) : 0;
    const gaps = rows.map((r) => r.gapRecovered).filter((g): g is number => g !== null);
    out.push({
      recipe: kind,
      seeds: rows.length,
      wins: rows.filter((r) => r.beats).length,
      deltaMean: mean,
      deltaSd: sd,
      p: permutationTest(xs, xa, { iterations: 10_000, seed: 17 }).p,
      gapMean: gaps.length ? gaps.reduce((s, x) => s + x, 0) / gaps.length : null,
    });
  }
  return out;
}

/** A markdown table of the pooled rows (results.md, README). */
export function pooledMarkdown(rows: readonly PooledRow[]): string {
  if (rows.length === 0) return '';
  const lines = [
    '| recipe | seeds beating the student alone | nDCG@10 gain (mean +- SD) | paired p (all seeds\' queries) | gap closed (mean) |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${NAMES[r.recipe]} | ${r.wins} of ${r.seeds} | ${r.deltaMean >= 0 ? '+' : ''}${r.deltaMean.toFixed(4)} +- ${r.deltaSd.toFixed(4)} | ${r.p < 0.001 ? '< 0.001' : r.p.toFixed(3)} | ${r.gapMean === null ? '-' : `${Math.round(r.gapMean * 100)}%`} |`,
    ),
  ];
  return lines.join('\n') + '\n';
}
