// A whole experiment on one corpus and one seed: tokenizers, BM25 and its negatives, the
// teachers, then each recipe's student, each evaluated on held-out queries. The same code
// runs in the training worker (the lab's demo and runs) and in Node (`npm run lab`).
//
// Order of work (each step emits TrainEvents):
//   1. tokenizers: WordPiece trained on the corpus for the teachers; the student's own kind
//      (hashed words by default) with another vocabulary, so teacher and student share nothing;
//   2. BM25 over title + text: the baseline, and the first-stage negatives (top-m, positives out);
//   3. teachers: each of cfg.teachers trained contrastively (the PROD chain, weakest first;
//      teachers[0] is LEAD's and KD's teacher);
//   4. per recipe, a student from the same initial weights: baseline (contrastive alone),
//      response KD, LEAD (a copy of teachers[0], joint by default), PROD (stages, refresh, LwF,
//      data-progressive stage);
//   5. test metrics (MRR@10, nDCG@10, Recall@100, ...) with per-query values and rankings.
import type { Corpus, Qrel, Split } from '../data/types';
import { CancelledError, ConfigError } from '../errors';
import { Rng } from '../rng';
import { Bm25Index } from '../text/bm25';
import type { Tokenizer } from '../text/tokenizerBase';
import { trainHashedWord } from '../text/tokenizerHashed';
import { trainWordPiece } from '../text/wordpieceTrainer';
import { RetrievalModel } from '../model/retriever';
import { validateModelConfig, type ModelConfigInput } from '../model/config';
import { checkLayerList, cutStudent, everyOtherLayer, studentConfigFrom } from '../model/initFrom';
import { BatchSampler, buildExamples, docText, type Example } from '../train/examples';
import { PhaseTrainer, type PhaseSpec } from '../train/trainer';
import { tensorsUnder, type CheckpointContent } from '../train/checkpoint';
import { layerProbe, layerKLEvent, distributionEvent, embeddingEvent } from '../train/probes';
import type { MetricSet, TrainEvent } from '../train/events';
import { summarizeHealth, type HealthRecord, type HealthSummary } from '../train/health';
import {
  evaluateRankings,
  judgedQueries,
  metricSet,
  negativesFromRankings,
  rankWithModel,
  type Rankings,
} from '../retrieval/search';
import { firstRelevantRank, selectDataProgressive } from './progressive';
import {
  DEFAULT_TRAIN,
  defaultRecipe,
  validateRecipe,
  validateTrainSettings,
  type Recipe,
  type TrainSettings,
} from './recipes';

export interface TokenizerSpec {
  kind: 'wordpiece' | 'hashed-word';
  vocabSize: number;
}

/** A model to build: its architecture (vocabSize comes from the tokenizer) and tokenizer. */
export interface ModelSpec {
  name: string;
  model: Omit<ModelConfigInput, 'vocabSize'>;
  tokenizer: TokenizerSpec;
  /**
   * A teacher imported from a checkpoint (the id the hooks' loadPretrained knows): used with
   * its own weights and tokenizer, not trained again; `model` and `tokenizer` describe it.
   */
  pretrained?: string;
  /** Training settings of this model that differ from the run's (a CE teacher needs negatives). */
  train?: Partial<TrainSettings>;
  /**
   * Start from an earlier teacher of the chain (its index): every weight the two share by name
   * and shape (embeddings, every block) is copied, and the earlier teacher's tokenizer is used;
   * the rest (a CE's head) starts fresh: as PROD's cross-encoders start from a pre-trained
   * encoder rather than random weights. (On world:default a 4x64 CE stayed near loss ln 4 for
   * 500 steps both from random weights and from the DE teacher's encoder: docs/training.md.)
   */
  initFrom?: number;
  /**
   * The student only: where its initial weights come from (absent or `random`: seeded random
   * weights). See StudentInit.
   */
  init?: StudentInit;
}

/**
 * A student's initial weights (the student's ModelSpec.init; every recipe's student starts
 * from these same weights):
 * - `random`: seeded random weights (the default);
 * - `teacher`: cut from teachers[0] as DistilBERT was: its embeddings, blocks `layers` (0-based,
 *   increasing; default every other one, 0, 2, 4, ...) and every other weight the two kinds share;
 *   the student takes the teacher's width, heads, FFN, positions and tokenizer, and keeps of its
 *   own `model` only its kind (DE or ColBERT), a ColBERT projection, dropout and query / passage
 *   lengths (model/initFrom.ts studentConfigFrom); its `layers`, `hidden`, `heads`, `ffn` and
 *   `tokenizer` are ignored;
 * - `checkpoint`: the same from another model (`id` as `pretrained` takes it: the hooks'
 *   loadPretrained loads it), all of its blocks unless `layers` picks some.
 */
export type StudentInit =
  | { from: 'random' }
  | { from: 'teacher'; layers?: number[] }
  | { from: 'checkpoint'; id: string; layers?: number[] };

/** The longest checkpoint id a student's init may name (characters). */
const MAX_INIT_ID = 800;

/**
 * Validates a student's init; `teacherLayers` is the depth of the model it is cut from where
 * known (teachers[0] for `teacher`). ConfigError names `at.from`, `at.layers` or `at.id`.
 */
