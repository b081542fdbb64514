// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), slicing-by-16.
// The fallback when no native implementation loads, and the one for short
// inputs (a record, a header), where a native call costs more than the
// loop. Sixteen bytes a step, read as four little-endian words through a
// DataView of the input's ArrayBuffer (making one costs ~65 ns: one is
// kept for the last small buffer seen, and a caller computing many over
// one buffer passes its own, crc32cJsView): measured on
// 128-byte ranges, Node 20 on this machine, 77 ns a record against 164 ns
// for slicing-by-8 with byte loads (issue 17: a bulk load computes a
// million of these).

export const POLY = 0x82f63b78;

function makeTables(): Int32Array {
  const t = new Int32Array(16 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 16; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/** Sixteen tables of 256: table k advances the register over a byte followed by k zero bytes (crc32c-fold.ts uses the first four). */
export const T = makeTables();

/** Buffers up to this size keep their view for the next call (a get's record buffer, 4 KiB): a kept view holds its buffer alive. */
const KEEP_VIEW_MAX = 64 * 1024;
let viewed: ArrayBufferLike | undefined;
let view: DataView | undefined;

/** A DataView of `buffer` whole: the one made last, when it is for the same buffer. */
function viewOf(buffer: ArrayBufferLike): DataView {
  if (buffer === viewed && view !== undefined) return view;
  const made = new DataView(buffer);
  if (buffer.byteLength <= KEEP_VIEW_MAX) {
    view = made;
    viewed = buffer;
  }
  return made;
}

/** CRC-32C of `data`, continuing from `crc` (the CRC of the bytes before). */
export function crc32cJs(data: Uint8Array, crc = 0): number {
  return crc32cJsRange(data, 0, data.length, crc);
}

/** CRC-32C of data[start, end), without making a view of it. */
export function crc32cJsRange(data: Uint8Array, start: number, end: number, crc = 0): number {
  const buffer = data.buffer;
  // A short range of a large buffer (a record read in a 1 MiB window) would pay for a view of its own more than the loads it saves.
  if (end - start < 16 || (buffer !== viewed && buffer.byteLength > KEEP_VIEW_MAX && end - start < 512)) return bytewise(data, start, end, crc);
  const base = data.byteOffset;
  return crc32cJsView(viewOf(buffer), base + start, base + end, crc);
}

/**
 * CRC-32C of the bytes [start, end) of `dv`'s buffer (positions in the
 * DataView), for a caller that computes many over one buffer it holds a
 * view of (encoded-batch.ts): no view is made or kept.
 */
export function crc32cJsView(dv: DataView, start: number, end: number, crc = 0): number {
  let c = ~crc;
  let i = start;
  const end16 = end - ((end - start) & 15);
  while (i < end16) {
    const a = dv.getInt32(i, true) ^ c;
    const b = dv.getInt32(i + 4, true);
    const d = dv.getInt32(i + 8, true);
    const e = dv.getInt32(i + 12, true);
    c =
      T[3840 + (a & 0xff)]! ^
      T[3584 + ((a >>> 8) & 0xff)]! ^
      T[3328 + ((a >>> 16) & 0xff)]! ^
      T[3072 + (a >>> 24)]! ^
      T[2816 + (b & 0xff)]! ^
      T[2560 + ((b >>> 8) & 0xff)]! ^
      T[2304 + ((b >>> 16) & 0xff)]! ^
      T[2048 + (b >>> 24)]! ^
      T[1792 + (d & 0xff)]! ^
      T[1536 + ((d >>> 8) & 0xff)]! ^
      T[1280 + ((d >>> 16) & 0xff)]! ^
      T[1024 + (d >>> 24)]! ^
      T[768 + (e & 0xff)]! ^
      T[512 + ((e >>> 8) & 0xff)]! ^
      T[256 + ((e >>> 16) & 0xff)]! ^
      T[e >>> 24]!;
    i += 16;
  }
  while (i < end) c = T[(c ^ dv.getUint8(i++)) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** Slicing-by-8 with byte loads: no view needed. */
function bytewise(data: Uint8Array, start: number, end: number, crc: number): number {
  let c = ~crc;
  let i = start;
  const end8 = end - ((end - start) & 7);
  while (i < end8) {
    const a = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) ^ c;
    c =
      T[1792 + (a & 0xff)]! ^
      T[1536 + ((a >>> 8) & 0xff)]! ^
      T[1280 + ((a >>> 16) & 0xff)]! ^
      T[1024 + (a >>> 24)]! ^
      T[768 + data[i + 4]!]! ^
      T[512 + data[i + 5]!]! ^
      T[256 + data[i + 6]!]! ^
      T[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) c = T[(c ^ data[i++]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
