// Hostile corpora through the loader `npm run lab -- --corpus beir:DIR|msmarco:DIR|csv:DIR`
// uses (src/cli/corpus.ts's loadCorpus over real files on disk): each bad input is either a
// named CorpusFormatError (file:line: reason) or a row rejected into the validation report
// with its file, line and reason; never a raw exception, never a polluted prototype.
import { describe, expect } from 'vitest';
import { loadCorpus, type LoadedCorpus } from '../../../src/cli/corpus';
import type { ValidationIssue } from '../../../src/core/data/types';
import { bytesOf } from '../data/helpers';
import { caseSuite, expectNamed, tempRoot, writeTree, type Outcome } from './harness';

const hostile = caseSuite('corpus');
const newDir = tempRoot('corpus');

const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
const DOCS = jsonl([{ _id: 'd1', title: 'T1', text: 'alpha beta' }, { _id: 'd2', text: 'gamma delta' }, { _id: 'd3', text: 'epsilon' }]);
const QUERIES = jsonl([{ _id: 'q1', text: 'alpha' }, { _id: 'q2', text: 'gamma' }]);
const QRELS = 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td2\t1\n';

type Files = Record<string, string | Uint8Array>;
/** A BEIR folder: the defaults above, replaced or removed (null) per file. */
function beir(over: Record<string, string | Uint8Array | null> = {}): Promise<LoadedCorpus> {
  const files: Files = {};
  const all = { 'corpus.jsonl': DOCS, 'queries.jsonl': QUERIES, 'qrels/test.tsv': QRELS, ...over };
  for (const [k, v] of Object.entries(all)) if (v !== null) files[k] = v;
  return loadCorpus(`beir:${writeTree(newDir(), files)}`, undefined, { print: () => {} });
}
const COLLECTION = '1\talpha beta\n2\tgamma delta\n3\tepsilon\n';
function msmarco(over: Record<string, string | Uint8Array | null> = {}): Promise<LoadedCorpus> {
  const files: Files = {};
  const all = { 'collection.tsv': COLLECTION, 'queries.dev.tsv': '10\talpha\n20\tgamma\n', 'qrels.dev.tsv': '10 0 1 1\n20 0 2 1\n', ...over };
  for (const [k, v] of Object.entries(all)) if (v !== null) files[k] = v;
  return loadCorpus(`msmarco:${writeTree(newDir(), files)}`, undefined, { print: () => {} });
}
function csv(files: Files): Promise<LoadedCorpus> {
  return loadCorpus(`csv:${writeTree(newDir(), files)}`, undefined, { print: () => {} });
}

/** A named fatal error whose message names the file (its base name), the line and the reason. */
const fatal = (file: string, line: number, reason: RegExp) => (o: Outcome<LoadedCorpus>) => {
  const e = expectNamed(o, 'CorpusFormatError', reason) as Error & { file?: string; line?: number };
  expect(e.file?.endsWith(file)).toBe(true);
  expect(e.line).toBe(line);
  expect(e.message).toContain(`${file}:${line}: `);
  return 'CorpusFormatError';
};
/** The load succeeds and the report holds an error for file:line matching reason. */
const rejected = (file: string, line: number, reason: RegExp) => (o: Outcome<LoadedCorpus>) => {
  expect(o.error).toBeUndefined();
  const issues = o.value!.report!.issues;
  const hit = issues.find((i: ValidationIssue) => i.file.endsWith(file) && i.line === line && i.severity === 'error' && reason.test(i.reason));
  expect(hit, `no error at ${file}:${line} matching ${reason}; issues: ${JSON.stringify(issues)}`).toBeDefined();
  return 'ValidationReport';
};
const warned = (file: string, reason: RegExp) => (o: Outcome<LoadedCorpus>) => {
  expect(o.error).toBeUndefined();
  const hit = o.value!.report!.issues.find((i) => i.file.endsWith(file) && i.severity === 'warning' && reason.test(i.reason));
  expect(hit, JSON.stringify(o.value!.report!.issues)).toBeDefined();
  return 'ValidationReport';
};
const noPollution = () => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
};

