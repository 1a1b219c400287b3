// Loads a checkpoint folder (test/golden/st-*-random) as the ModelFolder import takes, plus
// its expected.json (Node only: tests read files, src/core takes contents).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelFolder } from '../../../src/core/model';
import { readTree as readTreeFiles } from '../../shared/hubStandIn.mjs';

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
export const readTree = (dir: string): Record<string, string | Uint8Array> => readTreeFiles(dir);

export function loadFolder(dir: string): { files: ModelFolder; expected: StExpected } {
  const files = readTree(dir);
  const expected = JSON.parse(files['expected.json'] as string) as StExpected;
  delete files['expected.json'];
  return { files, expected };
}
