// Times one workload on the current tfjs backend: one step under tf.profile (kernel count,
// peak bytes; it is also the first warm-up step), the other warm-up steps, then the measured
// steps; ms_per_step is their median. A time cap per cell bounds slow backends (software
// WebGPU): warm-up stops after a third of it, measuring after all of it, each after at least
// one step, and the row records how many steps were measured.
import * as tf from '@tensorflow/tfjs';
import { createWorkload, type WorkloadOptions } from './workloads';
import type { BenchScale, WorkloadName } from './shapes';

/** One result: benchmark.md's fields (snake_case, as the JSON file), plus how it was measured. */
export interface BenchRow {
  workload: WorkloadName;
  scale: BenchScale;
  backend: string;
  /** The backend the lab picks by itself in this environment (Node or this browser). */
  chosen: boolean;
  /** Median over the measured steps; null when the cell failed. */
  ms_per_step: number | null;
  ms_min: number | null;
  ms_max: number | null;
  steps_measured: number;
  warmup_steps: number;
  /** True when the time cap stopped warm-up or measuring before the asked-for counts. */
  time_capped: boolean;
  tokens_per_step: number;
  tokens_per_s: number | null;
  /** Analytic FLOPs of one step (benchmark.md) and the rate they imply. */
  flops_per_step: number;
  gflops_per_s: number | null;
  /** Kernels one step launches, counted with tf.profile. */
  kernels_per_step: number | null;
  /**
   * tf.profile's peakBytes over that step, less the bytes live before the workload was built:
   * the workload's own peak (weights, optimiser moments, inputs, activations and gradients).
   */
  peak_bytes: number | null;
  /**
   * GPU backends (webgpu, webgl): tf.memory().numBytesInGPU after the last step, less before the
   * workload was built: what the workload keeps on the GPU between steps (weights, optimiser
   * moments, inputs). null on cpu and wasm.
   */
  gpu_bytes: number | null;
  /**
   * GPU backends: all GPU memory the backend holds after the cell, free buffers kept for reuse
   * included (webgpu numBytesAllocatedInGPU, webgl numBytesInGPUAllocated). The pool only
   * grows within a session, so this is the high-water mark of the cells run so far.
   */
  gpu_bytes_allocated: number | null;
  /**
   * encode only: medians of its two phases, each ended by a readback (one value of the index,
   * then the top-k indices), and the rates they give: passages encoded per second (the
   * evaluation's corpus encoding) and queries searched per second (exact top-k over the index).
   */
  encode_ms: number | null;
  search_ms: number | null;
  passages_per_s: number | null;
  queries_per_s: number | null;
  /** tf.memory().numTensors after building the workload and after the last step: equal = no leak. */
  num_tensors_before: number | null;
  num_tensors_after: number | null;
  /** Tensors still alive once the workload is disposed, beyond those before it was built (0 = clean). */
  tensors_left_after_dispose: number | null;
  /** The device behind the backend (WebGPU adapter, WebGL renderer, CPU). */
  adapter: string;
  /** Node or browser version. */
  runtime: string;
  host: 'node' | 'browser' | 'python';
  tfjs_version: string;
  /** Filled in by the report: ms_per_step / the PyTorch anchor's, same workload and scale. */
  vs_pytorch?: number | null;
  error?: string;
  /**
   * WebGPU only: validation errors the device reported during the cell (uncapturederror).
   * A rejected command buffer skips every kernel in it, so such a row's numbers are invalid.
   */
  gpu_errors?: number;
  /** Anything else worth keeping (wasm threads, the anchor's implementation name, ...). */
  notes?: string;
}

export interface CellOptions {
  /** Measured steps (benchmark.md: 20). */
  steps: number;
  /** Warm-up steps, the profiled one included (benchmark.md: 5; at least 1). */
  warmup: number;
  /** Time cap of the cell's warm-up and measured steps, ms (Infinity: none). */
  maxMs: number;
  workload?: WorkloadOptions;
}

export interface CellContext {
  backend: string;
  chosen: boolean;
  adapter: string;
  runtime: string;
  host: 'node' | 'browser';
  /** Called with a line of progress. */
  log?: (line: string) => void;
}

export const DEFAULT_CELL: CellOptions = { steps: 20, warmup: 5, maxMs: Infinity };

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

interface TimedBackend {
  timerAvailable(): boolean;
}

/**
 * tf.profile of one call, for its kernel list and peak bytes. Where the backend has no kernel
 * timer (WebGL without EXT_disjoint_timer_query, e.g. SwiftShader), tfjs's profiler reads
 * every kernel's output back to time it, which makes the profiled step several times slower;
 * kernel times are not wanted here, so the profiler is told a timer exists for this call
 * (WebGL's time() then reports an error string instead of times, and nothing syncs).
 */
async function countingProfile(f: () => Promise<unknown>): ReturnType<typeof tf.profile> {
  const backend = tf.backend() as unknown as TimedBackend;
  const hasTimer = backend.timerAvailable();
  const own = Object.prototype.hasOwnProperty.call(backend, 'timerAvailable');
  const original = backend.timerAvailable;
  if (!hasTimer) backend.timerAvailable = () => true;
  try {
    return await tf.profile(async () => {
      await f();
      return [];
    });
  } finally {
    if (!hasTimer) {
      if (own) backend.timerAvailable = original;
      else delete (backend as Partial<TimedBackend>).timerAvailable; // back to the prototype's
    }
  }
}

