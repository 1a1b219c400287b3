// Hugging Face checkpoints in and out: config.json + vocab.txt + model.safetensors.
//
// Import accepts BERT-family checkpoints (model_type "bert", post-LN, absolute positions,
// erf GELU), tensor names with or without the `bert.` prefix (and old TF-style LayerNorm
// gamma/beta), and DistilBERT (model_type "distilbert": its names mapped onto BERT's, a zero
// token-type row added; see distilbertFields). A `classifier.weight/bias` of BertForSequenceClassification (1 label) makes a
// CE whose head reads the pooler, exactly as PyTorch computes the logit; otherwise a DE (or
// the kind asked for). Pre-training heads (`cls.*`), the `position_ids` buffer and a pooler
// the chosen kind does not use are skipped. Everything is validated before any tensor is
// made: every missing, unexpected or mis-shaped tensor is listed in one CheckpointError,
// bad sizes in config.json are a ConfigError naming the field, and a vocab.txt that does
// not match the embedding rows is a CheckpointError. Nothing is half-loaded.
//
// Export writes the same layout (`bert.` prefix; BertForSequenceClassification for CE,
// BertModel for DE/CB) with the lab's own fields under config.json's "distill_lab" key, so
// re-import is bit-exact and `transformers` loads the files. Notes on what PyTorch sees:
//  - DE/CB: BertModel has a pooler the lab does not train; transformers initialises it
//    randomly (with a warning). The lab's scores never use it.
//  - CB: the ColBERT projection is `linear.weight` (ColBERT's own name), which BertModel
//    ignores (unexpected key) and ColBERT-style loaders pick up.
//  - Unshared DE/CB encoders: the query encoder is the BertModel; the passage encoder is
//    stored under `passage_encoder.`, ignored by BertModel, restored by the lab.
//  - CE with cePooler false (algorithms.md's head w . h_CLS + b): written as
//    BertForSequenceClassification whose pooler is missing, so PyTorch's logits differ from
//    the lab's scores; a CE with cePooler true (every imported CE) matches PyTorch exactly.
//  - A non-WordPiece tokenizer (hashed-word): vocab.txt lists one line per id (specials,
//    known words, `[#n]` per hash bucket) so the file has as many lines as embedding rows
//    and a BERT tokenizer finds the known words; the exact tokenizer is stored in
//    config.json under distill_lab.tokenizer and restored by the lab's import.

import { CheckpointError, ConfigError, UnsupportedModelError } from '../errors';
import { tokenizerFromJSON } from '../text/tokenizer';
import type { Tokenizer, TokenizerJSON } from '../text/tokenizerBase';
import { HashedWordTokenizer } from '../text/tokenizerHashed';
import { parseVocabTxt, WordPieceTokenizer } from '../text/wordpiece';
import { validateModelConfig, type ModelConfig, type ModelConfigInput, type ModelKind } from './config';
import { modelTensorSpecs } from './params';
import { RetrievalModel } from './retriever';
import { parseSafetensors, tensorToFloat32, writeSafetensors, type SafetensorsEntry } from './safetensors';

/** config.json key holding the lab's own fields. */
export const LAB_CONFIG_KEY = 'distill_lab';
const LAB_FORMAT_VERSION = 1;

export interface HuggingFaceFiles {
  /** config.json content. */
  configJson: string;
  /** vocab.txt content. */
  vocabTxt: string;
  /** model.safetensors bytes. */
  safetensors: ArrayBuffer | Uint8Array;
}

export interface ImportOptions {
  /**
   * Kind for a checkpoint without the lab's fields: default 'ce' when it has a classifier,
   * else 'de'. Choosing 'de'/'cb' for a sequence-classification checkpoint drops its head.
   */
  kind?: ModelKind;
  /** Lab fields to set on import (lengths, dropout, seed, colbertDim, ...). */
  overrides?: Partial<Omit<ModelConfigInput, 'kind'>>;
  /** Lowercase input (uncased BERT); default true, or the exported value. */
  lowercase?: boolean;
  /** WordPiece's longest word (tokenizer.json max_input_chars_per_word); default 100, or the exported value. */
  maxInputCharsPerWord?: number;
  /** Told which tensors were skipped (pre-training heads, unused pooler, buffers). */
  onSkipped?: (names: string[]) => void;
}

interface LabSection {
  version: number;
  config: ModelConfig;
  tokenizer?: Partial<TokenizerJSON> & { kind: string };
}

function num(hf: Record<string, unknown>, key: string, dflt?: number): number {
  const v = hf[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ConfigError(`config.json: ${key} must be a number, got ${JSON.stringify(v)}`, { field: key });
  }
  return v;
}

