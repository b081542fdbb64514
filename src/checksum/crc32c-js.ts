// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-8.
// The fallback when no native implementation loads; DESIGN measured it at
// 1.5 GB/s on 116-byte records, close to native for small inputs.

const POLY = 0x82f63b78;

function makeTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
}

const T = makeTables();

/** CRC-32C of `data`, continuing from `crc` (the CRC of the bytes before). */
export function crc32cJs(data: Uint8Array, crc = 0): number {
  return crc32cJsRange(data, 0, data.length, crc);
}

/** CRC-32C of data[start, end), without making a view of it. */
export function crc32cJsRange(data: Uint8Array, start: number, end: number, crc = 0): number {
  let c = ~crc >>> 0;
  let i = start;
  const n = end;
  const end8 = n - ((n - start) % 8);
  while (i < end8) {
    const a = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) ^ c;
    c =
      T[7 * 256 + (a & 0xff)]! ^
      T[6 * 256 + ((a >>> 8) & 0xff)]! ^
      T[5 * 256 + ((a >>> 16) & 0xff)]! ^
      T[4 * 256 + (a >>> 24)]! ^
      T[3 * 256 + data[i + 4]!]! ^
      T[2 * 256 + data[i + 5]!]! ^
      T[256 + data[i + 6]!]! ^
      T[data[i + 7]!]!;
    i += 8;
  }
  while (i < n) c = T[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
