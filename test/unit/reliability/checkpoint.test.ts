// Hostile checkpoint folders through the importer `npm run lab -- --teacher DIR` uses
// (src/cli/modelSource.ts's loadModel over files on disk): each is refused with a named error
// (CheckpointError, ConfigError, UnsupportedModelError) that names the file and, for the
// safetensors bytes, the byte offset; none allocates anything big. NaN and infinite weights are
// refused (not warned about), whatever the dtype.
import { describe, expect } from 'vitest';
import { loadModel } from '../../../src/cli/modelSource';
import { validateModelConfig } from '../../../src/core/model/config';
import { modelTensorSpecs } from '../../../src/core/model/params';
import { writeSafetensors } from '../../../src/core/model/safetensors';
import { caseSuite, expectNamed, tempRoot, writeTree, type Outcome } from './harness';

const hostile = caseSuite('checkpoint');
const newDir = tempRoot('ckpt');

const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'alpha', 'beta', 'gamma', 'delta', 'the', 'a', '##s'];
const HF = {
  model_type: 'bert', vocab_size: VOCAB.length, hidden_size: 4, num_hidden_layers: 1, num_attention_heads: 1,
  intermediate_size: 8, max_position_embeddings: 16, type_vocab_size: 2, hidden_act: 'gelu',
};
const CFG = validateModelConfig({ kind: 'de', layers: 1, hidden: 4, heads: 1, ffn: 8, vocabSize: VOCAB.length, maxPositions: 16, maxQueryLen: 8, maxPassageLen: 16 });
const SPECS = modelTensorSpecs(CFG);

function tensors(edit?: (name: string, data: Float32Array) => void) {
  let seed = 1;
  return SPECS.map((s) => {
    const data = Float32Array.from({ length: s.shape.reduce((a, d) => a * d, 1) }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.1);
    edit?.(s.name, data);
    return { name: `bert.${s.name}`, shape: [...s.shape], data };
  });
}
const GOOD = writeSafetensors(tensors());

/** safetensors bytes from a header object (or raw header text) and data bytes; `n` overrides the length field. */
function raw(header: unknown, data: Uint8Array, n?: bigint): Uint8Array {
  const h = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}
/** The good file's header and data, for edits. */
function parts(): { header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>; data: Uint8Array } {
  const n = Number(new DataView(GOOD.buffer, GOOD.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(GOOD.subarray(8, 8 + n))), data: GOOD.slice(8 + n) };
}

function folder(over: Record<string, string | Uint8Array | null> = {}) {
  const all: Record<string, string | Uint8Array | null> = {
    'config.json': JSON.stringify(HF), 'vocab.txt': VOCAB.join('\n') + '\n', 'model.safetensors': GOOD, ...over,
  };
  const files: Record<string, string | Uint8Array> = {};
  for (const [k, v] of Object.entries(all)) if (v !== null) files[k] = v;
  return loadModel(writeTree(newDir(), files));
}
const named = (cls: string, re: RegExp) => (o: Outcome<unknown>) => {
  expectNamed(o, cls, re);
  return cls;
};
const heapGrowth = async (f: () => Promise<unknown>) => {
  const before = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
  const o: Outcome<unknown> = await f().then((value) => ({ value }), (error: unknown) => ({ error }));
  return { o, grew: process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed - before };
};

