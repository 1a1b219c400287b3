import { describe, expect, it } from 'vitest';
import { CancelledError, CorpusFormatError } from '../../../src/core/errors';
import { detectLayout, ingestFiles, reportToCsv, reportToText, splitFromName, type ValidationReport } from '../../../src/core/data/ingest';
import { inferCsvMapping } from '../../../src/core/data/ingest/csv';
import { bytesOf, CORPUS, memFile, QRELS, QUERIES, scifactFiles } from './helpers';

/** The issues of a report as "file:line reason" strings, errors only. */
const errors = (r: ValidationReport) => r.issues.filter((i) => i.severity === 'error').map((i) => `${i.file}:${i.line} ${i.reason}`);
const fileReport = (r: ValidationReport, file: string) => r.files.find((f) => f.file === file)!;

describe('SciFact (BEIR layout, from disk)', () => {
  it('reads 5,183 documents, 1,109 queries, 809 train and 300 test judged queries, rejecting nothing', async () => {
    const progress: number[] = [];
    let rows = 0;
    const { corpus, report } = await ingestFiles(scifactFiles(), {
      onProgress: (p) => {
        progress.push(p.bytesRead);
        rows = p.rowsAccepted + p.rowsRejected;
      },
    });
    expect(corpus.name).toBe('scifact');
    expect(corpus.docs).toHaveLength(5183);
    expect(corpus.queries).toHaveLength(1109);
    expect(report.totals).toEqual({
      docs: 5183,
      queries: 1109,
      judgedQueries: { train: 809, dev: 0, test: 300 },
      judgments: { train: 919, dev: 0, test: 339 },
      queriesWithNegatives: 0,
    });
    expect(report.errorCount).toBe(0);
    expect(report.files.map((f) => [f.file, f.rowsRead, f.accepted, f.rejected])).toEqual([
      ['scifact/corpus.jsonl', 5183, 5183, 0],
      ['scifact/queries.jsonl', 1109, 1109, 0],
      ['scifact/qrels/train.tsv', 919, 919, 0],
      ['scifact/qrels/test.tsv', 339, 339, 0],
    ]);
    expect(corpus.docs[0].id).toBe('4983');
    expect(corpus.docs[0].title).toMatch(/^Microstructural development of human newborn/);
    // Progress is monotone and ends at the total size.
    expect(progress.every((b, i) => i === 0 || b >= progress[i - 1])).toBe(true);
    expect(progress[progress.length - 1]).toBe(scifactFiles().reduce((s, f) => s + f.size!, 0));
    // Row counts lag by at most the last chunk: by the last file, corpus and queries are in.
    expect(rows).toBeGreaterThanOrEqual(5183 + 1109);
  });
});

