// Checksums for stored checkpoints: CRC-32 per chunk (cheap, synchronous, catches any
// flipped byte in a chunk and says which one) and SHA-256 of the whole buffer through
// crypto.subtle where the context offers it (secure contexts and Node).

const CRC_TABLE = (() => {
  // IEEE 802.3 polynomial, reflected (0xEDB88320), as zlib and PNG use it.
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE) of the bytes, as an unsigned 32-bit integer. crc32("123456789") = 0xCBF43926. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** SHA-256 as lower-case hex, or null where crypto.subtle is missing (an insecure context). */
export async function sha256Hex(bytes: Uint8Array): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
