// Import from the Hugging Face Hub by name: `owner/name[@revision]`, the endpoint, an optional
// access token (kept in this browser only when asked), the files with their sizes and one
// progress bar each, Cancel. The download, the checks and the import run in the worker
// (importHubModel); the page makes no request until Download is pressed.
import { useId, useRef, useState } from 'react';
import { getEngine } from '../engineClient';
import type { ModelSummary } from '../../worker/protocol';
import { describeModel } from './useModels';

const ENDPOINT_KEY = 'distill-lab.hubEndpoint';
const TOKEN_KEY = 'distill-lab.hubToken';
const DEFAULT_ENDPOINT = 'https://huggingface.co';

function stored(key: string): string {
  try {
    return localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

function fmtBytes(n: number | undefined): string {
  if (n === undefined) return 'size unknown';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

interface FileRow {
  path: string;
  size?: number;
  loaded: number;
}

type Status =
  | { state: 'idle' }
  | { state: 'downloading' }
  | { state: 'done'; message: string }
  | { state: 'failed'; message: string };

export function HubImport({ onImported }: { onImported?: (m: ModelSummary) => void }) {
  const id = useId();
  const [spec, setSpec] = useState('');
  const [endpoint, setEndpoint] = useState(() => stored(ENDPOINT_KEY) || DEFAULT_ENDPOINT);
  const [token, setToken] = useState(() => stored(TOKEN_KEY));
  const [remember, setRemember] = useState(() => stored(TOKEN_KEY) !== '');
  const [files, setFiles] = useState<FileRow[]>([]);
  const [status, setStatus] = useState<Status>({ state: 'idle' });
  const abort = useRef<AbortController | null>(null);
  const valid = /^\s*[A-Za-z0-9][\w.-]*\/[\w.-]+(@\S+)?\s*$/.test(spec);

  const start = async () => {
    const ac = new AbortController();
    abort.current = ac;
    setFiles([]);
    setStatus({ state: 'downloading' });
    try {
      localStorage.setItem(ENDPOINT_KEY, endpoint.trim());
      if (remember && token) localStorage.setItem(TOKEN_KEY, token);
      else localStorage.removeItem(TOKEN_KEY);
    } catch {
      // storage unavailable (private mode): the settings just are not remembered
    }
    try {
      const m = await getEngine().call(
        'importHubModel',
        { spec: spec.trim(), endpoint: endpoint.trim() || DEFAULT_ENDPOINT, ...(token.trim() ? { token: token.trim() } : {}) },
        {
          signal: ac.signal,
          onProgress: (p) => {
            if (p.kind === 'listing') setFiles(p.files.map((f) => ({ path: f.path, size: f.size, loaded: 0 })));
            else setFiles((rows) => rows.map((r) => (r.path === p.file ? { ...r, loaded: p.loaded, size: r.size ?? p.total } : r)));
          },
        },
      );
      setStatus({
        state: 'done',
        message: m.fromLibrary
          ? `“${m.name}” is already in the model library (commit ${m.hub?.sha.slice(0, 12) ?? '?'}): nothing was downloaded.`
          : `Imported “${m.name}” (commit ${m.hub?.sha.slice(0, 12) ?? '?'}): ${describeModel(m)}. It is in the model library below.`,
      });
      onImported?.(m);
    } catch (e) {
      const err = e as Error;
      setStatus({ state: 'failed', message: err.name === 'CancelledError' ? 'Download cancelled; nothing was stored.' : `Not imported, nothing was stored. ${err.name}: ${err.message}` });
    } finally {
      abort.current = null;
    }
  };

  const busy = status.state === 'downloading';
  return (
    <div className="hub-import" data-testid="hub-import">
      <h3>From the Hugging Face Hub</h3>
      <label htmlFor={`${id}-spec`}>Model name</label>{' '}
      <input
        id={`${id}-spec`}
        type="text"
        placeholder="owner/name or owner/name@revision"
        value={spec}
        onChange={(e) => setSpec(e.target.value)}
        aria-describedby={`${id}-hint`}
        data-testid="hub-spec"
        spellCheck={false}
      />
      <p className="field-hint" id={`${id}-hint`}>
        A BERT or DistilBERT model with model.safetensors, e.g. sentence-transformers/all-MiniLM-L6-v2, BAAI/bge-small-en-v1.5 or
        intfloat/e5-small-v2 (its query/passage prompts come along). Every file is checked against the sizes and sha256 the Hub
        states before anything is stored; a revision imported before is taken from the library without any request.
      </p>
      <details>
        <summary>Endpoint and access token</summary>
        <div className="field">
          <label htmlFor={`${id}-endpoint`}>Endpoint</label>
          <input id={`${id}-endpoint`} type="url" value={endpoint} onChange={(e) => setEndpoint(e.target.value)} data-testid="hub-endpoint" spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-token`}>Access token (gated or private models)</label>
          <input id={`${id}-token`} type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} data-testid="hub-token" placeholder="hf_… (optional)" />
        </div>
        <label>
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} data-testid="hub-remember" /> Remember the token in this
          browser
        </label>
        <p className="fine">The token is sent only to the endpoint above, only with this download, and stored only if you tick the box.</p>
      </details>
      <div className="button-row">
        <button type="button" disabled={!valid || busy} onClick={() => void start()} data-testid="hub-download">
          Download and import
        </button>
        <button type="button" disabled={!busy} onClick={() => abort.current?.abort()} data-testid="hub-cancel">
          Cancel
        </button>
      </div>
      {files.length > 0 && (
        <table className="data-table" data-testid="hub-files">
          <caption>Files of the checkpoint</caption>
          <thead>
            <tr>
              <th scope="col">file</th>
              <th scope="col">size</th>
              <th scope="col">downloaded</th>
            </tr>
          </thead>
          <tbody>
            {files.map((f) => (
              <tr key={f.path}>
                <td>{f.path}</td>
                <td>{fmtBytes(f.size)}</td>
                <td>
                  <progress max={f.size ?? 1} value={f.size ? Math.min(f.loaded, f.size) : f.loaded > 0 ? 1 : 0} aria-label={`${f.path} downloaded`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {status.state === 'downloading' && <p role="status">Downloading and checking…</p>}
      {(status.state === 'done' || status.state === 'failed') && (
        <p role={status.state === 'failed' ? 'alert' : 'status'} className={status.state === 'failed' ? 'error' : undefined} data-testid="hub-status">
          {status.message}
        </p>
      )}
    </div>
  );
}