describe('broken BEIR inputs: each rejected row names file, line and reason', () => {
  it('truncated JSON, missing id, empty text, duplicate id', async () => {
    const corpus = [
      '{"_id": "d1", "title": "Alpha", "text": "alpha text"}',
      '{"_id": "d2", "title": "Be', // truncated
      '{"title": "no id", "text": "orphan"}',
      '{"_id": "d3", "title": "", "text": "   "}',
      '{"_id": "d1", "title": "Again", "text": "second d1"}',
      '{"_id": 7, "text": "numeric id is fine"}',
      '[1, 2]',
    ].join('\n');
    const { corpus: c, report } = await ingestFiles([memFile('corpus.jsonl', corpus), memFile('queries.jsonl', QUERIES)]);
    expect(errors(report)).toEqual([
      expect.stringMatching(/^corpus\.jsonl:2 invalid JSON \(truncated line\?\): /),
      'corpus.jsonl:3 missing "_id"',
      'corpus.jsonl:4 empty text for document "d3"',
      'corpus.jsonl:5 duplicate document id "d1" (first at corpus.jsonl:1; kept that one)',
      'corpus.jsonl:7 not a JSON object',
    ]);
    expect(c.docs.map((d) => d.id)).toEqual(['d1', '7']);
    expect(c.docs[0].text).toBe('alpha text'); // the first d1 is kept
    expect(fileReport(report, 'corpus.jsonl')).toMatchObject({ rowsRead: 7, accepted: 2, rejected: 5 });
  });

  it('qrels naming unknown queries or documents, non-integer scores, wrong column counts, duplicates', async () => {
    const qrels = [
      'query-id\tcorpus-id\tscore',
      'q1\td1\t1',
      'q9\td1\t1',
      'q1\td9\t1',
      'q2\td2\t1.5',
      'q2\td2',
      'q2\td2\t2',
      'q1\td1\t1',
    ].join('\n');
    const { corpus, report } = await ingestFiles([
      memFile('corpus.jsonl', CORPUS),
      memFile('queries.jsonl', QUERIES),
      memFile('qrels/test.tsv', qrels),
    ]);
    expect(errors(report)).toEqual([
      'qrels/test.tsv:3 unknown query id "q9" (not in the queries)',
      'qrels/test.tsv:4 unknown document id "d9" (not in the corpus)',
      'qrels/test.tsv:5 non-integer score "1.5"',
      'qrels/test.tsv:6 wrong column count: expected 3 (query-id, corpus-id, score), found 2',
      'qrels/test.tsv:8 duplicate judgment for query "q1", document "d1" (first at qrels/test.tsv:2)',
    ]);
    expect(corpus.qrels.test).toEqual([
      { qid: 'q1', docId: 'd1', rel: 1 },
      { qid: 'q2', docId: 'd2', rel: 2 },
    ]);
    expect(fileReport(report, 'qrels/test.tsv')).toMatchObject({ split: 'test', rowsRead: 7, accepted: 2, rejected: 5 });
  });

  it('undecodable bytes are reported on their line, the rest is kept', async () => {
    const corpus = bytesOf(
      '{"_id": "d1", "title": "", "text": "fine"}\n',
      '{"_id": "d2", "title": "", "text": "caf', [0xe9], '"}\n',
      '{"_id": "d3", "title": "", "text": "also fine"}\n',
    );
    const { corpus: c, report } = await ingestFiles([memFile('corpus.jsonl', corpus, 5)]);
    expect(errors(report)).toEqual(['corpus.jsonl:2 undecodable bytes: not valid UTF-8 at byte 40 of the line']);
    expect(c.docs.map((d) => d.id)).toEqual(['d1', 'd3']);
  });

  it('BOM, CRLF and blank lines: accepted, and later line numbers still match the file', async () => {
    const corpus = bytesOf([0xef, 0xbb, 0xbf], '{"_id": "d1", "text": "one"}\r\n\r\n\r\n{"_id": "d2", "text": "two"}\r\n\r\n{"_id": "d2", "text": "dup"}\r\n');
    const { corpus: c, report } = await ingestFiles([memFile('corpus.jsonl', corpus, 3)]);
    expect(c.docs.map((d) => d.id)).toEqual(['d1', 'd2']);
    expect(errors(report)).toEqual(['corpus.jsonl:6 duplicate document id "d2" (first at corpus.jsonl:4; kept that one)']);
    expect(fileReport(report, 'corpus.jsonl')).toMatchObject({ rowsRead: 3, accepted: 2, rejected: 1 });
  });

  it('binary garbage is fatal: CorpusFormatError naming the file and line', async () => {
    const gz = Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x0a, 0xcb]);
    const err = await ingestFiles([memFile('corpus.jsonl', gz)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorpusFormatError);
    expect(err).toMatchObject({ file: 'corpus.jsonl', line: 1 });
    expect((err as Error).message).toMatch(/^corpus\.jsonl:1: a gzip file \(magic bytes 1f 8b at byte 1\)/);
    const nul = await ingestFiles([memFile('corpus.jsonl', Uint8Array.from([0x7b, 0x7d, 0x0a, 0x00, 0x41]))]).catch((e: unknown) => e);
    expect((nul as Error).message).toMatch(/^corpus\.jsonl:2: binary data: NUL byte at byte 4/);
    const noise = Uint8Array.from({ length: 9000 }, (_, i) => 0x80 + ((i * 131) % 127));
    await expect(ingestFiles([memFile('corpus.jsonl', noise, 4096)])).rejects.toThrow(/corpus\.jsonl:1: not UTF-8 text/);
  });

  it('no documents at all is fatal, naming the first rejected row', async () => {
    const err = await ingestFiles([memFile('corpus.jsonl', '\n{"_id": "d1"\n{"_id": "d2"}\n')]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorpusFormatError);
    expect(err).toMatchObject({ file: 'corpus.jsonl', line: 2 });
    expect((err as Error).message).toMatch(/no valid documents: every row was rejected \(first: line 2: invalid JSON/);
    await expect(ingestFiles([memFile('corpus.jsonl', '')])).rejects.toThrow(/corpus\.jsonl:1: no documents: the file is empty/);
  });

  it('an unknown layout is fatal', async () => {
    await expect(ingestFiles([memFile('notes.md', '# hi'), memFile('data.bin', 'x')])).rejects.toThrow(
      /cannot tell the layout of "notes.md", "data.bin"/,
    );
  });
});

