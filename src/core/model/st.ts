// Checkpoint folders in and out: the sentence-transformers layout on top of hf.ts's
// config.json + vocab.txt + model.safetensors.
//
// Read (every file optional except config.json and the weights):
//  - modules.json: Transformer, then Pooling, then an optional Normalize; the Transformer's
//    `path` ('' or old '0_Transformer/') is where config.json, the weights and tokenizer live.
//    Any other module (Dense, LayerNorm, WordEmbeddings, ...) is an UnsupportedModelError.
//  - <Pooling path>/config.json: exactly one of cls, mean, max, mean_sqrt_len_tokens, lasttoken
//    (weightedmean and combined modes are refused); word_embedding_dimension = hidden size;
//    `include_prompt: false` is refused only when the model has prompts (it changes nothing
//    without one).
//  - sentence_bert_config.json: max_seq_length -> maxQueryLen = maxPassageLen (sentence-
//    transformers truncates `[CLS] text [SEP]` to it, [SEP] kept), capped at the position table;
//    do_lower_case (text.lower() before the tokenizer) must agree with an uncased tokenizer.
//  - config_sentence_transformers.json: similarity_fn_name (cosine, dot / dot_product;
//    euclidean and manhattan refused), prompts: "query"/"passage" (or "document", "corpus",
//    default_prompt_name for both) -> ModelConfig.queryPrompt / passagePrompt.
//  - tokenizer.json (the fast tokenizer): a WordPiece model (its vocab when there is no
//    vocab.txt, max_input_chars_per_word), the BertNormalizer's lowercase / strip_accents;
//    tokenizer_config.json: do_lower_case, strip_accents, model_max_length (when no
//    tokenizer.json says otherwise).
//  - Weights: model.safetensors (F32, F16, BF16, F64: read as float32). pytorch_model.bin and
//    other pickles are refused, saying why and how to convert.
// A plain Hugging Face folder (no modules.json) imports as hf.ts does (with tokenizer.json
// accepted in place of vocab.txt).
//
// Write: hf.ts's files plus tokenizer.json, tokenizer_config.json, special_tokens_map.json and,
// for a DE with a WordPiece tokenizer, modules.json, 1_Pooling/config.json, sentence_bert_config.json
// and config_sentence_transformers.json, so that `SentenceTransformer(dir)` loads the lab's
// student as it loads the teacher.

import { CheckpointError, UnsupportedModelError } from '../errors';
import { SPECIAL_TOKENS } from '../text/tokenizerBase';
import { WordPieceTokenizer } from '../text/wordpiece';
import type { ModelConfigInput, Pooling, Similarity } from './config';
import { exportHuggingFace, importHuggingFace, LAB_CONFIG_KEY, unsupportedModelType, type ImportOptions } from './hf';
import type { RetrievalModel } from './retriever';

/** A checkpoint folder: path relative to the folder ('1_Pooling/config.json') -> contents. */
export type ModelFolder = Record<string, string | Uint8Array | ArrayBuffer>;

/** What sentence-transformers' files say about a DE. */
export interface SentenceTransformersSettings {
  /** Folder of the Transformer module ('' or e.g. '0_Transformer/'), ending in '/' when set. */
  transformerPath: string;
  pooling: Pooling;
  normalize: boolean;
  similarity: Similarity;
  /** sentence_bert_config.json max_seq_length, when given. */
  maxSeqLength?: number;
  /** sentence_bert_config.json do_lower_case. */
  doLowerCase: boolean;
  queryPrompt?: string;
  passagePrompt?: string;
}

export interface FolderImportInfo {
  format: 'sentence-transformers' | 'huggingface';
  /** config.json model_type ('bert' when absent). */
  modelType: string;
  /** Where the vocabulary came from. */
  vocabFrom: 'vocab.txt' | 'tokenizer.json';
  settings?: SentenceTransformersSettings;
  /** Tensors skipped (pre-training heads, unused pooler, buffers). */
  skipped: string[];
}

const td = new TextDecoder('utf-8');

