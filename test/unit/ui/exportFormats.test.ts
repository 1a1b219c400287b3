import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors';
import { parseTrecRun } from '../../../src/core/eval/trec';
import { moveStage } from '../../../src/ui/recipe/ProdChain';
import { csvField, metricsToCsv, metricsToJson, parseMetricsJson, perQueryToCsv, rowsFromRuns, runsFromRows, trecRunText, type MetricsRow } from '../../../src/ui/export/formats';

const rows: MetricsRow[] = [
  { run: 'LEAD, seed 1', group: 'LEAD', seed: 1, split: 'test', metrics: { 'mrr@10': 0.5, 'ndcg@10': 0.25 }, perQuery: { 'ndcg@10': { q1: 0.5, q2: 0 } } },
  { run: 'say "hi"', group: 'baseline', seed: null, split: 'test', metrics: { 'mrr@10': 0.125 } },
];

describe('export formats', () => {
  it('CSV: header, one line per run, RFC 4180 quoting, empty cells for missing metrics, CRLF', () => {
    expect(metricsToCsv(rows)).toBe(
      'run,group,seed,split,mrr@10,ndcg@10,recall@10,recall@100,map\r\n' +
        '"LEAD, seed 1",LEAD,1,test,0.5,0.25,,,\r\n' +
        '"say ""hi""",baseline,,test,0.125,,,,\r\n',
    );
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(NaN)).toBe('');
  });

  it('per-query CSV in long format', () => {
    expect(perQueryToCsv(rows)).toBe('run,split,metric,qid,value\r\n"LEAD, seed 1",test,ndcg@10,q1,0.5\r\n"LEAD, seed 1",test,ndcg@10,q2,0\r\n');
  });

  it('JSON round-trips, per-query values included, and comes back as Compare runs', () => {
    const back = parseMetricsJson(metricsToJson(rows));
    expect(back).toEqual(rows);
    const runs = runsFromRows(back, 'x');
    expect(runs[0]).toMatchObject({ id: 'x-0-LEAD, seed 1', name: 'LEAD, seed 1', group: 'LEAD', seed: 1, perQuery: { 'ndcg@10': { q1: 0.5, q2: 0 } } });
    expect(rowsFromRuns(runs)).toEqual(rows);
  });

  it('a broken metrics file names the field', () => {
    const field = (text: string) => {
      try {
        parseMetricsJson(text);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).details?.field;
      }
      return null;
    };
    expect(field('nope')).toBe('(root)');
    expect(field('{"format":"other","version":1,"rows":[]}')).toBe('format');
    expect(field('{"format":"distill-lab-metrics","version":1,"rows":[{"run":"a","group":"","seed":null,"split":"test","metrics":{"p@5":1}}]}')).toBe('rows[0].metrics.p@5');
    expect(field('{"format":"distill-lab-metrics","version":1,"rows":[{"run":"a","group":"","seed":1.5,"split":"test","metrics":{}}]}')).toBe('rows[0].seed');
    expect(field('{"format":"distill-lab-metrics","version":1,"rows":[{"run":"a","group":"","seed":1,"split":"test","metrics":{},"perQuery":{"map":{"q":"x"}}}]}')).toBe('rows[0].perQuery.map.q');
  });

  it('TREC run text reads back with the core parser', () => {
    const text = trecRunText({ q1: [{ docId: 'd1', score: 2.5 }, { docId: 'd2', score: 1 }], q2: [{ docId: 'd3', score: 0.1 }] }, 'lead student');
    expect(text).toBe('q1 Q0 d1 1 2.5 lead_student\nq1 Q0 d2 2 1 lead_student\nq2 Q0 d3 1 0.1 lead_student\n');
    expect(parseTrecRun(text, 'x.trec').rankings.q1.map((d) => d.docId)).toEqual(['d1', 'd2']);
  });

  it('the PROD chain moves stages and ignores moves off either end', () => {
    const s = [{ teacher: 0, steps: 1, lr: 1 }, { teacher: 1, steps: 2, lr: 1 }, { teacher: 2, steps: 3, lr: 1 }];
    expect(moveStage(s, 2, -1).map((x) => x.teacher)).toEqual([0, 2, 1]);
    expect(moveStage(s, 0, -1).map((x) => x.teacher)).toEqual([0, 1, 2]);
    expect(moveStage(s, 2, 1).map((x) => x.teacher)).toEqual([0, 1, 2]);
  });
});
