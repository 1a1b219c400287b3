// Teachers served with the lab: public/teachers/<name>/ holds a checkpoint the lab's command
// line wrote (`npm run lab -- ... --save-teacher public/teachers/<name>`: config.json,
// vocab.txt, model.safetensors). A run names one as `builtin:<name>`; the worker fetches its
// three files from the app's own origin (no other network) and imports them like any Hugging
// Face checkpoint; the CLI reads the folder.
import { ConfigError } from '../core/errors';
import { importHuggingFace } from '../core/model/hf';
import type { RetrievalModel } from '../core/model/retriever';

export const BUILTIN = 'builtin:';

/** Where the app serves its static files from (Vite's base; '/' in the tests and the CLI). */
function baseUrl(): string {
  const env = (import.meta as unknown as { env?: { BASE_URL?: string } }).env;
  return env?.BASE_URL ?? '/';
}

/** Loads a served teacher by folder name; a missing file is a ConfigError naming it. */
export async function loadBuiltinTeacher(name: string, fetcher: typeof fetch = fetch): Promise<RetrievalModel> {
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name)) throw new ConfigError(`"${name}" is not a teacher folder name (letters, digits, . _ -)`, { field: 'teacher' });
  const get = async (file: string) => {
    const url = `${baseUrl()}teachers/${name}/${file}`;
    const res = await fetcher(url);
    if (!res.ok) throw new ConfigError(`teacher ${name}: ${file} could not be loaded from ${url} (HTTP ${res.status})`, { field: 'teacher' });
    return res;
  };
  const [config, vocab, weights] = await Promise.all([get('config.json'), get('vocab.txt'), get('model.safetensors')]);
  return importHuggingFace({ configJson: await config.text(), vocabTxt: await vocab.text(), safetensors: new Uint8Array(await weights.arrayBuffer()) });
}
