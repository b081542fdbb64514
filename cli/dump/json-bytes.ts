// Keys, values and numbers written as JSON text straight into a byte
// buffer, with the very text format-value.ts and render.ts give through
// strings (test/cli/dump-json-bytes.test.ts holds them equal): a key is
// shown as text when its bytes are valid UTF-8 with nothing unprintable,
// else as hex; a value by its file's value encoding and the --values mode.
//
// Why bytes: kvtool dump --json of 1M records made a string per key, per
// value, per number and per line, joined them and encoded them again for
// stdout, and that was nearly all of its 4.5 s (profiled: GC 18%, string
// joins 11%, hexSlice, isUtf8, subarray, slice ...).

import { ValueEncoding } from '../../src/formats/limits.js';
import { PREVIEW_BYTES, type ValuesMode } from '../format-value.js';

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Two hex digits per byte value, as one little-endian u16 (the first digit in the low byte). */
const HEX_PAIRS = new Uint16Array(256);
for (let b = 0; b < 256; b++) HEX_PAIRS[b] = HEX[b >> 4]! | (HEX[b & 15]! << 8);
/** 0000 .. 9999 as four ASCII digits, one little-endian u32 each (the first digit in the low byte). */
const DIGITS4 = new Uint32Array(10000);
for (let n = 0; n < 10000; n++) {
  const d = [Math.floor(n / 1000), Math.floor(n / 100) % 10, Math.floor(n / 10) % 10, n % 10].map((x) => 0x30 + x);
  DIGITS4[n] = (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
}
/**
 * Bytes known ahead (putConstant): as little-endian u32 words, the last
 * one padded with zeros (written past the constant's end and then over by
 * what follows: a line's writer reserves room for it), and as bytes, for a
 * long one.
 */
export interface Constant {
  length: number;
  words: Uint32Array;
  bytes: Uint8Array;
}

/**
 * From this many bytes a constant is copied with one TypedArray#set (a
 * memmove: ~22 ns for a line's 80-byte start, against ~60 ns for a store
 * of each word); shorter ones a word at a time (~10 ns for 12 bytes,
 * against ~25 ns for set's call). Measured on this machine, Node 20.
 */
const COPY_FROM = 32;

/** `s` as UTF-8, ready for putConstant. */
export function constant(s: string): Constant {
  const b = Buffer.from(s, 'utf8');
  const padded = Buffer.alloc((b.length + 3) & ~3);
  b.copy(padded);
  const words = new Uint32Array(padded.length >> 2);
  for (let i = 0; i < words.length; i++) words[i] = padded.readUInt32LE(4 * i);
  return { length: b.length, words, bytes: Uint8Array.from(b) };
}

/** A growable output of bytes; `bytes` holds [0, length). */
export class ByteOutput {
  bytes: Buffer;
  /** The same bytes, to write two hex digits (or four digits of a number) with one store. */
  view: DataView;
  length = 0;

  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(capacity);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.length + n));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /** A string as UTF-8 (rare text: the generic lines, names). */
  text(s: string): void {
    this.reserve(3 * s.length);
    this.length += this.bytes.write(s, this.length, 'utf8');
  }
}

/** The escapes JSON.stringify writes with one letter. */
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72, [QUOTE]: QUOTE, [BACKSLASH]: BACKSLASH };

/**
 * Where the longest valid UTF-8 prefix of bytes[from, to) ends: `to` when
 * all of it is valid (the rules of Unicode's table 3-7: no overlong form,
 * no surrogate, nothing past U+10FFFF), as node:buffer's isUtf8 decides.
 */
export function validUtf8Up(bytes: Uint8Array, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return i;
    // A sequence cut short by the end.
    if (i + n >= to) return i;
    const c = bytes[i + 1]!;
    if (c < lo || c > hi) return i;
    for (let k = 2; k <= n; k++) {
      const d = bytes[i + k]!;
      if (d < 0x80 || d > 0xbf) return i;
    }
    i += n + 1;
  }
  return to;
}

