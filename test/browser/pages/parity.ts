// Test page: the lab side of parity runs (src/cli/parityLab.ts: tiny models, the real
// PhaseTrainer) on a browser backend (WebGPU in the test, the lab's fused WGSL kernels). The
// dump files go back to the test in Node, which runs the PyTorch twin and compares.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-webgpu';
import { labParityFiles, type ParityKind, type ParityRecipe } from '../../../src/cli/parityLab';

/** Binary files as base64 (page.evaluate returns JSON). */
function encode(files: Record<string, string | Uint8Array>): Record<string, { text?: string; base64?: string }> {
  const out: Record<string, { text?: string; base64?: string }> = {};
  for (const [name, c] of Object.entries(files)) {
    if (typeof c === 'string') out[name] = { text: c };
    else {
      let s = '';
      for (let i = 0; i < c.length; i += 0x8000) s += String.fromCharCode(...c.subarray(i, i + 0x8000));
      out[name] = { base64: btoa(s) };
    }
  }
  return out;
}

async function runParityLab(backend: string, runs: { recipe: ParityRecipe; kind: ParityKind }[], opts: { steps: number; batchSize?: number; negatives?: number }) {
  await tf.setBackend(backend);
  await tf.ready();
  const out = [];
  for (const r of runs) {
    const t0 = performance.now();
    const files = await labParityFiles({ ...r, ...opts });
    out.push({ ...r, seconds: (performance.now() - t0) / 1000, files: encode(files) });
  }
  return { backend: tf.getBackend(), runs: out };
}

Object.assign(window, { runParityLab, parityReady: true });
