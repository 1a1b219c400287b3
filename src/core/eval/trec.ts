// TREC run files (`qid Q0 docid rank score run_name`) and TREC qrels (`qid 0 docid rel`),
// out and back in. Parsers throw CorpusFormatError with the file and line of the first
// malformed line: a run or qrels file is small and either right or wrong as a whole.

import { CorpusFormatError } from '../errors';
import type { Qrel } from '../data/types';
import type { Run } from './metrics';

export interface RankedDoc {
  docId: string;
  score: number;
}

/** Rankings per query id, best first. */
export type Rankings = Record<string, readonly RankedDoc[]>;

/** Run names may not contain whitespace (it is the field separator). */
const safeName = (s: string) => s.replace(/\s+/g, '_') || 'run';

/**
 * Writes rankings as a TREC run, ranks from 1 in the given order. (trec_eval re-sorts by
 * score and breaks ties by docid; parseTrecRun breaks them by rank, keeping this order.)
 */
export function toTrecRun(rankings: Rankings, runName: string): string {
  const name = safeName(runName);
  const out: string[] = [];
  for (const [qid, docs] of Object.entries(rankings)) {
    docs.forEach((d, i) => out.push(`${qid} Q0 ${d.docId} ${i + 1} ${formatScore(d.score)} ${name}`));
  }
  return out.length ? out.join('\n') + '\n' : '';
}

function formatScore(s: number): string {
  if (!Number.isFinite(s)) throw new RangeError(`cannot write a non-finite score (${s}) to a TREC run`);
  // Enough digits to round-trip a float64 without noise like 0.30000000000000004.
  return Number.isInteger(s) ? String(s) : String(Number(s.toPrecision(12)));
}

export interface ParsedRun {
  rankings: Record<string, RankedDoc[]>;
  /** The run_name column of the first line. */
  runName: string;
}

/**
 * Parses a TREC run. Each query's documents are sorted by score descending, ties by the
 * rank column, then by file order (the lab's rule: ties keep the original order; trec_eval
 * itself would break them by docid).
 */
export function parseTrecRun(text: string, file: string): ParsedRun {
  const rows = new Map<string, { docId: string; score: number; rank: number; order: number }[]>();
  const seen = new Map<string, number>();
  let runName = '';
  let order = 0;
  forEachLine(text, (line, no) => {
    const f = line.trim().split(/\s+/);
    if (f.length !== 6) throw new CorpusFormatError(`expected 6 columns "qid Q0 docid rank score run_name", found ${f.length}`, file, no);
    const [qid, , docId, rankS, scoreS, name] = f;
    if (!/^[+-]?\d+$/.test(rankS)) throw new CorpusFormatError(`rank "${rankS}" is not an integer`, file, no);
    const score = Number(scoreS);
    if (scoreS === '' || !Number.isFinite(score)) throw new CorpusFormatError(`score "${scoreS}" is not a number`, file, no);
    const key = `${qid}\u0000${docId}`;
    const prev = seen.get(key);
    if (prev !== undefined) throw new CorpusFormatError(`document "${docId}" appears twice for query "${qid}" (first on line ${prev})`, file, no);
    seen.set(key, no);
    if (!runName) runName = name;
    let list = rows.get(qid);
    if (!list) rows.set(qid, (list = []));
    list.push({ docId, score, rank: Number(rankS), order: order++ });
  });
  // Object.fromEntries defines own properties: a query id "__proto__" stays a key (an
  // assignment would set the object's prototype and lose the query).
  const rankings: Record<string, RankedDoc[]> = Object.fromEntries(
    [...rows].map(([qid, list]) => {
      list.sort((a, b) => b.score - a.score || a.rank - b.rank || a.order - b.order);
      return [qid, list.map(({ docId, score }) => ({ docId, score }))];
    }),
  );
  return { rankings, runName };
}

/** The doc-id lists metrics.evaluate takes. */
export function rankingsToRun(rankings: Rankings): Run {
  return Object.fromEntries(Object.entries(rankings).map(([q, docs]) => [q, docs.map((d) => d.docId)]));
}

/** Writes judgments in TREC qrels form: `qid 0 docid rel`. */
export function toTrecQrels(qrels: readonly Qrel[]): string {
  return qrels.map((q) => `${q.qid} 0 ${q.docId} ${q.rel}`).join('\n') + (qrels.length ? '\n' : '');
}

/** Parses TREC qrels (`qid iter docid rel`, whitespace-separated, integer grades). */
export function parseTrecQrels(text: string, file: string): Qrel[] {
  const out: Qrel[] = [];
  const seen = new Map<string, number>();
  forEachLine(text, (line, no) => {
    const f = line.trim().split(/\s+/);
    if (f.length !== 4) throw new CorpusFormatError(`expected 4 columns "qid 0 docid rel", found ${f.length}`, file, no);
    const [qid, , docId, relS] = f;
    if (!/^[+-]?\d+$/.test(relS)) throw new CorpusFormatError(`non-integer relevance "${relS}"`, file, no);
    const key = `${qid}\u0000${docId}`;
    const prev = seen.get(key);
    if (prev !== undefined) throw new CorpusFormatError(`duplicate judgment for query "${qid}", document "${docId}" (first on line ${prev})`, file, no);
    seen.set(key, no);
    out.push({ qid, docId, rel: Number(relS) });
  });
  return out;
}

/** Calls fn for each non-blank line with its 1-based number; CRLF and a BOM are fine. */
function forEachLine(text: string, fn: (line: string, no: number) => void): void {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let no = 0;
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('\n', start);
    if (end === -1) end = body.length;
    no++;
    const line = body.slice(start, end);
    if (line.trim() !== '') fn(line, no);
    start = end + 1;
  }
}
