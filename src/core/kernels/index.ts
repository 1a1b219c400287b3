// The lab's fused WebGPU kernels (see webgpu.ts): importing this module registers them.
export { fusedKernelsActive, setFusedKernels, setRowStrategy, ROW_PER_THREAD_MAX, type RowStrategy } from './webgpu';
export { fusedLayerNorm } from './layerNorm';
export { fusedDense, fusedDenseGelu, fusedGelu } from './dense';
export { fusedSelfAttention, type AttentionWeights } from './attention';
export { fusedAdamW, type FusedAdamWScalars, type FusedAdamWSlot } from './adamw';
export { fusedKl, fusedNll } from './losses';
