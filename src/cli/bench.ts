// `npm run bench`: the standard workloads of shared/spec/benchmark.md (lead-de, prod-ce,
// encode), timed on every tfjs backend of Node (cpu, wasm) and of headless Chromium (webgpu,
// webgl, wasm, cpu; Vite serves src/bench/page.html), next to the PyTorch CPU anchor
// (tools/bench/torch_lead.py) when python3 has torch. Prints a table and writes a JSON array
// (one object per workload, scale and backend; fields in src/core/bench/runner.ts) to --out.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  attachRatios,
  blankRow,
  formatTable,
  parseTorchOutput,
  runCell,
  WORKLOADS,
  isBenchScale,
  isWorkloadName,
  type BenchRow,
  type BenchScale,
  type CellOptions,
  type WorkloadName,
  workloadFlops,
  workloadTokens,
} from '../core/bench';
import { setupNodeBackend } from './backend';
import { CHOICE_PREFIX, LOG_PREFIX, ROW_PREFIX, type BenchCell, type BenchPageOptions, type BenchPageResult } from '../bench/protocol';

const HELP = `Distill Lab benchmark (shared/spec/benchmark.md)

  npm run bench                                  # small scale: Node + Chromium + PyTorch anchor
  npm run bench -- --scale full --out full.json  # benchmark.md's table shapes
  npm run bench -- --node                        # Node only (webgpu, wasm, cpu)
  npm run bench -- --node --backends webgpu      # Node WebGPU only (the webgpu package, Dawn)
  npm run bench -- --browser                     # Chromium only (webgpu, webgl, wasm, cpu)

Options
  --scale LIST          small, full or small,full (default small: B=8, G=2, Lp=32, vocab 2000)
  --workloads LIST      of lead-de, prod-ce, encode (default all)
  --node / --browser    run only these hosts (default both; the browser when Chromium exists)
  --backends LIST       Node backends (default webgpu,wasm,cpu; webgpu through the npm package
                        webgpu (Dawn) on the system's Vulkan drivers, else Chromium's SwiftShader;
                        skipped when no adapter unless named here)
  --browser-backends L  browser backends (default webgpu,webgl,wasm,cpu)
  --steps N             measured steps per cell; ms_per_step is their median (default 20)
  --warmup N            warm-up steps, the tf.profile'd one included (default 5, at least 1)
  --max-cell-s S        time cap per cell: warm-up stops after S/3, measuring after S seconds,
                        each after at least one step (default 15; 0 = no cap: the spec's exact counts). The row
                        records the steps measured and time_capped.
  --no-torch            skip the PyTorch anchor (run by default when python3 imports torch)
  --torch-threads N     threads of the anchor (default 1: faster than 2 on these machines)
  --out FILE            JSON results (default bench-results.json)
  -h, --help

Environment: CHROMIUM_PATH (default /usr/bin/chromium),
PYTHON (default /usr/bin/python3, else python3).`;

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

function fail(msg: string): never {
  process.stderr.write(`error: ${msg}\n`);
  process.exit(1);
}

