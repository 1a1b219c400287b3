// Tab-separated formats without quoting: MS MARCO collection.tsv (pid, text) and
// queries.*.tsv (qid, text), BEIR/TREC qrels, and hard-negative files.

import type { Split } from '../types';
import { eachRow, parseGrade, SKIP, type ParseContext, type RowVerdict } from './rows';

// A header row some tools add to MS MARCO-style files (the originals have none).
const HEADER_IDS = new Set(['pid', 'qid', 'id', '_id', 'docid', 'doc_id', 'query_id', 'query-id']);
const isHeaderId = (id: string) => HEADER_IDS.has(id.trim().toLowerCase());

/** MS MARCO collection.tsv: `pid<TAB>text`. */
export function parseTsvCollection(ctx: ParseContext): Promise<void> {
  const { fr, builder } = ctx;
  let first = true;
  return eachRow(ctx, (text, line): RowVerdict => {
    const f = text.split('\t');
    const header = first && isHeaderId(f[0]);
    first = false;
    if (header) return SKIP;
    if (f.length !== 2) return `wrong column count: expected 2 tab-separated columns (pid, text), found ${f.length}`;
    return builder.addDoc(f[0].trim(), '', f[1].trim(), { file: fr.file, line });
  });
}

/** MS MARCO queries.*.tsv: `qid<TAB>text`; the split comes from the file name. */
export function parseTsvQueries(ctx: ParseContext): Promise<void> {
  const { fr, builder } = ctx;
  let first = true;
  return eachRow(ctx, (text, line): RowVerdict => {
    const f = text.split('\t');
    const header = first && isHeaderId(f[0]);
    first = false;
    if (header) return SKIP;
    if (f.length !== 2) return `wrong column count: expected 2 tab-separated columns (qid, text), found ${f.length}`;
    return builder.addQuery(f[0].trim(), f[1].trim(), { file: fr.file, line }, fr.split);
  });
}

const fieldsOf = (text: string) => (text.includes('\t') ? text.split('\t').map((s) => s.trim()) : text.trim().split(/\s+/));

/**
 * Qrels, either BEIR (`query-id<TAB>corpus-id<TAB>score`, with that header) or TREC
 * (`qid 0 docid rel`, tab- or space-separated, no header). The first data row fixes the
 * column count for the file. The split is the file's; failing that the query's split from
 * its queries file; failing that `test` (with one warning).
 */
export function parseQrels(ctx: ParseContext): Promise<void> {
  const { fr, builder, log } = ctx;
  let columns = 0;
  let warnedSplit = false;
  return eachRow(ctx, (text, line): RowVerdict => {
    const f = fieldsOf(text);
    if (columns === 0) {
      const header = f.length === 3 && (f[0].toLowerCase() === 'query-id' || typeof parseGrade(f[2]) === 'string');
      if (header) {
        columns = 3;
        return SKIP;
      }
      if (f.length !== 3 && f.length !== 4) {
        return `wrong column count: expected 3 (query-id, corpus-id, score) or 4 (TREC: qid 0 docid rel), found ${f.length}`;
      }
      columns = f.length;
      if (columns === 3) log.warn(fr.file, line, 'no header line "query-id corpus-id score"; reading the first line as data');
    }
    if (f.length !== columns) {
      const names = columns === 3 ? 'query-id, corpus-id, score' : 'qid, iteration, docid, rel';
      return `wrong column count: expected ${columns} (${names}), found ${f.length}`;
    }
    const [qid, docId, grade] = columns === 3 ? [f[0], f[1], f[2]] : [f[0], f[2], f[3]];
    const rel = parseGrade(grade);
    if (typeof rel === 'string') return rel;
    let split: Split | undefined = fr.split ?? builder.querySplit.get(qid);
    if (!split) {
      split = 'test';
      if (!warnedSplit) {
        warnedSplit = true;
        log.warn(fr.file, line, 'the file name names no split (train, dev or test): judgments are read as test');
      }
    }
    return builder.addQrel(split, qid, docId, rel, { file: fr.file, line }, (r) => log.warn(fr.file, line, r));
  });
}

/**
 * Hard negatives per query, best first, in either of two shapes (fixed by the first row):
 * training triples `qid<TAB>pos_id<TAB>neg_id` (the MS MARCO qidpidtriples layout; the
 * negative is kept) or lists `qid<TAB>neg_id,neg_id,...`.
 */
export function parseNegatives(ctx: ParseContext): Promise<void> {
  const { builder } = ctx;
  let columns = 0;
  return eachRow(ctx, (text): RowVerdict => {
    const f = text.split('\t').map((s) => s.trim());
    if (columns === 0) {
      if (f.length !== 2 && f.length !== 3) {
        return `wrong column count: expected 2 (qid, neg_id,neg_id,...) or 3 (qid, pos_id, neg_id), found ${f.length}`;
      }
      columns = f.length;
    }
    if (f.length !== columns) {
      return `wrong column count: expected ${columns} (${columns === 3 ? 'qid, pos_id, neg_id' : 'qid, neg_id,neg_id,...'}), found ${f.length}`;
    }
    if (columns === 3) {
      if (f[1] !== '' && !builder.hasDoc(f[1])) return `unknown document id "${f[1]}" (not in the corpus)`;
      return builder.addNegatives(f[0], [f[2]]);
    }
    return builder.addNegatives(f[0], f[1].split(',').map((s) => s.trim()));
  });
}
