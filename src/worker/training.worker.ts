/// <reference lib="webworker" />
// The training worker: loads tfjs with every backend, serves the engine's handlers.
import { probeWorkerAdapter, setupWorkerTfjs } from './browserBackend';
import { Dispatcher } from './engine';
import { createHandlers, type Platform } from './handlers';
import { createModelHandlers } from './modelHandlers';
import { createRunHandlers } from './trainHandlers';
import type { FromWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

setupWorkerTfjs();

const platform: Platform = {
  host: 'worker',
  crossOriginIsolated: self.crossOriginIsolated,
  probeAdapter: () => probeWorkerAdapter(self.navigator),
};

const base = createHandlers(platform);
const runs = createRunHandlers();
const models = createModelHandlers();
// Training must not start while the backend is being chosen: the self-checks switch tfjs's
// backend back and forth. For the same reason init calls never overlap (React's StrictMode
// mounts the backend panel twice, so two arrive at once; interleaved, one's self-check ran
// while the other had switched to the CPU reference, failed, and left the worker on another
// backend than the page showed): each waits for the one before. Runs, imports, exports and
// evaluations wait for every init asked for so far (whatever its outcome).
let initChain: Promise<unknown> = Promise.resolve();
let initDone: Promise<unknown> | null = null;
const backendReady = (signal: AbortSignal) =>
  initDone ?? (initDone = base.init({ forceBackend: null }, { signal, progress: () => {} }).catch(() => undefined));
const dispatcher = new Dispatcher(
  {
    ...base,
    ...runs,
    init: (params, ctx) => {
      const p = initChain.then(() => base.init(params, ctx));
      initChain = p.catch(() => undefined);
      initDone = initChain;
      return p;
    },
    ...models,
    train: async (params, ctx) => {
      await backendReady(ctx.signal);
      return runs.train(params, ctx);
    },
    // Models are built and run on the chosen backend: wait for it as training does.
    importModel: async (params, ctx) => {
      await backendReady(ctx.signal);
      return models.importModel(params, ctx);
    },
    importHubModel: async (params, ctx) => {
      await backendReady(ctx.signal);
      return models.importHubModel(params, ctx);
    },
    exportModel: async (params, ctx) => {
      await backendReady(ctx.signal);
      return models.exportModel(params, ctx);
    },
    evaluateModel: async (params, ctx) => {
      await backendReady(ctx.signal);
      return models.evaluateModel(params, ctx);
    },
  },
  (msg: FromWorker, transfer) =>
  self.postMessage(msg, transfer),
);
self.addEventListener('message', (e) => void dispatcher.receive(e.data));
self.postMessage({ type: 'ready' } satisfies FromWorker);
