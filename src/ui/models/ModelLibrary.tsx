import { useEffect, useState } from 'react';
import { metricWithRerank, rerankNote } from '../compare/rerank';
import type { ModelSummary } from '../../worker/protocol';
import { SelectField } from '../controls';
import { describeModel, type CorpusChoice, type ModelEvaluationResult } from './useModels';

export interface ModelLibraryProps {
  models: ModelSummary[];
  corpora: CorpusChoice[];
  listError?: string | null;
  onEvaluate?: (id: string, corpusId: string, onProgress?: (done: number, total: number) => void) => Promise<ModelEvaluationResult>;
  onDelete?: (id: string) => Promise<void>;
  onUseAsTeacher?: (m: ModelSummary) => void;
  /** Lists models and corpora again (on showing the library: a corpus may have been uploaded since). */
  onRefresh?: () => void;
}

interface Evaluation {
  key: number;
  model: ModelSummary;
  corpus: CorpusChoice;
  result: ModelEvaluationResult;
}

const METRICS = [
  ['mrr@10', 'MRR@10'],
  ['ndcg@10', 'nDCG@10'],
  ['recall@100', 'Recall@100'],
] as const;

/**
 * Every model the lab holds: the teachers it ships (one per built-in world), checkpoints
 * imported from Hugging Face files and the teachers and students trained in runs. Each can be evaluated on a stored corpus (MRR@10, nDCG@10,
 * Recall@100, computed exactly as a run computes them) or made the first teacher.
 */
export function ModelLibrary({ models, corpora, listError, onEvaluate, onDelete, onUseAsTeacher, onRefresh }: ModelLibraryProps) {
  useEffect(() => {
    onRefresh?.();
  }, [onRefresh]);
  const [corpusId, setCorpusId] = useState<string>('');
  const [busy, setBusy] = useState<{ id: string; done: number; total: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [evaluations, setEvaluations] = useState<Evaluation[]>([]);
  const corpus = corpora.find((c) => c.id === corpusId) ?? corpora[corpora.length - 1];

  const evaluate = async (m: ModelSummary) => {
    if (!onEvaluate || !corpus) return;
    setBusy({ id: m.id, done: 0, total: 0 });
    setError(null);
    try {
      const result = await onEvaluate(m.id, corpus.id, (done, total) => setBusy({ id: m.id, done, total }));
      setEvaluations((prev) => [{ key: Date.now(), model: m, corpus, result }, ...prev]);
    } catch (e) {
      setError(`${m.name} could not be evaluated on ${corpus.name}: ${(e as Error).name}: ${(e as Error).message}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <div className="model-library" data-testid="model-library">
      {listError && (
        <p role="alert" className="error">
          {listError}
        </p>
      )}
      {models.length === 0 ? (
        <p className="fine" data-testid="model-library-empty">
          No models yet: import a checkpoint above, or finish a run (its teachers and students appear here).
        </p>
      ) : (
        <>
          {corpora.length > 0 && (
            <SelectField
              label="Evaluate on corpus"
              value={corpus?.id ?? ''}
              onChange={setCorpusId}
              options={corpora.map((c) => ({ value: c.id, label: c.name }))}
              hint="Test split (dev where a corpus has no test judgments): the ranking a run would report."
              testId="model-eval-corpus"
            />
          )}
          <table className="data-table" data-testid="model-list">
            <caption>Shipped, imported and trained models</caption>
            <thead>
              <tr>
                <th scope="col">model</th>
                <th scope="col">from</th>
                <th scope="col">architecture</th>
                <th scope="col">actions</th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <tr key={m.id} data-testid="model-row" data-model-id={m.id} data-model-name={m.name}>
                  <th scope="row">{m.name}</th>
                  <td>
                    {m.origin === 'builtin' && m.shipped ? (
                      <span data-testid="model-shipped">
                        shipped with the lab: trained on {m.shipped.corpus}, test nDCG@10 {m.shipped.test['ndcg@10'].toFixed(3)} (BM25{' '}
                        {m.shipped.bm25['ndcg@10'].toFixed(3)}), MRR@10 {m.shipped.test['mrr@10'].toFixed(3)};{' '}
                        <span className="fine">
                          trained by <code>{m.shipped.command}</code>
                        </span>
                      </span>
                    ) : m.origin === 'import' ? (
                      m.hub ? (
                        `Hugging Face Hub: ${m.hub.repo}@${m.hub.revision} (commit ${m.hub.sha.slice(0, 12)}${m.hub.endpoint === 'https://huggingface.co' ? '' : `, ${m.hub.endpoint}`})`
                      ) : (
                        `imported (${(m.files ?? []).map((f) => f.name).join(', ')})`
                      )
                    ) : (
                      `run “${m.run?.runName}”`
                    )}
                  </td>
                  <td>{describeModel(m)}</td>
                  <td className="row-actions">
                    <button type="button" className="small" disabled={!onEvaluate || !corpus || busy !== null} onClick={() => void evaluate(m)} data-testid="model-evaluate">
                      {busy?.id === m.id ? (busy.total ? `Evaluating… ${Math.round((100 * busy.done) / busy.total)}%` : 'Evaluating…') : 'Evaluate'}
                    </button>{' '}
                    <button type="button" className="small" disabled={!onUseAsTeacher} onClick={() => onUseAsTeacher?.(m)} data-testid="model-use-teacher">
                      Use as teacher 1
                    </button>{' '}
                    {m.origin === 'import' && (
                      <button type="button" className="small" disabled={!onDelete || busy !== null} onClick={() => void onDelete?.(m.id)} aria-label={`Delete ${m.name}`} data-testid="model-delete">
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {error && (
        <p role="alert" className="error" data-testid="model-eval-error">
          {error}
        </p>
      )}
      {evaluations.length > 0 && (
        <table className="data-table" data-testid="model-evaluations">
          <caption>Evaluations (newest first)</caption>
          <thead>
            <tr>
              <th scope="col">model</th>
              <th scope="col">corpus (split)</th>
              {METRICS.map(([, label]) => (
                <th scope="col" key={label}>
                  {label}
                </th>
              ))}
              <th scope="col">queries</th>
              <th scope="col">time</th>
            </tr>
          </thead>
          <tbody>
            {evaluations.map((e) => {
              // A CE or ColBERT model re-ranks BM25's top N (the evaluation's default depth): its metrics say so.
              const note = rerankNote(e.model.info.kind);
              return (
              <tr key={e.key} data-testid="model-eval-row" data-model-id={e.model.id} data-corpus-id={e.corpus.id}>
                <th scope="row">
                  {e.model.name}
                  {note && (
                    <span className="fine" data-testid="rerank-note">
                      {' '}
                      (metrics: {note})
                    </span>
                  )}
                </th>
                <td>
                  {e.corpus.name} ({e.result.split})
                </td>
                {METRICS.map(([k, label]) => (
                  <td key={k} data-metric={k} data-value={String(e.result.metrics[k])} title={metricWithRerank(label, note)}>
                    {e.result.metrics[k].toFixed(4)}
                  </td>
                ))}
                <td>{e.result.metrics.queries}</td>
                <td>
                  {e.result.seconds.toFixed(1)} s on {e.result.backend}
                </td>
              </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}
