// The model methods through the in-thread engine on the real store logic (fake-indexeddb):
// a run's trained student is listed, exported as Hugging Face files, imported back and
// evaluated with exactly the run's reported metrics; an imported teacher teaches a run; bad
// files are refused with the file and the reason, storing nothing.
import { SHIPPED_TEACHERS } from '../../../src/core/model/shipped';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from '../../../src/core/backend/wasmKernels';
import { generateWorld } from '../../../src/core/data/world';
import type { ExperimentConfig } from '../../../src/core/distill/experiment';
import { defaultRecipe } from '../../../src/core/distill/recipes';
import { CheckpointError } from '../../../src/core/errors';
import { describeCorpus } from '../../../src/store/corpusStats';
import { InThreadEngine } from '../../../src/worker/engine';
import { createModelHandlers } from '../../../src/worker/modelHandlers';
import { createRunHandlers } from '../../../src/worker/trainHandlers';
import type { IngestFileParam } from '../../../src/worker/protocol';
import { dump, freshStore } from '../store/helpers';
import { tinyExperiment } from './tinyExperiment';

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});

function tinyConfig(): ExperimentConfig {
  return tinyExperiment({ seed: 3, layers: 2, hidden: 16, ffn: 32, studentHidden: 8, vocab: [300, 200], steps: 4, batchSize: 4, every: 2, recipes: [defaultRecipe('lead')] });
}

async function setup() {
  const { store } = await freshStore();
  const corpus = generateWorld({ preset: 'easy', seed: 2, entities: 40, train: 40, dev: 8, test: 12 });
  const { stats, baseline } = describeCorpus(corpus);
  await store.writeCorpus({ id: 'w', name: 'tiny world', source: { kind: 'builtin' } as never, corpus, stats, baseline });
  const engine = new InThreadEngine({ ...createRunHandlers(async () => store), ...createModelHandlers(async () => store) });
  return { store, engine };
}

const file = (name: string, data: string | Uint8Array): IngestFileParam => ({ name, blob: new Blob([data as BlobPart]) });

