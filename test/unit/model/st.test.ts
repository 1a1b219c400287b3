// sentence-transformers folders (test/golden/st-*-random): imported, and their token ids,
// embeddings and query x passage scores matched against an independent float64 reference;
// tokenizer.json without vocab.txt, DistilBERT names, F16/BF16 weights, pickle refusal and
// the export of the same layout.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, UnsupportedModelError } from '../../../src/core/errors';
import { exportModelFolder, importModelFolder, parseSafetensors, tensorToFloat32, type ModelFolder } from '../../../src/core/model';
import { loadFolder, ST_GOLDEN, type StExpected } from './stGolden';

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

function maxAbs(a: number[][], b: number[][]): number {
  let w = 0;
  a.forEach((r, i) => r.forEach((v, k) => (w = Math.max(w, Math.abs(v - b[i][k])))));
  return w;
}

/** Checks ids, embeddings and scores of an imported model against expected.json. */
function checkGolden(files: ModelFolder, ex: StExpected, opts: { ids?: boolean } = {}): void {
  const { model } = importModelFolder(files);
  try {
    if (opts.ids !== false) {
      const cfg = model.config;
      const q = model.tokenizeTexts(ex.queries, cfg.maxQueryLen);
      const p = model.tokenizeTexts(ex.passages, cfg.maxPassageLen);
      const rows = (b: typeof q, ids: number[][], mask: number[][]) =>
        ids.forEach((r, i) => {
          const n = mask[i].reduce((a, x) => a + x, 0);
          expect(b.lengths[i]).toBe(n);
          expect(Array.from(b.ids.subarray(i * b.t, i * b.t + n))).toEqual(r.slice(0, n));
        });
      rows(q, ex.query_input_ids, ex.query_attention_mask);
      rows(p, ex.passage_input_ids, ex.passage_attention_mask);
    }
    const qe = model.encodeQueries(ex.queries, { asSentenceTransformers: true });
    const pe = model.encodePassages(ex.passages, { asSentenceTransformers: true });
    if (qe.kind !== 'dense' || pe.kind !== 'dense') throw new Error('not dense');
    expect(maxAbs(qe.vectors.arraySync(), ex.query_embeddings)).toBeLessThan(1e-4);
    expect(maxAbs(pe.vectors.arraySync(), ex.passage_embeddings)).toBeLessThan(1e-4);
    const qs = model.encodeQueries(ex.queries);
    const ps = model.encodePassages(ex.passages);
    const s = model.similarity(qs, ps);
    expect(maxAbs(s.arraySync(), ex.scores)).toBeLessThan(1e-4);
    // The training path (scores over a batch) gives the same matrix.
    const sc = model.scores(ex.queries, ex.passages.slice(0, 3), 1, { training: false });
    expect(maxAbs(sc.final.arraySync(), ex.scores.map((r) => r.slice(0, 3)))).toBeLessThan(1e-4);
    tf.dispose([qe.vectors, pe.vectors, qs.vectors, ps.vectors, s, sc.final, ...sc.layers]);
  } finally {
    model.dispose();
  }
}

