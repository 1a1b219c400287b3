// What a run reports while it trains: an append-only stream of events that the worker
// forwards to the page as progress, the command line prints, and the store appends to a
// run's metric series. Views draw from these events only, never from training internals.

export type ModelRole = 'teacher' | 'student';

/** Retrieval metrics on one split (algorithms.md section 6). */
export interface MetricSet {
  'mrr@10': number;
  'ndcg@10': number;
  'recall@10': number;
  'recall@100': number;
  map: number;
  /** Queries evaluated (those with at least one relevant passage). */
  queries: number;
}

export interface PhaseEvent {
  type: 'phase';
  /** Stable id of the phase, e.g. "teacher", "student:baseline", "lead", "prod:stage1", "prod:dp". */
  phase: string;
  /** Human-readable title, e.g. "PROD stage 2 of 3: distil CE teacher". */
  title: string;
  totalSteps: number;
}

export interface StepEvent {
  type: 'step';
  phase: string;
  step: number;
  totalSteps: number;
  lr: number;
  /** Every loss term by name (e.g. nll_student, resp_kd, layer_kd, nll_teacher, lwf, total). */
  losses: Record<string, number>;
  /** Fraction of the batch's queries whose positive scores highest, per model. */
  trainAcc: Partial<Record<ModelRole, number>>;
  gradNorm?: number;
  /** LEAD: selected (student layer, teacher layer) pairs, 0-based, and their weights lambda. */
  layerPairs?: [number, number][];
  layerWeights?: number[];
  /** PROD: KL between the student and its stage-start copy (the LwF drift). */
  lwfDrift?: number;
  /**
   * Candidates per query row of the score matrix the student's NLL (3.1) runs on: P = B * G
   * in-batch, G for a group matrix (section 2). ln of it is the NLL of a model that scores
   * every candidate alike (chance). Absent in runs recorded before it was reported.
   */
  candidates?: number;
}

export interface EvalEvent {
  type: 'eval';
  phase: string;
  step: number;
  role: ModelRole;
  split: string;
  metrics: MetricSet;
}

/** LEAD: KL(teacher layer t || student layer s) over one batch, for every pair. */
export interface LayerKLEvent {
  type: 'layerKL';
  phase: string;
  step: number;
  /** [teacherLayers][studentLayers] */
  kl: number[][];
  /** The pairs selected at this step, as (student layer, teacher layer), 0-based, like StepEvent.layerPairs. */
  selected: [number, number][];
}

/** One query's candidate distributions, layer by layer, with temperature as the loss applies it. */
export interface DistributionEvent {
  type: 'distribution';
  phase: string;
  step: number;
  qid: string;
  query: string;
  candidates: { docId: string; title: string; relevant: boolean }[];
  /** [layer][candidate] softmax over the candidates */
  teacher: number[][];
  student: number[][];
  tau: number;
}

export interface StageEvent {
  type: 'stage';
  stage: number;
  title: string;
  teacher: string;
  metrics: MetricSet;
  examples: number;
}

/** PROD's data-progressive selection: one point per training query. */
export interface RankScatterEvent {
  type: 'rankScatter';
  points: { qid: string; studentRank: number; teacherRank: number; selected: boolean }[];
  window: { rankLow: number; rankHigh: number; teacherRank: number };
}

/** Teacher and student embeddings of the same items, projected to 2-D (linked by id). */
export interface EmbeddingEvent {
  type: 'embeddings';
  method: string;
  points: { id: string; label: string; kind: 'query' | 'passage'; role: ModelRole; x: number; y: number }[];
}

export interface CheckpointEvent {
  type: 'checkpoint';
  phase: string;
  step: number;
}

export type HealthKind = 'collapse' | 'divergence' | 'stall' | 'recovery';

/**
 * Training health (health.ts): a collapse, a divergence (the trainer then restores the last
 * healthy state at half the learning rate: a 'recovery'), or a stall. Plain-language text for
 * the banner and the log; the numbers behind it (loss, median, ln N, cosine, ...).
 */
export interface HealthEvent {
  type: 'health';
  phase: string;
  /** The logged step it was seen at (a recovery: the step that diverged). */
  step: number;
  kind: HealthKind;
  /** One line: what happened. */
  title: string;
  /** What it means and what to try. */
  explanation: string;
  numbers: Record<string, number>;
}

export type TrainEvent =
  | PhaseEvent
  | StepEvent
  | EvalEvent
  | LayerKLEvent
  | DistributionEvent
  | StageEvent
  | RankScatterEvent
  | EmbeddingEvent
  | CheckpointEvent
  | HealthEvent;
