// The training worker's model methods: import a Hugging Face checkpoint or a
// sentence-transformers folder, from files or from the Hugging Face Hub by name (validated
// whole, then stored in one transaction), list the models the lab has (imported ones, and the final
// checkpoints of every run's teachers and students), export one as Hugging Face files, and
// evaluate one on a corpus split exactly as a run evaluates its students.
import * as tf from '@tensorflow/tfjs';
import type { Split } from '../core/data/types';
import { CheckpointError, ConfigError, DistillLabError } from '../core/errors';
import { exportHuggingFace, importHuggingFace, type HuggingFaceFiles } from '../core/model/hf';
import { exportModelFolder, importModelFolder, type ModelFolder } from '../core/model/st';
import { DEFAULT_HUB_ENDPOINT, downloadHubFolder, parseHubRef } from '../core/hub/hub';
import { RetrievalModel } from '../core/model/retriever';
import { validateModelConfig } from '../core/model/config';
import { defaultEvalSplit, evaluateModel } from '../core/retrieval/evaluate';
import { tokenizerFromJSON } from '../core/text/tokenizer';
import { decodeCheckpoint, tensorsUnder } from '../core/train/checkpoint';
import type { CheckpointMeta, ModelInfo } from '../store/schema';
import { LabStore } from '../store/store';
import { BUILTIN, loadBuiltinTeacher } from './builtinTeachers';
import { SHIPPED_TEACHERS } from '../core/model/shipped';
import { throwIfCancelled, type Handlers } from './engine';
import type { IngestFileParam, ModelSummary, Params } from './protocol';

export type ModelHandlers = Pick<Handlers, 'importModel' | 'importHubModel' | 'listModels' | 'deleteModel' | 'exportModel' | 'evaluateModel'>;

const IMPORT = 'import:';
const RUN = 'run:';

/** What the Models tab shows of a model. */
export function modelInfo(model: RetrievalModel): ModelInfo {
  const c = model.config;
  return {
    kind: c.kind,
    layers: c.layers,
    hidden: c.hidden,
    heads: c.heads,
    ffn: c.ffn,
    maxQueryLen: c.maxQueryLen,
    maxPassageLen: c.maxPassageLen,
    maxPositions: c.maxPositions,
    vocabSize: c.vocabSize,
    params: model.numParameters,
    tokenizer: model.tokenizer.kind,
  };
}

/** Checkpoint info stored with a run's final checkpoint of a model (see trainHandlers). */
export interface FinalCheckpointInfo {
  final: true;
  role: string;
  name: string;
  model: ModelInfo;
}

export function isFinalInfo(info: Record<string, unknown>): info is Record<string, unknown> & FinalCheckpointInfo {
  return info.final === true && typeof info.role === 'string' && typeof info.model === 'object' && info.model !== null;
}

/** A model of a run's final checkpoint: its config and tokenizer travel in the checkpoint's state. */
function modelFromCheckpoint(bytes: Uint8Array, label: string): RetrievalModel {
  const c = decodeCheckpoint(bytes);
  if (typeof c.state.config !== 'object' || typeof c.state.tokenizer !== 'object') {
    throw new CheckpointError(`${label} was saved without its config and tokenizer (a run from an older version of the lab); it cannot be rebuilt`);
  }
  const config = validateModelConfig(c.state.config as Record<string, unknown>);
  return RetrievalModel.fromWeights(config, tokenizerFromJSON(c.state.tokenizer), tensorsUnder(c, 'student/'));
}

function parseRunId(id: string): { runId: string; checkpoint: string } {
  const rest = id.slice(RUN.length);
  const at = rest.indexOf(':');
  if (at <= 0) throw new ConfigError(`"${id}" does not name a run's model`, { field: 'id' });
  return { runId: rest.slice(0, at), checkpoint: rest.slice(at + 1) };
}

