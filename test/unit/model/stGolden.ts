// Loads a checkpoint folder (test/golden/st-*-random) as the ModelFolder import takes, plus
// its expected.json (Node only: tests read files, src/core takes contents).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelFolder } from '../../../src/core/model';

const here = dirname(fileURLToPath(import.meta.url));
export const ST_GOLDEN = {
  meanCos: resolve(here, '../../golden/st-mean-cos-random'),
  clsDot: resolve(here, '../../golden/st-cls-dot-random'),
};

export interface StExpected {
  queries: string[];
  passages: string[];
  query_input_ids: number[][];
  query_attention_mask: number[][];
  passage_input_ids: number[][];
  passage_attention_mask: number[][];
  query_embeddings: number[][];
  passage_embeddings: number[][];
  /** [query][passage] */
  scores: number[][];
}

/** Every file under dir (relative paths with '/'), JSON and text as strings, the rest as bytes. */
export function readTree(dir: string): Record<string, string | Uint8Array> {
  const out: Record<string, string | Uint8Array> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        const rel = relative(dir, p).split('\\').join('/');
        const buf = readFileSync(p);
        out[rel] = /\.(json|txt)$/.test(name) ? buf.toString('utf8') : new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      }
    }
  };
  walk(dir);
  return out;
}

export function loadFolder(dir: string): { files: ModelFolder; expected: StExpected } {
  const files = readTree(dir);
  const expected = JSON.parse(files['expected.json'] as string) as StExpected;
  delete files['expected.json'];
  return { files, expected };
}
