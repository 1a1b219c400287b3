import { useEffect, useRef, useState } from 'react';
import type { ValidationReport } from '../../core/data/ingest';
import type { CorpusRecord } from '../../store/schema';
import type { CorpusPreview, StorageInfo } from '../../store/store';
import { preferredSplit } from '../../store/corpusStats';
import type { Split } from '../../core/data/types';
import { BaselineTable } from './BaselineTable';
import { fmtAvg, fmtBytes, fmtInt, fmtMetric } from './format';
import { getIngestEngine } from './ingestClient';
import { ReportView } from './ReportView';

type Detail =
  | { id: string; kind: 'preview'; preview: CorpusPreview | null; error?: string }
  | { id: string; kind: 'report'; report: ValidationReport | null; error?: string };

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function bm25Cell(c: CorpusRecord): string {
  const split = preferredSplit(Object.keys(c.baseline) as Split[]);
  return split ? `${fmtMetric(c.baseline[split]!['ndcg@10'])} (${split})` : '–';
}

/** Stored corpora with their statistics, a preview, the upload report, and Delete. */
export function CorpusList({
  corpora,
  storage,
  onDelete,
}: {
  corpora: CorpusRecord[];
  storage: StorageInfo | null;
  onDelete: (c: CorpusRecord) => Promise<void>;
}) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [detail, setDetail] = useState<Detail | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  const toggle = async (c: CorpusRecord, kind: Detail['kind']) => {
    if (detail?.id === c.id && detail.kind === kind) {
      setDetail(null);
      return;
    }
    const engine = getIngestEngine();
    if (kind === 'preview') {
      setDetail({ id: c.id, kind, preview: null });
      try {
        const preview = await engine.call('corpusPreview', { id: c.id, count: 3 });
        setDetail({ id: c.id, kind, preview });
      } catch (e) {
        setDetail({ id: c.id, kind, preview: null, error: (e as Error).message });
      }
    } else {
      setDetail({ id: c.id, kind, report: null });
      try {
        const { report } = await engine.call('corpusReport', { id: c.id });
        setDetail({ id: c.id, kind, report });
      } catch (e) {
        setDetail({ id: c.id, kind, report: null, error: (e as Error).message });
      }
    }
  };

  const confirmDelete = async (c: CorpusRecord) => {
    setDeleting(c.id);
    try {
      await onDelete(c);
      if (detail?.id === c.id) setDetail(null);
    } finally {
      setDeleting(null);
      setConfirming(null);
    }
  };

  const shown = detail ? corpora.find((c) => c.id === detail.id) : undefined;
  return (
    <div>
      <table className="data-table corpus-table" data-testid="corpus-list">
        <caption>
          Stored corpora
          {storage && (
            <span className="fine" data-testid="storage-usage">
              {' '}
              — storage used by this site:{' '}
              {storage.usage !== null ? fmtBytes(storage.usage) : 'unknown'}
              {storage.quota !== null ? ` of ${fmtBytes(storage.quota)} allowed` : ''}
              {storage.persisted === true ? ' (persistent)' : storage.persisted === false ? ' (may be evicted under storage pressure)' : ''}
            </span>
          )}
        </caption>
        <thead>
          <tr>
            <th scope="col">corpus</th>
            <th scope="col">documents</th>
            <th scope="col">queries</th>
            <th scope="col">judged (train / dev / test)</th>
            <th scope="col">avg words (doc / query)</th>
            <th scope="col">vocabulary</th>
            <th scope="col">text size</th>
            <th scope="col">BM25 nDCG@10</th>
            <th scope="col">
              <span className="visually-hidden">actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {corpora.map((c) => (
            <tr key={c.id} data-testid="corpus-row" data-corpus-id={c.id} data-corpus-name={c.name}>
              <th scope="row">
                {c.name}
                {c.source.kind === 'builtin' && <span className="tag">built-in</span>}
              </th>
              <td data-testid="corpus-docs">{fmtInt(c.counts.docs)}</td>
              <td data-testid="corpus-queries">{fmtInt(c.counts.queries)}</td>
              <td>
                {fmtInt(c.counts.judgedQueries.train)} / {fmtInt(c.counts.judgedQueries.dev)} / {fmtInt(c.counts.judgedQueries.test)}
              </td>
              <td>
                {fmtAvg(c.stats.avgDocWords)} / {fmtAvg(c.stats.avgQueryWords)}
              </td>
              <td>{fmtInt(c.stats.vocabularySize)}</td>
              <td className="nowrap">{fmtBytes(c.bytes)}</td>
              <td data-testid="corpus-bm25">{bm25Cell(c)}</td>
              <td className="corpus-actions">
                {confirming === c.id ? (
                  <span role="group" aria-label={`Confirm deleting ${c.name}`}>
                    <span>
                      Delete “{c.name}” and everything derived from it?
                      {c.source.kind === 'builtin' ? ' (It is generated again on your next visit.)' : ''}
                    </span>{' '}
                    <button
                      ref={confirmRef}
                      type="button"
                      className="danger"
                      data-testid="corpus-delete-confirm"
                      disabled={deleting === c.id}
                      onClick={() => void confirmDelete(c)}
                    >
                      Delete
                    </button>{' '}
                    <button type="button" onClick={() => setConfirming(null)} data-testid="corpus-delete-cancel">
                      Keep
                    </button>
                  </span>
                ) : (
                  <>
                    <button
                      type="button"
                      aria-expanded={detail?.id === c.id && detail.kind === 'preview'}
                      aria-controls="corpus-detail"
                      onClick={() => void toggle(c, 'preview')}
                      data-testid="corpus-preview-button"
                    >
                      Preview
                    </button>{' '}
                    {c.source.kind === 'upload' && (
                      <>
                        <button
                          type="button"
                          aria-expanded={detail?.id === c.id && detail.kind === 'report'}
                          aria-controls="corpus-detail"
                          onClick={() => void toggle(c, 'report')}
                          data-testid="corpus-report-button"
                        >
                          Report
                        </button>{' '}
                      </>
                    )}
                    <button type="button" onClick={() => setConfirming(c.id)} aria-label={`Delete ${c.name}`} data-testid="corpus-delete">
                      Delete
                    </button>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {detail && shown && (
        <div id="corpus-detail" className="corpus-detail" data-testid="corpus-detail">
          {detail.error && (
            <p role="alert" className="error">
              {detail.error}
            </p>
          )}
          {detail.kind === 'preview' && (
            <>
              <BaselineTable baseline={shown.baseline} corpusName={shown.name} />
              {detail.preview ? (
                <div className="corpus-preview" data-testid="corpus-preview">
                  <div>
                    <h4>First documents of “{shown.name}”</h4>
                    <ol>
                      {detail.preview.docs.map((d) => (
                        <li key={d.id}>
                          <code>{d.id}</code> {d.title && <strong>{clip(d.title, 120)}</strong>} {clip(d.text, 240)}
                        </li>
                      ))}
                    </ol>
                  </div>
                  <div>
                    <h4>First queries</h4>
                    <ol>
                      {detail.preview.queries.map((q) => (
                        <li key={q.id}>
                          <code>{q.id}</code> {clip(q.text, 200)}
                        </li>
                      ))}
                    </ol>
                  </div>
                </div>
              ) : (
                !detail.error && <p role="status">Loading the preview…</p>
              )}
            </>
          )}
          {detail.kind === 'report' &&
            (detail.report ? <ReportView report={detail.report} /> : !detail.error && <p role="status">Loading the report…</p>)}
        </div>
      )}
    </div>
  );
}
