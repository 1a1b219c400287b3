import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors';
import {
  HashedWordTokenizer,
  WordPieceTokenizer,
  basicTokenize,
  buildPair,
  padBatch,
  tokenizerFromJSON,
  trainHashedWord,
  trainWordPiece,
} from '../../../src/core/text/tokenizer';
import { loadGolden } from './golden';

const golden = loadGolden();

describe('WordPiece tokenizer (golden bert-tiny-random)', () => {
  const tok = WordPieceTokenizer.fromVocabTxt(golden.vocabTxt);

  it('has the BERT special ids', () => {
    expect(tok.special).toEqual({ pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 });
    expect(tok.vocabSize).toBe(50);
  });

  for (const c of golden.expected.tokenization) {
    it(`tokenises ${JSON.stringify(c.text)} exactly`, () => {
      expect(tok.tokenize(c.text)).toEqual(c.tokens);
      expect(tok.encode(c.text)).toEqual(c.ids);
    });
  }

  it('builds the golden pair inputs with encodePair + padding', () => {
    const encs = golden.expected.pairs.map((p) => tok.encodePair(p.a, p.b));
    const batch = padBatch(encs, tok.special.pad);
    const t = batch.t;
    const rows = (a: ArrayLike<number>) =>
      Array.from({ length: batch.n }, (_, i) => Array.from(a).slice(i * t, (i + 1) * t));
    expect(rows(batch.ids)).toEqual(golden.expected.input_ids);
    expect(rows(batch.typeIds)).toEqual(golden.expected.token_type_ids);
    expect(rows(batch.mask)).toEqual(golden.expected.attention_mask);
  });

  it('round-trips vocab.txt byte for byte and through JSON', () => {
    expect(tok.toVocabTxt()).toBe(golden.vocabTxt);
    const back = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.encode('Unaffable café résumé')).toEqual(tok.encode('Unaffable café résumé'));
  });

  it('keeps special tokens typed in text whole, decodes ## pieces', () => {
    expect(tok.encode('hello [SEP] world')).toEqual([34, 3, 35]);
    expect(tok.decode(tok.encodeSingle('distillation models').ids)).toBe('distillation models');
  });

  it('makes a word longer than 100 characters one [UNK]', () => {
    expect(tok.tokenize('x'.repeat(100))).toEqual(['x', ...Array(99).fill('##x')]);
    expect(tok.tokenize(`${'x'.repeat(101)} hello`)).toEqual(['[UNK]', 'hello']);
  });

  it('rejects a vocabulary without special tokens', () => {
    expect(() => new WordPieceTokenizer(['a', 'b'])).toThrow(ConfigError);
  });
});

describe('BasicTokenizer details', () => {
  it('removes control chars, splits punctuation and CJK, strips accents', () => {
    expect(basicTokenize('a\u0000b\u200bc Ünïcödé\u00a0x--y 日本語')).toEqual([
      'abc', 'unicode', 'x', '-', '-', 'y', '日', '本', '語',
    ]);
    expect(basicTokenize('  \t\n ')).toEqual([]);
  });
});

describe('pair truncation (HF longest_first)', () => {
  const sp = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };
  const a = [10, 11, 12, 13, 14, 15];
  const b = [20, 21, 22];
  it('cuts the longer side first, then alternates b-first', () => {
    // budget 9 - 3 = 6: a 6->3 (longer side until equal), nothing more
    expect(buildPair(a, b, sp, 9).ids).toEqual([2, 10, 11, 12, 3, 20, 21, 22, 3]);
    // budget 4: a -> 3 (=b), then b, then a: a 2, b 2
    expect(buildPair(a, b, sp, 7).ids).toEqual([2, 10, 11, 3, 20, 21, 3]);
    // budget 3: a 2 b 1 (b loses on the tie)
    const e = buildPair(a, b, sp, 6);
    expect(e.ids).toEqual([2, 10, 11, 3, 20, 3]);
    expect(e.typeIds).toEqual([0, 0, 0, 0, 1, 1]);
  });
  it('pads to multiples and caps at maxLen', () => {
    const p = padBatch([{ ids: [1, 2, 3], typeIds: [0, 0, 0] }], 0, { multipleOf: 8, maxLen: 6 });
    expect(p.t).toBe(6);
    const q = padBatch([{ ids: [1, 2, 3], typeIds: [0, 0, 0] }], 0, { multipleOf: 8 });
    expect(q.t).toBe(8);
    expect(Array.from(q.mask)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
  });
});

