// Every read and write of the lab's IndexedDB database (schema.ts), behind one class.
//
// Guarantees:
// - Atomic corpora. A corpus is written under its id with status 'staging' (which
//   listCorpora and loadCorpus never show), shard by shard, then one readwrite transaction
//   flips it to 'ready'. Cancel, failure or a full disk discards the staging records and
//   touches nothing else: every key a corpus owns starts with its own id.
// - Named errors. The browser's QuotaExceededError, however it surfaces (the request's
//   error, the transaction's error behind an AbortError, a wrapped cause), becomes a
//   StorageQuotaError that says what was being stored and what to do.
// - Checked checkpoints. Chunks carry a CRC-32 and the whole a SHA-256; a mismatch on load
//   is a CheckpointError naming the chunk, never silently corrupt weights.
// - No orphans from crashed tabs. A writer holds a Web Lock while it stages; on open,
//   staging records whose lock is free (or, without Web Locks, not written to for a while)
//   are deleted.
import type { IDBPDatabase, IDBPTransaction } from 'idb';
import { SPLITS, type Corpus, type Doc, type Query, type Split } from '../core/data/types';
import type { ValidationReport } from '../core/data/ingest';
import { generateWorld } from '../core/data/world';
import { CancelledError, CheckpointError, DistillLabError, StorageQuotaError } from '../core/errors';
import { crc32, sha256Hex } from './checksum';
import { defaultStorageManager, requestPersistence, type StorageManagerLike } from './persistence';
import { describeCorpus } from './corpusStats';
import { BUILTIN_WORLD_ID } from '../core/data/builtin';
import {
  CORPUS_STORES,
  openLabDb,
  RUN_STORES,
  type BaselineMetrics,
  type CheckpointChunkRecord,
  type CheckpointMeta,
  type CorpusCounts,
  type CorpusRecord,
  type CorpusSource,
  type CorpusStats,
  type LabDB,
  type LabStoreName,
  type ModelFilesRecord,
  type ModelRecord,
  type NegativesRecord,
  type OpenLabDbOptions,
  type RunRecord,
  type TokenShardRecord,
  type TokenSide,
} from './schema';

export const DOC_SHARD_SIZE = 1000;
export const QUERY_SHARD_SIZE = 1000;
export const CHECKPOINT_CHUNK_BYTES = 8 * 1024 * 1024;
/** The built-in corpus every first visit finds ready (its id: core/data/builtin.ts). */
export { BUILTIN_WORLD_ID };
export const BUILTIN_WORLD = { preset: 'default', seed: 1 } as const;
/** Without Web Locks, a staging record not written to for this long is a crashed tab's. */
export const STALE_STAGING_MS = 15 * 60 * 1000;
const LOCK_PREFIX = 'distill-lab/staging/';

/** The parts of the Web Locks API the store uses (navigator.locks in pages and workers). */
export interface LockManagerLike {
  /** Resolves with the callback's result once the lock was granted and the callback settled. */
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
  query(): Promise<{ held?: { name?: string }[] }>;
}
export interface LabStoreOptions extends OpenLabDbOptions {
  /** Web Locks; default navigator.locks, null for none (then staleness is by age). */
  locks?: LockManagerLike | null;
  /** default navigator.storage, null for none. */
  storage?: StorageManagerLike | null;
  staleStagingMs?: number;
  now?: () => number;
  /** Checkpoint chunk size in bytes (default CHECKPOINT_CHUNK_BYTES; tests use small ones). */
  checkpointChunkBytes?: number;
}

/** What writeCorpus stores. */
export interface CorpusInput {
  id?: string;
  name: string;
  source: CorpusSource;
  corpus: Corpus;
  report?: ValidationReport;
  stats: CorpusStats;
  baseline: Partial<Record<Split, BaselineMetrics>>;
}

export interface WriteCorpusOptions {
  signal?: AbortSignal;
  /** After each shard transaction: shards written so far and in all. A returned promise is awaited before the next shard. */
  onShard?: (written: number, total: number) => void | Promise<void>;
  /**
   * Test hook: after this many shard transactions have committed, the next one throws a
   * real `DOMException(..., 'QuotaExceededError')` from inside its transaction, exactly
   * where the browser's own would surface. A real quota cannot be reached in tests.
   */
  debugFailAfterShards?: number;
}

