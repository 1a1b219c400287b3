// Learning-rate schedule of algorithms.md section 7: linear warm-up from 0 to the peak, then
// linear decay to 0, with the semantics of Hugging Face's get_linear_schedule_with_warmup
// (used by the SimXNS LEAD and PROD scripts): the optimiser step with 0-based index `step`
// runs at peak * f(step), where
//   f(step) = step / max(1, warmup)                                    if step < warmup
//           = max(0, (total - step) / max(1, total - warmup))          otherwise.
// So the first step of a warm-up runs at lr 0 (as in PyTorch, where the scheduler's value at
// construction applies to the first optimizer.step()), the peak is reached at step = warmup,
// and lr is 0 from step = total on.

import { ConfigError } from '../errors';

export interface LinearScheduleOptions {
  /** The learning rate at the end of the warm-up. */
  peakLr: number;
  /** Warm-up steps (0: start at the peak). */
  warmupSteps: number;
  /** Optimiser steps in the run (the decay reaches 0 here). */
  totalSteps: number;
}

function checkSchedule(o: LinearScheduleOptions): void {
  if (!(Number.isFinite(o.peakLr) && o.peakLr >= 0)) throw new ConfigError(`schedule: peak learning rate must be >= 0, got ${o.peakLr}`, { field: 'lr' });
  if (!(Number.isInteger(o.totalSteps) && o.totalSteps >= 1)) {
    throw new ConfigError(`schedule: total steps must be an integer >= 1, got ${o.totalSteps}`, { field: 'steps' });
  }
  if (!(Number.isInteger(o.warmupSteps) && o.warmupSteps >= 0 && o.warmupSteps <= o.totalSteps)) {
    throw new ConfigError(`schedule: warm-up steps must be an integer in 0..${o.totalSteps}, got ${o.warmupSteps}`, { field: 'warmupFraction' });
  }
}

/** The multiplier f(step) of the peak learning rate (pure). */
export function linearWarmupFactor(step: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}

/** The learning rate of optimiser step `step` (0-based). Pure. */
export function linearWarmupLr(step: number, o: LinearScheduleOptions): number {
  checkSchedule(o);
  if (!Number.isInteger(step) || step < 0) throw new Error(`schedule: step must be an integer >= 0, got ${step}`);
  return o.peakLr * linearWarmupFactor(step, o.warmupSteps, o.totalSteps);
}

/** Warm-up steps from a fraction of the run, as the SimXNS scripts: int(ratio * max_steps). */
export function warmupStepsFor(totalSteps: number, warmupFraction: number): number {
  if (!(Number.isFinite(warmupFraction) && warmupFraction >= 0 && warmupFraction <= 1)) {
    throw new ConfigError(`schedule: warm-up fraction must be in [0, 1], got ${warmupFraction}`, { field: 'warmupFraction' });
  }
  return Math.floor(warmupFraction * totalSteps);
}

/** lr(step) for a validated schedule: (step) => learning rate. */
export function linearSchedule(o: LinearScheduleOptions): (step: number) => number {
  checkSchedule(o);
  const { peakLr, warmupSteps, totalSteps } = o;
  return (step) => peakLr * linearWarmupFactor(step, warmupSteps, totalSteps);
}
