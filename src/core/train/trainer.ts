// The training loop of one phase: contrastive training of a model alone, response KD from a
// frozen teacher, LEAD (optionally joint), or one PROD stage (optionally with LwF).
//
// One optimiser step:
//   batch (sampler) -> frozen models' scores (outside the gradient tape: constants)
//   -> one tf.variableGrads over the student's (and a joint teacher's) variables of the
//      phase's objective (algorithms.md 3.1-3.6) -> AdamW (clip, warm-up/decay schedule).
// Loss values stay on the backend; they are read back (asynchronously) only every `logEvery`
// steps and at checkpoints, and checked there by the health monitor (health.ts): a collapse
// or a stall is reported; a divergence (a non-finite loss, or one over 5x its running median)
// sends the phase back to its last healthy state (an on-device snapshot of weights, optimiser,
// sampler and random streams, taken before each logged step and kept once that step's loss
// proves healthy) to continue at half the learning rate, at most 3 times; then the run stops
// with NonFiniteLossError (TrainingDivergedError for a finite blow-up) before anything is
// written, so the last checkpoint is always a good one.
// Everything random is seeded and saved in checkpoints, so a resumed phase continues with the
// losses an uninterrupted one would have had.
import * as tf from '@tensorflow/tfjs';
import { CancelledError, CheckpointError, NonFiniteLossError, TrainingDivergedError } from '../errors';
import type { Embeddings, RetrievalModel } from '../model/retriever';
import { kdLoss, leadLoss, nllLoss, prodLoss, positiveIndices } from '../distill/losses';
import { LayerSelector, type LayerPairs, type LayerSelectorState } from '../distill/layers';
import type { KdRecipe, LeadRecipe, ProdRecipe, TrainSettings } from '../distill/recipes';
import { AdamW, disposeSnapshot, GradientAccumulator, lossAndGrads, type AdamWSnapshot, type AdamWState } from './optimizer';
import { linearSchedule, warmupStepsFor } from './schedule';
import type { BatchSampler, Batch, SamplerState } from './examples';
import type { CheckpointContent } from './checkpoint';
import type { HealthEvent, ModelRole, TrainEvent } from './events';
import { HEALTH_RULES, HEALTH_TEXT, HealthMonitor, type HealthFinding } from './health';

export type PhaseMode =
  | { kind: 'contrastive' }
  | { kind: 'kd'; recipe: KdRecipe }
  | { kind: 'lead'; recipe: LeadRecipe }
  | { kind: 'prod'; recipe: ProdRecipe; lwf: boolean };

export interface PhaseSpec {
  /** Stable id ("teacher", "baseline", "lead", "prod:stage1", ...). */
  id: string;
  title: string;
  mode: PhaseMode;
  settings: TrainSettings;
  /** The model being trained (a teacher, when a teacher trains alone). */
  student: RetrievalModel;
  /** Role of `student` in charts (a teacher trained alone is reported as 'teacher'). */
  studentRole?: ModelRole;
  teacher?: RetrievalModel;
  /** PROD LwF: a frozen copy of the student taken at the start of the stage. */
  previous?: RetrievalModel;
  sampler: BatchSampler;
  seed: number;
}

export interface RunHooks {
  onEvent?: (e: TrainEvent) => void;
  /** Called when a checkpoint is due; the trainer waits for it (store it atomically). */
  onCheckpoint?: (c: CheckpointContent, step: number) => Promise<void>;
  /** Checked between steps: abort -> CancelledError; pause -> resolve early. */
  signal?: { aborted: boolean };
  shouldPause?: () => boolean;
  /** Called at eval steps (evalEvery) to evaluate the student; emits its own events. */
  onEval?: (step: number) => Promise<void>;
}

interface StepOutputs {
  total: tf.Scalar;
  terms: Record<string, tf.Scalar>;
  accStudent: tf.Scalar;
  accTeacher?: tf.Scalar;
  layerWeights?: tf.Tensor1D;
  /** Candidates per query row of the NLL's score matrix (B*G in-batch, G for group matrices). */
  candidates: number;
}