describe('BEIR extras', () => {
  it('reads a hard-negatives list file (qid<TAB>neg,neg,...) after the judgments', async () => {
    const { corpus, report } = await ingestFiles([
      memFile('corpus.jsonl', CORPUS),
      memFile('queries.jsonl', QUERIES),
      memFile('qrels/test.tsv', QRELS),
      memFile('hard_negatives.tsv', 'q1\td2,d3,d2\nq2\td1\nq3\td1\nq1\td9\n'),
    ]);
    expect(corpus.negatives).toEqual({ q1: ['d2', 'd3'], q2: ['d1'] });
    expect(errors(report)).toEqual([
      'hard_negatives.tsv:3 unknown query id "q3" (not in the queries)',
      'hard_negatives.tsv:4 unknown document id "d9" (not in the corpus)',
    ]);
  });

  it('cancels with CancelledError when the signal is aborted', async () => {
    const signal = { aborted: false };
    const big = CORPUS.repeat(1).concat(Array.from({ length: 3000 }, (_, i) => `{"_id": "x${i}", "text": "t"}`).join('\n'));
    const run = ingestFiles([memFile('corpus.jsonl', big, 512)], {
      signal,
      onProgress: (p) => {
        if (p.bytesRead > 20_000) signal.aborted = true;
      },
    });
    await expect(run).rejects.toThrow(CancelledError);
  });
});

describe('MS MARCO layout', () => {
  const collection = '0\tThe first passage.\n1\tThe second passage.\n2\tthree\tcolumns\n3\tThe fourth passage.\n';
  const queriesTrain = '100\twhat is first\n101\twhat is second\n';
  const queriesDev = '200\tdev question\n';
  const queriesEval = '300\theld out question\n';
  const qrelsTrain = '100 0 0 1\n101\t0\t1\t1\n102 0 1 1\n100 0 3\n';
  const qrelsDev = '200 0 3 1\n';
  const triples = '100\t0\t1\n100\t0\t3\n101\t1\t0\n101\t1\t9\n';

  it('reads collection, queries and TREC qrels, with splits from the file names', async () => {
    const { corpus, report } = await ingestFiles([
      memFile('msmarco/collection.tsv', collection),
      memFile('msmarco/queries.train.tsv', queriesTrain),
      memFile('msmarco/queries.dev.tsv', queriesDev),
      memFile('msmarco/queries.eval.tsv', queriesEval),
      memFile('msmarco/qrels.train.tsv', qrelsTrain),
      memFile('msmarco/qrels.dev.small.tsv', qrelsDev),
      memFile('msmarco/qidpidtriples.train.tsv', triples),
    ]);
    expect(report.layout).toBe('msmarco');
    expect(corpus.name).toBe('msmarco');
    expect(corpus.docs.map((d) => d.id)).toEqual(['0', '1', '3']);
    expect(corpus.queries.map((q) => q.id)).toEqual(['100', '101', '200', '300']);
    expect(corpus.qrels.train).toEqual([
      { qid: '100', docId: '0', rel: 1 },
      { qid: '101', docId: '1', rel: 1 },
    ]);
    expect(corpus.qrels.dev).toEqual([{ qid: '200', docId: '3', rel: 1 }]);
    expect(corpus.negatives).toEqual({ '100': ['1', '3'], '101': ['0'] });
    expect(errors(report)).toEqual([
      'msmarco/collection.tsv:3 wrong column count: expected 2 tab-separated columns (pid, text), found 3',
      'msmarco/qrels.train.tsv:3 unknown query id "102" (not in the queries)',
      'msmarco/qrels.train.tsv:4 wrong column count: expected 4 (qid, iteration, docid, rel), found 3',
      'msmarco/qidpidtriples.train.tsv:4 unknown document id "9" (not in the corpus)',
    ]);
    expect(report.files.map((f) => [f.file, f.role, f.split ?? null])).toEqual([
      ['msmarco/collection.tsv', 'docs', null],
      ['msmarco/queries.train.tsv', 'queries', 'train'],
      ['msmarco/queries.dev.tsv', 'queries', 'dev'],
      ['msmarco/queries.eval.tsv', 'queries', 'test'],
      ['msmarco/qrels.train.tsv', 'qrels', 'train'],
      ['msmarco/qrels.dev.small.tsv', 'qrels', 'dev'],
      ['msmarco/qidpidtriples.train.tsv', 'negatives', null],
    ]);
    expect(report.totals.queriesWithNegatives).toBe(2);
  });
});

