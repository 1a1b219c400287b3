// A simple English analyzer for BM25, modelled on the one Anserini uses by default
// (Lucene's StandardTokenizer -> EnglishPossessiveFilter -> LowerCaseFilter -> StopFilter
// with Lucene's English stop set -> PorterStemFilter), so BM25 numbers on BEIR data land
// near the published ones.

/** Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET (33 words), Anserini's default. */
export const LUCENE_ENGLISH_STOPWORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it',
  'no', 'not', 'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these',
  'they', 'this', 'to', 'was', 'will', 'with',
]);

// A token is a run of letters, digits and marks; like UAX #29 word boundaries (Lucene's
// StandardTokenizer) an apostrophe or a full stop between two word characters does not
// split it ("o'neil", "e.g", "3.5"), nor a comma or semicolon between digits ("1,000").
// Equivalent to
//   /[\p{L}\p{M}\p{N}_]+(?:(?:['’.]|(?<=\p{N})[,;](?=\p{N}))(?=[\p{L}\p{M}\p{N}_])[\p{L}\p{M}\p{N}_]+)*/gu
// written as a scanner: tokenizing is most of the cost of indexing, and this is ~3x faster.

const WORD_CHAR = /[\p{L}\p{M}\p{N}_]/u;
const DIGIT_CHAR = /\p{N}/u;
const nonAsciiWord = new Map<number, boolean>();
const nonAsciiDigit = new Map<number, boolean>();

function isWord(cp: number): boolean {
  if (cp < 128) return (cp >= 97 && cp <= 122) || (cp >= 48 && cp <= 57) || cp === 95 || (cp >= 65 && cp <= 90);
  let v = nonAsciiWord.get(cp);
  if (v === undefined) nonAsciiWord.set(cp, (v = WORD_CHAR.test(String.fromCodePoint(cp))));
  return v;
}

function isDigit(cp: number): boolean {
  if (cp < 128) return cp >= 48 && cp <= 57;
  let v = nonAsciiDigit.get(cp);
  if (v === undefined) nonAsciiDigit.set(cp, (v = DIGIT_CHAR.test(String.fromCodePoint(cp))));
  return v;
}

const APOSTROPHE = 39;
const RIGHT_QUOTE = 0x2019;
const FULL_STOP = 46;
const COMMA = 44;
const SEMICOLON = 59;

