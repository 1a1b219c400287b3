// Simple CSV/TSV tables with a header row: documents, queries, judgments, or
// (query, passage) pairs in one file. Quoting follows RFC 4180 through papaparse's
// Parser, fed decoded text in batches so a quoted field may span lines and chunks.

import Papa from 'papaparse';
import { CorpusFormatError } from '../../errors';
import type { Split } from '../types';
import type { Line } from './lines';
import type { ParseContext } from './rows';
import { parseGrade } from './rows';

export type CsvRole = 'docs' | 'queries' | 'qrels' | 'pairs';

/**
 * Which header column holds which field. Roles use:
 * docs: id?, text, title?; queries: queryId (or id), query (or text), split?;
 * qrels: queryId, docId, rel?, split?; pairs: query, text, title?, queryId?, docId?, rel?, split?.
 * A missing rel means 1. Missing ids are made up (d1, d2, ... / q1, q2, ...).
 */
export interface CsvMapping {
  role: CsvRole;
  columns: Partial<Record<CsvField, string>>;
  /** Field separator; by default from the extension (.tsv tab, .csv comma) or sniffed. */
  delimiter?: string;
}
export type CsvField = 'id' | 'title' | 'text' | 'query' | 'queryId' | 'docId' | 'rel' | 'split';

export interface CsvRecord {
  /** Line on which the record starts (1-based). */
  line: number;
  fields: string[];
  /** Set when the record is malformed (quotes) or spans undecodable bytes. */
  error?: string;
}

const BATCH_CHARS = 1 << 16;
/** A quoted field still open after this many characters is taken for a stray quote. */
const MAX_PENDING_CHARS = 16 * 1024 * 1024;

export function delimiterForName(name: string): string | undefined {
  const n = name.toLowerCase();
  if (n.endsWith('.tsv') || n.endsWith('.tab')) return '\t';
  if (n.endsWith('.csv')) return ',';
  return undefined;
}

function sniffDelimiter(firstLine: string): string {
  if (firstLine.includes('\t')) return '\t';
  if (firstLine.includes(';') && !firstLine.includes(',')) return ';';
  return ',';
}

interface PapaRow {
  fields: string[];
  cursor: number;
  errors: string[];
}

/**
 * Turns decoded lines (all of them, blank ones included, as readLines with keepBlank gives)
 * into CSV records with the line each starts on. Blank records are dropped.
 */
export async function* readCsvRecords(
  lines: AsyncIterable<Line>,
  opts: { file: string; delimiter?: string },
): AsyncGenerator<CsvRecord> {
  let delimiter = opts.delimiter;
  let pending = ''; // text after the last complete record; always ends with '\n' or is ''
  let pendingLine = 1; // line number of pending's first character
  let bad: { line: number; reason: string }[] = []; // undecodable lines not yet consumed
  let batch: string[] = [];
  let batchChars = 0;

  function* flush(final: boolean): Generator<CsvRecord> {
    // Every line is followed by '\n', so a complete record always ends with one.
    const input = pending + batch.join('\n') + (batch.length ? '\n' : '');
    batch = [];
    batchChars = 0;
    const rows: PapaRow[] = [];
    const parser = new Papa.Parser({
      delimiter,
      newline: '\n',
      quoteChar: '"',
      // The raw Parser hands each step one row as data = [fields] (ParserHandle unwraps it;
      // we drive the Parser directly to feed it our own chunks).
      step: (r: Papa.ParseStepResult<string[][]>) => {
        rows.push({ fields: r.data[0] ?? [''], cursor: r.meta.cursor, errors: r.errors.map((e) => e.message) });
      },
    });
    // ignoreLastRow: keep a record that may continue in the next batch for later.
    parser.parse(input, 0, !final);
    let prev = 0;
    let line = pendingLine;
    for (const r of rows) {
      const start = line;
      for (let i = input.indexOf('\n', prev); i !== -1 && i < r.cursor; i = input.indexOf('\n', i + 1)) line++;
      prev = r.cursor;
      const fields = r.fields;
      if (fields.length === 1 && fields[0].trim() === '' && r.errors.length === 0) continue;
      const end = Math.max(start, line - 1);
      const badHere = bad.find((b) => b.line >= start && b.line <= end);
      let error: string | undefined;
      if (badHere) error = `${badHere.reason} (line ${badHere.line})`;
      else if (r.errors.length > 0) {
        error = r.errors.some((m) => /unterminated/i.test(m))
          ? `unterminated quoted field (a " opened on line ${start} never closes)`
          : `malformed quotes: ${r.errors[0]}`;
      }
      yield error ? { line: start, fields, error } : { line: start, fields };
    }
    pending = final ? '' : input.slice(prev);
    pendingLine = line;
    bad = bad.filter((b) => b.line >= line);
    if (pending.length > MAX_PENDING_CHARS) {
      throw new CorpusFormatError(
        `a quoted field opened here is still open after ${MAX_PENDING_CHARS} characters (stray " ?)`,
        opts.file,
        pendingLine,
      );
    }
  }

  for await (const l of lines) {
    if (delimiter === undefined) delimiter = sniffDelimiter(l.text);
    if (l.undecodable) bad.push({ line: l.line, reason: l.undecodable });
    batch.push(l.text);
    batchChars += l.text.length + 1;
    if (batchChars >= BATCH_CHARS) yield* flush(false);
  }
  yield* flush(true);
}