describe('models in the worker protocol', () => {
  it('exports a trained student, imports it back and evaluates it to the run’s own metrics; an imported teacher teaches a run', async () => {
    const { store, engine } = await setup();
    const run = await engine.call('train', { runId: 'r1', name: 'tiny', corpusId: 'w', config: tinyConfig() });
    const lead = run.results.find((r) => r.recipe === 'lead')!;
    const teacher = run.results.find((r) => r.recipe.startsWith('teacher:'))!;

    const listed = await engine.call('listModels', {});
    // The shipped teachers are always listed (core/model/shipped.ts), before the runs' models.
    expect(listed.filter((m) => m.origin === 'builtin').map((m) => m.id)).toEqual(SHIPPED_TEACHERS.map((t) => `builtin:${t.name}`));
    expect(listed.filter((m) => m.origin !== 'builtin').map((m) => [m.id, m.origin, m.run?.role]).sort()).toEqual([
      ['run:r1:final:lead', 'run', 'lead'],
      ['run:r1:final:teacher0', 'run', 'teacher:DE teacher'],
    ]);
    expect(listed.find((m) => m.id === 'run:r1:final:lead')!.info).toMatchObject({ kind: 'de', layers: 2, hidden: 8, tokenizer: 'hashed-word' });

    const files = await engine.call('exportModel', { id: 'run:r1:final:lead' });
    expect(JSON.parse(files.configJson).distill_lab.tokenizer.kind).toBe('hashed-word');
    const imported = await engine.call('importModel', {
      name: 'LEAD student back',
      files: { config: file('config.json', files.configJson), vocab: file('vocab.txt', files.vocabTxt), weights: file('model.safetensors', files.safetensors) },
    });
    expect(imported).toMatchObject({ origin: 'import', name: 'LEAD student back', info: { tokenizer: 'hashed-word', layers: 2 } });
    const ev = await engine.call('evaluateModel', { id: imported.id, corpusId: 'w' });
    expect(ev.split).toBe('test');
    expect(ev.metrics).toEqual(lead.metrics);
    expect(ev.run).toEqual(lead.run);
    // The run's own checkpoint evaluates the same.
    expect((await engine.call('evaluateModel', { id: 'run:r1:final:lead', corpusId: 'w' })).metrics).toEqual(lead.metrics);

    // Export of an imported model gives its files back byte for byte.
    const again = await engine.call('exportModel', { id: imported.id });
    expect(again.configJson).toBe(files.configJson);
    expect(Buffer.from(again.safetensors).equals(Buffer.from(files.safetensors))).toBe(true);

    // The trained teacher, exported and imported, teaches a new run as it is (not trained again).
    const tFiles = await engine.call('exportModel', { id: 'run:r1:final:teacher0' });
    const tImported = await engine.call('importModel', {
      files: { config: file('config.json', tFiles.configJson), vocab: file('vocab.txt', tFiles.vocabTxt), weights: file('teacher.safetensors', tFiles.safetensors) },
    });
    expect(tImported.name).toBe('DE teacher (tiny)');
    const cfg = tinyConfig();
    cfg.teachers = [{ ...cfg.teachers[0], name: 'imported teacher', pretrained: tImported.id }];
    const logs: string[] = [];
    const run2 = await engine.call('train', { runId: 'r2', name: 'with import', corpusId: 'w', config: cfg }, { onProgress: (p) => p.type === 'log' && logs.push(p.message) });
    expect(logs.some((l) => /imported checkpoint .* used as it is/.test(l))).toBe(true);
    expect(run2.results.find((r) => r.recipe === 'teacher:imported teacher')!.metrics).toEqual(teacher.metrics);
    expect(run2.results.map((r) => r.recipe)).toEqual(['bm25', 'teacher:imported teacher', 'lead']);
    engine.dispose();
    store.close();
  }, 240_000);

  it('bad files are refused with the file and the reason, and nothing is stored', async () => {
    const { store, engine } = await setup();
    await engine.call('train', { runId: 'r1', name: 'tiny', corpusId: 'w', config: { ...tinyConfig(), teachers: [], recipes: [defaultRecipe('baseline')] } });
    const good = await engine.call('exportModel', { id: 'run:r1:final:baseline' });
    const before = await dump(store.db);
    const attempt = (config: string, vocab: string, weights: Uint8Array, weightsName = 'model.safetensors') =>
      engine.call('importModel', { files: { config: file('config.json', config), vocab: file('vocab.txt', vocab), weights: file(weightsName, weights) } });
    const cases: [Promise<unknown>, RegExp][] = [
      [attempt('{"model_type": "bert",', good.vocabTxt, good.safetensors), /^config\.json is not a JSON object/],
      [attempt(good.configJson, good.vocabTxt, good.safetensors.slice(0, 100), 'student.safetensors'), /^student\.safetensors: header length \d+ .*runs past the end/],
      [attempt(good.configJson, good.vocabTxt.split('\n').slice(0, -3).join('\n') + '\n', good.safetensors), /^vocab\.txt does not match the hashed-word tokenizer described in config\.json/],
      [attempt(JSON.stringify({ ...JSON.parse(good.configJson), num_hidden_layers: 3 }), good.vocabTxt, good.safetensors), /^model\.safetensors does not match config\.json \(missing/],
      [attempt(JSON.stringify({ ...JSON.parse(good.configJson), distill_lab: undefined }), good.vocabTxt, good.safetensors), /^config\.json has no distill_lab\.tokenizer, but vocab\.txt lists hashed-word buckets/],
      [attempt(JSON.stringify({ ...JSON.parse(good.configJson), hidden_size: 'big' }), good.vocabTxt, good.safetensors), /^config\.json: hidden_size must be a number/],
    ];
    for (const [p, re] of cases) {
      const err = await p.then(() => null, (e: Error) => e);
      expect(err, String(re)).not.toBeNull();
      expect(err!.message).toMatch(re);
      expect(['CheckpointError', 'ConfigError']).toContain(err!.name);
    }
    expect(await dump(store.db)).toBe(before);
    expect((await engine.call('listModels', {})).filter((m) => m.origin === 'import')).toEqual([]);
    await expect(engine.call('exportModel', { id: 'import:nope' })).rejects.toBeInstanceOf(CheckpointError);
    engine.dispose();
    store.close();
  }, 240_000);
});