/** The phase's state on the device, to go back to after a divergence (no readback to take it). */
interface Snapshot {
  /** Optimiser steps taken when it was taken. */
  step: number;
  weights: tf.Tensor[];
  teacherWeights: tf.Tensor[] | null;
  opt: AdamWSnapshot;
  teacherOpt: AdamWSnapshot | null;
  sampler: SamplerState;
  selector: LayerSelectorState | null;
  studentRng: number;
  teacherRng: number | null;
}

function disposeState(s: Snapshot): void {
  tf.dispose([...s.weights, ...(s.teacherWeights ?? [])]);
  disposeSnapshot(s.opt);
  if (s.teacherOpt) disposeSnapshot(s.teacherOpt);
}

/** One text per row: DE vectors as they are; CB token vectors averaged over the real tokens. -> [N, D] */
function embeddingRows(e: Embeddings): tf.Tensor2D {
  if (e.kind === 'dense') return e.vectors;
  // vectors: [N, T, D] (zero on padding), mask: [N, T] -> [N, D]
  return tf.div(tf.sum(e.vectors, 1), tf.maximum(tf.sum(e.mask, 1, true), 1)) as tf.Tensor2D;
}

/** x: [N, D] -> scalar mean over pairs i != j of cos(x_i, x_j) (N >= 2). */
export function meanPairwiseCosine(x: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const N = x.shape[0];
    const unit = tf.div(x, tf.add(tf.norm(x, 2, 1, true), 1e-12)); // [N, D]
    const cos = tf.matMul(unit, unit, false, true); // [N, N]
    // sum over all pairs minus the diagonal (each ~1, exactly 0 for a zero row) -> mean off-diagonal
    const offDiag = tf.sub(tf.sum(cos), tf.sum(tf.mul(unit, unit)));
    return tf.div(offDiag, N * (N - 1)) as tf.Scalar;
  });
}

// S: [B, N] -> fraction of rows whose positive scores highest (ties count as misses).
function accuracy(S: tf.Tensor2D, G: number): tf.Scalar {
  return tf.tidy(() => {
    const pos = tf.tensor1d(positiveIndices(S.shape, G), 'int32'); // [B]
    return tf.mean(tf.cast(tf.equal(tf.argMax(S, 1), pos), 'float32')) as tf.Scalar;
  });
}

/** The JSON part of a phase checkpoint. */
export interface PhaseState {
  phase: string;
  step: number;
  sampler: SamplerState;
  selector: LayerSelectorState | null;
  studentRng: number;
  teacherRng: number | null;
  studentOptStep: number;
  teacherOptStep: number | null;
  /** Learning-rate multiplier after divergence recoveries (absent in older checkpoints: 1). */
  lrScale?: number;
  /** Divergence recoveries so far in this phase. */
  recoveries?: number;
}

export class PhaseTrainer {
  readonly spec: PhaseSpec;
  /** Optimiser steps taken in this phase. */
  step = 0;
  private readonly studentOpt: AdamW;
  private readonly teacherOpt: AdamW | null;
  private readonly selector: LayerSelector | null;
  private readonly lr: (step: number) => number;
  private readonly teacherLrScale: number;
  private lastPairs: LayerPairs | null = null;
  private lastBatch: Batch | null = null;
  /** Halved at each divergence recovery. */
  private lrScale = 1;
  private recoveries = 0;
  private readonly health = new HealthMonitor();
  /** The last state known healthy (see run); null until run starts. */
  private good: Snapshot | null = null;