describe('sentence-transformers golden folders', () => {
  it('st-mean-cos-random: mean pooling, Normalize, cosine, max_seq_length 12', () => {
    const { files, expected } = loadFolder(ST_GOLDEN.meanCos);
    const { model, info } = importModelFolder(files);
    expect(info.format).toBe('sentence-transformers');
    expect(model.config).toMatchObject({ kind: 'de', pooling: 'mean', normalize: true, similarity: 'cosine', maxQueryLen: 12, maxPassageLen: 12 });
    model.dispose();
    checkGolden(files, expected);
  });

  it('st-cls-dot-random: cls pooling, no normalisation, dot', () => {
    const { files, expected } = loadFolder(ST_GOLDEN.clsDot);
    const { model } = importModelFolder(files);
    expect(model.config).toMatchObject({ kind: 'de', pooling: 'cls', normalize: false, similarity: 'dot', maxQueryLen: 32 });
    model.dispose();
    checkGolden(files, expected);
  });

  it('loads with tokenizer.json and no vocab.txt', () => {
    for (const dir of [ST_GOLDEN.meanCos, ST_GOLDEN.clsDot]) {
      const { files, expected } = loadFolder(dir);
      delete files['vocab.txt'];
      const { info } = importModelFolder(files);
      expect(info.vocabFrom).toBe('tokenizer.json');
      checkGolden(files, expected);
    }
  });

  it('reads F16 and BF16 weights as float32', () => {
    const { files } = loadFolder(ST_GOLDEN.clsDot);
    const st = parseSafetensors(files['model.safetensors'] as Uint8Array);
    for (const dtype of ['F16', 'BF16'] as const) {
      const half = toHalf(st, dtype);
      const { model } = importModelFolder({ ...files, 'model.safetensors': half.bytes });
      const w = model.variable('embeddings.word_embeddings.weight').dataSync();
      const ref = tensorToFloat32(st, st.entries.find((e) => e.name.endsWith('embeddings.word_embeddings.weight'))!);
      // The stored values are exactly the rounded ones.
      expect(Array.from(w)).toEqual(Array.from(half.rounded.get('embeddings.word_embeddings.weight')!));
      let worst = 0;
      ref.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - w[i]) / Math.max(Math.abs(v), 1e-3))));
      expect(worst).toBeLessThan(dtype === 'F16' ? 1e-3 : 1e-2);
      model.dispose();
    }
  });

  it('maps DistilBERT names onto the BERT layout with the same outputs', () => {
    const { files, expected } = loadFolder(ST_GOLDEN.meanCos);
    files['model.safetensors'] = toDistilbert(files['model.safetensors'] as Uint8Array);
    const cfg = JSON.parse(files['config.json'] as string) as Record<string, unknown>;
    files['config.json'] = JSON.stringify({
      model_type: 'distilbert', architectures: ['DistilBertModel'], vocab_size: cfg.vocab_size, dim: cfg.hidden_size,
      n_layers: cfg.num_hidden_layers, n_heads: cfg.num_attention_heads, hidden_dim: cfg.intermediate_size, activation: 'gelu',
      max_position_embeddings: cfg.max_position_embeddings, dropout: 0.1, attention_dropout: 0.1, sinusoidal_pos_embds: false,
      pad_token_id: 0,
    });
    const { model, info } = importModelFolder(files);
    expect(info.modelType).toBe('distilbert');
    expect(model.config.typeVocabSize).toBe(1);
    model.dispose();
    checkGolden(files, expected);
  });

  it('refuses pytorch_model.bin, saying why and how to convert', () => {
    const { files } = loadFolder(ST_GOLDEN.clsDot);
    files['pytorch_model.bin'] = files['model.safetensors'];
    delete files['model.safetensors'];
    expect(() => importModelFolder(files)).toThrow(UnsupportedModelError);
    expect(() => importModelFolder(files)).toThrow(/pickle.*execute arbitrary code.*save_file.*safe_serialization=True/s);
  });

  it('refuses unsupported architectures, tokenizers, modules and similarities by name', () => {
    const base = loadFolder(ST_GOLDEN.clsDot).files;
    const cases: [ModelFolder, RegExp][] = [
      [{ ...base, 'config.json': JSON.stringify({ ...JSON.parse(base['config.json'] as string), model_type: 'roberta' }) }, /roberta.*"bert".*"distilbert"/],
      [{ ...base, 'modules.json': JSON.stringify([{ idx: 0, path: '', type: 'sentence_transformers.models.Transformer' }, { idx: 1, path: '1_Pooling', type: 'sentence_transformers.models.Pooling' }, { idx: 2, path: '2_Dense', type: 'sentence_transformers.models.Dense' }]) }, /Dense/],
      [{ ...base, 'config_sentence_transformers.json': JSON.stringify({ similarity_fn_name: 'euclidean' }) }, /euclidean.*cosine or dot/],
      [{ ...base, '1_Pooling/config.json': JSON.stringify({ word_embedding_dimension: 16, pooling_mode_weightedmean_tokens: true }) }, /weightedmean/],
      [{ ...base, 'tokenizer.json': JSON.stringify({ model: { type: 'BPE', vocab: {} } }) }, /"BPE".*WordPiece/],
    ];
    for (const [files, re] of cases) {
      expect(() => importModelFolder(files)).toThrow(UnsupportedModelError);
      expect(() => importModelFolder(files)).toThrow(re);
    }
    const noWeights = { ...base };
    delete noWeights['model.safetensors'];
    expect(() => importModelFolder(noWeights)).toThrow(CheckpointError);
  });

  it('reads prompts, mean_sqrt_len and lasttoken pooling', () => {
    const { files } = loadFolder(ST_GOLDEN.meanCos);
    files['config_sentence_transformers.json'] = JSON.stringify({ prompts: { query: 'query: ', passage: 'passage: ' }, similarity_fn_name: 'cosine' });
    const { model } = importModelFolder(files);
    expect(model.config.queryPrompt).toBe('query: ');
    expect(model.config.passagePrompt).toBe('passage: ');
    // The prompt is tokenised in front of the text: "query: hello" = [CLS] query : hello [SEP].
    const a = model.encodeQueries(['hello']);
    const plain = importModelFolder(loadFolder(ST_GOLDEN.meanCos).files).model;
    const b = plain.encodeQueries(['query: hello']);
    if (a.kind !== 'dense' || b.kind !== 'dense') throw new Error('not dense');
    expect(maxAbs(a.vectors.arraySync(), b.vectors.arraySync())).toBe(0);
    tf.dispose([a.vectors, b.vectors]);
    model.dispose();
    plain.dispose();

    for (const [key, pooling] of [['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len'], ['pooling_mode_lasttoken', 'lasttoken']] as const) {
      const f = loadFolder(ST_GOLDEN.clsDot).files;
      f['1_Pooling/config.json'] = JSON.stringify({ word_embedding_dimension: 16, [key]: true });
      const m = importModelFolder(f).model;
      expect(m.config.pooling).toBe(pooling);
      const texts = ['hello world', 'dense retrieval model of the passage'];
      const e = m.encodeQueries(texts);
      const batch = m.tokenizeTexts(texts, m.config.maxQueryLen);
      if (e.kind !== 'dense') throw new Error('not dense');
      const got = e.vectors.arraySync();
      // Reference from the last layer's states, computed here by hand.
      const hs = lastLayer(m, batch);
      texts.forEach((_, i) => {
        const n = batch.lengths[i];
        const want = pooling === 'lasttoken'
          ? hs[i][n - 1]
          : hs[i][0].map((_, k) => hs[i].slice(0, n).reduce((s, r) => s + r[k], 0) / Math.sqrt(n));
        want.forEach((v, k) => expect(Math.abs(got[i][k] - v)).toBeLessThan(1e-5));
      });
      tf.dispose(e.vectors);
      m.dispose();
    }
  });

  it('exports the sentence-transformers layout and re-imports it to the same numbers', async () => {
    const { files, expected } = loadFolder(ST_GOLDEN.meanCos);
    files['config_sentence_transformers.json'] = JSON.stringify({ prompts: { query: 'query: ' }, similarity_fn_name: 'cosine' });
    const { model } = importModelFolder(files);
    const out = await exportModelFolder(model);
    for (const f of ['config.json', 'vocab.txt', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
      'modules.json', '1_Pooling/config.json', 'sentence_bert_config.json', 'config_sentence_transformers.json']) {
      expect(out.files[f], f).toBeDefined();
    }
    expect(JSON.parse(out.files['modules.json'] as string).map((m: { type: string }) => m.type.split('.').pop())).toEqual(['Transformer', 'Pooling', 'Normalize']);
    expect(JSON.parse(out.files['1_Pooling/config.json'] as string)).toMatchObject({ pooling_mode_mean_tokens: true, pooling_mode_cls_token: false, word_embedding_dimension: 16 });
    expect(JSON.parse(out.files['sentence_bert_config.json'] as string).max_seq_length).toBe(12);
    expect(JSON.parse(out.files['config_sentence_transformers.json'] as string)).toMatchObject({ similarity_fn_name: 'cosine', prompts: { query: 'query: ' } });
    // tokenizer.json carries the same vocabulary as the golden one.
    const tj = JSON.parse(out.files['tokenizer.json'] as string);
    expect(tj.model.vocab).toEqual(JSON.parse(files['tokenizer.json'] as string).model.vocab);
    // Without the lab's own config.json section, the sentence-transformers files alone give the same model.
    const cfg = JSON.parse(out.files['config.json'] as string);
    delete cfg.distill_lab;
    const plain: ModelFolder = { ...out.files, 'config.json': JSON.stringify(cfg) };
    delete plain['vocab.txt'];
    const again = importModelFolder(plain).model;
    expect(again.config.queryPrompt).toBe('query: ');
    const { queryPrompt: _q, ...rest } = again.config;
    void _q;
    const back = importModelFolder({ ...plain, 'config_sentence_transformers.json': JSON.stringify({ similarity_fn_name: 'cosine' }) });
    expect(back.model.config).toEqual(rest);
    back.model.dispose();
    again.dispose();
    const viaLab = importModelFolder(out.files).model;
    expect(viaLab.config).toEqual(model.config);
    viaLab.dispose();
    model.dispose();
    checkGolden({ ...plain, 'config_sentence_transformers.json': JSON.stringify({ similarity_fn_name: 'cosine' }) }, expected);
  });
});

