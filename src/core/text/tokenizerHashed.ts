// A second tokenizer kind, for students: whole words. Ids: the five specials, then a
// list of known words (the most frequent of a corpus, optional), then `buckets` hash
// buckets that every other word falls into by FNV-1a. It shares nothing with a WordPiece
// teacher (LEAD's point: only the scores over the same (query, passage) pairs meet), and
// its sequences are shorter than WordPiece's (one id per word), so a small student is cheap.
// Words are found by the same BERT BasicTokenizer (lowercase, accents, punctuation, CJK).

import { ConfigError } from '../errors';
import {
  buildPair,
  buildSingle,
  SPECIAL_TOKENS,
  type Encoding,
  type SpecialTokenIds,
  type Tokenizer,
  type TokenizerJSON,
} from './tokenizerBase';
import { basicTokenize } from './wordpiece';

/** FNV-1a over UTF-16 code units, 32-bit, from a seed. */
export function fnv1a(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface HashedWordOptions {
  lowercase?: boolean;
  hashSeed?: number;
}

export class HashedWordTokenizer implements Tokenizer {
  readonly kind = 'hashed-word' as const;
  readonly special: SpecialTokenIds = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
  readonly words: readonly string[];
  readonly buckets: number;
  readonly lowercase: boolean;
  readonly hashSeed: number;
  private readonly wordId = new Map<string, number>();

  constructor(words: readonly string[], buckets: number, opts: HashedWordOptions = {}) {
    if (!Number.isInteger(buckets) || buckets < 1) {
      throw new ConfigError(`hashed-word tokenizer needs buckets >= 1, got ${buckets}`, { field: 'buckets' });
    }
    this.words = words.slice();
    this.buckets = buckets;
    this.lowercase = opts.lowercase ?? true;
    this.hashSeed = opts.hashSeed ?? 0;
    this.words.forEach((w, i) => {
      if (this.wordId.has(w)) throw new ConfigError(`hashed-word tokenizer: duplicate word "${w}"`, { field: 'words' });
      this.wordId.set(w, SPECIAL_TOKENS.length + i);
    });
  }

  get vocabSize(): number {
    return SPECIAL_TOKENS.length + this.words.length + this.buckets;
  }

  private idOf(word: string): number {
    const known = this.wordId.get(word);
    if (known !== undefined) return known;
    return SPECIAL_TOKENS.length + this.words.length + (fnv1a(word, this.hashSeed) % this.buckets);
  }

  encode(text: string): number[] {
    return basicTokenize(text, { lowercase: this.lowercase }).map((w) => this.idOf(w));
  }

  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.idToToken(id));
  }

  encodeSingle(text: string, maxLen?: number): Encoding {
    return buildSingle(this.encode(text), this.special, maxLen);
  }

  encodePair(a: string, b: string | null, maxLen?: number): Encoding {
    return buildPair(this.encode(a), b === null ? null : this.encode(b), this.special, maxLen);
  }

  /** Specials and known words by name; a bucket as `[#n]` (the word itself is not recoverable). */
  idToToken(id: number): string {
    if (id >= 0 && id < SPECIAL_TOKENS.length) return SPECIAL_TOKENS[id];
    const w = id - SPECIAL_TOKENS.length;
    if (w < this.words.length) return this.words[w];
    if (w - this.words.length < this.buckets) return `[#${w - this.words.length}]`;
    return '[UNK]';
  }

  decode(ids: ArrayLike<number>, opts: { keepSpecial?: boolean } = {}): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (!opts.keepSpecial && ids[i] < SPECIAL_TOKENS.length) continue;
      out.push(this.idToToken(ids[i]));
    }
    return out.join(' ');
  }

  /**
   * One line per id, for an exported vocab.txt: specials, known words, then `[#n]` per
   * bucket. A BERT WordPiece tokenizer reading it finds the known words; a hashed word
   * becomes [UNK] there (the lab's own import restores this tokenizer from config.json).
   */
  toVocabLines(): string[] {
    const lines: string[] = [...SPECIAL_TOKENS, ...this.words];
    for (let i = 0; i < this.buckets; i++) lines.push(`[#${i}]`);
    return lines;
  }

  toJSON(): TokenizerJSON {
    return {
      kind: 'hashed-word',
      words: this.words.slice(),
      buckets: this.buckets,
      lowercase: this.lowercase,
      hashSeed: this.hashSeed,
    };
  }

  static fromJSON(j: Extract<TokenizerJSON, { kind: 'hashed-word' }>): HashedWordTokenizer {
    return new HashedWordTokenizer(j.words, j.buckets, { lowercase: j.lowercase, hashSeed: j.hashSeed });
  }
}

/**
 * A hashed-word tokenizer of exactly `vocabSize` ids (at most, with `fitCorpus`): the most
 * frequent words of the corpus (ties by first appearance) get their own ids, `bucketFraction`
 * of the ids (default 0.25) are hash buckets for the rest.
 */
export function trainHashedWord(
  texts: Iterable<string>,
  vocabSize: number,
  opts: HashedWordOptions & {
    bucketFraction?: number;
    minFrequency?: number;
    /** At most vocabSize ids: fewer when the corpus has fewer frequent words than room. */
    fitCorpus?: boolean;
  } = {},
): HashedWordTokenizer {
  const frac = opts.bucketFraction ?? 0.25;
  if (!Number.isInteger(vocabSize) || vocabSize < SPECIAL_TOKENS.length + 1) {
    throw new ConfigError(`vocabSize must be an integer >= ${SPECIAL_TOKENS.length + 1}, got ${vocabSize}`, {
      field: 'vocabSize',
    });
  }
  if (!(frac > 0 && frac <= 1)) {
    throw new ConfigError(`bucketFraction must be in (0, 1], got ${frac}`, { field: 'bucketFraction' });
  }
  const free = vocabSize - SPECIAL_TOKENS.length;
  const buckets = Math.max(1, Math.round(free * frac));
  const counts = new Map<string, number>();
  for (const t of texts) {
    for (const w of basicTokenize(t, { lowercase: opts.lowercase ?? true })) counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  const minF = opts.minFrequency ?? 2;
  // Stable sort keeps first appearance among equal counts: deterministic for a given corpus.
  const ranked = [...counts.entries()].filter(([w, c]) => c >= minF && !(SPECIAL_TOKENS as readonly string[]).includes(w));
  ranked.sort((x, y) => y[1] - x[1]);
  const words = ranked.slice(0, free - buckets).map(([w]) => w);
  if (opts.fitCorpus && words.length < free - buckets) {
    // A small corpus has fewer frequent words than room: a vocabulary of exactly its words,
    // plus buckets in the same proportion for the rest, instead of thousands of empty rows.
    const fitted = Math.max(16, Math.round((words.length * frac) / (1 - frac)));
    return new HashedWordTokenizer(words, fitted, opts);
  }
  // Fewer frequent words than room: give the rest to buckets so the size is exactly vocabSize.
  return new HashedWordTokenizer(words, free - words.length, opts);
}