/** config.json text -> ModelConfig (validated) and the lab section, if any. */
function readHfConfig(
  configJson: string,
  tensorNames: Set<string>,
  opts: ImportOptions,
): { cfg: ModelConfig; lab: LabSection | null } {
  let hf: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(configJson);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    hf = parsed as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`config.json is not a JSON object (${e instanceof Error ? e.message : String(e)})`, {
      file: 'config.json',
    });
  }
  const modelType = hf.model_type;
  if (modelType !== undefined && modelType !== 'bert' && modelType !== 'distilbert') throw unsupportedModelType(modelType);
  if (modelType === 'distilbert') distilbertFields(hf);
  const act = hf.hidden_act ?? 'gelu';
  if (act !== 'gelu' && act !== 'gelu_python') {
    throw new ConfigError(`config.json: hidden_act ${JSON.stringify(act)} is not supported (exact erf "gelu" only)`, {
      field: 'hidden_act',
    });
  }
  const posType = hf.position_embedding_type ?? 'absolute';
  if (posType !== 'absolute') {
    throw new ConfigError(`config.json: position_embedding_type ${JSON.stringify(posType)} is not supported`, {
      field: 'position_embedding_type',
    });
  }
  const labRaw = hf[LAB_CONFIG_KEY];
  let lab: LabSection | null = null;
  if (labRaw !== undefined) {
    if (typeof labRaw !== 'object' || labRaw === null || typeof (labRaw as LabSection).config !== 'object') {
      throw new ConfigError(`config.json: ${LAB_CONFIG_KEY} must be an object with a config`, { field: LAB_CONFIG_KEY });
    }
    lab = labRaw as LabSection;
  }

  // Architecture from the HF fields (authoritative: that is what PyTorch reads).
  const arch = {
    layers: num(hf, 'num_hidden_layers'),
    hidden: num(hf, 'hidden_size'),
    heads: num(hf, 'num_attention_heads'),
    ffn: num(hf, 'intermediate_size'),
    vocabSize: num(hf, 'vocab_size'),
    maxPositions: num(hf, 'max_position_embeddings', 512),
    typeVocabSize: num(hf, 'type_vocab_size', 2),
    layerNormEps: num(hf, 'layer_norm_eps', 1e-12),
    dropout: { hidden: num(hf, 'hidden_dropout_prob', 0.1), attention: num(hf, 'attention_probs_dropout_prob', 0.1) },
    initializerRange: num(hf, 'initializer_range', 0.02),
  };
  const hasClassifier = tensorNames.has('classifier.weight');
  let input: Record<string, unknown>;
  if (lab) {
    input = { ...lab.config, ...arch };
  } else {
    const kind: ModelKind = opts.kind ?? (hasClassifier ? 'ce' : 'de');
    input = { kind, ...arch };
    if (kind === 'ce') {
      input.cePooler = tensorNames.has('pooler.dense.weight');
      // Let the pair length fit the position table (BERT: 512).
      input.maxQueryLen = 32;
      input.maxPassageLen = Math.min(arch.maxPositions, 512) - 32;
      if (input.maxPassageLen as number < 3) {
        input.maxQueryLen = Math.floor(arch.maxPositions / 2);
        input.maxPassageLen = arch.maxPositions - (input.maxQueryLen as number);
      }
    } else {
      input.maxQueryLen = Math.min(32, arch.maxPositions);
      input.maxPassageLen = Math.min(256, arch.maxPositions);
    }
  }
  for (const [k, v] of Object.entries(opts.overrides ?? {})) if (v !== undefined) input[k] = v;
  try {
    return { cfg: validateModelConfig(input), lab };
  } catch (e) {
    // Name the file: "config.json: model config: hidden must be <= 16384, got 1000000000".
    if (e instanceof ConfigError && !e.message.startsWith('config.json')) throw new ConfigError(`config.json: ${e.message}`, { ...e.details, file: 'config.json' });
    throw e;
  }
}

/** What import reads, for error messages. */
const SUPPORTED_MODEL_TYPES = 'model_type "bert" (BERT, MiniLM, bge, e5, ...) and "distilbert"';

/** The error for a config.json model_type the lab does not read. */
export function unsupportedModelType(modelType: unknown, file = 'config.json'): UnsupportedModelError {
  return new UnsupportedModelError(
    `${file}: model_type ${JSON.stringify(modelType)} is not supported: the lab reads ${SUPPORTED_MODEL_TYPES} (post-LayerNorm BERT encoders with a WordPiece vocabulary)`,
    { file, field: 'model_type', modelType, supported: ['bert', 'distilbert'] },
  );
}

