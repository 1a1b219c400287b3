// The optimiser of algorithms.md section 7, as in the reference scripts (SimXNS LEAD:
// torch.optim.AdamW, eps 1e-8, no decay on biases and LayerNorm, clip_grad_norm_ per model,
// get_linear_schedule_with_warmup: see schedule.ts):
//   global-norm clipping:  g <- g * min(1, max_norm / (||g||_2 + 1e-6))   (over one model's grads)
//   m <- b1 m + (1 - b1) g,   v <- b2 v + (1 - b2) g^2
//   p <- p (1 - lr wd)                       (decoupled weight decay; only where `decay`)
//   p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// The last line is computed as p - s * m / (sqrt(v) + eps') with s = lr sqrt(1 - b2^t) / (1 - b1^t)
// and eps' = eps sqrt(1 - b2^t) (the same number, fewer ops). The clip factor is folded into
// the moment coefficients. About a dozen element-wise ops per variable, no readback: the
// pre-clip norm comes back as a tensor for the caller to read when it logs. On webgpu the
// whole step is one fused kernel (src/core/kernels/adamw.ts: the same formulas per element).
// (Hugging Face's transformers.AdamW, used by the PROD scripts, differs slightly: eps is not
// bias-corrected and the decay uses the updated p.)

import * as tf from '@tensorflow/tfjs';
import { CheckpointError, ConfigError } from '../errors';
import { fusedAdamW, fusedKernelsActive } from '../kernels';

/** A weight to optimise: a stable name (for checkpoints), the variable, and whether AdamW decays it. */
export interface OptimizedVariable {
  name: string;
  variable: tf.Variable;
  /** false for biases and LayerNorm weights. */
  decay: boolean;
}

export interface AdamWOptions {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay on variables with decay = true. Default 0.01 (torch.optim.AdamW). */
  weightDecay?: number;
  /** Global-norm clipping threshold; null or Infinity: no clipping. Default 1.0. */
  clipNorm?: number | null;
}

/** Serialisable optimiser state: the step count and both moments of every variable. */
export interface AdamWState {
  /** Optimiser steps taken (the next step's bias correction uses step + 1). */
  step: number;
  /** "m/<name>" and "v/<name>" for every variable, float32, in the variable's shape. */
  moments: Map<string, { shape: number[]; data: Float32Array }>;
}

/** AdamW's state as device tensors (see AdamW.snapshot); free it with disposeSnapshot. */
export interface AdamWSnapshot {
  step: number;
  /** Per variable, in the optimiser's order. */
  m: tf.Tensor[];
  v: tf.Tensor[];
}

export function disposeSnapshot(s: AdamWSnapshot): void {
  tf.dispose([...s.m, ...s.v]);
}

interface Slot extends OptimizedVariable {
  m: tf.Variable;
  v: tf.Variable;
}

const CLIP_EPS = 1e-6; // torch.nn.utils.clip_grad_norm_

/**
 * Global L2 norm over a list of gradients and, if maxNorm is finite, the gradients scaled by
 * min(1, maxNorm / (norm + 1e-6)) (torch.nn.utils.clip_grad_norm_).
 * grads: tensors of any shapes -> { norm: scalar (before clipping), grads: same shapes }
 */
export function clipByGlobalNorm(grads: readonly tf.Tensor[], maxNorm: number | null): { norm: tf.Scalar; grads: tf.Tensor[] } {
  return tf.tidy(() => {
    const norm = globalNorm(grads);
    if (maxNorm == null || !Number.isFinite(maxNorm)) return { norm, grads: grads.map((g) => g.clone()) };
    const scale = clipScale(norm, maxNorm);
    return { norm, grads: grads.map((g) => tf.mul(g, scale)) };
  }) as { norm: tf.Scalar; grads: tf.Tensor[] };
}

