import { useId, useState } from 'react';
import { Explain } from '../Explain';
import { downloadText, safeFileName } from '../download';
import { configFromSearch, configUrl, runConfigFromJson, runConfigToJson, type RunConfig } from '../config/runConfig';

/** Reads a pasted run config: JSON text, a full address with ?config=, or just the query. */
export function parseConfigInput(text: string): { config: RunConfig } | { error: string } {
  const t = text.trim();
  if (!t) return { error: 'Paste a run config (JSON) or a shared link first.' };
  if (t.startsWith('{')) {
    try {
      return { config: runConfigFromJson(t) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  }
  const found = configFromSearch(t);
  return found ?? { error: 'This is neither JSON nor a link with ?config=.' };
}

/** Export the run config as a file and a link; import either back, validated. */
export function ConfigShare({ config, onLoad, pageUrl }: { config: RunConfig; onLoad: (c: RunConfig) => void; pageUrl: string }) {
  const fileId = useId();
  const pasteId = useId();
  const [paste, setPaste] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const link = configUrl(pageUrl, config);
  const load = (r: { config: RunConfig } | { error: string }, from: string) => {
    if ('config' in r) {
      onLoad(r.config);
      setMessage({ ok: true, text: `Loaded “${r.config.name}” from ${from}.` });
    } else setMessage({ ok: false, text: `Could not load ${from}: ${r.error}` });
  };
  return (
    <section className="panel" aria-labelledby="share-title" data-testid="config-share">
      <h2 id="share-title">Share and reproduce</h2>
      <Explain>
        The run config is one object: models, tokenizers, recipe, training settings and the seed. The same config on the same
        corpus gives the same run, so a file or a link is enough to reproduce it. Anything loaded is validated first; an error
        names the field that is wrong.
      </Explain>
      <div className="button-row">
        <button type="button" onClick={() => downloadText(runConfigToJson(config), `distill-lab-run-${safeFileName(config.name)}.json`, 'application/json')} data-testid="export-config">
          Download run config (JSON)
        </button>
        <button
          type="button"
          onClick={() => {
            navigator.clipboard?.writeText(link).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          Copy link
        </button>
        {copied && <span role="status">Link copied.</span>}
      </div>
      <div className="field">
        <label htmlFor={`${fileId}-link`}>Shareable link</label>
        <input id={`${fileId}-link`} type="text" readOnly value={link} onFocus={(e) => e.currentTarget.select()} data-testid="config-link" />
      </div>
      <div className="field">
        <label htmlFor={fileId}>Load a run config file</label>
        <input
          id={fileId}
          type="file"
          accept=".json,application/json"
          data-testid="import-config-file"
          onChange={async (e) => {
            const f = e.target.files?.[0];
            if (!f) return;
            try {
              load({ config: runConfigFromJson(await f.text()) }, f.name);
            } catch (err) {
              load({ error: (err as Error).message }, f.name);
            }
            e.target.value = '';
          }}
        />
      </div>
      <div className="field">
        <label htmlFor={pasteId}>Or paste a link or JSON</label>
        <textarea id={pasteId} rows={3} value={paste} onChange={(e) => setPaste(e.target.value)} data-testid="import-config-text" />
        <div className="button-row">
          <button type="button" onClick={() => load(parseConfigInput(paste), 'the pasted text')} data-testid="import-config-apply">
            Load
          </button>
        </div>
      </div>
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? 'ok' : 'error'} data-testid="import-config-message">
          {message.text}
        </p>
      )}
    </section>
  );
}
