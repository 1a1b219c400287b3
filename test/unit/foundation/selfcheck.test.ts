// The start-up self-check must accept a correct backend and reject one whose gradients are
// wrong. The broken backend is the real cpu backend under another name with one kernel
// replaced: UnsortedSegmentSum, which only the backward pass (the embedding gradient) uses,
// returns values 10% too large. Its forward pass is therefore exact; only gradients differ.
// It must also reject a backend on which AdamW's step does nothing or the wrong thing (as
// WebGPU's did when AdamW's AddN had more inputs than WebGPU allows storage buffers).
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { selfCheckBackend, SELF_CHECK_RTOL, type SelfCheckOptimizerFactory } from '../../../src/core/backend/selfcheck';
import { chooseBackend, type CandidateReport } from '../../../src/core/backend/policy';
import { AdamW, globalNorm } from '../../../src/core/train/optimizer';

/** The cpu backend under another name, with `kernelName` replaced by `kernelFunc` (or left out). */
function registerCpuVariant(name: string, kernelName: string, kernelFunc?: tf.KernelFunc): void {
  tf.registerBackend(name, () => new MathBackendCPU(), 0);
  for (const k of tf.getKernelsForBackend('cpu')) {
    if (k.kernelName !== kernelName) tf.registerKernel({ ...k, backendName: name });
  }
  if (kernelFunc) tf.registerKernel({ kernelName, backendName: name, kernelFunc });
}

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
    registerCpuVariant('cpu-no-segment-sum', 'UnsortedSegmentSum');
    const r = await selfCheckBackend('cpu-no-segment-sum');
    expect(r.passed).toBe(false);
    expect(r.reason).toMatch(/UnsortedSegmentSum/);
  });

  it('rejects a backend whose optimiser step does nothing, naming the weight it left unmoved', async () => {
    // Loss and gradients are right; the step computes the gradient norm and changes no weight.
    const noop: SelfCheckOptimizerFactory = (vars) => ({
      step: (grads) => globalNorm(vars.map((v) => grads[v.variable.name])),
      dispose: () => {},
    });
    const r = await selfCheckBackend('cpu', { optimizer: noop });
    expect(r.loss).toBe(r.referenceLoss);
    expect(r.passed).toBe(false);
    expect(r.worst).toBe('update of emb in AdamW step 1');
    expect(r.reason).toMatch(/^AdamW step 1 did not move emb on the cpu backend \(largest change 0\.00e\+0, learning rate 0\.01\): the optimiser does nothing$/);
  });

  it('rejects an AdamW without the training config: no weight decay, decay on LayerNorm, or no clipping', async () => {
    const variants: [string, SelfCheckOptimizerFactory][] = [
      ['no decay', (v, o) => new AdamW(v, { ...o, weightDecay: 0 })],
      ['decay everywhere', (v, o) => new AdamW(v.map((x) => ({ ...x, decay: true })), o)],
      ['no clipping', (v, o) => new AdamW(v, { ...o, clipNorm: null })],
    ];
    for (const [what, optimizer] of variants) {
      const r = await selfCheckBackend('cpu', { optimizer });
      expect(r.passed, what).toBe(false);
      expect(r.worst, what).toMatch(/^update of \w+ in AdamW step [12]$/);
      expect(r.reason, what).toMatch(/differs from the cpu backend by .* over the tolerance/);
      if (what === 'decay everywhere') expect(r.worst).toMatch(/update of (ln_g|ln_b|b1|b2) /);
    }
  });

  it('rejects a backend whose AddN (only the optimiser uses it) returns zeros, as an invalid WebGPU pipeline did', async () => {
    registerCpuVariant('cpu-zero-addn', 'AddN', ({ inputs, backend }) => {
      const x = Object.values(inputs)[0] as tf.TensorInfo;
      return (backend as MathBackendCPU).makeTensorInfo(x.shape, x.dtype, new Float32Array(tf.util.sizeFromShape(x.shape)));
    });
    const r = await selfCheckBackend('cpu-zero-addn');
    expect(r.loss).toBe(r.referenceLoss); // forward and backward are right...
    expect(r.passed).toBe(false);
    expect(r.worst).toBe('global gradient norm in AdamW step 1'); // ...the optimiser's norm is not
    expect(tf.getBackend()).toBe('cpu');
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
    expect(choice.reasons.join('\n')).toMatch(/webgl was forced \(\?backend=webgl or --backend webgl\) but cannot be used/);
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