/**
 * DistilBERT's config names -> BERT's, in place. The math is BERT's (post-LN blocks, erf GELU,
 * learned absolute positions; sinusoidal_pos_embds are stored as the position table too): it
 * only lacks token-type embeddings and a pooler. The lab gives it one all-zero token-type row
 * (type_vocab_size 1), which adds nothing, so every hidden state is DistilBERT's exactly.
 */
function distilbertFields(hf: Record<string, unknown>): void {
  const rename: [string, string][] = [
    ['dim', 'hidden_size'], ['n_layers', 'num_hidden_layers'], ['n_heads', 'num_attention_heads'],
    ['hidden_dim', 'intermediate_size'], ['activation', 'hidden_act'], ['dropout', 'hidden_dropout_prob'],
    ['attention_dropout', 'attention_probs_dropout_prob'],
  ];
  for (const [from, to] of rename) if (hf[to] === undefined && hf[from] !== undefined) hf[to] = hf[from];
  hf.type_vocab_size = 1;
  hf.layer_norm_eps ??= 1e-12;
}

/** DistilBERT tensor names -> the lab's BERT names (null: not a DistilBERT encoder tensor). */
function distilbertName(n: string): string | null {
  if (n.startsWith('embeddings.')) return n; // word_embeddings, position_embeddings, LayerNorm
  const m = /^transformer\.layer\.(\d+)\.(.+)$/.exec(n);
  if (!m) return null;
  const map: Record<string, string> = {
    'attention.q_lin': 'attention.self.query',
    'attention.k_lin': 'attention.self.key',
    'attention.v_lin': 'attention.self.value',
    'attention.out_lin': 'attention.output.dense',
    sa_layer_norm: 'attention.output.LayerNorm',
    'ffn.lin1': 'intermediate.dense',
    'ffn.lin2': 'output.dense',
    output_layer_norm: 'output.LayerNorm',
  };
  const dot = m[2].lastIndexOf('.');
  const mod = map[m[2].slice(0, dot)];
  return mod ? `encoder.layer.${m[1]}.${mod}${m[2].slice(dot)}` : null;
}

/** Normalised name: no `bert.`/`distilbert.` prefix, DistilBERT's modules renamed, LayerNorm gamma/beta -> weight/bias. */
function normaliseName(name: string, distil: boolean): string {
  let n = name.startsWith('bert.') ? name.slice(5) : name;
  if (distil) {
    if (n.startsWith('distilbert.')) n = n.slice(11);
    n = distilbertName(n) ?? n;
  }
  n = n.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
  return n;
}

/** model_type of a config.json text, or undefined when it cannot be read (readHfConfig says why). */
function peekModelType(configJson: string): unknown {
  try {
    return (JSON.parse(configJson) as Record<string, unknown> | null)?.model_type;
  } catch {
    return undefined;
  }
}

/**
 * Reads a Hugging Face BERT checkpoint into a RetrievalModel. Throws CheckpointError or
 * ConfigError (naming the field, file or tensors) and then leaves no tensor behind.
 */
