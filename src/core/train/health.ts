// Training health: watches the numbers a run logs and names what goes wrong, as it happens.
// Pure (no tfjs, DOM or worker APIs): the trainer feeds it one observation per logged step and
// acts on what it returns (trainer.ts restores and halves the learning rate on a divergence).
//
// The rules (constants in HEALTH_RULES):
//   collapse    the contrastive NLL (3.1) within 2% of ln N (N = candidates per query row) for
//               25 consecutive logged steps after warm-up: every candidate scores the same, the
//               loss of a blind guess. Or the batch's embeddings' mean pairwise cosine above 0.99
//               at 3 consecutive logged steps after warm-up: every text maps to one direction.
//               Both only after warm-up: a fresh post-LayerNorm encoder starts there (its [CLS]
//               vectors measured a mean pairwise cosine of 0.9998 at initialisation, its NLL is
//               ln N), and that is not a failure.
//   divergence  a non-finite loss, or a total loss over 5x the running median of the last 50
//               healthy logged losses (once 5 are known). The median is floored at ln(N) / 10,
//               so a run that has learned down to near-zero loss is not flagged for ordinary
//               noise (a jump to half the loss of a blind guess still is).
//   stall       no 1% improvement of the smoothed loss for 20% of the run's steps, counted from
//               the end of warm-up. Smoothing: an exponential moving average over steps with a
//               time constant of 10% of the run (weight 1 - exp(-dstep / tau) per logged value),
//               so it means the same whatever logEvery is.
// Each rule fires once when its condition starts, and again only after it has cleared.

import type { HealthEvent, HealthKind } from './events';

export type { HealthKind };

/** What the trainer knows at one logged step. */
export interface HealthObservation {
  /** Optimiser step just taken (1-based, as StepEvent.step). */
  step: number;
  /** The phase's total loss. */
  loss: number;
  /** The trained model's contrastive NLL (3.1) on this batch. */
  nll: number;
  /** Candidates per query row of the NLL's score matrix: B*G in-batch, G for group matrices. */
  candidates: number;
  warmupSteps: number;
  totalSteps: number;
  /** Mean pairwise cosine of the batch's query and passage embeddings (absent for a CE). */
  meanCosine?: number;
}

/** One thing the monitor noticed, with the numbers behind it and what it means. */
export type HealthFinding = Omit<HealthEvent, 'type' | 'phase'>;

export const HEALTH_RULES = {
  /** Collapse: |NLL - ln N| <= tolerance * ln N ... */
  collapseTolerance: 0.02,
  /** ... for this many consecutive logged steps after warm-up. */
  collapseLogSteps: 25,
  /** Collapse: mean pairwise cosine of the batch's embeddings above this ... */
  collapseCosine: 0.99,
  /** ... at this many consecutive logged steps after warm-up. */
  collapseCosineLogSteps: 3,
  /** Divergence: loss > factor * running median. */
  divergenceFactor: 5,
  /** Healthy logged losses in the running median. */
  medianWindow: 50,
  /** Logged losses needed before the median rule applies. */
  medianMinHistory: 5,
  /** The median is floored at ln(N) times this. */
  medianFloorOfLnN: 0.1,
  /** Stall: no improvement for this fraction of the run's steps. */
  stallFraction: 0.2,
  /** Stall: an improvement is a smoothed loss this much (relative) below the best so far. */
  stallMinImprovement: 0.01,
  /** Stall: time constant of the smoothing, as a fraction of the run's steps. */
  smoothingFraction: 0.1,
  /** The trainer restores and halves the learning rate at most this many times per phase. */
  maxRecoveries: 3,
} as const;

interface Entry {
  step: number;
  loss: number;
  /** NLL near ln N, after warm-up. */
  flat: boolean;
  /** Mean cosine above the threshold, after warm-up. */
  parallel: boolean;
  /** NLL / ln N: 1 is a blind guess. */
  nllRatio: number;
  /** Smoothed loss after this entry (null during warm-up). */
  smoothed: number | null;
}

const fmt = (x: number) => (Number.isFinite(x) ? (Math.abs(x) >= 100 || Math.abs(x) < 0.01 ? x.toPrecision(3) : x.toFixed(3)) : String(x));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Counts the trailing entries for which `f` holds. */
function trailing(entries: Entry[], f: (e: Entry) => boolean): number {
  let n = 0;
  for (let i = entries.length - 1; i >= 0 && f(entries[i]); i--) n++;
  return n;
}

