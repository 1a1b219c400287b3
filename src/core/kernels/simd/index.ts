// The lab's SIMD kernels (assembly/kernels.ts, compiled into binary.ts) as a WebAssembly
// instance with its own memory. Callers reserve float32 arrays in that memory, copy operands
// in, call a kernel and copy results out: a copy costs ~0.1 ns a value, the kernels save
// 5-10 ns a value over JavaScript loops (measured in wasm.ts).
import { SIMD_WASM_BASE64 } from './binary';

/** The module's exports (addresses in bytes, lengths in values). */
export interface SimdExports {
  memory: WebAssembly.Memory;
  gelu(z: number, y: number, n: number): void;
  geluGrad(dy: number, z: number, d: number, n: number): void;
  layerNorm(x: number, r: number, k: number, g: number, b: number, y: number, s: number, M: number, H: number, eps: number, mode: number): void;
  layerNormGrad(dy: number, s: number, g: number, dv: number, dx: number, k: number, sg: number, sb: number, M: number, H: number, mode: number): void;
  softmax(s: number, bias: number, p: number, pd: number, k: number, rows: number, T: number, nhT: number, scale: number, masked: number): void;
  softmaxGrad(dpd: number, p: number, ds: number, pd: number, k: number, rows: number, T: number, scale: number, masked: number): void;
  sumSquares(g: number, n: number): number;
  adamw(g: number, p: number, m: number, v: number, n: number, b1: number, b2: number, c1: number, c2: number, keep: number, step: number, epsHat: number): void;
  transpose(src: number, dst: number, batch: number, rows: number, cols: number): void;
  dropout(out: number, n: number, s0: number, thr: number, scale: number): void;
  colSums(src: number, rows: number, cols: number, out: number, t: number): void;
  permute0213(src: number, dst: number, A: number, B: number, C: number, D: number): void;
}

/** Arrays start past the module's static data (the first 64 KiB page). */
const BASE = 65536;
const PAGE = 65536;

export class Simd {
  constructor(readonly k: SimdExports) {}

  /**
   * Byte addresses of float32 arrays of the given lengths (16-byte aligned), growing the
   * memory when needed. Valid until the next reserve: every call of a kernel reserves anew.
   */
  reserve(lengths: readonly number[]): number[] {
    const addrs: number[] = [];
    let end = BASE;
    for (const n of lengths) {
      addrs.push(end);
      end += Math.ceil((n * 4) / 16) * 16;
    }
    const have = this.k.memory.buffer.byteLength;
    if (end > have) this.k.memory.grow(Math.ceil((end - have) / PAGE));
    return addrs;
  }

  /** Copies `src` to address `addr`. */
  put(addr: number, src: Float32Array): void {
    new Float32Array(this.k.memory.buffer, addr, src.length).set(src);
  }

  /** Zeroes n values at `addr`. */
  zero(addr: number, n: number): void {
    new Float32Array(this.k.memory.buffer, addr, n).fill(0);
  }

  /** The n values at `addr` (a view: copy it before the next reserve). */
  view(addr: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, addr, n);
  }

  /** dst [batch, cols, rows] = src [batch, rows, cols] transposed. */
  transposeInto(src: Float32Array, dst: Float32Array, batch: number, rows: number, cols: number): void {
    const [ps, pd] = this.reserve([src.length, src.length]);
    this.put(ps, src);
    this.k.transpose(ps, pd, batch, rows, cols);
    dst.set(this.view(pd, src.length));
  }

  /** dst [A, C, B, D] = src [A, B, C, D] permuted by [0, 2, 1, 3]. */
  permute0213Into(src: Float32Array, dst: Float32Array, A: number, B: number, C: number, D: number): void {
    const [ps, pd] = this.reserve([src.length, src.length]);
    this.put(ps, src);
    this.k.permute0213(ps, pd, A, B, C, D);
    dst.set(this.view(pd, src.length));
  }

  /** dst [cols] = column sums of src [rows, cols] (float32 blocks of 256 rows, float64 totals). */
  colSumsInto(src: Float32Array, rows: number, cols: number, dst: Float32Array): void {
    const [ps, po, pt] = this.reserve([src.length, cols, 2 * cols]);
    this.put(ps, src);
    this.k.colSums(ps, rows, cols, po, pt);
    dst.set(this.view(po, cols));
  }
}

let simd: Simd | null | undefined;

/** The SIMD kernels, instantiated on first use; null where WebAssembly SIMD is missing. */
export function simdKernels(): Simd | null {
  if (simd !== undefined) return simd;
  simd = null;
  const bytes = Uint8Array.from(atob(SIMD_WASM_BASE64), (c) => c.charCodeAt(0));
  if (typeof WebAssembly === 'object' && WebAssembly.validate(bytes)) {
    // Synchronous: the module is small (~7 KB), and the kernels that use it are synchronous.
    const abort = () => {
      throw new Error('SIMD kernel aborted');
    };
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort } });
    simd = new Simd(instance.exports as unknown as SimdExports);
  }
  return simd;
}