function text(files: ModelFolder, name: string): string | undefined {
  const v = files[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : td.decode(v);
}

function bytes(files: ModelFolder, name: string): Uint8Array | undefined {
  const v = files[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? new TextEncoder().encode(v) : v instanceof Uint8Array ? v : new Uint8Array(v);
}

function json(files: ModelFolder, name: string): Record<string, unknown> | undefined {
  const t = text(files, name);
  if (t === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (typeof v !== 'object' || v === null) throw new Error('not a JSON object or array');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`${name} is not valid JSON (${e instanceof Error ? e.message : String(e)})`, { file: name });
  }
}

/** The weight files the lab refuses, with the reason. */
const PICKLE_FILES = ['pytorch_model.bin', 'model.bin', 'pytorch_model.bin.index.json'];

/** The message for a folder whose weights are only in a pickle (or TF/Flax) file. */
export function pickleRefusal(file: string): UnsupportedModelError {
  return new UnsupportedModelError(
    `${file} is a Python pickle: loading it can execute arbitrary code, so the lab reads only model.safetensors. ` +
      'Convert it once, in Python: python -c "import torch; from safetensors.torch import save_file; ' +
      "sd = torch.load('pytorch_model.bin', map_location='cpu', weights_only=True); " +
      "save_file({k: v.clone().contiguous() for k, v in sd.items()}, 'model.safetensors', metadata={'format': 'pt'})\" " +
      '(or AutoModel.from_pretrained(DIR).save_pretrained(DIR, safe_serialization=True) with transformers), then import the folder again.',
    { file, supported: ['model.safetensors'] },
  );
}

/** Known module types (sentence_transformers.models.X). */
function moduleKind(type: unknown): string {
  return typeof type === 'string' ? type.replace(/^sentence_transformers\.models\./, '') : String(type);
}

/** modules.json -> the Transformer and Pooling paths; refuses anything else. Null without modules.json. */
function readModules(files: ModelFolder): { transformer: string; pooling: string | null; normalize: boolean } | null {
  const mods = json(files, 'modules.json');
  if (!mods) return null;
  if (!Array.isArray(mods)) throw new CheckpointError('modules.json must be a list of modules', { file: 'modules.json' });
  const list = (mods as { type?: unknown; path?: unknown; idx?: unknown }[])
    .slice()
    .sort((a, b) => Number(a.idx ?? 0) - Number(b.idx ?? 0));
  const kinds = list.map((m) => moduleKind(m.type));
  const ok = kinds.length >= 1 && kinds[0] === 'Transformer' &&
    kinds.slice(1).every((k, i) => (k === 'Pooling' && i === 0) || (k === 'Normalize' && i === kinds.length - 2));
  if (!ok) {
    throw new UnsupportedModelError(
      `modules.json lists ${kinds.join(' -> ')}: the lab reads Transformer -> Pooling (-> Normalize) only` +
        (kinds.includes('Dense') ? ' (a Dense projection after pooling is not supported)' : ''),
      { file: 'modules.json', modules: kinds },
    );
  }
  const dir = (p: unknown) => {
    const s = typeof p === 'string' ? p.replace(/^\.?\/+/, '') : '';
    return s === '' ? '' : s.endsWith('/') ? s : `${s}/`;
  };
  return {
    transformer: dir(list[0].path),
    pooling: kinds[1] === 'Pooling' ? dir(list[1].path) : null,
    normalize: kinds.includes('Normalize'),
  };
}

const POOLING_MODES: [string, Pooling | null][] = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len'],
  ['pooling_mode_lasttoken', 'lasttoken'],
  ['pooling_mode_weightedmean_tokens', null],
];

/** Prompt names read as the query's / the passage's prompt. */
const QUERY_PROMPTS = ['query', 'queries', 'search_query'];
const PASSAGE_PROMPTS = ['passage', 'passages', 'document', 'documents', 'doc', 'corpus', 'search_document'];

