// The ingest worker's handlers in Node, through the in-thread engine (every message is
// structured-cloned, Blobs included, as across a real worker), on fake-indexeddb:
// SciFact end to end, rejected rows, fatal files, cancel and a forced quota error.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IDBFactory } from 'fake-indexeddb';
import { CancelledError, CorpusFormatError, StorageQuotaError } from '../../../src/core/errors';
import { LabStore } from '../../../src/store/store';
import { InThreadEngine } from '../../../src/worker/engine';
import { createIngestHandlers } from '../../../src/worker/ingestHandlers';
import type { IngestFileParam, IngestProgressEvent } from '../../../src/worker/protocol';
import { dump } from './helpers';

const SCIFACT = path.resolve(__dirname, '../../data/scifact');

function setup() {
  const factory = new IDBFactory();
  let opened: LabStore | null = null;
  const engine = new InThreadEngine(
    createIngestHandlers({
      openStore: async () => (opened = await LabStore.open({ indexedDB: factory, locks: null, storage: null })),
    }),
  );
  return { engine, store: () => opened! };
}

const blobFile = (name: string, content: string | Uint8Array): IngestFileParam => ({
  name,
  blob: new Blob([content as BlobPart]),
});

const smallBeir = (prefix: string, extra: { corpus?: string; queries?: string; qrels?: string } = {}) => [
  blobFile(
    'corpus.jsonl',
    extra.corpus ??
      [1, 2, 3, 4].map((i) => JSON.stringify({ _id: `${prefix}${i}`, title: `t${i}`, text: `alpha beta ${i} gamma` })).join('\n') + '\n',
  ),
  blobFile('queries.jsonl', extra.queries ?? [1, 2].map((i) => JSON.stringify({ _id: `q${i}`, text: `beta ${i}` })).join('\n') + '\n'),
  blobFile('test.tsv', extra.qrels ?? `query-id\tcorpus-id\tscore\nq1\t${prefix}1\t1\nq2\t${prefix}2\t1\n`),
];

