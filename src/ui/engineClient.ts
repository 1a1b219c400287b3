// The page's single connection to the training worker.
import { WorkerEngine } from '../worker/engine';
import { isBackendName, type BackendName } from '../core/backend/policy';

let engine: WorkerEngine | null = null;

export function getEngine(): WorkerEngine {
  if (!engine) {
    const worker = new Worker(new URL('../worker/training.worker.ts', import.meta.url), { type: 'module', name: 'training' });
    engine = new WorkerEngine(worker);
  }
  return engine;
}

/** `?backend=webgpu|webgl|wasm|cpu` forces a backend (tests use it for the WebGPU path). */
export function forcedBackendFromUrl(search = window.location.search): BackendName | null {
  const v = new URLSearchParams(search).get('backend');
  return isBackendName(v) ? v : null;
}
