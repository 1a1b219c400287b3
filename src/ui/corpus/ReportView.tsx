import { useId, useMemo } from 'react';
import { reportToCsv, reportToText, type ValidationReport } from '../../core/data/ingest';
import { SPLITS } from '../../core/data/types';
import { fmtInt } from './format';

/** How many issues are listed on the page; the download has all that were kept. */
const SHOWN_ISSUES = 20;

/** A data: URL needs no revoking (reports are small: at most a thousand issues are kept). */
const dataUrl = (text: string, type: string) => `data:${type},${encodeURIComponent(text)}`;

const roleLabel: Record<string, string> = {
  docs: 'documents',
  queries: 'queries',
  qrels: 'judgments',
  negatives: 'hard negatives',
  pairs: 'query–passage pairs',
  table: 'table',
};

/** The validation report of one upload: per-file counts, totals, the first issues, downloads. */
export function ReportView({ report }: { report: ValidationReport }) {
  const t = report.totals;
  const base = report.corpusName.replace(/[^\w.-]+/g, '_') || 'corpus';
  const textUrl = useMemo(() => dataUrl(reportToText(report), 'text/plain;charset=utf-8'), [report]);
  const csvUrl = useMemo(() => dataUrl(reportToCsv(report), 'text/csv;charset=utf-8'), [report]);
  const shown = report.issues.slice(0, SHOWN_ISSUES);
  const titleId = useId();
  return (
    <section className="corpus-report" aria-labelledby={titleId} data-testid="ingest-report">
      <h3 id={titleId}>
        Validation report: “{report.corpusName}” ({report.layout === 'msmarco' ? 'MS MARCO' : report.layout.toUpperCase()} layout)
      </h3>
      <dl className="corpus-totals">
        <div>
          <dt>Documents</dt>
          <dd data-testid="report-docs">{fmtInt(t.docs)}</dd>
        </div>
        <div>
          <dt>Queries</dt>
          <dd data-testid="report-queries">{fmtInt(t.queries)}</dd>
        </div>
        {SPLITS.map((s) => (
          <div key={s}>
            <dt>Judged queries ({s})</dt>
            <dd data-testid={`report-judged-${s}`}>{fmtInt(t.judgedQueries[s])}</dd>
          </div>
        ))}
        <div>
          <dt>Rejected rows</dt>
          <dd data-testid="report-errors">{fmtInt(report.errorCount)}</dd>
        </div>
      </dl>
      <table className="data-table" data-testid="report-files">
        <caption>Rows per file</caption>
        <thead>
          <tr>
            <th scope="col">file</th>
            <th scope="col">holds</th>
            <th scope="col">rows read</th>
            <th scope="col">accepted</th>
            <th scope="col">rejected</th>
          </tr>
        </thead>
        <tbody>
          {report.files.map((f) => (
            <tr key={f.file} data-file={f.file}>
              <th scope="row">{f.file}</th>
              <td>
                {roleLabel[f.role] ?? f.role}
                {f.split ? ` (${f.split})` : ''}
              </td>
              <td>{fmtInt(f.rowsRead)}</td>
              <td>{fmtInt(f.accepted)}</td>
              <td className={f.rejected > 0 ? 'error' : undefined}>{fmtInt(f.rejected)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {report.issueCount === 0 ? (
        <p data-testid="report-no-issues">Every row was accepted.</p>
      ) : (
        <>
          <h4>
            {fmtInt(report.issueCount)} issue{report.issueCount === 1 ? '' : 's'} ({fmtInt(report.errorCount)} rejected row
            {report.errorCount === 1 ? '' : 's'}, {fmtInt(report.warningCount)} warning{report.warningCount === 1 ? '' : 's'})
            {report.issueCount > shown.length ? `: the first ${shown.length}` : ''}
          </h4>
          <ul className="corpus-issues" data-testid="report-issues">
            {shown.map((i, k) => (
              <li key={k} className={i.severity === 'error' ? 'issue-error' : 'issue-warning'} data-severity={i.severity}>
                <span className="issue-where">{i.line > 0 ? `${i.file}, line ${i.line}` : i.file}</span>
                <span className="issue-kind">{i.severity === 'error' ? 'rejected' : 'warning'}</span>
                <span className="issue-reason">{i.reason}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <p className="corpus-downloads">
        <a href={textUrl} download={`${base}-report.txt`} data-testid="report-download">
          Download report (text)
        </a>
        <a href={csvUrl} download={`${base}-issues.csv`} data-testid="report-download-csv">
          Download issues (CSV)
        </a>
      </p>
    </section>
  );
}
