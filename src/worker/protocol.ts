// The one typed protocol between the page and the lab's workers.
//
// Every request names a method; `Methods` fixes, per method, the params it takes, the
// result it resolves with and the progress events it may emit. Requests carry ids;
// responses (progress, result, error) echo them. Errors cross as SerializedError
// ({name, message, details}) of the named error classes in src/core/errors.ts.
// Large buffers travel as transferables (see `transferablesOf`).
import type { SerializedError } from '../core/errors';
import type { BackendChoice, BackendName } from '../core/backend/policy';
import type { SelfCheckResult } from '../core/backend/selfcheck';
import type { ExperimentConfig, RunResult } from '../core/distill/experiment';
import type { TrainEvent } from '../core/train/events';
import type { CsvMapping, ValidationReport } from '../core/data/ingest';
import type { Split } from '../core/data/types';
import type { ExportedFiles } from '../core/model/hf';
import type { ModelEvaluation } from '../core/retrieval/evaluate';
import type { BaselineMetrics, CorpusRecord, ModelInfo } from '../store/schema';
import type { CorpusPreview, StorageInfo } from '../store/store';

export interface MemoryInfo {
  numTensors: number;
  numBytes: number;
  numBytesInGPU?: number;
}

export interface EngineInfo {
  backend: BackendName;
  choice: BackendChoice;
  tfjsVersion: string;
  /** The environment the engine runs in: "worker", "node" or "page". */
  host: string;
  crossOriginIsolated: boolean;
}

/** What a training run streams: the trainer's events, log lines, and each finished result. */
export type TrainProgress = TrainEvent | { type: 'log'; message: string } | { type: 'result'; result: RunResult };

/** A run as the page lists it. */
export interface RunSummary {
  id: string;
  name: string;
  corpusId: string;
  status: string;
  createdAt: number;
  updatedAt: number;
  config: ExperimentConfig;
  results: RunResult[];
  error?: { name: string; message: string };
  /** The page's run config the run was launched from (the Recipe tab's), when it had one; unvalidated. */
  runConfig?: unknown;
}

/**
 * A model the lab can export, evaluate or teach with: imported from Hugging Face files
 * (id "import:<id>") or trained in a run (id "run:<runId>:<checkpoint>", from the final
 * checkpoint a run stores for each teacher and each recipe's student).
 */
export interface ModelSummary {
  id: string;
  name: string;
  origin: 'import' | 'run' | 'builtin';
  info: ModelInfo;
  createdAt: number;
  /** Trained models: their run, its corpus and the role ("teacher:<name>" or the recipe). */
  run?: { runId: string; runName: string; corpusId: string; role: string; split: Split; rerankDepth: number };
  /** Imported models: the files they came from. */
  files?: { name: string; bytes: number }[];
  /** Models downloaded from the Hugging Face Hub: where from, and the commit. */
  hub?: { endpoint: string; repo: string; revision: string; sha: string };
  /** Teachers shipped with the lab (id builtin:<name>): the world they were trained on, their test metrics, the command. */
  shipped?: { corpus: string; test: { 'mrr@10': number; 'ndcg@10': number }; bm25: { 'ndcg@10': number }; command: string };
}

/** Method name -> params, result and progress payloads. Add new methods here only. */
export interface Methods {
  /**
   * Train an experiment (teachers, then each recipe's student) on a stored corpus. Creates
   * the run (or resumes it from its checkpoints and finished results when `resume`). A
   * cancel pauses it: the run stays resumable.
   */
  train: {
    /** `runConfig`: the page's run config it was launched from, stored with the run (Export writes it back). */
    params: { runId: string; name: string; corpusId: string; config: ExperimentConfig; resume?: boolean; runConfig?: unknown };
    result: { runId: string; results: RunResult[] };
    progress: TrainProgress;
  };
  /** Every stored run, newest first. */
  listRuns: {
    params: Record<string, never>;
    result: RunSummary[];
    progress: never;
  };
  /** The stored event series of a run (what its charts draw), to redraw it after a reload. */
  runEvents: {
    params: { runId: string };
    result: TrainProgress[];
    progress: never;
  };
  /** Deletes a run with its checkpoints and series. */
  deleteRun: {
    params: { runId: string };
    result: { deleted: boolean };
    progress: never;
  };

