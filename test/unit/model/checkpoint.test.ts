import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, ConfigError, UnsupportedModelError } from '../../../src/core/errors';
import {
  exportHuggingFace,
  importHuggingFace,
  parseSafetensors,
  RetrievalModel,
  tensorToFloat32,
  writeSafetensors,
  type HuggingFaceFiles,
} from '../../../src/core/model';
import { trainHashedWord } from '../../../src/core/text/tokenizer';
import { CORPUS, G, PASSAGES, QUERIES, tinyModel } from './fixtures';
import { loadGolden } from './golden';

const golden = loadGolden();

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Rebuilds a safetensors file with an edited header (data bytes unchanged). */
function withHeader(buf: ArrayBuffer, edit: (h: Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>) => void): Uint8Array {
  const bytes = new Uint8Array(buf);
  const n = Number(new DataView(buf).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

/** Expects `fn` to throw `Ctor` whose message matches `re`, leaving no tensor or variable behind. */
function expectCleanFailure(fn: () => unknown, Ctor: typeof CheckpointError | typeof ConfigError, re: RegExp): Error {
  const tensors = tf.memory().numTensors;
  const vars = Object.keys(tf.engine().registeredVariables).length;
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(Ctor);
  expect((caught as Error).name).toBe(Ctor.name);
  expect((caught as Error).message).toMatch(re);
  expect(tf.memory().numTensors).toBe(tensors);
  expect(Object.keys(tf.engine().registeredVariables).length).toBe(vars);
  return caught as Error;
}

const files = (over: Partial<HuggingFaceFiles>): HuggingFaceFiles => ({ ...golden, ...over });

describe('safetensors parsing', () => {
  it('reads every golden tensor as float32 of the header shape', () => {
    const st = parseSafetensors(golden.safetensors);
    expect(st.metadata).toEqual({ format: 'pt' });
    expect(st.entries.length).toBe(41);
    for (const e of st.entries) expect(tensorToFloat32(st, e).length).toBe(e.shape.reduce((a, b) => a * b, 1));
  });

  it('converts F16 and BF16', () => {
    const half = new Uint16Array([0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x8000]); // 1, -2, ~0.33325, 65504, 2^-24, -0
    const bf = new Uint16Array([0x3f80, 0xc040, 0x4049]); // 1, -3, ~3.140625
    const header = JSON.stringify({
      a: { dtype: 'F16', shape: [6], data_offsets: [0, 12] },
      b: { dtype: 'BF16', shape: [3], data_offsets: [12, 18] },
    });
    const hb = new TextEncoder().encode(header);
    const buf = new Uint8Array(8 + hb.length + 18);
    new DataView(buf.buffer).setBigUint64(0, BigInt(hb.length), true);
    buf.set(hb, 8);
    buf.set(new Uint8Array(half.buffer), 8 + hb.length);
    buf.set(new Uint8Array(bf.buffer), 8 + hb.length + 12);
    const st = parseSafetensors(buf);
    expect(Array.from(tensorToFloat32(st, st.entries[0]))).toEqual([1, -2, 0.333251953125, 65504, 2 ** -24, -0]);
    expect(Array.from(tensorToFloat32(st, st.entries[1]))).toEqual([1, -3, 3.140625]);
  });

  it('writes what it reads, header aligned to 8 bytes', () => {
    const data = new Float32Array([1.5, -2, Math.PI]);
    const out = writeSafetensors([{ name: 'x', shape: [3, 1], data }]);
    expect(Number(new DataView(out.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const st = parseSafetensors(out);
    expect(st.entries[0].shape).toEqual([3, 1]);
    expect(Array.from(tensorToFloat32(st, st.entries[0]))).toEqual(Array.from(data));
  });

  it('rejects a truncated file', () => {
    const cut = golden.safetensors.slice(0, golden.safetensors.byteLength - 100);
    expectCleanFailure(() => importHuggingFace(files({ safetensors: cut })), CheckpointError, /run past the .* data bytes \(truncated file\?\)/);
    expectCleanFailure(() => parseSafetensors(golden.safetensors.slice(0, 5)), CheckpointError, /shorter than the 8-byte header/);
    expectCleanFailure(() => parseSafetensors(golden.safetensors.slice(0, 200)), CheckpointError, /header length .* runs past the end/);
  });

  it('rejects a header that lies about sizes', () => {
    const lying = withHeader(golden.safetensors, (h) => {
      h['bert.pooler.dense.weight'].shape = [16, 17];
    });
    expectCleanFailure(() => importHuggingFace(files({ safetensors: lying })), CheckpointError, /bert\.pooler\.dense\.weight: shape \[16, 17\] of F32 needs 1088 bytes but data_offsets span 1024/);
  });

  it('rejects overlapping and out-of-range offsets, holes, bad JSON', () => {
    const overlap = withHeader(golden.safetensors, (h) => {
      h['classifier.bias'].data_offsets = [24444, 24448];
    });
    expectCleanFailure(() => parseSafetensors(overlap), CheckpointError, /overlaps/);
    const outOfRange = withHeader(golden.safetensors, (h) => {
      h['classifier.bias'].data_offsets = [24448, 24452 + 4000];
      h['classifier.bias'].shape = [1001];
    });
    expectCleanFailure(() => parseSafetensors(outOfRange), CheckpointError, /run past/);
    const hole = withHeader(golden.safetensors, (h) => {
      delete (h as Record<string, unknown>)['classifier.weight'];
    });
    expectCleanFailure(() => parseSafetensors(hole), CheckpointError, /unused bytes before tensor classifier\.bias/);
    const garbage = new Uint8Array(golden.safetensors.slice(0));
    garbage.fill(0x7b, 8, 20); // '{{{{...' breaks the JSON
    expectCleanFailure(() => parseSafetensors(garbage), CheckpointError, /not valid UTF-8 JSON/);
    const dtype = withHeader(golden.safetensors, (h) => {
      h['classifier.bias'].dtype = 'Q4';
    });
    expectCleanFailure(() => parseSafetensors(dtype), CheckpointError, /unsupported dtype "Q4"/);
  });
});

describe('HF import validation: named errors, nothing half-loaded', () => {
  const cfg = JSON.parse(golden.configJson);

  it('config with hidden not divisible by heads -> ConfigError naming hidden', () => {
    const e = expectCleanFailure(
      () => importHuggingFace(files({ configJson: JSON.stringify({ ...cfg, num_attention_heads: 3 }) })),
      ConfigError,
      /hidden \(16\) must be divisible by heads \(3\)/,
    );
    expect((e as ConfigError).details?.field).toBe('hidden');
  });

  it('config says hidden 32 but tensors are 16 -> one CheckpointError listing every mis-shaped tensor', () => {
    const e = expectCleanFailure(
      () => importHuggingFace(files({ configJson: JSON.stringify({ ...cfg, hidden_size: 32, num_attention_heads: 2 }) })),
      CheckpointError,
      /mis-shaped \d+: bert\.embeddings\.word_embeddings\.weight: \[50, 16\] in the file, \[50, 32\] from config\.json/,
    );
    expect(((e as CheckpointError).details?.misShaped as string[]).length).toBeGreaterThan(30);
  });

  it('vocab.txt with fewer lines than embedding rows -> CheckpointError', () => {
    const short = golden.vocabTxt.split('\n').slice(0, 49).join('\n') + '\n';
    expectCleanFailure(() => importHuggingFace(files({ vocabTxt: short })), CheckpointError, /vocab\.txt has 49 lines but embeddings\.word_embeddings\.weight has 50 rows/);
  });

  it('missing and unexpected tensors are listed together', () => {
    const edited = withHeader(golden.safetensors, (h) => {
      const e = h['bert.encoder.layer.1.output.LayerNorm.bias'];
      delete (h as Record<string, unknown>)['bert.encoder.layer.1.output.LayerNorm.bias'];
      h['bert.encoder.layer.1.output.LayerNorm.extra'] = e;
    });
    const e = expectCleanFailure(() => importHuggingFace(files({ safetensors: edited })), CheckpointError, /missing 1: encoder\.layer\.1\.output\.LayerNorm\.bias; unexpected 1: bert\.encoder\.layer\.1\.output\.LayerNorm\.extra/);
    expect((e as CheckpointError).details?.missing).toEqual(['encoder.layer.1.output.LayerNorm.bias']);
  });

  it('unsupported architectures and bad JSON are named', () => {
    expectCleanFailure(() => importHuggingFace(files({ configJson: '{"hidden_size": ' })), CheckpointError, /config\.json is not a JSON object/);
    expectCleanFailure(() => importHuggingFace(files({ configJson: JSON.stringify({ ...cfg, hidden_act: 'relu' }) })), ConfigError, /hidden_act "relu"/);
    expectCleanFailure(() => importHuggingFace(files({ configJson: JSON.stringify({ ...cfg, model_type: 'roberta' }) })), UnsupportedModelError, /model_type "roberta" is not supported.*"bert".*"distilbert"/);
  });

  it('accepts names without bert. prefix, TF-style gamma/beta, and skips pre-training heads', () => {
    const st = parseSafetensors(golden.safetensors);
    const tensors = st.entries.map((e) => ({
      name: e.name.replace(/^bert\./, '').replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
      shape: e.shape,
      data: tensorToFloat32(st, e),
    }));
    tensors.push({ name: 'cls.predictions.bias', shape: [50], data: new Float32Array(50) });
    let skipped: string[] = [];
    const m = importHuggingFace(files({ safetensors: writeSafetensors(tensors) }), { onSkipped: (n) => (skipped = n) });
    expect(skipped).toEqual(['cls.predictions.bias']);
    expect(m.config.kind).toBe('ce');
    m.dispose();
  });

  it('fromWeights reports all problems at once and allocates nothing', () => {
    const m = tinyModel('de');
    const w = new Map<string, Float32Array>();
    for (const v of m.variables()) w.set(v.name, new Float32Array(v.variable.size));
    w.delete('embeddings.LayerNorm.bias');
    w.set('embeddings.LayerNorm.weight', new Float32Array(3));
    w.set('bogus', new Float32Array(1));
    expectCleanFailure(() => RetrievalModel.fromWeights(m.config, m.tokenizer, w), CheckpointError, /missing 1: .*unexpected 1: bogus.*mis-shaped 1/);
    m.dispose();
  });
});

describe('export / import round trips for lab models', () => {
  for (const [label, build] of [
    ['DE, WordPiece', () => tinyModel('de')],
    ['CB, unshared, projection', () => tinyModel('cb', { colbertDim: 4, shareEncoders: false })],
    ['CE, linear head', () => tinyModel('ce')],
    [
      'DE with a hashed-word tokenizer',
      () => {
        const tok = trainHashedWord(CORPUS, 64, { minFrequency: 1 });
        return RetrievalModel.create(
          { kind: 'de', layers: 1, hidden: 8, heads: 2, ffn: 16, vocabSize: tok.vocabSize, maxPositions: 24, maxQueryLen: 12, maxPassageLen: 16 },
          tok,
        );
      },
    ],
  ] as [string, () => RetrievalModel][]) {
    it(`${label}: bit-exact weights, same config, same tokenizer, same scores`, async () => {
      const m = build();
      const f = await exportHuggingFace(m);
      const cfg = JSON.parse(f.configJson);
      expect(cfg.architectures).toEqual([m.config.kind === 'ce' ? 'BertForSequenceClassification' : 'BertModel']);
      expect(f.vocabTxt.split('\n').length - 1).toBe(m.config.vocabSize);
      const names = parseSafetensors(f.safetensors).entries.map((e) => e.name);
      expect(names).toContain('bert.embeddings.word_embeddings.weight');
      const back = importHuggingFace(f);
      expect(back.config).toEqual(m.config);
      expect(back.tokenizer.toJSON()).toEqual(m.tokenizer.toJSON());
      const w1 = await m.readWeights();
      const w2 = await back.readWeights();
      expect([...w2.keys()]).toEqual([...w1.keys()]);
      for (const [n, w] of w1) expect(Buffer.from(w2.get(n)!.data.buffer).equals(Buffer.from(w.data.buffer))).toBe(true);
      const s1 = m.scores(QUERIES, PASSAGES, G, { training: false, layers: [] });
      const s2 = back.scores(QUERIES, PASSAGES, G, { training: false, layers: [] });
      expect(s2.final.arraySync()).toEqual(s1.final.arraySync());
      tf.dispose([s1.final, s2.final]);
      m.dispose();
      back.dispose();
    });
  }
});
