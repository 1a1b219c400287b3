// Loads test/golden/bert-tiny-random for the model tests (Node only: tests read files,
// src/core takes contents).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const GOLDEN_DIR = resolve(here, '../../golden/bert-tiny-random');

export interface GoldenExpected {
  pairs: { a: string; b: string | null }[];
  input_ids: number[][];
  token_type_ids: number[][];
  attention_mask: number[][];
  /** [layer 0..L][batch][position][hidden] */
  hidden_states: number[][][][];
  pooler_output: number[][];
  classifier_logits: number[][];
  tokenization: { text: string; tokens: string[]; ids: number[] }[];
}

export function loadGolden(): {
  configJson: string;
  vocabTxt: string;
  safetensors: ArrayBuffer;
  expected: GoldenExpected;
} {
  const buf = readFileSync(resolve(GOLDEN_DIR, 'model.safetensors'));
  // A fresh ArrayBuffer holding exactly the file (Node's Buffer may sit in a shared pool).
  const safetensors = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  return {
    configJson: readFileSync(resolve(GOLDEN_DIR, 'config.json'), 'utf8'),
    vocabTxt: readFileSync(resolve(GOLDEN_DIR, 'vocab.txt'), 'utf8'),
    safetensors,
    expected: JSON.parse(readFileSync(resolve(GOLDEN_DIR, 'expected.json'), 'utf8')) as GoldenExpected,
  };
}
