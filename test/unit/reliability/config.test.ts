// Hostile run configs and share links (the JSON file and ?config= validators the page and the
// Export view use), TREC files (the parser `--merge` and the page's import use), and the CSV
// exports (formula injection): every bad input is a named ConfigError / CorpusFormatError
// naming the field or file:line; exported text cells cannot run as spreadsheet formulas.
import { describe, expect } from 'vitest';
import { reportToCsv, type ValidationReport } from '../../../src/core/data/ingest';
import { parseTrecQrels, parseTrecRun } from '../../../src/core/eval/trec';
import { decodeConfigParam, defaultRunConfig, encodeConfigParam, runConfigFromJson } from '../../../src/ui/config/runConfig';
import { csvField, metricsToCsv, perQueryToCsv } from '../../../src/ui/export/formats';
import { caseSuite, expectNamed, type Outcome } from './harness';

const hostile = caseSuite('config');
const named = (cls: string, re: RegExp) => (o: Outcome<unknown>) => {
  expectNamed(o, cls, re);
  return cls;
};
const base = () => JSON.parse(JSON.stringify(defaultRunConfig('lead'))) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const edited = (f: (c: Record<string, any>) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
  const c = base();
  f(c);
  return JSON.stringify(c);
};
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

describe('run configs', () => {
  const cases: [string, () => string, RegExp][] = [
    ['not JSON', () => '{"version": 1,', /run config: not valid JSON/],
    ['a JSON array', () => '[1]', /run config: \(root\) must be an object/],
    ['a JSON string', () => '"lead"', /run config: \(root\) must be an object/],
    ['an unknown top-level key', () => edited((c) => (c.evil = 1)), /run config: evil is not a run config field/],
    ['a "__proto__" key', () => edited(() => {}).replace('{', '{"__proto__": {"polluted": 1},'), /run config: __proto__ is not a run config field/],
    ['version 2', () => edited((c) => (c.version = 2)), /run config: version must be 1, got 2/],
    ['seed as a string', () => edited((c) => (c.seed = '1')), /run config: seed must be an integer in \[0, 2\^32\)/],
    ['seed -1', () => edited((c) => (c.seed = -1)), /seed must be an integer/],
    ['seed 2^32', () => edited((c) => (c.seed = 2 ** 32)), /seed must be an integer/],
    ['a name of a million characters', () => edited((c) => (c.name = 'x'.repeat(1e6))), /run config: name must be at most 200 characters, got 1000000/],
    ['a corpus id of 10,000 characters', () => edited((c) => (c.corpus = 'c'.repeat(1e4))), /run config: corpus must be at most 200 characters/],
    ['a model name of 10,000 characters', () => edited((c) => (c.student.name = 's'.repeat(1e4))), /run config: student\.name must be at most 200 characters/],
    ['teachers not a list', () => edited((c) => (c.teachers = {})), /run config: teachers must be a list/],
    ['10^9 training steps', () => edited((c) => (c.train.steps = 1e9)), /train\.steps must be at most 10000000, got 1000000000/],
    ['fractional steps', () => edited((c) => (c.train.steps = 1.5)), /train\.steps must be an integer >= 1/],
    ['a negative learning rate', () => edited((c) => (c.train.lr = -1)), /train\.lr must be > 0/],
    ['a learning rate as text "NaN"', () => edited((c) => (c.train.lr = 'NaN')), /train\.lr must be > 0/],
    ['warm-up fraction 1', () => edited((c) => (c.train.warmupFraction = 1)), /train\.warmupFraction must be in \[0, 1\)/],
    ['a batch of 10^9', () => edited((c) => (c.train.batchSize = 1e9)), /train\.batchSize must be at most 65536/],
    ['10^6 hard negatives', () => edited((c) => (c.train.negatives = 1e6)), /train\.negatives must be at most 1024/],
    ['an unknown training key', () => edited((c) => (c.train.turbo = true)), /train\.turbo is not a training setting/],
    ['a "constructor" training key', () => edited((c) => (c.train.constructor = 1)), /train\.constructor is not a training setting/],
    ['a "toString" recipe key', () => edited((c) => (c.recipe.toString = 1)), /recipe: toString is not a field of a lead recipe/],
    ['a "__proto__" recipe key', () => edited(() => {}).replace('"recipe": {', '"recipe": {"__proto__": {"k": 99},').replace('"recipe":{', '"recipe":{"__proto__":{"k":99},'), /__proto__ is not a field of a lead recipe/],
    ['an unknown recipe kind', () => edited((c) => (c.recipe = { kind: 'magic' })), /recipe: kind must be one of/],
    ['LEAD k deeper than the models', () => edited((c) => (c.recipe.k = 99)), /recipe\.k \(99\) must not exceed the depth/],
    ['PROD with a 10^9-step stage', () => edited((c) => (c.recipe = { kind: 'prod', stages: [{ teacher: 0, steps: 1e9, lr: 1e-3 }] })), /stages\[0\]\.steps must be an integer in \[1, 10000000\]/],
    ['PROD stage naming a missing teacher', () => edited((c) => (c.recipe = { kind: 'prod', stages: [{ teacher: 5, steps: 10, lr: 1e-3 }] })), /stages\[0\]\.teacher must index one of the 1 teachers/],
    ['a student with 10^9 hidden units', () => edited((c) => (c.student.shape.hidden = 1e9)), /hidden must be <= 16384, got 1000000000 \(at student\.shape\.hidden\)/],
    ['a student with 0 layers', () => edited((c) => (c.student.shape.layers = 0)), /layers must be >= 1, got 0 \(at student\.shape\.layers\)/],
    ['a tokenizer with -5 buckets', () => edited((c) => (c.student.tokenizer.buckets = -5)), /run config: student\.tokenizer\.buckets must be an integer >= 1/],
    ['a tokenizer of an unknown kind', () => edited((c) => (c.student.tokenizer = { kind: 'bpe' })), /student\.tokenizer\.kind must be/],
  ];
  for (const [name, text, re] of cases) hostile('runconfig', name, () => runConfigFromJson(text()), named('ConfigError', re));
  hostile('runconfig', 'no pollution after the "__proto__" configs', () => ({}) as Record<string, unknown>, (o) => {
    expect((o.value as Record<string, unknown>).polluted).toBeUndefined();
    expect((o.value as Record<string, unknown>).k).toBeUndefined();
    return 'accepted';
  });
});