describe('checkpoint folders', () => {
  hostile('checkpoint', 'control: the generated folder imports', () => folder(), (o) => {
    expect(o.value!.model.config.hidden).toBe(4);
    o.value!.model.dispose();
    return 'accepted';
  });
  hostile('checkpoint', 'safetensors header length larger than the file', () => {
    const b = GOOD.slice();
    new DataView(b.buffer).setBigUint64(0, BigInt(b.length), true);
    return folder({ 'model.safetensors': b });
  }, named('CheckpointError', /^model\.safetensors: header length \d+ \(bytes 0-7\) runs past the end of the \d+-byte file/));
  hostile('checkpoint', 'safetensors header length 2^64 - 1', () => folder({ 'model.safetensors': raw({}, new Uint8Array(0), 2n ** 64n - 1n) }), named('CheckpointError', /model\.safetensors: header length 18446744073709551615/));
  hostile('checkpoint', 'a 5-byte model.safetensors', () => folder({ 'model.safetensors': GOOD.slice(0, 5) }), named('CheckpointError', /model\.safetensors: file is 5 bytes, shorter than the 8-byte header length/));
  hostile('checkpoint', 'invalid header JSON', () => folder({ 'model.safetensors': raw('{"a": {"dtype": "F32",, }', new Uint8Array(0)) }), named('CheckpointError', /model\.safetensors: header is not valid UTF-8 JSON, near byte \d+ of the file/));
  hostile('checkpoint', 'header bytes that are not UTF-8', () => {
    const b = raw('{"x": 1}', new Uint8Array(0));
    b[10] = 0xff;
    return folder({ 'model.safetensors': b });
  }, named('CheckpointError', /model\.safetensors: header is not valid UTF-8 JSON/));
  hostile('checkpoint', 'header JSON that is an array', () => folder({ 'model.safetensors': raw([1, 2], new Uint8Array(0)) }), named('CheckpointError', /model\.safetensors: header JSON is not an object/));
  hostile('checkpoint', 'tensor offsets that overlap', () => {
    const { header, data } = parts();
    const names = Object.keys(header).filter((k) => k !== '__metadata__');
    const [a, b] = [header[names[0]], header[names[1]]];
    b.data_offsets = [a.data_offsets[0], a.data_offsets[0] + (b.data_offsets[1] - b.data_offsets[0])];
    return folder({ 'model.safetensors': raw(header, data) });
  }, named('CheckpointError', /model\.safetensors: tensor .* \(file bytes \d+-\d+\) overlaps the previous tensor's bytes|unused bytes/));
  hostile('checkpoint', 'tensor offsets past the end of the file', () => {
    const { header, data } = parts();
    return folder({ 'model.safetensors': raw(header, data.subarray(0, data.length - 16)) });
  }, named('CheckpointError', /model\.safetensors: tensor .*: data_offsets \[\d+, \d+\] \(file bytes \d+-\d+\) run past the \d+ data bytes/));
  hostile('checkpoint', 'a hole between tensors', () => {
    const { header, data } = parts();
    for (const e of Object.values(header)) if (Array.isArray(e.data_offsets)) e.data_offsets = [e.data_offsets[0] + 4, e.data_offsets[1] + 4];
    return folder({ 'model.safetensors': raw(header, new Uint8Array([...new Uint8Array(4), ...data])) });
  }, named('CheckpointError', /model\.safetensors: 4 unused bytes before tensor .* \(file bytes \d+-\d+\)/));
  for (const dtype of ['F8_E4M3', 'C64', 'U64', 'string']) {
    hostile('checkpoint', `unsupported dtype ${dtype}`, () => {
      const { header, data } = parts();
      header[Object.keys(header).find((k) => k !== '__metadata__')!].dtype = dtype;
      return folder({ 'model.safetensors': raw(header, data) });
    }, named('CheckpointError', new RegExp(`model\\.safetensors: tensor .*: unsupported dtype "${dtype}"`)));
  }
  hostile('checkpoint', 'a negative dimension in a shape', () => {
    const { header, data } = parts();
    header[Object.keys(header).find((k) => k !== '__metadata__')!].shape = [-4, 1];
    return folder({ 'model.safetensors': raw(header, data) });
  }, named('CheckpointError', /shape \[-4,1\] is not a list of non-negative integers/));
  for (const [label, v] of [['NaN', NaN], ['+Inf', Infinity], ['-Inf', -Infinity]] as const) {
    hostile('checkpoint', `${label} weight (F32): refused`, () => folder({
      'model.safetensors': writeSafetensors(tensors((n, d) => n === 'encoder.layer.0.output.dense.weight' && (d[5] = v))),
    }), named('CheckpointError', /model\.safetensors: tensor bert\.encoder\.layer\.0\.output\.dense\.weight holds a non-finite value \((NaN|-?Infinity)\) at element 5 \(byte \d+ of the file\)/));
  }
  hostile('checkpoint', 'an F16 infinity (0x7c00): refused', () => {
    const { header, data } = parts();
    // Re-encode one small tensor as F16 with an infinity in it; the rest of the file is unchanged.
    const name = 'bert.embeddings.LayerNorm.bias';
    const e = header[name];
    const count = (e.data_offsets[1] - e.data_offsets[0]) / 4;
    const f16 = new Uint8Array(2 * count);
    new DataView(f16.buffer).setUint16(2, 0x7c00, true);
    const chunks: Uint8Array[] = [];
    let off = 0;
    for (const [k, t] of Object.entries(header).filter(([k2]) => k2 !== '__metadata__').sort((x, y) => x[1].data_offsets[0] - y[1].data_offsets[0])) {
      const bytes = k === name ? f16 : data.subarray(t.data_offsets[0], t.data_offsets[1]);
      header[k] = { ...t, dtype: k === name ? 'F16' : t.dtype, data_offsets: [off, off + bytes.length] };
      chunks.push(bytes);
      off += bytes.length;
    }
    const all = new Uint8Array(off);
    let o = 0;
    for (const c of chunks) {
      all.set(c, o);
      o += c.length;
    }
    return folder({ 'model.safetensors': raw(header, all) });
  }, named('CheckpointError', /tensor bert\.embeddings\.LayerNorm\.bias holds a non-finite value \(Infinity\) at element 1/));
  hostile('checkpoint', 'shapes that disagree with config.json', () => folder({ 'config.json': JSON.stringify({ ...HF, intermediate_size: 16 }) }), named('CheckpointError', /model\.safetensors does not match config\.json \(mis-shaped \d+: .*\[4, 8\] in the file, \[4, 16\] from config\.json/));
  hostile('checkpoint', 'config.json with 10^9 hidden units: refused before allocating', async () => {
    const { o, grew } = await heapGrowth(() => folder({ 'config.json': JSON.stringify({ ...HF, hidden_size: 1e9, num_attention_heads: 1 }) }));
    expect(grew).toBeLessThan(64 << 20);
    if (o.error) throw o.error;
    return o.value as Awaited<ReturnType<typeof loadModel>>;
  }, named('ConfigError', /^config\.json: model config: hidden must be <= 16384, got 1000000000/));
  hostile('checkpoint', 'config.json with a 10^9-token vocabulary', () => folder({ 'config.json': JSON.stringify({ ...HF, vocab_size: 1e9 }) }), named('ConfigError', /config\.json: model config: vocabSize must be <= 4194304/));
  hostile('checkpoint', 'config.json with 10^6 layers', () => folder({ 'config.json': JSON.stringify({ ...HF, num_hidden_layers: 1e6 }) }), named('ConfigError', /config\.json: model config: layers must be <= 256/));
  hostile('checkpoint', 'config.json whose embedding table would be 2^32 values', () => folder({ 'config.json': JSON.stringify({ ...HF, vocab_size: 4_000_000, hidden_size: 1024, num_attention_heads: 16 }) }), named('ConfigError', /config\.json: model config: vocabSize \(4000000\) x hidden \(1024\) is 4096000000 values in one matrix/));
  hostile('checkpoint', 'config.json hidden_size as a string', () => folder({ 'config.json': JSON.stringify({ ...HF, hidden_size: '4' }) }), named('ConfigError', /config\.json: hidden_size must be a number, got "4"/));
  hostile('checkpoint', 'config.json hidden not divisible by heads', () => folder({ 'config.json': JSON.stringify({ ...HF, num_attention_heads: 3 }) }), named('ConfigError', /config\.json: model config: hidden \(4\) must be divisible by heads \(3\)/));
  hostile('checkpoint', 'config.json that is not JSON', () => folder({ 'config.json': '{"model_type": "bert",' }), named('CheckpointError', /config\.json is not a JSON object/));
  hostile('checkpoint', 'config.json that is a JSON array', () => folder({ 'config.json': '[1]' }), named('CheckpointError', /config\.json is not a JSON object \(not an object\)/));
  hostile('checkpoint', 'config.json with a "__proto__" key', () => folder({ 'config.json': JSON.stringify(HF).replace('{', '{"__proto__": {"polluted": 1, "hidden_size": 99},') }), (o) => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(o.value!.model.config.hidden).toBe(4);
    o.value!.model.dispose();
    return 'accepted';
  });
  hostile('checkpoint', 'config.json with an unsupported model_type', () => folder({ 'config.json': JSON.stringify({ ...HF, model_type: 'gpt2' }) }), named('UnsupportedModelError', /config\.json: model_type "gpt2" is not supported/));
  hostile('checkpoint', 'config.json with hidden_act relu', () => folder({ 'config.json': JSON.stringify({ ...HF, hidden_act: 'relu' }) }), named('ConfigError', /config\.json: hidden_act "relu" is not supported/));
  hostile('checkpoint', 'vocab.txt with fewer lines than the embedding rows', () => folder({ 'vocab.txt': VOCAB.slice(0, -2).join('\n') + '\n' }), named('CheckpointError', /vocab\.txt has 10 lines but embeddings\.word_embeddings\.weight has 12 rows/));
  hostile('checkpoint', 'an empty vocab.txt', () => folder({ 'vocab.txt': '' }), (o) => {
    const e = o.error as Error;
    expect(['CheckpointError', 'UnsupportedModelError']).toContain(e?.name);
    expect(e.message).toMatch(/vocab/i);
    return e.name;
  });
  hostile('checkpoint', 'vocab.txt without the special tokens', () => folder({ 'vocab.txt': ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'].join('\n') + '\n' }), named('UnsupportedModelError', /lacks the BERT special token/));
  hostile('checkpoint', 'model.safetensors missing', () => folder({ 'model.safetensors': null }), named('CheckpointError', /model\.safetensors is missing/));
  hostile('checkpoint', 'only a pickle (pytorch_model.bin)', () => folder({ 'model.safetensors': null, 'pytorch_model.bin': new Uint8Array([0x80, 0x02]) }), (o) => {
    const e = o.error as Error;
    expect(['UnsupportedModelError', 'CheckpointError']).toContain(e?.name);
    expect(e.message).toMatch(/pytorch_model\.bin/);
    return e.name;
  });
  hostile('checkpoint', 'config.json missing', () => folder({ 'config.json': null }), named('CheckpointError', /config\.json is missing/));
  hostile('checkpoint', 'a path that is not a folder', () => loadModel(`${newDir()}/absent`), named('CheckpointError', /is not a folder/));
  hostile('checkpoint', 'a gzip file named model.safetensors', () => folder({ 'model.safetensors': Uint8Array.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]) }), named('CheckpointError', /^model\.safetensors: header length \d+ \(bytes 0-7\) runs past the end/));
});
