// The storage module on fake-indexeddb: schema and migrations, corpus round trips, atomic
// staging, quota failures, checkpoint checksums, deletion, runs and series.
import { describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { CancelledError, CheckpointError, StorageQuotaError } from '../../../src/core/errors';
import { crc32 } from '../../../src/store/checksum';
import { DB_NAME, DB_VERSION, MIGRATIONS, openLabDb, type Migration } from '../../../src/store/schema';
import {
  BUILTIN_WORLD_ID,
  DOC_SHARD_SIZE,
  isQuotaExceeded,
  LabStore,
  type LockManagerLike,
} from '../../../src/store/store';
import { corpusInput, countOwned, dump, freshStore, makeCorpus } from './helpers';

const STORES = [
  'checkpointChunks',
  'checkpoints',
  'corpora',
  'docShards',
  'modelFiles',
  'models',
  'negatives',
  'qrels',
  'queryShards',
  'reports',
  'runs',
  'series',
  'tokenShards',
];

describe('schema and migrations', () => {
  it('a fresh database opens at the latest version with every store and index', async () => {
    const factory = new IDBFactory();
    const db = await openLabDb({ indexedDB: factory });
    expect(db.name).toBe(DB_NAME);
    expect(db.version).toBe(DB_VERSION);
    expect(DB_VERSION).toBe(MIGRATIONS.length);
    expect(Array.from(db.objectStoreNames).sort()).toEqual(STORES);
    const tx = db.transaction(['corpora', 'runs'], 'readonly');
    expect(Array.from(tx.objectStore('corpora').indexNames)).toEqual(['by-status']);
    expect(Array.from(tx.objectStore('runs').indexNames)).toEqual(['by-corpus']);
    await tx.done;
    db.close();
  });

  it('reopening keeps the data; a later schema version migrates it in version order', async () => {
    const factory = new IDBFactory();
    const { store } = await freshStore({ indexedDB: factory });
    await store.writeCorpus(corpusInput(makeCorpus('keep', 20)), {});
    const before = await dump(store.db);
    store.close();

    // The same version again: no upgrade, same records.
    const again = await LabStore.open({ indexedDB: factory, locks: null, storage: null });
    expect(await dump(again.db)).toBe(before);
    again.close();

    // Two further versions: each migration runs once, in order, over the existing data.
    const ran: number[] = [];
    const v2: Migration = (db) => {
      ran.push(2);
      db.createObjectStore('notes' as never, { keyPath: 'id' });
    };
    const v3: Migration = (_db, tx) => {
      ran.push(3);
      tx.objectStore('corpora').createIndex('by-name' as never, 'name');
    };
    const db = await openLabDb({ indexedDB: factory, migrations: [...MIGRATIONS, v2, v3] });
    expect(db.version).toBe(DB_VERSION + 2);
    expect(ran).toEqual([2, 3]);
    expect(Array.from(db.objectStoreNames)).toContain('notes');
    const corpora = await db.getAll('corpora');
    expect(corpora.map((c) => c.name)).toEqual(['keep']);
    db.close();
  });

  it('an old connection closes itself when a newer schema wants to upgrade', async () => {
    const factory = new IDBFactory();
    const old = await openLabDb({ indexedDB: factory });
    let closed = false;
    old.addEventListener('close', () => (closed = true));
    const extra: Migration = (db) => void db.createObjectStore('later' as never);
    const newer = await openLabDb({ indexedDB: factory, migrations: [...MIGRATIONS, extra] });
    expect(newer.version).toBe(DB_VERSION + 1);
    // The versionchange handler closed the old connection (no 'close' event for db.close()).
    expect(closed).toBe(false);
    await expect(Promise.resolve().then(() => old.transaction('corpora'))).rejects.toThrow();
    newer.close();
  });
});

describe('corpora', () => {
  it('put/load round trip: documents in shards, queries, judgments, negatives, report', async () => {
    const { store } = await freshStore();
    const corpus = makeCorpus('rt', 2 * DOC_SHARD_SIZE + 345, 1234);
    const input = corpusInput(corpus);
    const report = {
      corpusName: 'rt',
      layout: 'beir' as const,
      files: [],
      totals: { docs: 1, queries: 1, judgedQueries: { train: 0, dev: 0, test: 0 }, judgments: { train: 0, dev: 0, test: 0 }, queriesWithNegatives: 0 },
      issues: [{ file: 'corpus.jsonl', line: 3, reason: 'invalid JSON', severity: 'error' as const }],
      issueCount: 1,
      errorCount: 1,
      warningCount: 0,
      maxIssues: 1000,
    };
    const shards: number[] = [];
    const rec = await store.writeCorpus({ ...input, report }, { onShard: (w) => void shards.push(w) });
    expect(rec.status).toBe('ready');
    expect(rec.counts).toMatchObject({ docs: 2345, queries: 1234, docShards: 3, queryShards: 2, queriesWithNegatives: 1 });
    expect(rec.counts.judgedQueries).toEqual({ train: 412, dev: 411, test: 411 });
    expect(shards).toEqual([1, 2, 3, 4, 5, 6]);
    const loaded = await store.loadCorpus(rec.id);
    expect(loaded).toEqual(corpus);
    expect(await store.getReport(rec.id)).toEqual(report);
    expect((await store.listCorpora()).map((c) => c.id)).toEqual([rec.id]);
    const preview = await store.previewCorpus(rec.id, 2);
    expect(preview.docs).toEqual(corpus.docs.slice(0, 2));
    expect(preview.queries).toEqual(corpus.queries.slice(0, 2));
    expect(await store.readDocShard(rec.id, 2)).toEqual(corpus.docs.slice(2000));
    const est = await store.storageEstimate();
    expect(est.usage).toBeNull();
    expect(est.corpora).toEqual([{ id: rec.id, name: 'rt', bytes: rec.bytes }]);
    expect(rec.bytes).toBeGreaterThan(100_000);
  });

  it('staging is invisible while it is written, and visible only after the commit', async () => {
    const { store } = await freshStore();
    const seen: { listed: number; got: unknown; loadFails: boolean }[] = [];
    let id = '';
    const pending = store.writeCorpus(corpusInput(makeCorpus('st', 2500)), {
      // Runs between shard transactions (the next waits for it): look at the store from outside.
      onShard: async () => {
        const staging = await store.db.getAllFromIndex('corpora', 'by-status', 'staging');
        id = staging[0]?.id ?? id;
        seen.push({
          listed: (await store.listCorpora()).length,
          got: await store.getCorpus(id),
          loadFails: await store.loadCorpus(id).then(() => false, () => true),
        });
      },
    });
    const rec = await pending;
    expect(seen.length).toBe(5); // 3 document shards, 1 query shard, judgments + report
    for (const s of seen) expect(s).toEqual({ listed: 0, got: undefined, loadFails: true });
    expect(id).toBe(rec.id);
    expect((await store.listCorpora()).map((c) => c.id)).toEqual([rec.id]);
  });

  it('cancel during the write removes every staging record and changes nothing else', async () => {
    const { store } = await freshStore();
    const kept = await store.writeCorpus(corpusInput(makeCorpus('kept', 1500)), {});
    const before = await dump(store.db);
    const ac = new AbortController();
    const err = await store
      .writeCorpus(corpusInput(makeCorpus('cancelled', 3500)), {
        signal: ac.signal,
        onShard: (w) => {
          if (w === 2) ac.abort();
        },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(await store.db.getAllKeys('corpora')).toEqual([kept.id]);
    expect(await dump(store.db)).toBe(before);
    expect((await store.listCorpora()).map((c) => c.id)).toEqual([kept.id]);
  });

  it('a QuotaExceededError mid-write becomes StorageQuotaError; other corpora and runs are byte-for-byte unchanged', async () => {
    const { store } = await freshStore();
    const other = await store.writeCorpus(corpusInput(makeCorpus('other', 2200)), {});
    await store.putRun({ id: 'run:1', name: 'r', corpusId: other.id, config: { seed: 1 }, status: 'done', createdAt: 1, updatedAt: 1 });
    await store.saveCheckpoint('run:1', 'last', new Uint8Array([1, 2, 3]));
    const before = await dump(store.db);
    const otherBefore = await dump(store.db, other.id);
    const err = (await store
      .writeCorpus(corpusInput(makeCorpus('toobig', 4321)), { debugFailAfterShards: 3 })
      .catch((e: unknown) => e)) as StorageQuotaError;
    expect(err).toBeInstanceOf(StorageQuotaError);
    expect(err.name).toBe('StorageQuotaError');
    expect(err.message).toMatch(/^Storage is full: the browser refused to store corpus "toobig"/);
    expect(err.message).toMatch(/Nothing stored before was changed/);
    expect(String(err.details?.cause)).toMatch(/^QuotaExceededError: .*debugFailAfterShards/);
    expect(await dump(store.db, other.id)).toBe(otherBefore);
    expect(await dump(store.db)).toBe(before);
    expect(await store.db.getAllFromIndex('corpora', 'by-status', 'staging')).toEqual([]);
  });

  it('recognises QuotaExceededError however it is wrapped', () => {
    const q = new DOMException('full', 'QuotaExceededError');
    expect(isQuotaExceeded(q)).toBe(true);
    expect(isQuotaExceeded(new Error('tx failed', { cause: q }))).toBe(true);
    expect(isQuotaExceeded({ name: 'AbortError', error: q })).toBe(true);
    expect(isQuotaExceeded({ name: 'UnknownError', inner: { name: 'NS_ERROR_DOM_QUOTA_REACHED' } })).toBe(true);
    expect(isQuotaExceeded(new DOMException('aborted', 'AbortError'))).toBe(false);
    expect(isQuotaExceeded(new Error('other'))).toBe(false);
  });

  it('stale staging records of a crashed tab are removed on open, live ones kept', async () => {
    const factory = new IDBFactory();
    let now = 1_000_000;
    const { store } = await freshStore({ indexedDB: factory, now: () => now });
    const ready = await store.writeCorpus(corpusInput(makeCorpus('ready', 10)), {});
    // A tab that crashed mid-write: staging record plus a shard, never committed.
    const crashed = { ...ready, id: 'corpus:crashed', name: 'crashed', status: 'staging' as const, updatedAt: now };
    await store.db.put('corpora', crashed);
    await store.db.put('docShards', { corpusId: 'corpus:crashed', shard: 0, docs: [{ id: 'x', title: '', text: 'x' }] });
    store.close();

    // Shortly after, without Web Locks: the record may belong to a live tab, kept.
    now += 60_000;
    const soon = await LabStore.open({ indexedDB: factory, locks: null, storage: null, now: () => now });
    expect(await countOwned(soon.db, 'corpus:crashed')).toBe(2);
    soon.close();

    // Much later: stale, removed with its shard; the ready corpus untouched.
    now += 60 * 60_000;
    const later = await LabStore.open({ indexedDB: factory, locks: null, storage: null, now: () => now });
    expect(await countOwned(later.db, 'corpus:crashed')).toBe(0);
    expect((await later.listCorpora()).map((c) => c.id)).toEqual([ready.id]);
    later.close();
  });

  it('with Web Locks, staging is stale exactly when no one holds its lock', async () => {
    const factory = new IDBFactory();
    const { store } = await freshStore({ indexedDB: factory });
    const base = await store.writeCorpus(corpusInput(makeCorpus('b', 5)), {});
    for (const id of ['corpus:held', 'corpus:free']) {
      await store.db.put('corpora', { ...base, id, status: 'staging', updatedAt: Date.now() });
    }
    store.close();
    const locks: LockManagerLike = {
      request: (_name, cb) => cb(),
      query: async () => ({ held: [{ name: 'distill-lab/staging/corpus:held' }] }),
    };
    const reopened = await LabStore.open({ indexedDB: factory, locks, storage: null });
    const staging = await reopened.db.getAllKeysFromIndex('corpora', 'by-status', 'staging');
    expect(staging).toEqual(['corpus:held']);
    reopened.close();
  });

  it('delete removes every record of that corpus only; its runs stay, marked', async () => {
    const { store } = await freshStore();
    const a = await store.writeCorpus(corpusInput(makeCorpus('a', 1200)), {});
    const b = await store.writeCorpus(corpusInput(makeCorpus('b', 1200)), {});
    for (const c of [a, b]) {
      await store.putTokenShard({ corpusId: c.id, tokenizerId: 'wp-1000', side: 'docs', shard: 0, offsets: new Uint32Array([0, 2, 3]), ids: new Uint32Array([5, 6, 7]) });
      await store.putNegatives(c.id, 'bm25', { [`${c.name}-q0`]: [`${c.name}-d3`] });
    }
    await store.putRun({ id: 'run:a', name: 'on a', corpusId: a.id, config: {}, status: 'done', createdAt: 1, updatedAt: 1 });
    await store.putRun({ id: 'run:b', name: 'on b', corpusId: b.id, config: {}, status: 'done', createdAt: 2, updatedAt: 2 });
    await store.saveCheckpoint('run:a', 'last', new Uint8Array(100).fill(9));
    await store.appendSeries('run:a', 'loss', [{ step: 1, value: 0.5 }]);
    // Record, 2 document shards, 1 query shard, 3 qrels splits, report, 2 negatives, 1 tokenised shard.
    expect(await countOwned(store.db, a.id)).toBe(11);
    expect(await store.getReport(a.id)).toBeDefined();
    const bBefore = await dump(store.db, b.id);
    const runsBefore = await store.getRun('run:b');

    expect(await store.deleteCorpus(a.id)).toEqual({ deleted: true, runsMarked: 1 });
    expect(await countOwned(store.db, a.id)).toBe(0);
    expect(await store.getReport(a.id)).toBeUndefined();
    expect(await dump(store.db, b.id)).toBe(bBefore);
    expect(await store.getRun('run:b')).toEqual(runsBefore);
    const runA = await store.getRun('run:a');
    expect(runA?.corpusDeleted?.name).toBe('a');
    expect((await store.loadCheckpoint('run:a', 'last')).bytes).toEqual(new Uint8Array(100).fill(9));
    expect(await store.readSeries('run:a', 'loss')).toEqual([{ step: 1, value: 0.5 }]);
    expect((await store.listCorpora()).map((c) => c.id)).toEqual([b.id]);
    await expect(store.loadCorpus(a.id)).rejects.toThrow(/no corpus/);
    expect(await store.deleteCorpus(a.id)).toEqual({ deleted: false, runsMarked: 0 });
  });

  it('the built-in world is stored once, even when asked twice at the same time', async () => {
    const { store } = await freshStore();
    const [r1, r2] = await Promise.all([store.ensureBuiltinWorld(), store.ensureBuiltinWorld()]);
    expect(r1.id).toBe(BUILTIN_WORLD_ID);
    expect(r2).toEqual(r1);
    expect(r1.source).toEqual({ kind: 'builtin', preset: 'default', seed: 1 });
    expect(r1.counts.docs).toBeGreaterThan(1000);
    expect(r1.baseline.test?.queries).toBeGreaterThan(100);
    const again = await store.ensureBuiltinWorld();
    expect(again.createdAt).toBe(r1.createdAt);
    expect((await store.listCorpora()).map((c) => c.id)).toEqual([BUILTIN_WORLD_ID]);
  });
});

describe('tokenised shards and negatives', () => {
  it('round trip typed arrays per (corpus, tokenizer, side); refuse a missing corpus', async () => {
    const { store } = await freshStore();
    const c = await store.writeCorpus(corpusInput(makeCorpus('t', 10)), {});
    const offsets = new Uint32Array([0, 3, 5]);
    const ids = new Uint16Array([1, 2, 3, 4, 5]);
    await store.putTokenShard({ corpusId: c.id, tokenizerId: 'hashed', side: 'queries', shard: 1, offsets, ids });
    await store.putTokenShard({ corpusId: c.id, tokenizerId: 'hashed', side: 'queries', shard: 0, offsets, ids });
    const got = await store.getTokenShards(c.id, 'hashed', 'queries');
    expect(got.map((s) => s.shard)).toEqual([0, 1]);
    expect(got[0].ids).toBeInstanceOf(Uint16Array);
    expect(Array.from(got[0].ids)).toEqual([1, 2, 3, 4, 5]);
    expect(await store.getTokenShards(c.id, 'hashed', 'docs')).toEqual([]);
    expect(await store.listTokenizers(c.id)).toEqual(['hashed']);
    await expect(
      store.putTokenShard({ corpusId: c.id, tokenizerId: 'hashed', side: 'docs', shard: 0, offsets: new Uint32Array([0, 9]), ids }),
    ).rejects.toThrow(/offsets end at 9, ids hold 5/);
    await expect(store.putTokenShard({ corpusId: 'nope', tokenizerId: 'h', side: 'docs', shard: 0, offsets, ids })).rejects.toThrow(/no corpus/);
    await store.deleteTokenShards(c.id, 'hashed');
    expect(await store.listTokenizers(c.id)).toEqual([]);
    expect((await store.listNegatives(c.id)).sort()).toEqual(['upload']);
  });
});

describe('checkpoints', () => {
  // Small chunks: fake-indexeddb clones byte by byte, so megabyte chunks would take minutes.
  const CHUNK = 4096;
  const open = () => freshStore({ checkpointChunkBytes: CHUNK });
  const big = () => {
    const b = new Uint8Array(2 * CHUNK + 1234);
    for (let i = 0; i < b.length; i++) b[i] = (i * 2654435761) >>> 24;
    return b;
  };

  it('round trip in CRC-checked chunks; a re-save replaces the previous one', async () => {
    const { store } = await open();
    const bytes = big();
    const meta = await store.saveCheckpoint('run:x', 'step-10', bytes, { step: 10 });
    expect(meta.chunkCount).toBe(3);
    expect(meta.chunkSize).toBe(CHUNK);
    expect(meta.sha256).toMatch(/^[0-9a-f]{64}$/);
    const loaded = await store.loadCheckpoint('run:x', 'step-10');
    expect(loaded.bytes).toEqual(bytes);
    expect(loaded.meta.info).toEqual({ step: 10 });
    await store.saveCheckpoint('run:x', 'step-10', new Uint8Array([4, 5, 6]), { step: 11 });
    expect((await store.loadCheckpoint('run:x', 'step-10')).bytes).toEqual(new Uint8Array([4, 5, 6]));
    expect(await store.db.count('checkpointChunks')).toBe(1);
    expect((await store.listCheckpoints('run:x')).map((m) => m.name)).toEqual(['step-10']);
  });

  it('a flipped byte in a stored chunk is a CheckpointError naming the chunk', async () => {
    const { store } = await open();
    await store.saveCheckpoint('run:x', 'c', big());
    const rec = (await store.db.get('checkpointChunks', ['run:x', 'c', 1]))!;
    const data = new Uint8Array(rec.data.slice(0));
    data[777] ^= 0x10;
    await store.db.put('checkpointChunks', { ...rec, data: data.buffer });
    const err = (await store.loadCheckpoint('run:x', 'c').catch((e: unknown) => e)) as CheckpointError;
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err.message).toMatch(/checkpoint "c" of run "run:x" is corrupt: chunk 2 of 3 fails its CRC-32 check/);
    expect(err.details?.chunk).toBe(1);
  });

  it('a missing chunk, a missing checkpoint and a bad SHA-256 are CheckpointErrors', async () => {
    const { store } = await open();
    await store.saveCheckpoint('run:x', 'c', big());
    await store.db.delete('checkpointChunks', ['run:x', 'c', 2]);
    await expect(store.loadCheckpoint('run:x', 'c')).rejects.toThrow(/incomplete: 2 of 3 chunks/);
    await expect(store.loadCheckpoint('run:x', 'none')).rejects.toBeInstanceOf(CheckpointError);
    // Chunk and CRC replaced consistently: only the whole-buffer SHA-256 can tell.
    await store.saveCheckpoint('run:y', 'c', new Uint8Array([1, 2, 3]));
    const forged = new Uint8Array([1, 2, 4]);
    await store.db.put('checkpointChunks', { runId: 'run:y', name: 'c', index: 0, data: forged.buffer, crc32: crc32(forged) });
    await expect(store.loadCheckpoint('run:y', 'c')).rejects.toThrow(/SHA-256 does not match/);
  });

  it('CRC-32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });
});

describe('runs and metric series', () => {
  it('runs list newest first, update in place, delete with checkpoints and series', async () => {
    const { store } = await freshStore({ now: () => 42 });
    await store.putRun({ id: 'r1', name: 'one', corpusId: 'c', config: { seed: 1 }, status: 'running', createdAt: 1, updatedAt: 1 });
    await store.putRun({ id: 'r2', name: 'two', corpusId: 'c', config: { seed: 2 }, status: 'created', createdAt: 2, updatedAt: 2 });
    expect((await store.listRuns()).map((r) => r.id)).toEqual(['r2', 'r1']);
    const u = await store.updateRun('r1', { status: 'paused' });
    expect(u).toMatchObject({ id: 'r1', status: 'paused', updatedAt: 42, config: { seed: 1 } });
    await expect(store.updateRun('nope', { status: 'done' })).rejects.toThrow(/no run "nope"/);

    expect(await store.appendSeries('r1', 'loss', [{ step: 1, value: 3 }, { step: 2, value: 2 }])).toBe(0);
    expect(await store.appendSeries('r1', 'loss', [{ step: 3, value: 1 }])).toBe(1);
    await store.appendSeries('r1', 'lr', [{ step: 1, value: 1e-4 }]);
    await store.appendSeries('r2', 'loss', [{ step: 1, value: 9 }]);
    expect(await store.readSeries('r1', 'loss')).toEqual([
      { step: 1, value: 3 },
      { step: 2, value: 2 },
      { step: 3, value: 1 },
    ]);
    expect((await store.listSeries('r1')).sort()).toEqual(['loss', 'lr']);
    await store.saveCheckpoint('r1', 'last', new Uint8Array([1]));

    const r2Before = await dump(store.db, 'r2');
    expect(await store.deleteRun('r1')).toBe(true);
    expect(await countOwned(store.db, 'r1')).toBe(0);
    expect(await dump(store.db, 'r2')).toBe(r2Before);
    expect(await store.readSeries('r2', 'loss')).toEqual([{ step: 1, value: 9 }]);
  });
});