/** Last-layer states [N][T][H] of a padded batch. */
function lastLayer(m: ReturnType<typeof importModelFolder>['model'], batch: ReturnType<ReturnType<typeof importModelFolder>['model']['tokenizeTexts']>): number[][][] {
  const out = m.hiddenStates(batch);
  const h = out.hidden[m.config.layers - 1].arraySync();
  tf.dispose([out.embeddings, ...out.hidden]);
  return h;
}

/** The file rewritten with F16 or BF16 tensors (round to nearest even), and the float32 values they hold. */
function toHalf(st: ReturnType<typeof parseSafetensors>, dtype: 'F16' | 'BF16'): { bytes: Uint8Array; rounded: Map<string, Float32Array> } {
  const header: Record<string, unknown> = {};
  const parts: Uint8Array[] = [];
  const rounded = new Map<string, Float32Array>();
  let off = 0;
  for (const e of st.entries) {
    const v = tensorToFloat32(st, e);
    const buf = new Uint8Array(2 * v.length);
    const dv = new DataView(buf.buffer);
    const back = new Float32Array(v.length);
    v.forEach((x, i) => {
      const h = dtype === 'F16' ? f32ToF16(x) : f32ToBf16(x);
      dv.setUint16(2 * i, h, true);
      back[i] = dtype === 'F16' ? f16ToF32(h) : new Float32Array(new Uint32Array([h << 16]).buffer)[0];
    });
    rounded.set(e.name.replace(/^bert\./, ''), back);
    header[e.name] = { dtype, shape: e.shape, data_offsets: [off, off + buf.length] };
    off += buf.length;
    parts.push(buf);
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return { bytes: out, rounded };
}

function f32ToBf16(x: number): number {
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  return ((u + 0x7fff + ((u >> 16) & 1)) >>> 16) & 0xffff;
}

function f32ToF16(x: number): number {
  // Normal range only (the golden weights are small but not subnormal in half).
  const u = new Uint32Array(new Float32Array([x]).buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp <= 0) return sign; // flush to zero
  const round = (mant & 0x1fff) > 0x1000 || ((mant & 0x1fff) === 0x1000 && (mant & 0x2000) !== 0) ? 1 : 0;
  mant = (mant >>> 13) + round;
  return sign | ((exp << 10) + mant);
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** The BERT golden weights renamed as DistilBERT's (token-type row 0 folded into the positions). */
function toDistilbert(bytes: Uint8Array): Uint8Array {
  const st = parseSafetensors(bytes);
  const by = new Map(st.entries.map((e) => [e.name.replace(/^bert\./, ''), tensorToFloat32(st, e)]));
  const H = st.entries.find((e) => e.name.endsWith('embeddings.LayerNorm.weight'))!.shape[0];
  const shapes = new Map(st.entries.map((e) => [e.name.replace(/^bert\./, ''), e.shape]));
  const type0 = by.get('embeddings.token_type_embeddings.weight')!.subarray(0, H);
  const pos = by.get('embeddings.position_embeddings.weight')!.slice();
  for (let i = 0; i < pos.length; i++) pos[i] += type0[i % H];
  by.set('embeddings.position_embeddings.weight', pos);
  const rename: [RegExp, string][] = [
    [/^encoder\.layer\.(\d+)\.attention\.self\.query\./, 'transformer.layer.$1.attention.q_lin.'],
    [/^encoder\.layer\.(\d+)\.attention\.self\.key\./, 'transformer.layer.$1.attention.k_lin.'],
    [/^encoder\.layer\.(\d+)\.attention\.self\.value\./, 'transformer.layer.$1.attention.v_lin.'],
    [/^encoder\.layer\.(\d+)\.attention\.output\.dense\./, 'transformer.layer.$1.attention.out_lin.'],
    [/^encoder\.layer\.(\d+)\.attention\.output\.LayerNorm\./, 'transformer.layer.$1.sa_layer_norm.'],
    [/^encoder\.layer\.(\d+)\.intermediate\.dense\./, 'transformer.layer.$1.ffn.lin1.'],
    [/^encoder\.layer\.(\d+)\.output\.dense\./, 'transformer.layer.$1.ffn.lin2.'],
    [/^encoder\.layer\.(\d+)\.output\.LayerNorm\./, 'transformer.layer.$1.output_layer_norm.'],
  ];
  const tensors: { name: string; shape: number[]; data: Float32Array }[] = [];
  for (const [n, data] of by) {
    if (n.startsWith('embeddings.token_type') || n.startsWith('pooler.')) continue;
    let out = n;
    for (const [re, to] of rename) out = out.replace(re, to);
    tensors.push({ name: `distilbert.${out}`, shape: shapes.get(n)!, data });
  }
  // writeSafetensors is the lab's own (F32).
  return writeF32(tensors);
}

function writeF32(tensors: { name: string; shape: number[]; data: Float32Array }[]): Uint8Array {
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [off, off + 4 * t.data.length] };
    off += 4 * t.data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}
