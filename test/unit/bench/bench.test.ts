// `npm run bench`'s workloads: the analytic FLOP counts of benchmark.md against a hand
// computation, and the small lead-de and encode workloads run for real (wasm, as the command
// line does in Node: 1 warm-up + 2 measured steps) with every JSON field filled and no leak.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../../src/core/backend/wasmKernels';
import {
  attachRatios,
  benchShape,
  formatTable,
  parseTorchOutput,
  runCell,
  workloadFlops,
  workloadTokens,
  type BenchRow,
} from '../../../src/core/bench';

/** `rate` per second is `count` per `ms`, where `ms` was rounded to 2 decimals after the rate was taken. */
function expectRateOf(rate: number, count: number, ms: number): void {
  expect(rate).toBeGreaterThanOrEqual(Math.floor((count / (ms + 0.005)) * 1000));
  expect(rate).toBeLessThanOrEqual(Math.ceil((count / Math.max(ms - 0.005, 1e-9)) * 1000));
}

/** benchmark.md: forward over T tokens of sequences of Tseq: L (T (8 H^2 + 4 H F) + 4 Tseq T H). */
const fwd = (L: number, H: number, F: number, T: number, Tseq: number) => L * (T * (8 * H * H + 4 * H * F) + 4 * Tseq * T * H);

describe('analytic FLOPs and tokens (benchmark.md)', () => {
  it('lead-de full: both models updated, x3 forward = 25,146,949,632 (PyTorch anchor: 1,059 ms -> 23.7 GFLOP/s)', () => {
    // Student (2/64/256): queries 2 (256 * 98,304 + 4 * 16 * 256 * 64) = 52,428,800,
    // passages 2 (4096 * 98,304 + 4 * 64 * 4096 * 64) = 939,524,096; teacher (4/128/512):
    // 411,041,792 + 6,979,321,856; sum 8,382,316,544, times 3.
    expect(workloadFlops('lead-de', 'full')).toBe(25_146_949_632);
    expect(workloadFlops('lead-de', 'full')).toBe(
      3 * (fwd(2, 64, 256, 16 * 16, 16) + fwd(2, 64, 256, 64 * 64, 64) + fwd(4, 128, 512, 16 * 16, 16) + fwd(4, 128, 512, 64 * 64, 64)),
    );
    expect((workloadFlops('lead-de', 'full') / 1059 / 1e6).toFixed(1)).toBe('23.7');
    expect(workloadTokens('lead-de', 'full')).toBe(16 * 16 + 64 * 64);
  });

  it('lead-de small (B=8, G=2, Lp=32) = 3,538,944,000', () => {
    expect(workloadFlops('lead-de', 'small')).toBe(3_538_944_000);
    expect(workloadTokens('lead-de', 'small')).toBe(8 * 16 + 16 * 32);
  });

  it('prod-ce full: frozen CE teacher (64 pairs of 80) and frozen copy x1, student x3 = 12,859,736,064', () => {
    const student = fwd(2, 64, 256, 256, 16) + fwd(2, 64, 256, 4096, 64); // 991,952,896
    expect(student).toBe(991_952_896);
    expect(fwd(4, 128, 512, 64 * 80, 80)).toBe(8_891_924_480);
    expect(workloadFlops('prod-ce', 'full')).toBe(8_891_924_480 + student + 3 * student);
    expect(workloadFlops('prod-ce', 'full')).toBe(12_859_736_064);
  });

  it('encode full: 512 passages of 64 forward + the 300 x 10,000 x 64 score matrix = 7,900,192,768', () => {
    expect(workloadFlops('encode', 'full')).toBe(7_516_192_768 + 2 * 300 * 10_000 * 64);
    expect(workloadTokens('encode', 'full')).toBe(512 * 64);
    expect(workloadTokens('encode', 'small')).toBe(512 * 32);
  });

  it('the shapes of both scales', () => {
    expect(benchShape('full')).toMatchObject({ B: 16, G: 4, P: 64, Lq: 16, Lp: 64, vocab: 8000, pairLen: 80 });
    expect(benchShape('small')).toMatchObject({ B: 8, G: 2, P: 16, Lq: 16, Lp: 32, vocab: 2000, pairLen: 80 });
  });
});

