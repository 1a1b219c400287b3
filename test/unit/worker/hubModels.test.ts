// Sentence-transformers folders and Hub downloads through the worker's model methods (in-thread
// engine, real store logic on fake-indexeddb, the local Hub stand-in): a dropped folder and a
// Hub download are imported, listed, loaded back to the golden scores; a second Hub import of
// the same revision is answered from the library without a request; a corrupted download and a
// cancelled one store nothing.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubIntegrityError } from '../../../src/core/errors';
import { InThreadEngine } from '../../../src/worker/engine';
import { createModelHandlers, loadStoredModel } from '../../../src/worker/modelHandlers';
import type { IngestFileParam } from '../../../src/worker/protocol';
import { startHubStandIn, type HubStandIn } from '../../shared/hubStandIn.mjs';
import { loadFolder, ST_GOLDEN } from '../model/stGolden';
import { freshStore } from '../store/helpers';
import { crc32 } from '../../../src/store/checksum';
import { storedZip } from '../../../src/ui/zip';

/** Entries of a zip of stored entries, via the central directory; checks each CRC-32. */
function readStoredZip(z: Uint8Array): Record<string, Uint8Array> {
  const dv = new DataView(z.buffer, z.byteOffset, z.byteLength);
  const end = z.length - 22;
  expect(dv.getUint32(end, true)).toBe(0x06054b50);
  const n = dv.getUint16(end + 10, true);
  let p = dv.getUint32(end + 16, true);
  const out: Record<string, Uint8Array> = {};
  for (let i = 0; i < n; i++) {
    expect(dv.getUint32(p, true)).toBe(0x02014b50);
    const crc = dv.getUint32(p + 16, true);
    const size = dv.getUint32(p + 20, true);
    const nameLen = dv.getUint16(p + 28, true);
    const local = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(z.subarray(p + 46, p + 46 + nameLen));
    const data = z.subarray(local + 30 + dv.getUint16(local + 26, true), local + 30 + dv.getUint16(local + 26, true) + size);
    expect(crc32(data)).toBe(crc);
    out[name] = data;
    p += 46 + nameLen;
  }
  return out;
}

const g = loadFolder(ST_GOLDEN.meanCos);
let hub: HubStandIn;

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  hub = await startHubStandIn({ 'lab/st-mean-cos': { files: g.files as Record<string, string | Uint8Array> } });
});
afterAll(async () => {
  await hub.close();
});

const file = (name: string, data: unknown): IngestFileParam => ({ name, blob: new Blob([data as BlobPart]) });

async function goldenScores(store: Awaited<ReturnType<typeof freshStore>>['store'], id: string): Promise<number> {
  const model = await loadStoredModel(store, id);
  const s = model.similarity(model.encodeQueries(g.expected.queries), model.encodePassages(g.expected.passages));
  let worst = 0;
  s.arraySync().forEach((r, i) => r.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - g.expected.scores[i][k])))));
  tf.dispose(s);
  model.dispose();
  return worst;
}

describe('sentence-transformers and Hub imports in the worker', () => {
  it('a dropped sentence-transformers folder (tokenizer.json, no vocab.txt) imports with its pooling', async () => {
    const { store } = await freshStore();
    const engine = new InThreadEngine(createModelHandlers(async () => store));
    const extra = Object.entries(g.files)
      .filter(([p]) => p !== 'config.json' && p !== 'model.safetensors' && p !== 'vocab.txt')
      .map(([p, v]) => file(p, v));
    const m = await engine.call('importModel', { name: 'st', files: { config: file('config.json', g.files['config.json']), weights: file('model.safetensors', g.files['model.safetensors']), extra } });
    expect(m.info.kind).toBe('de');
    expect(await goldenScores(store, m.id)).toBeLessThan(1e-4);

    // Exported in the sentence-transformers layout and imported back as a folder: the same numbers.
    const out = await engine.call('exportModel', { id: m.id, layout: 'sentence-transformers' });
    expect(Object.keys(out.extraFiles ?? {}).sort()).toEqual([
      '1_Pooling/config.json', 'config_sentence_transformers.json', 'modules.json', 'sentence_bert_config.json', 'special_tokens_map.json',
      'tokenizer.json', 'tokenizer_config.json',
    ]);
    const back = await engine.call('importModel', {
      files: {
        config: file('config.json', out.configJson), vocab: file('vocab.txt', out.vocabTxt), weights: file('model.safetensors', out.safetensors),
        extra: Object.entries(out.extraFiles!).map(([p, v]) => file(p, v)),
      },
    });
    expect(await goldenScores(store, back.id)).toBeLessThan(1e-4);
    // A zip of the folder unzips to the same files (stored entries, CRC-32 checked by the reader below).
    const zip = storedZip({ 'config.json': out.configJson, 'model.safetensors': out.safetensors, ...out.extraFiles }, 'student');
    const entries = readStoredZip(zip);
    expect(Object.keys(entries)).toContain('student/1_Pooling/config.json');
    expect(Buffer.from(entries['student/model.safetensors']).equals(Buffer.from(out.safetensors))).toBe(true);
  });

  it('downloads by name, stores, answers the second import from the library; a corrupted download stores nothing', async () => {
    const { store } = await freshStore();
    const engine = new InThreadEngine(createModelHandlers(async () => store));
    hub.faults.set('lab/st-mean-cos/model.safetensors', 'corrupt');
    await expect(engine.call('importHubModel', { spec: 'lab/st-mean-cos', endpoint: hub.endpoint })).rejects.toBeInstanceOf(HubIntegrityError);
    expect(await store.listModels()).toEqual([]);
    hub.faults.clear();

    const listings: string[][] = [];
    const files = new Set<string>();
    const m = await engine.call('importHubModel', { spec: 'lab/st-mean-cos', endpoint: hub.endpoint }, {
      onProgress: (p) => (p.kind === 'listing' ? listings.push(p.files.map((f) => f.path)) : files.add(p.file)),
    });
    expect(m.fromLibrary).toBe(false);
    expect(m.hub).toMatchObject({ repo: 'lab/st-mean-cos', revision: 'main' });
    expect(listings[0]).toContain('model.safetensors');
    expect(files.has('model.safetensors')).toBe(true);
    expect(await goldenScores(store, m.id)).toBeLessThan(1e-4);
    const listed = await engine.call('listModels', {});
    expect(listed.find((x) => x.id === m.id)?.hub?.sha).toBe(m.hub!.sha);

    hub.requests.length = 0;
    const again = await engine.call('importHubModel', { spec: 'lab/st-mean-cos@main', endpoint: hub.endpoint });
    expect(again.fromLibrary).toBe(true);
    expect(again.id).toBe(m.id);
    expect(hub.requests).toEqual([]);
  });

  it('a cancelled download stores nothing', async () => {
    const { store } = await freshStore();
    const engine = new InThreadEngine(createModelHandlers(async () => store));
    const ac = new AbortController();
    const p = engine.call('importHubModel', { spec: 'lab/st-mean-cos', endpoint: hub.endpoint }, {
      signal: ac.signal,
      onProgress: (x) => x.kind === 'listing' && ac.abort(),
    });
    await expect(p).rejects.toMatchObject({ name: 'CancelledError' });
    expect(await store.listModels()).toEqual([]);
  });
});
