// The run config: one typed, serialisable object (seed included) describing a whole run: its
// models, tokenizers, recipe and training settings. It round-trips through a JSON file and the
// URL (?config=base64url(JSON)) and is validated on load with the core's validators, so a config
// that loads is one the trainer accepts. (House style: playground's `State`.)
//
// It lives in the UI until the core grows its own RunConfig (src/core/distill/recipes.ts names
// one); it is built only from core types and validators.

import { ConfigError } from '../../core/errors';
import { validateModelConfig, type ModelConfig, type ModelConfigInput } from '../../core/model/config';
import { DEFAULT_TRAIN, defaultRecipe, validateRecipe, validateTrainSettings, type Recipe, type RecipeKind, type TrainSettings } from '../../core/distill/recipes';
import { defaultExperiment, LAB_DROPOUT, LAB_LR, validateStudentInit, type StudentInit } from '../../core/distill/experiment';
import { checkLayerList, everyOtherLayer, studentConfigFrom } from '../../core/model/initFrom';

/** The five special tokens every tokenizer reserves ([PAD], [UNK], [CLS], [SEP], [MASK]). */
export const SPECIAL_TOKEN_COUNT = 5;

export type TokenizerDesign =
  /** WordPiece trained on the corpus at this vocabulary size. */
  | { kind: 'wordpiece'; vocabSize: number }
  /** Hashed words: the most frequent `words` get an id each, every other word one of `buckets`. */
  | { kind: 'hashed-word'; words: number; buckets: number }
  /** The vocabulary of an imported checkpoint (vocab.txt). */
  | { kind: 'pretrained'; vocabSize: number; source: string };

/** A model's shape: every ModelConfig field but the vocabulary size, which the tokenizer sets. */
export type ModelShape = Omit<ModelConfigInput, 'vocabSize'>;

export interface ModelDesign {
  name: string;
  shape: ModelShape;
  tokenizer: TokenizerDesign;
  /**
   * The student only: its initial weights (the core's StudentInit; absent = random). Cut from
   * teacher 1 or a stored model (`id`: import:<id>, run:<run>:<checkpoint>, builtin:<name>), the
   * student takes that model's width, heads, FFN, positions and tokenizer: its own `shape` fields
   * for those and its `tokenizer` are ignored (effectiveStudent gives the model it becomes).
   */
  init?: StudentInit;
}

export interface RunConfig {
  version: 1;
  name: string;
  /** Seeds everything random in the run: initialisation, batches, layer selection, dropout. */
  seed: number;
  /** The corpus it trains on (null: the built-in world). */
  corpus: string | null;
  /** Teachers; PROD stages index into this list, LEAD and KD use the first. */
  teachers: ModelDesign[];
  student: ModelDesign;
  recipe: Recipe;
  train: TrainSettings;
}

export function tokenizerVocabSize(t: TokenizerDesign): number {
  switch (t.kind) {
    case 'wordpiece':
    case 'pretrained':
      return t.vocabSize;
    case 'hashed-word':
      return SPECIAL_TOKEN_COUNT + t.words + t.buckets;
  }
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** The longest name, corpus id or checkpoint source a run config may carry (characters). */
export const MAX_NAME_CHARS = 200;
/** The longest ?config= value read (characters); a real config is a few kB. */
export const MAX_CONFIG_PARAM_CHARS = 100_000;
const longString = (v: unknown) => typeof v === 'string' && v.length > MAX_NAME_CHARS;
const tooLong = (v: string) => `must be at most ${MAX_NAME_CHARS} characters, got ${v.length}`;

function fail(field: string, message: string): never {
  throw new ConfigError(`run config: ${field} ${message}`, { field });
}

/** Validates a tokenizer design; errors name `${at}.field`. */
export function validateTokenizer(input: unknown, at = 'tokenizer'): TokenizerDesign {
  if (typeof input !== 'object' || input === null) fail(at, 'must be an object');
  const t = input as Record<string, unknown>;
  switch (t.kind) {
    case 'wordpiece':
      if (!isInt(t.vocabSize) || t.vocabSize < SPECIAL_TOKEN_COUNT + 1) fail(`${at}.vocabSize`, `must be an integer >= ${SPECIAL_TOKEN_COUNT + 1}`);
      return { kind: 'wordpiece', vocabSize: t.vocabSize };
    case 'hashed-word':
      if (!isInt(t.words) || t.words < 0) fail(`${at}.words`, 'must be an integer >= 0');
      if (!isInt(t.buckets) || t.buckets < 1) fail(`${at}.buckets`, 'must be an integer >= 1');
      return { kind: 'hashed-word', words: t.words, buckets: t.buckets };
    case 'pretrained':
      if (!isInt(t.vocabSize) || t.vocabSize < SPECIAL_TOKEN_COUNT + 1) fail(`${at}.vocabSize`, `must be an integer >= ${SPECIAL_TOKEN_COUNT + 1}`);
      if (typeof t.source !== 'string') fail(`${at}.source`, 'must name the checkpoint');
      if (t.source.length > 4 * MAX_NAME_CHARS) fail(`${at}.source`, `must be at most ${4 * MAX_NAME_CHARS} characters, got ${t.source.length}`);
      return { kind: 'pretrained', vocabSize: t.vocabSize, source: t.source };
    default:
      fail(`${at}.kind`, `must be 'wordpiece', 'hashed-word' or 'pretrained', got ${JSON.stringify(t.kind)}`);
  }
}

/** The full ModelConfig of a design (validated by the core; field names as the core's). */
export function modelConfigOf(d: ModelDesign): ModelConfig {
  return validateModelConfig({ ...d.shape, vocabSize: tokenizerVocabSize(d.tokenizer) });
}

/** Re-throws a core ConfigError with its field prefixed by where it sits in the run config. */
function within<T>(prefix: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConfigError) {
      const field = typeof e.details?.field === 'string' ? e.details.field : '(root)';
      // Fields the core already names from the top (train settings say "train.lr") keep their name.
      const full = field === '(root)' ? prefix : field === prefix || field.startsWith(`${prefix}.`) ? field : `${prefix}.${field}`;
      throw new ConfigError(`${e.message} (at ${full})`, { field: full });
    }
    throw e;
  }
}