export function validateStudentInit(input: unknown, teacherLayers?: number, at = 'student.init'): StudentInit {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError(`${at} must be an object {from, ...}`, { field: at });
  const x = input as Record<string, unknown>;
  const allowed: Record<string, string[]> = { random: ['from'], teacher: ['from', 'layers'], checkpoint: ['from', 'id', 'layers'] };
  const from = x.from as StudentInit['from'];
  if (typeof from !== 'string' || !Object.hasOwn(allowed, from)) {
    throw new ConfigError(`${at}.from must be 'random', 'teacher' or 'checkpoint', got ${JSON.stringify(from)}`, { field: `${at}.from` });
  }
  for (const k of Object.keys(x)) if (!allowed[from].includes(k)) throw new ConfigError(`${at}.${k} is not a field of a '${from}' init`, { field: `${at}.${k}` });
  const layers = x.layers === undefined ? undefined : checkLayerList(x.layers, from === 'teacher' ? teacherLayers : undefined, `${at}.layers`).slice();
  if (from === 'random') return { from };
  if (from === 'teacher') return layers ? { from, layers } : { from };
  if (typeof x.id !== 'string' || x.id.trim() === '') throw new ConfigError(`${at}.id must name a checkpoint (hf:owner/name, a folder, or a stored model's id)`, { field: `${at}.id` });
  if (x.id.length > MAX_INIT_ID) throw new ConfigError(`${at}.id must be at most ${MAX_INIT_ID} characters, got ${x.id.length}`, { field: `${at}.id` });
  return layers ? { from, id: x.id, layers } : { from, id: x.id };
}

/**
 * The depth of the student a config builds: its own `layers`, or the blocks it is cut from
 * (a checkpoint's depth is known only once it is loaded: undefined without `layers`).
 */
export function studentDepth(cfg: Pick<ExperimentConfig, 'student' | 'teachers'>): number | undefined {
  const init = cfg.student.init;
  if (!init || init.from === 'random') return cfg.student.model.layers;
  if (init.layers) return init.layers.length;
  if (init.from === 'teacher') return cfg.teachers[0] ? everyOtherLayer(cfg.teachers[0].model.layers).length : undefined;
  return undefined;
}

export interface ExperimentConfig {
  seed: number;
  /** The teacher chain (PROD order, weakest first); teachers[0] teaches KD and LEAD. */
  teachers: ModelSpec[];
  student: ModelSpec;
  teacherTrain: TrainSettings;
  studentTrain: TrainSettings;
  recipes: Recipe[];
  /** Split the results are reported on ('test'; 'dev' while tuning). */
  evalSplit: Split;
  /** Depth of the BM25 negatives pool and of the rankings. */
  negativesDepth: number;
  /** Candidates a CE or ColBERT model re-ranks at evaluation. */
  rerankDepth: number;
  /**
   * Self-supervised training pairs (inverse cloze, title -> body, random crops): 'auto' adds
   * them only when the corpus has no training qrels; 'always' adds `perDoc` per document to the
   * judged pairs (small judged sets such as SciFact's 809 queries). Default 'auto', 1 per doc.
   */
  selfSupervised?: { mode: 'auto' | 'always' | 'never'; perDoc: number; spanProbability?: number };
}

/**
 * Probability that a training batch item is a fresh inverse-cloze span pair (a run of 6-16
 * words of a passage as the query, the passage without it as the positive) instead of a judged
 * pair. Judged pairs are few (SciFact: 809 queries) and a model from random weights needs far
 * more; span pairs cost nothing and teach it which words go together (docs/training.md). On a
 * corpus with no judged training queries every item is a span pair; with many
 * (SPAN_ENOUGH_QUERIES), none.
 */
export const LAB_SPAN_PROBABILITY = 0.7;

/**
 * With this many judged training queries or more, batches are judged pairs only (span
 * probability 0 unless set): on world:default (2,000 training queries of the world's own
 * style) 70% span pairs cut a 2x32 student's nDCG@10 from 0.670 to 0.499, while SciFact's
 * 809 judged queries alone are too few for a model from random weights (docs/training.md).
 */
export const SPAN_ENOUGH_QUERIES = 1000;

/**
 * How the lab's DE models score (algorithms.md section 1): the mean of the token states,
 * cosine similarity, divided by tau_s = 0.05. With [CLS] and a raw dot product a from-scratch
 * model's scores start in the hundreds (post-LayerNorm vectors have norm ~sqrt(H)): the softmax
 * saturates, one step's gradient is huge, and the teacher collapsed to equal scores (loss =
 * ln N) on real text. Cosine bounds every score to [-20, 20].
 */
export const LAB_DE_SCORING = { pooling: 'mean', similarity: 'cosine', scoreTemperature: 0.05 } as const;

/**
 * Dropout of the models the lab builds. BERT's 0.1 regularises a pre-trained model that is
 * fine-tuned for long; the lab trains tiny models from scratch for a few hundred steps, and
 * there dropout mostly hides the signal: a 2x64 DE on the default world reached nDCG@10 0.21
 * after 200 steps at lr 5e-3 without dropout and 0.01 with 0.1 (measured with the CLI's
 * wasm backend). Set it per model (`ModelConfig.dropout`), or `--dropout` on the command line.
 */
export const LAB_DROPOUT = { hidden: 0, attention: 0 } as const;

/**
 * Learning rate of from-scratch models. The papers fine-tune pre-trained BERTs at 2e-5 to 5e-5;
 * models trained from random weights need ~20-50x that. With cosine / 0.05 scores, 1e-3 learns
 * steadily; 5e-3 with dot-product scores spiked and collapsed a 4x128 teacher on real text.
 */
