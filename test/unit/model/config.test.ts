import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors';
import {
  flopsPerForward,
  importHuggingFace,
  parameterCount,
  trainingStepFlops,
  validateModelConfig,
  type ModelConfigInput,
} from '../../../src/core/model';
import { tinyModel } from './fixtures';
import { loadGolden } from './golden';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const base: ModelConfigInput = { kind: 'de', layers: 2, hidden: 64, heads: 2, ffn: 256, vocabSize: 8000 };

describe('validateModelConfig', () => {
  it('fills defaults', () => {
    const c = validateModelConfig(base);
    expect(c).toMatchObject({
      maxPositions: 512, typeVocabSize: 2, layerNormEps: 1e-12, dropout: { hidden: 0.1, attention: 0.1 },
      maxQueryLen: 32, maxPassageLen: 128, shareEncoders: true, cePooler: false, initializerRange: 0.02, initSeed: 0,
    });
    expect(validateModelConfig({ ...base, kind: 'ce', maxQueryLen: 16, maxPassageLen: 64 }).maxPairLen).toBe(80);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['hidden not divisible by heads', { ...base, heads: 3 }, 'hidden'],
    ['unknown kind', { ...base, kind: 'xx' }, 'kind'],
    ['fractional layers', { ...base, layers: 1.5 }, 'layers'],
    ['dropout out of range', { ...base, dropout: { hidden: 1 } }, 'dropout.hidden'],
    ['pair longer than positions', { ...base, kind: 'ce', maxPositions: 64, maxQueryLen: 16, maxPassageLen: 64 }, 'maxPairLen'],
    ['colbertDim on a DE', { ...base, colbertDim: 8 }, 'colbertDim'],
    ['unshared CE', { ...base, kind: 'ce', shareEncoders: false }, 'shareEncoders'],
    ['unknown field', { ...base, hiden: 3 }, 'hiden'],
    ['negative eps', { ...base, layerNormEps: -1 }, 'layerNormEps'],
  ];
  for (const [label, x, field] of bad) {
    it(`rejects ${label} naming ${field}`, () => {
      let err: unknown;
      try {
        validateModelConfig(x);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).details?.field).toBe(field);
      expect((err as Error).message).toContain(field);
    });
  }
});

describe('parameter count', () => {
  it('equals the sum of the variables of every kind', () => {
    const variants: [Parameters<typeof tinyModel>[0], Parameters<typeof tinyModel>[1]][] = [
      ['de', {}],
      ['de', { shareEncoders: false }],
      ['cb', { colbertDim: 4 }],
      ['cb', { shareEncoders: false }],
      ['ce', {}],
      ['ce', { cePooler: true }],
    ];
    for (const [kind, extra] of variants) {
      const m = tinyModel(kind, extra);
      const sum = m.variables().reduce((n, v) => n + v.variable.size, 0);
      expect(parameterCount(m.config)).toBe(sum);
      expect(m.numParameters).toBe(sum);
      m.dispose();
    }
  });

  it('matches a hand count of the golden checkpoint (and its file size)', () => {
    // embeddings (50 + 32 + 2) * 16 + LN 32 = 1376; per block: Q K V O 4 * (256 + 16) = 1088,
    // FFN 16*32 + 32 + 32*16 + 16 = 1072, two LNs 64 -> 2224; x 2 = 4448; pooler 272; classifier 17.
    const g = loadGolden();
    const m = importHuggingFace(g);
    expect(parameterCount(m.config)).toBe(1376 + 4448 + 272 + 17);
    expect(parameterCount(m.config)).toBe(6113);
    // The file holds exactly these float32 values.
    const headerLen = Number(new DataView(g.safetensors).getBigUint64(0, true));
    expect((g.safetensors.byteLength - 8 - headerLen) / 4).toBe(6113);
    m.dispose();
  });

  it('marks biases and LayerNorm as no-decay', () => {
    const m = tinyModel('ce', { cePooler: true });
    for (const v of m.variables()) {
      expect(v.decay).toBe(!(v.name.endsWith('.bias') || v.name.includes('LayerNorm')));
    }
    expect(m.variables().find((v) => v.name === 'embeddings.word_embeddings.weight')!.decay).toBe(true);
    m.dispose();
  });
});

describe('FLOPs (benchmark.md)', () => {
  it('one forward: L * (T * (8 H^2 + 4 H F) + 4 Tseq T H)', () => {
    // L=2, H=64, F=256, T=256 tokens of length 16:
    // per token per layer 8*4096 + 4*64*256 = 98304; attention 4*16*256*64 = 1048576.
    // 2 * (256 * 98304 + 1048576) = 2 * 26214400 = 52428800.
    expect(flopsPerForward({ layers: 2, hidden: 64, ffn: 256 }, 256, 16)).toBe(52_428_800);
  });

  it('lead-de student step: queries 16 x 16, passages 64 x 64, updated (x 3)', () => {
    // passages: 2 * (4096 * 98304 + 4*64*4096*64) = 2 * (402653184 + 67108864) = 939524096
    // forward 52428800 + 939524096 = 991952896; x 3 = 2975858688.
    const cfg = validateModelConfig({ ...base, maxQueryLen: 16, maxPassageLen: 64 });
    expect(trainingStepFlops(cfg, { batchSize: 16, groupSize: 4, updated: true })).toBe(2_975_858_688);
    expect(trainingStepFlops(cfg, { batchSize: 16, groupSize: 4, updated: false })).toBe(991_952_896);
  });

  it('prod-ce teacher forward: 64 pairs of 80 tokens, frozen (x 1)', () => {
    // L=4, H=128, F=512: per token per layer 8*16384 + 4*128*512 = 393216; T = 64*80 = 5120.
    // 4 * (5120 * 393216 + 4*80*5120*128) = 4 * (2013265920 + 209715200) = 8891924480.
    const cfg = validateModelConfig({ kind: 'ce', layers: 4, hidden: 128, heads: 4, ffn: 512, vocabSize: 8000, maxQueryLen: 16, maxPassageLen: 64 });
    expect(trainingStepFlops(cfg, { batchSize: 16, groupSize: 4, updated: false })).toBe(8_891_924_480);
  });
});