export function validateModelDesign(input: unknown, at: string): ModelDesign {
  if (typeof input !== 'object' || input === null) fail(at, 'must be an object');
  const d = input as Record<string, unknown>;
  const fields = at === 'student' ? ['name', 'shape', 'tokenizer', 'init'] : ['name', 'shape', 'tokenizer'];
  for (const k of Object.keys(d)) if (!fields.includes(k)) fail(`${at}.${k}`, k === 'init' ? 'applies to the student only' : 'is not a model design field');
  if (typeof d.name !== 'string' || d.name.trim() === '') fail(`${at}.name`, 'must be a non-empty string');
  if (longString(d.name)) fail(`${at}.name`, tooLong(d.name));
  const tokenizer = validateTokenizer(d.tokenizer, `${at}.tokenizer`);
  if (typeof d.shape !== 'object' || d.shape === null) fail(`${at}.shape`, 'must be an object');
  if ('vocabSize' in (d.shape as object)) fail(`${at}.shape.vocabSize`, 'is set by the tokenizer, not the shape');
  const design: ModelDesign = { name: d.name, shape: d.shape as ModelShape, tokenizer };
  within(`${at}.shape`, () => modelConfigOf(design));
  if (d.init !== undefined) design.init = within(`${at}.init`, () => validateStudentInit(d.init, undefined, `${at}.init`));
  return design;
}

const RUN_FIELDS = ['version', 'name', 'seed', 'corpus', 'teachers', 'student', 'recipe', 'train'];

/** Validates a run config (an imported file, a URL): ConfigError names the first bad field. */
export function validateRunConfig(input: unknown): RunConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('(root)', 'must be an object');
  const x = input as Record<string, unknown>;
  for (const k of Object.keys(x)) if (!RUN_FIELDS.includes(k)) fail(k, 'is not a run config field');
  if (x.version !== 1) fail('version', `must be 1, got ${JSON.stringify(x.version)}`);
  if (typeof x.name !== 'string') fail('name', 'must be a string');
  if (longString(x.name)) fail('name', tooLong(x.name));
  if (!isInt(x.seed) || x.seed < 0 || x.seed > 0xffffffff) fail('seed', 'must be an integer in [0, 2^32)');
  if (x.corpus !== null && typeof x.corpus !== 'string') fail('corpus', 'must be a corpus id or null');
  if (longString(x.corpus)) fail('corpus', tooLong(x.corpus as string));
  if (!Array.isArray(x.teachers)) fail('teachers', 'must be a list');
  const teachers = x.teachers.map((t, i) => validateModelDesign(t, `teachers[${i}]`));
  const student = validateModelDesign(x.student, 'student');
  const recipe = within('recipe', () => validateRecipe(x.recipe, teachers.length));
  if (recipe.kind !== 'baseline' && teachers.length === 0) fail('teachers', `a ${recipe.kind} recipe needs at least one teacher`);
  const train = within('train', () => validateTrainSettings(x.train ?? {}));
  const cfg: RunConfig = { version: 1, name: x.name, seed: x.seed, corpus: (x.corpus as string | null) ?? null, teachers, student, recipe, train };
  crossCheck(cfg);
  return cfg;
}

