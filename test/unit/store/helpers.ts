// Shared by the store's unit tests: fresh fake IndexedDB factories, small corpora, and a
// deterministic dump of every record so tests can say "byte for byte unchanged".
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import type { IDBPDatabase } from 'idb';
import type { ValidationReport } from '../../../src/core/data/ingest';
import type { Corpus } from '../../../src/core/data/types';
import { describeCorpus } from '../../../src/store/corpusStats';
import type { LabDB } from '../../../src/store/schema';
import { LabStore, type CorpusInput, type LabStoreOptions } from '../../../src/store/store';

/** A store on a fresh, empty fake IndexedDB (no Web Locks, no navigator.storage). */
export async function freshStore(opts: LabStoreOptions = {}): Promise<{ store: LabStore; factory: IDBFactory }> {
  const factory = (opts.indexedDB as IDBFactory | undefined) ?? new IDBFactory();
  const store = await LabStore.open({ locks: null, storage: null, ...opts, indexedDB: factory });
  return { store, factory };
}

/** A small corpus with `docs` documents (several shards when > 1000), queries in every split. */
export function makeCorpus(name: string, docs: number, queries = 30): Corpus {
  const c: Corpus = { name, docs: [], queries: [], qrels: { train: [], dev: [], test: [] } };
  for (let i = 0; i < docs; i++) {
    c.docs.push({ id: `${name}-d${i}`, title: `title ${i % 7}`, text: `document ${i} about topic${i % 13} and item${i % 5} ünïcödé` });
  }
  for (let i = 0; i < queries; i++) {
    c.queries.push({ id: `${name}-q${i}`, text: `topic${i % 13} item${i % 5}` });
    const split = (['train', 'dev', 'test'] as const)[i % 3];
    c.qrels[split].push({ qid: `${name}-q${i}`, docId: `${name}-d${(i * 13 + (i % 13)) % docs}`, rel: 1 + (i % 2) });
  }
  c.negatives = { [`${name}-q0`]: [`${name}-d1`, `${name}-d2`] };
  return c;
}

/** What the store is given for a corpus, with a one-issue validation report. */
export function corpusInput(corpus: Corpus, id?: string): CorpusInput {
  const { stats, baseline } = describeCorpus(corpus);
  const report: ValidationReport = {
    corpusName: corpus.name,
    layout: 'beir',
    files: [{ file: 'corpus.jsonl', role: 'docs', bytes: 1, rowsRead: corpus.docs.length + 1, accepted: corpus.docs.length, rejected: 1 }],
    totals: {
      docs: corpus.docs.length,
      queries: corpus.queries.length,
      judgedQueries: { train: 0, dev: 0, test: 0 },
      judgments: { train: 0, dev: 0, test: 0 },
      queriesWithNegatives: 0,
    },
    issues: [{ file: 'corpus.jsonl', line: 2, reason: 'invalid JSON', severity: 'error' }],
    issueCount: 1,
    errorCount: 1,
    warningCount: 0,
    maxIssues: 1000,
  };
  return { id, name: corpus.name, source: { kind: 'upload', layout: 'beir', files: [{ name: 'corpus.jsonl', bytes: 1 }] }, corpus, report, stats, baseline };
}

/** JSON with typed arrays and ArrayBuffers spelled out, so dumps compare byte for byte. */
function stable(v: unknown): unknown {
  if (v instanceof ArrayBuffer) return { $ab: Array.from(new Uint8Array(v)) };
  if (ArrayBuffer.isView(v)) return { $ta: v.constructor.name, data: Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  if (Array.isArray(v)) return v.map(stable);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, stable((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/**
 * Every record of every store, as one string. With `owner`, only records whose key starts
 * with that id (or is that id): one corpus's or one run's whole footprint.
 */
export async function dump(db: IDBPDatabase<LabDB>, owner?: string): Promise<string> {
  const out: Record<string, unknown[]> = {};
  for (const name of Array.from(db.objectStoreNames).sort()) {
    const tx = db.transaction(name, 'readonly');
    const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll()]);
    await tx.done;
    const rows: unknown[] = [];
    keys.forEach((k, i) => {
      const first = Array.isArray(k) ? k[0] : k;
      if (owner === undefined || first === owner) rows.push([stable(k), stable(values[i])]);
    });
    out[name] = rows;
  }
  return JSON.stringify(out);
}

/** How many records in all stores belong to `owner`. */
export async function countOwned(db: IDBPDatabase<LabDB>, owner: string): Promise<number> {
  const d = JSON.parse(await dump(db, owner)) as Record<string, unknown[]>;
  return Object.values(d).reduce((s, rows) => s + rows.length, 0);
}
