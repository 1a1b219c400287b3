// Which layout a set of dropped files is in, and what each file holds, from names alone
// (paths as a folder drop gives them, or bare names as a multi-file drop gives them).

import { CorpusFormatError } from '../../errors';
import type { Split } from '../types';
import type { FileRole, Layout } from './report';

export interface PlannedFile {
  name: string;
  role: FileRole;
  /** From the file name; undefined when the name does not say. */
  split?: Split;
}

export interface LayoutPlan {
  layout: Layout;
  files: PlannedFile[];
  /** Files that will not be read, with the reason (shown as warnings). */
  ignored: { name: string; reason: string }[];
}

export const baseName = (path: string): string => path.split(/[\\/]/).pop() ?? path;
const lower = (path: string) => baseName(path).toLowerCase();
const dirParts = (path: string) => path.toLowerCase().split(/[\\/]/).slice(0, -1);

/**
 * The split a file name states: train; dev / val / valid / validation; test / eval
 * (MS MARCO's "eval" queries are its held-out test set). Undefined when it states none.
 */
export function splitFromName(name: string): Split | undefined {
  const words = lower(name).split(/[^a-z0-9]+/);
  if (words.includes('train') || words.includes('training')) return 'train';
  if (words.some((w) => w === 'dev' || w === 'val' || w === 'valid' || w === 'validation')) return 'dev';
  if (words.includes('test') || words.includes('eval')) return 'test';
  return undefined;
}

const isNegativesName = (n: string) => /(neg|triples|hard)/.test(n);
const isTable = (n: string) => /\.(csv|tsv|tab|txt)$/.test(n);

/**
 * Tells BEIR (corpus.jsonl + queries.jsonl + qrels/*.tsv), MS MARCO (collection.tsv +
 * queries.*.tsv + TREC qrels) and plain CSV/TSV apart. Throws CorpusFormatError when the
 * names fit none of them.
 */
export function detectLayout(fileNames: readonly string[]): LayoutPlan {
  const names = fileNames.map(lower);
  const ignored: LayoutPlan['ignored'] = [];
  const files: PlannedFile[] = [];

  if (names.some((n) => /^corpus.*\.jsonl$/.test(n))) {
    fileNames.forEach((name, i) => {
      const n = names[i];
      if (/^corpus.*\.jsonl$/.test(n)) files.push({ name, role: 'docs' });
      else if (/^quer(y|ies).*\.jsonl$/.test(n)) files.push({ name, role: 'queries' });
      else if (/\.(tsv|txt)$/.test(n) && isNegativesName(n)) files.push({ name, role: 'negatives' });
      else if (/\.(tsv|txt|qrels)$/.test(n) && (dirParts(name).includes('qrels') || n.includes('qrel') || splitFromName(n))) {
        files.push({ name, role: 'qrels', split: splitFromName(n) });
      } else ignored.push({ name, reason: 'not part of the BEIR layout (corpus.jsonl, queries.jsonl, qrels/*.tsv)' });
    });
    return { layout: 'beir', files, ignored };
  }

  if (names.some((n) => /^collection.*\.(tsv|txt)$/.test(n))) {
    fileNames.forEach((name, i) => {
      const n = names[i];
      if (/^collection.*\.(tsv|txt)$/.test(n)) files.push({ name, role: 'docs' });
      else if (/^quer(y|ies).*\.(tsv|txt)$/.test(n)) files.push({ name, role: 'queries', split: splitFromName(n) });
      else if (n.includes('qrel')) files.push({ name, role: 'qrels', split: splitFromName(n) });
      else if (/\.(tsv|txt)$/.test(n) && isNegativesName(n)) files.push({ name, role: 'negatives' });
      else ignored.push({ name, reason: 'not part of the MS MARCO layout (collection.tsv, queries.*.tsv, qrels.*.tsv)' });
    });
    return { layout: 'msmarco', files, ignored };
  }

  if (names.some(isTable)) {
    fileNames.forEach((name, i) => {
      if (isTable(names[i])) files.push({ name, role: 'table', split: splitFromName(names[i]) });
      else ignored.push({ name, reason: 'not a .csv, .tsv or .txt table' });
    });
    return { layout: 'csv', files, ignored };
  }

  throw new CorpusFormatError(
    `cannot tell the layout of ${fileNames.length === 0 ? 'an empty file list' : fileNames.map((f) => `"${f}"`).join(', ')}: ` +
      'expected BEIR (corpus.jsonl, queries.jsonl, qrels/*.tsv), MS MARCO (collection.tsv, queries.*.tsv, qrels) or CSV/TSV files',
    fileNames[0],
  );
}
