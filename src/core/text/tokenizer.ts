// The tokenizers of the lab, behind one interface (see tokenizerBase.ts), and the
// dispatcher that rebuilds any of them from its JSON (checkpoints, exported config.json).

import { ConfigError } from '../errors';
import { HashedWordTokenizer } from './tokenizerHashed';
import type { Tokenizer, TokenizerJSON } from './tokenizerBase';
import { WordPieceTokenizer } from './wordpiece';

export * from './tokenizerBase';
export { HashedWordTokenizer, trainHashedWord, fnv1a } from './tokenizerHashed';
export { WordPieceTokenizer, basicTokenize, parseVocabTxt } from './wordpiece';
export { trainWordPiece } from './wordpieceTrainer';
export type { WordPieceTrainOptions, WordPieceTrainResult } from './wordpieceTrainer';

/** Rebuilds a tokenizer from {@link Tokenizer.toJSON}; ConfigError on anything malformed. */
export function tokenizerFromJSON(json: unknown): Tokenizer {
  if (typeof json !== 'object' || json === null) throw new ConfigError('tokenizer JSON must be an object', { field: 'tokenizer' });
  const j = json as Partial<TokenizerJSON> & Record<string, unknown>;
  const isStrArr = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  switch (j.kind) {
    case 'wordpiece':
      if (!isStrArr(j.vocab)) throw new ConfigError('wordpiece tokenizer JSON needs vocab: string[]', { field: 'tokenizer.vocab' });
      return WordPieceTokenizer.fromJSON({
        kind: 'wordpiece',
        vocab: j.vocab,
        lowercase: j.lowercase !== false,
        maxInputCharsPerWord: typeof j.maxInputCharsPerWord === 'number' ? j.maxInputCharsPerWord : 100,
      });
    case 'hashed-word':
      if (!isStrArr(j.words)) throw new ConfigError('hashed-word tokenizer JSON needs words: string[]', { field: 'tokenizer.words' });
      if (typeof j.buckets !== 'number') throw new ConfigError('hashed-word tokenizer JSON needs buckets', { field: 'tokenizer.buckets' });
      return HashedWordTokenizer.fromJSON({
        kind: 'hashed-word',
        words: j.words,
        buckets: j.buckets,
        lowercase: j.lowercase !== false,
        hashSeed: typeof j.hashSeed === 'number' ? j.hashSeed : 0,
      });
    default:
      throw new ConfigError(`unknown tokenizer kind ${JSON.stringify(j.kind)}`, { field: 'tokenizer.kind' });
  }
}
