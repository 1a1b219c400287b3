// Streaming line splitter over byte chunks. Every corpus format the lab reads is line
// oriented (JSONL, TSV, TREC) or built on lines (CSV), so this is the one place that turns
// bytes into text: it never holds a whole file as one string, decodes each line as strict
// UTF-8 so bad bytes are reported with their line number instead of being replaced
// silently, strips a UTF-8 BOM, accepts CRLF, and refuses binary files up front.

import { CancelledError, CorpusFormatError } from '../../errors';

/** A file's bytes, in chunks (from File.stream() in the browser, fs streams in Node). */
export type ByteSource = AsyncIterable<Uint8Array>;

/** A signal-like cancel flag; AbortSignal satisfies it. */
export interface CancelSignal {
  readonly aborted: boolean;
}

export interface Line {
  /** 1-based physical line number in the file. */
  line: number;
  /** The line without its line break (and without a BOM on line 1). */
  text: string;
  /**
   * Set when the line's bytes were not valid UTF-8 (or held NUL bytes): the reason, with
   * the byte column. `text` is then a lossy decoding (U+FFFD for the bad bytes) that callers
   * must not accept as data; it is there so a CSV reader can still find record boundaries.
   */
  undecodable?: string;
}

export interface ReadLinesOptions {
  /** File name, for error messages. */
  file: string;
  /** Yield blank (whitespace-only) lines too; CSV needs them inside quoted fields. */
  keepBlank?: boolean;
  signal?: CancelSignal;
  /** Called after each chunk with the total bytes read so far. */
  onBytes?: (bytesRead: number) => void;
  /** A line longer than this many bytes is a fatal CorpusFormatError (bounds memory). */
  maxLineBytes?: number;
}

/** How many leading bytes are sniffed for binary content (as git does, 8000). */
export const SNIFF_BYTES = 8000;
/** Above this fraction of undecodable bytes in the sniffed window the file is binary. */
export const MAX_UNDECODABLE_FRACTION = 0.1;
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

export function throwIfCancelled(signal: CancelSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('Reading was cancelled.');
}

/**
 * Scans `bytes[from, to)` for UTF-8 errors. Returns the offset of the first invalid byte
 * (-1 if none) and how many bytes were invalid. With `partialEndOk`, a multi-byte sequence
 * cut by the end of the window is not an error (the window ends mid-stream).
 */
export function scanUtf8(
  bytes: Uint8Array,
  from = 0,
  to = bytes.length,
  partialEndOk = false,
): { first: number; invalid: number } {
  let first = -1;
  let invalid = 0;
  let i = from;
  while (i < to) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    // Expected continuation count and the allowed range of the first continuation byte
    // (the narrower ranges exclude overlong forms and UTF-16 surrogates).
    let need = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) [need, lo] = [2, 0xa0];
    else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) need = 2;
    else if (b === 0xed) [need, hi] = [2, 0x9f];
    else if (b === 0xf0) [need, lo] = [3, 0x90];
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else if (b === 0xf4) [need, hi] = [3, 0x8f];
    let ok = need > 0;
    let j = 1;
    for (; ok && j <= need; j++) {
      if (i + j >= to) {
        if (partialEndOk) return { first, invalid };
        ok = false;
        break;
      }
      const c = bytes[i + j];
      const [l, h] = j === 1 ? [lo, hi] : [0x80, 0xbf];
      if (c < l || c > h) ok = false;
    }
    if (ok) {
      i += need + 1;
    } else {
      if (first < 0) first = i;
      invalid++;
      i++;
    }
  }
  return { first, invalid };
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function lineOfOffset(bytes: Uint8Array, offset: number): number {
  let n = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === LF) n++;
  return n;
}

/** Compressed and archive formats, by their magic bytes (what people upload by mistake). */
const MAGIC: { bytes: number[]; name: string; hint: string }[] = [
  { bytes: [0x1f, 0x8b], name: 'a gzip file', hint: 'decompress it first (gunzip)' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], name: 'a zip archive', hint: 'unzip it and give the files inside' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], name: 'an empty zip archive', hint: 'unzip it and give the files inside' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], name: 'a zstd file', hint: 'decompress it first (unzstd)' },
  { bytes: [0x42, 0x5a, 0x68], name: 'a bzip2 file', hint: 'decompress it first (bunzip2)' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'an xz file', hint: 'decompress it first (unxz)' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], name: 'a 7-Zip archive', hint: 'extract it first' },
  { bytes: [0x50, 0x41, 0x52, 0x31], name: 'a Parquet file', hint: 'export it as JSONL, TSV or CSV' },
];

const startsWith = (head: Uint8Array, magic: readonly number[]) => head.length >= magic.length && magic.every((b, i) => head[i] === b);

/** The UTF-16 byte order a file's start shows: by its BOM, or by NULs in every other byte of ASCII text. */
function utf16Of(head: Uint8Array): string | null {
  if (startsWith(head, [0xff, 0xfe])) return 'UTF-16LE (byte order mark ff fe)';
  if (startsWith(head, [0xfe, 0xff])) return 'UTF-16BE (byte order mark fe ff)';
  const n = Math.min(head.length, 512) & ~1;
  if (n < 4) return null;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenNul++;
    if (head[i + 1] === 0) oddNul++;
  }
  const pairs = n / 2;
  if (oddNul >= 0.9 * pairs && evenNul === 0) return 'UTF-16LE without a byte order mark (a NUL after every ASCII character)';
  if (evenNul >= 0.9 * pairs && oddNul === 0) return 'UTF-16BE without a byte order mark (a NUL before every ASCII character)';
  return null;
}

