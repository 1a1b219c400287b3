import { useId } from 'react';
import type { Split } from '../../core/data/types';
import { preferredSplit } from '../../store/corpusStats';
import type { BaselineMetrics } from '../../store/schema';
import { fmtInt, fmtMetric } from './format';

/** BM25's metrics on the test split (else dev, else train): the numbers a model has to beat. */
export function BaselineTable({ baseline, corpusName }: { baseline: Partial<Record<Split, BaselineMetrics>>; corpusName: string }) {
  const titleId = useId();
  const split = preferredSplit(Object.keys(baseline) as Split[]);
  if (!split) {
    return (
      <p className="fine" data-testid="bm25-baseline-none">
        No BM25 baseline: “{corpusName}” has no relevance judgments to evaluate against.
      </p>
    );
  }
  const m = baseline[split]!;
  return (
    <div className="bm25-baseline">
      <h4 id={titleId}>
        BM25 baseline on “{corpusName}”, {split} split <span className="fine">({fmtInt(m.queries)} judged queries)</span>
      </h4>
      <table className="data-table" aria-labelledby={titleId} data-testid="bm25-baseline" data-split={split}>
        <thead>
          <tr>
            <th scope="col">MRR@10</th>
            <th scope="col">nDCG@10</th>
            <th scope="col">Recall@100</th>
            <th scope="col">MAP</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <td data-testid="bm25-mrr10">{fmtMetric(m['mrr@10'])}</td>
            <td data-testid="bm25-ndcg10">{fmtMetric(m['ndcg@10'])}</td>
            <td data-testid="bm25-recall100">{fmtMetric(m['recall@100'])}</td>
            <td data-testid="bm25-map">{fmtMetric(m.map)}</td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}