describe('the PyTorch anchor output and the report', () => {
  it('parses torch_lead.py lines (prod-ce has no scale field), recomputes the rates, sets ratios', () => {
    const out = [
      'some warning',
      '{"workload": "lead-de", "scale": "small", "impl": "pytorch-1.13.0a0-cpu", "threads": 1, "ms_per_step": 160.0, "tokens_per_s": 4000, "gflops_per_s": 22.1}',
      '{"workload": "prod-ce", "impl": "pytorch-1.13.0a0-cpu", "threads": 1, "ms_per_step": 100.0, "gflops_per_s": 11.58}',
    ].join('\n');
    const torch = parseTorchOutput(out, 'small', 'Python 3.11');
    expect(torch.map((r) => [r.workload, r.scale, r.backend, r.ms_per_step])).toEqual([
      ['lead-de', 'small', 'pytorch-cpu', 160],
      ['prod-ce', 'small', 'pytorch-cpu', 100],
    ]);
    expect(torch[0].gflops_per_s).toBeCloseTo(3_538_944_000 / 160 / 1e6, 2);
    const mine = { ...torch[0], backend: 'wasm', host: 'node', ms_per_step: 400 } as BenchRow;
    attachRatios([...torch, mine]);
    expect(mine.vs_pytorch).toBe(2.5);
    expect(formatTable([...torch, mine])).toMatch(/2\.50x/);
  });
});

describe('small workloads on wasm: 1 warm-up + 2 steps', () => {
  let previous = '';
  beforeAll(async () => {
    previous = tf.getBackend();
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
    expect(await tf.setBackend('wasm')).toBe(true);
    await tf.ready();
  });
  afterAll(async () => {
    if (previous) await tf.setBackend(previous);
  });

  for (const w of ['lead-de', 'encode'] as const) {
    it(`${w}: every field, a kernel count, no tensor leaked by the steps`, async () => {
      const lines: string[] = [];
      const row = await runCell(w, 'small', { steps: 2, warmup: 1, maxMs: Infinity }, {
        backend: 'wasm', chosen: true, adapter: 'test CPU', runtime: `node ${process.version}`, host: 'node', log: (l) => lines.push(l),
      });
      expect(row.error).toBeUndefined();
      expect(row).toMatchObject({ workload: w, scale: 'small', backend: 'wasm', chosen: true, steps_measured: 2, warmup_steps: 1, time_capped: false });
      expect(row.tokens_per_step).toBe(workloadTokens(w, 'small'));
      expect(row.flops_per_step).toBe(workloadFlops(w, 'small'));
      expect(row.ms_per_step).toBeGreaterThan(0);
      expect(row.ms_min!).toBeLessThanOrEqual(row.ms_per_step!);
      expect(row.ms_max!).toBeGreaterThanOrEqual(row.ms_per_step!);
      // Rates come from the unrounded median; the reported ms are rounded to 0.01, so a rate
      // recomputed from them may differ by the rounding's effect (and one for Math.round).
      expectRateOf(row.tokens_per_s!, row.tokens_per_step, row.ms_per_step!);
      expect(row.gflops_per_s!).toBeCloseTo(row.flops_per_step / row.ms_per_step! / 1e6, 1);
      // lead-de on wasm runs the fused kernels (src/core/kernels/wasm.ts): 911 a step, 5,327 without.
      expect(row.kernels_per_step).toBeGreaterThan(w === 'encode' ? 100 : 500);
      if (w === 'lead-de') expect(row.kernels_per_step).toBeLessThanOrEqual(1000);
      expect(row.peak_bytes).toBeGreaterThan(0);
      expect(row.num_tensors_before).toBeGreaterThan(0);
      expect(row.num_tensors_after).toBe(row.num_tensors_before);
      expect(row.tfjs_version).toBe(tf.version.tfjs);
      // wasm is no GPU backend: no GPU bytes.
      expect(row.gpu_bytes).toBeNull();
      expect(row.gpu_bytes_allocated).toBeNull();
      if (w === 'encode') {
        // Its two phases, timed apart: encoding 512 passages, searching 300 queries.
        expect(row.encode_ms).toBeGreaterThan(0);
        expect(row.search_ms).toBeGreaterThan(0);
        expect(row.encode_ms! + row.search_ms!).toBeLessThanOrEqual(row.ms_max! * 1.05);
        expectRateOf(row.passages_per_s!, 512, row.encode_ms!);
        expectRateOf(row.queries_per_s!, 300, row.search_ms!);
        expect(formatTable([row])).toContain(row.passages_per_s!.toLocaleString('en-US'));
      } else {
        expect([row.encode_ms, row.search_ms, row.passages_per_s, row.queries_per_s]).toEqual([null, null, null, null]);
      }
      expect(lines.join('\n')).toMatch(/ms\/step/);
      // The JSON file carries exactly these fields.
      const json = JSON.parse(JSON.stringify(row)) as Record<string, unknown>;
      for (const k of ['workload', 'scale', 'backend', 'chosen', 'ms_per_step', 'tokens_per_s', 'gflops_per_s', 'kernels_per_step',
        'peak_bytes', 'num_tensors_before', 'num_tensors_after', 'adapter', 'runtime', 'gpu_bytes', 'gpu_bytes_allocated',
        'passages_per_s', 'queries_per_s']) {
        expect(json[k], k).not.toBeUndefined();
      }
    });
  }
});