describe('share links (?config=)', () => {
  hostile('sharelink', 'control: a link round-trips', () => decodeConfigParam(encodeConfigParam(defaultRunConfig('kd'))), (o) => {
    expect(o.value!.recipe.kind).toBe('kd');
    return 'accepted';
  });
  hostile('sharelink', 'not base64url', () => decodeConfigParam('abc$%^'), named('ConfigError', /run config in the URL: not base64url text/));
  hostile('sharelink', 'base64url of bytes that are not UTF-8', () => decodeConfigParam(Buffer.from([0xff, 0xfe, 0x00]).toString('base64url')), named('ConfigError', /run config in the URL: not UTF-8 text/));
  hostile('sharelink', 'base64url of text that is not JSON', () => decodeConfigParam(b64url('hello')), named('ConfigError', /run config: not valid JSON/));
  hostile('sharelink', 'a 10 MB link', () => decodeConfigParam('A'.repeat(10 << 20)), named('ConfigError', /run config in the URL: 10485760 characters, over the 100000/));
  hostile('sharelink', 'a link asking for 10^9 steps', () => decodeConfigParam(b64url(edited((c) => (c.train.steps = 1e9)))), named('ConfigError', /train\.steps must be at most 10000000/));
  hostile('sharelink', 'a link with a huge model', () => decodeConfigParam(b64url(edited((c) => (c.teachers[0].shape.ffn = 1e8)))), named('ConfigError', /ffn must be <= 65536/));
  hostile('sharelink', 'a link with wrong types', () => decodeConfigParam(b64url(edited((c) => (c.train = 'fast')))), named('ConfigError', /train must be an object/));
});