/** The sentence-transformers settings of a folder, or null when it has no modules.json. */
export function readSentenceTransformers(files: ModelFolder): SentenceTransformersSettings | null {
  const mods = readModules(files);
  if (!mods) return null;
  let pooling: Pooling = 'cls';
  let includePrompt = true;
  if (mods.pooling !== null) {
    const file = `${mods.pooling}config.json`;
    const pc = json(files, file);
    if (!pc) throw new CheckpointError(`modules.json names a Pooling module but ${file} is missing`, { file });
    const on = POOLING_MODES.filter(([k]) => pc[k] === true);
    const legacy = typeof pc.pooling_mode === 'string' ? pc.pooling_mode : null;
    if (on.length === 0 && legacy) {
      const m = POOLING_MODES.find(([k]) => k === `pooling_mode_${legacy}_token` || k === `pooling_mode_${legacy}_tokens` || k === `pooling_mode_${legacy}`);
      if (m) on.push(m);
    }
    if (on.length !== 1 || on[0][1] === null) {
      throw new UnsupportedModelError(
        `${file}: pooling ${on.length === 0 ? '(none set)' : on.map(([k]) => k).join(' + ')} is not supported: exactly one of cls, mean, max, mean_sqrt_len_tokens or lasttoken`,
        { file, field: on.map(([k]) => k).join(',') || 'pooling_mode' },
      );
    }
    pooling = on[0][1];
    includePrompt = pc.include_prompt !== false;
  }
  const sbert = json(files, `${mods.transformer}sentence_bert_config.json`) ?? {};
  const maxSeq = sbert.max_seq_length;
  if (maxSeq !== undefined && maxSeq !== null && (typeof maxSeq !== 'number' || !Number.isInteger(maxSeq) || maxSeq < 3)) {
    throw new CheckpointError(`sentence_bert_config.json: max_seq_length must be an integer >= 3, got ${JSON.stringify(maxSeq)}`, {
      file: 'sentence_bert_config.json', field: 'max_seq_length',
    });
  }
  const cst = json(files, 'config_sentence_transformers.json') ?? {};
  const simName = cst.similarity_fn_name ?? 'cosine'; // sentence-transformers' default
  let similarity: Similarity;
  if (simName === 'cosine') similarity = 'cosine';
  else if (simName === 'dot' || simName === 'dot_product') similarity = 'dot';
  else {
    throw new UnsupportedModelError(
      `config_sentence_transformers.json: similarity_fn_name ${JSON.stringify(simName)} is not supported: the lab scores by cosine or dot product`,
      { file: 'config_sentence_transformers.json', field: 'similarity_fn_name', supported: ['cosine', 'dot'] },
    );
  }
  const prompts = (typeof cst.prompts === 'object' && cst.prompts !== null ? cst.prompts : {}) as Record<string, unknown>;
  const pick = (names: string[]): string | undefined => {
    for (const n of names) {
      const v = prompts[n];
      if (typeof v === 'string' && v !== '') return v;
    }
    const d = typeof cst.default_prompt_name === 'string' ? prompts[cst.default_prompt_name] : undefined;
    return typeof d === 'string' && d !== '' ? d : undefined;
  };
  const queryPrompt = pick(QUERY_PROMPTS);
  const passagePrompt = pick(PASSAGE_PROMPTS);
  if (!includePrompt && (queryPrompt || passagePrompt)) {
    throw new UnsupportedModelError(
      `${mods.pooling}config.json: include_prompt false (pooling that leaves the prompt's tokens out) is not supported for a model with prompts`,
      { file: `${mods.pooling}config.json`, field: 'include_prompt' },
    );
  }
  return {
    transformerPath: mods.transformer,
    pooling,
    normalize: mods.normalize,
    similarity,
    ...(typeof maxSeq === 'number' ? { maxSeqLength: maxSeq } : {}),
    doLowerCase: sbert.do_lower_case === true,
    ...(queryPrompt ? { queryPrompt } : {}),
    ...(passagePrompt ? { passagePrompt } : {}),
  };
}

interface TokenizerSettings {
  /** The vocabulary in id order. */
  vocab: string[];
  vocabFrom: 'vocab.txt' | 'tokenizer.json';
  lowercase?: boolean;
  maxInputCharsPerWord?: number;
  modelMaxLength?: number;
}