/** What a stored model the student may be cut from tells of itself (ModelSummary's id and info). */
export interface InitSource {
  id: string;
  info: Pick<ModelShape, 'layers' | 'hidden' | 'heads' | 'ffn' | 'maxPositions'> & { kind: string; vocabSize: number };
}

/** The blocks a student init keeps of a source of `depth` blocks (defaults: every other one of a teacher, all of a checkpoint). */
export function initLayers(init: StudentInit, depth: number): number[] {
  if (init.from === 'random') return [];
  return init.layers ?? (init.from === 'teacher' ? everyOtherLayer(depth) : Array.from({ length: depth }, (_, i) => i));
}

/**
 * The model the student becomes: itself when random; cut from teacher 1 or a stored model, that
 * model's architecture and tokenizer with the chosen blocks (the core's studentConfigFrom).
 * Null when it cannot be told (an unknown stored model, a shape that does not validate).
 */
export function effectiveStudent(cfg: Pick<RunConfig, 'student' | 'teachers'>, sources: readonly InitSource[] = []): ModelDesign | null {
  const s = cfg.student;
  const init = s.init;
  if (!init || init.from === 'random') return s;
  let from: { shape: ModelShape; tokenizer: TokenizerDesign };
  if (init.from === 'teacher') {
    if (!cfg.teachers[0]) return null;
    from = cfg.teachers[0];
  } else {
    const m = sources.find((x) => x.id === init.id);
    if (!m) return null;
    const { vocabSize, kind, layers, hidden, heads, ffn, maxPositions } = m.info;
    from = { shape: { kind: kind as ModelShape['kind'], layers, hidden, heads, ffn, maxPositions }, tokenizer: { kind: 'pretrained', vocabSize, source: m.id } };
  }
  try {
    const shape = studentConfigFrom(from.shape, s.shape, initLayers(init, from.shape.layers).length) as ModelShape;
    return { name: s.name, shape, tokenizer: from.tokenizer };
  } catch {
    return null;
  }
}

/** Rules that span sections: LEAD's k against both depths (section 4); the student's init against teacher 1. */
function crossCheck(cfg: RunConfig): void {
  const r = cfg.recipe;
  const init = cfg.student.init;
  if (init && init.from !== 'random') {
    if (init.from === 'teacher' && !cfg.teachers[0]) fail('student.init', 'cuts the student from teacher 1, and there is no teacher');
    const t = init.from === 'teacher' ? cfg.teachers[0].shape : undefined;
    if (cfg.student.shape.kind === 'ce' || t?.kind === 'ce') {
      within('student', () => studentConfigFrom(t ?? { kind: 'de' }, cfg.student.shape, 1));
    }
    if (t && init.layers && isInt(t.layers)) within('student', () => checkLayerList(init.layers, t.layers, 'student.init.layers'));
  }
  if (r.kind === 'lead' && cfg.teachers[0]) {
    const lt = cfg.teachers[0].shape.layers;
    const ls = !init || init.from === 'random' ? cfg.student.shape.layers : init.layers?.length ?? (init.from === 'teacher' && isInt(lt) ? everyOtherLayer(lt).length : undefined);
    if (ls === undefined) return; // a stored model's depth: checked when the run starts
    // A bad depth is reported at the depth itself.
    if (!isInt(lt) || !isInt(ls) || lt < 1 || ls < 1) return;
    if (r.k > Math.min(lt, ls)) fail('recipe.k', `(${r.k}) must not exceed the depth of the student (${ls}) or the teacher (${lt})`);
  }
}

/**
 * Every problem of an edited config, one per field, for inline display: each section is
 * validated on its own so that one bad field does not hide another section's.
 */
export function runConfigErrors(cfg: RunConfig): Record<string, string> {
  const out: Record<string, string> = {};
  const catchInto = (f: () => void) => {
    try {
      f();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const field = typeof e.details?.field === 'string' ? e.details.field : '(root)';
      if (!(field in out)) out[field] = e.message.replace(/^(run config|recipe|model config): /, '').replace(/ \(at [^)]*\)$/, '');
    }
  };
  catchInto(() => {
    if (!isInt(cfg.seed) || cfg.seed < 0 || cfg.seed > 0xffffffff) fail('seed', 'must be an integer in [0, 2^32)');
  });
  cfg.teachers.forEach((t, i) => catchInto(() => validateModelDesign(t, `teachers[${i}]`)));
  catchInto(() => validateModelDesign(cfg.student, 'student'));
  catchInto(() => within('recipe', () => validateRecipe(cfg.recipe, cfg.teachers.length)));
  catchInto(() => {
    if (cfg.recipe.kind !== 'baseline' && cfg.teachers.length === 0) fail('teachers', `a ${cfg.recipe.kind} recipe needs at least one teacher`);
  });
  catchInto(() => within('train', () => validateTrainSettings(cfg.train)));
  catchInto(() => crossCheck(cfg));
  return out;
}

