// The row loop every line-oriented parser shares: count the row, reject undecodable
// lines, otherwise let the format's handler accept it (null) or name why not (a string).

import type { CorpusBuilder } from './builder';
import type { Line } from './lines';
import type { FileReport, IssueLog } from './report';

export interface ParseContext {
  lines: AsyncIterable<Line>;
  fr: FileReport;
  log: IssueLog;
  builder: CorpusBuilder;
}

/** A handler's verdict: null = accepted, string = rejected with that reason, SKIP = not a data row. */
export const SKIP = Symbol('skip');
export type RowVerdict = string | null | typeof SKIP;

export async function eachRow(ctx: ParseContext, handle: (text: string, line: number) => RowVerdict): Promise<void> {
  const { fr, log } = ctx;
  for await (const l of ctx.lines) {
    const verdict = l.undecodable ?? handle(l.text, l.line);
    if (verdict === SKIP) continue;
    fr.rowsRead++;
    if (verdict === null) fr.accepted++;
    else log.reject(fr, l.line, verdict);
  }
}

/** Parses a relevance grade; trec_eval reads grades as integers. */
export function parseGrade(s: string): number | string {
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) return `non-integer score "${t}"`;
  const n = Number(t);
  if (Math.abs(n) > 0x7fffffff) return `score "${t}" is out of range (a relevance grade is a small integer)`;
  return n;
}