  constructor(spec: PhaseSpec) {
    this.spec = spec;
    const s = spec.settings;
    const optOpts = { weightDecay: s.weightDecay, clipNorm: s.clipNorm };
    this.studentOpt = new AdamW(spec.student.variables(), optOpts);
    const m = spec.mode;
    const joint = m.kind === 'lead' && m.recipe.joint;
    if (m.kind !== 'contrastive' && !spec.teacher) throw new Error(`phase ${spec.id}: a ${m.kind} phase needs a teacher`);
    this.teacherOpt = joint ? new AdamW(spec.teacher!.variables(), optOpts) : null;
    this.teacherLrScale = joint && m.recipe.teacherLr ? m.recipe.teacherLr / s.lr : 1;
    this.selector =
      m.kind === 'lead'
        ? new LayerSelector({
            selection: m.recipe.selection,
            k: m.recipe.k,
            studentDepth: spec.student.config.layers,
            teacherDepth: spec.teacher!.config.layers,
            resampleEvery: m.recipe.resampleEvery,
            seed: spec.seed,
          })
        : null;
    this.lr = linearSchedule({ peakLr: s.lr, warmupSteps: warmupStepsFor(s.steps, s.warmupFraction), totalSteps: s.steps });
  }

  get done(): boolean {
    return this.step >= this.spec.settings.steps;
  }

  get role(): ModelRole {
    return this.spec.studentRole ?? 'student';
  }

  /** The trainable variables of this phase (student, plus the teacher under joint training). */
  private variables(): tf.Variable[] {
    const vs = this.spec.student.trainableVariables();
    return this.teacherOpt ? [...vs, ...this.spec.teacher!.trainableVariables()] : vs;
  }

  /** Scores of frozen models for a batch: constants, computed outside the gradient tape. */
  private frozenScores(batch: Batch, pairs: LayerPairs | null): { teacher?: { final: tf.Tensor2D; layers: tf.Tensor2D[] }; prev?: tf.Tensor2D } {
    const { mode, teacher, previous } = this.spec;
    const G = batch.groupSize;
    const out: { teacher?: { final: tf.Tensor2D; layers: tf.Tensor2D[] }; prev?: tf.Tensor2D } = {};
    const jointLead = mode.kind === 'lead' && mode.recipe.joint;
    if (teacher && mode.kind !== 'contrastive' && !jointLead) {
      const layers = mode.kind === 'lead' ? pairs!.teacher : [];
      out.teacher = teacher.scores(batch.queries, batch.passages, G, { training: false, layers });
    }
    if (mode.kind === 'prod' && mode.lwf && previous) {
      const p = previous.scores(batch.queries, batch.passages, G, { training: false, layers: [] });
      out.prev = p.final;
    }
    return out;
  }

  /** The phase's objective on one batch; runs inside the gradient tape. */
  private objective(batch: Batch, pairs: LayerPairs | null, frozen: ReturnType<PhaseTrainer['frozenScores']>): StepOutputs {
    const { mode, student, teacher } = this.spec;
    const G = batch.groupSize;
    const s = student.scores(batch.queries, batch.passages, G, { training: true, layers: pairs ? pairs.student : [] });
    switch (mode.kind) {
      case 'contrastive': {
        const nll = nllLoss(s.final, G); // (3.1)
        return { total: nll, terms: { nll }, accStudent: accuracy(s.final, G), candidates: s.final.shape[1] };
      }
      case 'kd': {
        const o = kdLoss(s.final, frozen.teacher!.final, G, mode.recipe); // (3.1) + (3.2)/(3.3)
        return {
          total: o.total, terms: { nll: o.terms.nll, response: o.terms.response }, accStudent: accuracy(s.final, G), accTeacher: accuracy(frozen.teacher!.final, G),
          candidates: Math.min(s.final.shape[1], frozen.teacher!.final.shape[1]), // the NLL runs on S_s cut to the teacher's shape
        };
      }
      case 'lead': {
        const t = mode.recipe.joint
          ? teacher!.scores(batch.queries, batch.passages, G, { training: true, layers: pairs!.teacher })
          : frozen.teacher!;
        const o = leadLoss({ final: s.final, layers: s.layers }, { final: t.final, layers: t.layers }, G, mode.recipe); // (3.4), (3.5)
        const terms: Record<string, tf.Scalar> = { nll: o.terms.nll, response: o.terms.response, layer: o.terms.layer };
        if (o.terms.teacherNll) terms.teacher_nll = o.terms.teacherNll;
        if (o.terms.teacherResponse) terms.teacher_response = o.terms.teacherResponse;
        return {
          total: o.total, terms, accStudent: accuracy(s.final, G), accTeacher: accuracy(t.final, G), layerWeights: o.layerWeights,
          candidates: Math.min(s.final.shape[1], t.final.shape[1]),
        };
      }
      case 'prod': {
        const o = prodLoss(s.final, frozen.teacher!.final, frozen.prev ?? null, G, mode.recipe); // (3.6)
        const terms: Record<string, tf.Scalar> = { nll: o.terms.nll, kd: o.terms.kd };
        if (o.terms.lwf) terms.lwf = o.terms.lwf;
        return {
          total: o.total, terms, accStudent: accuracy(s.final, G), accTeacher: accuracy(frozen.teacher!.final, G),
          candidates: Math.min(s.final.shape[1], frozen.teacher!.final.shape[1]),
        };
      }
    }
  }

