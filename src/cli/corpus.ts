// Loads a corpus for the command line: a built-in world, or a BEIR / MS MARCO / CSV folder
// read through the same streaming ingestion the browser uses (Node file streams instead of
// File.stream()). Rejected rows are printed as FILE:LINE: reason (the first 20), and with an
// output folder the whole validation report is written there as corpus-report.json, also
// when nothing usable was left and loading fails.
import { createReadStream, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Corpus, ValidationIssue } from '../core/data/types';
import { ingestFiles, IssueLog, type IngestFile, type ValidationReport } from '../core/data/ingest/index';
import { ConfigError, CorpusFormatError } from '../core/errors';

/** Every file under dir (recursively), as ingestion inputs named by their relative path. */
export function folderFiles(dir: string): IngestFile[] {
  const out: IngestFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (/\.(jsonl|tsv|csv|txt)$/i.test(name)) {
        out.push({
          name: path.join(path.basename(dir), path.relative(dir, full)),
          size: st.size,
          stream: () => createReadStream(full) as unknown as AsyncIterable<Uint8Array>,
        });
      }
    }
  };
  walk(dir);
  return out;
}

export interface LoadedCorpus {
  corpus: Corpus;
  report: ValidationReport | null;
  spec: string;
}

export interface LoadCorpusOptions {
  /** Where to write corpus-report.json (the --out folder), if anywhere. */
  outDir?: string;
  /** Where the rejected rows are printed (default: the progress callback). */
  print?: (msg: string) => void;
}

/** How many issues are printed; the rest are counted ("... and N more"). */
export const PRINTED_ISSUES = 20;
export const REPORT_FILE = 'corpus-report.json';

/** `FILE:LINE: reason` (a warning says so; line 0 is the whole file). */
export function formatIssue(i: ValidationIssue): string {
  return `${i.line > 0 ? `${i.file}:${i.line}` : i.file}: ${i.severity === 'warning' ? 'warning: ' : ''}${i.reason}`;
}

/** The first PRINTED_ISSUES issues, one a line, then "... and N more" (counted over all of them). */
export function issueLines(issues: readonly ValidationIssue[], total: number, reportPath?: string): string[] {
  const out = issues.slice(0, PRINTED_ISSUES).map(formatIssue);
  if (total > out.length) out.push(`... and ${total - out.length} more${reportPath ? ` (all in ${reportPath})` : ''}`);
  return out;
}

function writeReport(outDir: string, report: unknown): string {
  const dir = path.resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, REPORT_FILE);
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}

/** `world:NAME[:SEED]`, `beir:DIR`, `msmarco:DIR` or `csv:DIR`. */
export async function loadCorpus(spec: string, onProgress?: (msg: string) => void, opts: LoadCorpusOptions = {}): Promise<LoadedCorpus> {
  const m = /^(world|beir|msmarco|csv):(.+)$/.exec(spec);
  if (!m) throw new ConfigError(`--corpus must be world:NAME, beir:DIR, msmarco:DIR or csv:DIR, got "${spec}"`);
  const [, kind, rest] = m;
  if (kind === 'world') {
    const { generateWorld } = await import('../core/data/world');
    const [preset, seed] = rest.split(':');
    const corpus = generateWorld({ preset: preset as never, seed: seed ? Number(seed) : undefined });
    return { corpus, report: null, spec };
  }
  const dir = path.resolve(rest);
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new ConfigError(`--corpus ${kind}:DIR: ${dir} is not a folder`);
  const files = folderFiles(dir);
  if (files.length === 0) throw new ConfigError(`no .jsonl/.tsv/.csv files under ${dir}`);
  const print = opts.print ?? onProgress ?? (() => {});
  const issues = new IssueLog();
  let last = 0;
  let result: { corpus: Corpus; report: ValidationReport };
  try {
    result = await ingestFiles(files, {
      name: path.basename(dir),
      issues,
      onProgress: (p) => {
        const pct = p.totalBytes ? Math.floor((100 * p.bytesRead) / p.totalBytes) : 0;
        if (pct >= last + 10) {
          last = pct;
          onProgress?.(`reading ${p.file}: ${pct}%`);
        }
      },
    });
  } catch (e) {
    // Nothing usable: print and keep what was rejected before the error, then fail with it.
    if (e instanceof CorpusFormatError && issues.count > 0) {
      const reportPath = opts.outDir
        ? writeReport(opts.outDir, {
          corpus: path.basename(dir), error: { name: e.name, message: e.message, file: e.file, line: e.line },
          issues: issues.issues, issueCount: issues.count, errorCount: issues.errors, warningCount: issues.warnings, maxIssues: issues.max,
        })
        : undefined;
      // Printed even with --quiet: they are why the run stops.
      const say = opts.print ?? ((msg: string) => void process.stderr.write(`${msg}\n`));
      for (const l of issueLines(issues.issues, issues.count, reportPath)) say(l);
    }
    throw e;
  }
  const { corpus, report } = result;
  const reportPath = opts.outDir ? writeReport(opts.outDir, report) : undefined;
  if (report.issueCount > 0) {
    print(`${report.errorCount} rejected rows, ${report.warningCount} warnings:`);
    for (const l of issueLines(report.issues, report.issueCount, reportPath)) print(l);
  }
  if (reportPath) onProgress?.(`wrote the validation report to ${reportPath}`);
  return { corpus, report, spec };
}
