// The teacher shipped in public/teachers/world-default-de (the page's demo uses it) is
// re-evaluated here from its files, and must score what README.md and docs/training.md state:
// world:default test split, nDCG@10 0.8325, MRR@10 0.9312 (the `npm run lab` command that
// trained it is in the README). Runs on the wasm backend, as the CLI did.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../../src/core/backend/wasmKernels';
import { generateWorld } from '../../../src/core/data/world';
import { importHuggingFace } from '../../../src/core/model/hf';
import { evaluateModel } from '../../../src/core/retrieval/evaluate';

const DIR = path.resolve(__dirname, '../../../public/teachers/world-default-de');

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});

describe('the shipped teacher', () => {
  it('scores on world:default what the README states', async () => {
    const model = importHuggingFace({
      configJson: readFileSync(path.join(DIR, 'config.json'), 'utf8'),
      vocabTxt: readFileSync(path.join(DIR, 'vocab.txt'), 'utf8'),
      safetensors: readFileSync(path.join(DIR, 'model.safetensors')),
    });
    try {
      expect([model.config.kind, model.config.layers, model.config.hidden, model.config.pooling, model.config.similarity]).toEqual(['de', 4, 64, 'mean', 'cosine']);
      const ev = await evaluateModel(model, generateWorld({ preset: 'default' }), 'test');
      expect(ev.metrics['ndcg@10']).toBeCloseTo(0.8325, 3);
      expect(ev.metrics['mrr@10']).toBeCloseTo(0.9312, 3);
    } finally {
      model.dispose();
    }
  }, 120_000);
});