  /**
   * One optimiser step (with gradient accumulation over `accumulate` micro-batches).
   * Returns the step's outputs as tensors the caller must dispose (no readback here).
   */
  trainStep(): { outputs: StepOutputs; gradNorm: tf.Scalar; lr: number; pairs: LayerPairs | null } {
    const { settings } = this.spec;
    const pairs = this.selector ? this.selector.at(this.step) : null;
    this.lastPairs = pairs;
    const vars = this.variables();
    const acc = settings.accumulate > 1 ? new GradientAccumulator() : null;
    let outputs: StepOutputs | null = null;
    let grads: tf.NamedTensorMap = {};
    for (let micro = 0; micro < settings.accumulate; micro++) {
      const batch = this.spec.sampler.next();
      this.lastBatch = batch;
      const frozen = this.frozenScores(batch, pairs);
      try {
        const r = lossAndGrads(() => this.objective(batch, pairs, frozen), vars);
        if (acc) {
          acc.add(r.grads);
          tf.dispose(Object.values(r.grads));
        } else grads = r.grads;
        if (outputs) tf.dispose(outputs as unknown as tf.TensorContainer);
        outputs = r.out;
      } finally {
        tf.dispose(frozen as unknown as tf.TensorContainer);
      }
    }
    if (acc) grads = acc.flush('mean');
    const lr = this.lr(this.step) * this.lrScale;
    const gradNorm = this.studentOpt.step(grads, lr);
    if (this.teacherOpt) tf.dispose(this.teacherOpt.step(grads, lr * this.teacherLrScale));
    tf.dispose(Object.values(grads));
    this.step += 1;
    return { outputs: outputs!, gradNorm, lr, pairs };
  }

