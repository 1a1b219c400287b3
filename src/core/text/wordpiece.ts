// BERT's tokenizer, exactly as Hugging Face `BertTokenizer` (uncased) does it:
// BasicTokenizer (clean control chars, whitespace -> ' ', space around CJK ideographs,
// NFC, whitespace split, lowercase, strip accents via NFD minus Mn, split punctuation),
// then WordPiece greedy longest-match-first with '##' continuations; a word longer than
// 100 characters, or with a piece that matches nothing, becomes one [UNK].
// Checked token for token against test/golden/bert-tiny-random/expected.json.

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

// ---------------------------------------------------------------------------------------
// Character classes (transformers/models/bert/tokenization_bert.py)

const RE_CONTROL = /\p{C}/u; // Cc, Cf, Cs, Co, Cn: Python's category(c).startswith('C')
const RE_ZS = /\p{Zs}/u;
const RE_PUNCT = /\p{P}/u;
const RE_MN = /\p{Mn}/gu;

function isWhitespace(cp: number, ch: string): boolean {
  if (cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d) return true;
  if (cp < 0x80) return false;
  return RE_ZS.test(ch);
}

function isControl(cp: number, ch: string): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false;
  if (cp < 0x80) return cp < 0x20 || cp === 0x7f;
  return RE_CONTROL.test(ch);
}

/** ASCII non-letter/number symbols count as punctuation too (BERT treats '$', '^', '`' so). */
function isPunctuation(cp: number, ch: string): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
    return true;
  }
  if (cp < 0x80) return false;
  return RE_PUNCT.test(ch);
}

/** CJK Unified Ideographs blocks (not Hiragana/Katakana/Hangul, which are space-separated). */
function isCjk(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

// JS \s after cleaning equals Python's str.split() there: the characters where the two
// differ (\x1c-\x1f, \x85, \v, \f, \ufeff) are control/format characters, already removed.
const RE_WS = /\s+/u;

function whitespaceSplit(text: string): string[] {
  const t = text.trim();
  return t ? t.split(RE_WS) : [];
}

function stripAccents(s: string): string {
  // Fast path: pure ASCII has no combining marks.
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return s.normalize('NFD').replace(RE_MN, '');
}

function splitOnPunctuation(word: string, out: string[]): void {
  let cur = '';
  for (const ch of word) {
    const cp = ch.codePointAt(0)!;
    if (isPunctuation(cp, ch)) {
      if (cur) out.push(cur);
      out.push(ch);
      cur = '';
    } else {
      cur += ch;
    }
  }
  if (cur) out.push(cur);
}

export interface BasicTokenizerOptions {
  /** Lowercase and strip accents (bert-base-uncased and friends). Default true. */
  lowercase?: boolean;
  /** Strings never split or lowercased (the special tokens). */
  neverSplit?: ReadonlySet<string>;
}

/**
 * BERT BasicTokenizer: text -> words and punctuation marks, normalised.
 * `"Unaffable café!"` -> `["unaffable", "cafe", "!"]`.
 */
export function basicTokenize(text: string, opts: BasicTokenizerOptions = {}): string[] {
  const lowercase = opts.lowercase ?? true;
  const neverSplit = opts.neverSplit;
  // _clean_text + _tokenize_chinese_chars in one pass.
  let cleaned = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isControl(cp, ch)) continue;
    if (isWhitespace(cp, ch)) cleaned += ' ';
    else if (cp >= 0x3400 && isCjk(cp)) cleaned += ` ${ch} `;
    else cleaned += ch;
  }
  const words = whitespaceSplit(cleaned.normalize('NFC'));
  const split: string[] = [];
  for (let w of words) {
    if (neverSplit?.has(w)) {
      split.push(w);
      continue;
    }
    if (lowercase) w = stripAccents(w.toLowerCase());
    splitOnPunctuation(w, split);
  }
  // whitespace_tokenize(" ".join(split)) drops the empty strings accent stripping can leave.
  return split.filter((s) => s.length > 0);
}

// ---------------------------------------------------------------------------------------
// WordPiece

