// The command line on bad folders: `npm run lab -- --corpus beir:DIR --recipes bm25 --out OUT`
// run as a child process. Rejected rows are printed as FILE:LINE: reason (the first 20, then
// "... and N more"), the whole report lands in OUT/corpus-report.json, and a folder with nothing
// usable ends with exit status 1 and one line naming the error, without a stack trace.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect } from 'vitest';
import { caseSuite, tempRoot, writeTree } from './harness';

const hostile = caseSuite('cli');
const newDir = tempRoot('cli');
const TSX = path.resolve('node_modules/tsx/dist/cli.mjs');

function lab(corpusDir: string, out: string) {
  const r = spawnSync(process.execPath, [TSX, 'src/cli/lab.ts', '--corpus', `beir:${corpusDir}`, '--recipes', 'bm25', '--backend', 'cpu', '--out', out], {
    encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1' },
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const docs = jsonl(Array.from({ length: 5 }, (_, i) => ({ _id: `d${i}`, text: `word${i} shared text` })));
const queries = jsonl([{ _id: 'q1', text: 'word1' }, { _id: 'q2', text: 'word2' }]);
const qrels = 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n';
const stack = /^\s+at /m;

describe('npm run lab -- --corpus beir:DIR on bad folders', () => {
  hostile('cli', '25 bad rows among good ones: 20 printed, then "... and N more", report beside the results', () => {
    const dir = writeTree(newDir(), { 'corpus.jsonl': docs + '{"_id": "x", "text": \n'.repeat(25), 'queries.jsonl': queries, 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\t1\n', 'qrels/train.tsv': 'query-id\tcorpus-id\tscore\nq2\td2\t1\n' });
    const out = path.join(newDir(), 'out');
    return { ...lab(dir, out), out, base: path.basename(dir) };
  }, (o) => {
    const { status, stderr, out, base } = o.value!;
    expect(status, stderr).toBe(0);
    const rows = stderr.split('\n').filter((l) => new RegExp(`^${base}/corpus\\.jsonl:\\d+: invalid JSON`).test(l));
    expect(rows).toHaveLength(20);
    expect(rows[0]).toMatch(new RegExp(`^${base}/corpus\\.jsonl:6: invalid JSON \\(truncated line\\?\\)`));
    const report = JSON.parse(readFileSync(path.join(out, 'corpus-report.json'), 'utf8'));
    expect(report.errorCount).toBe(25);
    expect(report.issues.filter((i: { severity: string }) => i.severity === 'error')).toHaveLength(25);
    expect(stderr).toMatch(new RegExp(`^\\.\\.\\. and ${report.issueCount - 20} more \\(all in .*corpus-report\\.json\\)$`, 'm'));
    expect(existsSync(path.join(out, 'results.json'))).toBe(true);
    return 'ValidationReport';
  });
  hostile('cli', 'nothing usable: exit 1, one named line, no stack, report still written', () => {
    const dir = writeTree(newDir(), { 'corpus.jsonl': '[1]\n"text"\n{"_id": 3\n', 'queries.jsonl': queries, 'qrels/test.tsv': qrels });
    const out = path.join(newDir(), 'out');
    return { ...lab(dir, out), out, base: path.basename(dir) };
  }, (o) => {
    const { status, stderr, out, base } = o.value!;
    expect(status).toBe(1);
    expect(stderr).not.toMatch(stack);
    const errLines = stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errLines).toEqual([expect.stringMatching(new RegExp(`^error: CorpusFormatError: ${base}/corpus\\.jsonl:1: no valid documents: every row was rejected`))]);
    expect(stderr).toContain(`${base}/corpus.jsonl:2: not a JSON object`);
    const report = JSON.parse(readFileSync(path.join(out, 'corpus-report.json'), 'utf8'));
    expect(report.error.name).toBe('CorpusFormatError');
    expect(report.issueCount).toBe(3);
    return 'CorpusFormatError';
  });
  hostile('cli', 'a gzip corpus.jsonl: exit 1, one line naming gzip', () => {
    const dir = writeTree(newDir(), { 'corpus.jsonl': Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2]), 'queries.jsonl': queries });
    return { ...lab(dir, path.join(newDir(), 'out')), out: '', base: path.basename(dir) };
  }, (o) => {
    const { status, stderr, base } = o.value!;
    expect(status).toBe(1);
    expect(stderr).not.toMatch(stack);
    expect(stderr.trim().split('\n').at(-1)).toMatch(new RegExp(`^error: CorpusFormatError: ${base}/corpus\\.jsonl:1: a gzip file \\(magic bytes 1f 8b at byte 1\\)`));
    return 'CorpusFormatError';
  });
});
