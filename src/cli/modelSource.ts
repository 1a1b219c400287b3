// Models for the command line: `hf:owner/name[@rev]` from the Hugging Face Hub (HF_ENDPOINT,
// HF_TOKEN) through a cache folder, or a checkpoint folder on disk (sentence-transformers or
// Hugging Face layout). Both end in st.ts's importModelFolder.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { CheckpointError } from '../core/errors';
import { DEFAULT_HUB_ENDPOINT, downloadHubFolder, type HubCache, type HubFile, type HubOptions } from '../core/hub/hub';
import { importModelFolder, type FolderImportInfo, type ImportOptions, type ModelFolder, type RetrievalModel } from '../core/model';

/** The cache folder: DISTILL_LAB_CACHE, else $XDG_CACHE_HOME/distill-lab, else ~/.cache/distill-lab. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DISTILL_LAB_CACHE) return path.resolve(env.DISTILL_LAB_CACHE);
  return path.join(env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(homedir(), '.cache'), 'distill-lab');
}

/** Every file under dir, by '/'-separated relative path. */
export function readFolder(dir: string): ModelFolder {
  const out: ModelFolder = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      if (name.startsWith('.')) continue; // .git, .cache
      const p = path.join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else {
        const buf = readFileSync(p);
        out[path.relative(dir, p).split(path.sep).join('/')] = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      }
    }
  };
  walk(dir);
  return out;
}

/**
 * A HubCache in a folder: one directory per (endpoint, repo, revision) holding the files and
 * a manifest.json written last; a folder is written to a temporary name and renamed, so a
 * crash or a refused download leaves no entry.
 */
export function folderHubCache(root = cacheRoot()): HubCache {
  const dirOf = (key: string) => {
    const [endpoint, repo, revision] = key.split('|');
    const host = endpoint.replace(/^https?:\/\//, '').replace(/[^\w.-]+/g, '_');
    return path.join(root, 'hub', host, ...repo.split('/').map(encodeURIComponent), encodeURIComponent(revision));
  };
  const aliasOf = (key: string) => path.join(dirOf(key), 'alias.json');
  return {
    async get(key) {
      let dir = dirOf(key);
      if (existsSync(aliasOf(key))) {
        try {
          dir = dirOf((JSON.parse(readFileSync(aliasOf(key), 'utf8')) as { target: string }).target);
        } catch {
          return null;
        }
      }
      const mf = path.join(dir, 'manifest.json');
      if (!existsSync(mf)) return null;
      try {
        const m = JSON.parse(readFileSync(mf, 'utf8')) as { sha: string; listing: HubFile[]; files: string[] };
        const files: ModelFolder = {};
        for (const f of m.files) {
          const buf = readFileSync(path.join(dir, 'files', ...f.split('/')));
          files[f] = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
        }
        return { sha: m.sha, listing: m.listing, files };
      } catch {
        return null; // damaged entry: download again
      }
    },
    async link(alias, target) {
      // A branch or tag: a small file naming the commit's entry (no second copy of the weights).
      const dir = dirOf(alias);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(aliasOf(alias), JSON.stringify({ target }));
    },
    async put(key, value) {
      const dir = dirOf(key);
      const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
      try {
        for (const [f, v] of Object.entries(value.files)) {
          const p = path.join(tmp, 'files', ...f.split('/'));
          mkdirSync(path.dirname(p), { recursive: true });
          writeFileSync(p, typeof v === 'string' ? v : new Uint8Array(v instanceof ArrayBuffer ? v : v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength)));
        }
        writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify({ sha: value.sha, listing: value.listing, files: Object.keys(value.files) }, null, 1));
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(path.dirname(dir), { recursive: true });
        renameSync(tmp, dir);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}

export interface LoadModelOptions extends ImportOptions {
  log?: (msg: string) => void;
  /** Defaults: HF_ENDPOINT, HF_TOKEN, the cache folder, global fetch. */
  hub?: Partial<HubOptions>;
}

/** `hf:owner/name[@rev]` or a folder -> an imported model, with what import found. */
export async function loadModel(spec: string, opts: LoadModelOptions = {}): Promise<{ model: RetrievalModel; info: FolderImportInfo; source: string }> {
  const log = opts.log ?? (() => {});
  let files: ModelFolder;
  let source: string;
  if (spec.startsWith('hf:')) {
    const endpoint = opts.hub?.endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_HUB_ENDPOINT;
    const token = opts.hub?.token ?? process.env.HF_TOKEN;
    let lastLog = 0;
    const folder = await downloadHubFolder(spec, {
      fetch: (url, init) => fetch(url, init),
      endpoint,
      ...(token ? { token } : {}),
      cache: folderHubCache(),
      ...opts.hub,
      onProgress: (p) => {
        const now = Date.now();
        if (now - lastLog < 2000 && p.loaded !== p.total) return;
        lastLog = now;
        if (p.total && p.total > 1 << 20) log(`  ${p.file}: ${(p.loaded / 2 ** 20).toFixed(1)} / ${(p.total / 2 ** 20).toFixed(1)} MiB`);
      },
    });
    files = folder.files;
    source = `${folder.repo}@${folder.sha.slice(0, 12)}${folder.fromCache ? ' (cached)' : ''}`;
    log(`${spec}: ${folder.fromCache ? 'from the cache' : `downloaded ${folder.listing.length} files`} (commit ${folder.sha})`);
  } else {
    const dir = path.resolve(spec);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new CheckpointError(`${spec} is not a folder (use a checkpoint folder, or hf:owner/name[@revision] for the Hugging Face Hub)`, { file: spec });
    }
    files = readFolder(dir);
    source = dir;
  }
  const { hub: _h, log: _l, ...importOpts } = opts;
  const { model, info } = importModelFolder(files, importOpts);
  return { model, info, source };
}

/**
 * The experiment's ModelSpec fields for a pretrained teacher (`--teacher SPEC`): its own
 * architecture and vocabulary size, `pretrained: SPEC` (loaded again by the hooks'
 * loadPretrained: loadModel, from the cache). Refuses a CE: the first teacher scores queries
 * against passages separately.
 */
export async function pretrainedTeacherSpec(spec: string, log?: (m: string) => void) {
  const { model, info, source } = await loadModel(spec, { log });
  const { vocabSize, ...arch } = model.config;
  model.dispose();
  if (arch.kind === 'ce') throw new CheckpointError(`--teacher ${spec} is a cross encoder: the first teacher must be a DE or CB`, { file: spec });
  log?.(`teacher ${spec} (${source}): ${info.format} ${info.modelType}, ${arch.layers} layers, hidden ${arch.hidden}, ${arch.kind === 'de' ? `${arch.pooling} pooling, ${arch.similarity}` : arch.kind}`);
  return {
    name: `teacher ${spec}`,
    model: arch,
    tokenizer: { kind: 'wordpiece' as const, vocabSize },
    pretrained: spec,
  };
}