const KIND_TAG: Record<string, string> = { de: 'DE', cb: 'CB', ce: 'CE' };
const AUTO_NAME = /^(.*?) \((DE|CB|CE) \d+ x \d+\)$/;

/** The shape part of a generated model name: "DE 4 x 128" (kind, layers x hidden). */
export function shapeTag(shape: Pick<ModelShape, 'kind' | 'layers' | 'hidden'>): string {
  return `${KIND_TAG[shape.kind] ?? String(shape.kind).toUpperCase()} ${shape.layers} x ${shape.hidden}`;
}

/** A generated model name: "teacher (DE 4 x 128)". */
export function autoModelName(prefix: string, shape: Pick<ModelShape, 'kind' | 'layers' | 'hidden'>): string {
  return `${prefix} (${shapeTag(shape)})`;
}

/**
 * The name a model gets when its shape changes: a generated name ("<prefix> (<KIND> L x H)")
 * follows the new shape; a name the user gave is kept.
 */
export function nameForShape(name: string, shape: Pick<ModelShape, 'kind' | 'layers' | 'hidden'>): string {
  const m = AUTO_NAME.exec(name);
  if (!m || !Number.isFinite(shape.layers) || !Number.isFinite(shape.hidden)) return name;
  return autoModelName(m[1], shape);
}

/** The Models tab's teacher: the lab's default DE teacher (defaultExperiment). */
export function defaultTeacher(): ModelDesign {
  const t = defaultExperiment().teachers[0];
  return {
    name: autoModelName('teacher', t.model),
    shape: { ...t.model, dropout: { ...LAB_DROPOUT } },
    tokenizer: { kind: 'hashed-word', words: 27000, buckets: 3000 - SPECIAL_TOKEN_COUNT },
  };
}

/** The Models tab's student: the lab's default DE student (defaultExperiment). */
export function defaultStudent(): ModelDesign {
  const s = defaultExperiment().student;
  return {
    name: autoModelName('student', s.model),
    shape: { ...s.model, dropout: { ...LAB_DROPOUT } },
    tokenizer: { kind: 'hashed-word', words: 18000, buckets: 2000 - SPECIAL_TOKEN_COUNT },
  };
}

/** The lab's first-visit run: benchmark.md's `lead-de` models, LEAD with the papers' defaults. */
export function defaultRunConfig(kind: RecipeKind = 'lead'): RunConfig {
  return {
    version: 1,
    name: `${kind.toUpperCase()} demo`,
    seed: 1,
    corpus: null,
    teachers: [defaultTeacher()],
    student: defaultStudent(),
    recipe: defaultRecipe(kind),
    train: { ...DEFAULT_TRAIN, lr: LAB_LR },
  };
}

// ---- Sharing: JSON text and the URL.

export function runConfigToJson(cfg: RunConfig): string {
  return JSON.stringify(cfg, null, 2) + '\n';
}

/** Parses and validates a run config file's text. */
export function runConfigFromJson(text: string): RunConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`run config: not valid JSON (${(e as Error).message})`, { field: '(root)' });
  }
  return validateRunConfig(parsed);
}

function bytesToBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function base64UrlToBytes(s: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new ConfigError('run config in the URL: not base64url text', { field: '(url)' });
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** base64url of the config's compact JSON (UTF-8), for `?config=`. */
export function encodeConfigParam(cfg: RunConfig): string {
  return bytesToBase64Url(new TextEncoder().encode(JSON.stringify(cfg)));
}

export function decodeConfigParam(param: string): RunConfig {
  if (param.length > MAX_CONFIG_PARAM_CHARS) {
    throw new ConfigError(`run config in the URL: ${param.length} characters, over the ${MAX_CONFIG_PARAM_CHARS} a config can take`, { field: '(url)' });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(base64UrlToBytes(param));
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError('run config in the URL: not UTF-8 text', { field: '(url)' });
  }
  return runConfigFromJson(text);
}

/** A shareable address: `base` (page URL, its other parameters kept) with ?config=. */
export function configUrl(base: string, cfg: RunConfig): string {
  const url = new URL(base);
  url.searchParams.set('config', encodeConfigParam(cfg));
  return url.toString();
}

/** The config in a URL or query string, if any: its value, or the error that rejected it. */
export function configFromSearch(search: string): { config: RunConfig } | { error: string } | null {
  const q = search.includes('?') ? search.slice(search.indexOf('?')) : search;
  const param = new URLSearchParams(q).get('config');
  if (param === null) return null;
  try {
    return { config: decodeConfigParam(param) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}