/** grads: tensors of any shapes -> scalar sqrt(sum of squares of every entry). */
export function globalNorm(grads: readonly tf.Tensor[]): tf.Scalar {
  return tf.tidy(() => {
    if (grads.length === 0) return tf.scalar(0);
    const sq = grads.map((g) => tf.sum(tf.square(g))); // one scalar per tensor
    // Summed in chunks: tfjs's WebGPU AddN binds one storage buffer per input and WebGPU's
    // default limit is 8 per shader stage, so one AddN over every gradient is an invalid pipeline.
    let parts = sq;
    while (parts.length > 1) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < parts.length; i += 6) next.push(parts.length - i === 1 ? parts[i] : tf.addN(parts.slice(i, i + 6)));
      parts = next;
    }
    return tf.sqrt(parts[0]) as tf.Scalar;
  });
}

/** norm: scalar -> scalar min(1, maxNorm / (norm + 1e-6)). */
function clipScale(norm: tf.Scalar, maxNorm: number): tf.Scalar {
  return tf.minimum(tf.div(maxNorm, tf.add(norm, CLIP_EPS)), 1) as tf.Scalar;
}

function checkOption(ok: boolean, field: string, msg: string): void {
  if (!ok) throw new ConfigError(`AdamW: ${field} ${msg}`, { field });
}

