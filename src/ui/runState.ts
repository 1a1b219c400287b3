// Folds the TrainEvent stream (src/core/train/events.ts), the run views' only input, into the
// state the charts draw: per-phase downsampled series of every loss term, the learning rate and
// train accuracy; eval metrics on one run-wide step axis; and the latest snapshot of everything
// that is a picture rather than a curve (layer KL matrix, distributions, stages, rank scatter,
// embeddings); and every training-health event (collapse, divergence, recovery, stall). Pure: `runReducer(state, event)` returns a new state and never mutates.
import type {
  DistributionEvent,
  EmbeddingEvent,
  EvalEvent,
  HealthEvent,
  LayerKLEvent,
  MetricSet,
  ModelRole,
  RankScatterEvent,
  StageEvent,
  StepEvent,
  TrainEvent,
} from '../core/train/events';
import { appendPoint, appendToMap, emptySeries, type Series, type SeriesMap } from './series';

/** Metrics drawn as curves (MetricSet minus the query count). */
export const METRIC_KEYS = ['mrr@10', 'ndcg@10', 'recall@10', 'recall@100', 'map'] as const;
export type MetricKey = (typeof METRIC_KEYS)[number];

/** How many queries' distributions the explorer keeps (the most recently seen). */
export const MAX_DISTRIBUTION_QUERIES = 50;

export interface PhaseView {
  id: string;
  title: string;
  totalSteps: number;
  /** Run-wide step at which this phase begins: phases follow each other on one axis. */
  offset: number;
  /** Latest step reported (0 before the first step event). */
  lastStep: number;
  /** Loss terms by name; x is the phase's own step. */
  losses: SeriesMap;
  lr: Series;
  /** Train accuracy per model role. */
  trainAcc: SeriesMap;
  gradNorm: Series;
  /** PROD: KL between the student and its stage-start copy. */
  lwfDrift: Series;
  /**
   * LEAD: the weight lambda_j (3.4) given to a teacher layer at the steps it was selected,
   * keyed by that teacher layer ("t0", "t1", ...): lambda comes from the teacher layer's own
   * ranking loss, so the teacher layer is its natural identity.
   */
  layerWeights: SeriesMap;
  /** LEAD: the (student layer, teacher layer) pairs and weights of the latest step. */
  latestPairs: [number, number][] | null;
  latestWeights: number[] | null;
  lastCheckpoint: number | null;
  /** Candidates per query of the student's NLL at the latest step that said (StepEvent.candidates): chance is ln of it. */
  candidates: number | null;
}

export interface EvalPoint {
  phase: string;
  step: number;
  /** Run-wide step (phase offset + step). */
  at: number;
  role: ModelRole;
  split: string;
  metrics: MetricSet;
}

export interface RunViewState {
  eventCount: number;
  phaseOrder: string[];
  phases: Readonly<Record<string, PhaseView>>;
  currentPhase: string | null;
  evals: EvalPoint[];
  /** Keyed `${role}:${split}:${metric}`, x = run-wide step. */
  evalSeries: SeriesMap;
  /** Latest eval per `${role}:${split}`. */
  latestEval: Readonly<Record<string, EvalPoint>>;
  layerKL: LayerKLEvent | null;
  /** Latest distribution per query id, and the ids in first-seen order. */
  distributions: Readonly<Record<string, DistributionEvent>>;
  distributionOrder: string[];
  stages: StageEvent[];
  rankScatter: RankScatterEvent | null;
  embeddings: EmbeddingEvent | null;
  lastCheckpoint: { phase: string; step: number } | null;
  /** Training-health events (core/train/health.ts) in the order they came: the banner and chart markers. */
  health: HealthEvent[];
}

export function initialRunState(): RunViewState {
  return {
    eventCount: 0,
    phaseOrder: [],
    phases: {},
    currentPhase: null,
    evals: [],
    evalSeries: {},
    latestEval: {},
    layerKL: null,
    distributions: {},
    distributionOrder: [],
    stages: [],
    rankScatter: null,
    embeddings: null,
    lastCheckpoint: null,
    health: [],
  };
}

export const evalKey = (role: ModelRole, split: string, metric: string) => `${role}:${split}:${metric}`;

function newPhase(id: string, title: string, totalSteps: number, offset: number): PhaseView {
  return {
    id, title, totalSteps, offset, lastStep: 0,
    losses: {}, lr: emptySeries(), trainAcc: {}, gradNorm: emptySeries(), lwfDrift: emptySeries(), layerWeights: {},
    latestPairs: null, latestWeights: null, lastCheckpoint: null, candidates: null,
  };
}

/** The phase an event belongs to, created on first sight (a resumed run sends no phase event). */
function ensurePhase(s: RunViewState, id: string, title: string, totalSteps: number): RunViewState {
  if (s.phases[id]) return s;
  const prev = s.phaseOrder.length ? s.phases[s.phaseOrder[s.phaseOrder.length - 1]] : null;
  const offset = prev ? prev.offset + Math.max(prev.totalSteps, prev.lastStep) : 0;
  return {
    ...s,
    phaseOrder: [...s.phaseOrder, id],
    phases: { ...s.phases, [id]: newPhase(id, title, totalSteps, offset) },
  };
}

