/// <reference lib="webworker" />
// The training worker: loads tfjs with every backend, serves the engine's handlers.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { AdapterDescription } from '../core/backend/policy';
import { registerWasmTrainingKernels } from '../core/backend/wasmKernels';
import { Dispatcher } from './engine';
import { createHandlers, type Platform } from './handlers';
import { createModelHandlers } from './modelHandlers';
import { createRunHandlers } from './trainHandlers';
import type { FromWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

// The wasm binaries are served by the app itself (no CDN): nothing leaves the origin.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});
// tfjs's wasm backend lacks the embedding gradient's kernel; the lab supplies it.
registerWasmTrainingKernels();
// Failed backend initialisations are reported on screen with their reason; tfjs's own
// console noise about them would only duplicate that.
tf.env().set('PROD', true);

const platform: Platform = {
  host: 'worker',
  crossOriginIsolated: self.crossOriginIsolated,
  async probeAdapter() {
    const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) return { adapter: null, reason: 'this browser exposes no WebGPU (navigator.gpu is missing)' };
    let adapter: GPUAdapter | null = null;
    try {
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    } catch (e) {
      return { adapter: null, reason: `requestAdapter failed: ${(e as Error).message}` };
    }
    if (!adapter) return { adapter: null, reason: 'WebGPU is present but no adapter was granted (blocklisted or disabled GPU)' };
    const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
    const desc: AdapterDescription = {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
      isFallbackAdapter:
        Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter) ||
        Boolean((adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter),
    };
    return { adapter: desc };
  },
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