// Header names each field is recognised by, compared lowercased without punctuation.
const ALIASES: Record<CsvField, string[]> = {
  id: ['id', 'docid', 'documentid', 'pid', 'passageid', 'corpusid', 'did'],
  docId: ['docid', 'documentid', 'pid', 'passageid', 'corpusid', 'did', 'positiveid', 'posid'],
  queryId: ['qid', 'queryid', 'questionid', 'claimid'],
  query: ['query', 'question', 'querytext', 'questiontext', 'claim', 'q'],
  text: ['text', 'passage', 'passagetext', 'document', 'doc', 'body', 'content', 'contents', 'context', 'abstract', 'answer', 'positive'],
  title: ['title', 'doctitle', 'documenttitle', 'passagetitle', 'heading'],
  rel: ['score', 'rel', 'relevance', 'label', 'grade', 'judgment', 'judgement'],
  split: ['split', 'set', 'subset', 'fold', 'partition'],
};
const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function findColumn(header: string[], field: CsvField, exclude: (string | undefined)[] = []): string | undefined {
  const names = ALIASES[field];
  for (const alias of names) {
    const h = header.find((c) => norm(c) === alias && !exclude.includes(c));
    if (h !== undefined) return h;
  }
  return undefined;
}

/**
 * Guesses a table's role and columns from its header, or returns undefined when it
 * cannot (the UI then asks the user for a mapping).
 */
export function inferCsvMapping(header: string[]): CsvMapping | undefined {
  const queryId = findColumn(header, 'queryId');
  const query = findColumn(header, 'query');
  const split = findColumn(header, 'split');
  const rel = findColumn(header, 'rel');
  const text = findColumn(header, 'text', [query]);
  const title = findColumn(header, 'title');
  const pick = (c: Partial<Record<CsvField, string>>) =>
    Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) as Partial<Record<CsvField, string>>;
  if (query && text) {
    const docId = findColumn(header, 'docId', [queryId]);
    return { role: 'pairs', columns: pick({ query, text, title, queryId, docId, rel, split }) };
  }
  if (queryId && (query || text)) return { role: 'queries', columns: pick({ queryId, query: query ?? text, split }) };
  const docId = findColumn(header, 'docId', [queryId]);
  if (queryId && docId) return { role: 'qrels', columns: pick({ queryId, docId, rel, split }) };
  if (text) return { role: 'docs', columns: pick({ id: findColumn(header, 'id'), text, title }) };
  if (query) return { role: 'queries', columns: pick({ query, split }) };
  return undefined;
}

/** The columns a role cannot do without. */
const REQUIRED: Record<CsvRole, CsvField[][]> = {
  docs: [['text']],
  queries: [['query', 'text']],
  qrels: [['queryId'], ['docId']],
  pairs: [['query'], ['text']],
};

/** Throws CorpusFormatError when the mapping names columns the header lacks. */
export function checkCsvMapping(mapping: CsvMapping, header: string[], file: string): void {
  for (const [field, col] of Object.entries(mapping.columns)) {
    if (col !== undefined && !header.includes(col)) {
      throw new CorpusFormatError(`column "${col}" (for ${field}) is not in the header [${header.join(', ')}]`, file, 1);
    }
  }
  for (const alternatives of REQUIRED[mapping.role]) {
    if (!alternatives.some((f) => mapping.columns[f] !== undefined)) {
      throw new CorpusFormatError(
        `a ${mapping.role} table needs a ${alternatives.join(' or ')} column; header is [${header.join(', ')}]`,
        file,
        1,
      );
    }
  }
}

export function splitFromValue(v: string): Split | undefined {
  const s = v.trim().toLowerCase();
  if (s === 'train' || s === 'training') return 'train';
  if (s === 'dev' || s === 'val' || s === 'valid' || s === 'validation') return 'dev';
  if (s === 'test' || s === 'eval') return 'test';
  return undefined;
}

/** A stable 80/10/10 train/dev/test assignment from the query id (FNV-1a hash). */
export function hashSplit(qid: string): Split {
  let h = 0x811c9dc5;
  for (let i = 0; i < qid.length; i++) h = Math.imul(h ^ qid.charCodeAt(i), 0x01000193);
  const r = (h >>> 0) % 10;
  return r < 8 ? 'train' : r === 8 ? 'dev' : 'test';
}