describe('ingest handlers', () => {
  it('SciFact: counts, BM25 baseline, stored and listed, report kept', async () => {
    const { engine, store } = setup();
    const files = ['corpus.jsonl', 'queries.jsonl', 'qrels/train.tsv', 'qrels/test.tsv'].map((f) =>
      blobFile(`scifact/${f}`, readFileSync(path.join(SCIFACT, f))),
    );
    const events: IngestProgressEvent[] = [];
    const t0 = performance.now();
    const { corpus, report } = await engine.call('ingest', { files }, { onProgress: (p) => events.push(p) });
    const ms = performance.now() - t0;
    expect(corpus.name).toBe('scifact');
    expect(corpus.counts).toMatchObject({ docs: 5183, queries: 1109, judgedQueries: { train: 809, dev: 0, test: 300 } });
    expect(report.errorCount).toBe(0);
    // BEIR's BM25 on SciFact: nDCG@10 0.665 (Anserini flat index); ours is near it.
    const test = corpus.baseline.test!;
    expect(test.queries).toBe(300);
    expect(test['ndcg@10']).toBeGreaterThan(0.62);
    expect(test['ndcg@10']).toBeLessThan(0.72);
    expect(corpus.stats.vocabularySize).toBeGreaterThan(10_000);
    const phases = [...new Set(events.map((e) => e.phase))];
    expect(phases).toEqual(['reading', 'indexing', 'storing']);
    const reading = events.filter((e) => e.phase === 'reading');
    expect(reading.at(-1)!.totalBytes).toBe(files.reduce((s, f) => s + f.blob.size, 0));
    // Running row counts only grow (Node's Blob.stream() gives one chunk per file, so the
    // browser test checks counts mid-file).
    const accepted = reading.map((e) => e.rowsAccepted);
    expect(accepted.every((n, i) => i === 0 || n >= accepted[i - 1])).toBe(true);
    // 6 document shards, 2 query shards, judgments + report.
    expect(events.at(-1)).toMatchObject({ shardsWritten: 9, shardsTotal: 9, rowsAccepted: 5183 + 1109 + 919 + 339, rowsRejected: 0 });
    console.log(`  SciFact ingested in ${ms.toFixed(0)} ms; BM25 test nDCG@10 ${test['ndcg@10'].toFixed(4)}, MRR@10 ${test['mrr@10'].toFixed(4)}`);

    const { corpora } = await engine.call('listCorpora', {});
    expect(corpora.map((c) => c.id)).toEqual([corpus.id]);
    expect((await engine.call('corpusReport', { id: corpus.id })).report).toEqual(report);
    const preview = await engine.call('corpusPreview', { id: corpus.id, count: 2 });
    expect(preview.docs).toHaveLength(2);
    expect(preview.docs[0].id).toBe('4983');
    const loaded = await store().loadCorpus(corpus.id);
    expect(loaded.docs).toHaveLength(5183);
    const base = await engine.call('bm25Baseline', { corpusId: corpus.id });
    expect(base.split).toBe('test');
    expect(base.metrics).toEqual(test);
    const train = await engine.call('bm25Baseline', { corpusId: corpus.id, split: 'train' });
    expect(train.metrics.queries).toBe(809);
    engine.dispose();
  });

  it('rejected rows are reported with file, line and reason; the corpus stored before is unchanged', async () => {
    const { engine, store } = setup();
    const first = await engine.call('ingest', { files: smallBeir('a'), name: 'first' });
    const before = await dump(store().db, first.corpus.id);
    const truncated = [1, 2, 3].map((i) => JSON.stringify({ _id: `b${i}`, text: `text ${i}` })).join('\n').slice(0, -9) + '\n';
    const r = await engine.call('ingest', {
      files: smallBeir('b', { corpus: truncated, qrels: 'query-id\tcorpus-id\tscore\nq1\tb1\t1\nq2\tmissing-doc\t1\nq1\tb2\n' }),
      name: 'second',
    });
    const reasons = r.report.issues.filter((i) => i.severity === 'error').map((i) => `${i.file}:${i.line}: ${i.reason}`);
    expect(reasons).toEqual([
      expect.stringMatching(/^corpus\.jsonl:3: invalid JSON \(truncated line\?\)/),
      'test.tsv:3: unknown document id "missing-doc" (not in the corpus)',
      'test.tsv:4: wrong column count: expected 3 (query-id, corpus-id, score), found 2',
    ]);
    expect(r.corpus.counts.docs).toBe(2);
    expect(await dump(store().db, first.corpus.id)).toBe(before);
    engine.dispose();
  });

  it('a binary file is a CorpusFormatError naming file and line; nothing is stored', async () => {
    const { engine, store } = setup();
    await engine.call('ingest', { files: smallBeir('a') });
    const before = await dump(store().db);
    const garbage = new Uint8Array(20_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919) % 251;
    const err = (await engine.call('ingest', { files: smallBeir('b', { corpus: garbage as unknown as string }) }).catch((e: unknown) => e)) as CorpusFormatError;
    expect(err).toBeInstanceOf(CorpusFormatError);
    expect(err.message).toMatch(/^corpus\.jsonl:1: binary data: NUL byte at byte 1/);
    expect(err.details).toMatchObject({ file: 'corpus.jsonl', line: 1 });
    expect(await dump(store().db)).toBe(before);
    engine.dispose();
  });

  it('cancel while reading or while storing stores nothing', async () => {
    const { engine, store } = setup();
    await engine.call('ingest', { files: smallBeir('a') });
    const before = await dump(store().db);
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) lines.push(JSON.stringify({ _id: `d${i}`, title: 'x', text: `document number ${i} with some words` }));
    const bigCorpus = lines.join('\n') + '\n';
    for (const when of ['reading', 'storing'] as const) {
      const ac = new AbortController();
      const err = await engine
        .call('ingest', { files: smallBeir('d', { corpus: bigCorpus }) }, {
          signal: ac.signal,
          onProgress: (p) => {
            if (p.phase === when && (when === 'storing' ? p.shardsWritten >= 3 : p.bytesRead > 100_000)) ac.abort();
          },
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CancelledError);
      expect((err as Error).message).toMatch(/nothing was stored/);
      expect(await dump(store().db)).toBe(before);
    }
    engine.dispose();
  });

  it('a QuotaExceededError while storing (test hook) is a StorageQuotaError and leaves the store as it was', async () => {
    const { engine, store } = setup();
    await engine.call('ingest', { files: smallBeir('a') });
    await engine.call('ensureBuiltinWorld', {});
    const before = await dump(store().db);
    const err = (await engine.call('ingest', { files: smallBeir('b'), name: 'full', debugFailAfterShards: 1 }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(StorageQuotaError);
    expect(err.message).toMatch(/^Storage is full: the browser refused to store corpus "full"/);
    expect(await dump(store().db)).toBe(before);
    const { corpora } = await engine.call('listCorpora', {});
    expect(corpora.map((c) => c.name)).toEqual(['world:default', 'corpus']);
    engine.dispose();
  });

  it('deleteCorpus and storageEstimate through the protocol', async () => {
    const { engine } = setup();
    const a = await engine.call('ingest', { files: smallBeir('a'), name: 'a' });
    const est = await engine.call('storageEstimate', {});
    expect(est.corpora).toEqual([{ id: a.corpus.id, name: 'a', bytes: a.corpus.bytes }]);
    expect(await engine.call('deleteCorpus', { id: a.corpus.id })).toEqual({ deleted: true, runsMarked: 0 });
    expect((await engine.call('listCorpora', {})).corpora).toEqual([]);
    await expect(engine.call('bm25Baseline', { corpusId: a.corpus.id })).rejects.toThrow(/no corpus/);
    await expect(engine.call('ingest', { files: [] })).rejects.toThrow(/no files were given/);
    engine.dispose();
  });
});
