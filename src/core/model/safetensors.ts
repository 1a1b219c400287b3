// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte
// little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets:
// [begin, end]}, "__metadata__"?: {string: string}}, then the raw little-endian tensor
// bytes, offsets relative to the end of the header. Parsing validates everything the
// reference implementation does (header bounds, JSON, dtype, shape x dtype size = byte
// span, spans inside the buffer, no overlaps or holes) and throws CheckpointError saying
// which tensor and what is wrong. Reading converts F32 / F16 / BF16 (and F64, integer
// dtypes) to Float32Array; writing emits F32.

import { CheckpointError } from '../errors';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  /** Tensors in header order. */
  entries: SafetensorsEntry[];
  /** The bytes of the whole file. */
  bytes: Uint8Array;
}

/** Header JSON larger than this is refused (the reference limit is 100 MB). */
const MAX_HEADER = 100_000_000;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Parses and validates the header; tensor data is read on demand by {@link tensorToFloat32}.
 * `file` names the file in messages (default "safetensors"); offsets in them are byte
 * offsets in the file, from 0.
 */
export function parseSafetensors(input: ArrayBuffer | Uint8Array, file?: string): SafetensorsFile {
  function bad(message: string, details?: Record<string, unknown>): never {
    throw new CheckpointError(`${file ?? 'safetensors'}: ${message}`, { ...(file ? { file } : {}), ...details });
  }
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.byteLength < 8) bad(`file is ${bytes.byteLength} bytes, shorter than the 8-byte header length (truncated?)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(bytes.byteLength - 8)) {
    bad(`header length ${n64} (bytes 0-7) runs past the end of the ${bytes.byteLength}-byte file (truncated?)`, { offset: 0 });
  }
  const n = Number(n64);
  if (n > MAX_HEADER) bad(`header length ${n} exceeds ${MAX_HEADER} bytes`);
  if (n < 2) bad(`header length ${n} is too small for a JSON object`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // V8 says "... at position N" (of the header text): give it as a byte of the file too.
    const pos = /position (\d+)/.exec(msg);
    const at = pos ? `, near byte ${8 + Number(pos[1])} of the file` : ` (header bytes 8-${8 + n - 1})`;
    bad(`header is not valid UTF-8 JSON${at}: ${msg}`, { offset: pos ? 8 + Number(pos[1]) : 8 });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) bad('header JSON is not an object');

  const dataStart = 8 + n;
  const dataLen = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') bad(`__metadata__.${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof raw !== 'object' || raw === null) bad(`tensor ${name}: entry is not an object`, { tensor: name });
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
      bad(`tensor ${name}: unsupported dtype ${JSON.stringify(e.dtype)}`, { tensor: name });
    }
    const dtype = e.dtype as SafetensorsDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      bad(`tensor ${name}: shape ${JSON.stringify(e.shape)} is not a list of non-negative integers`, { tensor: name });
    }
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[1] < off[0]) {
      bad(`tensor ${name}: data_offsets ${JSON.stringify(off)} is not [begin, end] with 0 <= begin <= end`, { tensor: name });
    }
    const [b, en] = off as [number, number];
    const expected = shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[dtype];
    if (en - b !== expected) {
      bad(`tensor ${name}: shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets span ${en - b}`, {
        tensor: name,
      });
    }
    if (en > dataLen) {
      bad(`tensor ${name}: data_offsets [${b}, ${en}] (file bytes ${dataStart + b}-${dataStart + en}) run past the ${dataLen} data bytes (truncated file?)`, { tensor: name, offset: dataStart + b });
    }
    entries.push({ name, dtype, shape, begin: dataStart + b, end: dataStart + en });
  }
  // The byte buffer must be covered exactly once: sorted spans neither overlap nor leave holes.
  const sorted = entries.slice().sort((x, y) => x.begin - y.begin || x.end - y.end);
  let pos = dataStart;
  for (const e of sorted) {
    if (e.begin < pos) bad(`tensor ${e.name} (file bytes ${e.begin}-${e.end}) overlaps the previous tensor's bytes (which end at ${pos})`, { tensor: e.name, offset: e.begin });
    if (e.begin > pos) bad(`${e.begin - pos} unused bytes before tensor ${e.name} (file bytes ${pos}-${e.begin})`, { tensor: e.name, offset: pos });
    pos = e.end;
  }
  if (pos !== bytes.byteLength) bad(`${bytes.byteLength - pos} bytes after the last tensor are not described by the header`);
  return { metadata, entries, bytes };
}

/** IEEE half -> float. */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** The tensor's values as float32 (a fresh array). */
export function tensorToFloat32(file: SafetensorsFile, e: SafetensorsEntry): Float32Array {
  const { bytes } = file;
  const count = (e.end - e.begin) / DTYPE_BYTES[e.dtype];
  if (e.dtype === 'F32' && LITTLE_ENDIAN_HOST) {
    // Copy the bytes into an aligned buffer: bit-exact, and the offset may be unaligned.
    // Uint8Array's slice copies; a Node Buffer's slice is a view of the whole file: copy explicitly.
    return new Float32Array(Uint8Array.prototype.slice.call(bytes, e.begin, e.end).buffer);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + e.begin, e.end - e.begin);
  const out = new Float32Array(count);
  const u32 = new Uint32Array(1);
  const f32 = new Float32Array(u32.buffer);
  for (let i = 0; i < count; i++) {
    switch (e.dtype) {
      case 'F32': out[i] = dv.getFloat32(4 * i, true); break;
      case 'F64': out[i] = dv.getFloat64(8 * i, true); break;
      case 'F16': out[i] = halfToFloat(dv.getUint16(2 * i, true)); break;
      case 'BF16':
        // bfloat16 is the top half of a float32.
        u32[0] = dv.getUint16(2 * i, true) << 16;
        out[i] = f32[0];
        break;
      case 'I64': out[i] = Number(dv.getBigInt64(8 * i, true)); break;
      case 'I32': out[i] = dv.getInt32(4 * i, true); break;
      case 'I16': out[i] = dv.getInt16(2 * i, true); break;
      case 'I8': out[i] = dv.getInt8(i); break;
      case 'U8': case 'BOOL': out[i] = dv.getUint8(i); break;
    }
  }
  return out;
}

export interface TensorToWrite {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Writes F32 tensors in the given order; the header is padded with spaces to a multiple of
 * 8 bytes (as the reference writer does) so tensor data is aligned.
 */
export function writeSafetensors(tensors: TensorToWrite[], metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new CheckpointError(`safetensors: duplicate tensor name ${t.name}`, { tensor: t.name });
    seen.add(t.name);
    const size = t.shape.reduce((a, d) => a * d, 1);
    if (size !== t.data.length) {
      throw new CheckpointError(`safetensors: tensor ${t.name} has ${t.data.length} values for shape [${t.shape.join(', ')}]`, {
        tensor: t.name,
      });
    }
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * size] };
    offset += 4 * size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const t of tensors) {
    const src = LITTLE_ENDIAN_HOST ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) : null;
    if (src) out.set(src, pos);
    else {
      const dv = new DataView(out.buffer, pos, t.data.byteLength);
      t.data.forEach((v, i) => dv.setFloat32(4 * i, v, true));
    }
    pos += t.data.byteLength;
  }
  return out;
}
