// Ingestion entry point: files in any supported layout -> a Corpus and its validation
// report. Documents are read first, then queries, then judgments and negatives, so every
// judgment can be checked against the ids actually accepted.

import { CorpusFormatError } from '../../errors';
import type { Corpus } from '../types';
import { SPLITS } from '../types';
import { parseBeirCorpus, parseBeirQueries } from './beir';
import { CorpusBuilder } from './builder';
import {
  delimiterForName,
  inferCsvMapping,
  parseCsvTable,
  readCsvRecords,
  type CsvMapping,
} from './csv';
import { baseName, detectLayout, type PlannedFile } from './layout';
import { readLines, throwIfCancelled, type ByteSource, type CancelSignal } from './lines';
import { IssueLog, newFileReport, type FileReport, type FileRole, type Layout, type ValidationReport } from './report';
import type { ParseContext } from './rows';
import { parseNegatives, parseQrels, parseTsvCollection, parseTsvQueries } from './tsv';

export interface IngestFile {
  /** File name or relative path (a folder drop gives "scifact/qrels/test.tsv"). */
  name: string;
  /** Size in bytes, for progress; optional. */
  size?: number;
  /** A fresh byte stream each call (a CSV's header is peeked before it is read). */
  stream: () => ByteSource;
}

export interface IngestProgress {
  file: string;
  role: FileRole;
  /** Bytes read from this file so far, and its size when known. */
  fileBytes: number;
  fileSize?: number;
  /** Bytes read from all files so far, and their total size (known sizes only). */
  bytesRead: number;
  totalBytes: number;
  /** Rows accepted and rejected so far, all files together (as of the previous chunk). */
  rowsAccepted: number;
  rowsRejected: number;
}

export interface IngestOptions {
  onProgress?: (p: IngestProgress) => void;
  /** Cancels between chunks with a CancelledError (an AbortSignal fits). */
  signal?: CancelSignal;
  /** For CSV/TSV tables: one mapping for every table, or one per file from its header. */
  csvMapping?: CsvMapping | ((file: string, header: string[]) => CsvMapping | undefined);
  /** How many issues the report keeps (all are counted). */
  maxIssues?: number;
  /** The corpus name; by default the folder the files share, or the documents file's name. */
  name?: string;
  /**
   * Where issues are collected (default: a new IssueLog of maxIssues). A caller's own log
   * keeps the rejected rows when ingestion ends in a CorpusFormatError (no valid documents).
   */
  issues?: IssueLog;
}

export interface IngestResult {
  corpus: Corpus;
  report: ValidationReport;
}

/** Reads a table's header row (the first record), stopping early. */
export async function readCsvHeader(file: IngestFile, signal?: CancelSignal): Promise<string[]> {
  const lines = readLines(file.stream(), { file: file.name, keepBlank: true, signal });
  for await (const r of readCsvRecords(lines, { file: file.name, delimiter: delimiterForName(file.name) })) {
    if (r.error) throw new CorpusFormatError(`cannot read the header: ${r.error}`, file.name, r.line);
    return r.fields.map((h) => h.trim());
  }
  return [];
}

function defaultName(files: IngestFile[], docsFile: string | undefined): string {
  const dirs = files.map((f) => f.name.split(/[\\/]/).slice(0, -1));
  const common: string[] = [];
  for (let i = 0; dirs.every((d) => d.length > i && d[i] === dirs[0][i]); i++) common.push(dirs[0][i]);
  if (common.length > 0) return common[common.length - 1];
  return docsFile ? baseName(docsFile).replace(/\.[^.]*$/, '') : 'corpus';
}

const ORDER: Record<FileRole, number> = { docs: 0, queries: 1, pairs: 2, table: 2, qrels: 3, negatives: 4 };

