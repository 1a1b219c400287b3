// The ingest worker's request handlers: streaming ingestion into the store, the corpus
// list and its reports, storage use, the built-in world and the BM25 baseline.
// Environment-agnostic: the worker passes a store on IndexedDB, Node tests one on
// fake-indexeddb, so the same code runs in both.
import { ingestFiles, type IngestFile, type IngestProgress } from '../core/data/ingest';
import { SPLITS, type Split } from '../core/data/types';
import { CancelledError, CorpusFormatError, DistillLabError, ProtocolError } from '../core/errors';
import { Bm25Index } from '../core/text/bm25';
import { bm25Baseline, describeCorpus, preferredSplit } from '../store/corpusStats';
import type { LabStore } from '../store/store';
import { throwIfCancelled, type Handlers } from './engine';
import type { IngestFileParam, IngestPhase, IngestProgressEvent } from './protocol';

/** The methods the ingest worker serves. */
export type IngestHandlers = Pick<
  Handlers,
  | 'ingest'
  | 'listCorpora'
  | 'deleteCorpus'
  | 'corpusReport'
  | 'corpusPreview'
  | 'storageEstimate'
  | 'ensureBuiltinWorld'
  | 'bm25Baseline'
>;

export interface IngestPlatform {
  /** Opens the store (once; the handlers keep it). */
  openStore(): Promise<LabStore>;
}

/** At most one progress event per this many ms (and one at every file and phase change). */
const PROGRESS_INTERVAL_MS = 50;