/** Loads any model the lab knows by its ModelSummary id (the caller disposes of it). */
export async function loadStoredModel(store: LabStore, id: string): Promise<RetrievalModel> {
  if (id.startsWith(IMPORT)) {
    const modelId = id.slice(IMPORT.length);
    const rec = await store.getModel(modelId);
    if (!rec) throw new CheckpointError(`There is no imported model "${modelId}".`, { modelId });
    const files = await store.loadModelFiles(modelId);
    if (files.extraFiles) return importModelFolder(storedFolder(files)).model;
    return importHuggingFace({ configJson: files.configJson, vocabTxt: files.vocabTxt, safetensors: files.safetensors });
  }
  if (id.startsWith(BUILTIN)) return loadBuiltinTeacher(id.slice(BUILTIN.length));
  if (id.startsWith(RUN)) {
    const { runId, checkpoint } = parseRunId(id);
    const { bytes } = await store.loadCheckpoint(runId, checkpoint);
    return modelFromCheckpoint(bytes, `checkpoint "${checkpoint}" of run "${runId}"`);
  }
  throw new ConfigError(`unknown model id "${id}": expected import:<id>, run:<run>:<checkpoint> or builtin:<name>`, { field: 'id' });
}

/**
 * An import error, naming the file the user chose: the core says "config.json", "vocab.txt"
 * or "model.safetensors" (or "safetensors:"); a config value the core rejects without a
 * file name comes from config.json.
 */
function namedImportError(e: unknown, names: { config: string; vocab: string; weights: string }): Error {
  if (!(e instanceof DistillLabError)) return e instanceof Error ? e : new Error(String(e));
  const Ctor = e.constructor as new (m: string, d?: Record<string, unknown>) => DistillLabError;
  let msg = e.message;
  let file: string;
  if (/^safetensors:/.test(msg)) {
    file = names.weights;
    msg = `${names.weights}: ${msg.replace(/^safetensors:\s*/, '')}`;
  } else if (/^model\.safetensors\b/.test(msg)) {
    file = names.weights;
    msg = msg.replace(/^model\.safetensors/, names.weights);
  } else if (/^vocab\.txt\b/.test(msg)) {
    file = names.vocab;
  } else if (/^config\.json\b/.test(msg)) {
    file = names.config;
  } else if (e instanceof ConfigError || /^model config:/.test(msg)) {
    file = names.config;
    msg = `${names.config}: ${msg}`;
  } else {
    file = typeof e.details?.file === 'string' ? e.details.file : names.weights;
    if (!msg.includes(file)) msg = `${file}: ${msg}`;
  }
  return new Ctor(msg, { ...e.details, file });
}

/** A stored sentence-transformers import as the folder it came from. */
function storedFolder(f: { configJson: string; vocabTxt: string; safetensors: ArrayBuffer; extraFiles?: Record<string, string> }): ModelFolder {
  const folder: ModelFolder = { ...f.extraFiles, 'config.json': f.configJson, 'model.safetensors': f.safetensors };
  if (f.vocabTxt) folder['vocab.txt'] = f.vocabTxt;
  return folder;
}

/** Paths of a folder's text files the lab keeps beside config.json, vocab.txt and the weights. */
const isKeptText = (p: string) => /\.(json|txt)$/.test(p) && p !== 'config.json' && p !== 'vocab.txt';

async function readFiles(files: { config: IngestFileParam; vocab: IngestFileParam; weights: IngestFileParam }): Promise<HuggingFaceFiles & { bytes: ArrayBuffer }> {
  const text = async (f: IngestFileParam) => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(await f.blob.arrayBuffer());
    } catch {
      throw new CheckpointError(`${f.name}: not UTF-8 text`, { file: f.name });
    }
  };
  const bytes = await files.weights.blob.arrayBuffer();
  return { configJson: await text(files.config), vocabTxt: await text(files.vocab), safetensors: bytes, bytes };
}

function byteLength(v: ModelFolder[string] | undefined): number {
  return v === undefined ? 0 : typeof v === 'string' ? new TextEncoder().encode(v).byteLength : v.byteLength;
}

/**
 * Imports a checkpoint folder (sentence-transformers or Hugging Face) and stores it: the model
 * is built (then freed) before anything is stored; the record and files go in one transaction.
 */
