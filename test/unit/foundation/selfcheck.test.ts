// The start-up self-check must accept a correct backend and reject one whose gradients are
// wrong. The broken backend is the real cpu backend under another name with one kernel
// replaced: UnsortedSegmentSum, which only the backward pass (the embedding gradient) uses,
// returns values 10% too large. Its forward pass is therefore exact; only gradients differ.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { selfCheckBackend, SELF_CHECK_RTOL } from '../../../src/core/backend/selfcheck';
import { chooseBackend, type CandidateReport } from '../../../src/core/backend/policy';

beforeAll(async () => {
  await tf.setBackend('cpu');
  tf.registerBackend('cpu-broken-grad', () => new MathBackendCPU(), 0);
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (k.kernelName === 'UnsortedSegmentSum') continue;
    tf.registerKernel({ ...k, backendName: 'cpu-broken-grad' });
  }
  const good = tf.getKernel('UnsortedSegmentSum', 'cpu')!;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'cpu-broken-grad',
    kernelFunc: (args) => {
      const out = good.kernelFunc(args) as tf.TensorInfo;
      const backend = args.backend as MathBackendCPU;
      const vals = backend.readSync(out.dataId) as Float32Array;
      const wrong = vals.map((v) => v * 1.1);
      backend.disposeData(out.dataId);
      return backend.makeTensorInfo(out.shape, out.dtype, wrong);
    },
  });
});

describe('backend self-check', () => {
  it('accepts the cpu backend against itself, with a trial time', async () => {
    const r = await selfCheckBackend('cpu', { trial: true });
    expect(r.passed).toBe(true);
    expect(r.maxRelError).toBeLessThanOrEqual(SELF_CHECK_RTOL);
    expect(r.trialMs).toBeGreaterThan(0);
    expect(Number.isFinite(r.loss)).toBe(true);
  });

  it('rejects a backend whose gradients are deliberately wrong, naming the gradient', async () => {
    const r = await selfCheckBackend('cpu-broken-grad');
    expect(r.passed).toBe(false);
    expect(r.loss).toBeCloseTo(r.referenceLoss, 5); // forward is right...
    expect(r.worst).toBe('gradient of emb'); // ...the embedding gradient is not
    expect(r.reason).toMatch(/gradient of emb differs from the cpu backend by .* over the tolerance/);
    expect(tf.getBackend()).toBe('cpu'); // switched back
  });

  it('reports a missing kernel as a failure with its reason, never a crash', async () => {
    tf.registerBackend('cpu-no-segment-sum', () => new MathBackendCPU(), 0);
    for (const k of tf.getKernelsForBackend('cpu')) {
      if (k.kernelName !== 'UnsortedSegmentSum') tf.registerKernel({ ...k, backendName: 'cpu-no-segment-sum' });
    }
    const r = await selfCheckBackend('cpu-no-segment-sum');
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/UnsortedSegmentSum/);
  });

  it('the policy never chooses a backend that failed, and says why', async () => {
    const broken = await selfCheckBackend('cpu-broken-grad');
    const cpu = await selfCheckBackend('cpu');
    const cands: CandidateReport[] = [
      { name: 'webgpu', available: false, unavailableReason: 'no adapter' },
      { name: 'webgl', available: true, selfCheck: { ...broken, backend: 'webgl', trialMs: 1 } },
      { name: 'cpu', available: true, selfCheck: { ...cpu, trialMs: 100 } },
    ];
    const choice = chooseBackend(cands, null, 'webgl');
    expect(choice.chosen).toBe('cpu');
    expect(choice.reasons.join('\n')).toMatch(/webgl failed the self-check: gradient of emb/);
    expect(choice.reasons.join('\n')).toMatch(/webgl was forced by the URL but cannot be used/);
  });

  it('on a hardware adapter WebGPU wins without trials; on a software one the fastest passing backend wins', () => {
    const pass = (name: 'webgpu' | 'webgl' | 'cpu', trialMs: number): CandidateReport => ({
      name,
      available: true,
      selfCheck: { backend: name, passed: true, loss: 1, referenceLoss: 1, maxRelError: 0, worst: 'loss', tolerance: { rtol: 1e-3, atol: 1e-5 }, trialMs },
    });
    const hw = { vendor: 'nvidia', architecture: 'hopper', device: '', description: '', isFallbackAdapter: false };
    expect(chooseBackend([pass('webgpu', NaN)], hw, null).chosen).toBe('webgpu');
    const sw = { ...hw, vendor: 'google', architecture: 'swiftshader' };
    const c = chooseBackend([pass('webgpu', 900), pass('webgl', 300), pass('cpu', 5000)], sw, null);
    expect(c.chosen).toBe('webgl');
    expect(c.reasons.join('\n')).toMatch(/is a software one/);
  });
});

describe('wasm training kernels', () => {
  it('with the lab kernel registered, the wasm backend passes the self-check (embedding gradient included)', async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    const { registerWasmTrainingKernels } = await import('../../../src/core/backend/wasmKernels');
    registerWasmTrainingKernels();
    const r = await selfCheckBackend('wasm');
    expect(r.reason).toBeUndefined();
    expect(r.passed).toBe(true);
    await tf.setBackend('cpu');
  });
});