const utf16le = (s: string, bom: boolean) => {
  const out = new Uint8Array((bom ? 2 : 0) + 2 * s.length);
  if (bom) out.set([0xff, 0xfe]);
  for (let i = 0; i < s.length; i++) out[(bom ? 2 : 0) + 2 * i] = s.charCodeAt(i);
  return out;
};
const utf16be = (s: string, bom: boolean) => {
  const out = new Uint8Array((bom ? 2 : 0) + 2 * s.length);
  if (bom) out.set([0xfe, 0xff]);
  for (let i = 0; i < s.length; i++) out[(bom ? 2 : 0) + 2 * i + 1] = s.charCodeAt(i);
  return out;
};
const GZIP = Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x4c, 0x4a, 0x06, 0x00]);
const ZIP = bytesOf([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00], 'corpus.jsonl');

describe('BEIR jsonl', () => {
  hostile('beir', 'empty corpus.jsonl', () => beir({ 'corpus.jsonl': '' }), fatal('corpus.jsonl', 1, /no documents: the file is empty/));
  hostile('beir', 'corpus.jsonl of blank lines only', () => beir({ 'corpus.jsonl': '\n\n  \n' }), fatal('corpus.jsonl', 1, /no documents/));
  hostile('beir', 'empty queries.jsonl', () => beir({ 'queries.jsonl': '' }), warned('corpus.jsonl', /no query was accepted/));
  hostile('beir', 'qrels with only the header', () => beir({ 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\n' }), warned('corpus.jsonl', /no relevance judgments were accepted/));
  hostile('beir', 'truncated last line', () => beir({ 'corpus.jsonl': DOCS + '{"_id": "d4", "text": "cut he' }), rejected('corpus.jsonl', 4, /invalid JSON \(truncated line\?\)/));
  hostile('beir', 'a 10 MB line of garbage', () => beir({ 'corpus.jsonl': DOCS + 'x'.repeat(10 << 20) + '\n' }), rejected('corpus.jsonl', 4, /invalid JSON/));
  hostile('beir', 'a 10 MB document is read whole', () => beir({ 'corpus.jsonl': DOCS + JSON.stringify({ _id: 'big', text: 'word '.repeat(2 << 20) }) + '\n' }), (o) => {
    expect(o.value!.corpus.docs.find((d) => d.id === 'big')!.text.length).toBe(5 * (2 << 20) - 1);
    return 'accepted';
  });
  hostile('beir', 'NUL byte in the first 8000 bytes', () => beir({ 'corpus.jsonl': bytesOf(DOCS, '{"_id": "d4", "text": "a', [0], 'b"}\n') }), fatal('corpus.jsonl', 4, /binary data: NUL byte at byte \d+/));
  hostile('beir', 'NUL byte after the sniffed window', () => beir({ 'corpus.jsonl': bytesOf(DOCS, jsonl([{ _id: 'pad', text: 'p'.repeat(9000) }]), '{"_id": "d5", "text": "a', [0], 'b"}\n') }),
    rejected('corpus.jsonl', 5, /NUL byte at column 25/));
  hostile('beir', 'UTF-16LE with a BOM', () => beir({ 'corpus.jsonl': utf16le(DOCS, true) }), fatal('corpus.jsonl', 1, /UTF-16LE \(byte order mark ff fe\) from byte 1/));
  hostile('beir', 'UTF-16BE with a BOM', () => beir({ 'corpus.jsonl': utf16be(DOCS, true) }), fatal('corpus.jsonl', 1, /UTF-16BE \(byte order mark fe ff\)/));
  hostile('beir', 'UTF-16LE without a BOM', () => beir({ 'corpus.jsonl': utf16le(DOCS, false) }), fatal('corpus.jsonl', 1, /UTF-16LE without a byte order mark/));
  hostile('beir', 'UTF-16BE without a BOM', () => beir({ 'queries.jsonl': utf16be(QUERIES, false) }), fatal('queries.jsonl', 1, /UTF-16BE without a byte order mark/));
  hostile('beir', 'Latin-1 bytes in a UTF-8 file', () => beir({ 'corpus.jsonl': bytesOf(DOCS, '{"_id": "d4", "text": "caf', [0xe9], '"}\n') }), rejected('corpus.jsonl', 4, /not valid UTF-8 at byte 27 of the line/));
  hostile('beir', 'a UTF-8 BOM and CRLF line ends', () => beir({ 'corpus.jsonl': '\ufeff' + DOCS.replace(/\n/g, '\r\n') }), (o) => {
    expect(o.value!.corpus.docs.map((d) => d.id)).toEqual(['d1', 'd2', 'd3']);
    expect(o.value!.corpus.docs.every((d) => !d.text.includes('\r'))).toBe(true);
    return 'accepted';
  });
  hostile('beir', 'lone CR line ends (classic Mac)', () => beir({ 'corpus.jsonl': DOCS.replace(/\n/g, '\r') }), fatal('corpus.jsonl', 1, /lone CR \(byte \d+; no LF/));
  hostile('beir', 'a raw CR inside a JSON string', () => beir({ 'corpus.jsonl': DOCS + '{"_id": "d4", "text": "a\rb"}\n' }), rejected('corpus.jsonl', 4, /invalid JSON/));
  for (const [label, row] of [['an array', '[1, 2]'], ['a string', '"d4"'], ['a number', '42'], ['null', 'null'], ['true', 'true']] as const) {
    hostile('beir', `valid JSON that is ${label}, not an object`, () => beir({ 'corpus.jsonl': DOCS + row + '\n' }), rejected('corpus.jsonl', 4, /not a JSON object/));
  }
  hostile('beir', 'deeply nested JSON (100,000 levels)', () => beir({ 'corpus.jsonl': DOCS + '['.repeat(100_000) + ']'.repeat(100_000) + '\n' }), rejected('corpus.jsonl', 4, /invalid JSON|not a JSON object/));
  hostile('beir', '"__proto__" key in a document', () => beir({ 'corpus.jsonl': DOCS + '{"__proto__": {"polluted": 1}, "_id": "d4", "text": "x"}\n' }), (o) => {
    noPollution();
    expect(o.value!.corpus.docs.map((d) => d.id)).toContain('d4');
    return 'accepted';
  });
  hostile('beir', '"constructor" and "__proto__" as ids, judged and with negatives', () => beir({
    'corpus.jsonl': DOCS + jsonl([{ _id: '__proto__', text: 'proto doc' }, { _id: 'constructor', text: 'ctor doc' }]),
    'queries.jsonl': QUERIES + jsonl([{ _id: '__proto__', text: 'proto' }, { _id: 'toString', text: 'ts' }]),
    'qrels/test.tsv': QRELS + '__proto__\tconstructor\t1\ntoString\t__proto__\t1\n',
    'hard_negatives.tsv': '__proto__\td1,d2\n',
  }), (o) => {
    noPollution();
    const c = o.value!.corpus;
    expect(c.qrels.test).toContainEqual({ qid: '__proto__', docId: 'constructor', rel: 1 });
    expect(Object.getPrototypeOf(c.negatives)).toBe(Object.prototype);
    expect(Object.keys(c.negatives!)).toEqual(['__proto__']);
    expect(c.negatives!['__proto__']).toEqual(['d1', 'd2']);
    return 'accepted';
  });
  hostile('beir', '"__proto__" in a query row', () => beir({ 'queries.jsonl': QUERIES + '{"_id": "q3", "text": "x", "__proto__": {"polluted": true}}\n' }), (o) => {
    noPollution();
    expect(o.value!.corpus.queries.map((q) => q.id)).toContain('q3');
    return 'accepted';
  });
  hostile('beir', 'duplicate document ids', () => beir({ 'corpus.jsonl': DOCS + jsonl([{ _id: 'd2', text: 'again' }]) }), rejected('corpus.jsonl', 4, /duplicate document id "d2" \(first at .*corpus\.jsonl:2; kept that one\)/));
  hostile('beir', 'duplicate query ids', () => beir({ 'queries.jsonl': QUERIES + jsonl([{ _id: 'q1', text: 'again' }]) }), rejected('queries.jsonl', 3, /duplicate query id "q1"/));
  hostile('beir', 'numeric and string ids that collide (1 vs "1")', () => beir({ 'corpus.jsonl': DOCS + jsonl([{ _id: 1, text: 'one' }, { _id: '1', text: 'one again' }]) }), rejected('corpus.jsonl', 5, /duplicate document id "1"/));
  hostile('beir', 'an id that is an object, a boolean or Infinity', () => beir({ 'corpus.jsonl': DOCS + '{"_id": {"a": 1}, "text": "x"}\n{"_id": true, "text": "x"}\n{"_id": 1e400, "text": "x"}\n' }), (o) => {
    for (const line of [4, 5, 6]) rejected('corpus.jsonl', line, /missing "_id"/)(o);
    return 'ValidationReport';
  });
  hostile('beir', 'text that is not a string', () => beir({ 'corpus.jsonl': DOCS + '{"_id": "d4", "text": ["a"]}\n' }), rejected('corpus.jsonl', 4, /"text" of document "d4" is not a string/));
  hostile('beir', 'qrels naming an unknown query', () => beir({ 'qrels/test.tsv': QRELS + 'q99\td1\t1\n' }), rejected('test.tsv', 4, /unknown query id "q99"/));
  hostile('beir', 'qrels naming an unknown document', () => beir({ 'qrels/test.tsv': QRELS + 'q1\td99\t1\n' }), rejected('test.tsv', 4, /unknown document id "d99"/));
  hostile('beir', 'negative relevance is read as a grade (TREC -1: judged non-relevant)', () => beir({ 'qrels/test.tsv': QRELS + 'q1\td3\t-1\n' }), (o) => {
    expect(o.value!.corpus.qrels.test).toContainEqual({ qid: 'q1', docId: 'd3', rel: -1 });
    return 'accepted';
  });
  hostile('beir', 'fractional relevance', () => beir({ 'qrels/test.tsv': QRELS + 'q1\td3\t0.5\n' }), rejected('test.tsv', 4, /non-integer score "0\.5"/));
  hostile('beir', 'textual relevance', () => beir({ 'qrels/test.tsv': QRELS + 'q1\td3\thigh\n' }), rejected('test.tsv', 4, /non-integer score "high"/));
  hostile('beir', 'relevance too large for a grade', () => beir({ 'qrels/test.tsv': QRELS + 'q1\td3\t99999999999999999999\n' }), rejected('test.tsv', 4, /out of range/));
  hostile('beir', 'a qrels header that lies about its columns', () => beir({ 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\t0\td1\t1\n' }), rejected('test.tsv', 2, /wrong column count: expected 3 \(query-id, corpus-id, score\), found 4/));
  hostile('beir', 'a gzip file named corpus.jsonl', () => beir({ 'corpus.jsonl': GZIP }), fatal('corpus.jsonl', 1, /a gzip file \(magic bytes 1f 8b at byte 1\).*gunzip/));
  hostile('beir', 'a zip archive named queries.jsonl', () => beir({ 'queries.jsonl': ZIP }), fatal('queries.jsonl', 1, /a zip archive \(magic bytes 50 4b 03 04/));
  hostile('beir', 'a gzip file named qrels/test.tsv', () => beir({ 'qrels/test.tsv': GZIP }), fatal('test.tsv', 1, /a gzip file/));
  hostile('beir', 'HTML and <script> in titles and text are kept as plain text', () => beir({ 'corpus.jsonl': DOCS + jsonl([{ _id: 'h', title: '<script>alert(1)</script>', text: '<img src=x onerror=alert(1)> &amp; <b>bold</b>' }]) }), (o) => {
    const d = o.value!.corpus.docs.find((x) => x.id === 'h')!;
    expect(d.title).toBe('<script>alert(1)</script>');
    expect(d.text).toBe('<img src=x onerror=alert(1)> &amp; <b>bold</b>');
    return 'accepted';
  });
  hostile('beir', 'every row rejected', () => beir({ 'corpus.jsonl': '{"_id": "d1"\n[1]\n' }), fatal('corpus.jsonl', 1, /no valid documents: every row was rejected \(first: line 1: invalid JSON/));
  hostile('beir', 'missing folder', () => loadCorpus(`beir:${newDir()}/nope`), (o) => (expectNamed(o, 'ConfigError', /is not a folder/), 'ConfigError'));
  hostile('beir', 'a folder without corpus files', () => loadCorpus(`beir:${writeTree(newDir(), { 'notes.md': 'x' })}`), (o) => (expectNamed(o, 'ConfigError', /no \.jsonl\/\.tsv\/\.csv files under/), 'ConfigError'));
});

describe('MS MARCO tsv', () => {
  hostile('msmarco', 'empty collection.tsv', () => msmarco({ 'collection.tsv': '' }), fatal('collection.tsv', 1, /no documents: the file is empty/));
  hostile('msmarco', 'collection.tsv with only a header', () => msmarco({ 'collection.tsv': 'pid\ttext\n' }), fatal('collection.tsv', 1, /header only/));
  hostile('msmarco', 'truncated last line (no tab)', () => msmarco({ 'collection.tsv': COLLECTION + '4' }), rejected('collection.tsv', 4, /wrong column count: expected 2 .*found 1/));
  hostile('msmarco', 'a row with three columns', () => msmarco({ 'collection.tsv': COLLECTION + '4\ttitle\ttext\n' }), rejected('collection.tsv', 4, /found 3/));
  hostile('msmarco', 'duplicate passage ids', () => msmarco({ 'collection.tsv': COLLECTION + '2\tagain\n' }), rejected('collection.tsv', 4, /duplicate document id "2"/));
  hostile('msmarco', '"01" and "1" are different ids (ids are text)', () => msmarco({ 'collection.tsv': COLLECTION + '01\tleading zero\n' }), (o) => {
    expect(o.value!.corpus.docs.map((d) => d.id)).toEqual(['1', '2', '3', '01']);
    return 'accepted';
  });
  hostile('msmarco', 'duplicate query ids', () => msmarco({ 'queries.dev.tsv': '10\talpha\n10\tbeta\n' }), rejected('queries.dev.tsv', 2, /duplicate query id "10"/));
  hostile('msmarco', 'TREC qrels with an unknown document', () => msmarco({ 'qrels.dev.tsv': '10 0 1 1\n10 0 999 1\n' }), rejected('qrels.dev.tsv', 2, /unknown document id "999"/));
  hostile('msmarco', 'TREC qrels with an unknown query', () => msmarco({ 'qrels.dev.tsv': '10 0 1 1\n77 0 1 1\n' }), rejected('qrels.dev.tsv', 2, /unknown query id "77"/));
  hostile('msmarco', 'TREC qrels with textual relevance', () => msmarco({ 'qrels.dev.tsv': '10 0 1 1\n20 0 2 yes\n' }), rejected('qrels.dev.tsv', 2, /non-integer score "yes"/));
  hostile('msmarco', 'TREC qrels with a 5th column', () => msmarco({ 'qrels.dev.tsv': '10 0 1 1\n20 0 2 1 extra\n' }), rejected('qrels.dev.tsv', 2, /wrong column count: expected 4/));
  hostile('msmarco', 'NUL byte in a passage', () => msmarco({ 'collection.tsv': bytesOf(COLLECTION, '4\tnul', [0], 'here\n') }), fatal('collection.tsv', 4, /NUL byte/));
  hostile('msmarco', 'Latin-1 byte in a passage', () => msmarco({ 'collection.tsv': bytesOf(COLLECTION, '4\tna', [0xef], 've\n') }), rejected('collection.tsv', 4, /not valid UTF-8 at byte 5 of the line/));
  hostile('msmarco', 'a gzip collection.tsv', () => msmarco({ 'collection.tsv': GZIP }), fatal('collection.tsv', 1, /gzip/));
  hostile('msmarco', 'UTF-16LE queries with a BOM', () => msmarco({ 'queries.dev.tsv': utf16le('10\talpha\n', true) }), fatal('queries.dev.tsv', 1, /UTF-16LE/));
  hostile('msmarco', 'CRLF line ends', () => msmarco({ 'collection.tsv': COLLECTION.replace(/\n/g, '\r\n') }), (o) => {
    expect(o.value!.corpus.docs.map((d) => d.text)).toEqual(['alpha beta', 'gamma delta', 'epsilon']);
    return 'accepted';
  });
  hostile('msmarco', 'hard negatives naming an unknown document', () => msmarco({ 'train_negatives.tsv': '10\t2,999\n' }), rejected('train_negatives.tsv', 1, /unknown document id "999"/));
  hostile('msmarco', '<script> in a passage is kept as text', () => msmarco({ 'collection.tsv': COLLECTION + '4\t<script>document.cookie</script>\n' }), (o) => {
    expect(o.value!.corpus.docs.at(-1)!.text).toBe('<script>document.cookie</script>');
    return 'accepted';
  });
});

describe('CSV/TSV tables', () => {
  const DOCS_CSV = 'id,title,text\nd1,T,alpha beta\nd2,,gamma\n';
  hostile('csv', 'an empty docs.csv', () => csv({ 'docs.csv': '' }), fatal('docs.csv', 1, /cannot tell what this table holds from its header \[\]/));
  hostile('csv', 'a header only', () => csv({ 'docs.csv': 'id,title,text\n' }), fatal('docs.csv', 1, /no documents/));
  hostile('csv', 'a header that lies (3 columns, rows of 2)', () => csv({ 'docs.csv': DOCS_CSV + 'd3,only two\n' }), rejected('docs.csv', 4, /wrong column count: expected 3 \(as the header\), found 2/));
  hostile('csv', 'rows with more columns than the header', () => csv({ 'docs.csv': DOCS_CSV + 'd3,T,text,extra\n' }), rejected('docs.csv', 4, /found 4/));
  hostile('csv', 'an unterminated quote', () => csv({ 'docs.csv': DOCS_CSV + 'd3,"open,text\n' }), rejected('docs.csv', 4, /unterminated quoted field \(a " opened on line 4 never closes\)/));
  hostile('csv', 'duplicate ids', () => csv({ 'docs.csv': DOCS_CSV + 'd1,T,again\n' }), rejected('docs.csv', 4, /duplicate document id "d1"/));
  hostile('csv', 'qrels table with textual and fractional scores', () => csv({ 'docs.csv': DOCS_CSV, 'queries.csv': 'qid,query,split\nq1,alpha,test\n', 'qrels.csv': 'qid,docid,score\nq1,d1,1\nq1,d2,0.5\nq1,d2,lots\n' }), (o) => {
    rejected('qrels.csv', 3, /non-integer score "0\.5"/)(o);
    rejected('qrels.csv', 4, /non-integer score "lots"/)(o);
    return 'ValidationReport';
  });
  hostile('csv', 'qrels table naming unknown ids', () => csv({ 'docs.csv': DOCS_CSV, 'queries.csv': 'qid,query,split\nq1,alpha,test\n', 'qrels.csv': 'qid,docid,score,split\nq9,d1,1,test\nq1,d9,1,test\n' }), (o) => {
    rejected('qrels.csv', 2, /unknown query id "q9"/)(o);
    rejected('qrels.csv', 3, /unknown document id "d9"/)(o);
    return 'ValidationReport';
  });
  hostile('csv', 'a "__proto__" and a "constructor" column', () => csv({ 'docs.csv': '__proto__,constructor,id,text\n{"polluted":1},x,d1,alpha\n' }), (o) => {
    noPollution();
    expect(o.value!.corpus.docs).toEqual([{ id: 'd1', title: '', text: 'alpha' }]);
    return 'accepted';
  });
  hostile('csv', 'formula-like cells are read as plain text', () => csv({ 'docs.csv': 'id,text\n=cmd|\' /C calc\'!A0,=HYPERLINK("http://x")\n' }), (o) => {
    expect(o.value!.corpus.docs[0]).toMatchObject({ id: "=cmd|' /C calc'!A0", text: '=HYPERLINK("http://x")' });
    return 'accepted';
  });
  hostile('csv', 'a gzip file named docs.csv', () => csv({ 'docs.csv': GZIP }), fatal('docs.csv', 1, /gzip/));
  hostile('csv', 'a zip archive named docs.tsv', () => csv({ 'docs.tsv': ZIP }), fatal('docs.tsv', 1, /zip archive/));
  hostile('csv', 'UTF-16LE docs.csv without a BOM', () => csv({ 'docs.csv': utf16le(DOCS_CSV, false) }), fatal('docs.csv', 1, /UTF-16LE/));
  hostile('csv', 'Latin-1 in a cell', () => csv({ 'docs.csv': bytesOf(DOCS_CSV, 'd3,T,caf', [0xe9], '\n') }), rejected('docs.csv', 4, /not valid UTF-8/));
  hostile('csv', 'NUL in a cell after the sniffed window', () => csv({ 'docs.csv': bytesOf(DOCS_CSV, `d3,T,${'p'.repeat(9000)}\n`, 'd4,T,a', [0], 'b\n') }), rejected('docs.csv', 5, /NUL byte/));
  hostile('csv', 'lone CR line ends', () => csv({ 'docs.csv': DOCS_CSV.replace(/\n/g, '\r') }), fatal('docs.csv', 1, /lone CR/));
  hostile('csv', 'a table whose header names nothing known', () => csv({ 'data.csv': 'foo,bar\n1,2\n' }), fatal('data.csv', 1, /cannot tell what this table holds from its header \[foo, bar\]/));
  hostile('csv', 'HTML in a title', () => csv({ 'docs.csv': 'id,title,text\nd1,"<h1 onclick=""x()"">T</h1>",body\n' }), (o) => {
    expect(o.value!.corpus.docs[0].title).toBe('<h1 onclick="x()">T</h1>');
    return 'accepted';
  });
});
