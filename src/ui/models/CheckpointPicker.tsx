import { useId, useState } from 'react';

/** The three files of a Hugging Face BERT-family checkpoint. */
export interface HfCheckpointFiles {
  config: File;
  vocab: File;
  weights: File;
}

export type ImportState =
  | { state: 'idle' }
  | { state: 'importing'; message: string }
  | { state: 'done'; message: string }
  | { state: 'failed'; message: string };

/** Sorts chosen files into config.json, vocab.txt and *.safetensors (by name; folders allowed). */
export function sortCheckpointFiles(files: readonly File[]): { found: Partial<HfCheckpointFiles>; ignored: string[]; problems: string[] } {
  const found: Partial<HfCheckpointFiles> = {};
  const ignored: string[] = [];
  const problems: string[] = [];
  for (const f of files) {
    const name = f.name.toLowerCase();
    const slot: keyof HfCheckpointFiles | null = name === 'config.json' ? 'config' : name === 'vocab.txt' ? 'vocab' : name.endsWith('.safetensors') ? 'weights' : null;
    if (!slot) {
      ignored.push(f.name);
      continue;
    }
    if (found[slot]) problems.push(`two ${slot === 'weights' ? '.safetensors' : name} files (${found[slot]!.name} and ${f.name}): choose one`);
    else found[slot] = f;
  }
  return { found, ignored, problems };
}

/**
 * Chooses a checkpoint's files and hands them on; the import itself (parsing, the `bert.`
 * prefix, a classification head becoming a CE head) runs in a worker.
 */
export function CheckpointPicker({ onImport, status = { state: 'idle' } }: { onImport?: (files: HfCheckpointFiles) => void; status?: ImportState }) {
  const id = useId();
  const [chosen, setChosen] = useState<File[]>([]);
  const { found, ignored, problems } = sortCheckpointFiles(chosen);
  const complete = found.config && found.vocab && found.weights && problems.length === 0;
  const row = (label: string, f: File | undefined) => (
    <li className={f ? 'ok' : 'missing'}>
      <span aria-hidden="true">{f ? '✓' : '○'}</span> {label}: {f ? `${f.name} (${(f.size / 1024).toFixed(f.size < 10240 ? 1 : 0)} KiB)` : 'not chosen'}
    </li>
  );
  return (
    <div className="checkpoint-picker" data-testid="checkpoint-picker">
      <label htmlFor={id}>Hugging Face checkpoint files</label>
      <input
        id={id}
        type="file"
        multiple
        accept=".json,.txt,.safetensors"
        onChange={(e) => setChosen(Array.from(e.target.files ?? []))}
        aria-describedby={`${id}-hint`}
        data-testid="checkpoint-input"
      />
      <p className="field-hint" id={`${id}-hint`}>
        Choose config.json, vocab.txt and model.safetensors together (a BERT-family model; with or without the <code>bert.</code>{' '}
        prefix; a sequence-classification head becomes a cross-encoder head).
      </p>
      <ul className="file-checklist" aria-label="Checkpoint files">
        {row('config.json', found.config)}
        {row('vocab.txt', found.vocab)}
        {row('model.safetensors', found.weights)}
      </ul>
      {ignored.length > 0 && <p className="fine">Ignored: {ignored.join(', ')}.</p>}
      {problems.map((p) => (
        <p key={p} className="field-error">
          {p}
        </p>
      ))}
      <button type="button" disabled={!complete || !onImport || status.state === 'importing'} onClick={() => complete && onImport?.(found as HfCheckpointFiles)} data-testid="checkpoint-import">
        Import as teacher
      </button>
      {!onImport && <p className="fine">Importing needs the model worker, which this page has not connected.</p>}
      {status.state !== 'idle' && (
        <p role={status.state === 'failed' ? 'alert' : 'status'} className={status.state === 'failed' ? 'error' : undefined}>
          {status.message}
        </p>
      )}
    </div>
  );
}
