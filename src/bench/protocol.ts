// What the command line (src/cli/bench.ts) sends to the benchmark page and gets back, and
// the messages between the page and its worker. JSON-safe: CellOptions.maxMs 0 = no cap.
// Rows also stream out one by one as console lines `[bench-row] {json}`, so that a page that
// crashes (a software GPU running out of memory) loses only the cell it was running.
import type { BenchRow, BenchScale, CellOptions, WorkloadName } from '../core/bench';

export interface BenchCell {
  backend: string;
  scale: BenchScale;
  workload: WorkloadName;
}

export interface BenchPageOptions {
  /** Cells to run, in order (grouped by backend). */
  cells: BenchCell[];
  cell: CellOptions;
  /**
   * The backend the lab chose in an earlier session (after a crash); null: run the lab's own
   * choice here (the training worker's init: self-check and trial step of every backend).
   */
  chosen: string | null;
}

export interface BenchPageResult {
  rows: BenchRow[];
  /** The backend the lab picks by itself in this browser, and why. */
  chosen: string;
  reasons: string[];
  /** The WebGPU adapter, described as the lab's backend panel does. */
  adapter: string;
}

/** Console line prefixes the command line reads. */
export const ROW_PREFIX = '[bench-row] ';
export const CHOICE_PREFIX = '[bench-choice] ';
export const LOG_PREFIX = '[bench] ';

export type ToBenchWorker = { type: 'run'; options: BenchPageOptions };
export type FromBenchWorker =
  | { type: 'ready' }
  | { type: 'log'; line: string }
  | { type: 'choice'; chosen: string; reasons: string[] }
  | { type: 'row'; row: BenchRow }
  | { type: 'done'; result: BenchPageResult }
  | { type: 'error'; message: string };