export async function ingestFiles(files: IngestFile[], opts: IngestOptions = {}): Promise<IngestResult> {
  const { signal, onProgress } = opts;
  const plan = detectLayout(files.map((f) => f.name));
  const byName = new Map(files.map((f) => [f.name, f]));
  const log = opts.issues ?? new IssueLog(opts.maxIssues);
  const builder = new CorpusBuilder();
  for (const ig of plan.ignored) log.warn(ig.name, 0, `ignored: ${ig.reason}`);

  // CSV tables: decide each one's role from its header before ordering the reads.
  const mappings = new Map<string, CsvMapping>();
  const planned: PlannedFile[] = [];
  for (const p of plan.files) {
    if (p.role !== 'table') {
      planned.push(p);
      continue;
    }
    const f = byName.get(p.name)!;
    const header = await readCsvHeader(f, signal);
    const m = typeof opts.csvMapping === 'function' ? opts.csvMapping(f.name, header) : (opts.csvMapping ?? inferCsvMapping(header));
    if (!m) {
      throw new CorpusFormatError(
        `cannot tell what this table holds from its header [${header.join(', ')}]: give a column mapping ` +
          '(documents: id, title, text; queries: qid, query; judgments: qid, docid, score; or pairs: query, passage)',
        f.name,
        1,
      );
    }
    mappings.set(f.name, m);
    planned.push({ ...p, role: m.role });
  }
  planned.sort((a, b) => ORDER[a.role] - ORDER[b.role]);

  const totalBytes = files.reduce((s, f) => s + (f.size ?? 0), 0);
  let doneBytes = 0;
  const reports: FileReport[] = [];
  let docsChecked = false;
  const docFiles = planned.filter((p) => p.role === 'docs' || p.role === 'pairs').map((p) => p.name);

  for (const p of planned) {
    throwIfCancelled(signal);
    // No documents at all is fatal, and is known once every document source has been read.
    if (!docsChecked && ORDER[p.role] > ORDER.pairs) {
      docsChecked = true;
      checkHasDocs(builder, docFiles, log);
    }
    const f = byName.get(p.name)!;
    const fr = newFileReport(f.name, p.role, f.size ?? 0, p.split);
    reports.push(fr);
    const onBytes = (n: number) => {
      if (!onProgress) return;
      let rowsAccepted = 0;
      let rowsRejected = 0;
      for (const r of reports) {
        rowsAccepted += r.accepted;
        rowsRejected += r.rejected;
      }
      onProgress({ file: f.name, role: p.role, fileBytes: n, fileSize: f.size, bytesRead: doneBytes + n, totalBytes, rowsAccepted, rowsRejected });
    };
    const isCsv = plan.layout === 'csv';
    const lines = readLines(f.stream(), { file: f.name, keepBlank: isCsv, signal, onBytes });
    const ctx: ParseContext = { lines, fr, log, builder };
    if (isCsv) {
      const m = mappings.get(f.name)!;
      const records = readCsvRecords(lines, { file: f.name, delimiter: m.delimiter ?? delimiterForName(f.name) });
      await parseCsvTable(ctx, records, m);
    } else if (p.role === 'docs') {
      await (plan.layout === 'beir' ? parseBeirCorpus(ctx) : parseTsvCollection(ctx));
    } else if (p.role === 'queries') {
      await (plan.layout === 'beir' ? parseBeirQueries(ctx) : parseTsvQueries(ctx));
    } else if (p.role === 'qrels') {
      await parseQrels(ctx);
    } else if (p.role === 'negatives') {
      await parseNegatives(ctx);
    }
    doneBytes += f.size ?? 0;
  }
  if (!docsChecked) checkHasDocs(builder, docFiles, log);

  const anyQueries = planned.some((p) => p.role === 'queries' || p.role === 'pairs');
  if (!anyQueries) log.warn(docFiles[0], 0, 'no queries file: only browsing and training without evaluation are possible');
  else if (builder.queries.length === 0) log.warn(docFiles[0], 0, 'no query was accepted');
  if (SPLITS.every((s) => builder.qrels[s].length === 0)) {
    log.warn(docFiles[0], 0, 'no relevance judgments were accepted: metrics cannot be computed');
  }

  const corpus = builder.build(opts.name ?? defaultName(files, docFiles[0]));
  const report: ValidationReport = {
    corpusName: corpus.name,
    layout: plan.layout as Layout,
    files: reports,
    totals: {
      docs: corpus.docs.length,
      queries: corpus.queries.length,
      judgedQueries: { train: builder.judgedQueryCount('train'), dev: builder.judgedQueryCount('dev'), test: builder.judgedQueryCount('test') },
      judgments: { train: corpus.qrels.train.length, dev: corpus.qrels.dev.length, test: corpus.qrels.test.length },
      queriesWithNegatives: Object.keys(corpus.negatives ?? {}).length,
    },
    issues: log.issues,
    issueCount: log.count,
    errorCount: log.errors,
    warningCount: log.warnings,
    maxIssues: log.max,
  };
  return { corpus, report };
}

function checkHasDocs(builder: CorpusBuilder, docFiles: string[], log: IssueLog): void {
  if (builder.docCount > 0) return;
  const file = docFiles[0];
  if (file === undefined) {
    throw new CorpusFormatError('no documents file: expected corpus.jsonl, collection.tsv or a table with a text column');
  }
  const first = log.issues.find((i) => docFiles.includes(i.file) && i.severity === 'error');
  throw new CorpusFormatError(
    first ? `no valid documents: every row was rejected (first: line ${first.line}: ${first.reason})` : 'no documents: the file is empty or holds a header only',
    first?.file ?? file,
    first?.line ?? 1,
  );
}

export { detectLayout, splitFromName, type LayoutPlan, type PlannedFile } from './layout';
export { IssueLog, reportToCsv, reportToText, type FileReport, type FileRole, type Layout, type ValidationReport } from './report';
export { inferCsvMapping, type CsvMapping, type CsvRole, type CsvField } from './csv';
export { readLines, type ByteSource, type CancelSignal, type Line } from './lines';
