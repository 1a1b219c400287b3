import { describe, expect, it } from 'vitest';
import { CancelledError, CorpusFormatError } from '../../../src/core/errors';
import { readLines, scanUtf8, type Line } from '../../../src/core/data/ingest/lines';
import { bytesOf, chunked } from './helpers';

async function collect(bytes: Uint8Array, chunk: number, opts: { keepBlank?: boolean } = {}): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of readLines(chunked(bytes, chunk), { file: 'f.txt', ...opts })) out.push(l);
  return out;
}

describe('readLines', () => {
  it('splits lines identically at every chunk size, keeping multi-byte characters whole', async () => {
    // "é" is 2 bytes, "€" 3, "𝄞" 4: chunk sizes 1..9 cut each of them somewhere.
    const text = 'héllo\nprice 5€\n𝄞 clef\nlast without newline';
    const want = text.split('\n').map((t, i) => ({ line: i + 1, text: t }));
    for (let size = 1; size <= 9; size++) {
      expect(await collect(bytesOf(text), size)).toEqual(want);
    }
  });

  it('strips a BOM, drops CR before LF, skips blank lines but keeps their numbers', async () => {
    const bytes = bytesOf([0xef, 0xbb, 0xbf], 'first\r\n\r\n   \r\nsecond\r\n\nthird\r\n');
    for (const size of [1, 2, 3, 64]) {
      expect(await collect(bytes, size)).toEqual([
        { line: 1, text: 'first' },
        { line: 4, text: 'second' },
        { line: 6, text: 'third' },
      ]);
    }
    expect((await collect(bytes, 5, { keepBlank: true })).map((l) => l.line)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reports undecodable bytes with the line and byte column, and goes on', async () => {
    const bytes = bytesOf('ok one\n', 'caf', [0xe9], ' latin-1\n', 'ok three\n', 'cut ', [0xe2, 0x82], '\n');
    const lines = await collect(bytes, 4);
    expect(lines.map((l) => [l.line, l.undecodable ?? null])).toEqual([
      [1, null],
      [2, 'undecodable bytes: not valid UTF-8 at byte 4 of the line'],
      [3, null],
      [4, 'undecodable bytes: not valid UTF-8 at byte 5 of the line'],
    ]);
    expect(lines[1].text).toBe('caf\uFFFD latin-1');
  });

  it('refuses a binary file (NUL bytes or mostly undecodable) naming file and line', async () => {
    const nul = bytesOf('line one\nline two\x00\x01\x02\n');
    await expect(collect(nul, 3)).rejects.toThrow(CorpusFormatError);
    await expect(collect(nul, 3)).rejects.toMatchObject({ file: 'f.txt', line: 2 });
    // Random high bytes with no NUL: fails the undecodable-fraction check.
    const garbage = Uint8Array.from({ length: 20_000 }, (_, i) => 0x80 + ((i * 37) % 120));
    await expect(collect(garbage, 1000)).rejects.toThrow(/not UTF-8 text: \d+% of the first 8000 bytes/);
  });

  it('is cancelled between chunks', async () => {
    const signal = { aborted: false };
    const bytes = bytesOf('a\n'.repeat(10_000));
    const out: number[] = [];
    await expect(
      (async () => {
        for await (const l of readLines(chunked(bytes, 1000), { file: 'f', signal })) {
          out.push(l.line);
          if (l.line === 3) signal.aborted = true;
        }
      })(),
    ).rejects.toThrow(CancelledError);
    // The first 8000 bytes (the binary sniff window) arrive as one batch; then it stops.
    expect(out.length).toBeLessThanOrEqual(4000);
  });

  it('reports progress in bytes read', async () => {
    const seen: number[] = [];
    const bytes = bytesOf('x'.repeat(25) + '\n');
    for await (const _ of readLines(chunked(bytes, 10), { file: 'f', onBytes: (n) => seen.push(n) })) void _;
    expect(seen).toEqual([10, 20, 26]);
  });
});

describe('scanUtf8', () => {
  it('finds overlong forms, surrogates and truncated sequences', () => {
    expect(scanUtf8(bytesOf('plain ascii'))).toEqual({ first: -1, invalid: 0 });
    expect(scanUtf8(Uint8Array.from([0x41, 0xc0, 0xaf]))).toEqual({ first: 1, invalid: 2 }); // overlong "/"
    expect(scanUtf8(Uint8Array.from([0xed, 0xa0, 0x80])).first).toBe(0); // UTF-16 surrogate
    expect(scanUtf8(Uint8Array.from([0x41, 0xe2, 0x82])).first).toBe(1); // cut "€"
    expect(scanUtf8(Uint8Array.from([0x41, 0xe2, 0x82]), 0, 3, true).first).toBe(-1); // ...unless mid-stream
  });
});
