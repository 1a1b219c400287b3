// The lab's fused kernels: importing this module registers them for webgpu (WGSL programs, see
// webgpu.ts) and for wasm (JavaScript over the module's heap, see wasm.ts).
import './wasm';
export { fusedKernelsActive, keepsActivations, setFusedKernels, setRowStrategy, ROW_PER_THREAD_MAX, type RowStrategy } from './webgpu';
export { fusedLayerNorm } from './layerNorm';
export { fusedDense, fusedDenseGelu, fusedGelu } from './dense';
export { fusedSelfAttention, type AttentionWeights } from './attention';
export { fusedAdamW, type FusedAdamWScalars, type FusedAdamWSlot } from './adamw';
export { fusedKl, fusedNll } from './losses';