/** The plain-language texts of each finding, kept together so the CLI and page say the same. */
export const HEALTH_TEXT = {
  collapse: (n: { nll: number; lnN: number; candidates: number; logSteps: number; meanCosine?: number; learnedBefore: boolean }) =>
    (n.meanCosine !== undefined && n.meanCosine > HEALTH_RULES.collapseCosine
      ? `The model's embeddings all point the same way (mean pairwise cosine ${fmt(n.meanCosine)}), so it can hardly tell texts apart`
      : `The model gives every candidate (almost) the same score: its loss sits at ln ${n.candidates} = ${fmt(n.lnN)}, ` +
        `the loss of a blind guess among ${n.candidates} candidates`) +
    (n.learnedBefore
      ? `. It had learned something and lost it (a collapse, often after a loss spike); it rarely comes back by itself. ` +
        `Try a lower learning rate, a longer warm-up (warmupFraction), or cosine similarity with a temperature ` +
        `(e.g. cosine / 0.05), which keeps scores bounded.`
      : `. It has not started to learn since warm-up ended. A fresh encoder starts like this; if it stays so, try a longer ` +
        `warm-up, a different learning rate (lower if the loss spiked, higher if it never moved), or cosine similarity ` +
        `with a temperature (e.g. cosine / 0.05).`),
  divergence: (n: { loss: number; median?: number; action: 'restore' | 'stop' }) =>
    (Number.isFinite(n.loss)
      ? `The loss jumped to ${fmt(n.loss)}, more than ${HEALTH_RULES.divergenceFactor}x its running median ${fmt(n.median ?? NaN)}: `
      : `The loss became ${n.loss}: `) +
    `an update was too large and training blew up. ` +
    (n.action === 'restore'
      ? `The trainer goes back to the last healthy state and continues at half the learning rate. `
      : `The trainer already went back ${HEALTH_RULES.maxRecoveries} times at ever lower learning rates, and stops. `) +
    `If it recurs: lower the learning rate, lengthen the warm-up, keep gradient clipping on (clipNorm 1).`,
  recovery: (n: { restoredTo: number; lrScale: number; attempt: number }) =>
    `Restored the weights, optimiser and batch order as they were after step ${n.restoredTo}; training continues from there ` +
    `at ${fmt(n.lrScale)}x the configured learning rate (recovery ${n.attempt} of ${HEALTH_RULES.maxRecoveries}).`,
  stall: (n: { steps: number; best: number; bestStep: number; smoothed: number }) =>
    `The smoothed loss has not improved by ${HEALTH_RULES.stallMinImprovement * 100}% in ${n.steps} steps ` +
    `(${HEALTH_RULES.stallFraction * 100}% of the run): best ${fmt(n.best)} at step ${n.bestStep}, now ${fmt(n.smoothed)}. ` +
    `The model may have stopped learning. Try a higher learning rate if the curve is smooth and flat, a lower one if ` +
    `it is noisy, more steps or harder negatives; a long flat stretch at the end of a well-trained run is harmless.`,
};

/**
 * Applies the rules of this file to the logged steps of one phase. `observe` returns what
 * fired at that step; `accept`/`rewind` keep the history right when the trainer restores.
 */
export class HealthMonitor {
  private entries: Entry[] = [];
  private collapseActive = false;
  private stallActive = false;
  private best: { value: number; step: number } | null = null;