describe('CSV / TSV tables', () => {
  it('quoted fields with commas, newlines and escaped quotes; wrong column count on the right line', async () => {
    const docs = [
      'id,title,text',
      'd1,"Title, with comma","line one', // a record over lines 2-3
      'line two"',
      'd2,Plain,"He said ""hi"""',
      'd3,Bad',
      '',
      'd4,T,"multi',
      '',
      'para"',
      'd5,T,"never closed',
      'more text',
    ].join('\r\n');
    const { corpus, report } = await ingestFiles([memFile('docs.csv', docs, 5)]);
    expect(report.layout).toBe('csv');
    expect(corpus.docs).toEqual([
      { id: 'd1', title: 'Title, with comma', text: 'line one\nline two' },
      { id: 'd2', title: 'Plain', text: 'He said "hi"' },
      { id: 'd4', title: 'T', text: 'multi\n\npara' },
    ]);
    expect(errors(report)).toEqual([
      'docs.csv:5 wrong column count: expected 3 (as the header), found 2',
      'docs.csv:10 unterminated quoted field (a " opened on line 10 never closes)',
    ]);
    expect(fileReport(report, 'docs.csv')).toMatchObject({ role: 'docs', rowsRead: 5, accepted: 3, rejected: 2 });
  });

  it('a row spanning undecodable bytes is rejected at its first line', async () => {
    const bytes = bytesOf('id,text\n', 'd1,"ok"\n', 'd2,"bad ', [0xff], '\nstill d2"\n', 'd3,fine\n');
    const { corpus, report } = await ingestFiles([memFile('docs.csv', bytes, 3)]);
    expect(corpus.docs.map((d) => d.id)).toEqual(['d1', 'd3']);
    expect(errors(report)).toEqual(['docs.csv:3 undecodable bytes: not valid UTF-8 at byte 9 of the line (line 3)']);
  });

  it('separate docs, queries and qrels tables, roles from their headers', async () => {
    const { corpus, report } = await ingestFiles([
      memFile('qrels.tsv', 'qid\tdocid\tscore\tsplit\nq1\td1\t1\ttrain\nq2\td2\t2\ttest\nq2\td1\tx\ttest\nq1\td2\t1\tholdout\n'),
      memFile('my queries.csv', 'qid,question\nq1,what is alpha?\nq2,what is beta?\n'),
      memFile('passages.tsv', 'docid\ttitle\ttext\nd1\tAlpha\talpha text\nd2\tBeta\tbeta text\n'),
    ]);
    expect(report.files.map((f) => [f.file, f.role])).toEqual([
      ['passages.tsv', 'docs'],
      ['my queries.csv', 'queries'],
      ['qrels.tsv', 'qrels'],
    ]);
    expect(corpus.qrels.train).toEqual([{ qid: 'q1', docId: 'd1', rel: 1 }]);
    expect(corpus.qrels.test).toEqual([{ qid: 'q2', docId: 'd2', rel: 2 }]);
    expect(errors(report)).toEqual([
      'qrels.tsv:4 non-integer score "x"',
      'qrels.tsv:5 unknown split "holdout" (expected train, dev or test)',
    ]);
  });

  it('a (query, passage) pairs file builds queries, documents and judgments', async () => {
    const pairs = 'question,answer,split\nWho made X?,Acme made X.,train\nWho made X?,Acme built X in 1900.,train\nWhere is Y?,Y is in Z.,test\n';
    const { corpus } = await ingestFiles([memFile('faq.csv', pairs)]);
    expect(corpus.queries).toEqual([
      { id: 'q1', text: 'Who made X?' },
      { id: 'q2', text: 'Where is Y?' },
    ]);
    expect(corpus.docs.map((d) => d.id)).toEqual(['d1', 'd2', 'd3']);
    expect(corpus.qrels.train).toEqual([
      { qid: 'q1', docId: 'd1', rel: 1 },
      { qid: 'q1', docId: 'd2', rel: 1 },
    ]);
    expect(corpus.qrels.test).toEqual([{ qid: 'q2', docId: 'd3', rel: 1 }]);
  });

  it('a header that fits no role is fatal unless a mapping is given', async () => {
    const table = 'colA,colB\nx1,hello world\nx2,second row\n';
    await expect(ingestFiles([memFile('odd.csv', table)])).rejects.toThrow(/odd\.csv:1: cannot tell what this table holds from its header \[colA, colB\]/);
    const { corpus } = await ingestFiles([memFile('odd.csv', table)], { csvMapping: { role: 'docs', columns: { id: 'colA', text: 'colB' } } });
    expect(corpus.docs).toEqual([
      { id: 'x1', title: '', text: 'hello world' },
      { id: 'x2', title: '', text: 'second row' },
    ]);
    await expect(
      ingestFiles([memFile('odd.csv', table)], { csvMapping: { role: 'docs', columns: { text: 'nope' } } }),
    ).rejects.toThrow(/column "nope" \(for text\) is not in the header/);
  });

  it('infers mappings from common header names', () => {
    expect(inferCsvMapping(['_id', 'title', 'text'])).toEqual({ role: 'docs', columns: { id: '_id', title: 'title', text: 'text' } });
    expect(inferCsvMapping(['query-id', 'corpus-id', 'score'])).toEqual({ role: 'qrels', columns: { queryId: 'query-id', docId: 'corpus-id', rel: 'score' } });
    expect(inferCsvMapping(['query', 'passage', 'label'])).toEqual({ role: 'pairs', columns: { query: 'query', text: 'passage', rel: 'label' } });
    expect(inferCsvMapping(['qid', 'text'])).toEqual({ role: 'queries', columns: { queryId: 'qid', query: 'text' } });
    expect(inferCsvMapping(['a', 'b'])).toBeUndefined();
  });
});

