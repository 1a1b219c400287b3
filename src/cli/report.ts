// Summaries of experiment results: mean and spread over seeds per recipe, as a markdown table.
import type { RunResult } from '../core/distill/experiment';
import type { Rankings } from '../core/eval/trec';
import { poolDistillation, pooledMarkdown, summarizeDistillation } from '../core/eval/distillSummary';
import type { HealthEvent } from '../core/train/events';
import type { HealthRecord } from '../core/train/health';

export const REPORTED = ['mrr@10', 'ndcg@10', 'recall@100'] as const;

export interface SummaryRow {
  recipe: string;
  seeds: number;
  /** metric -> { mean, std (sample, n - 1), min, max } */
  metrics: Record<string, { mean: number; std: number; min: number; max: number }>;
}

export function summarize(results: RunResult[]): SummaryRow[] {
  const by = new Map<string, RunResult[]>();
  for (const r of results) {
    if (!by.has(r.recipe)) by.set(r.recipe, []);
    by.get(r.recipe)!.push(r);
  }
  return [...by.entries()].map(([recipe, rs]) => {
    const metrics: SummaryRow['metrics'] = {};
    for (const m of REPORTED) {
      const xs = rs.map((r) => r.metrics[m]);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const std = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
      metrics[m] = { mean, std, min: Math.min(...xs), max: Math.max(...xs) };
    }
    return { recipe, seeds: rs.length, metrics };
  });
}

const LABEL: Record<string, string> = {
  bm25: 'BM25',
  baseline: 'student alone',
  kd: 'response KD',
  lead: 'LEAD',
  prod: 'PROD',
};


export function resultsMarkdown(corpus: string, split: string, rows: SummaryRow[], results: RunResult[], argv: string[]): string {
  const lines = [
    `## ${corpus}, ${split} split`,
    '',
    `| run | seeds | MRR@10 | nDCG@10 | Recall@100 | nDCG@10 per seed |`,
    `|---|---|---|---|---|---|`,
  ];
  for (const r of rows) {
    const cell = (m: string) => {
      const x = r.metrics[m];
      return r.seeds > 1 ? `${x.mean.toFixed(4)} ± ${x.std.toFixed(4)}` : x.mean.toFixed(4);
    };
    const perSeed = results.filter((x) => x.recipe === r.recipe).sort((a, b) => a.seed - b.seed).map((x) => `${x.seed}: ${x.metrics['ndcg@10'].toFixed(4)}`).join(', ');
    lines.push(`| ${LABEL[r.recipe] ?? r.recipe} | ${r.seeds} | ${cell('mrr@10')} | ${cell('ndcg@10')} | ${cell('recall@100')} | ${perSeed} |`);
  }
  const pooled = poolDistillation(results);
  if (pooled.length > 0) {
    lines.push('', 'Distilled students against the student alone (same seed, same test queries):', '', pooledMarkdown(pooled).trimEnd());
    const last = summarizeDistillation(results, Math.max(...results.filter((r) => r.recipe === 'baseline').map((r) => r.seed)));
    if (last) lines.push('', `What happened (seed ${last.seed}): ${last.text}`);
  }
  const prod = results.filter((r) => r.stages && r.stages.length > 0);
  if (prod.length > 0) {
    lines.push('', 'PROD stages (nDCG@10 after each stage, per seed):', '');
    for (const r of prod) lines.push(`- seed ${r.seed}: ${r.stages!.map((s) => `${s.title}: ${s.metrics['ndcg@10'].toFixed(4)}`).join('; ')}`);
  }
  lines.push(...healthMarkdown(results));
  lines.push('', `Mean ± sample standard deviation over seeds. Command: \`npm run lab -- ${argv.join(' ')}\``, '');
  return lines.join('\n');
}

/**
 * A run's ranked document ids as TREC rankings. The lab's rankings keep the order, not the
 * scores, so each document gets the score (depth - rank + 1): trec_eval's re-sort by score
 * then reproduces exactly this order.
 */
export function rankedIdsToTrec(run: Record<string, string[]>): Rankings {
  const out: Rankings = {};
  for (const [qid, ids] of Object.entries(run)) out[qid] = ids.map((docId, i) => ({ docId, score: ids.length - i }));
  return out;
}

const HEALTH_MARK: Record<HealthEvent['kind'], string> = { collapse: 'COLLAPSE', divergence: 'DIVERGENCE', stall: 'STALL', recovery: 'recovered' };

/** A health event as the command line prints it the moment it happens: a headline, then the explanation. */
export function formatHealthEvent(e: HealthRecord): string {
  return `  [health] ${HEALTH_MARK[e.kind]} in ${e.phase} at step ${e.step}: ${e.title}\n    ${e.explanation}`;
}

/** results.md: one line per run whose training raised health events (nothing when all were healthy). */
export function healthMarkdown(results: RunResult[]): string[] {
  const flagged = results.filter((r) => r.health && r.health.events.length > 0);
  if (flagged.length === 0) return [];
  const lines = ['', 'Training health (see results.json `health` for the numbers and explanations):', ''];
  for (const r of flagged) {
    const h = r.health!;
    const flags = [h.collapsed && 'collapsed', h.diverged && `diverged (${h.recovered} recovered)`, h.stalled && 'stalled'].filter(Boolean);
    const events = h.events.map((e) => `${e.kind} at ${e.phase} step ${e.step}`).join('; ');
    lines.push(`- ${LABEL[r.recipe] ?? r.recipe}, seed ${r.seed}: ${flags.join(', ')}: ${events}`);
  }
  return lines;
}