  /**
   * One logged step. Returns the findings at this step (empty when healthy). A divergence is
   * not added to the history (the trainer restores an earlier state), everything else is.
   */
  observe(o: HealthObservation): HealthFinding[] {
    const R = HEALTH_RULES;
    const lnN = Math.log(Math.max(2, o.candidates));
    const healthyHistory = this.entries.slice(-R.medianWindow).map((e) => e.loss);
    // Divergence first: nothing else is judged on a blown-up step.
    if (!Number.isFinite(o.loss) || !Number.isFinite(o.nll)) {
      const loss = Number.isFinite(o.loss) ? o.nll : o.loss;
      return [{
        kind: 'divergence', step: o.step, title: `loss became ${loss}`,
        explanation: HEALTH_TEXT.divergence({ loss, action: 'restore' }), numbers: { loss: o.loss, nll: o.nll },
      }];
    }
    if (healthyHistory.length >= R.medianMinHistory) {
      const med = median(healthyHistory);
      const threshold = R.divergenceFactor * Math.max(med, R.medianFloorOfLnN * lnN);
      if (o.loss > threshold) {
        return [{
          kind: 'divergence', step: o.step, title: `loss ${fmt(o.loss)} > ${R.divergenceFactor}x its running median ${fmt(med)}`,
          explanation: HEALTH_TEXT.divergence({ loss: o.loss, median: med, action: 'restore' }),
          numbers: { loss: o.loss, median: med, threshold },
        }];
      }
    }
    const out: HealthFinding[] = [];
    const afterWarmup = o.step > o.warmupSteps;
    const flat = afterWarmup && Math.abs(o.nll - lnN) <= R.collapseTolerance * lnN;
    const parallel = afterWarmup && o.meanCosine !== undefined && o.meanCosine > R.collapseCosine;
    // Smoothed loss: EMA over steps, time constant tau = 10% of the run; starts after warm-up.
    let smoothed: number | null = null;
    if (afterWarmup) {
      const prev = this.entries.at(-1);
      if (prev?.smoothed == null) smoothed = o.loss;
      else {
        const tau = Math.max(1, R.smoothingFraction * o.totalSteps);
        const w = 1 - Math.exp(-(o.step - prev.step) / tau);
        smoothed = prev.smoothed + w * (o.loss - prev.smoothed);
      }
    }
    this.entries.push({ step: o.step, loss: o.loss, flat, parallel, nllRatio: o.nll / lnN, smoothed });

    // Collapse.
    const flatRun = trailing(this.entries, (e) => e.flat);
    const parallelRun = trailing(this.entries, (e) => e.parallel);
    const collapsed = flatRun >= R.collapseLogSteps || parallelRun >= R.collapseCosineLogSteps;
    if (collapsed && !this.collapseActive) {
      const numbers: Record<string, number> = { nll: o.nll, lnN, candidates: o.candidates, logSteps: flatRun };
      if (o.meanCosine !== undefined) numbers.meanCosine = o.meanCosine;
      const why = flatRun >= R.collapseLogSteps
        ? `NLL ${fmt(o.nll)} within ${R.collapseTolerance * 100}% of ln ${o.candidates} = ${fmt(lnN)} for ${flatRun} logged steps`
        : `embeddings' mean pairwise cosine ${fmt(o.meanCosine!)} > ${R.collapseCosine} for ${parallelRun} logged steps`;
      out.push({
        kind: 'collapse', step: o.step, title: `collapsed: ${why}`,
        explanation: HEALTH_TEXT.collapse({
          nll: o.nll, lnN, candidates: o.candidates, logSteps: flatRun, meanCosine: o.meanCosine,
          // Had it ever learned? A best NLL below 90% of ln N says it had, and lost it.
          learnedBefore: Math.min(...this.entries.map((e) => e.nllRatio)) < 0.9,
        }), numbers,
      });
    }
    this.collapseActive = collapsed;

    // Stall.
    if (smoothed !== null) {
      if (!this.best || smoothed < this.best.value * (1 - R.stallMinImprovement)) {
        this.best = { value: smoothed, step: o.step };
        this.stallActive = false;
      } else {
        const since = o.step - this.best.step;
        if (since >= R.stallFraction * o.totalSteps && !this.stallActive) {
          this.stallActive = true;
          const n = { steps: since, best: this.best.value, bestStep: this.best.step, smoothed };
          out.push({ kind: 'stall', step: o.step, title: `no improvement in ${since} steps`, explanation: HEALTH_TEXT.stall(n), numbers: n });
        }
      }
    }
    return out;
  }

  /** Forgets the logged steps after `step` (the trainer restored the state of that step). */
  rewind(step: number): void {
    this.entries = this.entries.filter((e) => e.step <= step);
    this.best = null;
    for (const e of this.entries) {
      if (e.smoothed !== null && (!this.best || e.smoothed < this.best.value * (1 - HEALTH_RULES.stallMinImprovement))) {
        this.best = { value: e.smoothed, step: e.step };
      }
    }
    // Flags stay as they were: an episode that was reported is not reported again on replay.
  }
}

/** What a run's results record about its health (results.json `health`). */
export interface HealthSummary {
  events: HealthRecord[];
  /** Divergences recovered from (restored, learning rate halved). */
  recovered: number;
  collapsed: boolean;
  diverged: boolean;
  stalled: boolean;
}

/** A health event as stored with a result (the phase it happened in, and the finding). */
export type HealthRecord = Omit<HealthEvent, 'type'>;

/** Sums up a result's health events. */
export function summarizeHealth(events: readonly HealthRecord[]): HealthSummary {
  return {
    events: [...events],
    recovered: events.filter((e) => e.kind === 'recovery').length,
    collapsed: events.some((e) => e.kind === 'collapse'),
    diverged: events.some((e) => e.kind === 'divergence'),
    stalled: events.some((e) => e.kind === 'stall'),
  };
}

/** One line for logs: "[health] lead step 120: collapsed: ... " */
export function healthLine(e: HealthRecord): string {
  return `[health] ${e.phase} step ${e.step}: ${e.kind}: ${e.title}`;
}
