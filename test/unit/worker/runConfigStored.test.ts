// A run keeps the page's run config it was launched from (Export writes it back after a
// reload), through its result updates, its end, and a resume that does not send it again.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { generateWorld } from '../../../src/core/data/world';
import { describeCorpus } from '../../../src/store/corpusStats';
import type { ExperimentConfig } from '../../../src/core/distill/experiment';
import { defaultRecipe } from '../../../src/core/distill/recipes';
import { InThreadEngine } from '../../../src/worker/engine';
import { createRunHandlers } from '../../../src/worker/trainHandlers';
import { freshStore } from '../store/helpers';
import { tinyExperiment } from './tinyExperiment';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function tinyConfig(): ExperimentConfig {
  return tinyExperiment({ seed: 5, layers: 1, hidden: 8, ffn: 16, studentHidden: 8, vocab: [200, 100], steps: 2, batchSize: 2, every: 1, recipes: [defaultRecipe('baseline')] });
}

describe('the run config a run was launched from', () => {
  it('is stored with the run and listed back, also after a resume that does not send it', async () => {
    const { store } = await freshStore();
    const corpus = generateWorld({ preset: 'easy', seed: 2, entities: 20, train: 16, dev: 4, test: 6 });
    const { stats, baseline } = describeCorpus(corpus);
    await store.writeCorpus({ id: 'w', name: 'tiny world', source: { kind: 'builtin' } as never, corpus, stats, baseline });
    const engine = new InThreadEngine(createRunHandlers(async () => store));
    const runConfig = { version: 1, name: 'my run', marker: 42 };
    await engine.call('train', { runId: 'r1', name: 'my run', corpusId: 'w', config: tinyConfig(), runConfig });
    let [listed] = await engine.call('listRuns', {});
    expect(listed.status).toBe('done');
    expect(listed.runConfig).toEqual(runConfig);
    await engine.call('train', { runId: 'r1', name: 'my run', corpusId: 'w', config: tinyConfig(), resume: true });
    [listed] = await engine.call('listRuns', {});
    expect(listed.runConfig).toEqual(runConfig);
    // A run launched without one (the demo) lists none.
    await engine.call('train', { runId: 'r2', name: 'demo', corpusId: 'w', config: tinyConfig() });
    const demo = (await engine.call('listRuns', {})).find((r) => r.id === 'r2');
    expect(demo && 'runConfig' in demo).toBe(false);
  }, 120_000);
});
