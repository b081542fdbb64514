// How kvtool shows keys and values: readable text when the bytes are text,
// hex when they are not, and a bounded preview unless asked for everything.

import { isUtf8 } from 'node:buffer';
import type { JournalValue } from '../src/formats/journal-value.js';
import { ValueEncoding } from '../src/formats/limits.js';

export type ValuesMode = 'full' | 'preview' | 'none';

/** Bytes of a value shown by `--values preview`. */
export const PREVIEW_BYTES = 64;

/** A key as shown: exactly one of `text` (valid, printable UTF-8) or `hex`. */
export type ShownKey = { text: string; hex?: undefined } | { hex: string; text?: undefined };

export interface ShownValue {
  /** text: a string to quote; json: JSON text; hex: the bytes as hex. */
  form: 'text' | 'json' | 'hex';
  /** The (possibly cut) content, in the form above. */
  data: string;
  /** Size of the whole value in bytes (of its JSON text for journal values). */
  size: number;
  truncated: boolean;
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
// C0 and C1 controls, DEL, and the line/paragraph separators.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const CONTROL = /[\u0000-\u001f]/;

/** The text `bytes` hold, or undefined when they are not valid UTF-8. */
function decodeUtf8(bytes: Uint8Array): string | undefined {
  // isUtf8 first: a fatal TextDecoder throws for every binary key or value, and a dump of a binary store spent half its time in those throws.
  return isUtf8(bytes) ? utf8.decode(bytes) : undefined;
}

export function hexOf(bytes: Uint8Array): string {
  // The readers' keys and values are views of a Buffer already: no second view to make for them.
  return (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('hex');
}

export function showKey(bytes: Uint8Array): ShownKey {
  const text = decodeUtf8(bytes);
  return text !== undefined && !UNPRINTABLE.test(text) ? { text } : { hex: hexOf(bytes) };
}

/** A key for a text line: a JSON string, or 0x followed by hex. */
export function keyText(k: ShownKey): string {
  return k.text !== undefined ? JSON.stringify(k.text) : `0x${k.hex}`;
}

/** Where to cut `bytes` to at most `max` bytes without splitting a UTF-8 sequence. */
function utf8Cut(bytes: Uint8Array, max: number): number {
  if (bytes.length <= max) return bytes.length;
  let cut = max;
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return cut;
}

/** Shows a record or snapshot value decoded by the file's value encoding. */
export function showValue(bytes: Uint8Array, encoding: ValueEncoding, mode: ValuesMode): ShownValue | undefined {
  if (mode === 'none') return undefined;
  const limit = mode === 'full' ? bytes.length : PREVIEW_BYTES;
  if (encoding === ValueEncoding.Utf8 || encoding === ValueEncoding.Json) {
    const cut = utf8Cut(bytes, limit);
    const text = decodeUtf8(bytes.subarray(0, cut));
    if (text !== undefined) {
      return { form: encoding === ValueEncoding.Json ? 'json' : 'text', data: text, size: bytes.length, truncated: cut < bytes.length };
    }
  }
  const cut = Math.min(bytes.length, limit);
  return { form: 'hex', data: hexOf(bytes.subarray(0, cut)), size: bytes.length, truncated: cut < bytes.length };
}

/**
 * A journal value as JSON text: bigint as a string with an `n` suffix,
 * bytes as a "0x..." string, non-finite numbers as strings.
 */
export function journalValueJson(v: JournalValue): string {
  return JSON.stringify(toJsonable(v));
}

function toJsonable(v: JournalValue): unknown {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (v instanceof Uint8Array) return `0x${hexOf(v)}`;
  if (Array.isArray(v)) return v.map(toJsonable);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    // defineProperty, so a member named "__proto__" is printed as a member.
    for (const k of Object.keys(v)) {
      Object.defineProperty(o, k, { value: toJsonable(v[k]!), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
  return v;
}

export function showJournalValue(v: JournalValue, mode: ValuesMode): ShownValue | undefined {
  if (mode === 'none') return undefined;
  const text = journalValueJson(v);
  const bytes = Buffer.from(text, 'utf8');
  const cut = mode === 'full' ? bytes.length : utf8Cut(bytes, PREVIEW_BYTES);
  return { form: 'json', data: bytes.subarray(0, cut).toString('utf8'), size: bytes.length, truncated: cut < bytes.length };
}

/** A value for a text line. JSON text is shown as is when it fits on one line. */
export function valueText(v: ShownValue): string {
  let shown: string;
  if (v.form === 'hex') shown = `0x${v.data}`;
  else if (v.form === 'json' && !CONTROL.test(v.data)) shown = v.data;
  else shown = JSON.stringify(v.data);
  return v.truncated ? `${shown}... (${v.size} bytes)` : shown;
}

/** The fields a JSON line carries for a value. */
export function valueFields(v: ShownValue | undefined): Record<string, unknown> {
  if (v === undefined) return {};
  const fields: Record<string, unknown> = v.form === 'hex' ? { valueHex: v.data } : { value: v.data };
  fields.valueSize = v.size;
  if (v.truncated) fields.valueTruncated = true;
  return fields;
}

/** The fields a JSON line carries for a key. */
export function keyFields(k: ShownKey): Record<string, unknown> {
  return k.text !== undefined ? { key: k.text } : { keyHex: k.hex };
}

/**
 * A test for `--key K`: the key's UTF-8 bytes equal K, or K is written as
 * 0x followed by hex (as keys that are not text are shown) and the key's
 * bytes equal those.
 */
export function keyMatcher(k: string): (key: Uint8Array) => boolean {
  const wanted = keyBytes(k);
  return (key) => wanted.some((w) => Buffer.compare(w, key) === 0);
}

/** The keys `--key K` names: K's UTF-8 bytes, and the bytes its hex stands for when written as 0x followed by hex. */
export function keyBytes(k: string): Buffer[] {
  const wanted: Buffer[] = [Buffer.from(k, 'utf8')];
  if (/^0x([0-9a-f]{2})*$/i.test(k)) wanted.push(Buffer.from(k.slice(2), 'hex'));
  return wanted;
}