export function importHuggingFace(files: HuggingFaceFiles, opts: ImportOptions = {}): RetrievalModel {
  const st = parseSafetensors(files.safetensors, 'model.safetensors');

  // Tensor names, normalised; a name present twice (with and without prefix) is an error.
  const byName = new Map<string, SafetensorsEntry>();
  const duplicates: string[] = [];
  const distil = peekModelType(files.configJson) === 'distilbert';
  for (const e of st.entries) {
    const n = normaliseName(e.name, distil);
    if (byName.has(n)) duplicates.push(`${e.name} (also ${byName.get(n)!.name})`);
    else byName.set(n, e);
  }
  const names = new Set(byName.keys());
  const read = readHfConfig(files.configJson, names, opts);
  const lab = read.lab;
  let cfg = read.cfg;
  if (distil && cfg.kind === 'ce') {
    // DistilBertForSequenceClassification's head is ReLU(pre_classifier) -> classifier, not BERT's tanh pooler.
    throw new UnsupportedModelError(
      'a DistilBERT cross-encoder (pre_classifier + ReLU head) is not supported: import it as a DE or CB (kind), or use a BERT cross-encoder',
      { file: 'config.json', field: 'model_type' },
    );
  }
  if (cfg.kind === 'cb' && !lab && byName.has('linear.weight') && opts.overrides?.colbertDim === undefined) {
    const rows = byName.get('linear.weight')!.shape[0];
    cfg = validateModelConfig({ ...cfg, colbertDim: rows });
  }

  // Tokenizer and vocab.txt checks.
  const vocabLines = parseVocabTxt(files.vocabTxt);
  const tokJson = lab?.tokenizer;
  let tokenizer: Tokenizer;
  if (tokJson && tokJson.kind !== 'wordpiece') {
    try {
      tokenizer = tokenizerFromJSON(tokJson);
    } catch (e) {
      if (e instanceof ConfigError) throw new CheckpointError(`config.json: ${LAB_CONFIG_KEY}.tokenizer: ${e.message}`, { file: 'config.json' });
      throw e;
    }
    // vocab.txt must be the one written with this tokenizer (one line per id).
    const lines = tokenizer instanceof HashedWordTokenizer ? tokenizer.toVocabLines() : null;
    const first = lines ? lines.findIndex((l, i) => vocabLines[i] !== l) : -1;
    if (lines && (first >= 0 || lines.length !== vocabLines.length)) {
      const at = first >= 0 ? first : Math.min(lines.length, vocabLines.length);
      throw new CheckpointError(
        `vocab.txt does not match the ${tokJson.kind} tokenizer described in config.json: line ${at + 1} is ${JSON.stringify(vocabLines[at] ?? '(end of file)')}, expected ${JSON.stringify(lines[at] ?? '(end of file)')}`,
        { file: 'vocab.txt', line: at + 1 },
      );
    }
  } else if (vocabLines.some((l) => /^\[#\d+\]$/.test(l))) {
    // A hashed-word vocabulary without its description would tokenise as WordPiece: wrong scores.
    throw new CheckpointError(
      `config.json has no ${LAB_CONFIG_KEY}.tokenizer, but vocab.txt lists hashed-word buckets ([#n] lines): the tokenizer cannot be rebuilt`,
      { file: 'config.json', field: `${LAB_CONFIG_KEY}.tokenizer` },
    );
  } else {
    const lowercase = opts.lowercase ?? (tokJson as { lowercase?: boolean } | undefined)?.lowercase ?? true;
    const maxChars = opts.maxInputCharsPerWord ?? (tokJson as { maxInputCharsPerWord?: number } | undefined)?.maxInputCharsPerWord ?? 100;
    try {
      tokenizer = new WordPieceTokenizer(vocabLines, { lowercase, maxInputCharsPerWord: maxChars });
    } catch (e) {
      if (e instanceof ConfigError) throw new CheckpointError(`vocab.txt: ${e.message}`, { file: 'vocab.txt' });
      throw e;
    }
  }
  const wordRows = byName.get('embeddings.word_embeddings.weight')?.shape[0];
  if (wordRows !== undefined && vocabLines.length !== wordRows) {
    throw new CheckpointError(
      `vocab.txt has ${vocabLines.length} lines but embeddings.word_embeddings.weight has ${wordRows} rows`,
      { file: 'vocab.txt', lines: vocabLines.length, rows: wordRows },
    );
  }
  if (tokenizer.vocabSize !== cfg.vocabSize) {
    throw new CheckpointError(`vocab.txt has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${cfg.vocabSize}`, {
      file: 'vocab.txt',
      field: 'vocab_size',
    });
  }

  // Compare the file's tensors with what the config needs.
  const specs = modelTensorSpecs(cfg);
  const wanted = new Map(specs.map((s) => [s.name, s]));
  const skippable = (n: string) =>
    n === 'embeddings.position_ids' ||
    n.startsWith('cls.') ||
    (n.startsWith('pooler.') && !wanted.has(n)) ||
    (n.startsWith('classifier.') && cfg.kind !== 'ce' && opts.kind !== undefined) ||
    (distil && /^(vocab_transform|vocab_layer_norm|vocab_projector|pre_classifier)\./.test(n) && cfg.kind !== 'ce');
  // DistilBERT has no token-type table: one zero row (see distilbertFields).
  const synthesised = new Set<string>();
  if (distil) for (const s of specs) if (s.name.endsWith('embeddings.token_type_embeddings.weight') && !byName.has(s.name)) synthesised.add(s.name);
  const missing = specs.filter((s) => !byName.has(s.name) && !synthesised.has(s.name)).map((s) => s.name);
  const skipped: string[] = [];
  const unexpected: string[] = [...duplicates];
  for (const [n, e] of byName) {
    if (wanted.has(n)) continue;
    if (skippable(n)) skipped.push(e.name);
    else unexpected.push(e.name);
  }
  const misShaped: string[] = [];
  for (const s of specs) {
    const e = byName.get(s.name);
    if (e && (e.shape.length !== s.shape.length || e.shape.some((d, i) => d !== s.shape[i]))) {
      misShaped.push(`${e.name}: [${e.shape.join(', ')}] in the file, [${s.shape.join(', ')}] from config.json`);
    }
  }
  if (missing.length + unexpected.length + misShaped.length > 0) {
    const parts = [
      missing.length ? `missing ${missing.length}: ${missing.join(', ')}` : '',
      unexpected.length ? `unexpected ${unexpected.length}: ${unexpected.join(', ')}` : '',
      misShaped.length ? `mis-shaped ${misShaped.length}: ${misShaped.join('; ')}` : '',
    ].filter(Boolean);
    throw new CheckpointError(`model.safetensors does not match config.json (${parts.join('; ')})`, {
      file: 'model.safetensors',
      missing,
      unexpected,
      misShaped,
    });
  }

  const weights = new Map<string, Float32Array>();
  for (const s of specs) {
    if (synthesised.has(s.name)) {
      weights.set(s.name, new Float32Array(s.shape[0] * s.shape[1]));
      continue;
    }
    const e = byName.get(s.name)!;
    const values = tensorToFloat32(st, e);
    // NaN or infinite weights are refused (not warned about): every score would be NaN and
    // training would stop at its first step's non-finite check.
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      const offset = e.begin + bad * ((e.end - e.begin) / values.length);
      throw new CheckpointError(
        `model.safetensors: tensor ${e.name} holds a non-finite value (${values[bad]}) at element ${bad} (byte ${offset} of the file): the checkpoint is corrupt or diverged`,
        { file: 'model.safetensors', tensor: e.name, element: bad, offset },
      );
    }
    weights.set(s.name, values);
  }
  const model = RetrievalModel.fromWeights(cfg, tokenizer, weights);
  if (skipped.length > 0) opts.onSkipped?.(skipped);
  return model;
}

export interface ExportedFiles {
  configJson: string;
  vocabTxt: string;
  safetensors: Uint8Array;
}

/** Name in the exported file: encoder weights and the pooler under `bert.`, heads as HF names them. */
function exportName(name: string): string {
  if (name.startsWith('classifier.') || name === 'linear.weight' || name.startsWith('passage_encoder.')) return name;
  return `bert.${name}`;
}

/** Writes the model as a Hugging Face checkpoint (see the notes at the top of this file). */
export async function exportHuggingFace(model: RetrievalModel): Promise<ExportedFiles> {
  const cfg = model.config;
  const tok = model.tokenizer;
  const weights = await model.readWeights();
  const tensors = model.variables().map((v) => ({ name: exportName(v.name), ...weights.get(v.name)! }));

  let vocabTxt: string;
  let tokenizer: LabSection['tokenizer'];
  if (tok instanceof WordPieceTokenizer) {
    vocabTxt = tok.toVocabTxt();
    tokenizer = { kind: 'wordpiece', lowercase: tok.lowercase, maxInputCharsPerWord: tok.maxInputCharsPerWord };
  } else if (tok instanceof HashedWordTokenizer) {
    vocabTxt = tok.toVocabLines().map((l) => `${l}\n`).join('');
    tokenizer = tok.toJSON();
  } else {
    vocabTxt = Array.from({ length: tok.vocabSize }, (_, i) => `${tok.idToToken(i)}\n`).join('');
    tokenizer = tok.toJSON();
  }

  const hf: Record<string, unknown> = {
    architectures: [cfg.kind === 'ce' ? 'BertForSequenceClassification' : 'BertModel'],
    model_type: 'bert',
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hidden,
    num_hidden_layers: cfg.layers,
    num_attention_heads: cfg.heads,
    intermediate_size: cfg.ffn,
    hidden_act: 'gelu',
    hidden_dropout_prob: cfg.dropout.hidden,
    attention_probs_dropout_prob: cfg.dropout.attention,
    max_position_embeddings: cfg.maxPositions,
    type_vocab_size: cfg.typeVocabSize,
    initializer_range: cfg.initializerRange,
    layer_norm_eps: cfg.layerNormEps,
    pad_token_id: tok.special.pad,
    position_embedding_type: 'absolute',
  };
  if (cfg.kind === 'ce') {
    hf.id2label = { 0: 'LABEL_0' };
    hf.label2id = { LABEL_0: 0 };
  }
  const lab: LabSection = { version: LAB_FORMAT_VERSION, config: cfg, tokenizer };
  hf[LAB_CONFIG_KEY] = lab;
  return {
    configJson: `${JSON.stringify(hf, null, 2)}\n`,
    vocabTxt,
    safetensors: writeSafetensors(tensors, { format: 'pt' }),
  };
}