/** tokenizer.json (+ tokenizer_config.json, vocab.txt) -> what the lab's WordPiece needs. */
function readTokenizer(files: ModelFolder, dir: string): TokenizerSettings | null {
  const tjName = `${dir}tokenizer.json`;
  const tcName = `${dir}tokenizer_config.json`;
  const tj = json(files, tjName);
  const tc = json(files, tcName) ?? {};
  const vocabTxt = text(files, `${dir}vocab.txt`);
  let vocab: string[] | null = vocabTxt === undefined ? null : vocabTxt.split('\n');
  if (vocab && vocab[vocab.length - 1] === '') vocab.pop();
  if (vocab) vocab = vocab.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  let lowercase: boolean | undefined;
  let stripAccents: unknown = tc.strip_accents ?? null;
  let maxChars: number | undefined;
  if (tj) {
    const model = (tj.model ?? {}) as Record<string, unknown>;
    if (model.type !== 'WordPiece') {
      throw new UnsupportedModelError(
        `${tjName}: a ${JSON.stringify(model.type)} tokenizer is not supported: the lab reads WordPiece (BERT-style) tokenizers only`,
        { file: tjName, field: 'model.type' },
      );
    }
    if (typeof model.max_input_chars_per_word === 'number') maxChars = model.max_input_chars_per_word;
    if (model.continuing_subword_prefix !== undefined && model.continuing_subword_prefix !== '##') {
      throw new UnsupportedModelError(`${tjName}: continuing_subword_prefix ${JSON.stringify(model.continuing_subword_prefix)} is not supported (only "##")`, {
        file: tjName, field: 'model.continuing_subword_prefix',
      });
    }
    const norm = tj.normalizer as Record<string, unknown> | null | undefined;
    if (norm && norm.type === 'BertNormalizer') {
      lowercase = norm.lowercase !== false;
      stripAccents = norm.strip_accents ?? null;
      if (norm.handle_chinese_chars === false) {
        throw new UnsupportedModelError(`${tjName}: a BertNormalizer with handle_chinese_chars false is not supported`, { file: tjName, field: 'normalizer' });
      }
    } else if (norm) {
      throw new UnsupportedModelError(`${tjName}: normalizer ${JSON.stringify(norm.type)} is not supported (BertNormalizer only)`, {
        file: tjName, field: 'normalizer.type',
      });
    }
    const pre = tj.pre_tokenizer as Record<string, unknown> | null | undefined;
    if (pre && pre.type !== 'BertPreTokenizer') {
      throw new UnsupportedModelError(`${tjName}: pre_tokenizer ${JSON.stringify(pre.type)} is not supported (BertPreTokenizer only)`, {
        file: tjName, field: 'pre_tokenizer.type',
      });
    }
    if (!vocab) {
      const v = model.vocab;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) {
        throw new CheckpointError(`${tjName}: model.vocab must be an object {token: id}`, { file: tjName, field: 'model.vocab' });
      }
      const entries = Object.entries(v as Record<string, unknown>);
      const out: string[] = new Array<string>(entries.length);
      for (const [tok, id] of entries) {
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length || out[id] !== undefined) {
          throw new CheckpointError(`${tjName}: model.vocab ids must be 0..${entries.length - 1}, each once (${JSON.stringify(tok)}: ${JSON.stringify(id)})`, {
            file: tjName, field: 'model.vocab',
          });
        }
        out[id] = tok;
      }
      vocab = out;
    }
  }
  if (!vocab) return null;
  if (lowercase === undefined && typeof tc.do_lower_case === 'boolean') lowercase = tc.do_lower_case;
  if (stripAccents !== null && stripAccents !== (lowercase ?? true)) {
    // The lab's BasicTokenizer strips accents exactly when it lowercases (strip_accents null).
    throw new UnsupportedModelError(
      `${tj ? tjName : tcName}: strip_accents ${JSON.stringify(stripAccents)} with lowercase ${JSON.stringify(lowercase ?? true)} is not supported (accents are stripped exactly when lowercasing)`,
      { file: tj ? tjName : tcName, field: 'strip_accents' },
    );
  }
  const missing = SPECIAL_TOKENS.filter((t) => !vocab.includes(t));
  if (missing.length > 0) {
    throw new UnsupportedModelError(`the vocabulary lacks the BERT special token(s) ${missing.join(', ')}: the lab needs [PAD], [UNK], [CLS], [SEP] and [MASK]`, {
      file: tj ? tjName : `${dir}vocab.txt`, missing,
    });
  }
  const mml = tc.model_max_length;
  return {
    vocab,
    vocabFrom: vocabTxt !== undefined ? 'vocab.txt' : 'tokenizer.json',
    ...(lowercase !== undefined ? { lowercase } : {}),
    ...(maxChars !== undefined ? { maxInputCharsPerWord: maxChars } : {}),
    ...(typeof mml === 'number' && Number.isFinite(mml) && mml >= 3 && mml < 1e9 ? { modelMaxLength: mml } : {}),
  };
}

