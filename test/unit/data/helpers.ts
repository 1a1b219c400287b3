// Test helpers: files for ingestFiles from disk (Node fs streams) or from memory (split
// into tiny chunks, so every chunk-boundary case is exercised).

import { createReadStream, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IngestFile } from '../../../src/core/data/ingest';

const here = dirname(fileURLToPath(import.meta.url));
/** The SciFact collection copied into the repository (test/data/scifact). */
export const SCIFACT_DIR = resolve(here, '../../data/scifact');

/** A file on disk, streamed with fs.createReadStream (a Node Readable is an AsyncIterable of Buffers). */
export function diskFile(path: string, name = path): IngestFile {
  return {
    name,
    size: statSync(path).size,
    stream: () => createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Uint8Array>,
  };
}

export function scifactFiles(): IngestFile[] {
  return ['corpus.jsonl', 'queries.jsonl', 'qrels/train.tsv', 'qrels/test.tsv'].map((p) =>
    diskFile(join(SCIFACT_DIR, p), `scifact/${p}`),
  );
}

const enc = new TextEncoder();

export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

/** An in-memory file delivered in chunks of `chunk` bytes. */
export function memFile(name: string, content: string | Uint8Array, chunk = 7): IngestFile {
  const bytes = typeof content === 'string' ? enc.encode(content) : content;
  return { name, size: bytes.length, stream: () => chunked(bytes, chunk) };
}

export function bytesOf(...parts: (string | Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

/** A tiny valid BEIR corpus: 3 documents, 2 queries. */
export const CORPUS = [
  '{"_id": "d1", "title": "Alpha", "text": "alpha text"}',
  '{"_id": "d2", "title": "Beta", "text": "beta text"}',
  '{"_id": "d3", "title": "", "text": "gamma text"}',
].join('\n') + '\n';
export const QUERIES = ['{"_id": "q1", "text": "alpha?"}', '{"_id": "q2", "text": "beta?"}'].join('\n') + '\n';
export const QRELS = 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t2\n';
