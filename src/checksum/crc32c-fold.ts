// The record CRCs of a batch checked all at once, from the batch's own
// CRC: a fold over the records that costs a few table reads a record
// instead of a CRC of each record's bytes.
//
// Why it holds. CRC-32C's register update is linear over GF(2): after
// bytes T from register s it is shift(s, |T|) ^ R(0, T), where shift(s, n)
// is s times x^(8n) modulo the polynomial (n zero bytes). A record is its
// stored CRC C (4 bytes) and then the bytes T that C is the CRC of. If C
// is right, R(~0, T) = ~C, so the register after the record is known
// without reading T:
//
//   s1 = R(s, C)                  (4 bytes: one slicing-by-4 step)
//   s2 = shift(s1 ^ ~0, |T|) ^ ~C
//
// Folding every record this way from the register after the batch
// header gives what the batch CRC would be if every record CRC were
// right. The batch CRC was computed over the real bytes (natively, for a
// large batch); the two differ by shift(e, k) for a record whose CRC is
// off by e, k bytes before the batch's end, and multiplying by x^k mod a
// polynomial with a constant term never maps a non-zero e to 0: one wrong
// record CRC always shows. Several wrong ones show unless their shifted
// errors cancel exactly (2^-32, the strength of the batch CRC itself). A
// batch whose fold does not match is checked record by record to name the
// record, so what a reader reports is unchanged.
//
// shift() by a given length is a linear map of 32 bits: four tables of
// 256 entries, made from the 32 images of single bits (a few µs) and kept
// for the lengths met first (records of one size are the common case; a
// batch with a length not kept is checked record by record).

// One byte step's slicing-by-4 tables are crc32c-js.ts's first four.
import { POLY, T } from './crc32c-js.js';

/** a·b modulo the CRC-32C polynomial, both reflected (bit 31 is x^0): zlib's multmodp. */
function multiplyModP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if ((a & m) !== 0) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^(2^k) mod P, k = 0..31. */
const X2N = new Uint32Array(32);
{
  let p = 0x40000000; // x^1
  X2N[0] = p;
  for (let k = 1; k < 32; k++) X2N[k] = p = multiplyModP(p, p);
}

/** x^(8n) mod P: what shifting a register over n zero bytes multiplies it by. */
function xPow8n(n: number): number {
  let p = 0x80000000; // x^0
  // n bytes are 8n bits: bit j of n stands for x^(2^(j + 3)).
  for (let k = 3; n > 0; n = Math.floor(n / 2), k++) if (n % 2 === 1) p = multiplyModP(X2N[k & 31]!, p);
  return p;
}

/** Lengths whose shift tables are kept (4 KiB each). */
const MAX_TABLES = 64;
const tables = new Map<number, Int32Array>();

/**
 * The four 256-entry tables of shift(·, n), or undefined when too many
 * lengths have tables already (`always`: made and kept anyway, for a
 * length a format fixes).
 */
export function shiftTable(n: number, always = false): Int32Array | undefined {
  const kept = tables.get(n);
  if (kept !== undefined || (tables.size >= MAX_TABLES && !always)) return kept;
  const x = xPow8n(n);
  const images = new Int32Array(32);
  for (let bit = 0; bit < 32; bit++) images[bit] = multiplyModP(x, (1 << bit) >>> 0);
  const t = new Int32Array(1024);
  for (let k = 0; k < 4; k++) {
    for (let b = 1; b < 256; b++) {
      const low = b & -b;
      t[k * 256 + b] = t[k * 256 + (b ^ low)]! ^ images[8 * k + 31 - Math.clz32(low)]!;
    }
  }
  tables.set(n, t);
  return t;
}

/** The register after 4 bytes whose XOR with the register before is `a`: one slicing-by-4 step. */
function step4(a: number): number {
  return T[768 + (a & 0xff)]! ^ T[512 + ((a >>> 8) & 0xff)]! ^ T[256 + ((a >>> 16) & 0xff)]! ^ T[a >>> 24]!;
}

/** shift(z, n), with `shift` the tables shiftTable(n) made. */
function shifted(z: number, shift: Int32Array): number {
  return shift[z & 0xff]! ^ shift[256 + ((z >>> 8) & 0xff)]! ^ shift[512 + ((z >>> 16) & 0xff)]! ^ shift[768 + (z >>> 24)]!;
}

/**
 * The register after a record whose stored CRC is `crc` (u32) and whose
 * CRC'd bytes are as many as `shift` (shiftTable()) is for, from register
 * `s`, assuming `crc` is right.
 */
export function foldRecord(s: number, crc: number, shift: Int32Array): number {
  return shifted(~step4(s ^ crc), shift) ^ ~crc;
}

/** The register a CRC-32C of `crc` stands for (and back: the CRC of a register is ~register). */
export function registerOf(crc: number): number {
  return ~crc;
}

/** The CRC-32C a register gives. */
export function crcOfRegister(s: number): number {
  return ~s >>> 0;
}

/**
 * The CRC-32C of `count` blocks, each `length` bytes followed by their
 * own CRC-32C (little-endian), run together, when every block's CRC is
 * right (a segment index's slots: formats/segment_index.ksy). A block whose CRC is right leaves the
 * register at a value that depends on the register before it only (the
 * bytes and their CRC cancel: from register s, the data gives
 * shift(s ^ ~0) ^ ~crc, and the CRC's 4 bytes then turn it into
 * step4(shift(s ^ ~0) ^ ~0)), so this is a constant of (count, length);
 * a CRC over the real blocks that differs from it has a wrong block CRC
 * in it (one always shows, as for foldRecord()).
 */
export function crcOfSelfCheckedBlocks(count: number, length: number): number {
  const shift = shiftTable(length, true)!;
  let s = -1;
  for (let k = 0; k < count; k++) {
    s = step4(~shifted(~s, shift));
  }
  return crcOfRegister(s);
}