const { values: a } = parseArgs({
  options: {
    scale: { type: 'string', default: 'small' },
    workloads: { type: 'string', default: WORKLOADS.join(',') },
    node: { type: 'boolean', default: false },
    browser: { type: 'boolean', default: false },
    backends: { type: 'string' },
    'browser-backends': { type: 'string', default: 'webgpu,webgl,wasm,cpu' },
    steps: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    'max-cell-s': { type: 'string', default: '15' },
    'no-torch': { type: 'boolean', default: false },
    'torch-threads': { type: 'string', default: '1' },
    out: { type: 'string', default: 'bench-results.json' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (a.help) {
  console.log(HELP);
  process.exit(0);
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const int = (s: string, name: string, min: number) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got ${s}`);
  return n;
};
const scales = list(a.scale);
for (const s of scales) if (!isBenchScale(s)) fail(`--scale: unknown scale "${s}" (small, full)`);
const workloads = list(a.workloads);
for (const w of workloads) if (!isWorkloadName(w)) fail(`--workloads: unknown workload "${w}" (${WORKLOADS.join(', ')})`);
const explicitNodeBackends = a.backends !== undefined;
const nodeBackends = list(a.backends ?? 'webgpu,wasm,cpu');
for (const b of nodeBackends) {
  if (!['webgpu', 'wasm', 'cpu'].includes(b)) fail(`--backends: Node has webgpu, wasm and cpu, not "${b}" (webgl: --browser)`);
}
const browserBackends = list(a['browser-backends']);
for (const b of browserBackends) if (!['webgpu', 'webgl', 'wasm', 'cpu'].includes(b)) fail(`--browser-backends: unknown backend "${b}"`);
const maxCellS = Number(a['max-cell-s']);
if (!(maxCellS >= 0)) fail(`--max-cell-s must be a number >= 0, got ${a['max-cell-s']}`);
const cell: CellOptions = {
  steps: int(a.steps, 'steps', 1),
  warmup: int(a.warmup, 'warmup', 1),
  maxMs: maxCellS === 0 ? Infinity : maxCellS * 1000,
};
const torchThreads = int(a['torch-threads'], 'torch-threads', 1);
const outFile = path.resolve(a.out);
const onlyOne = a.node !== a.browser;
const doNode = !onlyOne || a.node;
const doBrowser = !onlyOne || a.browser;

const rows: BenchRow[] = [];
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const say = (line: string) => console.log(`[bench ${elapsed()}] ${line}`);
const firstLine = (e: unknown) => String(e instanceof Error ? e.message : e).split('\n')[0].slice(0, 300);

function save(): void {
  writeFileSync(outFile, `${JSON.stringify(attachRatios([...rows]), null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------
// PyTorch anchor

function runTorch(): void {
  const script = path.join(root, 'tools/bench/torch_lead.py');
  const anchorWorkloads = workloads.filter((w) => w !== 'encode') as WorkloadName[];
  if (anchorWorkloads.length === 0) return;
  const missing = (why: string) => {
    say(`PyTorch anchor not measured: ${why}`);
    for (const scale of scales as BenchScale[]) {
      for (const w of anchorWorkloads) {
        rows.push(blankRow({ workload: w, scale, backend: 'pytorch-cpu', host: 'python', error: why }));
      }
    }
  };
  if (!existsSync(script)) return missing(`${script} not found`);
  // The first python that imports torch (pyenv's python3 may shadow Debian's, which has it).
  let pythons = [process.env.PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p));
  for (const scale of scales as BenchScale[]) {
    let r: ReturnType<typeof spawnSync> | null = null;
    let python = '';
    for (const p of pythons) {
      say(`PyTorch anchor: ${p} torch_lead.py ${torchThreads} ${scale} ...`);
      r = spawnSync(p, [script, String(torchThreads), scale], {
        cwd: path.dirname(script), encoding: 'utf8', timeout: 15 * 60_000,
        env: { ...process.env, OMP_NUM_THREADS: String(torchThreads), OPENBLAS_NUM_THREADS: String(torchThreads) },
      });
      python = p;
      if (r.status === 0 || !/No module named .?torch|ENOENT/.test(`${String(r.stderr ?? '')} ${r.error?.message ?? ''}`)) break;
    }
    if (!r || r.status !== 0) {
      const stderr = String(r?.stderr ?? r?.error?.message ?? '');
      if (/No module named .?torch|ENOENT/.test(`${stderr} ${r?.error?.message ?? ''}`)) {
        return missing(
          'no python3 here imports torch. To measure it (Debian): apt-get install -y python3-torch libopenblas0-pthread ' +
            '(about 2 minutes here); without OpenBLAS PyTorch uses a reference BLAS and is 4x slower',
        );
      }
      say(`PyTorch anchor failed (${r?.status ?? r?.signal}): ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
      continue;
    }
    pythons = [python];
    const version = spawnSync(python, ['-c', 'import sys; print("Python", sys.version.split()[0])'], { encoding: 'utf8' }).stdout.trim();
    const got = parseTorchOutput(String(r.stdout), scale, version).filter((x) => (anchorWorkloads as string[]).includes(x.workload));
    for (const x of got) say(`  pytorch-cpu ${x.workload}/${x.scale}: ${x.ms_per_step} ms/step`);
    rows.push(...got);
    save();
  }
}

// ---------------------------------------------------------------------------------------
// Node: webgpu (the webgpu package), wasm and cpu

/** WebGPU validation errors of tfjs's device in Node (as the browser worker counts them). */
const nodeGpuErrors: string[] = [];
let nodeWatchedDevice: GPUDevice | null = null;
function watchNodeWebGPU(): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (!device || device === nodeWatchedDevice) return;
  nodeWatchedDevice = device;
  device.addEventListener('uncapturederror', (e) => nodeGpuErrors.push((e as GPUUncapturedErrorEvent).error.message));
}

async function runNode(): Promise<void> {
  say('Node: choosing a backend the way the lab does (self-check and trial step of each) ...');
  const info = await setupNodeBackend();
  say(`Node: WebGPU adapter: ${info.webgpu.text}${info.webgpu.adapter ? ` (${info.webgpu.via})` : ''}`);
  say(`Node: the lab chooses ${info.backend}: ${info.choice.reasons[info.choice.reasons.length - 1]}`);
  const cpus = os.cpus();
  const cpuName = `${cpus[0]?.model.trim() ?? 'CPU'} x ${cpus.length}`;
  const runtime = `node ${process.version}`;
  for (const backend of nodeBackends) {
    const cells = (scales as BenchScale[]).flatMap((scale) => (workloads as WorkloadName[]).map((workload) => ({ backend, scale, workload })));
    let unusable: string | null = null;
    if (backend === 'webgpu' && !info.webgpu.adapter) unusable = info.webgpu.text;
    else {
      try {
        if (!(await tf.setBackend(backend))) unusable = `${backend} could not be initialised`;
        else await tf.ready();
      } catch (e) {
        unusable = `${backend} could not be initialised: ${firstLine(e)}`;
      }
    }
    if (unusable) {
      say(`Node: ${backend} not measured: ${unusable}`);
      // Named on the command line: its cells get error rows (and the exit status 1).
      if (explicitNodeBackends) for (const c of cells) rows.push(failedRow(c, unusable, runtime, 'node'));
      save();
      continue;
    }
    let adapter = `${cpuName} (Node)`;
    if (backend === 'wasm') {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      adapter += `; wasm ${simd ? 'SIMD' : 'no SIMD'}, ${threads ? 'threads' : '1 thread'}`;
    }
    if (backend === 'webgpu') {
      adapter = info.webgpu.text;
      watchNodeWebGPU();
    }
    for (const c of cells) {
      nodeGpuErrors.length = 0;
      const row = await runCell(c.workload, c.scale, cell, {
        backend, chosen: backend === info.backend, adapter, runtime, host: 'node', log: say,
      });
      if (backend === 'webgpu') {
        row.notes = info.webgpu.via;
        row.gpu_errors = nodeGpuErrors.length;
        if (nodeGpuErrors.length) {
          row.notes = [...new Set(nodeGpuErrors.map((m) => m.split('\n')[0]))].slice(0, 2).join(' | ').slice(0, 400);
          say(`${c.workload}/${c.scale}/webgpu: ${nodeGpuErrors.length} WebGPU validation errors: ${row.notes}`);
        }
      }
      rows.push(row);
      save();
    }
  }
}

// ---------------------------------------------------------------------------------------
// Browser: Vite + headless Chromium (WebGPU on SwiftShader here), src/bench/page.html

function findChromium(): string | null {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));
  return candidates.find((p) => existsSync(p)) ?? null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** The flags that give headless Chromium WebGPU on these CPU-only machines (shared/README.md). */
const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu', '--enable-unsafe-swiftshader', '--use-webgpu-adapter=swiftshader',
  '--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** A row for a cell that produced none (its page crashed, or never ran it; no Node adapter). */
function failedRow(c: BenchCell, error: string, runtime: string, host: 'node' | 'browser' = 'browser', adapter = ''): BenchRow {
  return blankRow({
    workload: c.workload, scale: c.scale, backend: c.backend, host, runtime, adapter, error, tfjs_version: tf.version.tfjs,
    tokens_per_step: workloadTokens(c.workload, c.scale), flops_per_step: workloadFlops(c.workload, c.scale),
  });
}


/**
 * Runs the browser cells in one or more sessions: rows stream back as console lines, so when
 * the page crashes (a software GPU running out of memory, say) the cell it was running gets an
 * error row and a fresh browser goes on with the rest.
 */
async function runBrowser(chromiumPath: string): Promise<void> {
  const { createServer } = await import('vite');
  const { chromium } = await import('playwright-core');
  const port = await freePort();
  // No HMR and no file watching: an edit under src/ while the bench runs must not reload the page.
  const server = await createServer({
    root, configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn', clearScreen: false,
    server: { port, strictPort: true, host: '127.0.0.1', hmr: false, watch: null },
  });
  await server.listen();
  const url = `http://127.0.0.1:${port}/src/bench/page.html`;
  let remaining: BenchCell[] = [];
  for (const backend of browserBackends) {
    for (const scale of scales as BenchScale[]) for (const workload of workloads as WorkloadName[]) remaining.push({ backend, scale, workload });
  }
  let chosen: string | null = null;
  let runtime = 'Chromium';
  const attempts = new Map<string, number>();
  try {
    for (let session = 1; remaining.length > 0 && session <= 2 * remaining.length + 1; session++) {
      // A fresh profile directory per launch (playwright's default), headless.
      const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: CHROMIUM_ARGS });
      runtime = `Chromium ${browser.version()}`;
      const got: BenchRow[] = [];
      let failure: string | null = null;
      let crashed = false;
      try {
        say(`browser session ${session}: ${runtime} at ${chromiumPath}, ${url}, ${remaining.length} cells`);
        const page = await browser.newPage();
        page.on('console', (m) => {
          const t = m.text();
          if (t.startsWith(ROW_PREFIX)) got.push(JSON.parse(t.slice(ROW_PREFIX.length)) as BenchRow);
          else if (t.startsWith(CHOICE_PREFIX)) chosen = (JSON.parse(t.slice(CHOICE_PREFIX.length)) as { chosen: string }).chosen;
          else if (t.startsWith(LOG_PREFIX)) say(`browser: ${t.slice(LOG_PREFIX.length)}`);
          else if (m.type() === 'error') say(`browser console error: ${t}`);
        });
        page.on('pageerror', (e) => say(`browser page error: ${e.message}`));
        page.on('crash', () => {
          crashed = true;
          say('browser: the page crashed');
        });
        await page.goto(url);
        await page.waitForFunction(() => typeof (window as unknown as { distillBench?: unknown }).distillBench === 'function', null, { timeout: 180_000 });
        // JSON cannot carry Infinity: maxMs 0 means no cap on the page's side.
        const opts: BenchPageOptions = { cells: remaining, cell: { ...cell, maxMs: Number.isFinite(cell.maxMs) ? cell.maxMs : 0 }, chosen };
        await page.evaluate((o) => (window as unknown as { distillBench: (x: BenchPageOptions) => Promise<BenchPageResult> }).distillBench(o), opts);
      } catch (e) {
        failure = firstLine(e);
        say(`browser session ${session} ended early: ${failure}`);
      } finally {
        await browser.close().catch(() => {});
      }
      const key = (c: { backend: string; scale: string; workload: string }) => `${c.backend}/${c.scale}/${c.workload}`;
      const done = new Set(got.map(key));
      for (const r of got) rows.push({ ...r, chosen: r.backend === chosen, runtime: `${runtime} (${r.runtime})` });
      remaining = remaining.filter((c) => !done.has(key(c)));
      if (failure && remaining.length > 0) {
        // The first cell without a row is the one that was running. A crash (or a second
        // failure of the same cell) gives it an error row; anything else (a reload) retries it.
        const c = remaining[0];
        attempts.set(key(c), (attempts.get(key(c)) ?? 0) + 1);
        if (crashed || attempts.get(key(c))! >= 2) {
          remaining.shift();
          rows.push(failedRow(c, `the page ${crashed ? 'crashed' : 'failed'} while running this cell (${failure})`, runtime));
        }
      }
      save();
    }
  } finally {
    await server.close();
  }
  if (chosen) say(`browser: the lab chooses ${chosen}`);
}

// ---------------------------------------------------------------------------------------

if (a['no-torch']) say('PyTorch anchor skipped (--no-torch)');
else runTorch();
if (doNode) await runNode();
if (doBrowser) {
  const chromiumPath = findChromium();
  if (!chromiumPath) {
    const msg = 'no Chromium found (apt-get install chromium, or set CHROMIUM_PATH): browser backends not measured';
    if (onlyOne) fail(msg);
    say(msg);
  } else {
    try {
      await runBrowser(chromiumPath);
    } catch (e) {
      say(`browser run failed: ${firstLine(e)}`);
      process.exitCode = 1;
    }
  }
}

attachRatios(rows);
const order = (r: BenchRow) =>
  [
    scales.indexOf(r.scale),
    WORKLOADS.indexOf(r.workload),
    ['python', 'node', 'browser'].indexOf(r.host),
    ['pytorch-cpu', 'webgpu', 'webgl', 'wasm', 'cpu'].indexOf(r.backend),
  ];
rows.sort((x, y) => {
  const ox = order(x);
  const oy = order(y);
  for (let i = 0; i < ox.length; i++) if (ox[i] !== oy[i]) return ox[i] - oy[i];
  return 0;
});
save();
console.log('');
console.log(formatTable(rows));
console.log(`\n${rows.length} rows written to ${outFile} in ${elapsed()}`);
const leaks = rows.filter((r) => r.num_tensors_before !== null && r.num_tensors_after !== null && r.num_tensors_after !== r.num_tensors_before);
if (leaks.length) console.log(`tensors leaked by the steps: ${leaks.map((r) => `${r.workload}/${r.scale}/${r.host}/${r.backend}`).join(', ')}`);
const left = new Map<string, number>();
for (const r of rows) if (r.tensors_left_after_dispose) left.set(r.workload, r.tensors_left_after_dispose);
if (left.size) {
  console.log(
    `tensors left once a workload is disposed (made while building it, not by its steps): ` +
      `${[...left].map(([w, n]) => `${w} ${n}`).join(', ')}`,
  );
}
if (rows.some((r) => r.error && r.host !== 'python')) process.exitCode = 1;