describe('layout detection', () => {
  it('tells BEIR, MS MARCO and CSV apart from names', () => {
    const beir = detectLayout(['nfc/corpus.jsonl', 'nfc/queries.jsonl', 'nfc/qrels/train.tsv', 'nfc/qrels/dev.tsv', 'nfc/qrels/test.tsv', 'nfc/README.md']);
    expect(beir.layout).toBe('beir');
    expect(beir.files.map((f) => [f.role, f.split ?? null])).toEqual([
      ['docs', null],
      ['queries', null],
      ['qrels', 'train'],
      ['qrels', 'dev'],
      ['qrels', 'test'],
    ]);
    expect(beir.ignored.map((i) => i.name)).toEqual(['nfc/README.md']);
    expect(detectLayout(['collection.tsv', 'queries.dev.small.tsv', 'qrels.dev.small.tsv']).layout).toBe('msmarco');
    expect(detectLayout(['data.csv']).layout).toBe('csv');
    expect(() => detectLayout([])).toThrow(CorpusFormatError);
  });

  it('reads splits from names', () => {
    expect(['train.tsv', 'queries.dev.small.tsv', 'qrels-validation.tsv', 'queries.eval.tsv', 'qrels.tsv', 'trainee.tsv'].map(splitFromName)).toEqual([
      'train',
      'dev',
      'dev',
      'test',
      undefined,
      undefined,
    ]);
  });

  it('a BEIR qrels file whose name gives no split is read as test, with a warning', async () => {
    const { corpus, report } = await ingestFiles([
      memFile('corpus.jsonl', CORPUS),
      memFile('queries.jsonl', QUERIES),
      memFile('qrels/qrels.tsv', QRELS),
    ]);
    expect(corpus.qrels.test).toHaveLength(2);
    expect(report.issues).toContainEqual({
      file: 'qrels/qrels.tsv',
      line: 2,
      reason: 'the file name names no split (train, dev or test): judgments are read as test',
      severity: 'warning',
    });
  });
});

describe('report', () => {
  it('renders as text and CSV, caps the list and counts everything', async () => {
    const bad = Array.from({ length: 30 }, (_, i) => `{"_id": "x${i}", "text": ""}`).join('\n');
    const { report } = await ingestFiles(
      [memFile('corpus.jsonl', CORPUS + bad), memFile('queries.jsonl', QUERIES), memFile('qrels/test.tsv', QRELS)],
      { maxIssues: 5 },
    );
    expect(report.issueCount).toBe(30);
    expect(report.issues).toHaveLength(5);
    const text = reportToText(report);
    expect(text).toContain('Documents: 3');
    expect(text).toContain('Judged queries: train 0, dev 0, test 2');
    expect(text).toContain('corpus.jsonl:4: empty text for document "x0"');
    expect(text).toContain('... and 25 more (only the first 5 are kept)');
    const csv = reportToCsv(report).split('\r\n');
    expect(csv[0]).toBe('file,line,severity,reason');
    expect(csv[1]).toBe('corpus.jsonl,4,error,"empty text for document ""x0"""');
    expect(csv).toHaveLength(1 + 5 + 1); // header, 5 issues, trailing newline
  });
});
