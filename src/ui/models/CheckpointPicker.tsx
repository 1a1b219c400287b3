import { useId, useState } from 'react';

/**
 * A checkpoint's files: config.json, the vocabulary (vocab.txt, or tokenizer.json among the
 * extras), the weights, and the other files of a sentence-transformers folder by their path in it.
 */
export interface HfCheckpointFiles {
  config: File;
  vocab?: File;
  weights: File;
  extra?: { path: string; file: File }[];
}

/** The sentence-transformers and tokenizer files import reads besides config.json, vocab.txt and the weights. */
const EXTRA_FILES = new Set([
  'modules.json', 'config_sentence_transformers.json', 'sentence_bert_config.json', 'tokenizer.json', 'tokenizer_config.json',
  'special_tokens_map.json',
]);

/** A file's path inside the chosen folder ('1_Pooling/config.json'), or its name when chosen alone. */
function pathInFolder(f: File): string {
  const rel = f.webkitRelativePath || '';
  const parts = rel.split('/');
  return parts.length > 1 ? parts.slice(1).join('/') : f.name;
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
    const path = pathInFolder(f);
    const name = f.name.toLowerCase();
    // A sentence-transformers folder: modules.json, 1_Pooling/config.json, tokenizer.json, ...
    if (EXTRA_FILES.has(path) || (path.includes('/') && name === 'config.json' && /pooling/i.test(path))) {
      (found.extra ??= []).push({ path, file: f });
      continue;
    }
    if (path.includes('/')) {
      ignored.push(path);
      continue;
    }
    if (name === 'pytorch_model.bin') {
      problems.push('pytorch_model.bin is a Python pickle (loading it can run code): the lab reads model.safetensors only. Convert it with safetensors (save_file) or transformers (save_pretrained(..., safe_serialization=True))');
      continue;
    }
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
  const tokenizerJson = found.extra?.find((e) => e.path === 'tokenizer.json')?.file;
  const complete = found.config && (found.vocab || tokenizerJson) && found.weights && problems.length === 0;
  const folderProps = { webkitdirectory: '', directory: '' } as Record<string, string>;
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
      <label className="small">
        or a whole folder{' '}
        <input type="file" {...folderProps} onChange={(e) => setChosen(Array.from(e.target.files ?? []))} data-testid="checkpoint-folder-input" />
      </label>
      <p className="field-hint" id={`${id}-hint`}>
        Choose config.json, vocab.txt and model.safetensors together, or a whole sentence-transformers folder (modules.json,
        1_Pooling, tokenizer.json: its pooling, normalisation, similarity, prompts and max_seq_length come along). BERT and
        DistilBERT models; with or without the <code>bert.</code> prefix; a sequence-classification head becomes a cross-encoder
        head. Weights in F32, F16 or BF16 safetensors.
      </p>
      <ul className="file-checklist" aria-label="Checkpoint files">
        {row('config.json', found.config)}
        {found.vocab || !tokenizerJson ? row('vocab.txt', found.vocab) : row('vocabulary (tokenizer.json)', tokenizerJson)}
        {row('model.safetensors', found.weights)}
      </ul>
      {found.extra && found.extra.length > 0 && <p className="fine">Sentence-transformers files: {found.extra.map((e) => e.path).join(', ')}.</p>}
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