/**
 * Reads the records of one table (header first) into the builder under `mapping`.
 * `fileSplit` is the split the file name gives, if any.
 */
export async function parseCsvTable(
  ctx: Omit<ParseContext, 'lines'>,
  records: AsyncIterable<CsvRecord>,
  mapping: CsvMapping,
): Promise<void> {
  const { fr, log, builder } = ctx;
  const file = fr.file;
  let header: string[] | undefined;
  let col: Partial<Record<CsvField, number>> = {};
  let n = 0;
  let warnedSplit = false;
  // Pairs without id columns: the same text is the same query or document
  const docByText = new Map<string, string>();
  const queryByText = new Map<string, string>();

  const get = (f: string[], field: CsvField) => (col[field] === undefined ? undefined : f[col[field]!].trim());

  const splitFor = (f: string[], qid: string, line: number): Split | string => {
    const v = get(f, 'split');
    if (v !== undefined && v !== '') return splitFromValue(v) ?? `unknown split "${v}" (expected train, dev or test)`;
    const s = fr.split ?? builder.querySplit.get(qid);
    if (s) return s;
    if (!warnedSplit) {
      warnedSplit = true;
      log.warn(file, line, 'no split column or split in the file name: queries go to train/dev/test 80/10/10 by a hash of their id');
    }
    return hashSplit(qid);
  };

  const row = (f: string[], line: number): string | null => {
    const at = { file, line };
    switch (mapping.role) {
      case 'docs':
        return builder.addDoc(get(f, 'id') ?? `d${n}`, get(f, 'title') ?? '', get(f, 'text') ?? '', at);
      case 'queries': {
        const v = get(f, 'split');
        const split = v ? splitFromValue(v) : fr.split;
        if (v && !split) return `unknown split "${v}" (expected train, dev or test)`;
        return builder.addQuery(get(f, 'queryId') ?? get(f, 'id') ?? `q${n}`, get(f, 'query') ?? get(f, 'text') ?? '', at, split);
      }
      case 'qrels': {
        const qid = get(f, 'queryId') ?? '';
        const rel = col.rel === undefined ? 1 : parseGrade(get(f, 'rel')!);
        if (typeof rel === 'string') return rel;
        const split = splitFor(f, qid, line);
        if (split !== 'train' && split !== 'dev' && split !== 'test') return split;
        return builder.addQrel(split, qid, get(f, 'docId') ?? '', rel, at, (r) => log.warn(file, line, r));
      }
      case 'pairs': {
        const qText = get(f, 'query') ?? '';
        const dText = get(f, 'text') ?? '';
        const title = get(f, 'title') ?? '';
        if (qText === '') return 'empty query text';
        if (dText === '' && title === '') return 'empty passage text';
        const rel = col.rel === undefined ? 1 : parseGrade(get(f, 'rel')!);
        if (typeof rel === 'string') return rel;
        // Reuse a query / document seen before (same id, or same text when ids are absent).
        let qid = get(f, 'queryId') ?? queryByText.get(qText);
        if (qid === undefined) qid = `q${queryByText.size + 1}`;
        if (!builder.hasQuery(qid)) {
          const split = get(f, 'split') ? splitFromValue(get(f, 'split')!) : fr.split;
          const r = builder.addQuery(qid, qText, at, split);
          if (r) return r;
        }
        queryByText.set(qText, qid);
        let docId = get(f, 'docId') ?? docByText.get(`${title}\u0000${dText}`);
        if (docId === undefined) docId = `d${docByText.size + 1}`;
        if (!builder.hasDoc(docId)) {
          const r = builder.addDoc(docId, title, dText, at);
          if (r) return r;
        }
        docByText.set(`${title}\u0000${dText}`, docId);
        const split = splitFor(f, qid, line);
        if (split !== 'train' && split !== 'dev' && split !== 'test') return split;
        return builder.addQrel(split, qid, docId, rel, at, (r) => log.warn(file, line, r));
      }
    }
  };

  for await (const r of records) {
    if (!header) {
      header = r.fields.map((h) => h.trim());
      if (r.error) throw new CorpusFormatError(`cannot read the header: ${r.error}`, file, r.line);
      checkCsvMapping(mapping, header, file);
      col = Object.fromEntries(
        Object.entries(mapping.columns)
          .filter(([, name]) => name !== undefined)
          .map(([field, name]) => [field, header!.indexOf(name!)]),
      );
      continue;
    }
    fr.rowsRead++;
    n++;
    let reason: string | null;
    if (r.error) reason = r.error;
    else if (r.fields.length !== header.length) {
      reason = `wrong column count: expected ${header.length} (as the header), found ${r.fields.length}`;
    } else reason = row(r.fields, r.line);
    if (reason === null) fr.accepted++;
    else log.reject(fr, r.line, reason);
  }
  if (!header) log.warn(file, 1, 'empty table: no header row');
}