  /** Runs until the phase is done, cancelled or paused; emits events; checkpoints on schedule. */
  async run(hooks: RunHooks = {}): Promise<'done' | 'paused'> {
    const { settings } = this.spec;
    const emit = hooks.onEvent ?? (() => {});
    if (this.step === 0) emit({ type: 'phase', phase: this.spec.id, title: this.spec.title, totalSteps: settings.steps });
    const warmupSteps = warmupStepsFor(settings.steps, settings.warmupFraction);
    // Where a divergence goes back to before any logged step has proved healthy: the start.
    if (!this.good) this.good = this.snapshot();
    while (!this.done) {
      if (hooks.signal?.aborted) throw new CancelledError(`${this.spec.title}: stopped at step ${this.step}`);
      if (hooks.shouldPause?.()) return 'paused';
      const upcoming = this.step + 1;
      const readsBack = this.isLogStep(upcoming) || this.isCheckpointStep(upcoming);
      // The state before a logged step: healthy once that step's loss (computed from it) is.
      let pre: Snapshot | null = readsBack ? this.snapshot() : null;
      const { outputs, gradNorm, lr, pairs } = this.trainStep();
      const step = this.step;
      const isLog = this.isLogStep(step);
      const isCheckpoint = this.isCheckpointStep(step);
      let cosine: tf.Scalar | null = null;
      try {
        if (isLog || isCheckpoint) {
          cosine = this.batchCosine();
          // The only readbacks of a step, every logEvery steps: all scalars in one batch.
          const names = Object.keys(outputs.terms);
          const values = await Promise.all([
            outputs.total.data(),
            ...names.map((n) => outputs.terms[n].data()),
            outputs.accStudent.data(),
            outputs.accTeacher ? outputs.accTeacher.data() : Promise.resolve(null),
            gradNorm.data(),
            outputs.layerWeights ? outputs.layerWeights.data() : Promise.resolve(null),
            cosine ? cosine.data() : Promise.resolve(null),
          ]);
          const total = values[0]![0];
          const losses: Record<string, number> = { total };
          names.forEach((n, i) => (losses[n] = values[1 + i]![0]));
          const k = 1 + names.length;
          const bad = Object.entries(losses).filter(([, v]) => !Number.isFinite(v));
          const findings = this.health.observe({
            step, loss: bad.length > 0 ? NaN : total, nll: losses.nll ?? total, candidates: outputs.candidates,
            warmupSteps, totalSteps: settings.steps, meanCosine: values[k + 4] ? values[k + 4]![0] : undefined,
          });
          const divergence = findings.find((f) => f.kind === 'divergence');
          if (divergence) {
            this.recover(divergence, bad, losses, emit);
            continue; // the restored state goes on from its own step; nothing of this one is kept
          }
          const trainAcc: Partial<Record<ModelRole, number>> = { [this.role]: values[k]![0] };
          if (values[k + 1]) trainAcc.teacher = values[k + 1]![0];
          const ev: TrainEvent = {
            type: 'step', phase: this.spec.id, step, totalSteps: settings.steps, lr, losses, trainAcc, gradNorm: values[k + 2]![0],
            candidates: outputs.candidates,
          };
          if (pairs) {
            ev.layerPairs = pairs.student.map((sl, j) => [sl, pairs.teacher[j]] as [number, number]);
            if (values[k + 3]) ev.layerWeights = Array.from(values[k + 3]!);
          }
          if (this.spec.mode.kind === 'prod' && 'lwf' in losses) {
            const T = this.spec.mode.recipe.temperature;
            ev.lwfDrift = losses.lwf / (T * T);
          }
          emit(ev);
          for (const f of findings) emit(this.healthEvent(f));
          // This step's loss came from the state before it: that state is the new healthy one.
          if (pre) {
            disposeState(this.good);
            this.good = pre;
            pre = null;
          }
        }
      } finally {
        tf.dispose([outputs as unknown as tf.TensorContainer, gradNorm]);
        if (cosine) cosine.dispose();
        if (pre) disposeState(pre);
      }
      if (hooks.onEval && settings.evalEvery > 0 && step % settings.evalEvery === 0 && step < settings.steps) await hooks.onEval(step);
      if (isCheckpoint && hooks.onCheckpoint) {
        await hooks.onCheckpoint(await this.checkpoint(), step);
        emit({ type: 'checkpoint', phase: this.spec.id, step });
      }
    }
    return 'done';
  }

  private isLogStep(step: number): boolean {
    return step % this.spec.settings.logEvery === 0 || step === this.spec.settings.steps;
  }

  private isCheckpointStep(step: number): boolean {
    const every = this.spec.settings.checkpointEvery;
    return every > 0 && (step % every === 0 || step === this.spec.settings.steps);
  }

  private healthEvent(f: HealthFinding): HealthEvent {
    return { type: 'health', phase: this.spec.id, ...f };
  }

