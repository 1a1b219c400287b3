// The page's side of the model methods (src/worker/modelHandlers.ts): the model library
// (imported checkpoints and the models trained in runs), HF import with its status line,
// export, evaluation on a corpus, and TREC rankings of a trained model.
import { useCallback, useEffect, useState } from 'react';
import type { ExportedFiles } from '../../core/model/hf';
import type { Rankings } from '../../core/eval/trec';
import type { ModelSummary, Result } from '../../worker/protocol';
import { getEngine } from '../engineClient';
import { getIngestEngine } from '../corpus/ingestClient';
import type { HfCheckpointFiles, ImportState } from './CheckpointPicker';

export type ModelEvaluationResult = Result<'evaluateModel'>;
export type ModelExportLayout = 'hf' | 'sentence-transformers';
/** A model's exported files; extraFiles (by path) with the sentence-transformers layout. */
export type ModelExport = ExportedFiles & { extraFiles?: Record<string, string> };

export interface CorpusChoice {
  id: string;
  name: string;
  /** Judged queries per split (what the Recipe tab's split warnings read). */
  judged?: Partial<Record<'train' | 'dev' | 'test', number>>;
}

/** One line on a model: kind, L x H, tokenizer, parameters. */
export function describeModel(m: Pick<ModelSummary, 'info'>): string {
  const i = m.info;
  const tok = i.tokenizer === 'hashed-word' ? 'hashed-word tokenizer' : i.tokenizer === 'wordpiece' ? 'WordPiece tokenizer' : `${i.tokenizer} tokenizer`;
  return `${i.kind.toUpperCase()} ${i.layers} × ${i.hidden}, ${tok} (${i.vocabSize.toLocaleString('en-US')} ids), ${i.params.toLocaleString('en-US')} parameters`;
}

/**
 * A TREC run's rankings from a ranked list of ids and the model's scores of them; a query
 * without scores (an older worker) falls back to the ranks' order (depth − rank + 1).
 */
export function rankingsFromRun(run: Record<string, string[]>, scores?: Record<string, number[]>): Rankings {
  const out: Record<string, { docId: string; score: number }[]> = {};
  for (const [qid, docs] of Object.entries(run)) {
    const s = scores?.[qid];
    const ok = s && s.length === docs.length && s.every(Number.isFinite);
    out[qid] = docs.map((docId, i) => ({ docId, score: ok ? s[i] : docs.length - i }));
  }
  return out;
}

export function useModels(refreshKey: unknown) {
  const [models, setModels] = useState<ModelSummary[]>([]);
  const [corpora, setCorpora] = useState<CorpusChoice[]>([]);
  const [importStatus, setImportStatus] = useState<ImportState>({ state: 'idle' });
  const [listError, setListError] = useState<string | null>(null);

  const refresh = useCallback(async (): Promise<void> => {
    try {
      // The built-in world is always there to evaluate on (stored on first use, as the Data tab does).
      const corporaListed = getIngestEngine()
        .call('ensureBuiltinWorld', {})
        .then(() => getIngestEngine().call('listCorpora', {}));
      const [list, { corpora: cs }] = await Promise.all([getEngine().call('listModels', {}), corporaListed]);
      setModels(list);
      setCorpora(cs.map((c) => ({ id: c.id, name: c.name, ...(c.counts?.judgedQueries ? { judged: c.counts.judgedQueries } : {}) })));
      setListError(null);
    } catch (e) {
      setListError(`${(e as Error).name}: ${(e as Error).message}`);
    }
  }, []);

  // Again whenever a run finishes or pauses (its models are new) or the caller says so.
  useEffect(() => {
    void refresh();
  }, [refresh, refreshKey]);

  const onImportCheckpoint = useCallback(
    async (files: HfCheckpointFiles) => {
      setImportStatus({ state: 'importing', message: `Reading and checking ${[files.config, files.vocab, files.weights].filter(Boolean).map((f) => f!.name).join(', ')}${files.extra?.length ? ` and ${files.extra.length} sentence-transformers files` : ''}…` });
      const folder = (files.weights.webkitRelativePath || '').split('/').slice(0, -1).pop();
      try {
        const m = await getEngine().call('importModel', {
          name: folder || undefined,
          files: {
            config: { name: files.config.name, blob: files.config },
            ...(files.vocab ? { vocab: { name: files.vocab.name, blob: files.vocab } } : {}),
            weights: { name: files.weights.name, blob: files.weights },
            ...(files.extra?.length ? { extra: files.extra.map((e) => ({ name: e.path, blob: e.file })) } : {}),
          },
        });
        setImportStatus({ state: 'done', message: `Imported “${m.name}”: ${describeModel(m)}. It is in the model library below: evaluate it, or make it the teacher.` });
        await refresh();
      } catch (e) {
        setImportStatus({ state: 'failed', message: `Not imported, nothing was stored. ${(e as Error).name}: ${(e as Error).message}` });
      }
    },
    [refresh],
  );

  const onEvaluateModel = useCallback(
    (id: string, corpusId: string, onProgress?: (done: number, total: number) => void): Promise<ModelEvaluationResult> =>
      getEngine().call('evaluateModel', { id, corpusId }, { onProgress: onProgress && ((p) => onProgress(p.done, p.total)) }),
    [],
  );

  const onDeleteModel = useCallback(
    async (id: string) => {
      await getEngine().call('deleteModel', { id });
      await refresh();
    },
    [refresh],
  );

  const onExportModel = useCallback(async (id: string, layout?: ModelExportLayout): Promise<ModelExport> => {
    const { name: _name, ...files } = await getEngine().call('exportModel', { id, ...(layout ? { layout } : {}) });
    return files;
  }, []);

  /** A trained model's ranking of its run's evaluation split (the test split), ranked now. */
  const onRequestRankings = useCallback(
    async (id: string): Promise<Rankings> => {
      const m = models.find((x) => x.id === id);
      if (!m?.run) throw new Error('only a model trained in a run has a corpus to rank');
      const ev = await getEngine().call('evaluateModel', { id, corpusId: m.run.corpusId, split: m.run.split, rerankDepth: m.run.rerankDepth });
      return rankingsFromRun(ev.run, ev.scores);
    },
    [models],
  );

  return { models, corpora, importStatus, listError, refresh, onImportCheckpoint, onEvaluateModel, onDeleteModel, onExportModel, onRequestRankings };
}