/** vocab.txt content -> one token per line, in id order (a trailing newline ends the file). */
export function parseVocabTxt(content: string): string[] {
  const lines = content.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  // HF strips only '\n'; a Windows-edited vocab would carry '\r', which no text contains.
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

export interface WordPieceOptions {
  lowercase?: boolean;
  maxInputCharsPerWord?: number;
}

export class WordPieceTokenizer implements Tokenizer {
  readonly kind = 'wordpiece' as const;
  readonly special: SpecialTokenIds;
  readonly lowercase: boolean;
  readonly maxInputCharsPerWord: number;
  private readonly vocab: readonly string[];
  private readonly tokenToId = new Map<string, number>();
  private readonly neverSplit: ReadonlySet<string>;
  private readonly specialRe: RegExp;
  /** word -> its pieces' ids: corpora repeat words, WordPiece on a word is O(len^2). */
  private readonly wordCache = new Map<string, number[]>();

  constructor(vocab: readonly string[], opts: WordPieceOptions = {}) {
    this.vocab = vocab.slice();
    this.lowercase = opts.lowercase ?? true;
    this.maxInputCharsPerWord = opts.maxInputCharsPerWord ?? 100;
    // Like HF's dict built line by line: a duplicated token maps to its last line.
    this.vocab.forEach((tok, i) => this.tokenToId.set(tok, i));
    const missing = SPECIAL_TOKENS.filter((t) => !this.tokenToId.has(t));
    if (missing.length > 0) {
      throw new ConfigError(`WordPiece vocabulary lacks special token(s) ${missing.join(', ')}`, {
        field: 'vocab',
        missing,
      });
    }
    const id = (t: string) => this.tokenToId.get(t)!;
    this.special = { pad: id('[PAD]'), unk: id('[UNK]'), cls: id('[CLS]'), sep: id('[SEP]'), mask: id('[MASK]') };
    this.neverSplit = new Set(SPECIAL_TOKENS);
    // Special tokens typed in the text stay whole, as HF's added-token split does.
    this.specialRe = new RegExp(`(${SPECIAL_TOKENS.map((t) => t.replace(/[[\]]/g, '\\$&')).join('|')})`);
  }

  static fromVocabTxt(content: string, opts: WordPieceOptions = {}): WordPieceTokenizer {
    return new WordPieceTokenizer(parseVocabTxt(content), opts);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** The vocabulary, one token per line, as vocab.txt (round-trips byte for byte). */
  toVocabTxt(): string {
    return this.vocab.map((t) => `${t}\n`).join('');
  }

  vocabulary(): readonly string[] {
    return this.vocab;
  }

  idToToken(id: number): string {
    return this.vocab[id] ?? '[UNK]';
  }

  tokenToIdOrUnk(token: string): number {
    return this.tokenToId.get(token) ?? this.special.unk;
  }

  /** WordPiece on one basic token: greedy longest match, '##' on non-initial pieces. */
  private wordIds(word: string): number[] {
    const hit = this.wordCache.get(word);
    if (hit) return hit;
    const chars = Array.from(word);
    let out: number[];
    if (chars.length > this.maxInputCharsPerWord) {
      out = [this.special.unk];
    } else {
      out = [];
      let start = 0;
      while (start < chars.length) {
        let end = chars.length;
        let found = -1;
        while (start < end) {
          let sub = chars.slice(start, end).join('');
          if (start > 0) sub = `##${sub}`;
          const id = this.tokenToId.get(sub);
          if (id !== undefined) {
            found = id;
            break;
          }
          end--;
        }
        if (found < 0) {
          out = [this.special.unk];
          break;
        }
        out.push(found);
        start = end;
      }
    }
    if (this.wordCache.size > 200_000) this.wordCache.clear();
    this.wordCache.set(word, out);
    return out;
  }

  private basicWords(text: string): string[] {
    const words: string[] = [];
    for (const part of text.split(this.specialRe)) {
      if (!part) continue;
      if (this.neverSplit.has(part)) words.push(part);
      else for (const w of basicTokenize(part, { lowercase: this.lowercase })) words.push(w);
    }
    return words;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const w of this.basicWords(text)) {
      const sid = this.neverSplit.has(w) ? this.tokenToId.get(w) : undefined;
      if (sid !== undefined) ids.push(sid);
      else for (const id of this.wordIds(w)) ids.push(id);
    }
    return ids;
  }

  tokenize(text: string): string[] {
    return this.encode(text).map((id) => this.vocab[id]);
  }

  encodeSingle(text: string, maxLen?: number): Encoding {
    return buildSingle(this.encode(text), this.special, maxLen);
  }

  encodePair(a: string, b: string | null, maxLen?: number): Encoding {
    return buildPair(this.encode(a), b === null ? null : this.encode(b), this.special, maxLen);
  }

  /** HF convert_tokens_to_string: join with spaces, glue '##' pieces to the previous token. */
  decode(ids: ArrayLike<number>, opts: { keepSpecial?: boolean } = {}): string {
    const sp = new Set(Object.values(this.special));
    const toks: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      if (!opts.keepSpecial && sp.has(ids[i])) continue;
      toks.push(this.idToToken(ids[i]));
    }
    return toks.join(' ').replace(/ ##/g, '').trim();
  }

  toJSON(): TokenizerJSON {
    return {
      kind: 'wordpiece',
      vocab: this.vocab.slice(),
      lowercase: this.lowercase,
      maxInputCharsPerWord: this.maxInputCharsPerWord,
    };
  }

  static fromJSON(j: Extract<TokenizerJSON, { kind: 'wordpiece' }>): WordPieceTokenizer {
    return new WordPieceTokenizer(j.vocab, { lowercase: j.lowercase, maxInputCharsPerWord: j.maxInputCharsPerWord });
  }
}