  /**
   * A divergence at this logged step: go back to the last healthy state at half the learning
   * rate, or, after HEALTH_RULES.maxRecoveries of those, stop with a named error.
   */
  private recover(f: HealthFinding, bad: [string, number][], losses: Record<string, number>, emit: (e: TrainEvent) => void): void {
    const step = this.step;
    const good = this.good!;
    if (this.recoveries >= HEALTH_RULES.maxRecoveries) {
      emit(this.healthEvent({ ...f, explanation: HEALTH_TEXT.divergence({ loss: f.numbers.loss, median: f.numbers.median, action: 'stop' }) }));
      const tried = `, after ${this.recoveries} restarts from the last healthy state at ever lower learning rates (now ${this.lrScale}x)`;
      if (bad.length > 0) {
        throw new NonFiniteLossError(
          `${this.spec.title}: the loss became non-finite at step ${step} (${bad.map(([k, v]) => `${k} = ${v}`).join(', ')})${tried}; ` +
            'training stopped, the last checkpoint is intact. Try a lower learning rate or stronger clipping.',
          { step, phase: this.spec.id, losses, recoveries: this.recoveries },
        );
      }
      throw new TrainingDivergedError(
        `${this.spec.title}: the loss blew up at step ${step} (${f.title})${tried}; ` +
          'training stopped, the last checkpoint is intact. Try a lower learning rate, a longer warm-up or stronger clipping.',
        { step, phase: this.spec.id, losses, recoveries: this.recoveries },
      );
    }
    emit(this.healthEvent(f));
    this.restoreSnapshot(good);
    this.lrScale /= 2;
    this.recoveries += 1;
    this.health.rewind(good.step);
    const n = { restoredTo: good.step, lrScale: this.lrScale, attempt: this.recoveries };
    emit(this.healthEvent({
      kind: 'recovery', step, title: `restored step ${good.step}, learning rate x${this.lrScale}`, explanation: HEALTH_TEXT.recovery(n), numbers: n,
    }));
  }

  /** The phase's state on the device (clones, no readback). */
  private snapshot(): Snapshot {
    const clones = (m: RetrievalModel) => m.variables().map((v) => tf.keep(tf.clone(v.variable)));
    return {
      step: this.step,
      weights: clones(this.spec.student),
      teacherWeights: this.teacherOpt ? clones(this.spec.teacher!) : null,
      opt: this.studentOpt.snapshot(),
      teacherOpt: this.teacherOpt ? this.teacherOpt.snapshot() : null,
      sampler: this.spec.sampler.getState(),
      selector: this.selector?.state ?? null,
      studentRng: this.spec.student.rngState,
      teacherRng: this.spec.teacher?.rngState ?? null,
    };
  }

  /** Back to a snapshot; it stays valid (a later divergence can come back to it again). */
  private restoreSnapshot(s: Snapshot): void {
    const assign = (m: RetrievalModel, ts: tf.Tensor[]) => m.variables().forEach((v, i) => v.variable.assign(ts[i]));
    assign(this.spec.student, s.weights);
    this.studentOpt.restoreSnapshot(s.opt);
    if (this.teacherOpt && s.teacherWeights && s.teacherOpt) {
      assign(this.spec.teacher!, s.teacherWeights);
      this.teacherOpt.restoreSnapshot(s.teacherOpt);
    }
    this.spec.sampler.setState(s.sampler);
    if (this.selector && s.selector) this.selector.state = s.selector;
    this.spec.student.rngState = s.studentRng;
    if (this.spec.teacher && s.teacherRng !== null) this.spec.teacher.rngState = s.teacherRng;
    this.step = s.step;
  }

