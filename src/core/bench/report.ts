// The bench's output: PyTorch anchor rows from torch_lead.py's JSON lines, the ratio of every
// row to the anchor, and the printed table.
import { blankRow, type BenchRow } from './runner';
import { isBenchScale, isWorkloadName, workloadFlops, workloadTokens, type BenchScale } from './shapes';

/**
 * Rows from the output of `torch_lead.py THREADS SCALE` (one JSON object per line, workload,
 * ms_per_step, impl, ...). Lines that are not such objects are ignored. tokens_per_s and
 * gflops_per_s are recomputed from the lab's own counts (the same formulas), so all rows agree.
 */
export function parseTorchOutput(stdout: string, scale: BenchScale, runtime: string): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(t) as Record<string, unknown>;
    } catch {
      continue;
    }
    const w = o.workload;
    const ms = o.ms_per_step;
    if (!isWorkloadName(w) || typeof ms !== 'number') continue;
    const sc = isBenchScale(o.scale) ? o.scale : scale;
    const flops = workloadFlops(w, sc);
    const tokens = workloadTokens(w, sc);
    rows.push(
      blankRow({
        workload: w, scale: sc, backend: 'pytorch-cpu', host: 'python',
        ms_per_step: ms, steps_measured: 20, warmup_steps: 5,
        tokens_per_step: tokens, tokens_per_s: Math.round((tokens / ms) * 1000),
        flops_per_step: flops, gflops_per_s: Math.round((flops / ms / 1e6) * 1000) / 1000,
        adapter: `CPU, ${typeof o.threads === 'number' ? o.threads : '?'} thread(s)`, runtime,
        notes: typeof o.impl === 'string' ? o.impl : undefined,
      }),
    );
  }
  return rows;
}

/** Sets vs_pytorch on every row with an anchor of the same workload and scale (in place). */
export function attachRatios(rows: BenchRow[]): BenchRow[] {
  const anchor = new Map<string, number>();
  for (const r of rows) if (r.backend === 'pytorch-cpu' && r.ms_per_step) anchor.set(`${r.workload}/${r.scale}`, r.ms_per_step);
  for (const r of rows) {
    const a = anchor.get(`${r.workload}/${r.scale}`);
    r.vs_pytorch = a && r.ms_per_step !== null ? Math.round((r.ms_per_step / a) * 100) / 100 : null;
  }
  return rows;
}

function fmt(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function mib(bytes: number | null | undefined): string {
  return bytes === null || bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(1);
}

/** A plain-text table, one line per row, in the given order. */
export function formatTable(rows: readonly BenchRow[]): string {
  const head = [
    'workload', 'scale', 'host', 'backend', 'ms/step', 'steps', 'tokens/s', 'GFLOP/s', 'passages/s', 'queries/s',
    'kernels', 'peak MiB', 'GPU MiB', 'tensors', 'vs torch',
  ];
  const body = rows.map((r) => [
    r.workload,
    r.scale,
    r.host,
    `${r.backend}${r.chosen ? ' *' : ''}`,
    (r.error ? 'error' : fmt(r.ms_per_step, r.ms_per_step !== null && r.ms_per_step < 100 ? 1 : 0)) + (r.gpu_errors ? ' !' : ''),
    r.host === 'python' ? (r.error ? '-' : '20') : `${r.steps_measured}${r.time_capped ? ' (cap)' : ''}`,
    fmt(r.tokens_per_s),
    fmt(r.gflops_per_s, 2),
    fmt(r.passages_per_s),
    fmt(r.queries_per_s),
    fmt(r.kernels_per_step),
    mib(r.peak_bytes),
    r.gpu_bytes === null && r.gpu_bytes_allocated === null ? '-' : `${mib(r.gpu_bytes)} / ${mib(r.gpu_bytes_allocated)}`,
    r.num_tensors_before === null ? '-' : `${r.num_tensors_before}->${r.num_tensors_after ?? '?'}`,
    r.vs_pytorch ? `${r.vs_pytorch.toFixed(2)}x` : '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const out = [line(head), widths.map((n) => '-'.repeat(n)).join('  '), ...body.map(line)];
  const errors = rows.filter((r) => r.error);
  if (errors.length) out.push('', ...errors.map((r) => `error ${r.workload}/${r.scale}/${r.host}/${r.backend}: ${r.error}`));
  const gpu = rows.filter((r) => r.gpu_errors);
  if (gpu.length) {
    out.push('', ...gpu.map((r) => `! ${r.workload}/${r.scale}/${r.host}/${r.backend}: ${r.gpu_errors} WebGPU validation error(s), numbers invalid: ${r.notes ?? ''}`));
  }
  out.push(
    '',
    '* = the backend the lab chooses by itself there; (cap) = steps cut by the per-cell time cap; vs torch = ms / PyTorch ms',
    'passages/s, queries/s (encode): corpus encoding and exact top-100 search, each phase timed apart; ' +
      'GPU MiB = kept on the GPU between steps (numBytesInGPU) / held by the backend, free buffers included',
  );
  return out.join('\n');
}