export const LAB_LR = DEFAULT_TRAIN.lr;

/** The lab's default training settings (recipes.ts DEFAULT_TRAIN; lr = LAB_LR). */
export const LAB_TRAIN: TrainSettings = { ...DEFAULT_TRAIN, lr: LAB_LR };

export function defaultExperiment(seed = 1): ExperimentConfig {
  const lens = { maxQueryLen: 24, maxPassageLen: 96, maxPositions: 128, dropout: { ...LAB_DROPOUT } };
  return {
    seed,
    teachers: [
      {
        name: 'DE teacher',
        model: { kind: 'de', layers: 4, hidden: 64, heads: 4, ffn: 256, ...lens, ...LAB_DE_SCORING },
        tokenizer: { kind: 'hashed-word', vocabSize: 30000 },
      },
      {
        name: 'CE teacher',
        model: { kind: 'ce', layers: 4, hidden: 64, heads: 4, ffn: 256, ...lens },
        tokenizer: { kind: 'hashed-word', vocabSize: 30000 },
        // A CE scores each query's own group: it learns from hard negatives, not in-batch ones.
        train: { batchSize: 16, negatives: 3 },
        initFrom: 0,
      },
    ],
    student: {
      name: 'DE student',
      model: { kind: 'de', layers: 2, hidden: 32, heads: 2, ffn: 128, ...lens, ...LAB_DE_SCORING },
      tokenizer: { kind: 'hashed-word', vocabSize: 20000 },
    },
    teacherTrain: { ...LAB_TRAIN },
    studentTrain: { ...LAB_TRAIN },
    recipes: [defaultRecipe('baseline'), defaultRecipe('kd'), defaultRecipe('lead'), defaultRecipe('prod')],
    evalSplit: 'test',
    negativesDepth: 30,
    rerankDepth: 30,
  };
}

export function validateExperiment(input: unknown): ExperimentConfig {
  if (typeof input !== 'object' || input === null) throw new ConfigError('experiment config must be an object');
  const x = { ...defaultExperiment(), ...(input as Partial<ExperimentConfig>) };
  if (!Number.isInteger(x.seed) || x.seed < 0) throw new ConfigError(`seed must be an integer >= 0, got ${x.seed}`, { field: 'seed' });
  if (!Array.isArray(x.teachers)) throw new ConfigError('teachers must be a list', { field: 'teachers' });
  const cfg: ExperimentConfig = {
    ...x,
    teacherTrain: validateTrainSettings(x.teacherTrain),
    studentTrain: validateTrainSettings(x.studentTrain),
    recipes: (x.recipes ?? []).map((r) => validateRecipe(r, x.teachers.length)),
  };
  for (const [i, t] of cfg.teachers.entries()) {
    if (t.init !== undefined) throw new ConfigError(`teachers[${i}].init: only the student takes an init (a teacher starts from an earlier one with initFrom)`, { field: `teachers[${i}].init` });
  }
  if (cfg.student.init !== undefined) {
    const t0 = cfg.teachers[0];
    if (cfg.student.init.from === 'teacher' && !t0) throw new ConfigError('student.init: a student cut from the teacher needs a teacher (teachers[0])', { field: 'student.init' });
    cfg.student = { ...cfg.student, init: validateStudentInit(cfg.student.init, t0?.model.layers) };
  }
  const init = cfg.student.init;
  for (const [i, spec] of [...cfg.teachers, cfg.student].entries()) {
    const isStudent = i === cfg.teachers.length;
    // Validate the architecture now (vocabSize is a placeholder until the tokenizer exists).
    try {
      if (isStudent && init?.from === 'teacher') {
        // The student the teacher's blocks make (its own layers/hidden/heads/ffn are ignored).
        const t0 = cfg.teachers[0];
        validateModelConfig({ ...studentConfigFrom(t0.model, spec.model, studentDepth(cfg)!), vocabSize: t0.tokenizer.vocabSize });
      } else if (isStudent && init?.from === 'checkpoint') {
        if (spec.model.kind === 'ce') studentConfigFrom({ kind: 'de' }, spec.model, 1); // refuses a CE
        validateModelConfig({ ...spec.model, vocabSize: spec.tokenizer.vocabSize });
      } else {
        validateModelConfig({ ...spec.model, vocabSize: spec.tokenizer.vocabSize });
      }
    } catch (e) {
      const at = isStudent ? 'student' : `teachers[${i}]`;
      const field = e instanceof ConfigError && typeof e.details?.field === 'string' ? `${at}.${e.details.field}` : at;
      throw new ConfigError(`${at}: ${(e as Error).message}`, { field });
    }
  }
  const needsTeacher = cfg.recipes.some((r) => r.kind !== 'baseline');
  if (needsTeacher && cfg.teachers.length === 0) throw new ConfigError('KD, LEAD and PROD need at least one teacher');
  for (const r of cfg.recipes) {
    if (r.kind === 'lead') {
      const t = cfg.teachers[0].model.layers;
      // A student cut from a checkpoint without a block list: its depth is checked once loaded.
      const s = studentDepth(cfg) ?? Infinity;
      if (r.k > t || r.k > s) {
        throw new ConfigError(`LEAD: k = ${r.k} exceeds a model's depth (student ${s} layers, teacher ${t}); k must be at most ${Math.min(s, t)}`, { field: 'lead.k' });
      }
    }
  }
  if (cfg.evalSplit === 'train') throw new ConfigError('evaluate on dev or test, never on the training queries');
  return cfg;
}

