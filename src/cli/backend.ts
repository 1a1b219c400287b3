// tfjs in Node for the command line: the wasm backend (XNNPACK, with the lab's
// embedding-gradient kernel) when it passes the self-check, else the cpu backend.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../core/backend/wasmKernels';
import { InThreadEngine } from '../worker/engine';
import { createHandlers } from '../worker/handlers';
import type { EngineInfo } from '../worker/protocol';
import { isBackendName } from '../core/backend/policy';

export async function setupNodeBackend(forced?: string): Promise<EngineInfo> {
  registerWasmTrainingKernels();
  tf.env().set('PROD', true); // silences tfjs's "install tfjs-node" banner and debug checks
  const engine = new InThreadEngine(
    createHandlers({
      host: 'node',
      crossOriginIsolated: false,
      probeAdapter: async () => ({ adapter: null, reason: 'no WebGPU in Node (run `npm run bench` in the browser for WebGPU)' }),
    }),
  );
  try {
    return await engine.call('init', { forceBackend: isBackendName(forced) ? forced : null });
  } finally {
    engine.dispose();
  }
}
