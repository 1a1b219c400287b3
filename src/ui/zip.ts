// A .zip of stored (uncompressed) entries: a browser download cannot create folders, so a
// sentence-transformers folder (1_Pooling/config.json, ...) leaves as one zip that unzips into it.
// Local headers, data, central directory, end record (APPNOTE 4.3); sizes under 4 GiB (no zip64).
import { crc32 } from '../store/checksum';

export function storedZip(files: Record<string, string | Uint8Array>, folder = ''): Uint8Array {
  const enc = new TextEncoder();
  const entries = Object.entries(files).map(([name, v]) => {
    const data = typeof v === 'string' ? enc.encode(v) : v;
    return { name: enc.encode(folder ? `${folder}/${name}` : name), data, crc: crc32(data) };
  });
  const total = entries.reduce((n, e) => n + 30 + e.name.length + e.data.length + 46 + e.name.length, 22);
  if (total > 0xffffffff) throw new RangeError('the zip would exceed 4 GiB');
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  let pos = 0;
  const offsets: number[] = [];
  const header = (e: (typeof entries)[number], central: boolean, offset: number) => {
    dv.setUint32(pos, central ? 0x02014b50 : 0x04034b50, true);
    pos += 4;
    if (central) {
      dv.setUint16(pos, 20, true); // version made by
      pos += 2;
    }
    dv.setUint16(pos, 20, true); // version needed
    dv.setUint16(pos + 2, 0x0800, true); // UTF-8 names
    dv.setUint16(pos + 4, 0, true); // stored
    dv.setUint16(pos + 6, 0, true); // time
    dv.setUint16(pos + 8, 0x21, true); // date: 1980-01-01
    dv.setUint32(pos + 10, e.crc, true);
    dv.setUint32(pos + 14, e.data.length, true);
    dv.setUint32(pos + 18, e.data.length, true);
    dv.setUint16(pos + 22, e.name.length, true);
    dv.setUint16(pos + 24, 0, true); // extra length
    pos += 26;
    if (central) {
      dv.setUint16(pos, 0, true); // comment length
      dv.setUint16(pos + 2, 0, true); // disk
      dv.setUint16(pos + 4, 0, true); // internal attributes
      dv.setUint32(pos + 6, 0, true); // external attributes
      dv.setUint32(pos + 10, offset, true);
      pos += 14;
    }
    out.set(e.name, pos);
    pos += e.name.length;
  };
  for (const e of entries) {
    offsets.push(pos);
    header(e, false, 0);
    out.set(e.data, pos);
    pos += e.data.length;
  }
  const cdStart = pos;
  entries.forEach((e, i) => header(e, true, offsets[i]));
  dv.setUint32(pos, 0x06054b50, true);
  dv.setUint16(pos + 8, entries.length, true);
  dv.setUint16(pos + 10, entries.length, true);
  dv.setUint32(pos + 12, pos - cdStart, true);
  dv.setUint32(pos + 16, cdStart, true);
  return out;
}
