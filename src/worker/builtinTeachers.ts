// The teachers shipped with the lab (public/teachers/<name>/: config.json, vocab.txt,
// model.safetensors, trained by the lab's own command line; README "Shipped teachers"). A run
// names one as `builtin:<name>`; the worker fetches its three files from the app's own origin
// (no other network) and imports them like any Hugging Face checkpoint.
import { ConfigError } from '../core/errors';
import { importHuggingFace } from '../core/model/hf';
import type { RetrievalModel } from '../core/model/retriever';

export const BUILTIN = 'builtin:';

/** The shipped teachers: the world preset each was trained on, and its kind. */
export const BUILTIN_TEACHERS: Record<string, { world: string; kind: 'de' | 'ce'; label: string }> = {
  'world-default-de': { world: 'world:default', kind: 'de', label: 'DE teacher (4 x 128) trained on world:default' },
  'world-default-ce': { world: 'world:default', kind: 'ce', label: 'CE teacher (4 x 128) trained on world:default' },
};

/** Where the app serves its static files from (Vite's base; '/' in the tests and the CLI). */
function baseUrl(): string {
  const env = (import.meta as unknown as { env?: { BASE_URL?: string } }).env;
  return env?.BASE_URL ?? '/';
}

/** Loads a shipped teacher by name; a name that is not shipped is a ConfigError. */
export async function loadBuiltinTeacher(name: string, fetcher: typeof fetch = fetch): Promise<RetrievalModel> {
  if (!(name in BUILTIN_TEACHERS)) {
    throw new ConfigError(`there is no shipped teacher "${name}" (shipped: ${Object.keys(BUILTIN_TEACHERS).join(', ')})`, { field: 'teacher' });
  }
  const get = async (file: string) => {
    const url = `${baseUrl()}teachers/${name}/${file}`;
    const res = await fetcher(url);
    if (!res.ok) throw new ConfigError(`shipped teacher ${name}: ${file} could not be loaded from ${url} (HTTP ${res.status})`, { field: 'teacher' });
    return res;
  };
  const [config, vocab, weights] = await Promise.all([get('config.json'), get('vocab.txt'), get('model.safetensors')]);
  return importHuggingFace({ configJson: await config.text(), vocabTxt: await vocab.text(), safetensors: new Uint8Array(await weights.arrayBuffer()) });
}
