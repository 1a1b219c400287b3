// The training worker's model methods: import a Hugging Face checkpoint (validated whole,
// then stored in one transaction), list the models the lab has (imported ones, and the final
// checkpoints of every run's teachers and students), export one as Hugging Face files, and
// evaluate one on a corpus split exactly as a run evaluates its students.
import * as tf from '@tensorflow/tfjs';
import type { Split } from '../core/data/types';
import { CheckpointError, ConfigError, DistillLabError } from '../core/errors';
import { exportHuggingFace, importHuggingFace, type HuggingFaceFiles } from '../core/model/hf';
import { RetrievalModel } from '../core/model/retriever';
import { validateModelConfig } from '../core/model/config';
import { defaultEvalSplit, evaluateModel } from '../core/retrieval/evaluate';
import { tokenizerFromJSON } from '../core/text/tokenizer';
import { decodeCheckpoint, tensorsUnder } from '../core/train/checkpoint';
import type { CheckpointMeta, ModelInfo } from '../store/schema';
import { LabStore } from '../store/store';
import { throwIfCancelled, type Handlers } from './engine';
import type { IngestFileParam, ModelSummary } from './protocol';

export type ModelHandlers = Pick<Handlers, 'importModel' | 'listModels' | 'deleteModel' | 'exportModel' | 'evaluateModel'>;

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
    return importHuggingFace({ configJson: files.configJson, vocabTxt: files.vocabTxt, safetensors: files.safetensors });
  }
  if (id.startsWith(RUN)) {
    const { runId, checkpoint } = parseRunId(id);
    const { bytes } = await store.loadCheckpoint(runId, checkpoint);
    return modelFromCheckpoint(bytes, `checkpoint "${checkpoint}" of run "${runId}"`);
  }
  throw new ConfigError(`unknown model id "${id}": expected import:<id> or run:<run>:<checkpoint>`, { field: 'id' });
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

export function createModelHandlers(openStore: () => Promise<LabStore> = () => LabStore.open()): ModelHandlers {
  let store: Promise<LabStore> | null = null;
  const db = () => (store ??= openStore());

  return {
    async importModel(params) {
      const s = await db();
      const { config, vocab, weights } = params.files ?? ({} as never);
      for (const [slot, f] of [['config.json', config], ['vocab.txt', vocab], ['model.safetensors', weights]] as const) {
        if (!f || !(f.blob instanceof Blob)) throw new CheckpointError(`${slot} is missing: choose config.json, vocab.txt and model.safetensors together`, { file: slot });
      }
      const names = { config: config.name, vocab: vocab.name, weights: weights.name };
      let info: ModelInfo;
      let read: Awaited<ReturnType<typeof readFiles>>;
      // Everything is parsed and the model built (then freed) before a byte is stored.
      try {
        read = await readFiles(params.files);
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

    async listModels() {
      const s = await db();
      const out: ModelSummary[] = (await s.listModels()).map((m) => ({
        id: `${IMPORT}${m.id}`,
        name: m.name,
        origin: 'import',
        info: m.info,
        createdAt: m.createdAt,
        files: m.source.files,
      }));
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
