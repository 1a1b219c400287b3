import { describe, expect, it } from 'vitest';
import { CorpusFormatError } from '../../../src/core/errors';
import { evaluate } from '../../../src/core/eval/metrics';
import { parseTrecQrels, parseTrecRun, rankingsToRun, toTrecQrels, toTrecRun } from '../../../src/core/eval/trec';

describe('TREC run files', () => {
  const rankings = {
    q1: [
      { docId: 'd3', score: 12.5 },
      { docId: 'd1', score: 7 },
      { docId: 'd2', score: 7 },
    ],
    q2: [{ docId: 'd9', score: 0.1 + 0.2 }],
  };

  it('writes "qid Q0 docid rank score run" lines and reads them back, ties in the written order', () => {
    const text = toTrecRun(rankings, 'my run');
    expect(text).toBe('q1 Q0 d3 1 12.5 my_run\nq1 Q0 d1 2 7 my_run\nq1 Q0 d2 3 7 my_run\nq2 Q0 d9 1 0.3 my_run\n');
    const back = parseTrecRun(text, 'run.txt');
    expect(back.runName).toBe('my_run');
    expect(back.rankings.q1.map((d) => d.docId)).toEqual(['d3', 'd1', 'd2']);
    expect(rankingsToRun(back.rankings)).toEqual({ q1: ['d3', 'd1', 'd2'], q2: ['d9'] });
  });

  it('sorts by score, then rank, when a file lists them out of order; CRLF, BOM, blank lines are fine', () => {
    const text = '\uFEFFq1 Q0 a 3 1.0 r\r\n\r\nq1 Q0 b 1 2.0 r\r\nq1 Q0 c 2 1.0 r\r\n';
    expect(parseTrecRun(text, 'r').rankings.q1.map((d) => d.docId)).toEqual(['b', 'c', 'a']);
  });

  it('reports the first malformed line with file and line number', () => {
    const cases: [string, number, RegExp][] = [
      ['q1 Q0 d1 1 2.0 r\nq1 Q0 d2 2 r\n', 2, /expected 6 columns/],
      ['q1 Q0 d1 1 2.0 r\n\nq1 Q0 d2 x 1.0 r\n', 3, /rank "x" is not an integer/],
      ['q1 Q0 d1 1 high r\n', 1, /score "high" is not a number/],
      ['q1 Q0 d1 1 2 r\nq1 Q0 d1 2 1 r\n', 2, /document "d1" appears twice for query "q1" \(first on line 1\)/],
    ];
    for (const [text, line, re] of cases) {
      let err: unknown;
      try {
        parseTrecRun(text, 'run.trec');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CorpusFormatError);
      expect(err).toMatchObject({ file: 'run.trec', line });
      expect((err as Error).message).toMatch(re);
    }
  });
});

describe('TREC qrels', () => {
  it('round-trips judgments and evaluates a parsed run against them', () => {
    const qrels = [
      { qid: 'q1', docId: 'd1', rel: 2 },
      { qid: 'q1', docId: 'd2', rel: 0 },
      { qid: 'q2', docId: 'd9', rel: 1 },
    ];
    const text = toTrecQrels(qrels);
    expect(text).toBe('q1 0 d1 2\nq1 0 d2 0\nq2 0 d9 1\n');
    expect(parseTrecQrels(text, 'qrels.txt')).toEqual(qrels);
    const run = rankingsToRun(parseTrecRun('q1 Q0 d2 1 3 r\nq1 Q0 d1 2 2 r\nq2 Q0 d9 1 1 r\n', 'run').rankings);
    expect(evaluate(run, qrels, ['mrr@10']).mean['mrr@10']).toBe(0.75);
  });

  it('rejects malformed lines with file and line', () => {
    expect(() => parseTrecQrels('q1 0 d1 1\nq1 0 d2 1.5\n', 'q.txt')).toThrow(/^q\.txt:2: non-integer relevance "1\.5"$/);
    expect(() => parseTrecQrels('q1 d1 1\n', 'q.txt')).toThrow(/^q\.txt:1: expected 4 columns/);
    expect(() => parseTrecQrels('q1 0 d1 1\nq1 0 d1 0\n', 'q.txt')).toThrow(/q\.txt:2: duplicate judgment/);
  });
});