describe('TREC files', () => {
  const run = (t: string) => parseTrecRun(t, 'run.trec');
  const qrels = (t: string) => parseTrecQrels(t, 'qrels.txt');
  hostile('trec', 'run line with 5 columns', () => run('q1 Q0 d1 1 0.5 r\nq1 Q0 d2 2 0.4\n'), named('CorpusFormatError', /^run\.trec:2: expected 6 columns/));
  hostile('trec', 'run line with 7 columns', () => run('q1 Q0 d1 1 0.5 r extra\n'), named('CorpusFormatError', /^run\.trec:1: expected 6 columns .* found 7/));
  hostile('trec', 'a rank that is not an integer', () => run('q1 Q0 d1 first 0.5 r\n'), named('CorpusFormatError', /^run\.trec:1: rank "first" is not an integer/));
  hostile('trec', 'a score "NaN"', () => run('q1 Q0 d1 1 NaN r\n'), named('CorpusFormatError', /^run\.trec:1: score "NaN" is not a number/));
  hostile('trec', 'a score "Infinity"', () => run('q1 Q0 d1 1 0.1 r\nq1 Q0 d2 2 Infinity r\n'), named('CorpusFormatError', /^run\.trec:2: score "Infinity" is not a number/));
  hostile('trec', 'a score in hex', () => run('q1 Q0 d1 1 0x10 r\n'), (o) => {
    // Number('0x10') is 16: finite, accepted as a score like trec_eval's atof would not; documented here.
    if (o.error) return expectNamed(o, 'CorpusFormatError', /run\.trec:1/).name;
    expect(o.value!.rankings.q1[0].docId).toBe('d1');
    return 'accepted';
  });
  hostile('trec', 'a document twice for one query', () => run('q1 Q0 d1 1 0.5 r\nq1 Q0 d1 2 0.4 r\n'), named('CorpusFormatError', /^run\.trec:2: document "d1" appears twice for query "q1" \(first on line 1\)/));
  hostile('trec', 'binary garbage with NUL bytes', () => run('q1 Q0 d1 1 0.5 r\n\u0000\u0001\u0002\n'), named('CorpusFormatError', /^run\.trec:2: expected 6 columns/));
  hostile('trec', 'CRLF and a BOM are fine', () => run('\ufeffq1 Q0 d1 1 0.5 r\r\nq1 Q0 d2 2 0.4 r\r\n'), (o) => {
    expect(o.value!.rankings.q1.map((d) => d.docId)).toEqual(['d1', 'd2']);
    return 'accepted';
  });
  hostile('trec', 'qrels line with 3 columns', () => qrels('q1 0 d1 1\nq1 d2 1\n'), named('CorpusFormatError', /^qrels\.txt:2: expected 4 columns/));
  hostile('trec', 'qrels with fractional relevance', () => qrels('q1 0 d1 0.5\n'), named('CorpusFormatError', /^qrels\.txt:1: non-integer relevance "0\.5"/));
  hostile('trec', 'qrels with a duplicate judgment', () => qrels('q1 0 d1 1\nq1 0 d1 2\n'), named('CorpusFormatError', /^qrels\.txt:2: duplicate judgment/));
  hostile('trec', 'a "__proto__" query id', () => run('__proto__ Q0 d1 1 0.5 r\n'), (o) => {
    expect(({} as Record<string, unknown>).d1).toBeUndefined();
    expect(Object.keys(o.value!.rankings)).toEqual(['__proto__']);
    return 'accepted';
  });
});

describe('CSV exports (formula injection)', () => {
  for (const [cell, want] of [
    ['=1+2', "'=1+2"], ['+cmd', "'+cmd"], ['-2+3', "'-2+3"], ['@SUM(A1)', "'@SUM(A1)"], ['\t=1', "'\t=1"], ['\r=1', "\"'\r=1\""],
    ['=HYPERLINK("http://x","y")', "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""], ['-1', '-1'], ['+0.5', '+0.5'], ['plain', 'plain'],
  ] as const) {
    hostile('csvexport', `cell ${JSON.stringify(cell)}`, () => csvField(cell), (o) => {
      expect(o.value).toBe(want);
      return 'accepted';
    });
  }
  hostile('csvexport', 'metrics and per-query CSV: a run named "=cmd" and a query id "@x"', () => {
    const rows = [{ run: '=cmd|calc', group: '+g', seed: 1, split: 'test', metrics: { 'ndcg@10': 0.5 }, perQuery: { 'ndcg@10': { '@x': 1 } } }];
    return [metricsToCsv(rows), perQueryToCsv(rows)];
  }, (o) => {
    const [m, p] = o.value!;
    expect(m.split('\r\n')[1].startsWith("'=cmd|calc,'+g,1,test")).toBe(true);
    expect(p).toContain(",'@x,1");
    return 'accepted';
  });
  hostile('csvexport', 'the validation report CSV: a file "=evil.csv" and a reason quoting "-2+3"', () => {
    const report = { issues: [{ file: '=evil.csv', line: 2, severity: 'error', reason: '-2+3' }, { file: 'ok.csv', line: 3, severity: 'error', reason: '@SUM(1)' }] } as unknown as ValidationReport;
    return reportToCsv(report);
  }, (o) => {
    const lines = o.value!.split('\r\n');
    expect(lines[1]).toBe(`"'=evil.csv",2,error,"'-2+3"`);
    expect(lines[2]).toBe(`ok.csv,3,error,"'@SUM(1)"`);
    return 'accepted';
  });
});
