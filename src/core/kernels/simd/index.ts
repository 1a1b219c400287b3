// The lab's SIMD kernels (assembly/kernels.ts, compiled into binary.ts). The module imports its
// memory, so one instance is bound to tfjs-wasm's own heap (heapKernels: tensors are read and
// written where they are, by byte address, no copies; a shared memory in a cross-origin
// isolated page, where tfjs runs threads, takes the build that declares it shared), and one to a
// memory of its own for JavaScript arrays (simdKernels: callers reserve arrays, copy in, call,
// copy out). Copying between the heap and another memory cost ~0.1 ns a value in Node and ~0.25
// from a SharedArrayBuffer: ~100 ms of a full-scale lead-de step in Node, ~300 in Chromium.
import { SIMD_WASM_BASE64, SIMD_WASM_SHARED_BASE64 } from './binary';

/** The module's exports (addresses in bytes, lengths in values). */
export interface SimdExports {
  gelu(z: number, y: number, n: number): void;
  geluGrad(dy: number, z: number, d: number, n: number): void;
  layerNorm(x: number, r: number, k: number, g: number, b: number, y: number, s: number, M: number, H: number, eps: number, mode: number): void;
  layerNormGrad(dy: number, s: number, g: number, dv: number, dx: number, k: number, sg: number, sb: number, M: number, H: number, mode: number): void;
  softmax(s: number, bias: number, p: number, pd: number, k: number, rows: number, T: number, nhT: number, scale: number, masked: number): void;
  softmaxGrad(dpd: number, p: number, ds: number, pd: number, k: number, rows: number, T: number, scale: number, masked: number): void;
  sumSquares(g: number, n: number): number;
  adamw(g: number, p: number, m: number, v: number, po: number, mo: number, vo: number, n: number, b1: number, b2: number, c1: number, c2: number, keep: number, step: number, epsHat: number): void;
  transpose(src: number, dst: number, batch: number, rows: number, cols: number): void;
  dropout(out: number, n: number, s0: number, thr: number, scale: number): void;
  colSums(src: number, rows: number, cols: number, out: number, t: number): void;
  permute0213(src: number, dst: number, A: number, B: number, C: number, D: number): void;
}

const decode = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

let modules: { plain: WebAssembly.Module; shared: WebAssembly.Module | null } | null | undefined;

/** Both builds compiled (synchronously: ~8 KB each), or null where WebAssembly SIMD is missing. */
function compiled() {
  if (modules !== undefined) return modules;
  const plain = decode(SIMD_WASM_BASE64);
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(plain)) return (modules = null);
  const shared = decode(SIMD_WASM_SHARED_BASE64);
  modules = { plain: new WebAssembly.Module(plain), shared: WebAssembly.validate(shared) ? new WebAssembly.Module(shared) : null };
  return modules;
}

const instances = new WeakMap<WebAssembly.Memory, SimdExports | null>();

/** The kernels bound to `memory` (addresses are that memory's); null without SIMD (or, for a shared memory, without threads). */
export function simdOn(memory: WebAssembly.Memory): SimdExports | null {
  const known = instances.get(memory);
  if (known !== undefined) return known;
  const c = compiled();
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const mod = c ? (shared ? c.shared : c.plain) : null;
  let k: SimdExports | null = null;
  try {
    k = mod ? (new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as SimdExports) : null;
  } catch (e) {
    // A memory whose limits the module's import does not accept (a runtime's own build of
    // tfjs-wasm, say): the composite ops run instead. Anything else is a bug: rethrown.
    if (!(e instanceof WebAssembly.LinkError)) throw e;
  }
  instances.set(memory, k);
  return k;
}

/** What is used of tfjs-backend-wasm's BackendWasm: its Emscripten module and tensors' places. */
interface WasmBackendMemory {
  wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
}

/**
 * The kernels on tfjs-wasm's heap (`backend`: the wasm backend); null where they cannot run.
 * The memory is the Emscripten module's: `wasmMemory` (threaded build) or the instance's export.
 */
export function heapKernels(backend: unknown): SimdExports | null {
  const w = (backend as WasmBackendMemory).wasm;
  const memory = w?.wasmMemory ?? w?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? simdOn(memory) : null;
}

/** Arrays start at 64 KiB (nothing lives below: the module has no static data). */
const BASE = 65536;
const PAGE = 65536;

/** The kernels on a memory of their own, for JavaScript arrays. */
export class Simd {
  constructor(
    readonly k: SimdExports,
    readonly memory: WebAssembly.Memory,
  ) {}

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
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    return addrs;
  }

  /** Copies `src` to address `addr`. */
  put(addr: number, src: Float32Array): void {
    new Float32Array(this.memory.buffer, addr, src.length).set(src);
  }

  /** The n values at `addr` (a view: copy it before the next reserve). */
  view(addr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, addr, n);
  }
}

let own: Simd | null | undefined;

/** The kernels on their own memory, instantiated on first use; null where WebAssembly SIMD is missing. */
export function simdKernels(): Simd | null {
  if (own !== undefined) return own;
  const memory = new WebAssembly.Memory({ initial: 2 });
  const k = simdOn(memory);
  own = k ? new Simd(k, memory) : null;
  return own;
}