export interface StorageInfo {
  /** navigator.storage.estimate(); null where the API is missing. */
  usage: number | null;
  quota: number | null;
  /** Whether the browser promised not to evict this origin's data; null if unknown. */
  persisted: boolean | null;
  /** Approximate bytes of each ready corpus's text. */
  corpora: { id: string; name: string; bytes: number }[];
}

export interface CorpusPreview {
  docs: Doc[];
  queries: Query[];
}

/** True for a QuotaExceededError however it is wrapped (cause, error, inner), legacy code 22 too. */
export function isQuotaExceeded(e: unknown): boolean {
  let x: unknown = e;
  for (let depth = 0; depth < 6 && x !== null && typeof x === 'object'; depth++) {
    const o = x as { name?: unknown; code?: unknown; cause?: unknown; error?: unknown; inner?: unknown };
    if (o.name === 'QuotaExceededError' || o.name === 'NS_ERROR_DOM_QUOTA_REACHED') return true;
    if (o.name === undefined && o.code === 22) return true;
    if (e instanceof DOMException && o.code === 22) return true;
    x = o.cause ?? o.error ?? o.inner;
  }
  return false;
}

function fmtBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  return `${u === 0 ? n : n.toFixed(1)} ${units[u]}`;
}

/** The named error for a refused write: what was being written, and what to do about it. */
export function quotaError(what: string, cause: unknown, usage?: { usage: number | null; quota: number | null }): StorageQuotaError {
  const use = usage && usage.usage !== null && usage.quota !== null ? ` (${fmtBytes(usage.usage)} of ${fmtBytes(usage.quota)} used)` : '';
  const err = new StorageQuotaError(
    `Storage is full: the browser refused to store ${what}${use}. Nothing stored before was changed. ` +
      'Free space by deleting corpora or runs you no longer need, or allow the site more storage.',
    { what, cause: cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause), ...(usage ?? {}) },
  );
  return err;
}

/** Rethrows storage failures as named errors: quota -> StorageQuotaError; others unchanged. */
function storageError(what: string, ...candidates: unknown[]): unknown {
  const quota = candidates.find(isQuotaExceeded);
  if (quota !== undefined) return quotaError(what, quota);
  // An AbortError hides the transaction's own error: prefer that one.
  const [first, ...rest] = candidates;
  if ((first as { name?: string } | null)?.name === 'AbortError') {
    const real = rest.find((c) => c && (c as { name?: string }).name !== 'AbortError');
    if (real) return real;
  }
  return first;
}

