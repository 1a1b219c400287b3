// The teachers shipped in public/teachers/ (the page's demo and the Models tab's library use
// them) are re-evaluated here from their files, and must score what the catalogue
// (src/core/model/shipped.ts) states, which is what README.md and the Models tab show: each on
// its world's test split, nDCG@10 and MRR@10 to 4 decimals, with the architecture, vocabulary
// and parameter count the catalogue gives. Every folder in public/teachers/ is in the
// catalogue, and every catalogue entry has its folder. Runs on the wasm backend, as the CLI did.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../../src/core/backend/wasmKernels';
import { loadCorpus } from '../../../src/cli/corpus';
import { importHuggingFace } from '../../../src/core/model/hf';
import { SHIPPED_TEACHERS } from '../../../src/core/model/shipped';
import { evaluateModel } from '../../../src/core/retrieval/evaluate';
import { evaluateRankings, judgedQueries, metricSet } from '../../../src/core/retrieval/search';
import { Bm25Index } from '../../../src/core/text/bm25';

const ROOT = path.resolve(__dirname, '../../../public/teachers');

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});

describe('the shipped teachers', () => {
  it('every folder in public/teachers is in the catalogue, and every entry has its three files', () => {
    expect(readdirSync(ROOT).sort()).toEqual(SHIPPED_TEACHERS.map((t) => t.name).sort());
    for (const t of SHIPPED_TEACHERS) expect(readdirSync(path.join(ROOT, t.name)).sort()).toEqual(['config.json', 'model.safetensors', 'vocab.txt']);
  });

  for (const t of SHIPPED_TEACHERS) {
    it(`${t.name} scores on ${t.corpus} what the catalogue (and the README) states`, async () => {
      const dir = path.join(ROOT, t.name);
      const model = importHuggingFace({
        configJson: readFileSync(path.join(dir, 'config.json'), 'utf8'),
        vocabTxt: readFileSync(path.join(dir, 'vocab.txt'), 'utf8'),
        safetensors: readFileSync(path.join(dir, 'model.safetensors')),
      });
      try {
        const c = model.config;
        expect({ kind: c.kind, layers: c.layers, hidden: c.hidden, heads: c.heads, ffn: c.ffn, maxQueryLen: c.maxQueryLen, maxPassageLen: c.maxPassageLen, maxPositions: c.maxPositions }).toEqual(t.model);
        expect([c.pooling, c.similarity, c.vocabSize, model.tokenizer.kind, model.numParameters]).toEqual(['mean', 'cosine', t.tokenizer.vocabSize, t.tokenizer.kind, t.params]);
        // The corpus as the command line loads it (a folder's path is from the project root).
        const world = (await loadCorpus(t.corpus.replace(/^(beir|msmarco|csv):/, `$1:${path.resolve(__dirname, '../../..')}/`))).corpus;
        const ev = await evaluateModel(model, world, 'test');
        expect(ev.metrics['ndcg@10']).toBeCloseTo(t.test['ndcg@10'], 4);
        expect(ev.metrics['mrr@10']).toBeCloseTo(t.test['mrr@10'], 4);
        const qrels = world.qrels.test ?? [];
        const queries = judgedQueries(world, qrels);
        const hits = Bm25Index.build(world.docs).searchBatch(queries.map((q) => q.text), 100);
        const bm25 = evaluateRankings(world, new Map(queries.map((q, i) => [q.id, hits[i].map((h) => h.docIndex)])), qrels);
        expect(metricSet(bm25)['ndcg@10']).toBeCloseTo(t.bm25['ndcg@10'], 4);
      } finally {
        model.dispose();
      }
    }, 180_000);
  }
});
