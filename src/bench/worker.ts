/// <reference lib="webworker" />
// The benchmark's worker: tfjs with every backend (as the training worker loads it), the lab's
// own backend choice (the training worker's init handler: self-check and trial step of each),
// then the asked-for cells with src/core/bench's runCell, each row sent as soon as it is done.
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { describeAdapter } from '../core/backend/policy';
import { runCell, type BenchRow, type CellOptions } from '../core/bench';
import { InThreadEngine } from '../worker/engine';
import { probeWorkerAdapter, setupWorkerTfjs } from '../worker/browserBackend';
import { createHandlers, type Platform } from '../worker/handlers';
import type { BenchPageOptions, BenchPageResult, FromBenchWorker, ToBenchWorker } from './protocol';

declare const self: DedicatedWorkerGlobalScope;

setupWorkerTfjs();

const send = (m: FromBenchWorker) => self.postMessage(m);
const log = (line: string) => send({ type: 'log', line });

const probeAdapter = () => probeWorkerAdapter(self.navigator);

/** The WebGL renderer string (the GPU, or SwiftShader), when the context tells it. */
function webglRenderer(): string {
  try {
    const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } }).gpgpu?.gl;
    if (!gl) return 'WebGL';
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    return `WebGL 2: ${String(renderer)}`;
  } catch {
    return 'WebGL';
  }
}

/** WebGPU validation errors of tfjs's device (a rejected command buffer runs none of its kernels). */
const gpuErrors: string[] = [];
let watchedDevice: GPUDevice | null = null;
function watchWebGPU(): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (!device || device === watchedDevice) return;
  watchedDevice = device;
  device.addEventListener('uncapturederror', (e) => gpuErrors.push((e as GPUUncapturedErrorEvent).error.message));
}

async function useBackend(backend: string): Promise<string | null> {
  try {
    if (!(await tf.setBackend(backend))) return `${backend} could not be initialised`;
    await tf.ready();
    return tf.getBackend() === backend ? null : `${backend} could not be initialised`;
  } catch (e) {
    return `${backend} could not be initialised: ${(e as Error).message}`;
  }
}

async function run(o: BenchPageOptions): Promise<BenchPageResult> {
  const { adapter } = await probeAdapter();
  const adapterText = describeAdapter(adapter);
  log(`WebGPU adapter: ${adapterText}`);
  let chosen = o.chosen ?? '';
  let reasons: string[] = o.chosen ? [`chosen in an earlier session: ${o.chosen}`] : [];
  if (!o.chosen) {
    log('choosing a backend the way the lab does (self-check and trial step of each) ...');
    const platform: Platform = { host: 'worker', crossOriginIsolated: self.crossOriginIsolated, probeAdapter };
    const engine = new InThreadEngine(createHandlers(platform));
    try {
      const info = await engine.call('init', { forceBackend: null });
      chosen = info.backend;
      reasons = info.choice.reasons;
    } catch (e) {
      reasons = [`the lab's backend choice failed: ${(e as Error).message}`];
    } finally {
      engine.dispose();
    }
    log(`the lab chooses ${chosen || '(none)'}: ${reasons[reasons.length - 1] ?? ''}`);
    send({ type: 'choice', chosen, reasons });
  }
  const cell: CellOptions = { ...o.cell, maxMs: o.cell.maxMs > 0 ? o.cell.maxMs : Infinity };
  const ua = /(HeadlessChrome|Chrome|Firefox|Safari)\/[\d.]+/.exec(self.navigator.userAgent)?.[0] ?? self.navigator.userAgent;
  const cores = self.navigator.hardwareConcurrency;
  const rows: BenchRow[] = [];
  let current = '';
  let unusable: string | null = null;
  let device = '';
  for (const c of o.cells) {
    if (c.backend !== current) {
      current = c.backend;
      unusable = await useBackend(c.backend);
      if (unusable) log(unusable);
      else {
        if (c.backend === 'webgpu') watchWebGPU();
        device =
          c.backend === 'webgpu' ? adapterText
          : c.backend === 'webgl' ? webglRenderer()
          : c.backend === 'wasm' ? `CPU x ${cores}; wasm ${(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) ? 'SIMD' : 'no SIMD'}, ${getThreadsCount()} thread(s)`
          : `CPU x ${cores}; JavaScript`;
      }
    }
    gpuErrors.length = 0;
    let row = await runCell(c.workload, c.scale, cell, {
      backend: c.backend, chosen: c.backend === chosen, adapter: device, runtime: ua, host: 'browser', log,
    });
    if (unusable) row = { ...row, error: unusable };
    if (c.backend === 'webgpu') {
      row.gpu_errors = gpuErrors.length;
      if (gpuErrors.length) {
        row.notes = [...new Set(gpuErrors.map((m) => m.split('\n')[0]))].slice(0, 2).join(' | ').slice(0, 400);
        log(`${c.workload}/${c.scale}/webgpu: ${gpuErrors.length} WebGPU validation errors: ${row.notes}`);
      }
    }
    rows.push(row);
    send({ type: 'row', row });
  }
  return { rows, chosen, reasons, adapter: adapterText };
}

self.addEventListener('message', (e: MessageEvent<ToBenchWorker>) => {
  if (e.data?.type !== 'run') return;
  run(e.data.options).then(
    (result) => send({ type: 'done', result }),
    (err: unknown) => send({ type: 'error', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
  );
});
send({ type: 'ready' });
