import { useCallback, useEffect, useId, useRef, useState, type DragEvent } from 'react';
import type { ValidationReport } from '../../core/data/ingest';
import { requestPersistence } from '../../store/persistence';
import type { CorpusRecord } from '../../store/schema';
import type { StorageInfo } from '../../store/store';
import type { IngestProgressEvent } from '../../worker/protocol';
import { BaselineTable } from '../corpus/BaselineTable';
import { CorpusList } from '../corpus/CorpusList';
import { fmtBytes, fmtInt } from '../corpus/format';
import { fromDataTransfer, fromFileList, getIngestEngine, toIngestFiles, type PickedFile } from '../corpus/ingestClient';
import { ReportView } from '../corpus/ReportView';
import { Explain } from '../Explain';
import '../corpus/corpus.css';

interface ShownError {
  name: string;
  where: string | null;
  reason: string;
}

/** `seq` numbers uploads in this page, so a view (or a test) can tell one outcome from the last. */
type Upload =
  | { state: 'idle' }
  | { state: 'running'; seq: number; files: number; bytes: number; progress: IngestProgressEvent | null; cancelling: boolean }
  | { state: 'done'; seq: number; corpus: CorpusRecord; report: ValidationReport }
  | { state: 'failed'; seq: number; error: ShownError; cancelled: boolean };

/**
 * Test hook: `?debugFailAfterShards=N` makes the store throw a real QuotaExceededError after
 * N shard writes of the next upload (a real quota cannot be reached in a test).
 */