/** A Blob's bytes as chunks, read through its stream (never blob.text(): files may be large). */
export async function* blobChunks(blob: Blob, name: string): AsyncGenerator<Uint8Array> {
  const reader = blob.stream().getReader();
  let finished = false;
  try {
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        const err = e as { name?: string; message?: string };
        throw new CorpusFormatError(
          `the browser could not read this file (${err.name ?? 'Error'}: ${err.message ?? String(e)}); was it moved or changed while reading?`,
          name,
        );
      }
      if (r.done) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    // Stopped early (cancel, a fatal format error): release the file.
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

function checkFiles(files: unknown): IngestFileParam[] {
  if (!Array.isArray(files) || files.length === 0) {
    throw new CorpusFormatError('no files were given: choose or drop the corpus files (e.g. corpus.jsonl, queries.jsonl, qrels/test.tsv)');
  }
  for (const f of files) {
    const ok = f && typeof f === 'object' && typeof f.name === 'string' && f.blob && typeof f.blob.stream === 'function';
    if (!ok) throw new ProtocolError('ingest: every file must be {name: string, blob: Blob}');
  }
  return files as IngestFileParam[];
}

const cancelled = () =>
  new CancelledError('Upload cancelled: nothing was stored, and every corpus stored before is unchanged.');

export function createIngestHandlers(platform: IngestPlatform): IngestHandlers {
  let storePromise: Promise<LabStore> | null = null;
  const store = () => {
    if (!storePromise) {
      storePromise = platform.openStore().catch((e) => {
        storePromise = null;
        throw e;
      });
    }
    return storePromise;
  };
  // The last BM25 index built, so repeated baseline requests on one corpus reuse it.
  let cachedIndex: { corpusId: string; createdAt: number; index: Bm25Index } | null = null;

  return {
    async ingest(params, ctx) {
      const files = checkFiles(params.files);
      const totalBytes = files.reduce((s, f) => s + f.blob.size, 0);
      const ev: IngestProgressEvent = {
        phase: 'reading',
        file: null,
        bytesRead: 0,
        totalBytes,
        rowsAccepted: 0,
        rowsRejected: 0,
        shardsWritten: 0,
        shardsTotal: 0,
      };
      let lastSent = 0;
      const send = (force: boolean) => {
        const now = Date.now();
        if (!force && now - lastSent < PROGRESS_INTERVAL_MS) return;
        lastSent = now;
        ctx.progress({ ...ev });
      };
      const phase = (p: IngestPhase) => {
        ev.phase = p;
        ev.file = null;
        send(true);
      };
      send(true);
      const lab = await store();
      const inputs: IngestFile[] = files.map((f) => ({ name: f.name, size: f.blob.size, stream: () => blobChunks(f.blob, f.name) }));
      try {
        const { corpus, report } = await ingestFiles(inputs, {
          signal: ctx.signal,
          csvMapping: params.csvMapping,
          name: params.name?.trim() || undefined,
          onProgress: (p: IngestProgress) => {
            const changed = p.file !== ev.file;
            ev.file = p.file;
            ev.bytesRead = p.bytesRead;
            ev.rowsAccepted = p.rowsAccepted;
            ev.rowsRejected = p.rowsRejected;
            send(changed);
          },
        });
        throwIfCancelled(ctx.signal);
        ev.bytesRead = totalBytes;
        ev.rowsAccepted = report.files.reduce((s, f) => s + f.accepted, 0);
        ev.rowsRejected = report.files.reduce((s, f) => s + f.rejected, 0);
        phase('indexing');
        const { stats, baseline } = describeCorpus(corpus);
        throwIfCancelled(ctx.signal);
        phase('storing');
        const record = await lab.writeCorpus(
          {
            name: corpus.name,
            source: { kind: 'upload', layout: report.layout, files: files.map((f) => ({ name: f.name, bytes: f.blob.size })) },
            corpus,
            report,
            stats,
            baseline,
          },
          {
            signal: ctx.signal,
            debugFailAfterShards: params.debugFailAfterShards,
            onShard: (written, total) => {
              ev.shardsWritten = written;
              ev.shardsTotal = total;
              send(written === total);
            },
          },
        );
        return { corpus: record, report };
      } catch (e) {
        if (e instanceof CancelledError || ctx.signal.aborted) throw cancelled();
        throw e;
      }
    },

    async listCorpora() {
      return { corpora: await (await store()).listCorpora() };
    },

    async deleteCorpus(params) {
      if (cachedIndex?.corpusId === params.id) cachedIndex = null;
      return (await store()).deleteCorpus(params.id);
    },

    async corpusReport(params) {
      return { report: (await (await store()).getReport(params.id)) ?? null };
    },

    async corpusPreview(params) {
      return (await store()).previewCorpus(params.id, Math.min(Math.max(1, params.count ?? 3), 50));
    },

    async storageEstimate() {
      return (await store()).storageEstimate();
    },

    async ensureBuiltinWorld(_params, ctx) {
      const lab = await store();
      ctx.progress({ phase: 'generating' });
      return { corpus: await lab.ensureBuiltinWorld() };
    },

    async bm25Baseline(params, ctx) {
      const t0 = performance.now();
      const lab = await store();
      const rec = await lab.getCorpus(params.corpusId);
      if (!rec) throw new DistillLabError(`There is no corpus "${params.corpusId}".`, { corpusId: params.corpusId });
      const corpus = await lab.loadCorpus(params.corpusId);
      throwIfCancelled(ctx.signal, 'BM25 baseline');
      const judged = SPLITS.filter((s) => corpus.qrels[s].length > 0);
      if (params.split !== undefined && !SPLITS.includes(params.split)) {
        throw new ProtocolError(`unknown split "${String(params.split)}" (expected train, dev or test)`);
      }
      const split: Split | null = params.split ?? preferredSplit(judged);
      if (split === null) {
        throw new DistillLabError(`Corpus "${rec.name}" has no relevance judgments: BM25 cannot be evaluated on it.`, { corpusId: rec.id });
      }
      if (cachedIndex?.corpusId !== rec.id || cachedIndex.createdAt !== rec.createdAt) {
        cachedIndex = { corpusId: rec.id, createdAt: rec.createdAt, index: Bm25Index.build(corpus.docs) };
      }
      const metrics = bm25Baseline(corpus, split, cachedIndex.index);
      if (!metrics) {
        throw new DistillLabError(`Corpus "${rec.name}" has no ${split} query with a relevant document: nothing to evaluate.`, { corpusId: rec.id, split });
      }
      return { split, metrics, ms: performance.now() - t0 };
    },
  };
}