function withPhase(s: RunViewState, id: string, f: (p: PhaseView) => PhaseView): RunViewState {
  return { ...s, phases: { ...s.phases, [id]: f(s.phases[id]) } };
}

function onStep(s0: RunViewState, e: StepEvent): RunViewState {
  const s = ensurePhase(s0, e.phase, e.phase, e.totalSteps);
  return {
    ...withPhase(s, e.phase, (p) => {
      let losses = p.losses;
      for (const [name, v] of Object.entries(e.losses)) losses = appendToMap(losses, name, e.step, v);
      let trainAcc = p.trainAcc;
      for (const [role, v] of Object.entries(e.trainAcc)) if (v !== undefined) trainAcc = appendToMap(trainAcc, role, e.step, v);
      let layerWeights = p.layerWeights;
      if (e.layerPairs && e.layerWeights) {
        e.layerPairs.forEach(([, t], j) => {
          const w = e.layerWeights![j];
          if (w !== undefined) layerWeights = appendToMap(layerWeights, `t${t}`, e.step, w);
        });
      }
      return {
        ...p,
        totalSteps: e.totalSteps,
        lastStep: Math.max(p.lastStep, e.step),
        losses,
        lr: appendPoint(p.lr, e.step, e.lr),
        trainAcc,
        gradNorm: e.gradNorm === undefined ? p.gradNorm : appendPoint(p.gradNorm, e.step, e.gradNorm),
        lwfDrift: e.lwfDrift === undefined ? p.lwfDrift : appendPoint(p.lwfDrift, e.step, e.lwfDrift),
        layerWeights,
        latestPairs: e.layerPairs ?? p.latestPairs,
        latestWeights: e.layerPairs ? (e.layerWeights ?? null) : p.latestWeights,
        candidates: e.candidates !== undefined && e.candidates >= 2 ? e.candidates : p.candidates,
      };
    }),
    currentPhase: e.phase,
  };
}

function onEval(s0: RunViewState, e: EvalEvent): RunViewState {
  const s = ensurePhase(s0, e.phase, e.phase, e.step);
  const at = s.phases[e.phase].offset + e.step;
  const point: EvalPoint = { phase: e.phase, step: e.step, at, role: e.role, split: e.split, metrics: e.metrics };
  let evalSeries = s.evalSeries;
  for (const m of METRIC_KEYS) evalSeries = appendToMap(evalSeries, evalKey(e.role, e.split, m), at, e.metrics[m]);
  return {
    ...s,
    evals: [...s.evals, point],
    evalSeries,
    latestEval: { ...s.latestEval, [`${e.role}:${e.split}`]: point },
  };
}

function onDistribution(s: RunViewState, e: DistributionEvent): RunViewState {
  let order = s.distributionOrder.includes(e.qid) ? s.distributionOrder : [...s.distributionOrder, e.qid];
  const distributions = { ...s.distributions, [e.qid]: e };
  while (order.length > MAX_DISTRIBUTION_QUERIES) {
    delete distributions[order[0]];
    order = order.slice(1);
  }
  return { ...s, distributions, distributionOrder: order };
}

/** Folds one event into the view state. Unknown event types leave it unchanged. */
export function runReducer(state: RunViewState, event: TrainEvent): RunViewState {
  const s = { ...state, eventCount: state.eventCount + 1 };
  switch (event.type) {
    case 'phase': {
      const t = ensurePhase(s, event.phase, event.title, event.totalSteps);
      return {
        ...withPhase(t, event.phase, (p) => ({ ...p, title: event.title, totalSteps: event.totalSteps })),
        currentPhase: event.phase,
      };
    }
    case 'step':
      return onStep(s, event);
    case 'eval':
      return onEval(s, event);
    case 'layerKL':
      return { ...s, layerKL: event };
    case 'distribution':
      return onDistribution(s, event);
    case 'stage':
      return { ...s, stages: [...s.stages.filter((x) => x.stage !== event.stage), event].sort((a, b) => a.stage - b.stage) };
    case 'rankScatter':
      return { ...s, rankScatter: event };
    case 'embeddings':
      return { ...s, embeddings: event };
    case 'health':
      return { ...s, health: [...s.health, event] };
    case 'checkpoint': {
      const t = ensurePhase(s, event.phase, event.phase, event.step);
      return {
        ...withPhase(t, event.phase, (p) => ({ ...p, lastCheckpoint: event.step })),
        lastCheckpoint: { phase: event.phase, step: event.step },
      };
    }
    default:
      return state;
  }
}

/** Folds a whole recorded stream (a stored run, a fixture). */
export function reduceEvents(events: Iterable<TrainEvent>, state = initialRunState()): RunViewState {
  let s = state;
  for (const e of events) s = runReducer(s, e);
  return s;
}

/** True when the run has anything a LEAD view can draw. */
export function hasLeadData(s: RunViewState): boolean {
  return s.layerKL !== null || s.phaseOrder.some((id) => s.phases[id].latestPairs !== null);
}

/** True when the run has anything a PROD view can draw. */
export function hasProdData(s: RunViewState): boolean {
  return s.stages.length > 0 || s.rankScatter !== null || s.phaseOrder.some((id) => s.phases[id].lwfDrift.count > 0);
}