/** Files of the Transformer module's folder the lab reads. */
const TRANSFORMER_FILES = [
  'config.json', 'model.safetensors', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
  'sentence_bert_config.json',
];

/**
 * From a repository's file list (and its modules.json, when it has one), the files to
 * fetch; refuses, before any weight is downloaded, a folder whose weights are only a pickle
 * or sharded, or that lacks config.json or a vocabulary.
 */
export function folderFilesWanted(paths: readonly string[], modulesJson: string | undefined, where = 'the repository'): string[] {
  const have = new Set(paths);
  const mods = modulesJson === undefined ? null : readModules({ 'modules.json': modulesJson });
  const dir = mods?.transformer ?? '';
  const wanted: string[] = [];
  if (mods) {
    wanted.push('modules.json', 'config_sentence_transformers.json');
    if (mods.pooling !== null) wanted.push(`${mods.pooling}config.json`);
  }
  for (const f of TRANSFORMER_FILES) wanted.push(`${dir}${f}`);
  const out = wanted.filter((p) => have.has(p));
  if (!have.has(`${dir}model.safetensors`)) {
    const pickle = PICKLE_FILES.map((f) => `${dir}${f}`).find((f) => have.has(f));
    if (pickle) throw pickleRefusal(pickle);
    if (have.has(`${dir}model.safetensors.index.json`)) {
      throw new UnsupportedModelError(`${where}: sharded weights (model.safetensors.index.json) are not supported: save the model as one model.safetensors`, {
        file: `${dir}model.safetensors.index.json`,
      });
    }
    throw new CheckpointError(`${where} has no ${dir}model.safetensors`, { file: `${dir}model.safetensors` });
  }
  if (!have.has(`${dir}config.json`)) throw new CheckpointError(`${where} has no ${dir}config.json`, { file: `${dir}config.json` });
  if (!have.has(`${dir}vocab.txt`) && !have.has(`${dir}tokenizer.json`)) {
    throw new CheckpointError(`${where} has neither ${dir}vocab.txt nor ${dir}tokenizer.json: the lab needs the vocabulary`, { file: `${dir}vocab.txt` });
  }
  return out;
}

/**
 * Checks a folder's small files (everything but the weights): the modules, pooling and
 * similarity, the architecture and the tokenizer. Throws what importModelFolder would.
 */
export function precheckModelFolder(files: ModelFolder): void {
  const st = readSentenceTransformers(files);
  const dir = st?.transformerPath ?? '';
  const cfg = json(files, `${dir}config.json`);
  const mt = cfg?.model_type;
  if (mt !== undefined && mt !== 'bert' && mt !== 'distilbert') throw unsupportedModelType(mt, `${dir}config.json`);
  readTokenizer(files, dir);
}

/**
 * Imports a checkpoint folder (sentence-transformers or plain Hugging Face). Throws
 * CheckpointError, ConfigError or UnsupportedModelError naming the file and field; nothing is
 * half-loaded. User overrides (opts.overrides) win over what the files say.
 */