  /**
   * Mean pairwise cosine of the trained model's embeddings of the last batch's queries and
   * passages (one extra forward pass, inference mode, at logged steps only); null for a CE,
   * which has no embeddings. -> scalar the caller disposes.
   */
  private batchCosine(): tf.Scalar | null {
    const m = this.spec.student;
    const batch = this.lastBatch;
    if (m.config.kind === 'ce' || !batch) return null;
    return tf.tidy(() => {
      const q = embeddingRows(m.encodeQueries(batch.queries)); // [B, D]
      const p = embeddingRows(m.encodePassages(batch.passages)); // [P, D]
      return meanPairwiseCosine(tf.concat([q, p], 0)); // [B + P, D] -> scalar
    });
  }

  /** The layer pairs used at the last step (LEAD). */
  get currentPairs(): LayerPairs | null {
    return this.lastPairs;
  }

  /** Everything needed to resume this phase exactly. */
  async checkpoint(): Promise<CheckpointContent> {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    const put = async (prefix: string, m: RetrievalModel) => {
      for (const [name, t] of await m.readWeights()) tensors.set(`${prefix}/${name}`, t);
    };
    const putOpt = (prefix: string, st: AdamWState) => {
      for (const [key, t] of st.moments) tensors.set(`${prefix}/${key}`, t); // key: "m/<name>", "v/<name>"
    };
    await put('student', this.spec.student);
    const studentOpt = await this.studentOpt.getState();
    putOpt('opt.student', studentOpt);
    let teacherOptStep: number | null = null;
    if (this.teacherOpt) {
      await put('teacher', this.spec.teacher!);
      const st = await this.teacherOpt.getState();
      putOpt('opt.teacher', st);
      teacherOptStep = st.step;
    }
    const state: PhaseState = {
      phase: this.spec.id,
      step: this.step,
      sampler: this.spec.sampler.getState(),
      selector: this.selector?.state ?? null,
      studentRng: this.spec.student.rngState,
      teacherRng: this.spec.teacher?.rngState ?? null,
      studentOptStep: studentOpt.step,
      teacherOptStep,
      lrScale: this.lrScale,
      recoveries: this.recoveries,
    };
    return { state: state as unknown as Record<string, unknown>, tensors };
  }

  /** Restores a checkpoint written by `checkpoint()` of the same phase spec. */
  restore(c: CheckpointContent): void {
    const st = c.state as unknown as PhaseState;
    if (st.phase !== this.spec.id) throw new CheckpointError(`checkpoint is of phase "${st.phase}", not "${this.spec.id}"`);
    const under = (prefix: string) => {
      const out = new Map<string, Float32Array>();
      for (const [name, t] of c.tensors) if (name.startsWith(prefix)) out.set(name.slice(prefix.length), t.data);
      return out;
    };
    const optState = (prefix: string, step: number): AdamWState => {
      const moments: AdamWState['moments'] = new Map();
      for (const [name, t] of c.tensors) if (name.startsWith(`${prefix}/`)) moments.set(name.slice(prefix.length + 1), t);
      return { step, moments };
    };
    this.spec.student.assignWeights(under('student/'));
    this.studentOpt.setState(optState('opt.student', st.studentOptStep));
    if (this.teacherOpt) {
      this.spec.teacher!.assignWeights(under('teacher/'));
      this.teacherOpt.setState(optState('opt.teacher', st.teacherOptStep ?? 0));
    }
    this.spec.sampler.setState(st.sampler);
    if (this.selector && st.selector) this.selector.state = st.selector;
    this.spec.student.rngState = st.studentRng;
    if (this.spec.teacher && st.teacherRng !== null) this.spec.teacher.rngState = st.teacherRng;
    this.step = st.step;
    this.lrScale = st.lrScale ?? 1;
    this.recoveries = st.recoveries ?? 0;
    // The healthy state to go back to is taken again where the run continues.
    if (this.good) disposeState(this.good);
    this.good = null;
  }

  dispose(): void {
    if (this.good) disposeState(this.good);
    this.good = null;
    this.studentOpt.dispose();
    this.teacherOpt?.dispose();
  }
}
