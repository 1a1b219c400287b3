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
import { startHubStandIn, type HubStandIn } from '../../shared/hubStandIn';
import { loadFolder, ST_GOLDEN } from '../model/stGolden';
import { freshStore } from '../store/helpers';

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