export function importModelFolder(files: ModelFolder, opts: ImportOptions = {}): { model: RetrievalModel; info: FolderImportInfo } {
  const st = readSentenceTransformers(files);
  const dir = st?.transformerPath ?? '';
  const configJson = text(files, `${dir}config.json`);
  if (configJson === undefined) {
    throw new CheckpointError(`${dir}config.json is missing: a checkpoint folder needs config.json and model.safetensors`, { file: `${dir}config.json` });
  }
  const weights = bytes(files, `${dir}model.safetensors`);
  if (!weights) {
    const pickle = PICKLE_FILES.map((f) => `${dir}${f}`).find((f) => files[f] !== undefined);
    if (pickle) throw pickleRefusal(pickle);
    if (files[`${dir}model.safetensors.index.json`] !== undefined) {
      throw new UnsupportedModelError('sharded weights (model.safetensors.index.json) are not supported: save the model as one model.safetensors', {
        file: `${dir}model.safetensors.index.json`,
      });
    }
    throw new CheckpointError(`${dir}model.safetensors is missing`, { file: `${dir}model.safetensors` });
  }
  const tok = readTokenizer(files, dir);
  if (!tok) throw new CheckpointError(`${dir}vocab.txt and ${dir}tokenizer.json are both missing: the lab needs the vocabulary`, { file: `${dir}vocab.txt` });

  let hfConfig: Record<string, unknown> = {};
  try {
    hfConfig = JSON.parse(configJson) as Record<string, unknown>;
  } catch {
    // importHuggingFace reports it, naming the file.
  }
  const fromLab = typeof hfConfig === 'object' && hfConfig !== null && hfConfig[LAB_CONFIG_KEY] !== undefined;
  const maxPositions = typeof hfConfig?.max_position_embeddings === 'number' ? hfConfig.max_position_embeddings : 512;
  const overrides: Partial<Omit<ModelConfigInput, 'kind'>> = {};
  if (st && !fromLab) {
    if (st.doLowerCase && tok.lowercase === false) {
      throw new UnsupportedModelError('sentence_bert_config.json: do_lower_case true over a cased tokenizer is not supported', {
        file: 'sentence_bert_config.json', field: 'do_lower_case',
      });
    }
    const len = Math.min(st.maxSeqLength ?? tok.modelMaxLength ?? 512, tok.modelMaxLength ?? Infinity, maxPositions);
    Object.assign(overrides, {
      pooling: st.pooling, normalize: st.normalize, similarity: st.similarity,
      maxQueryLen: len, maxPassageLen: len,
      ...(st.queryPrompt ? { queryPrompt: st.queryPrompt } : {}),
      ...(st.passagePrompt ? { passagePrompt: st.passagePrompt } : {}),
    });
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) (overrides as Record<string, unknown>)[k] = v;
  const kind = opts.kind ?? (st && !fromLab ? 'de' : undefined);
  if (st && !fromLab && kind !== 'de') {
    // Pooling, similarity and prompts are DE fields: a CB/CE import keeps the encoder alone.
    for (const k of ['pooling', 'normalize', 'similarity', 'queryPrompt', 'passagePrompt'] as const) {
      if (opts.overrides?.[k] === undefined) delete (overrides as Record<string, unknown>)[k];
    }
  }
  const skipped: string[] = [];
  const model = importHuggingFace(
    { configJson, vocabTxt: tok.vocab.map((t) => `${t}\n`).join(''), safetensors: weights },
    {
      ...opts,
      ...(kind ? { kind } : {}),
      overrides,
      ...(opts.lowercase === undefined && tok.lowercase !== undefined ? { lowercase: tok.lowercase } : {}),
      ...(opts.maxInputCharsPerWord === undefined && tok.maxInputCharsPerWord !== undefined ? { maxInputCharsPerWord: tok.maxInputCharsPerWord } : {}),
      onSkipped: (names) => {
        skipped.push(...names);
        opts.onSkipped?.(names);
      },
    },
  );
  return {
    model,
    info: {
      format: st ? 'sentence-transformers' : 'huggingface',
      modelType: typeof hfConfig.model_type === 'string' ? hfConfig.model_type : 'bert',
      vocabFrom: tok.vocabFrom,
      ...(st ? { settings: st } : {}),
      skipped,
    },
  };
}