  // ---- Models (served by the training worker, src/worker/modelHandlers.ts).
  /**
   * Imports a Hugging Face checkpoint (config.json, vocab.txt, *.safetensors): every file is
   * validated and the model built before anything is stored, then record and files are
   * stored in one transaction. Errors name the file and what is wrong with it.
   */
  importModel: {
    params: {
      name?: string;
      /**
       * vocab.txt may be left out when `extra` has tokenizer.json. `extra`: the other files of a
       * sentence-transformers folder, named by their path in it (modules.json,
       * 1_Pooling/config.json, tokenizer.json, sentence_bert_config.json, ...).
       */
      files: { config: IngestFileParam; vocab?: IngestFileParam; weights: IngestFileParam; extra?: IngestFileParam[] };
    };
    result: ModelSummary;
    progress: never;
  };
  /**
   * Downloads `owner/name[@revision]` from the Hugging Face Hub (or `endpoint`), checks every
   * file (sizes, sha256) and imports it as importModel does. A revision already imported from
   * the same endpoint is answered from the library without any request. The token, when
   * given, is used for this download only and never stored. Cancel stops the download.
   */
  importHubModel: {
    params: { spec: string; endpoint?: string; token?: string; name?: string };
    result: ModelSummary & { fromLibrary: boolean };
    progress: { kind: 'listing'; files: { path: string; size?: number }[] } | { kind: 'file'; file: string; loaded: number; total?: number };
  };
  /** Imported models, then the trained models of every stored run. */
  listModels: {
    params: Record<string, never>;
    result: ModelSummary[];
    progress: never;
  };
  /** Deletes an imported model (a run's models go with their run). */
  deleteModel: {
    params: { id: string };
    result: { deleted: boolean };
    progress: never;
  };
  /**
   * A model as Hugging Face files. config.json carries the lab's config and tokenizer (under
   * "distill_lab"), so a hashed-word tokenizer is rebuilt exactly on import.
   */
  exportModel: {
    /** layout 'sentence-transformers': also the tokenizer and sentence-transformers files (extraFiles, by path). */
    params: { id: string; layout?: 'hf' | 'sentence-transformers' };
    result: ExportedFiles & { name: string; extraFiles?: Record<string, string> };
    progress: never;
  };
  /**
   * Ranks a split's judged queries with a model and evaluates the ranking (MRR@10, nDCG@10,
   * Recall@100, ...), exactly as a run evaluates its students. Default split: test, else dev.
   */
  evaluateModel: {
    params: { id: string; corpusId: string; split?: Split; rerankDepth?: number };
    result: ModelEvaluation & { modelId: string; corpusId: string; seconds: number; backend: string };
    progress: { done: number; total: number };
  };

  /** Choose and initialise the backend (self-checks included). */
  init: {
    params: { forceBackend?: BackendName | null; skipTrials?: boolean };
    result: EngineInfo;
    progress: { stage: string; backend?: BackendName };
  };
  /** Run the self-check on one backend now (switching back afterwards). */
  selfCheck: {
    params: { backend: BackendName };
    result: SelfCheckResult;
    progress: never;
  };
  /** Echo, to measure round trips and test the protocol. */
  ping: {
    params: { payload: string; bytes?: ArrayBuffer };
    result: { payload: string; byteLength: number; backend: string | null };
    progress: never;
  };
  /** Counts that do not depend on the machine: tensors alive, bytes. */
  memory: {
    params: Record<string, never>;
    result: MemoryInfo;
    progress: never;
  };
  /** Emits `steps` progress events then resolves; lets tests check progress and cancel. */
  countdown: {
    params: { steps: number; delayMs: number };
    result: { completed: number };
    progress: { step: number; of: number };
  };

  // ---- Ingestion and storage (served by the ingest worker, src/worker/ingestHandlers.ts).
  /**
   * Streams files into a corpus (BEIR, MS MARCO or CSV/TSV), computes its BM25 baseline and
   * stores it atomically. Cancel (the signal) or any failure stores nothing.
   */
  ingest: {
    params: {
      /** Each file with its name or relative path ("scifact/qrels/test.tsv"). */
      files: IngestFileParam[];
      /** Corpus name; by default the files' common folder or the documents file's name. */
      name?: string;
      csvMapping?: CsvMapping;
      /**
       * Test hook: the store throws a real DOMException 'QuotaExceededError' after this many
       * shard transactions, as a full disk would (a real quota cannot be reached in tests).
       */
      debugFailAfterShards?: number;
    };
    result: { corpus: CorpusRecord; report: ValidationReport };
    progress: IngestProgressEvent;
  };
  /** Ready corpora (never those still being stored). */
  listCorpora: {
    params: Record<string, never>;
    result: { corpora: CorpusRecord[] };
    progress: never;
  };
  /** Deletes a corpus and everything derived from it; runs that used it are marked. */
  deleteCorpus: {
    params: { id: string };
    result: { deleted: boolean; runsMarked: number };
    progress: never;
  };
  /** The validation report stored with an uploaded corpus (null for the built-in world). */
  corpusReport: {
    params: { id: string };
    result: { report: ValidationReport | null };
    progress: never;
  };
  /** The first few documents and queries of a corpus. */
  corpusPreview: {
    params: { id: string; count?: number };
    result: CorpusPreview;
    progress: never;
  };
  /** Storage used and available (navigator.storage.estimate) and each corpus's size. */
  storageEstimate: {
    params: Record<string, never>;
    result: StorageInfo;
    progress: never;
  };
  /** Stores the built-in default world if it is missing; returns its record. */
  ensureBuiltinWorld: {
    params: Record<string, never>;
    result: { corpus: CorpusRecord };
    progress: { phase: 'generating' | 'storing' };
  };
  /** BM25 (Anserini defaults) on a corpus split: by default test, else dev, else train. */
  bm25Baseline: {
    params: { corpusId: string; split?: Split };
    result: { split: Split; metrics: BaselineMetrics; ms: number };
    progress: never;
  };
}