function debugFailAfterShards(): number | undefined {
  const v = new URLSearchParams(window.location.search).get('debugFailAfterShards');
  return v !== null && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Splits a named error into where (file, line) and why, as the worker sent it. */
function showError(e: unknown): ShownError {
  const err = e as Error & { file?: unknown; line?: unknown };
  const file = typeof err.file === 'string' ? err.file : null;
  const line = typeof err.line === 'number' ? err.line : null;
  let reason = err.message ?? String(e);
  if (file) {
    const prefix = `${file}${line !== null ? `:${line}` : ''}: `;
    if (reason.startsWith(prefix)) reason = reason.slice(prefix.length);
  }
  return { name: err.name ?? 'Error', where: file ? `${file}${line !== null ? `, line ${line}` : ''}` : null, reason };
}

/** Overall fraction done: reading is most of the time, then indexing, then storing. */
function fraction(p: IngestProgressEvent | null): number | undefined {
  if (!p) return undefined;
  if (p.phase === 'reading') return p.totalBytes > 0 ? (0.85 * p.bytesRead) / p.totalBytes : undefined;
  if (p.phase === 'indexing') return 0.87;
  return 0.9 + (p.shardsTotal > 0 ? (0.1 * p.shardsWritten) / p.shardsTotal : 0);
}

function phaseText(p: IngestProgressEvent | null): string {
  if (!p || p.phase === 'reading') return 'Reading and checking the files…';
  if (p.phase === 'indexing') return 'Indexing for BM25 and computing the baseline…';
  return 'Storing in this browser…';
}

function detailText(p: IngestProgressEvent | null): string {
  if (!p) return '';
  if (p.phase === 'reading') {
    const rows = `${fmtInt(p.rowsAccepted)} rows accepted, ${fmtInt(p.rowsRejected)} rejected`;
    return `${p.file ?? ''} — ${fmtBytes(p.bytesRead)} of ${fmtBytes(p.totalBytes)}; ${rows}`;
  }
  if (p.phase === 'indexing') return `${fmtInt(p.rowsAccepted)} rows accepted, ${fmtInt(p.rowsRejected)} rejected`;
  return `${p.shardsWritten} of ${p.shardsTotal} shards written`;
}

/** Own data: upload, validation report, stored corpora with statistics and BM25 baselines. */
export function CorpusPanel() {
  const [corpora, setCorpora] = useState<CorpusRecord[] | null>(null);
  const [storage, setStorage] = useState<StorageInfo | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [upload, setUpload] = useState<Upload>({ state: 'idle' });
  const [dragging, setDragging] = useState(false);
  const [name, setName] = useState('');
  const abortRef = useRef<AbortController | null>(null);
  const [uploads, setUploads] = useState(0);
  const folderRef = useRef<HTMLInputElement>(null);
  const ids = { status: useId(), name: useId(), files: useId(), folder: useId(), help: useId() };

  const refresh = useCallback(async () => {
    const engine = getIngestEngine();
    try {
      const [{ corpora }, storage] = await Promise.all([engine.call('listCorpora', {}), engine.call('storageEstimate', {})]);
      setCorpora(corpora);
      setStorage(storage);
      setListError(null);
    } catch (e) {
      setListError(`${(e as Error).name}: ${(e as Error).message}`);
    }
  }, []);

  useEffect(() => {
    let live = true;
    getIngestEngine()
      .call('ensureBuiltinWorld', {})
      .then(() => {
        if (live) void refresh();
      })
      .catch((e: Error) => {
        if (live) setListError(`The built-in corpus could not be prepared: ${e.name}: ${e.message}`);
      });
    return () => {
      live = false;
    };
  }, [refresh]);

  // Folder picking is a non-standard attribute React does not type.
  useEffect(() => {
    folderRef.current?.setAttribute('webkitdirectory', '');
  }, []);

  const start = async (files: PickedFile[]) => {
    if (files.length === 0 || upload.state === 'running') return;
    const controller = new AbortController();
    abortRef.current = controller;
    const bytes = files.reduce((s, f) => s + f.file.size, 0);
    const seq = uploads + 1;
    setUploads(seq);
    setUpload({ state: 'running', seq, files: files.length, bytes, progress: null, cancelling: false });
    try {
      const { corpus, report } = await getIngestEngine().call(
        'ingest',
        { files: toIngestFiles(files), name: name.trim() || undefined, debugFailAfterShards: debugFailAfterShards() },
        {
          signal: controller.signal,
          onProgress: (p) => setUpload((u) => (u.state === 'running' ? { ...u, progress: p } : u)),
        },
      );
      setUpload({ state: 'done', seq, corpus, report });
      // The user chose to keep data here: ask the browser not to evict it.
      await requestPersistence();
    } catch (e) {
      setUpload({ state: 'failed', seq, error: showError(e), cancelled: (e as Error).name === 'CancelledError' });
    } finally {
      abortRef.current = null;
      await refresh();
    }
  };

  const cancel = () => {
    abortRef.current?.abort();
    setUpload((u) => (u.state === 'running' ? { ...u, cancelling: true } : u));
  };

  const onDrop = async (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    if (upload.state === 'running') return;
    await start(await fromDataTransfer(e.dataTransfer));
  };

  const remove = async (c: CorpusRecord) => {
    try {
      await getIngestEngine().call('deleteCorpus', { id: c.id });
      if (upload.state === 'done' && upload.corpus.id === c.id) setUpload({ state: 'idle' });
    } catch (e) {
      setListError(`Could not delete “${c.name}”: ${(e as Error).message}`);
    }
    await refresh();
  };

  const running = upload.state === 'running';
  return (
    <section className="panel" aria-labelledby="corpus-title" data-testid="corpus-panel" data-uploads={uploads}>
      <h2 id="corpus-title">Corpora</h2>
      <Explain>
        <p>
          A retrieval <strong>corpus</strong> is a set of documents, a set of queries, and relevance judgments
          (“qrels”: which documents answer which query), split into train, dev and test queries. The lab starts with
          a built-in synthetic world (<code>world:default</code>) and reads your own files in three layouts:
        </p>
        <ul>
          <li>
            <strong>BEIR</strong>: <code>corpus.jsonl</code> (one <code>{'{"_id", "title", "text"}'}</code> per line),{' '}
            <code>queries.jsonl</code> (<code>{'{"_id", "text"}'}</code>) and <code>qrels/train.tsv</code>,{' '}
            <code>dev.tsv</code>, <code>test.tsv</code> (<code>query-id corpus-id score</code>, tab-separated, with that
            header).
          </li>
          <li>
            <strong>MS MARCO</strong>: <code>collection.tsv</code> (<code>pid text</code>), <code>queries.train.tsv</code>{' '}
            / <code>queries.dev.tsv</code> (<code>qid text</code>) and TREC qrels (<code>qid 0 pid rel</code>); optional
            hard negatives or training triples.
          </li>
          <li>
            <strong>CSV/TSV</strong>: tables whose header names the columns — documents (<code>id, title, text</code>),
            queries (<code>qid, query</code>), judgments (<code>qid, docid, score</code>) or{' '}
            <code>query, passage</code> pairs; the split comes from a <code>split</code> column or the file name.
          </li>
        </ul>
        <p>
          Files are read as a stream in a background worker, so large files never freeze the page. Every rejected row
          is listed with its file, line and reason. An upload is all or nothing: it becomes visible only once every
          part is stored, and a cancelled or failed upload (including a full disk) leaves every stored corpus exactly
          as it was. Everything stays in this browser (IndexedDB); nothing is sent anywhere.
        </p>
        <p>
          <strong>BM25</strong> is the classic word-matching ranker: a document scores for each query word it
          contains, more for rare words and repeated ones, less for long documents (Anserini’s settings, k1 = 0.9, b =
          0.4). It needs no training, so it is the <strong>baseline to beat</strong>: a dense student worth distilling
          should rank better than BM25. Its scores: <strong>MRR@10</strong> (how high the first relevant document
          ranks), <strong>nDCG@10</strong> (graded relevance of the top ten, discounted by rank), <strong>Recall@100</strong>{' '}
          (share of relevant documents found in the top 100) and <strong>MAP</strong> (mean average precision).
        </p>
      </Explain>

      <div
        className={`corpus-dropzone${dragging ? ' dragging' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          if (!running) setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => void onDrop(e)}
        aria-describedby={ids.help}
      >
        <p id={ids.help}>Drop corpus files or a whole folder here, or choose them:</p>
        <div className="corpus-inputs">
          <label htmlFor={ids.files}>Files</label>
          <input
            id={ids.files}
            type="file"
            multiple
            disabled={running}
            data-testid="file-input"
            onChange={(e) => {
              const files = fromFileList(e.currentTarget.files);
              e.currentTarget.value = '';
              void start(files);
            }}
          />
          <label htmlFor={ids.folder}>Folder</label>
          <input
            id={ids.folder}
            ref={folderRef}
            type="file"
            disabled={running}
            data-testid="folder-input"
            onChange={(e) => {
              const files = fromFileList(e.currentTarget.files);
              e.currentTarget.value = '';
              void start(files);
            }}
          />
          <label htmlFor={ids.name}>Name (optional)</label>
          <input
            id={ids.name}
            type="text"
            value={name}
            placeholder="from the folder or file name"
            disabled={running}
            onChange={(e) => setName(e.currentTarget.value)}
            data-testid="corpus-name"
          />
        </div>
      </div>

      {upload.state === 'running' && (
        <div className="corpus-progress" data-testid="ingest-running" data-seq={upload.seq}>
          <p role="status" id={ids.status}>
            {upload.cancelling ? 'Cancelling…' : phaseText(upload.progress)}{' '}
            <span className="fine">
              ({fmtInt(upload.files)} file{upload.files === 1 ? '' : 's'}, {fmtBytes(upload.bytes)})
            </span>
          </p>
          <progress
            max={1}
            value={fraction(upload.progress)}
            aria-label="Upload progress"
            aria-describedby={ids.status}
            data-testid="ingest-progress"
          />
          <span className="fine" data-testid="ingest-detail">
            {detailText(upload.progress)}
          </span>
          <button type="button" onClick={cancel} disabled={upload.cancelling} data-testid="ingest-cancel">
            Cancel
          </button>
        </div>
      )}

      {upload.state === 'failed' && (
        <div role="alert" className="corpus-error" data-testid="ingest-error" data-seq={upload.seq} data-error-name={upload.error.name}>
          <p>
            <strong>{upload.cancelled ? 'Upload cancelled.' : 'Upload rejected.'}</strong>{' '}
            {upload.error.where && (
              <>
                <span data-testid="ingest-error-where">{upload.error.where}</span>:{' '}
              </>
            )}
            <span data-testid="ingest-error-reason">{upload.error.reason}</span>
          </p>
          <p className="fine">
            {upload.cancelled ? '' : `(${upload.error.name}) `}Nothing was stored, and the corpora already stored are
            unchanged.
          </p>
        </div>
      )}

      {upload.state === 'done' && (
        <div className="corpus-result" data-testid="ingest-result" data-seq={upload.seq} data-corpus-id={upload.corpus.id}>
          <p role="status">
            Stored “{upload.corpus.name}”: {fmtInt(upload.corpus.counts.docs)} documents and {fmtInt(upload.corpus.counts.queries)}{' '}
            queries.
          </p>
          <BaselineTable baseline={upload.corpus.baseline} corpusName={upload.corpus.name} />
          <ReportView report={upload.report} />
        </div>
      )}

      {listError && (
        <p role="alert" className="error" data-testid="corpus-list-error">
          {listError}
        </p>
      )}
      {corpora === null && !listError && (
        <p role="status" data-testid="corpus-loading">
          Preparing the built-in corpus…
        </p>
      )}
      {corpora !== null && <CorpusList corpora={corpora} storage={storage} onDelete={remove} />}
      {storage && storage.persisted !== true && (
        <p className="fine">
          <button type="button" onClick={() => void requestPersistence().then(refresh)} data-testid="storage-persist">
            Ask the browser to keep this data
          </button>{' '}
          Without it, the browser may clear the lab’s storage when the disk runs low.
        </p>
      )}
    </section>
  );
}