/** The fast tokenizer's tokenizer.json for a WordPiece vocabulary (as transformers writes BERT's). */
export function wordPieceTokenizerJson(tok: WordPieceTokenizer): Record<string, unknown> {
  const vocab = tok.vocabulary();
  const sp = tok.special;
  const added = SPECIAL_TOKENS.map((t) => ({
    id: tok.tokenToIdOrUnk(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  })).sort((a, b) => a.id - b.id);
  const specialTok = (name: string, id: number) => ({ id: name, ids: [id], tokens: [name] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: tok.lowercase },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': specialTok('[CLS]', sp.cls), '[SEP]': specialTok('[SEP]', sp.sep) },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: tok.maxInputCharsPerWord,
      // fromEntries: a token such as "__proto__" stays an own key. A token listed twice keeps its last id, as HF's dict does.
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

const POOLING_KEY: Record<Pooling, string> = {
  cls: 'pooling_mode_cls_token',
  mean: 'pooling_mode_mean_tokens',
  max: 'pooling_mode_max_tokens',
  mean_sqrt_len: 'pooling_mode_mean_sqrt_len_tokens',
  lasttoken: 'pooling_mode_lasttoken',
};

export interface ExportedFolder {
  /** Relative path -> contents. */
  files: Record<string, string | Uint8Array>;
  /** What a sentence-transformers user should know (scores scaled by a temperature, ...). */
  notes: string[];
}

const j = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/**
 * Writes a checkpoint folder: hf.ts's config.json, vocab.txt and model.safetensors, the
 * tokenizer files, and for a DE with a WordPiece tokenizer the sentence-transformers modules.
 */
export async function exportModelFolder(model: RetrievalModel): Promise<ExportedFolder> {
  const base = await exportHuggingFace(model);
  const cfg = model.config;
  const files: Record<string, string | Uint8Array> = {
    'config.json': base.configJson,
    'vocab.txt': base.vocabTxt,
    'model.safetensors': base.safetensors,
  };
  const notes: string[] = [];
  const tok = model.tokenizer;
  if (!(tok instanceof WordPieceTokenizer)) {
    notes.push(`the ${tok.kind} tokenizer has no Hugging Face equivalent: transformers and sentence-transformers would tokenise differently (the lab re-imports it exactly)`);
    return { files, notes };
  }
  files['tokenizer.json'] = j(wordPieceTokenizerJson(tok));
  const specials = { cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' };
  files['special_tokens_map.json'] = j(specials);
  files['tokenizer_config.json'] = j({
    do_lower_case: tok.lowercase,
    model_max_length: cfg.kind === 'de' ? Math.max(cfg.maxQueryLen, cfg.maxPassageLen) : cfg.maxPositions,
    tokenizer_class: 'BertTokenizer',
    ...specials,
    tokenize_chinese_chars: true,
    strip_accents: null,
    clean_up_tokenization_spaces: true,
  });
  if (cfg.kind !== 'de') {
    notes.push(`a ${cfg.kind.toUpperCase()} model has no sentence-transformers layout: written as a Hugging Face checkpoint`);
    return { files, notes };
  }
  const maxSeq = Math.max(cfg.maxQueryLen, cfg.maxPassageLen);
  files['modules.json'] = j([
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    ...(cfg.normalize ? [{ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' }] : []),
  ]);
  const pooling: Record<string, unknown> = { word_embedding_dimension: cfg.hidden };
  for (const [p, k] of Object.entries(POOLING_KEY)) pooling[k] = p === cfg.pooling;
  pooling.pooling_mode_weightedmean_tokens = false;
  pooling.include_prompt = true;
  files['1_Pooling/config.json'] = j(pooling);
  files['sentence_bert_config.json'] = j({ max_seq_length: maxSeq, do_lower_case: false });
  const prompts: Record<string, string> = {};
  if (cfg.queryPrompt) prompts.query = cfg.queryPrompt;
  if (cfg.passagePrompt) prompts.passage = cfg.passagePrompt;
  files['config_sentence_transformers.json'] = j({
    __version__: { sentence_transformers: '3.0.1', transformers: '4.41.2', pytorch: '2.3.0' },
    prompts,
    default_prompt_name: null,
    similarity_fn_name: cfg.similarity,
  });
  if (cfg.maxQueryLen !== cfg.maxPassageLen) {
    notes.push(`sentence-transformers has one max_seq_length (${maxSeq}); the lab truncates queries at ${cfg.maxQueryLen} tokens`);
  }
  if (cfg.scoreTemperature !== 1) {
    notes.push(`the lab divides scores by a temperature of ${cfg.scoreTemperature}; sentence-transformers' similarity does not (rankings are the same)`);
  }
  if (Object.keys(prompts).length > 0) notes.push('prompts are stored under "query" and "passage": pass prompt_name to encode()');
  return { files, notes };
}
