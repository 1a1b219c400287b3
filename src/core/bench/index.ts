// `npm run bench`'s workloads (benchmark.md), their timing and their report; pure tfjs, used
// by the command line (Node) and by the benchmark page (src/bench/page.ts).
export * from './shapes';
export { createWorkload, randomBatch, type StepPhases, type Workload, type WorkloadOptions } from './workloads';
export { blankRow, DEFAULT_CELL, gpuMemory, median, runCell, type BenchRow, type CellContext, type CellOptions } from './runner';
export { attachRatios, formatTable, parseTorchOutput } from './report';
