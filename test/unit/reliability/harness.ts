// The hostile-input suite's harness: each case runs one input through the path a CLI user
// takes and checks the outcome; every case is recorded (category, the error class seen, pass
// or fail) and each test file writes its part to test-results/reliability/, merged into
// test-results/reliability.json (summary.ts prints it as a table).
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DistillLabError } from '../../../src/core/errors';

export interface CaseRecord {
  category: string;
  name: string;
  /** The named error class seen, 'ValidationReport' for rows rejected into the report, 'accepted' when the input was taken. */
  outcome: string;
  failed?: string;
}

export interface Outcome<T> {
  value?: T;
  error?: unknown;
}

const RESULTS = path.resolve('test-results');
const PARTS = path.join(RESULTS, 'reliability');

/** Runs fn, catching what it throws. */
export async function attempt<T>(fn: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return { value: await fn() };
  } catch (error) {
    return { error };
  }
}

/** Asserts a named error (the project's classes, never a raw TypeError/RangeError) of this class whose message matches. */
export function expectNamed(o: Outcome<unknown>, cls: string, message: RegExp): DistillLabError {
  if (o.error === undefined) throw new Error(`expected ${cls}, but the input was accepted`);
  const e = o.error as Error;
  if (!(e instanceof DistillLabError)) throw new Error(`expected ${cls}, got a raw ${e?.name ?? typeof e}: ${e?.message ?? String(e)}\n${e?.stack ?? ''}`);
  expect(e.name).toBe(cls);
  expect(e.message).toMatch(message);
  return e;
}

/** A suite of cases of one file: `hostile(category, name, run, check)` declares one test. */
export function caseSuite(part: string) {
  const records: CaseRecord[] = [];
  afterAll(() => writePart(part, records));
  return function hostile<T>(category: string, name: string, run: () => T | Promise<T>, check: (o: Outcome<T>) => string | void | Promise<string | void>) {
    it(`${category}: ${name}`, async () => {
      const rec: CaseRecord = { category, name, outcome: 'accepted' };
      records.push(rec);
      const o = await attempt(run);
      if (o.error !== undefined) rec.outcome = (o.error as Error)?.name ?? 'thrown';
      try {
        if (o.error !== undefined && !(o.error instanceof DistillLabError)) {
          const e = o.error as Error;
          throw new Error(`raw ${e?.name}: ${e?.message}\n${e?.stack ?? ''}`);
        }
        const named = await check(o);
        if (typeof named === 'string') rec.outcome = named;
      } catch (e) {
        rec.failed = (e as Error).message.split('\n')[0];
        throw e;
      }
    });
  };
}

/** A fresh temporary folder, removed after the file's tests. */
export function tempRoot(prefix: string): () => string {
  const root = mkdtempSync(path.join(tmpdir(), `distill-${prefix}-`));
  let n = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return () => {
    const d = path.join(root, `c${++n}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
}

/** Writes files (text or bytes) under dir, making sub-folders. */
export function writeTree(dir: string, files: Record<string, string | Uint8Array>): string {
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return dir;
}

export interface ReliabilitySummary {
  generated: string;
  cases: number;
  failed: number;
  byCategory: Record<string, { cases: number; failed: number }>;
  errorsByClass: Record<string, number>;
  failures: { category: string; name: string; reason: string }[];
  parts: string[];
}

/** Merges every part in test-results/reliability/ into test-results/reliability.json. */
export function aggregate(): ReliabilitySummary {
  const all: CaseRecord[] = [];
  const parts: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(PARTS).filter((f) => f.endsWith('.json')).sort();
  } catch {
    // no parts yet
  }
  for (const f of names) {
    try {
      all.push(...(JSON.parse(readFileSync(path.join(PARTS, f), 'utf8')) as CaseRecord[]));
      parts.push(f.replace(/\.json$/, ''));
    } catch {
      // a part being written: the next aggregate reads it
    }
  }
  const byCategory: ReliabilitySummary['byCategory'] = {};
  const errorsByClass: Record<string, number> = {};
  for (const r of all) {
    const c = (byCategory[r.category] ??= { cases: 0, failed: 0 });
    c.cases++;
    if (r.failed) c.failed++;
    errorsByClass[r.outcome] = (errorsByClass[r.outcome] ?? 0) + 1;
  }
  const failures = all.filter((r) => r.failed).map((r) => ({ category: r.category, name: r.name, reason: r.failed! }));
  const summary: ReliabilitySummary = {
    generated: new Date().toISOString(), cases: all.length, failed: failures.length, byCategory, errorsByClass, failures, parts,
  };
  const tmp = path.join(RESULTS, `reliability.json.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(summary, null, 2) + '\n');
  renameSync(tmp, path.join(RESULTS, 'reliability.json'));
  return summary;
}

function writePart(part: string, records: CaseRecord[]): void {
  mkdirSync(PARTS, { recursive: true });
  const tmp = path.join(PARTS, `${part}.json.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(records, null, 1) + '\n');
  renameSync(tmp, path.join(PARTS, `${part}.json`));
  aggregate();
}
