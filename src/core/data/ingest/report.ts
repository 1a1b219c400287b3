// The validation report of one ingestion: per-file row counts, corpus totals, and every
// rejected row with file, line and reason (a capped list plus the total count), with
// text and CSV renderings for download.

import Papa from 'papaparse';
import { SPLITS, type Split, type ValidationIssue } from '../types';

export type Layout = 'beir' | 'msmarco' | 'csv';
/** What a file holds. `table` is a CSV/TSV whose role is decided from its header. */
export type FileRole = 'docs' | 'queries' | 'qrels' | 'negatives' | 'pairs' | 'table';

export interface FileReport {
  file: string;
  role: FileRole;
  /** The split the file name (or layout) gave, where it matters (qrels, queries). */
  split?: Split;
  bytes: number;
  /** Data rows seen (header and blank lines excluded). */
  rowsRead: number;
  accepted: number;
  rejected: number;
}

export interface ReportTotals {
  docs: number;
  queries: number;
  /** Distinct queries with at least one judgment, per split. */
  judgedQueries: Record<Split, number>;
  /** Judgment rows per split. */
  judgments: Record<Split, number>;
  /** Queries that came with hard negatives. */
  queriesWithNegatives: number;
}

export interface ValidationReport {
  corpusName: string;
  layout: Layout;
  files: FileReport[];
  totals: ReportTotals;
  /** The first `maxIssues` issues, in reading order. */
  issues: ValidationIssue[];
  /** All issues, including those beyond the cap. */
  issueCount: number;
  errorCount: number;
  warningCount: number;
  maxIssues: number;
}

export const DEFAULT_MAX_ISSUES = 1000;

/** Collects issues, keeping the first `max` and counting all. */
export class IssueLog {
  readonly issues: ValidationIssue[] = [];
  count = 0;
  errors = 0;
  warnings = 0;
  constructor(readonly max = DEFAULT_MAX_ISSUES) {}

  add(issue: ValidationIssue): void {
    this.count++;
    if (issue.severity === 'error') this.errors++;
    else this.warnings++;
    if (this.issues.length < this.max) this.issues.push(issue);
  }

  warn(file: string, line: number, reason: string): void {
    this.add({ file, line, reason, severity: 'warning' });
  }

  /** Records a rejected row against its file's counts. */
  reject(fr: FileReport, line: number, reason: string): void {
    fr.rejected++;
    this.add({ file: fr.file, line, reason, severity: 'error' });
  }
}

export function newFileReport(file: string, role: FileRole, bytes: number, split?: Split): FileReport {
  return { file, role, split, bytes, rowsRead: 0, accepted: 0, rejected: 0 };
}

const splitList = (r: Record<Split, number>) => SPLITS.map((s) => `${s} ${r[s]}`).join(', ');

/** A plain-text report for people: summary, per-file table, then the issues. */
export function reportToText(report: ValidationReport): string {
  const t = report.totals;
  const out: string[] = [];
  out.push(`Corpus "${report.corpusName}" (${report.layout} layout)`);
  out.push(`Documents: ${t.docs}`);
  out.push(`Queries: ${t.queries}`);
  out.push(`Judged queries: ${splitList(t.judgedQueries)}`);
  out.push(`Judgments: ${splitList(t.judgments)}`);
  if (t.queriesWithNegatives > 0) out.push(`Queries with hard negatives: ${t.queriesWithNegatives}`);
  out.push('');
  out.push('Files:');
  const w = Math.max(4, ...report.files.map((f) => f.file.length));
  for (const f of report.files) {
    const role = f.split ? `${f.role} (${f.split})` : f.role;
    out.push(
      `  ${f.file.padEnd(w)}  ${role.padEnd(17)} rows ${f.rowsRead}, accepted ${f.accepted}, rejected ${f.rejected}`,
    );
  }
  out.push('');
  out.push(`Issues: ${report.issueCount} (${report.errorCount} errors, ${report.warningCount} warnings)`);
  for (const i of report.issues) {
    // Line 0 means the issue concerns the whole file.
    out.push(`  ${i.severity.padEnd(7)} ${i.line > 0 ? `${i.file}:${i.line}` : i.file}: ${i.reason}`);
  }
  if (report.issueCount > report.issues.length) {
    out.push(`  ... and ${report.issueCount - report.issues.length} more (only the first ${report.maxIssues} are kept)`);
  }
  return out.join('\n') + '\n';
}

/**
 * The issues as CSV (file, line, severity, reason; RFC 4180, CRLF), one row each, for a
 * spreadsheet. File names and reasons quote the uploaded data, so a cell starting with =, +,
 * -, @, tab or CR gets a leading apostrophe (papaparse's escapeFormulae) and is shown as text.
 */
export function reportToCsv(report: ValidationReport): string {
  const body = Papa.unparse(
    { fields: ['file', 'line', 'severity', 'reason'], data: report.issues.map((i) => [i.file, i.line, i.severity, i.reason]) },
    { newline: '\r\n', escapeFormulae: true },
  );
  return body + '\r\n';
}