/**
 * Whether valid UTF-8 in bytes[from, to) holds a character showKey()
 * calls unprintable: a C0 or C1 control, DEL, or U+2028 / U+2029.
 */
export function hasUnprintable(bytes: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    if (b < 0x20 || b === 0x7f) return true;
    // C1 controls are U+0080..U+009F: C2 80..C2 9F.
    if (b === 0xc2 && bytes[i + 1]! <= 0x9f) return true;
    // U+2028 and U+2029: E2 80 A8, E2 80 A9.
    if (b === 0xe2 && bytes[i + 1] === 0x80 && (bytes[i + 2] === 0xa8 || bytes[i + 2] === 0xa9)) return true;
  }
  return false;
}

const KEY = constant(',"key":');
const KEY_HEX = constant(',"keyHex":"');
const VALUE = constant(',"value":');
const VALUE_HEX = constant(',"valueHex":"');
const HEX_END_VALUE_SIZE = constant('","valueSize":');
const VALUE_SIZE = constant(',"valueSize":');
const VALUE_TRUNCATED = constant(',"valueTruncated":true');

/** Where to cut bytes[from, to) to at most `max` bytes without splitting a UTF-8 sequence (format-value.ts utf8Cut). */
function utf8Cut(bytes: Uint8Array, from: number, to: number, max: number): number {
  if (to - from <= max) return to;
  let cut = from + max;
  while (cut > from && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return cut;
}

// Cursor writes: bytes at `p` of `out` (`view` over the same bytes), the
// next position returned. A line's writer reserves room for its longest
// form once and then writes it with these, without a check or a field
// store per piece (the line writers were ~60% of a dump, profiled).

/** A constant at p. */
export function putConstant(out: Uint8Array, view: DataView, p: number, c: Constant): number {
  if (c.length >= COPY_FROM) {
    out.set(c.bytes, p);
    return p + c.length;
  }
  const words = c.words;
  for (let i = 0; i < words.length; i++) view.setUint32(p + 4 * i, words[i]!, true);
  return p + c.length;
}

/** n < 10000 without leading zeros; stores 4 bytes (the ones past the digits are written over next). */
function putUpTo4Digits(view: DataView, p: number, n: number): number {
  const digits = n >= 100 ? (n >= 1000 ? 4 : 3) : n >= 10 ? 2 : 1;
  view.setUint32(p, DIGITS4[n]! >>> (32 - 8 * digits), true);
  return p + digits;
}

/** Longest text putNumber() writes for a number a reader gives (an integer up to 2^53: 16 digits), with the room its word stores need. */
export const NUMBER_ROOM = 24;

/** A non-negative integer (any number, as String() writes it); stores up to NUMBER_ROOM bytes. */
export function putNumber(out: Buffer, view: DataView, p: number, n: number): number {
  if (n >= 0 && n < 10000 && (n | 0) === n) return putUpTo4Digits(view, p, n);
  if (!(n >= 0 && n < 1e8 && Number.isInteger(n))) return p + out.write(String(n), p, 'latin1');
  const high = (n / 10000) | 0;
  p = putUpTo4Digits(view, p, high);
  view.setUint32(p, DIGITS4[n - high * 10000]!, true);
  return p + 4;
}

/** bytes[from, to) as lowercase hex, four digits a store. */
export function putHex(view: DataView, p: number, bytes: Uint8Array, from: number, to: number): number {
  let i = from;
  for (; i + 1 < to; i += 2, p += 4) view.setUint32(p, HEX_PAIRS[bytes[i]!]! | (HEX_PAIRS[bytes[i + 1]!]! << 16), true);
  if (i < to) {
    view.setUint16(p, HEX_PAIRS[bytes[i]!]!, true);
    p += 2;
  }
  return p;
}

/** A u32 as 8 hex digits, most significant first (a slot's hash). */
export function putHex32(view: DataView, p: number, n: number): number {
  view.setUint32(p, HEX_PAIRS[n >>> 24]! | (HEX_PAIRS[(n >>> 16) & 0xff]! << 16), true);
  view.setUint32(p + 4, HEX_PAIRS[(n >>> 8) & 0xff]! | (HEX_PAIRS[n & 0xff]! << 16), true);
  return p + 8;
}

/** The most bytes jsonString() and putKey() write for `n` bytes of input (a control as \u00XX), with the quotes. */
export function escapedRoom(n: number): number {
  return 6 * n + 16;
}

/**
 * bytes[from, to), valid UTF-8, at p as the JSON string JSON.stringify()
 * makes of its text: quotes, backslashes and C0 controls escaped,
 * everything else as it is (UTF-8 in, UTF-8 out).
 */
export function putJsonString(out: Uint8Array, p: number, bytes: Uint8Array, from: number, to: number): number {
  out[p++] = QUOTE;
  for (let i = from; i < to; i++) {
    const b = bytes[i]!;
    if (b >= 0x20 && b !== QUOTE && b !== BACKSLASH) {
      out[p++] = b;
      continue;
    }
    out[p++] = BACKSLASH;
    const short = SHORT_ESCAPES[b];
    if (short !== undefined) out[p++] = short;
    else {
      out[p++] = 0x75;
      out[p++] = 0x30;
      out[p++] = 0x30;
      out[p++] = HEX[b >> 4]!;
      out[p++] = HEX[b & 15]!;
    }
  }
  out[p++] = QUOTE;
  return p;
}

/**
 * keyJson(showKey(key)) for the key bytes[from, to), at p: `,"key":"..."`
 * or `,"keyHex":"..."`. Room: escapedRoom(to - from) + KEY_VALUE_ROOM.
 */
export function putKey(out: Uint8Array, view: DataView, p: number, bytes: Uint8Array, from: number, to: number): number {
  if (validUtf8Up(bytes, from, to) === to && !hasUnprintable(bytes, from, to)) {
    p = putConstant(out, view, p, KEY);
    return putJsonString(out, p, bytes, from, to);
  }
  p = putConstant(out, view, p, KEY_HEX);
  p = putHex(view, p, bytes, from, to);
  out[p++] = QUOTE;
  return p;
}

/** The fixed text putKey() and putValue() add around a key or value, at most, with NUMBER_ROOM. */
export const KEY_VALUE_ROOM = 128 + NUMBER_ROOM;

/** How many bytes of a value of `size` bytes putValue() shows. */
export function shownValueBytes(size: number, mode: ValuesMode): number {
  return mode === 'none' ? 0 : mode === 'full' ? size : Math.min(size, PREVIEW_BYTES);
}

/**
 * valueJson(showValue(value, encoding, mode)) for the value bytes[from, to),
 * at p. Room: escapedRoom(shownValueBytes()) + KEY_VALUE_ROOM.
 */
export function putValue(out: Buffer, view: DataView, p: number, bytes: Uint8Array, from: number, to: number, encoding: ValueEncoding, mode: ValuesMode): number {
  if (mode === 'none') return p;
  const size = to - from;
  const limit = mode === 'full' ? size : PREVIEW_BYTES;
  let cut = utf8Cut(bytes, from, to, limit);
  const hex = !((encoding === ValueEncoding.Utf8 || encoding === ValueEncoding.Json) && validUtf8Up(bytes, from, cut) === cut);
  if (!hex) {
    p = putConstant(out, view, p, VALUE);
    p = putJsonString(out, p, bytes, from, cut);
  } else {
    cut = from + Math.min(size, limit);
    p = putConstant(out, view, p, VALUE_HEX);
    p = putHex(view, p, bytes, from, cut);
  }
  p = putConstant(out, view, p, hex ? HEX_END_VALUE_SIZE : VALUE_SIZE);
  p = putNumber(out, view, p, size);
  if (cut < to) p = putConstant(out, view, p, VALUE_TRUNCATED);
  return p;
}