/** A file handed to the ingest worker: Blobs clone across threads, names travel beside them. */
export interface IngestFileParam {
  name: string;
  blob: Blob;
}

export type IngestPhase = 'reading' | 'indexing' | 'storing';

export interface IngestProgressEvent {
  phase: IngestPhase;
  /** The file being read (reading phase), else null. */
  file: string | null;
  bytesRead: number;
  totalBytes: number;
  /** Rows accepted and rejected so far, all files together. */
  rowsAccepted: number;
  rowsRejected: number;
  /** Storing phase: shard transactions committed, of all. */
  shardsWritten: number;
  shardsTotal: number;
}

export type MethodName = keyof Methods;
export type Params<M extends MethodName> = Methods[M]['params'];
export type Result<M extends MethodName> = Methods[M]['result'];
export type Progress<M extends MethodName> = Methods[M]['progress'];

/** page -> worker */
export type RequestMessage = {
  [M in MethodName]: { type: 'request'; id: number; method: M; params: Params<M> };
}[MethodName];
export type CancelMessage = { type: 'cancel'; id: number };
export type ToWorker = RequestMessage | CancelMessage;

/** worker -> page */
export type ProgressMessage = {
  [M in MethodName]: { type: 'progress'; id: number; method: M; progress: Progress<M> };
}[MethodName];
export type ResultMessage = {
  [M in MethodName]: { type: 'result'; id: number; method: M; result: Result<M> };
}[MethodName];
export type ErrorMessage = { type: 'error'; id: number; method: MethodName | null; error: SerializedError };
/** Sent once, unprompted, when the worker's module has loaded. */
export type ReadyMessage = { type: 'ready' };
export type FromWorker = ProgressMessage | ResultMessage | ErrorMessage | ReadyMessage;

const METHOD_NAMES: readonly MethodName[] = [
  'train',
  'listRuns',
  'runEvents',
  'deleteRun',
  'importModel',
  'importHubModel',
  'listModels',
  'deleteModel',
  'exportModel',
  'evaluateModel',
  'init',
  'selfCheck',
  'ping',
  'memory',
  'countdown',
  'ingest',
  'listCorpora',
  'deleteCorpus',
  'corpusReport',
  'corpusPreview',
  'storageEstimate',
  'ensureBuiltinWorld',
  'bm25Baseline',
];

export function isMethodName(x: unknown): x is MethodName {
  return typeof x === 'string' && (METHOD_NAMES as readonly string[]).includes(x);
}

/** Validates the envelope of a message arriving at the worker (params are checked by handlers). */
export function parseToWorker(data: unknown): ToWorker | null {
  if (typeof data !== 'object' || data === null) return null;
  const m = data as Record<string, unknown>;
  if (typeof m.id !== 'number') return null;
  if (m.type === 'cancel') return { type: 'cancel', id: m.id };
  if (m.type === 'request' && isMethodName(m.method) && typeof m.params === 'object' && m.params !== null) {
    return data as RequestMessage;
  }
  return null;
}

/** ArrayBuffers (and typed arrays' buffers) inside a payload, to transfer instead of copy. */
export function transferablesOf(value: unknown, out: Transferable[] = [], depth = 0): Transferable[] {
  if (depth > 6 || value === null || typeof value !== 'object') return out;
  if (value instanceof ArrayBuffer) {
    if (!out.includes(value)) out.push(value);
    return out;
  }
  if (ArrayBuffer.isView(value)) {
    const b = value.buffer;
    // Transfer only whole, non-shared buffers: a view into a larger buffer would detach its neighbours.
    if (b instanceof ArrayBuffer && value.byteOffset === 0 && value.byteLength === b.byteLength && !out.includes(b)) out.push(b);
    return out;
  }
  if (Array.isArray(value)) {
    for (const v of value) transferablesOf(v, out, depth + 1);
    return out;
  }
  for (const v of Object.values(value as Record<string, unknown>)) transferablesOf(v, out, depth + 1);
  return out;
}