/** A row with every measured field empty (null), for cells that were not measured. */
export function blankRow(r: Pick<BenchRow, 'workload' | 'scale' | 'backend' | 'host'> & Partial<BenchRow>): BenchRow {
  return {
    chosen: false, ms_per_step: null, ms_min: null, ms_max: null, steps_measured: 0, warmup_steps: 0, time_capped: false,
    tokens_per_step: 0, tokens_per_s: null, flops_per_step: 0, gflops_per_s: null, kernels_per_step: null, peak_bytes: null,
    num_tensors_before: null, num_tensors_after: null, tensors_left_after_dispose: null, gpu_bytes: null, gpu_bytes_allocated: null,
    encode_ms: null, search_ms: null, passages_per_s: null, queries_per_s: null,
    adapter: '', runtime: '', tfjs_version: '',
    ...r,
  };
}

/** GPU memory of the current backend: in use by tensors, and held in all (null where not a GPU backend). */
export function gpuMemory(): { inUse: number | null; allocated: number | null } {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number; numBytesAllocatedInGPU?: number; numBytesInGPUAllocated?: number };
  const num = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  return { inUse: num(m.numBytesInGPU), allocated: num(m.numBytesAllocatedInGPU) ?? num(m.numBytesInGPUAllocated) };
}

/** Runs one cell on the backend that is current (the caller has set and readied it). */
export async function runCell(name: WorkloadName, scale: BenchScale, opts: CellOptions, ctx: CellContext): Promise<BenchRow> {
  const log = ctx.log ?? (() => {});
  const base = blankRow({
    workload: name, scale, backend: ctx.backend, chosen: ctx.chosen, adapter: ctx.adapter, runtime: ctx.runtime, host: ctx.host,
    tfjs_version: tf.version.tfjs,
  });
  if (tf.getBackend() !== ctx.backend) return { ...base, error: `the current backend is ${tf.getBackend()}, not ${ctx.backend}` };
  let w: ReturnType<typeof createWorkload> | null = null;
  const row = { ...base };
  const tensorsAtStart = tf.memory().numTensors;
  const bytesAtStart = tf.memory().numBytes;
  const gpuAtStart = gpuMemory().inUse;
  try {
    w = createWorkload(name, scale, opts.workload);
    row.tokens_per_step = w.tokensPerStep;
    row.flops_per_step = w.flopsPerStep;
    row.num_tensors_before = tf.memory().numTensors;
    const t0 = performance.now();
    // Warm-up step 1, profiled: kernels and peak bytes of one whole step (readback included).
    const wl = w;
    const profile = await countingProfile(() => wl.step());
    row.kernels_per_step = profile.kernels.length;
    row.peak_bytes = Number.isFinite(profile.peakBytes) ? profile.peakBytes - bytesAtStart : null;
    row.warmup_steps = 1;
    log(`${name}/${scale}/${ctx.backend}: profiled step ${(performance.now() - t0).toFixed(0)} ms, ${row.kernels_per_step} kernels`);
    const warmCap = opts.maxMs / 3;
    while (row.warmup_steps < Math.max(1, opts.warmup)) {
      if (performance.now() - t0 > warmCap) {
        row.time_capped = true;
        break;
      }
      await w.step();
      row.warmup_steps++;
    }
    const times: number[] = [];
    const phases = new Map<string, number[]>();
    const t1 = performance.now();
    while (times.length < Math.max(1, opts.steps)) {
      if (times.length > 0 && performance.now() - t0 > opts.maxMs) {
        row.time_capped = true;
        break;
      }
      const s0 = performance.now();
      const ph = await w.step();
      times.push(performance.now() - s0);
      for (const [k, v] of Object.entries(ph ?? {})) phases.set(k, [...(phases.get(k) ?? []), v]);
    }
    row.num_tensors_after = tf.memory().numTensors;
    const gpu = gpuMemory();
    if (gpu.inUse !== null && gpuAtStart !== null) row.gpu_bytes = gpu.inUse - gpuAtStart;
    row.gpu_bytes_allocated = gpu.allocated;
    const enc = phases.get('encode');
    const search = phases.get('search');
    if (enc?.length && search?.length) {
      row.encode_ms = round(median(enc), 2);
      row.search_ms = round(median(search), 2);
      row.passages_per_s = Math.round((w.shape.encodePassages / median(enc)) * 1000);
      row.queries_per_s = Math.round((w.shape.searchQueries / median(search)) * 1000);
    }
    const ms = median(times);
    row.steps_measured = times.length;
    row.ms_per_step = round(ms, 2);
    row.ms_min = round(Math.min(...times), 2);
    row.ms_max = round(Math.max(...times), 2);
    row.tokens_per_s = Math.round((w.tokensPerStep / ms) * 1000);
    row.gflops_per_s = round(w.flopsPerStep / ms / 1e6, 3);
    log(
      `${name}/${scale}/${ctx.backend}: ${row.ms_per_step} ms/step (median of ${times.length}` +
        `${row.time_capped ? ', time-capped' : ''}; measured in ${((performance.now() - t1) / 1000).toFixed(1)} s)` +
        (row.passages_per_s !== null ? `, ${row.passages_per_s} passages/s encoded, ${row.queries_per_s} queries/s searched` : ''),
    );
  } catch (e) {
    row.error = (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 500);
    log(`${name}/${scale}/${ctx.backend}: failed: ${row.error}`);
  } finally {
    w?.dispose();
  }
  row.tensors_left_after_dispose = tf.memory().numTensors - tensorsAtStart;
  return row;
}
