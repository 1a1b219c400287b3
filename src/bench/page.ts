// The benchmark page (served by Vite at /src/bench/page.html): runs the workloads in a module
// worker, as the lab trains, and offers `window.distillBench(options)` to the command line.
// Progress, the lab's backend choice and every finished row also go to the console.
import { CHOICE_PREFIX, LOG_PREFIX, ROW_PREFIX, type BenchPageOptions, type BenchPageResult, type FromBenchWorker, type ToBenchWorker } from './protocol';

declare global {
  interface Window {
    distillBench?: (o: BenchPageOptions) => Promise<BenchPageResult>;
  }
}

const logEl = document.getElementById('log');
function show(line: string): void {
  console.log(`${LOG_PREFIX}${line}`);
  if (logEl) logEl.textContent += `${line}\n`;
}

let busy = false;

/** One fresh worker per run (nothing carries over between runs). */
function distillBench(options: BenchPageOptions): Promise<BenchPageResult> {
  if (busy) return Promise.reject(new Error('a benchmark is already running'));
  busy = true;
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return new Promise<BenchPageResult>((resolve, reject) => {
    worker.addEventListener('message', (e: MessageEvent<FromBenchWorker>) => {
      const m = e.data;
      if (m.type === 'ready') worker.postMessage({ type: 'run', options } satisfies ToBenchWorker);
      else if (m.type === 'log') show(m.line);
      else if (m.type === 'choice') console.log(`${CHOICE_PREFIX}${JSON.stringify({ chosen: m.chosen, reasons: m.reasons })}`);
      else if (m.type === 'row') console.log(`${ROW_PREFIX}${JSON.stringify(m.row)}`);
      else if (m.type === 'done') resolve(m.result);
      else if (m.type === 'error') reject(new Error(m.message));
    });
    worker.addEventListener('error', (e) => reject(new Error(`benchmark worker failed: ${e.message}`)));
  }).finally(() => {
    worker.terminate();
    busy = false;
  });
}

window.distillBench = distillBench;

document.getElementById('run')?.addEventListener('click', () => {
  const cells: BenchPageOptions['cells'] = [];
  for (const backend of ['webgpu', 'webgl', 'wasm', 'cpu']) {
    for (const workload of ['lead-de', 'prod-ce', 'encode'] as const) cells.push({ backend, scale: 'small', workload });
  }
  distillBench({ cells, cell: { steps: 3, warmup: 1, maxMs: 30_000 }, chosen: null }).then(
    (r) => show(JSON.stringify(r.rows, null, 2)),
    (e: Error) => show(`failed: ${e.message}`),
  );
});