/** Lowercases and splits text into word tokens, dropping an English possessive "'s". */
export function tokenize(text: string): string[] {
  const s = text.toLowerCase();
  const n = s.length;
  const out: string[] = [];
  let i = 0;
  while (i < n) {
    let cp = s.codePointAt(i)!;
    if (!isWord(cp)) {
      i += cp > 0xffff ? 2 : 1;
      continue;
    }
    const start = i;
    let lastDigit = false;
    for (;;) {
      while (i < n) {
        cp = s.codePointAt(i)!;
        if (!isWord(cp)) break;
        lastDigit = isDigit(cp);
        i += cp > 0xffff ? 2 : 1;
      }
      // A joiner continues the token when a word character follows it.
      if (i + 1 < n) {
        const c = s.charCodeAt(i);
        const next = s.codePointAt(i + 1)!;
        const joins =
          ((c === APOSTROPHE || c === RIGHT_QUOTE || c === FULL_STOP) && isWord(next)) ||
          ((c === COMMA || c === SEMICOLON) && lastDigit && isDigit(next));
        if (joins) {
          i++;
          continue;
        }
      }
      break;
    }
    let t = s.slice(start, i);
    // EnglishPossessiveFilter: "patient's" -> "patient".
    if (t.length > 2 && t.charCodeAt(t.length - 1) === 115 && (t.charCodeAt(t.length - 2) === APOSTROPHE || t.charCodeAt(t.length - 2) === RIGHT_QUOTE)) {
      t = t.slice(0, -2);
    }
    out.push(t);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", Program 14(3), 1980),
// in the form of Porter's own reference implementation, which Lucene's PorterStemmer
// follows (including its two departures from the paper: "abli"->"able" is written
// "bli"->"ble", and "logi"->"log" is added to step 2).

const C = '[^aeiou][^aeiouy]*'; // a consonant sequence (y after a consonant is a vowel)
const V = '[aeiouy][aeiou]*'; // a vowel sequence
const MGR0 = new RegExp(`^(${C})?${V}${C}`); // measure m > 0
const MEQ1 = new RegExp(`^(${C})?${V}${C}(${V})?$`); // m = 1
const MGR1 = new RegExp(`^(${C})?${V}${C}${V}${C}`); // m > 1
const S_V = new RegExp(`^(${C})?[aeiouy]`); // the stem contains a vowel
const CVC = new RegExp(`^${C}[aeiouy][^aeiouwxy]$`); // *o: cvc, the last c not w, x or y

const STEP2: Record<string, string> = {
  ational: 'ate', tional: 'tion', enci: 'ence', anci: 'ance', izer: 'ize', bli: 'ble',
  alli: 'al', entli: 'ent', eli: 'e', ousli: 'ous', ization: 'ize', ation: 'ate',
  ator: 'ate', alism: 'al', iveness: 'ive', fulness: 'ful', ousness: 'ous', aliti: 'al',
  iviti: 'ive', biliti: 'ble', logi: 'log',
};
const STEP3: Record<string, string> = {
  icate: 'ic', ative: '', alize: 'al', iciti: 'ic', ical: 'ic', ful: '', ness: '',
};
// Lazy `(.+?)` takes the shortest stem, i.e. the longest matching suffix, as Porter requires.
const RE_STEP2 = /^(.+?)(ational|tional|enci|anci|izer|bli|alli|entli|eli|ousli|ization|ation|ator|alism|iveness|fulness|ousness|aliti|iviti|biliti|logi)$/;
const RE_STEP3 = /^(.+?)(icate|ative|alize|iciti|ical|ful|ness)$/;
const RE_STEP4 = /^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|ous|ive|ize)$/;
const RE_STEP4_ION = /^(.+?)(s|t)(ion)$/;

/** Porter-stems one lowercase word. Words under 3 letters are left alone. */
export function porterStem(word: string): string {
  if (word.length < 3) return word;
  let w = word;
  // An initial y is a consonant: mark it so the vowel patterns skip it.
  const initialY = w[0] === 'y';
  if (initialY) w = 'Y' + w.slice(1);
  let m: RegExpExecArray | null;

  // Step 1a: plurals.
  if ((m = /^(.+?)(ss|i)es$/.exec(w))) w = m[1] + m[2];
  else if ((m = /^(.+?)([^s])s$/.exec(w))) w = m[1] + m[2];

  // Step 1b: -eed, -ed, -ing.
  if ((m = /^(.*?)eed$/.exec(w))) {
    if (MGR0.test(m[1])) w = w.slice(0, -1);
  } else if ((m = /^(.+?)(ed|ing)$/.exec(w))) {
    const stem = m[1];
    if (S_V.test(stem)) {
      w = stem;
      if (/(at|bl|iz)$/.test(w)) w += 'e';
      else if (/([^aeiouylsz])\1$/.test(w)) w = w.slice(0, -1);
      else if (CVC.test(w)) w += 'e';
    }
  }

  // Step 1c: y -> i when the stem has a vowel.
  if ((m = /^(.+?)y$/.exec(w)) && S_V.test(m[1])) w = m[1] + 'i';

  // Step 2: double suffixes, m > 0.
  if ((m = RE_STEP2.exec(w)) && MGR0.test(m[1])) w = m[1] + STEP2[m[2]];

  // Step 3: -icate, -ful, -ness ..., m > 0.
  if ((m = RE_STEP3.exec(w)) && MGR0.test(m[1])) w = m[1] + STEP3[m[2]];

  // Step 4: single suffixes, m > 1 (-ion only after s or t).
  if ((m = RE_STEP4.exec(w))) {
    if (MGR1.test(m[1])) w = m[1];
  } else if ((m = RE_STEP4_ION.exec(w))) {
    const stem = m[1] + m[2];
    if (MGR1.test(stem)) w = stem;
  }

  // Step 5a: final e when m > 1, or m = 1 and not *o.
  if ((m = /^(.+?)e$/.exec(w))) {
    const stem = m[1];
    if (MGR1.test(stem) || (MEQ1.test(stem) && !CVC.test(stem))) w = stem;
  }
  // Step 5b: -ll -> -l when m > 1.
  if (/ll$/.test(w) && MGR1.test(w)) w = w.slice(0, -1);

  if (initialY) w = 'y' + w.slice(1);
  return w;
}

// ---------------------------------------------------------------------------------------

export interface AnalyzerOptions {
  /** Porter stemming (default true, as Anserini). */
  stem?: boolean;
  /** Stop words to drop (default Lucene's English set); an empty set keeps all. */
  stopwords?: ReadonlySet<string>;
}

/** Text -> terms. Caches each token's term (stop word or stem): corpora repeat words. */
export class Analyzer {
  readonly stem: boolean;
  readonly stopwords: ReadonlySet<string>;
  private readonly cache = new Map<string, string | null>();

  constructor(opts: AnalyzerOptions = {}) {
    this.stem = opts.stem ?? true;
    this.stopwords = opts.stopwords ?? LUCENE_ENGLISH_STOPWORDS;
  }

  analyze(text: string): string[] {
    const out: string[] = [];
    for (const t of tokenize(text)) {
      const term = this.term(t);
      if (term !== null) out.push(term);
    }
    return out;
  }

  /** The indexed term of one token, or null for a stop word. */
  term(token: string): string | null {
    let s = this.cache.get(token);
    if (s === undefined) {
      s = this.stopwords.has(token) ? null : this.stem ? porterStem(token) : token;
      // Bounded: a pathological corpus (ids, hashes) must not grow the cache forever.
      if (this.cache.size < 1_000_000) this.cache.set(token, s);
    }
    return s;
  }
}
