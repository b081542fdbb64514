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
/** Bytes known ahead (ByteOutput.raw): little-endian u32 words, then the last 0-3 bytes. */
export interface Constant {
  length: number;
  words: Uint32Array;
  tail: Uint8Array;
}

/** `s` as UTF-8, ready for ByteOutput.raw. */
export function constant(s: string): Constant {
  const b = Buffer.from(s, 'utf8');
  const n = b.length >> 2;
  const words = new Uint32Array(n);
  for (let i = 0; i < n; i++) words[i] = b.readUInt32LE(4 * i);
  return { length: b.length, words, tail: Uint8Array.from(b.subarray(4 * n)) };
}

/** A growable output of bytes; `bytes` holds [0, length). */
export class ByteOutput {
  bytes: Buffer;
  /** The same bytes, to write two hex digits with one store. */
  #view: DataView;
  length = 0;

  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(capacity);
    this.#view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.length + n));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
    this.#view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /** Bytes that are known (a line's fixed parts), four at a time: set() and a loop a byte at a time were a fifth of a dump. */
  raw(c: Constant): void {
    const words = c.words;
    this.reserve(c.length);
    const view = this.#view;
    let p = this.length;
    for (let i = 0; i < words.length; i++, p += 4) view.setUint32(p, words[i]!, true);
    const tail = c.tail;
    const out = this.bytes;
    for (let i = 0; i < tail.length; i++) out[p++] = tail[i]!;
    this.length = p;
  }

  /** A string as UTF-8 (rare text: the generic lines, names). */
  text(s: string): void {
    this.reserve(3 * s.length);
    this.length += this.bytes.write(s, this.length, 'utf8');
  }

  /** A non-negative integer, or any number as String() writes it. */
  number(n: number): void {
    if (!(n >= 0 && n < 1e8 && Number.isInteger(n))) {
      this.text(String(n));
      return;
    }
    this.reserve(8);
    if (n < 10000) {
      this.#upTo4Digits(n);
      return;
    }
    // Four digits at a time: a dump writes ~10M numbers, and a digit at a time was its largest item.
    const high = (n / 10000) | 0;
    this.#upTo4Digits(high);
    this.#view.setUint32(this.length, DIGITS4[n - high * 10000]!, true);
    this.length += 4;
  }

  /** n < 10000, without leading zeros. */
  #upTo4Digits(n: number): void {
    const packed = DIGITS4[n]!;
    const out = this.bytes;
    let p = this.length;
    if (n >= 1000) out[p++] = packed & 0xff;
    if (n >= 100) out[p++] = (packed >>> 8) & 0xff;
    if (n >= 10) out[p++] = (packed >>> 16) & 0xff;
    out[p++] = packed >>> 24;
    this.length = p;
  }

  /** bytes[from, to) as lowercase hex. */
  hex(bytes: Uint8Array, from: number, to: number): void {
    this.reserve(2 * (to - from));
    const view = this.#view;
    let p = this.length;
    for (let i = from; i < to; i++, p += 2) view.setUint16(p, HEX_PAIRS[bytes[i]!]!, true);
    this.length = p;
  }

  /**
   * bytes[from, to), valid UTF-8, as the JSON string JSON.stringify()
   * makes of its text: quotes, backslashes and C0 controls escaped,
   * everything else as it is (UTF-8 in, UTF-8 out).
   */
  jsonString(bytes: Uint8Array, from: number, to: number): void {
    this.reserve(2 + 6 * (to - from));
    const out = this.bytes;
    let p = this.length;
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
        // \u00XX, as JSON.stringify writes the other controls.
        out[p++] = 0x75;
        out[p++] = 0x30;
        out[p++] = 0x30;
        out[p++] = HEX[b >> 4]!;
        out[p++] = HEX[b & 15]!;
      }
    }
    out[p++] = QUOTE;
    this.length = p;
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

/** keyJson(showKey(key)) for the key bytes[from, to): `,"key":"..."` or `,"keyHex":"..."`. */
export function writeKey(out: ByteOutput, bytes: Uint8Array, from: number, to: number): void {
  if (validUtf8Up(bytes, from, to) === to && !hasUnprintable(bytes, from, to)) {
    out.raw(KEY);
    out.jsonString(bytes, from, to);
  } else {
    out.raw(KEY_HEX);
    out.hex(bytes, from, to);
    out.reserve(1);
    out.bytes[out.length++] = QUOTE;
  }
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

/** valueJson(showValue(value, encoding, mode)) for the value bytes[from, to). */
export function writeValue(out: ByteOutput, bytes: Uint8Array, from: number, to: number, encoding: ValueEncoding, mode: ValuesMode): void {
  if (mode === 'none') return;
  const size = to - from;
  const limit = mode === 'full' ? size : PREVIEW_BYTES;
  let cut = utf8Cut(bytes, from, to, limit);
  const hex = !((encoding === ValueEncoding.Utf8 || encoding === ValueEncoding.Json) && validUtf8Up(bytes, from, cut) === cut);
  if (!hex) {
    out.raw(VALUE);
    out.jsonString(bytes, from, cut);
  } else {
    cut = from + Math.min(size, limit);
    out.raw(VALUE_HEX);
    out.hex(bytes, from, cut);
  }
  // The hex form's closing quote with what follows: one constant fewer a line.
  out.raw(hex ? HEX_END_VALUE_SIZE : VALUE_SIZE);
  out.number(size);
  if (cut < to) out.raw(VALUE_TRUNCATED);
}