const corpus = [
  'Dense retrieval models encode queries and passages.',
  'The teacher model distills knowledge into the student model.',
  'Distillation of dense retrievers: teachers, students, and layers.',
  'Retrieval with late interaction scores every query token.',
  'A cross-encoder reranks passages for a query.',
].flatMap((t, i) => Array.from({ length: 3 + i }, () => t));

describe('WordPiece trainer', () => {
  for (const scoring of ['likelihood', 'frequency'] as const) {
    it(`learns a deterministic vocabulary of the chosen size (${scoring})`, () => {
      const r1 = trainWordPiece(corpus, 120, { scoring });
      const r2 = trainWordPiece(corpus, 120, { scoring });
      expect(r1.vocab).toEqual(r2.vocab);
      expect(r1.vocab.length).toBe(120);
      expect(r1.vocab.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
      expect(new Set(r1.vocab).size).toBe(r1.vocab.length);
      const tok = r1.tokenizer;
      // Every corpus word is covered (no [UNK]) and decodes back.
      const ids = tok.encode(corpus[0]);
      expect(ids).not.toContain(tok.special.unk);
      expect(tok.decode(ids)).toBe('dense retrieval models encode queries and passages .');
    });
  }
  it('merges frequent words into whole pieces given room', () => {
    const r = trainWordPiece(corpus, 400, { minFrequency: 2 });
    expect(r.vocab).toContain('retrieval');
    expect(r.tokenizer.tokenize('retrieval model')).toEqual(['retrieval', 'model']);
  });
  it('rejects an impossible size', () => {
    expect(() => trainWordPiece(corpus, 3)).toThrow(ConfigError);
  });
});

describe('hashed-word tokenizer (student)', () => {
  it('gives known words their ids and hashes the rest into buckets, exact size', () => {
    const tok = trainHashedWord(corpus, 80, { bucketFraction: 0.25 });
    expect(tok.vocabSize).toBe(80);
    const ids = tok.encode('The teacher model xyzzy');
    expect(ids.every((i) => i >= 5 && i < 80)).toBe(true);
    expect(tok.idToToken(ids[1])).toBe('teacher');
    const again = tokenizerFromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(again.encode('The teacher model xyzzy')).toEqual(ids);
    expect(again).toBeInstanceOf(HashedWordTokenizer);
    const pair = tok.encodePair('a query', 'a passage', 6);
    expect(pair.ids.length).toBe(6);
    expect(pair.ids[0]).toBe(tok.special.cls);
  });
});

describe('WordPiece trainer on real text (SciFact)', () => {
  it('keeps common words whole by default (frequency merges), where likelihood merges leave them in characters', async () => {
    const { readFileSync } = await import('node:fs');
    const { SCIFACT_DIR } = await import('../data/helpers');
    const lines = readFileSync(`${SCIFACT_DIR}/corpus.jsonl`, 'utf8').split('\n').filter(Boolean).slice(0, 1500);
    const texts = lines.map((l) => {
      const d = JSON.parse(l) as { title: string; text: string };
      return `${d.title}. ${d.text}`;
    });
    const queries = readFileSync(`${SCIFACT_DIR}/queries.jsonl`, 'utf8').split('\n').filter(Boolean).slice(0, 200).map((l) => (JSON.parse(l) as { text: string }).text);
    const perWord = (tok: WordPieceTokenizer) =>
      queries.reduce((n, q) => n + tok.tokenize(q).length, 0) / queries.reduce((n, q) => n + basicTokenize(q).length, 0);
    const byDefault = trainWordPiece(texts, 4000).tokenizer;
    const likelihood = trainWordPiece(texts, 4000, { scoring: 'likelihood' }).tokenizer;
    // (On the whole corpus at 6,000 pieces: 1.58 and 5.82 tokens per query word.)
    expect(perWord(byDefault)).toBeLessThan(2);
    expect(perWord(likelihood)).toBeGreaterThan(3);
    expect(byDefault.tokenize('human development properties')).toEqual(['human', 'development', 'properties']);
  }, 60_000);
});
