// The training worker's run methods through the in-thread engine (messages structured-cloned
// as across a worker), on the real store logic over fake-indexeddb (Node has no IndexedDB):
// a run is paused mid-way by cancel, then resumed from its checkpoints, and ends with the
// same results an uninterrupted run gets.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { registerWasmTrainingKernels } from '../../../src/core/backend/wasmKernels';
import { generateWorld } from '../../../src/core/data/world';
import { describeCorpus } from '../../../src/store/corpusStats';
import type { ExperimentConfig } from '../../../src/core/distill/experiment';
import { defaultRecipe } from '../../../src/core/distill/recipes';
import { CancelledError } from '../../../src/core/errors';
import { InThreadEngine } from '../../../src/worker/engine';
import { createRunHandlers } from '../../../src/worker/trainHandlers';
import type { TrainProgress } from '../../../src/worker/protocol';
import { freshStore } from '../store/helpers';
import { tinyExperiment } from './tinyExperiment';

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});

function tinyConfig(): ExperimentConfig {
  return tinyExperiment({ seed: 5, layers: 2, hidden: 16, ffn: 32, studentHidden: 8, vocab: [300, 200], steps: 6, batchSize: 4, every: 2, recipes: [defaultRecipe('baseline'), defaultRecipe('lead')] });
}

async function setup() {
  const { store } = await freshStore();
  const corpus = generateWorld({ preset: 'easy', seed: 2, entities: 40, train: 40, dev: 8, test: 12 });
  const { stats, baseline } = describeCorpus(corpus);
  await store.writeCorpus({ id: 'w', name: 'tiny world', source: { kind: 'builtin' } as never, corpus, stats, baseline });
  const engine = new InThreadEngine(createRunHandlers(async () => store));
  return { store, engine };
}

describe('training runs in the worker protocol', () => {
  it('trains, pauses on cancel, resumes from checkpoints and matches an uninterrupted run', async () => {
    const config = tinyConfig();
    const a = await setup();
    const straight = await a.engine.call('train', { runId: 'r1', name: 'straight', corpusId: 'w', config });
    expect(straight.results.map((r) => r.recipe)).toEqual(['bm25', 'teacher:DE teacher', 'baseline', 'lead']);

    const b = await setup();
    const controller = new AbortController();
    const seen: TrainProgress[] = [];
    const first = b.engine.call('train', { runId: 'r2', name: 'interrupted', corpusId: 'w', config }, {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p);
        // Stop in the middle of the LEAD phase, after its first checkpoint.
        if (p.type === 'checkpoint' && p.phase === 'lead') controller.abort();
      },
    });
    await expect(first).rejects.toBeInstanceOf(CancelledError);
    const runs = await b.engine.call('listRuns', {});
    expect(runs[0]).toMatchObject({ id: 'r2', status: 'paused' });
    expect(runs[0].results.map((r) => r.recipe)).toEqual(['bm25', 'teacher:DE teacher', 'baseline']);
    const stored = await b.engine.call('runEvents', { runId: 'r2' });
    expect(stored.filter((e) => e.type === 'step').length).toBe(seen.filter((e) => e.type === 'step').length);

    const resumed = await b.engine.call('train', { runId: 'r2', name: 'interrupted', corpusId: 'w', config, resume: true });
    const metrics = (rs: typeof straight.results) => rs.map((r) => [r.recipe, r.metrics['ndcg@10'], r.metrics['mrr@10']]);
    expect(metrics(resumed.results)).toEqual(metrics(straight.results));
    expect((await b.engine.call('listRuns', {}))[0].status).toBe('done');
    // The series continues where it stopped: the resumed LEAD phase starts after the checkpoint step.
    const all = await b.engine.call('runEvents', { runId: 'r2' });
    const leadSteps = all.filter((e): e is Extract<TrainProgress, { type: 'step' }> => e.type === 'step' && e.phase === 'lead').map((e) => e.step);
    expect(leadSteps).toEqual([2, 4, 6]);
    a.engine.dispose();
    b.engine.dispose();
  });
});

describe('rewindResumed', () => {
  it('drops the steps a resumed phase re-ran, keeping the continued timeline', async () => {
    const { rewindResumed } = await import('../../../src/worker/trainHandlers');
    const step = (phase: string, s: number) => ({ type: 'step', phase, step: s, totalSteps: 30, lr: 0, losses: { total: s }, trainAcc: {} }) as TrainProgress;
    const events = [step('t', 5), step('t', 10), { type: 'checkpoint', phase: 't', step: 10 } as TrainProgress, step('t', 15), step('t', 15), step('t', 20)];
    const out = rewindResumed(events).filter((e) => e.type === 'step').map((e) => (e as { step: number }).step);
    expect(out).toEqual([5, 10, 15, 20]);
  });

  it('keeps the health events of a divergence the trainer went back from', async () => {
    const { rewindResumed } = await import('../../../src/worker/trainHandlers');
    const step = (s: number) => ({ type: 'step', phase: 't', step: s, totalSteps: 30, lr: 0, losses: { total: s }, trainAcc: {} }) as TrainProgress;
    const health = (kind: 'divergence' | 'recovery') => ({ type: 'health', phase: 't', step: 12, kind, title: '', explanation: '', numbers: {} }) as TrainProgress;
    // Logged every step; step 12 diverged, the trainer restored the state after step 10 and re-ran 11.
    const out = rewindResumed([step(10), step(11), health('divergence'), health('recovery'), step(11), step(12)]);
    expect(out.map((e) => (e.type === 'health' ? e.kind : (e as { step: number }).step))).toEqual([10, 'divergence', 'recovery', 11, 12]);
  });
});
