// The lab's one IndexedDB schema, declared once with idb's DBSchema. Every read and write
// goes through store.ts; this file only says what is stored where and how the database
// is created and migrated.
//
// Keys are compound arrays whose first element is the owner (a corpus id or a run id), so
// everything that belongs to one owner is the key range [owner] .. [owner, []] (an array
// sorts after every string and number): deleting a corpus or discarding a staging upload is
// one range delete per store, with no index scan.
import { wrap, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import type { Doc, Qrel, Query, Split } from '../core/data/types';
import type { Layout, ValidationReport } from '../core/data/ingest';

export const DB_NAME = 'distill-lab';

/**
 * `staging`: an upload being written; invisible to listCorpora and loadCorpus, removed on
 * cancel, failure or a crashed tab. `ready`: committed by one readwrite transaction.
 */
export type CorpusStatus = 'staging' | 'ready';

export type CorpusSource =
  | { kind: 'builtin'; preset: string; seed: number }
  | { kind: 'upload'; layout: Layout; files: { name: string; bytes: number }[] };

/** Retrieval metrics of the BM25 baseline on one split (algorithms.md section 6). */
export interface BaselineMetrics {
  'mrr@10': number;
  'ndcg@10': number;
  'recall@100': number;
  map: number;
  /** Queries evaluated: judged queries with at least one relevant document. */
  queries: number;
}

export interface CorpusCounts {
  docs: number;
  queries: number;
  /** Judgment rows per split. */
  qrels: Record<Split, number>;
  /** Distinct judged queries per split. */
  judgedQueries: Record<Split, number>;
  /** Queries that came with hard negatives. */
  queriesWithNegatives: number;
  docShards: number;
  queryShards: number;
}

export interface CorpusStats {
  /** Mean whitespace-separated words per document (title + text) and per query. */
  avgDocWords: number;
  avgQueryWords: number;
  /** Distinct terms after BM25's analyzer (lower-case, stop words, Porter stemming). */
  vocabularySize: number;
}

export interface CorpusRecord {
  id: string;
  name: string;
  source: CorpusSource;
  status: CorpusStatus;
  createdAt: number;
  /** Last write while staging: a staging record whose writer is gone goes stale. */
  updatedAt: number;
  counts: CorpusCounts;
  stats: CorpusStats;
  /** Approximate bytes of its text (characters of ids, titles, texts), for the storage view. */
  bytes: number;
  /** BM25 baseline per split with judgments, computed before commit. */
  baseline: Partial<Record<Split, BaselineMetrics>>;
}

export interface DocShardRecord {
  corpusId: string;
  shard: number;
  docs: Doc[];
}

export interface QueryShardRecord {
  corpusId: string;
  shard: number;
  queries: Query[];
}

export interface QrelsRecord {
  corpusId: string;
  split: Split;
  qrels: Qrel[];
}

export interface ReportRecord {
  corpusId: string;
  report: ValidationReport;
}

/** Which texts a tokenised shard holds. */
export type TokenSide = 'docs' | 'queries';

/**
 * Token ids of one shard of texts, in CSR form: text i is ids[offsets[i] .. offsets[i + 1]).
 * Shard s covers the same texts as docShards/queryShards shard s.
 */
export interface TokenShardRecord {
  corpusId: string;
  tokenizerId: string;
  side: TokenSide;
  shard: number;
  offsets: Uint32Array; // [texts + 1]
  ids: Uint32Array | Int32Array | Uint16Array; // [total tokens]
}

/** Hard negatives for a corpus under a name ("upload" for the user's own, "bm25", ...). */
export interface NegativesRecord {
  corpusId: string;
  name: string;
  negatives: Record<string, string[]>;
  createdAt: number;
}

export interface CheckpointMeta {
  runId: string;
  name: string;
  byteLength: number;
  chunkSize: number;
  chunkCount: number;
  /** SHA-256 of the whole buffer (hex), where crypto.subtle is available; null otherwise. */
  sha256: string | null;
  createdAt: number;
  /** Caller's description (step, phase, ...): JSON-serialisable. */
  info: Record<string, unknown>;
}

export interface CheckpointChunkRecord {
  runId: string;
  name: string;
  index: number;
  data: ArrayBuffer;
  /** CRC-32 (IEEE) of `data`, verified on load. */
  crc32: number;
}

export type RunStatus = 'created' | 'running' | 'paused' | 'stopped' | 'done' | 'failed';

export interface RunRecord<Config = unknown> {
  id: string;
  name: string;
  /** The corpus it trains and evaluates on. */
  corpusId: string;
  /** The run's serialisable config (seed included). */
  config: Config;
  status: RunStatus;
  createdAt: number;
  updatedAt: number;
  /** Set when its corpus was deleted: the run and its results stay, it cannot resume. */
  corpusDeleted?: { name: string; at: number };
  /** Why it failed, when it did. */
  error?: { name: string; message: string };
  /** Final or latest results, free-form (JSON-serialisable). */
  summary?: Record<string, unknown>;
}

/** One appended batch of a metric series: appends never rewrite earlier batches. */
export interface SeriesRecord<Point = unknown> {
  runId: string;
  name: string;
  seq: number;
  points: Point[];
}

/** What the Models tab shows of a model, without loading its weights. */
export interface ModelInfo {
  kind: string;
  layers: number;
  hidden: number;
  heads: number;
  ffn: number;
  maxQueryLen: number;
  maxPassageLen: number;
  maxPositions: number;
  vocabSize: number;
  params: number;
  /** Tokenizer kind ("wordpiece", "hashed-word"). */
  tokenizer: string;
}

/** A model imported from Hugging Face files (config.json, vocab.txt, *.safetensors). */
export interface ModelRecord {
  id: string;
  name: string;
  source: {
    kind: 'import';
    files: { name: string; bytes: number }[];
    /** Downloaded from the Hugging Face Hub: where from, and the commit the revision resolved to. */
    hub?: { endpoint: string; repo: string; revision: string; sha: string };
  };
  info: ModelInfo;
  createdAt: number;
}

/** The imported files themselves, as they were read (re-exported byte for byte). */
export interface ModelFilesRecord {
  modelId: string;
  configJson: string;
  vocabTxt: string;
  safetensors: ArrayBuffer;
  /**
   * The other text files of a sentence-transformers folder by their path in it (modules.json,
   * 1_Pooling/config.json, tokenizer.json, ...); absent for a plain Hugging Face import.
   */
  extraFiles?: Record<string, string>;
}

export interface LabDB extends DBSchema {
  corpora: { key: string; value: CorpusRecord; indexes: { 'by-status': CorpusStatus } };
  docShards: { key: [string, number]; value: DocShardRecord };
  queryShards: { key: [string, number]; value: QueryShardRecord };
  qrels: { key: [string, Split]; value: QrelsRecord };
  reports: { key: [string]; value: ReportRecord };
  tokenShards: { key: [string, string, TokenSide, number]; value: TokenShardRecord };
  negatives: { key: [string, string]; value: NegativesRecord };
  checkpoints: { key: [string, string]; value: CheckpointMeta };
  checkpointChunks: { key: [string, string, number]; value: CheckpointChunkRecord };
  runs: { key: string; value: RunRecord; indexes: { 'by-corpus': string } };
  series: { key: [string, string, number]; value: SeriesRecord };
  models: { key: string; value: ModelRecord };
  modelFiles: { key: [string]; value: ModelFilesRecord };
}

export type LabStoreName = StoreNames<LabDB>;
export type UpgradeTx = IDBPTransaction<LabDB, LabStoreName[], 'versionchange'>;
export type Migration = (db: IDBPDatabase<LabDB>, tx: UpgradeTx) => void;

/** Every store a corpus owns (keyed by corpus id first). */
export const CORPUS_STORES = ['docShards', 'queryShards', 'qrels', 'reports', 'tokenShards', 'negatives'] as const;
/** Every store a run owns (keyed by run id first). */
export const RUN_STORES = ['checkpoints', 'checkpointChunks', 'series'] as const;

/**
 * Migrations by version number: MIGRATIONS[v - 1] takes a database at version v - 1 to v.
 * Append only: a released migration is never edited, a change is a new version.
 */
export const MIGRATIONS: readonly Migration[] = [
  // v1: corpora in shards, tokenised shards, negatives, checkpoints in checksummed chunks,
  // runs and their append-only metric series.
  (db) => {
    const corpora = db.createObjectStore('corpora', { keyPath: 'id' });
    corpora.createIndex('by-status', 'status');
    db.createObjectStore('docShards', { keyPath: ['corpusId', 'shard'] });
    db.createObjectStore('queryShards', { keyPath: ['corpusId', 'shard'] });
    db.createObjectStore('qrels', { keyPath: ['corpusId', 'split'] });
    // An array key path, so that like every corpus-owned store its keys start with the corpus id.
    db.createObjectStore('reports', { keyPath: ['corpusId'] });
    db.createObjectStore('tokenShards', { keyPath: ['corpusId', 'tokenizerId', 'side', 'shard'] });
    db.createObjectStore('negatives', { keyPath: ['corpusId', 'name'] });
    db.createObjectStore('checkpoints', { keyPath: ['runId', 'name'] });
    db.createObjectStore('checkpointChunks', { keyPath: ['runId', 'name', 'index'] });
    const runs = db.createObjectStore('runs', { keyPath: 'id' });
    runs.createIndex('by-corpus', 'corpusId');
    db.createObjectStore('series', { keyPath: ['runId', 'name', 'seq'] });
  },
  // v2: imported models (Hugging Face checkpoints): a small record to list, and its files
  // (written together in one transaction).
  (db) => {
    db.createObjectStore('models', { keyPath: 'id' });
    db.createObjectStore('modelFiles', { keyPath: ['modelId'] });
  },
];

export const DB_VERSION = MIGRATIONS.length;

/** Runs the migrations from `oldVersion` (exclusive) to `newVersion` (inclusive), in order. */
export function runMigrations(
  db: IDBPDatabase<LabDB>,
  tx: UpgradeTx,
  oldVersion: number,
  newVersion: number,
  migrations: readonly Migration[] = MIGRATIONS,
): void {
  for (let v = oldVersion + 1; v <= newVersion; v++) {
    const m = migrations[v - 1];
    if (!m) throw new Error(`no migration to schema version ${v}`);
    m(db, tx);
  }
}

export interface OpenLabDbOptions {
  /** Defaults to globalThis.indexedDB; tests pass fake-indexeddb's IDBFactory. */
  indexedDB?: IDBFactory;
  name?: string;
  /** Tests of the migration runner pass extra versions; the lab uses MIGRATIONS. */
  migrations?: readonly Migration[];
  /** Another tab waits to upgrade the schema: this connection is closed (default) so it can. */
  onBlocking?: (db: IDBPDatabase<LabDB>) => void;
}

/**
 * Opens (creating or migrating) the lab's database. idb's openDB always uses the global
 * indexedDB, so the request is made on the given factory and wrapped here instead.
 */
export function openLabDb(opts: OpenLabDbOptions = {}): Promise<IDBPDatabase<LabDB>> {
  const factory = opts.indexedDB ?? globalThis.indexedDB;
  if (!factory) throw new Error('IndexedDB is not available in this environment');
  const migrations = opts.migrations ?? MIGRATIONS;
  const request = factory.open(opts.name ?? DB_NAME, migrations.length);
  const opened = wrap(request) as unknown as Promise<IDBPDatabase<LabDB>>;
  request.addEventListener('upgradeneeded', (event) => {
    const db = wrap(request.result) as unknown as IDBPDatabase<LabDB>;
    const tx = wrap(request.transaction!) as unknown as UpgradeTx;
    runMigrations(db, tx, event.oldVersion, event.newVersion ?? migrations.length, migrations);
  });
  return opened.then((db) => {
    db.addEventListener('versionchange', () => (opts.onBlocking ? opts.onBlocking(db) : db.close()));
    return db;
  });
}