/** Throws CorpusFormatError when the first bytes of a file are clearly not UTF-8 text. */
function checkNotBinary(head: Uint8Array, file: string, atEof: boolean): void {
  for (const m of MAGIC) {
    if (startsWith(head, m.bytes)) {
      const hex = m.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new CorpusFormatError(`${m.name} (magic bytes ${hex} at byte 1), not UTF-8 text: ${m.hint}`, file, 1, { magic: hex });
    }
  }
  const utf16 = utf16Of(head);
  if (utf16) {
    throw new CorpusFormatError(`${utf16} from byte 1, not UTF-8 text: save the file as UTF-8`, file, 1, { encoding: 'utf-16' });
  }
  const lf = head.indexOf(LF);
  const cr = head.indexOf(CR);
  if (cr >= 0 && lf < 0 && cr < head.length - 1) {
    // Classic Mac OS line ends: the whole file would read as one line.
    throw new CorpusFormatError(
      `lines end with a lone CR (byte ${cr + 1}; no LF in the first ${head.length} bytes): convert the line ends to LF or CRLF`,
      file,
      1,
    );
  }
  const nul = head.indexOf(0);
  if (nul >= 0) {
    throw new CorpusFormatError(
      `binary data: NUL byte at byte ${nul + 1}; expected UTF-8 text (is this a UTF-16 or compressed file?)`,
      file,
      lineOfOffset(head, nul),
    );
  }
  const { first, invalid } = scanUtf8(head, 0, head.length, !atEof);
  if (head.length > 0 && invalid / head.length > MAX_UNDECODABLE_FRACTION) {
    const pct = Math.round((100 * invalid) / head.length);
    throw new CorpusFormatError(
      `not UTF-8 text: ${pct}% of the first ${head.length} bytes are undecodable (binary file?)`,
      file,
      lineOfOffset(head, first),
    );
  }
}

/**
 * Splits a byte stream into decoded lines. Lines end at LF; a CR before the LF is dropped.
 * Blank lines are skipped (unless keepBlank) but still counted, so numbers match an editor.
 */
export async function* readLines(source: ByteSource, opts: ReadLinesOptions): AsyncGenerator<Line> {
  const { file, keepBlank = false, signal, onBytes } = opts;
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // ignoreBOM: true keeps a U+FEFF at the start of each decode call; we strip it ourselves
  // on line 1 only (the default would silently strip it from the start of every line).
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

  let lineNo = 0;
  let bytesRead = 0;
  // Bytes of the unfinished line that started in an earlier chunk.
  let carry: Uint8Array[] = [];
  let carryLen = 0;
  // Chunks held back until SNIFF_BYTES have arrived and the binary check has passed.
  let head: Uint8Array[] | null = [];
  let headLen = 0;

  const decode = (raw: Uint8Array): Line | null => {
    lineNo++;
    let bytes = raw;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (lineNo === 1 && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
      bytes = bytes.subarray(3);
    }
    const nul = bytes.indexOf(0);
    if (nul >= 0) {
      return { line: lineNo, text: lossy.decode(bytes), undecodable: `NUL byte at column ${nul + 1} (binary data)` };
    }
    let text: string;
    try {
      text = strict.decode(bytes);
    } catch {
      const { first } = scanUtf8(bytes);
      return {
        line: lineNo,
        text: lossy.decode(bytes),
        undecodable: `undecodable bytes: not valid UTF-8 at byte ${first + 1} of the line`,
      };
    }
    if (!keepBlank && text.trim() === '') return null;
    return { line: lineNo, text };
  };

  // Splits one chunk, joining with the carried partial line; returns the complete lines.
  const split = (chunk: Uint8Array): Line[] => {
    const out: Line[] = [];
    let start = 0;
    let nl = chunk.indexOf(LF);
    while (nl !== -1) {
      let raw = chunk.subarray(start, nl);
      if (carryLen > 0) {
        carry.push(raw);
        raw = concat(carry, carryLen + raw.length);
        carry = [];
        carryLen = 0;
      }
      const l = decode(raw);
      if (l) out.push(l);
      start = nl + 1;
      nl = chunk.indexOf(LF, start);
    }
    if (start < chunk.length) {
      // Copy: the producer may reuse its chunk buffer after we return.
      carry.push(chunk.slice(start));
      carryLen += chunk.length - start;
      if (carryLen > maxLineBytes) {
        throw new CorpusFormatError(
          `line is longer than ${maxLineBytes} bytes: not a line-oriented text file?`,
          file,
          lineNo + 1,
        );
      }
    }
    return out;
  };

  for await (const chunk of source) {
    throwIfCancelled(signal);
    bytesRead += chunk.length;
    onBytes?.(bytesRead);
    if (head) {
      head.push(chunk.slice());
      headLen += chunk.length;
      if (headLen < SNIFF_BYTES) continue;
      const all = concat(head, headLen);
      head = null;
      checkNotBinary(all.subarray(0, SNIFF_BYTES), file, false);
      yield* split(all);
      continue;
    }
    yield* split(chunk);
  }
  throwIfCancelled(signal);
  if (head) {
    // The whole file was shorter than the sniff window
    const all = concat(head, headLen);
    checkNotBinary(all, file, true);
    yield* split(all);
  }
  if (carryLen > 0) {
    const l = decode(concat(carry, carryLen));
    if (l) yield l;
  }
}