export interface RunResult {
  /** "bm25", "baseline", "kd", "lead", "prod", or "teacher:<name>". */
  recipe: string;
  seed: number;
  split: Split;
  metrics: MetricSet;
  /** Per evaluated query: nDCG@10 and MRR@10 (paired tests, wins and losses). */
  perQuery: { qids: string[]; 'ndcg@10': number[]; 'mrr@10': number[] };
  /** Document ids ranked per query (TREC run). */
  run: Record<string, string[]>;
  /** PROD: metrics after each stage. */
  stages?: { title: string; metrics: MetricSet }[];
  seconds: number;
  /** Training health of the phases behind this result (train/health.ts); absent for BM25 and models not trained here. */
  health?: HealthSummary;
}

export interface ExperimentHooks {
  onEvent?: (e: TrainEvent) => void;
  /** Free-text progress ("training DE teacher: step 120/400"). */
  onLog?: (msg: string) => void;
  signal?: { aborted: boolean };
  /** Called with each finished result as soon as it exists. */
  onResult?: (r: RunResult) => void;
  /** Saves a checkpoint under a name (the worker stores it in IndexedDB, chunked and checksummed). */
  saveCheckpoint?: (name: string, c: CheckpointContent) => Promise<void>;
  /**
   * Resuming an interrupted run: the results already finished (their recipes are not run
   * again) and the saved checkpoints: "final:teacher<i>" (a trained teacher: not trained
   * again) and "phase:<id>" (a phase in progress: continued from its step).
   */
  resume?: { results: RunResult[]; loadCheckpoint: (name: string) => Promise<CheckpointContent | null> };
  /**
   * Called with each teacher once it is trained (or restored), before anything else uses it:
   * e.g. the CLI's --save-teacher writes it as a Hugging Face checkpoint. Must not dispose it.
   */
  onTeacher?: (index: number, spec: ModelSpec, model: RetrievalModel) => Promise<void>;
  /**
   * Loads an imported teacher (ModelSpec.pretrained), or the checkpoint a student is cut from
   * (StudentInit `checkpoint`); the experiment disposes of it.
   */
  loadPretrained?: (id: string) => Promise<RetrievalModel>;
  /**
   * Called once with the student's initial weights, before any recipe trains a copy of them
   * (with the blocks it was cut from, if it was). Must not dispose it.
   */
  onStudentInit?: (model: RetrievalModel, info: { from: StudentInit['from']; layers: number[] | null }) => Promise<void> | void;
}

/**
 * A trained model's final weights as a checkpoint ("final:teacher<i>", "final:<recipe>"),
 * with what rebuilds it: its config and tokenizer (so it can be exported or evaluated later).
 */
async function finalCheckpoint(model: RetrievalModel, state: Record<string, unknown>): Promise<CheckpointContent> {
  const tensors = new Map([...(await model.readWeights())].map(([n, t]) => [`student/${n}`, t] as const));
  return { state: { ...state, config: model.config, tokenizer: model.tokenizer.toJSON() }, tensors };
}

/** The batch shape (queries, negatives) a model's own settings ask for. */
function pickShape(t: Partial<TrainSettings> | undefined): Partial<TrainSettings> {
  const out: Partial<TrainSettings> = {};
  if (t?.batchSize !== undefined) out.batchSize = t.batchSize;
  if (t?.negatives !== undefined) out.negatives = t.negatives;
  return out;
}

function buildTokenizer(spec: TokenizerSpec, texts: string[]): Tokenizer {
  if (spec.kind === 'wordpiece') return trainWordPiece(texts, spec.vocabSize).tokenizer;
  // Whole words: the corpus's frequent words (at most vocabSize ids, fewer on a small corpus),
  // a tenth of the ids as hash buckets for the rare ones.
  return trainHashedWord(texts, spec.vocabSize, { fitCorpus: true, bucketFraction: 0.1 });
}

function buildModel(spec: ModelSpec, tok: Tokenizer, seed: number): RetrievalModel {
  return RetrievalModel.create({ ...spec.model, vocabSize: tok.vocabSize, initSeed: seed }, tok);
}

/** Where a model's evaluation gets its candidates and the metrics of its ranking. */
async function evalModel(
  model: RetrievalModel,
  corpus: Corpus,
  qrels: Qrel[],
  candidates: Rankings,
  cfg: ExperimentConfig,
  signal?: { aborted: boolean },
): Promise<{ rankings: Rankings; metrics: MetricSet; result: ReturnType<typeof evaluateRankings> }> {
  const queries = judgedQueries(corpus, qrels);
  const rankings = await rankWithModel(model, corpus, queries, {
    k: 100,
    candidates,
    rerankDepth: cfg.rerankDepth,
    checkCancel: () => {
      if (signal?.aborted) throw new CancelledError('evaluation cancelled');
    },
  });
  const result = evaluateRankings(corpus, rankings, qrels);
  return { rankings, metrics: metricSet(result), result };
}