/** AdamW over a fixed list of variables (one model: clipping is per optimiser, as per model in SimXNS). */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly clipNorm: number | null;
  private t = 0;
  private readonly slots: Slot[];
  private disposed = false;

  constructor(variables: readonly OptimizedVariable[], opts: AdamWOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.clipNorm = opts.clipNorm === undefined ? 1.0 : opts.clipNorm;
    checkOption(this.beta1 >= 0 && this.beta1 < 1, 'beta1', `must be in [0, 1), got ${this.beta1}`);
    checkOption(this.beta2 >= 0 && this.beta2 < 1, 'beta2', `must be in [0, 1), got ${this.beta2}`);
    checkOption(this.eps > 0, 'eps', `must be > 0, got ${this.eps}`);
    checkOption(this.weightDecay >= 0, 'weightDecay', `must be >= 0, got ${this.weightDecay}`);
    checkOption(this.clipNorm === null || this.clipNorm > 0, 'clipNorm', `must be > 0 or null, got ${this.clipNorm}`);
    const names = new Set<string>();
    for (const v of variables) {
      if (names.has(v.name)) throw new ConfigError(`AdamW: variable name "${v.name}" appears twice`);
      names.add(v.name);
    }
    this.slots = variables.map((v) => ({
      ...v,
      // Inside tidy: the zeros the variables start from are freed (the variables keep copies).
      m: tf.tidy(() => tf.variable(tf.zerosLike(v.variable), false)),
      v: tf.tidy(() => tf.variable(tf.zerosLike(v.variable), false)),
    }));
  }

  /** Optimiser steps taken so far. */
  get stepCount(): number {
    return this.t;
  }

  /**
   * One AdamW step at learning rate `lr`. `grads` is keyed by tf variable name (what
   * tf.variableGrads returns); keys of other variables are ignored (one variableGrads call can
   * serve a student and a joint teacher), and a variable without a gradient is left as it is
   * (torch skips parameters whose grad is None). The grads are not disposed.
   * Returns the global norm of this optimiser's gradients before clipping: a scalar the
   * caller owns (read it when logging; no readback happens here).
   */
  step(grads: tf.NamedTensorMap, lr: number): tf.Scalar {
    if (this.disposed) throw new Error('AdamW: used after dispose()');
    if (!Number.isFinite(lr) || lr < 0) throw new ConfigError(`AdamW: learning rate must be >= 0, got ${lr}`, { field: 'lr' });
    const live = this.slots.filter((s) => grads[s.variable.name] != null);
    this.t += 1;
    const t = this.t;
    const { beta1: b1, beta2: b2 } = this;
    const bc1 = 1 - b1 ** t;
    const sqrtBc2 = Math.sqrt(1 - b2 ** t);
    if (live.length > 0 && fusedKernelsActive()) {
      // webgpu: the whole step (norm, clipping, every variable's update) is one kernel.
      const out = fusedAdamW(
        live.map((s) => ({ grad: grads[s.variable.name], param: s.variable, m: s.m, v: s.v, decay: s.decay && this.weightDecay > 0 })),
        { beta1: b1, beta2: b2, clipNorm: this.clipNorm, stepSize: -(lr * sqrtBc2) / bc1, epsHat: this.eps * sqrtBc2, keep: 1 - lr * this.weightDecay },
      );
      live.forEach((s, i) => {
        s.m.assign(out.m[i]);
        s.v.assign(out.v[i]);
        s.variable.assign(out.params[i]);
      });
      tf.dispose([...out.m, ...out.v, ...out.params]);
      return out.norm;
    }
    return tf.tidy(() => {
      const gs = live.map((s) => grads[s.variable.name]);
      const norm = globalNorm(gs); // scalar, before clipping
      // Moment coefficients with the clip factor c folded in: m gets (1-b1) c g, v (1-b2) c^2 g^2.
      let c1: tf.Scalar = tf.scalar(1 - b1);
      let c2: tf.Scalar = tf.scalar(1 - b2);
      if (this.clipNorm !== null && Number.isFinite(this.clipNorm)) {
        const c = clipScale(norm, this.clipNorm);
        c1 = tf.mul(c1, c);
        c2 = tf.mul(c2, tf.square(c));
      }
      const b1T = tf.scalar(b1);
      const b2T = tf.scalar(b2);
      const stepSize = tf.scalar(-(lr * sqrtBc2) / bc1);
      const epsHat = tf.scalar(this.eps * sqrtBc2);
      const keep = tf.scalar(1 - lr * this.weightDecay);
      live.forEach((s, i) => {
        const g = gs[i];
        const m = tf.add(tf.mul(s.m, b1T), tf.mul(g, c1)); // b1 m + (1-b1) c g
        const v = tf.add(tf.mul(s.v, b2T), tf.mul(tf.square(g), c2)); // b2 v + (1-b2) c^2 g^2
        const upd = tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsHat)), stepSize); // -s m / (sqrt(v) + eps')
        const p = s.decay && this.weightDecay > 0 ? tf.mul(s.variable, keep) : s.variable;
        s.m.assign(m);
        s.v.assign(v);
        s.variable.assign(tf.add(p, upd));
      });
      return norm;
    });
  }

  /** The state for a checkpoint (moments read back asynchronously, copied). */
  async getState(): Promise<AdamWState> {
    if (this.disposed) throw new Error('AdamW: used after dispose()');
    const step = this.t;
    const reads = this.slots.map(async (s) => {
      const [m, v] = await Promise.all([s.m.data(), s.v.data()]);
      return { s, m: Float32Array.from(m as Float32Array), v: Float32Array.from(v as Float32Array) };
    });
    const moments = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const { s, m, v } of await Promise.all(reads)) {
      moments.set(`m/${s.name}`, { shape: [...s.variable.shape], data: m });
      moments.set(`v/${s.name}`, { shape: [...s.variable.shape], data: v });
    }
    return { step, moments };
  }

  /**
   * Restores a state from getState (e.g. out of a checkpoint). Every problem (missing,
   * unexpected or mis-sized moments, a bad step count) is reported in one CheckpointError,
   * and then nothing is changed.
   */
  setState(state: AdamWState): void {
    if (this.disposed) throw new Error('AdamW: used after dispose()');
    const problems: string[] = [];
    if (!Number.isInteger(state.step) || state.step < 0) problems.push(`step count ${state.step} is not an integer >= 0`);
    const expected = new Set<string>();
    for (const s of this.slots) {
      for (const kind of ['m', 'v']) {
        const key = `${kind}/${s.name}`;
        expected.add(key);
        const e = state.moments.get(key);
        if (!e) problems.push(`missing ${key}`);
        else if (e.data.length !== s.variable.size || (e.shape && e.shape.join(',') !== s.variable.shape.join(','))) {
          problems.push(`${key} has shape [${e.shape?.join(', ')}] (${e.data.length} values), the variable [${s.variable.shape.join(', ')}]`);
        }
      }
    }
    for (const key of state.moments.keys()) if (!expected.has(key)) problems.push(`unexpected ${key}`);
    if (problems.length > 0) {
      throw new CheckpointError(`optimiser state does not fit this model: ${problems.join('; ')}`, { problems });
    }
    tf.tidy(() => {
      for (const s of this.slots) {
        s.m.assign(tf.tensor(state.moments.get(`m/${s.name}`)!.data, s.variable.shape, 'float32'));
        s.v.assign(tf.tensor(state.moments.get(`v/${s.name}`)!.data, s.variable.shape, 'float32'));
      }
    });
    this.t = state.step;
  }

  /**
   * The state kept on the device, for going back after a divergence (trainer.ts): clones of
   * both moments, no readback. A clone shares its buffer with the moment until the next step
   * assigns a new one, so taking it costs nothing and holding it one moment-sized copy.
   * The caller disposes it with disposeSnapshot.
   */
  snapshot(): AdamWSnapshot {
    if (this.disposed) throw new Error('AdamW: used after dispose()');
    return {
      step: this.t,
      m: this.slots.map((s) => tf.keep(tf.clone(s.m))),
      v: this.slots.map((s) => tf.keep(tf.clone(s.v))),
    };
  }

  /** Goes back to a snapshot of this optimiser; the snapshot stays valid (it can be restored again). */
  restoreSnapshot(snap: AdamWSnapshot): void {
    if (this.disposed) throw new Error('AdamW: used after dispose()');
    this.slots.forEach((s, i) => {
      s.m.assign(snap.m[i]);
      s.v.assign(snap.v[i]);
    });
    this.t = snap.step;
  }

  /** Frees the moments (not the optimised variables). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.slots) {
      s.m.dispose();
      s.v.dispose();
    }
  }
}

/** Keeps every tensor in a (nested) object or array out of the enclosing tidy scopes. */
function keepAll(x: unknown): void {
  if (x instanceof tf.Tensor) tf.keep(x);
  else if (Array.isArray(x)) x.forEach(keepAll);
  else if (x && typeof x === 'object') Object.values(x).forEach(keepAll);
}