const newId = (prefix: string) =>
  `${prefix}:${globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`}`;

/** All keys of one owner in stores keyed [owner, ...]: [owner] < [owner, x] < [owner, []]. */
const ownerRange = (...prefix: (string | number)[]) => IDBKeyRange.bound(prefix, [...prefix, []]);

/** Approximate bytes of a string as text (its length: UTF-8 for mostly ASCII text). */
const strBytes = (s: string) => s.length;

function chunk<T>(xs: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}

function notFound(what: string, details: Record<string, unknown>): DistillLabError {
  return new DistillLabError(what, details);
}

type RW<S extends LabStoreName[]> = IDBPTransaction<LabDB, S, 'readwrite'>;

export class LabStore {
  private readonly locks: LockManagerLike | null;
  private readonly storage: StorageManagerLike | null;
  private readonly staleMs: number;
  private readonly now: () => number;
  private readonly chunkBytes: number;
  private ensuringWorld: Promise<CorpusRecord> | null = null;

  private constructor(
    readonly db: IDBPDatabase<LabDB>,
    opts: LabStoreOptions,
  ) {
    const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
    this.locks = opts.locks === undefined ? (nav?.locks ?? null) : opts.locks;
    this.storage = opts.storage === undefined ? defaultStorageManager() : opts.storage;
    this.staleMs = opts.staleStagingMs ?? STALE_STAGING_MS;
    this.now = opts.now ?? Date.now;
    this.chunkBytes = opts.checkpointChunkBytes ?? CHECKPOINT_CHUNK_BYTES;
  }

  /** Opens (creating or migrating) the database and removes crashed tabs' staging records. */
  static async open(opts: LabStoreOptions = {}): Promise<LabStore> {
    let db: IDBPDatabase<LabDB>;
    try {
      db = await openLabDb(opts);
    } catch (e) {
      if ((e as { name?: string })?.name === 'VersionError') {
        throw new DistillLabError(
          'The lab\'s saved data was written by a newer version of the lab: reload the page to get that version.',
          { cause: String(e) },
        );
      }
      throw storageError('the lab\'s database', e);
    }
    const store = new LabStore(db, opts);
    await store.cleanStaleStaging();
    return store;
  }

  close(): void {
    this.db.close();
  }

  /**
   * One readwrite transaction around `fn`. `fn` must await only IndexedDB requests of `tx`
   * (any other await lets the transaction commit early). On any failure the transaction
   * is aborted, so none of its writes land, and quota failures become StorageQuotaError.
   */
  private async write<S extends LabStoreName[], T>(stores: S, what: string, fn: (tx: RW<S>) => Promise<T>): Promise<T> {
    const tx = this.db.transaction(stores, 'readwrite');
    try {
      const result = await fn(tx);
      await tx.done;
      return result;
    } catch (e) {
      const txError = tx.error;
      try {
        tx.abort();
      } catch {
        // already committed or aborted
      }
      const doneError = await tx.done.then(
        () => null,
        (x: unknown) => x,
      );
      throw storageError(what, e, txError, doneError);
    }
  }

  // ---------------------------------------------------------------- corpora: reads

  /** Ready corpora, the built-in world first, then oldest first. Staging ones are never listed. */
  async listCorpora(): Promise<CorpusRecord[]> {
    const all = await this.db.getAllFromIndex('corpora', 'by-status', 'ready');
    return all.sort((a, b) => Number(b.source.kind === 'builtin') - Number(a.source.kind === 'builtin') || a.createdAt - b.createdAt);
  }

  /** A ready corpus's record, or undefined. */
  async getCorpus(id: string): Promise<CorpusRecord | undefined> {
    const r = await this.db.get('corpora', id);
    return r?.status === 'ready' ? r : undefined;
  }

  private async requireCorpus(id: string): Promise<CorpusRecord> {
    const r = await this.getCorpus(id);
    if (!r) throw notFound(`There is no corpus "${id}" (it was deleted, or never finished storing).`, { corpusId: id });
    return r;
  }

  /** The whole corpus, read shard by shard in one read transaction. */
  async loadCorpus(id: string): Promise<Corpus> {
    const tx = this.db.transaction(['corpora', 'docShards', 'queryShards', 'qrels', 'negatives'], 'readonly');
    const [rec, docShards, queryShards, qrels, negatives] = await Promise.all([
      tx.objectStore('corpora').get(id),
      tx.objectStore('docShards').getAll(ownerRange(id)),
      tx.objectStore('queryShards').getAll(ownerRange(id)),
      tx.objectStore('qrels').getAll(ownerRange(id)),
      tx.objectStore('negatives').get([id, 'upload']),
    ]);
    await tx.done;
    if (!rec || rec.status !== 'ready') {
      throw notFound(`There is no corpus "${id}" (it was deleted, or never finished storing).`, { corpusId: id });
    }
    // Keys sort by shard number, so getAll returns shards in order.
    const corpus: Corpus = {
      name: rec.name,
      docs: docShards.flatMap((s) => s.docs),
      queries: queryShards.flatMap((s) => s.queries),
      qrels: { train: [], dev: [], test: [] },
    };
    for (const q of qrels) corpus.qrels[q.split] = q.qrels;
    if (negatives) corpus.negatives = negatives.negatives;
    if (corpus.docs.length !== rec.counts.docs || corpus.queries.length !== rec.counts.queries) {
      throw new DistillLabError(
        `Corpus "${rec.name}" is damaged: ${corpus.docs.length} documents and ${corpus.queries.length} queries stored, ` +
          `${rec.counts.docs} and ${rec.counts.queries} expected. Delete it and upload it again.`,
        { corpusId: id },
      );
    }
    return corpus;
  }

  /** The first documents and queries, read from the first shards only. */
  async previewCorpus(id: string, n = 3): Promise<CorpusPreview> {
    await this.requireCorpus(id);
    const [docs, queries] = await Promise.all([this.db.get('docShards', [id, 0]), this.db.get('queryShards', [id, 0])]);
    return { docs: docs?.docs.slice(0, n) ?? [], queries: queries?.queries.slice(0, n) ?? [] };
  }

  /** One shard of documents (DOC_SHARD_SIZE each; the last may be shorter). */
  async readDocShard(id: string, shard: number): Promise<Doc[]> {
    const r = await this.db.get('docShards', [id, shard]);
    if (!r) throw notFound(`Corpus "${id}" has no document shard ${shard}.`, { corpusId: id, shard });
    return r.docs;
  }

  async getReport(id: string): Promise<ValidationReport | undefined> {
    return (await this.db.get('reports', [id]))?.report;
  }

  // ---------------------------------------------------------------- corpora: writes

  /**
   * Stores a corpus atomically: staging record, shards (one transaction each, checking the
   * signal between them), then one transaction that flips it to ready. On any failure the
   * staging records are removed and the error rethrown (quota as StorageQuotaError).
   */
  async writeCorpus(input: CorpusInput, opts: WriteCorpusOptions = {}): Promise<CorpusRecord> {
    const id = input.id ?? newId('corpus');
    const { corpus } = input;
    const docShards = chunk(corpus.docs, DOC_SHARD_SIZE);
    const queryShards = chunk(corpus.queries, QUERY_SHARD_SIZE);
    const judged = (s: Split) => new Set(corpus.qrels[s].map((q) => q.qid)).size;
    const counts: CorpusCounts = {
      docs: corpus.docs.length,
      queries: corpus.queries.length,
      qrels: { train: corpus.qrels.train.length, dev: corpus.qrels.dev.length, test: corpus.qrels.test.length },
      judgedQueries: { train: judged('train'), dev: judged('dev'), test: judged('test') },
      queriesWithNegatives: Object.keys(corpus.negatives ?? {}).length,
      docShards: docShards.length,
      queryShards: queryShards.length,
    };
    let bytes = 0;
    for (const d of corpus.docs) bytes += strBytes(d.id) + strBytes(d.title) + strBytes(d.text);
    for (const q of corpus.queries) bytes += strBytes(q.id) + strBytes(q.text);
    for (const s of SPLITS) for (const q of corpus.qrels[s]) bytes += strBytes(q.qid) + strBytes(q.docId) + 8;
    const now = this.now();
    const record: CorpusRecord = {
      id,
      name: input.name,
      source: input.source,
      status: 'staging',
      createdAt: now,
      updatedAt: now,
      counts,
      stats: input.stats,
      bytes,
      baseline: input.baseline,
    };
    const what = `corpus "${input.name}"`;
    return this.withStagingLock(id, async () => {
      await this.write(['corpora'], what, async (tx) => {
        const existing = await tx.objectStore('corpora').get(id);
        if (existing) throw new DistillLabError(`A corpus with id "${id}" already exists.`, { corpusId: id });
        await tx.objectStore('corpora').put(record);
      });
      try {
        const total = docShards.length + queryShards.length + 1;
        let written = 0;
        const shardTx = async (label: string, put: (tx: RW<LabStoreName[]>) => Promise<void>, stores: LabStoreName[]) => {
          if (opts.signal?.aborted) throw new CancelledError('Upload cancelled while storing: nothing was stored.');
          await this.write(['corpora', ...stores], `${what} (${label})`, async (tx) => {
            await put(tx);
            // Heartbeat: tells other tabs (without Web Locks) this staging is alive.
            await tx.objectStore('corpora').put({ ...record, updatedAt: this.now() });
            if (opts.debugFailAfterShards !== undefined && written >= opts.debugFailAfterShards) {
              throw new DOMException(
                `The quota has been exceeded (forced by the debugFailAfterShards test hook after ${written} shards).`,
                'QuotaExceededError',
              );
            }
          });
          written++;
          await opts.onShard?.(written, total);
        };
        for (let i = 0; i < docShards.length; i++) {
          await shardTx(`documents ${i * DOC_SHARD_SIZE + 1}-${i * DOC_SHARD_SIZE + docShards[i].length}`, async (tx) => {
            await tx.objectStore('docShards').put({ corpusId: id, shard: i, docs: docShards[i] });
          }, ['docShards']);
        }
        for (let i = 0; i < queryShards.length; i++) {
          await shardTx(`queries ${i * QUERY_SHARD_SIZE + 1}-${i * QUERY_SHARD_SIZE + queryShards[i].length}`, async (tx) => {
            await tx.objectStore('queryShards').put({ corpusId: id, shard: i, queries: queryShards[i] });
          }, ['queryShards']);
        }
        await shardTx('judgments, negatives and report', async (tx) => {
          for (const split of SPLITS) {
            if (corpus.qrels[split].length > 0) await tx.objectStore('qrels').put({ corpusId: id, split, qrels: corpus.qrels[split] });
          }
          if (corpus.negatives) {
            await tx.objectStore('negatives').put({ corpusId: id, name: 'upload', negatives: corpus.negatives, createdAt: now });
          }
          if (input.report) await tx.objectStore('reports').put({ corpusId: id, report: input.report });
        }, ['qrels', 'negatives', 'reports']);
        if (opts.signal?.aborted) throw new CancelledError('Upload cancelled while storing: nothing was stored.');
        // The commit: one transaction checks every shard is there and flips the status.
        return await this.write(['corpora', 'docShards', 'queryShards'], what, async (tx) => {
          const [d, q] = await Promise.all([
            tx.objectStore('docShards').count(ownerRange(id)),
            tx.objectStore('queryShards').count(ownerRange(id)),
          ]);
          if (d !== counts.docShards || q !== counts.queryShards) {
            throw new DistillLabError(`Storing corpus "${input.name}" lost shards (${d}/${counts.docShards} documents, ${q}/${counts.queryShards} queries).`);
          }
          const ready: CorpusRecord = { ...record, status: 'ready', updatedAt: this.now() };
          await tx.objectStore('corpora').put(ready);
          return ready;
        });
      } catch (e) {
        await this.discardStaging(id);
        if (e instanceof StorageQuotaError) {
          const est = await this.storageEstimate().catch(() => null);
          throw quotaError(what, e.details?.cause ?? e, est ?? undefined);
        }
        throw e;
      }
    });
  }

  /** Runs `fn` holding this staging id's Web Lock (when the API exists). */
  private async withStagingLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks ? this.locks.request(LOCK_PREFIX + id, fn) : fn();
  }

  /** Deletes a staging corpus and everything under its id; never touches a ready corpus. */
  async discardStaging(id: string): Promise<boolean> {
    return this.write(['corpora', ...CORPUS_STORES], `cleanup of staging corpus "${id}"`, async (tx) => {
      const rec = await tx.objectStore('corpora').get(id);
      if (rec?.status === 'ready') return false;
      await Promise.all([tx.objectStore('corpora').delete(id), ...CORPUS_STORES.map((s) => tx.objectStore(s).delete(ownerRange(id)))]);
      return true;
    });
  }

  /** Staging records whose writer is gone (a crashed or closed tab). Returns their ids. */
  async cleanStaleStaging(): Promise<string[]> {
    const staging = await this.db.getAllFromIndex('corpora', 'by-status', 'staging');
    if (staging.length === 0) return [];
    let alive: (r: CorpusRecord) => boolean;
    if (this.locks) {
      const held = new Set(((await this.locks.query()).held ?? []).map((l) => l.name));
      alive = (r) => held.has(LOCK_PREFIX + r.id);
    } else {
      const now = this.now();
      alive = (r) => now - r.updatedAt < this.staleMs;
    }
    const removed: string[] = [];
    for (const r of staging) {
      if (alive(r)) continue;
      if (await this.discardStaging(r.id)) removed.push(r.id);
    }
    return removed;
  }

  /**
   * Deletes a corpus: its record, shards, judgments, report, tokenised shards and
   * negatives, in one transaction. Runs that used it stay, marked `corpusDeleted`.
   */
  async deleteCorpus(id: string): Promise<{ deleted: boolean; runsMarked: number }> {
    return this.write(['corpora', 'runs', ...CORPUS_STORES], `deletion of corpus "${id}"`, async (tx) => {
      const rec = await tx.objectStore('corpora').get(id);
      if (!rec) return { deleted: false, runsMarked: 0 };
      const runs = await tx.objectStore('runs').index('by-corpus').getAll(id);
      const at = this.now();
      await Promise.all([
        tx.objectStore('corpora').delete(id),
        ...CORPUS_STORES.map((s) => tx.objectStore(s).delete(ownerRange(id))),
        ...runs.map((r) => tx.objectStore('runs').put({ ...r, corpusDeleted: { name: rec.name, at }, updatedAt: at })),
      ]);
      return { deleted: true, runsMarked: runs.length };
    });
  }

  /**
   * Stores the default synthetic world once (id 'world:default'), so every first visit has
   * a corpus without upload or network. Concurrent calls (two tabs, React's double effects)
   * wait for one generator.
   */
  ensureBuiltinWorld(): Promise<CorpusRecord> {
    if (!this.ensuringWorld) {
      this.ensuringWorld = this.ensureBuiltinWorldOnce().finally(() => {
        this.ensuringWorld = null;
      });
    }
    return this.ensuringWorld;
  }

  private async ensureBuiltinWorldOnce(): Promise<CorpusRecord> {
    const run = async () => {
      const existing = await this.getCorpus(BUILTIN_WORLD_ID);
      if (existing) return existing;
      // A crashed first visit may have left it half written.
      await this.discardStaging(BUILTIN_WORLD_ID);
      const corpus = generateWorld({ preset: BUILTIN_WORLD.preset, seed: BUILTIN_WORLD.seed });
      const { stats, baseline } = describeCorpus(corpus);
      return this.writeCorpus({
        id: BUILTIN_WORLD_ID,
        name: corpus.name,
        source: { kind: 'builtin', preset: BUILTIN_WORLD.preset, seed: BUILTIN_WORLD.seed },
        corpus,
        stats,
        baseline,
      });
    };
    // Other tabs generating it at the same moment wait here, then find it stored.
    return this.locks ? this.locks.request('distill-lab/builtin-world', run) : run();
  }

  // ---------------------------------------------------------------- negatives, tokenised shards

  async putNegatives(corpusId: string, name: string, negatives: Record<string, string[]>): Promise<void> {
    await this.write(['corpora', 'negatives'], `negatives "${name}" of corpus "${corpusId}"`, async (tx) => {
      const rec = await tx.objectStore('corpora').get(corpusId);
      if (rec?.status !== 'ready') throw notFound(`There is no corpus "${corpusId}".`, { corpusId });
      await tx.objectStore('negatives').put({ corpusId, name, negatives, createdAt: this.now() });
    });
  }

  async getNegatives(corpusId: string, name: string): Promise<NegativesRecord | undefined> {
    return this.db.get('negatives', [corpusId, name]);
  }

  async listNegatives(corpusId: string): Promise<string[]> {
    return (await this.db.getAllKeys('negatives', ownerRange(corpusId))).map((k) => k[1]);
  }

  /** Stores one tokenised shard; fails if the corpus is gone (no orphans). */
  async putTokenShard(rec: TokenShardRecord): Promise<void> {
    const where = `tokenised ${rec.side} shard ${rec.shard} (${rec.tokenizerId}) of corpus "${rec.corpusId}"`;
    await this.write(['corpora', 'tokenShards'], where, async (tx) => {
      const c = await tx.objectStore('corpora').get(rec.corpusId);
      if (c?.status !== 'ready') throw notFound(`There is no corpus "${rec.corpusId}".`, { corpusId: rec.corpusId });
      if (rec.offsets.length < 1 || rec.offsets[rec.offsets.length - 1] !== rec.ids.length) {
        throw new DistillLabError(`Malformed ${where}: offsets end at ${rec.offsets[rec.offsets.length - 1]}, ids hold ${rec.ids.length}.`);
      }
      await tx.objectStore('tokenShards').put(rec);
    });
  }

  /** Every stored shard of (corpus, tokenizer, side), by shard number. */
  async getTokenShards(corpusId: string, tokenizerId: string, side: TokenSide): Promise<TokenShardRecord[]> {
    return this.db.getAll('tokenShards', ownerRange(corpusId, tokenizerId, side));
  }

  /** Tokenizer ids with stored shards for a corpus. */
  async listTokenizers(corpusId: string): Promise<string[]> {
    const keys = await this.db.getAllKeys('tokenShards', ownerRange(corpusId));
    return [...new Set(keys.map((k) => k[1]))];
  }

  async deleteTokenShards(corpusId: string, tokenizerId?: string): Promise<void> {
    const range = tokenizerId === undefined ? ownerRange(corpusId) : ownerRange(corpusId, tokenizerId);
    await this.write(['tokenShards'], `tokenised shards of corpus "${corpusId}"`, async (tx) => {
      await tx.objectStore('tokenShards').delete(range);
    });
  }

  // ---------------------------------------------------------------- checkpoints

  /**
   * Stores a checkpoint in CRC-32-checked chunks, replacing one of the same name in the
   * same transaction: a failed save leaves the previous checkpoint intact.
   */
  async saveCheckpoint(runId: string, name: string, data: ArrayBuffer | Uint8Array, info: Record<string, unknown> = {}): Promise<CheckpointMeta> {
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
    // Hash before the transaction: awaiting crypto inside one would let it commit early.
    const sha256 = await sha256Hex(bytes);
    const chunkCount = Math.max(1, Math.ceil(bytes.length / this.chunkBytes));
    const chunks: CheckpointChunkRecord[] = [];
    for (let i = 0; i < chunkCount; i++) {
      const part = bytes.slice(i * this.chunkBytes, (i + 1) * this.chunkBytes);
      chunks.push({ runId, name, index: i, data: part.buffer, crc32: crc32(part) });
    }
    const meta: CheckpointMeta = {
      runId,
      name,
      byteLength: bytes.length,
      chunkSize: this.chunkBytes,
      chunkCount,
      sha256,
      createdAt: this.now(),
      info,
    };
    await this.write(['checkpoints', 'checkpointChunks'], `checkpoint "${name}" of run "${runId}"`, async (tx) => {
      const store = tx.objectStore('checkpointChunks');
      await store.delete(ownerRange(runId, name));
      await Promise.all([tx.objectStore('checkpoints').put(meta), ...chunks.map((c) => store.put(c))]);
    });
    return meta;
  }

  /** Reads and verifies a checkpoint: any missing or altered chunk is a CheckpointError. */
  async loadCheckpoint(runId: string, name: string): Promise<{ meta: CheckpointMeta; bytes: Uint8Array }> {
    const tx = this.db.transaction(['checkpoints', 'checkpointChunks'], 'readonly');
    const [meta, chunks] = await Promise.all([
      tx.objectStore('checkpoints').get([runId, name]),
      tx.objectStore('checkpointChunks').getAll(ownerRange(runId, name)),
    ]);
    await tx.done;
    const label = `checkpoint "${name}" of run "${runId}"`;
    if (!meta) throw new CheckpointError(`There is no ${label}.`, { runId, name });
    if (chunks.length !== meta.chunkCount) {
      throw new CheckpointError(`The ${label} is incomplete: ${chunks.length} of ${meta.chunkCount} chunks stored.`, { runId, name });
    }
    const out = new Uint8Array(meta.byteLength);
    let offset = 0;
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i];
      const part = new Uint8Array(c.data);
      const expected = Math.min(meta.chunkSize, meta.byteLength - i * meta.chunkSize);
      if (c.index !== i || part.length !== expected) {
        throw new CheckpointError(`The ${label} is corrupt: chunk ${i} holds ${part.length} bytes, ${expected} expected.`, { runId, name, chunk: i });
      }
      const crc = crc32(part);
      if (crc !== c.crc32) {
        throw new CheckpointError(
          `The ${label} is corrupt: chunk ${i + 1} of ${chunks.length} fails its CRC-32 check ` +
            `(stored ${c.crc32.toString(16).padStart(8, '0')}, computed ${crc.toString(16).padStart(8, '0')}).`,
          { runId, name, chunk: i },
        );
      }
      out.set(part, offset);
      offset += part.length;
    }
    if (meta.sha256) {
      const sha = await sha256Hex(out);
      if (sha !== null && sha !== meta.sha256) {
        throw new CheckpointError(`The ${label} is corrupt: its SHA-256 does not match the one stored with it.`, { runId, name });
      }
    }
    return { meta, bytes: out };
  }

  async listCheckpoints(runId: string): Promise<CheckpointMeta[]> {
    return this.db.getAll('checkpoints', ownerRange(runId));
  }

  async deleteCheckpoint(runId: string, name: string): Promise<void> {
    await this.write(['checkpoints', 'checkpointChunks'], `deletion of checkpoint "${name}"`, async (tx) => {
      await Promise.all([tx.objectStore('checkpoints').delete([runId, name]), tx.objectStore('checkpointChunks').delete(ownerRange(runId, name))]);
    });
  }

  // ---------------------------------------------------------------- runs and metric series

  /** Creates or replaces a run record. */
  async putRun<C>(run: RunRecord<C>): Promise<void> {
    await this.write(['runs'], `run "${run.name}"`, async (tx) => {
      await tx.objectStore('runs').put(run as RunRecord);
    });
  }

  async getRun<C = unknown>(id: string): Promise<RunRecord<C> | undefined> {
    return (await this.db.get('runs', id)) as RunRecord<C> | undefined;
  }

  /** Every run, newest first. */
  async listRuns(): Promise<RunRecord[]> {
    return (await this.db.getAll('runs')).sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Applies a patch to a run in one transaction (read, merge, write). */
  async updateRun(id: string, patch: Partial<Omit<RunRecord, 'id'>>): Promise<RunRecord> {
    return this.write(['runs'], `run "${id}"`, async (tx) => {
      const r = await tx.objectStore('runs').get(id);
      if (!r) throw notFound(`There is no run "${id}".`, { runId: id });
      const next: RunRecord = { ...r, ...patch, id, updatedAt: this.now() };
      await tx.objectStore('runs').put(next);
      return next;
    });
  }

  /** Deletes a run with its checkpoints and metric series. */
  async deleteRun(id: string): Promise<boolean> {
    return this.write(['runs', ...RUN_STORES], `deletion of run "${id}"`, async (tx) => {
      const had = (await tx.objectStore('runs').getKey(id)) !== undefined;
      await Promise.all([tx.objectStore('runs').delete(id), ...RUN_STORES.map((s) => tx.objectStore(s).delete(ownerRange(id)))]);
      return had;
    });
  }

  /** Appends points to a run's series (a new record; earlier ones are never rewritten). */
  async appendSeries<P>(runId: string, name: string, points: P[]): Promise<number> {
    if (points.length === 0) return -1;
    return this.write(['series'], `series "${name}" of run "${runId}"`, async (tx) => {
      const last = await tx.objectStore('series').openCursor(ownerRange(runId, name), 'prev');
      const seq = last ? last.value.seq + 1 : 0;
      await tx.objectStore('series').put({ runId, name, seq, points });
      return seq;
    });
  }

  /** A series' points in append order. */
  async readSeries<P = unknown>(runId: string, name: string): Promise<P[]> {
    const batches = await this.db.getAll('series', ownerRange(runId, name));
    return batches.flatMap((b) => b.points as P[]);
  }

  async listSeries(runId: string): Promise<string[]> {
    const keys = await this.db.getAllKeys('series', ownerRange(runId));
    return [...new Set(keys.map((k) => k[1]))];
  }

  // ---------------------------------------------------------------- imported models

  /** Stores an imported model: its record and its files in one transaction (all or nothing). */
  async putModel(record: ModelRecord, files: Omit<ModelFilesRecord, 'modelId'>): Promise<void> {
    await this.write(['models', 'modelFiles'], `model "${record.name}"`, async (tx) => {
      await tx.objectStore('models').put(record);
      await tx.objectStore('modelFiles').put({ modelId: record.id, ...files });
    });
  }

  /** Imported models, oldest first. */
  async listModels(): Promise<ModelRecord[]> {
    return (await this.db.getAll('models')).sort((a, b) => a.createdAt - b.createdAt);
  }

  async getModel(id: string): Promise<ModelRecord | undefined> {
    return this.db.get('models', id);
  }

  /** An imported model's files; a record without its files is a CheckpointError. */
  async loadModelFiles(id: string): Promise<ModelFilesRecord> {
    const files = await this.db.get('modelFiles', [id]);
    if (!files) throw new CheckpointError(`There is no stored model "${id}".`, { modelId: id });
    return files;
  }

  async deleteModel(id: string): Promise<boolean> {
    return this.write(['models', 'modelFiles'], `deletion of model "${id}"`, async (tx) => {
      const had = (await tx.objectStore('models').getKey(id)) !== undefined;
      await Promise.all([tx.objectStore('models').delete(id), tx.objectStore('modelFiles').delete([id])]);
      return had;
    });
  }

  // ---------------------------------------------------------------- storage

  /** Usage and quota from navigator.storage, and the size of each corpus's text. */
  async storageEstimate(): Promise<StorageInfo> {
    const [est, persisted, corpora] = await Promise.all([
      this.storage?.estimate?.().catch(() => undefined),
      this.storage?.persisted?.().catch(() => null),
      this.listCorpora(),
    ]);
    return {
      usage: est?.usage ?? null,
      quota: est?.quota ?? null,
      persisted: persisted ?? null,
      corpora: corpora.map((c) => ({ id: c.id, name: c.name, bytes: c.bytes })),
    };
  }

  /** Asks the browser not to evict the lab's data; null where the API is missing (workers). */
  requestPersistence(): Promise<boolean | null> {
    return requestPersistence(this.storage);
  }
}

export { requestPersistence, type StorageManagerLike } from './persistence';