function toResult(recipe: string, cfg: ExperimentConfig, corpus: Corpus, rankings: Rankings, r: ReturnType<typeof evaluateRankings>, t0: number): RunResult {
  const run: Record<string, string[]> = {};
  for (const [qid, docs] of rankings) run[qid] = docs.map((d) => corpus.docs[d].id);
  return {
    recipe,
    seed: cfg.seed,
    split: cfg.evalSplit,
    metrics: metricSet(r),
    perQuery: { qids: r.evaluated, 'ndcg@10': r.perQuery['ndcg@10'], 'mrr@10': r.perQuery['mrr@10'] },
    run,
    seconds: (Date.now() - t0) / 1000,
  };
}

/** Runs the whole experiment; returns one result per teacher, BM25 and each recipe. */
export async function runExperiment(corpus: Corpus, input: ExperimentConfig, hooks: ExperimentHooks = {}): Promise<RunResult[]> {
  const cfg = validateExperiment(input);
  const log = hooks.onLog ?? (() => {});
  const emit = hooks.onEvent ?? (() => {});
  const results: RunResult[] = [];
  const push = (r: RunResult) => {
    results.push(r);
    hooks.onResult?.(r);
    log(`${r.recipe}: MRR@10 ${r.metrics['mrr@10'].toFixed(4)}, nDCG@10 ${r.metrics['ndcg@10'].toFixed(4)}, R@100 ${r.metrics['recall@100'].toFixed(4)} (${r.seconds.toFixed(0)} s)`);
  };
  const evalQrels = corpus.qrels[cfg.evalSplit] ?? [];
  if (evalQrels.length === 0) throw new ConfigError(`the corpus has no ${cfg.evalSplit} judgments to evaluate on`);
  const docIndex = new Map(corpus.docs.map((d, i) => [d.id, i]));

  // 1. Tokenizers, trained on passages and training queries only (never test queries).
  const trainQids = new Set((corpus.qrels.train ?? []).map((r) => r.qid));
  const texts = [...corpus.docs.map(docText), ...corpus.queries.filter((q) => trainQids.has(q.id)).map((q) => q.text)];
  log('training tokenizers');
  const tokCache = new Map<string, Tokenizer>();
  const tokenizerFor = (spec: TokenizerSpec) => {
    const key = `${spec.kind}:${spec.vocabSize}`;
    if (!tokCache.has(key)) tokCache.set(key, buildTokenizer(spec, texts));
    return tokCache.get(key)!;
  };

  // 2. BM25: the baseline, the CE/ColBERT first stage, and the first negatives.
  let t0 = Date.now();
  log('indexing with BM25');
  const bm25 = Bm25Index.build(corpus.docs);
  const toRankings = (hits: { docIndex: number }[][], qs: { id: string }[]): Rankings => new Map(qs.map((q, i) => [q.id, hits[i].map((h) => h.docIndex)]));
  const evalQueries = judgedQueries(corpus, evalQrels);
  const bm25Eval = toRankings(bm25.searchBatch(evalQueries.map((q) => q.text), 100), evalQueries);
  const bm25Res = evaluateRankings(corpus, bm25Eval, evalQrels);
  push(toResult('bm25', cfg, corpus, bm25Eval, bm25Res, t0));

  const examples = buildExamples(corpus, { seed: cfg.seed, selfSupervised: cfg.selfSupervised?.mode, perDoc: cfg.selfSupervised?.perDoc });
  const positives = new Map<string, Set<number>>();
  for (const ex of examples) {
    let s = positives.get(ex.qid);
    if (!s) positives.set(ex.qid, (s = new Set()));
    s.add(ex.posDoc);
  }
  for (const r of corpus.qrels.train ?? []) if (r.rel > 0 && docIndex.has(r.docId)) positives.get(r.qid)?.add(docIndex.get(r.docId)!);
  const trainQueries = [...new Map(examples.map((e) => [e.qid, { id: e.qid, text: e.query }])).values()];
  const bm25Train = toRankings(bm25.searchBatch(trainQueries.map((q) => q.text), cfg.negativesDepth + 5), trainQueries);
  const bm25Negatives = negativesFromRankings(bm25Train, positives, cfg.negativesDepth);

  const G = (s: TrainSettings) => 1 + s.negatives;
  const hasJudged = examples.some((e) => e.source === 'qrels');
  const judgedCount = new Set(examples.filter((e) => e.source === 'qrels').map((e) => e.qid)).size;
  const spanProbability =
    cfg.selfSupervised?.mode === 'never' ? 0
    : !hasJudged ? 1
    : cfg.selfSupervised?.spanProbability ?? (judgedCount >= SPAN_ENOUGH_QUERIES ? 0 : LAB_SPAN_PROBABILITY);
  if (spanProbability > 0) log(`training batches: ${Math.round(spanProbability * 100)}% inverse-cloze span pairs drawn fresh from the passages${hasJudged ? ', the rest judged training pairs' : ' (the corpus has no judged training queries)'}`);
  const sampler = (s: TrainSettings, seedOffset: number, exs: Example[] = examples, negs = bm25Negatives) =>
    new BatchSampler(corpus, exs, negs, s.batchSize, G(s), cfg.seed * 1000 + seedOffset, { spanProbability });
  const relevant = (qid: string, d: number) => positives.get(qid)?.has(d) ?? false;
  const runPhase = async (spec: PhaseSpec) => {
    const t = new PhaseTrainer(spec);
    try {
      const saved = await hooks.resume?.loadCheckpoint(`phase:${spec.id}`);
      if (saved) {
        t.restore(saved);
        log(`${spec.title}: resumed from the checkpoint at step ${t.step}`);
      }
      // A fixed probe batch (its own sampler stream) for the layer views.
      const probeBatch = spec.teacher ? new BatchSampler(corpus, examples, bm25Negatives, Math.min(8, spec.settings.batchSize), 1 + spec.settings.negatives, cfg.seed + 4242).next() : null;
      const probeEvery = spec.settings.logEvery * 5;
      const tau = spec.mode.kind === 'lead' ? spec.mode.recipe.tau : spec.mode.kind === 'prod' ? spec.mode.recipe.temperature : 1;
      const probe = async (step: number) => {
        if (!probeBatch || !spec.teacher) return;
        const p = await layerProbe(spec.student, spec.teacher, probeBatch, tau);
        const pairs = t.currentPairs;
        emit(layerKLEvent(spec.id, step, p.kl, pairs ? pairs.student.map((sl, j) => [sl, pairs.teacher[j]] as [number, number]) : []));
        emit(distributionEvent(spec.id, step, probeBatch, p, corpus.docs, relevant, tau));
      };
      await t.run({
        signal: hooks.signal,
        onEvent: (e) => {
          emit(e);
          if (e.type === 'health') {
            const { type: _type, ...record } = e;
            health.push(record);
          }
          if (e.type === 'step' && probeBatch && (e.step % probeEvery === 0 || e.step === e.totalSteps)) pendingProbe = e.step;
        },
        onCheckpoint: hooks.saveCheckpoint ? (c) => hooks.saveCheckpoint!(`phase:${spec.id}`, c) : undefined,
        onEval: undefined,
      });
      if (pendingProbe !== null) await probe(pendingProbe);
      if (probeBatch && spec.teacher) {
        const emb = await embeddingEvent(spec.student, spec.teacher, probeBatch);
        if (emb) emit(emb);
      }
    } finally {
      pendingProbe = null;
      t.dispose();
    }
  };
  let pendingProbe: number | null = null;
  /** Health events of the phases since the current result began (a teacher, or a recipe's stages). */
  let health: HealthRecord[] = [];
  const check = () => {
    if (hooks.signal?.aborted) throw new CancelledError('experiment stopped');
  };

  /** The model a student is cut from (StudentInit `checkpoint`), loaded as a pretrained teacher is. */
  const loadInitSource = async (id: string): Promise<RetrievalModel> => {
    if (!hooks.loadPretrained) throw new ConfigError(`student.init: a student from the checkpoint "${id}" needs the lab's model store`, { field: 'student.init.id' });
    return hooks.loadPretrained(id);
  };

  // 3. Teachers.
  const teachers: RetrievalModel[] = [];
  const teacherRankings: Rankings[] = [];
  const owned: RetrievalModel[] = [];
  try {
    for (const [i, spec] of cfg.teachers.entries()) {
      check();
      t0 = Date.now();
      if (spec.pretrained && !hooks.loadPretrained) throw new ConfigError(`${spec.name}: an imported teacher needs the lab's model store`);
      const source = spec.initFrom !== undefined && !spec.pretrained ? teachers[spec.initFrom] : undefined;
      if (spec.initFrom !== undefined && !spec.pretrained && !source) {
        throw new ConfigError(`${spec.name}: initFrom ${spec.initFrom} must name an earlier teacher of the chain (0..${i - 1})`, { field: `teachers[${i}].initFrom` });
      }
      const model = spec.pretrained
        ? await hooks.loadPretrained!(spec.pretrained)
        : buildModel(spec, source ? source.tokenizer : tokenizerFor(spec.tokenizer), cfg.seed * 7919 + 101 + i);
      owned.push(model);
      if (source) {
        const own = await model.readWeights();
        const from = await source.readWeights();
        let copied = 0;
        const merged = new Map<string, Float32Array>();
        for (const [name, w] of own) {
          const f = from.get(name);
          const same = f !== undefined && f.shape.length === w.shape.length && f.shape.every((d, j) => d === w.shape[j]);
          if (same) copied++;
          merged.set(name, same ? f.data : w.data);
        }
        model.assignWeights(merged);
        log(`${spec.name}: ${copied} of ${own.size} weights start from ${cfg.teachers[spec.initFrom!].name}`);
      }
      const done = spec.pretrained ? null : await hooks.resume?.loadCheckpoint(`final:teacher${i}`);
      if (spec.pretrained) {
        log(`${spec.name}: imported checkpoint (${model.numParameters.toLocaleString()} parameters), used as it is`);
      } else if (done) {
        model.assignWeights(tensorsUnder(done, 'student/'));
        log(`${spec.name}: restored the trained weights from its checkpoint`);
      } else {
        log(`training ${spec.name} (${model.numParameters.toLocaleString()} parameters)`);
        health = [];
        const settings = validateTrainSettings({ ...cfg.teacherTrain, ...spec.train });
        await runPhase({
          id: `teacher${i}`, title: `Train ${spec.name}`, mode: { kind: 'contrastive' }, settings,
          student: model, studentRole: 'teacher', sampler: sampler(settings, 10 + i), seed: cfg.seed + i,
        });
        if (hooks.saveCheckpoint) await hooks.saveCheckpoint(`final:teacher${i}`, await finalCheckpoint(model, { teacher: i, name: spec.name }));
      }
      if (!spec.pretrained) await hooks.onTeacher?.(i, spec, model);
      // A CE re-ranks the first teacher's candidates (or BM25's), as in PROD's chain.
      const cands = teacherRankings[0] ?? bm25Eval;
      const ev = await evalModel(model, corpus, evalQrels, cands, cfg, hooks.signal);
      teachers.push(model);
      teacherRankings.push(ev.rankings);
      emit({ type: 'eval', phase: `teacher${i}`, step: cfg.teacherTrain.steps, role: 'teacher', split: cfg.evalSplit, metrics: ev.metrics });
      const res = toResult(`teacher:${spec.name}`, cfg, corpus, ev.rankings, ev.result, t0);
      if (!spec.pretrained && !done) res.health = summarizeHealth(health);
      push(res);
    }

    // 4. Students, each recipe's from the same initial weights: random ones rebuilt from the
    // same seed per recipe, or one student cut from a model's blocks, cloned per recipe.
    const studentSeed = cfg.seed * 7919 + 7;
    const init = cfg.student.init?.from === 'random' ? undefined : cfg.student.init;
    const sTok = init ? null : tokenizerFor(cfg.student.tokenizer);
    let initial: RetrievalModel | null = null;
    if (init) {
      check();
      const source = init.from === 'teacher' ? teachers[0] : await loadInitSource(init.id);
      try {
        const L = source.config.layers;
        const layers = init.layers ?? (init.from === 'teacher' ? everyOtherLayer(L) : Array.from({ length: L }, (_, i) => i));
        checkLayerList(layers, L, 'student.init.layers');
        const cut = await cutStudent(source, layers, cfg.student.model, studentSeed);
        initial = cut.model;
        owned.push(initial);
        const c = initial.config;
        const what = init.from === 'teacher' ? `${cfg.teachers[0].name} (${L} layers)` : `${init.id} (${L} layers)`;
        log(`student: blocks ${layers.join(', ')} of ${what} copied with the embeddings (${cut.copied} of ${cut.total} weights): ` +
          `${c.kind.toUpperCase()} ${c.layers} x ${c.hidden} (${c.heads} heads, FFN ${c.ffn}), ${initial.numParameters.toLocaleString()} parameters, the ${init.from === 'teacher' ? "teacher's" : "checkpoint's"} tokenizer`);
        for (const r of cfg.recipes) {
          if (r.kind === 'lead' && r.k > c.layers) {
            throw new ConfigError(`LEAD: k = ${r.k} exceeds the student's depth (${c.layers} blocks cut from ${what}); k must be at most ${Math.min(c.layers, teachers[0].config.layers)}`, { field: 'lead.k' });
          }
        }
        await hooks.onStudentInit?.(initial, { from: init.from, layers: layers.slice() });
      } finally {
        if (source !== teachers[0]) source.dispose();
      }
    } else if (hooks.onStudentInit) {
      const first = buildModel(cfg.student, sTok!, studentSeed);
      try {
        await hooks.onStudentInit(first, { from: 'random', layers: null });
      } finally {
        first.dispose();
      }
    }
    for (const recipe of cfg.recipes) {
      check();
      const finished = hooks.resume?.results.find((r) => r.recipe === recipe.kind && r.seed === cfg.seed);
      if (finished) {
        push(finished);
        continue;
      }
      t0 = Date.now();
      health = [];
      const student = initial ? initial.clone() : buildModel(cfg.student, sTok!, studentSeed); // same initial weights for every recipe
      const extra: RetrievalModel[] = [];
      let stages: RunResult['stages'];
      try {
        const s = cfg.studentTrain;
        if (recipe.kind === 'baseline') {
          log('training the student alone (contrastive)');
          await runPhase({ id: 'baseline', title: 'Student alone', mode: { kind: 'contrastive' }, settings: s, student, sampler: sampler(s, 100), seed: cfg.seed });
        } else if (recipe.kind === 'kd') {
          log('distilling with response KD');
          await runPhase({ id: 'kd', title: 'Response KD', mode: { kind: 'kd', recipe }, settings: s, student, teacher: teachers[0], sampler: sampler(s, 100), seed: cfg.seed });
        } else if (recipe.kind === 'lead') {
          log('distilling with LEAD');
          // Joint training changes the teacher: LEAD gets its own copy.
          const teacher = recipe.joint ? teachers[0].clone() : teachers[0];
          if (recipe.joint) extra.push(teacher);
          await runPhase({ id: 'lead', title: 'LEAD', mode: { kind: 'lead', recipe }, settings: s, student, teacher, sampler: sampler(s, 100), seed: cfg.seed });
        } else {
          stages = [];
          let negatives = bm25Negatives;
          const stageStudentRankings = () => rankWithModel(student, corpus, trainQueries, { k: recipe.refreshTopM + 5 });
          for (const [si, stage] of recipe.stages.entries()) {
            check();
            const teacher = teachers[stage.teacher];
            if (si > 0 && recipe.refreshNegatives) {
              log(`PROD: refreshing negatives from the student's top ${recipe.refreshTopM}`);
              negatives = negativesFromRankings(await stageStudentRankings(), positives, recipe.refreshTopM);
            }
            const previous = si > 0 && recipe.lwf ? student.clone() : undefined;
            if (previous) extra.push(previous);
            const title = `PROD stage ${si + 1} of ${recipe.stages.length}: distil ${cfg.teachers[stage.teacher].name}`;
            // A CE teacher scores each query's own group only ([B, G]): the stage takes that
            // teacher's batch shape (hard negatives), since in-batch negatives do not reach it.
            const shape = teacher.config.kind === 'ce' ? pickShape(cfg.teachers[stage.teacher].train) : {};
            const stageSettings = { ...s, ...shape, steps: stage.steps, lr: stage.lr };
            log(title);
            await runPhase({
              id: `prod:stage${si + 1}`, title, mode: { kind: 'prod', recipe, lwf: Boolean(previous) },
              settings: stageSettings, student, teacher, previous,
              sampler: sampler(stageSettings, 200 + si, examples, negatives), seed: cfg.seed + si,
            });
            const ev = await evalModel(student, corpus, evalQrels, bm25Eval, cfg, hooks.signal);
            stages.push({ title, metrics: ev.metrics });
            emit({ type: 'stage', stage: si + 1, title, teacher: cfg.teachers[stage.teacher].name, metrics: ev.metrics, examples: examples.length });
          }
          const dp = recipe.dataProgressive;
          if (dp.enabled) {
            check();
            // Rank the training queries with the student; the last teacher re-ranks its top.
            const lastTeacher = teachers[recipe.stages[recipe.stages.length - 1].teacher];
            const dpQueries = new Rng(cfg.seed ^ 0xd9).shuffle([...trainQueries]).slice(0, dp.maxQueries);
            const sRank = await rankWithModel(student, corpus, dpQueries, { k: dp.rerankDepth });
            const tRank = await rankWithModel(lastTeacher, corpus, dpQueries, { k: dp.rerankDepth, candidates: sRank, rerankDepth: dp.rerankDepth });
            const sFirst: Record<string, number | null> = {};
            const tFirst: Record<string, number | null> = {};
            for (const q of dpQueries) {
              const pos = positives.get(q.id) ?? new Set<number>();
              sFirst[q.id] = firstRelevantRank(sRank.get(q.id) ?? [], pos);
              tFirst[q.id] = firstRelevantRank(tRank.get(q.id) ?? [], pos);
            }
            const selected = new Set(selectDataProgressive(sFirst, tFirst, dp));
            emit({
              type: 'rankScatter',
              points: dpQueries.map((q) => ({ qid: q.id, studentRank: sFirst[q.id] ?? dp.rerankDepth + 1, teacherRank: tFirst[q.id] ?? dp.rerankDepth + 1, selected: selected.has(q.id) })),
              window: { rankLow: dp.rankLow, rankHigh: dp.rankHigh, teacherRank: dp.teacherRank },
            });
            const subset = examples.filter((e) => selected.has(e.qid));
            log(`PROD data-progressive stage: ${selected.size} of ${dpQueries.length} ranked training queries selected`);
            if (subset.length >= 8) {
              // Negatives in the teacher's descending-score order (neg_type = descend).
              const descend = negativesFromRankings(tRank, positives, recipe.refreshTopM);
              const previous = recipe.lwf ? student.clone() : undefined;
              if (previous) extra.push(previous);
              const lastSpec = cfg.teachers[recipe.stages[recipe.stages.length - 1].teacher];
              // Hard negatives from the teacher's ranking (descend): the recipe's count, or the CE
              // teacher's own group size where that is larger.
              const dpShape = lastTeacher.config.kind === 'ce' ? pickShape(lastSpec.train) : {};
              // A batch holds each selected query once (distinct): the subset is small, and the
              // same query twice in a batch makes its other relevant passage a negative.
              const batchSize = Math.min((dpShape.batchSize ?? s.batchSize), selected.size);
              const dpSettings = { ...s, ...dpShape, batchSize, negatives: Math.max(dp.negatives, dpShape.negatives ?? 0), steps: dp.steps, lr: dp.lr };
              const dpSampler = new BatchSampler(corpus, subset, descend, dpSettings.batchSize, G(dpSettings), cfg.seed * 1000 + 300, { negType: 'descend', distinct: true });
              const title = 'PROD data-progressive stage';
              await runPhase({
                id: 'prod:dp', title, mode: { kind: 'prod', recipe, lwf: Boolean(previous) },
                settings: dpSettings, student, teacher: lastTeacher, previous, sampler: dpSampler, seed: cfg.seed + 99,
              });
              const ev = await evalModel(student, corpus, evalQrels, bm25Eval, cfg, hooks.signal);
              stages.push({ title, metrics: ev.metrics });
              emit({ type: 'stage', stage: recipe.stages.length + 1, title, teacher: cfg.teachers[recipe.stages[recipe.stages.length - 1].teacher].name, metrics: ev.metrics, examples: subset.length });
            } else {
              log(`PROD data-progressive stage skipped: ${subset.length} selected examples (at least 8 are needed)`);
            }
          }
        }
        // The weights evaluated below, kept for export and later evaluation.
        if (hooks.saveCheckpoint) await hooks.saveCheckpoint(`final:${recipe.kind}`, await finalCheckpoint(student, { recipe: recipe.kind, name: cfg.student.name }));
        const ev = await evalModel(student, corpus, evalQrels, bm25Eval, cfg, hooks.signal);
        emit({ type: 'eval', phase: recipe.kind, step: cfg.studentTrain.steps, role: 'student', split: cfg.evalSplit, metrics: ev.metrics });
        const res = toResult(recipe.kind, cfg, corpus, ev.rankings, ev.result, t0);
        if (stages) res.stages = stages;
        res.health = summarizeHealth(health);
        push(res);
      } finally {
        student.dispose();
        for (const m of extra) m.dispose();
      }
    }
  } finally {
    for (const m of owned) m.dispose();
  }
  return results;
}