/**
 * tf.variableGrads for a loss function that returns several tensors (e.g. a loss's separate
 * terms for the charts): differentiates `out.total` and keeps every tensor of `out` alive
 * (the caller disposes `out` and `grads`).
 * f: () => { total: scalar, ... } -> { out, grads keyed by tf variable name }
 */
export function lossAndGrads<T extends { total: tf.Scalar }>(f: () => T, variables: tf.Variable[]): { out: T; grads: tf.NamedTensorMap } {
  let out: T | undefined;
  const { grads } = tf.variableGrads(() => {
    out = f();
    keepAll(out);
    return out.total;
  }, variables);
  return { out: out!, grads };
}

/**
 * Gradient accumulation: sums gradients over micro-batches, then hands them to one optimiser
 * step. flush('mean') equals the reference scripts' (loss / accumulation_steps).backward()
 * summed over the micro-batches; flush('sum') leaves the scaling to the caller.
 * The accumulator copies what it adds (the caller still disposes its grads).
 */
export class GradientAccumulator {
  private sums = new Map<string, tf.Tensor>();
  private n = 0;

  /** Micro-batches added since the last flush. */
  get count(): number {
    return this.n;
  }

  /** grads: name -> tensor (any shapes, the same names and shapes each time). */
  add(grads: tf.NamedTensorMap): void {
    for (const [name, g] of Object.entries(grads)) {
      if (g == null) continue;
      const old = this.sums.get(name);
      const next = tf.keep(old ? tf.add(old, g) : g.clone());
      old?.dispose();
      this.sums.set(name, next);
    }
    this.n += 1;
  }

  /** The accumulated gradients (the caller owns them); the accumulator starts over. */
  flush(reduction: 'mean' | 'sum' = 'mean'): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    const n = this.n;
    for (const [name, sum] of this.sums) {
      if (reduction === 'mean' && n > 1) {
        out[name] = tf.keep(tf.div(sum, n));
        sum.dispose();
      } else {
        out[name] = sum;
      }
    }
    this.sums = new Map();
    this.n = 0;
    return out;
  }

  dispose(): void {
    for (const t of this.sums.values()) t.dispose();
    this.sums = new Map();
    this.n = 0;
  }
}
