/// <reference lib="webworker" />
// What every worker that runs tfjs in the browser sets up (the training worker and the
// benchmark's): the wasm binaries served by the app itself (no CDN: nothing leaves the
// origin), the lab's wasm kernels, tfjs's PROD flag; and the WebGPU adapter probe.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { AdapterDescription } from '../core/backend/policy';
import { registerWasmTrainingKernels } from '../core/backend/wasmKernels';

/** Loads tfjs's backends for a worker: call once, at the worker's start. */
export function setupWorkerTfjs(): void {
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmPlain,
    'tfjs-backend-wasm-simd.wasm': wasmSimd,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
  });
  // tfjs's wasm backend lacks the embedding gradient's kernel and runs most products slowly;
  // the lab supplies and replaces them (src/core/backend/wasmKernels.ts).
  registerWasmTrainingKernels();
  // Failed backend initialisations are reported on screen with their reason; tfjs's own
  // console noise about them would only duplicate that.
  tf.env().set('PROD', true);
}

/** The WebGPU adapter this worker would get, described, or why there is none. */
export async function probeWorkerAdapter(nav: WorkerNavigator): Promise<{ adapter: AdapterDescription | null; reason?: string }> {
  const gpu = (nav as WorkerNavigator & { gpu?: GPU }).gpu;
  if (!gpu) return { adapter: null, reason: 'this browser exposes no WebGPU (navigator.gpu is missing)' };
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { adapter: null, reason: `requestAdapter failed: ${(e as Error).message}` };
  }
  if (!adapter) return { adapter: null, reason: 'WebGPU is present but no adapter was granted (blocklisted or disabled GPU)' };
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  return {
    adapter: {
      vendor: info?.vendor ?? '',
      architecture: info?.architecture ?? '',
      device: info?.device ?? '',
      description: info?.description ?? '',
      isFallbackAdapter:
        Boolean((info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined)?.isFallbackAdapter) ||
        Boolean((adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter),
    },
  };
}