async function storeFolder(
  s: LabStore,
  files: ModelFolder,
  name: string,
  fileList: { name: string; bytes: number }[],
  hub?: { endpoint: string; repo: string; revision: string; sha: string },
): Promise<ModelSummary> {
  const { model } = importModelFolder(files);
  let info: ModelInfo;
  let vocabTxt: string;
  try {
    info = modelInfo(model);
    // vocab.txt as the folder has it, else the vocabulary read from tokenizer.json (one token a line).
    const v = files['vocab.txt'];
    vocabTxt = v === undefined ? '' : typeof v === 'string' ? v : new TextDecoder().decode(v);
  } finally {
    model.dispose();
  }
  const td = new TextDecoder();
  const text = (v: ModelFolder[string]) => (typeof v === 'string' ? v : td.decode(v));
  const extraFiles: Record<string, string> = {};
  for (const [p, v] of Object.entries(files)) if (isKeptText(p)) extraFiles[p] = text(v);
  const w = files['model.safetensors'];
  const weights = typeof w === 'string' ? new TextEncoder().encode(w) : w instanceof Uint8Array ? w : new Uint8Array(w);
  const safetensors = weights.byteOffset === 0 && weights.byteLength === weights.buffer.byteLength ? (weights.buffer as ArrayBuffer) : (weights.slice().buffer as ArrayBuffer);
  const id = `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const createdAt = Date.now();
  const source = { kind: 'import' as const, files: fileList, ...(hub ? { hub } : {}) };
  await s.putModel({ id, name: name.slice(0, 120), source, info, createdAt }, { configJson: text(files['config.json']), vocabTxt, safetensors, extraFiles });
  return { id: `${IMPORT}${id}`, name: name.slice(0, 120), origin: 'import', info, createdAt, files: fileList, ...(hub ? { hub } : {}) };
}

/** importModel for a sentence-transformers folder (or a checkpoint with tokenizer.json and no vocab.txt). */
async function importFolderFiles(s: LabStore, params: Params<'importModel'>): Promise<ModelSummary> {
  const { config, vocab, weights, extra = [] } = params.files;
  if (!config || !(config.blob instanceof Blob)) throw new CheckpointError('config.json is missing: choose the checkpoint folder (or config.json, the vocabulary and model.safetensors)', { file: 'config.json' });
  if (!weights || !(weights.blob instanceof Blob)) throw new CheckpointError('model.safetensors is missing', { file: 'model.safetensors' });
  const folder: ModelFolder = {};
  const text = async (f: IngestFileParam) => {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(await f.blob.arrayBuffer());
    } catch {
      throw new CheckpointError(`${f.name}: not UTF-8 text`, { file: f.name });
    }
  };
  folder['config.json'] = await text(config);
  if (vocab) folder['vocab.txt'] = await text(vocab);
  for (const f of extra) if (isKeptText(f.name)) folder[f.name] = await text(f);
  folder['model.safetensors'] = new Uint8Array(await weights.blob.arrayBuffer());
  let cfgName: unknown;
  try {
    cfgName = (JSON.parse(folder['config.json'] as string) as Record<string, unknown>)._name_or_path;
  } catch {
    cfgName = undefined;
  }
  const name = params.name?.trim() || (typeof cfgName === 'string' && cfgName.trim()) || weights.name.replace(/\.safetensors$/i, '');
  const fileList = [config, ...(vocab ? [vocab] : []), ...extra, weights].map((f) => ({ name: f.name, bytes: f.blob.size }));
  return storeFolder(s, folder, name, fileList);
}

export function createModelHandlers(openStore: () => Promise<LabStore> = () => LabStore.open()): ModelHandlers {
  let store: Promise<LabStore> | null = null;
  const db = () => (store ??= openStore());

  return {
    async importModel(params) {
      const s = await db();
      if (params.files?.extra?.length || (params.files && !params.files.vocab)) return importFolderFiles(s, params);
      const { config, weights } = params.files ?? ({} as never);
      const vocab = params.files?.vocab as IngestFileParam; // checked just below
      for (const [slot, f] of [['config.json', config], ['vocab.txt', vocab], ['model.safetensors', weights]] as const) {
        if (!f || !(f.blob instanceof Blob)) throw new CheckpointError(`${slot} is missing: choose config.json, vocab.txt and model.safetensors together`, { file: slot });
      }
      const names = { config: config.name, vocab: vocab.name, weights: weights.name };
      let info: ModelInfo;
      let read: Awaited<ReturnType<typeof readFiles>>;
      // Everything is parsed and the model built (then freed) before a byte is stored.
      try {
        read = await readFiles({ config, vocab, weights });
        const model = importHuggingFace(read);
        try {
          info = modelInfo(model);
        } finally {
          model.dispose();
        }
      } catch (e) {
        throw namedImportError(e, names);
      }
      let cfgName: unknown;
      try {
        cfgName = (JSON.parse(read.configJson) as Record<string, unknown>)._name_or_path;
      } catch {
        cfgName = undefined;
      }
      const name = (params.name?.trim() || (typeof cfgName === 'string' && cfgName.trim()) || weights.name.replace(/\.safetensors$/i, '')).slice(0, 120);
      const id = `m-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      const fileList = [config, vocab, weights].map((f) => ({ name: f.name, bytes: f.blob.size }));
      const createdAt = Date.now();
      await s.putModel(
        { id, name, source: { kind: 'import', files: fileList }, info, createdAt },
        { configJson: read.configJson, vocabTxt: read.vocabTxt, safetensors: read.bytes },
      );
      return { id: `${IMPORT}${id}`, name, origin: 'import', info, createdAt, files: fileList };
    },

    async importHubModel(params, ctx) {
      const s = await db();
      const endpoint = (params.endpoint?.trim() || DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
      const ref = parseHubRef(params.spec);
      // Already in the library (same endpoint, repo and revision or commit): no request at all.
      const have = (await s.listModels()).find((m) => {
        const h = m.source.hub;
        return h && h.endpoint === endpoint && h.repo === ref.repo && (h.revision === ref.revision || h.sha === ref.revision);
      });
      if (have) {
        return { id: `${IMPORT}${have.id}`, name: have.name, origin: 'import', info: have.info, createdAt: have.createdAt, files: have.source.files, hub: have.source.hub, fromLibrary: true };
      }
      const folder = await downloadHubFolder(ref, {
        fetch: (url, init) => fetch(url, init),
        endpoint,
        ...(params.token ? { token: params.token } : {}),
        signal: ctx.signal,
        onListing: (files) => ctx.progress({ kind: 'listing', files: files.map((f) => ({ path: f.path, ...(f.size !== undefined ? { size: f.size } : {}) })) }),
        onProgress: (p) => ctx.progress({ kind: 'file', file: p.file, loaded: p.loaded, ...(p.total !== undefined ? { total: p.total } : {}) }),
      });
      throwIfCancelled(ctx.signal, 'download');
      const hub = { endpoint, repo: ref.repo, revision: ref.revision, sha: folder.sha };
      const fileList = folder.listing.map((f) => ({ name: f.path, bytes: f.size ?? byteLength(folder.files[f.path]) }));
      const summary = await storeFolder(s, folder.files, params.name?.trim() || (ref.revision === 'main' ? ref.repo : `${ref.repo}@${ref.revision}`), fileList, hub);
      return { ...summary, fromLibrary: false };
    },

    async listModels() {
      const s = await db();
      const out: ModelSummary[] = (await s.listModels()).map((m) => ({
        id: `${IMPORT}${m.id}`,
        name: m.name,
        origin: 'import',
        info: m.info,
        createdAt: m.createdAt,
        files: m.source.files,
        ...(m.source.hub ? { hub: m.source.hub } : {}),
      }));
      // The teachers shipped with the lab (public/teachers/): always there, never deleted.
      for (const t of SHIPPED_TEACHERS) {
        out.push({
          id: `${BUILTIN}${t.name}`,
          name: `shipped teacher ${t.name} (DE ${t.model.layers} x ${t.model.hidden})`,
          origin: 'builtin',
          info: { ...t.model, vocabSize: t.tokenizer.vocabSize, params: t.params, tokenizer: t.tokenizer.kind },
          createdAt: 0,
          shipped: { corpus: t.corpus, test: t.test, bm25: t.bm25, command: t.command },
        });
      }
      for (const run of await s.listRuns()) {
        const metas: CheckpointMeta[] = await s.listCheckpoints(run.id);
        const cfg = run.config as { evalSplit?: Split; rerankDepth?: number } | undefined;
        for (const m of metas) {
          if (!isFinalInfo(m.info)) continue;
          out.push({
            id: `${RUN}${run.id}:${m.name}`,
            name: `${m.info.name} (${run.name})`,
            origin: 'run',
            info: m.info.model,
            createdAt: m.createdAt,
            run: { runId: run.id, runName: run.name, corpusId: run.corpusId, role: m.info.role, split: cfg?.evalSplit ?? 'test', rerankDepth: cfg?.rerankDepth ?? 30 },
          });
        }
      }
      return out;
    },

    async deleteModel(params) {
      const s = await db();
      if (!params.id.startsWith(IMPORT)) throw new ConfigError(`only imported models can be deleted here; a run's models go with the run`, { field: 'id' });
      return { deleted: await s.deleteModel(params.id.slice(IMPORT.length)) };
    },

    async exportModel(params) {
      const s = await db();
      if (params.layout === 'sentence-transformers') {
        // Written from the model (st.ts): the lab's config.json, the tokenizer files and the modules.
        const model = await loadStoredModel(s, params.id);
        try {
          const { files } = await exportModelFolder(model);
          const name = params.id.startsWith(IMPORT) ? ((await s.getModel(params.id.slice(IMPORT.length)))?.name ?? params.id) : params.id.slice(RUN.length);
          const text = (v: string | Uint8Array) => (typeof v === 'string' ? v : new TextDecoder().decode(v));
          const extraFiles: Record<string, string> = {};
          for (const [p, v] of Object.entries(files)) if (isKeptText(p)) extraFiles[p] = text(v);
          return { name, configJson: text(files['config.json']), vocabTxt: text(files['vocab.txt']), safetensors: files['model.safetensors'] as Uint8Array, extraFiles };
        } finally {
          model.dispose();
        }
      }
      if (params.id.startsWith(IMPORT)) {
        // The files as imported, byte for byte.
        const modelId = params.id.slice(IMPORT.length);
        const rec = await s.getModel(modelId);
        if (!rec) throw new CheckpointError(`There is no imported model "${modelId}".`, { modelId });
        const f = await s.loadModelFiles(modelId);
        return { name: rec.name, configJson: f.configJson, vocabTxt: f.vocabTxt, safetensors: new Uint8Array(f.safetensors.slice(0)) };
      }
      const model = await loadStoredModel(s, params.id);
      try {
        const files = await exportHuggingFace(model);
        const { runId, checkpoint } = parseRunId(params.id);
        const meta = (await s.listCheckpoints(runId)).find((m) => m.name === checkpoint);
        const run = await s.getRun(runId);
        const name = `${meta && isFinalInfo(meta.info) ? meta.info.name : checkpoint}${run ? ` (${run.name})` : ''}`;
        // The model's name travels as transformers' own `_name_or_path`: the lab's import names it so.
        const hf = JSON.parse(files.configJson) as Record<string, unknown>;
        return { name, ...files, configJson: `${JSON.stringify({ _name_or_path: name, ...hf }, null, 2)}\n` };
      } finally {
        model.dispose();
      }
    },

    async evaluateModel(params, ctx) {
      const s = await db();
      const t0 = Date.now();
      const corpus = await s.loadCorpus(params.corpusId);
      throwIfCancelled(ctx.signal, 'evaluation');
      const split = params.split ?? defaultEvalSplit(corpus);
      const model = await loadStoredModel(s, params.id);
      try {
        const ev = await evaluateModel(model, corpus, split, {
          rerankDepth: params.rerankDepth,
          signal: ctx.signal,
          onProgress: (done, total) => ctx.progress({ done, total }),
        });
        return { ...ev, modelId: params.id, corpusId: params.corpusId, seconds: (Date.now() - t0) / 1000, backend: tf.getBackend() };
      } finally {
        model.dispose();
      }
    },
  };
}
