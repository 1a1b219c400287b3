// What every tokenizer in the lab offers, and the helpers that turn its ids into model
// inputs ([CLS] a [SEP] (b [SEP]), segment ids, padding). Teacher and student may use
// different tokenizers (LEAD: they need share nothing), so the models only ever see this
// interface. Pure TypeScript: no tfjs here; the model turns the padded batch into tensors.

/** Ids of the five BERT special tokens. */
export interface SpecialTokenIds {
  pad: number;
  unk: number;
  cls: number;
  sep: number;
  mask: number;
}

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

export type TokenizerKind = 'wordpiece' | 'hashed-word';

/** Serialised tokenizer (stored with checkpoints and in exported config.json). */
export type TokenizerJSON =
  | { kind: 'wordpiece'; vocab: string[]; lowercase: boolean; maxInputCharsPerWord: number }
  | {
      kind: 'hashed-word';
      /** Words with an id of their own, after the five special tokens. */
      words: string[];
      /** Hash buckets for every other word, after the words. */
      buckets: number;
      lowercase: boolean;
      /** Seed of the FNV-1a hash (a different seed gives a different collision pattern). */
      hashSeed: number;
    };

/** One tokenised sequence with specials: ids and segment (token type) ids, same length. */
export interface Encoding {
  ids: number[];
  typeIds: number[];
}

export interface Tokenizer {
  readonly kind: TokenizerKind;
  /** Number of ids, i.e. rows of the word embedding matrix. */
  readonly vocabSize: number;
  readonly special: SpecialTokenIds;
  /** Token strings without specials (as HF `tokenize`). */
  tokenize(text: string): string[];
  /** Ids without specials. */
  encode(text: string): number[];
  /** `[CLS] text [SEP]`, text truncated so the whole fits maxLen (when given). */
  encodeSingle(text: string, maxLen?: number): Encoding;
  /**
   * `[CLS] a [SEP] b [SEP]` with segment ids 0 for `[CLS] a [SEP]` and 1 for `b [SEP]`
   * (or `[CLS] a [SEP]` when b is null), truncated longest-first to maxLen as HF does.
   */
  encodePair(a: string, b: string | null, maxLen?: number): Encoding;
  /** Readable text back from ids (special tokens dropped unless keepSpecial). */
  decode(ids: ArrayLike<number>, opts?: { keepSpecial?: boolean }): string;
  idToToken(id: number): string;
  toJSON(): TokenizerJSON;
}

/** `[CLS] ids [SEP]` truncated to maxLen (at least 2). */
export function buildSingle(ids: number[], sp: SpecialTokenIds, maxLen?: number): Encoding {
  const body = maxLen !== undefined ? ids.slice(0, Math.max(0, maxLen - 2)) : ids;
  const out = [sp.cls, ...body, sp.sep];
  return { ids: out, typeIds: new Array<number>(out.length).fill(0) };
}

/**
 * `[CLS] a [SEP] b [SEP]`. Truncation is HF's `longest_first` (slow tokenizer): remove one
 * token at a time from the end of the currently longer side (b on ties) until the pair fits.
 */
export function buildPair(a: number[], b: number[] | null, sp: SpecialTokenIds, maxLen?: number): Encoding {
  if (b === null) return buildSingle(a, sp, maxLen);
  let la = a.length;
  let lb = b.length;
  if (maxLen !== undefined) {
    const budget = Math.max(0, maxLen - 3);
    // Closed form of HF's loop `for each excess token: if len(a) > len(b) cut a else cut b`:
    // the longer side shrinks to the shorter, then they take turns, b first on ties.
    let excess = la + lb - budget;
    if (excess > 0) {
      const d = Math.min(excess, Math.abs(la - lb));
      if (la > lb) la -= d;
      else lb -= d;
      excess -= d;
      lb -= Math.ceil(excess / 2);
      la -= Math.floor(excess / 2);
    }
  }
  const ids = [sp.cls, ...a.slice(0, la), sp.sep, ...b.slice(0, lb), sp.sep];
  const typeIds = new Array<number>(ids.length).fill(0);
  for (let i = la + 2; i < ids.length; i++) typeIds[i] = 1;
  return { ids, typeIds };
}

/** A padded batch, row-major, ready to become [N, T] tensors. */
export interface PaddedBatch {
  /** Number of sequences. */
  n: number;
  /** Padded length. */
  t: number;
  ids: Int32Array;
  typeIds: Int32Array;
  /** 1 for real tokens, 0 for padding. */
  mask: Float32Array;
  /** Real length of each sequence. */
  lengths: Int32Array;
}

/**
 * Pads to the longest sequence, rounded up to a multiple of `multipleOf` (so GPU kernels
 * see few distinct shapes) and capped at maxLen. Sequences longer than maxLen are cut
 * (callers normally truncate before, keeping the final [SEP]). `length` forces an exact
 * padded length (chunks of one encoding job that must concatenate).
 */
export function padBatch(
  encs: Encoding[],
  padId: number,
  opts: { maxLen?: number; multipleOf?: number; length?: number } = {},
): PaddedBatch {
  const n = encs.length;
  let longest = 0;
  for (const e of encs) longest = Math.max(longest, e.ids.length);
  const m = Math.max(1, opts.multipleOf ?? 1);
  let t = Math.ceil(Math.max(1, longest) / m) * m;
  if (opts.maxLen !== undefined) t = Math.min(t, Math.max(1, opts.maxLen));
  if (opts.length !== undefined) t = Math.max(1, opts.length);
  const ids = new Int32Array(n * t).fill(padId);
  const typeIds = new Int32Array(n * t);
  const mask = new Float32Array(n * t);
  const lengths = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const e = encs[i];
    const len = Math.min(t, e.ids.length);
    lengths[i] = len;
    for (let j = 0; j < len; j++) {
      ids[i * t + j] = e.ids[j];
      typeIds[i * t + j] = e.typeIds[j];
      mask[i * t + j] = 1;
    }
  }
  return { n, t, ids, typeIds, mask, lengths };
}
