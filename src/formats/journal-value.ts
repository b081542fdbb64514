// The JSON-like values a JournalStore holds, and their encoding as the
// `value` type of formats/journal.ksy.

import { LogkvError } from '../errors.js';
import type { Journal } from './kaitai.js';
import { MAX_JOURNAL_VALUE_DEPTH, MAX_VALUE_LENGTH, ValueTag } from './limits.js';

export type JournalValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | JournalValue[]
  | { [key: string]: JournalValue };

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** A growable byte buffer for encoding. */
export class ByteSink {
  buf: Buffer;
  pos = 0;
  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }
  u16(v: number): void {
    this.reserve(2);
    this.pos = this.buf.writeUInt16LE(v, this.pos);
  }
  u32(v: number): void {
    this.reserve(4);
    this.pos = this.buf.writeUInt32LE(v, this.pos);
  }
  i32(v: number): void {
    this.reserve(4);
    this.pos = this.buf.writeInt32LE(v, this.pos);
  }
  f64(v: number): void {
    this.reserve(8);
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
  result(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function isInt64Number(v: number): boolean {
  return Number.isSafeInteger(v) && !Object.is(v, -0);
}

export function writeValue(out: ByteSink, v: JournalValue, depth = 0): void {
  if (depth > MAX_JOURNAL_VALUE_DEPTH) throw new LogkvError('TOO_LARGE', `value nests deeper than ${MAX_JOURNAL_VALUE_DEPTH}`);
  if (v === null) return out.u8(ValueTag.Nil);
  if (v === false) return out.u8(ValueTag.False);
  if (v === true) return out.u8(ValueTag.True);
  if (typeof v === 'number') {
    if (isInt64Number(v)) return writeInt64(out, BigInt(v));
    out.u8(ValueTag.Float64);
    return out.f64(v);
  }
  if (typeof v === 'bigint') {
    if (v < INT64_MIN || v > INT64_MAX) throw new LogkvError('TOO_LARGE', `integer ${v} does not fit in 64 bits`);
    return writeInt64(out, v);
  }
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    checkLength(b.length);
    out.u8(ValueTag.String);
    out.u32(b.length);
    return out.bytes(b);
  }
  if (v instanceof Uint8Array) {
    checkLength(v.length);
    out.u8(ValueTag.Bytes);
    out.u32(v.length);
    return out.bytes(v);
  }
  if (Array.isArray(v)) {
    out.u8(ValueTag.Array);
    out.u32(v.length);
    for (const item of v) writeValue(out, item, depth + 1);
    return;
  }
  if (typeof v === 'object' && isPlainObject(v)) {
    const keys = Object.keys(v);
    out.u8(ValueTag.Object);
    out.u32(keys.length);
    for (const k of keys) {
      const kb = Buffer.from(k, 'utf8');
      checkLength(kb.length);
      out.u32(kb.length);
      out.bytes(kb);
      writeValue(out, v[k]!, depth + 1);
    }
    return;
  }
  throw new LogkvError('INVALID_ARGUMENT', `cannot store a value of type ${typeof v} in a journal`);
}

function isPlainObject(v: object): v is { [key: string]: JournalValue } {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function writeInt64(out: ByteSink, v: bigint): void {
  out.u8(ValueTag.Int64);
  out.u32(Number(BigInt.asUintN(32, v)));
  out.i32(Number(BigInt.asIntN(32, v >> 32n)));
}

function checkLength(n: number): void {
  if (n > MAX_VALUE_LENGTH) throw new LogkvError('TOO_LARGE', `${n} bytes is over ${MAX_VALUE_LENGTH}`);
}

type ParsedValue = InstanceType<typeof Journal.Value>;

/** Converts a value parsed by the generated parser into a JournalValue. */
export function fromParsed(p: ParsedValue, depth = 0): JournalValue {
  if (depth > MAX_JOURNAL_VALUE_DEPTH) throw new LogkvError('CORRUPT', `value nests deeper than ${MAX_JOURNAL_VALUE_DEPTH}`, { reason: 'field-range' });
  const body = p.body;
  switch (p.tag as ValueTag) {
    case ValueTag.Nil:
      return null;
    case ValueTag.False:
      return false;
    case ValueTag.True:
      return true;
    case ValueTag.Int64: {
      const i = body as InstanceType<typeof Journal.Int64>;
      const n = (BigInt(i.hi) << 32n) | BigInt(i.lo);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    case ValueTag.Float64:
      return body as number;
    case ValueTag.String:
      return (body as InstanceType<typeof Journal.StringValue>).text;
    case ValueTag.Bytes:
      return (body as InstanceType<typeof Journal.BytesValue>).data;
    case ValueTag.Array:
      return (body as InstanceType<typeof Journal.ArrayValue>).items.map((item) => fromParsed(item, depth + 1));
    case ValueTag.Object: {
      const o: { [key: string]: JournalValue } = {};
      // defineProperty, so a member named "__proto__" stays a member.
      for (const m of (body as InstanceType<typeof Journal.ObjectValue>).members) {
        Object.defineProperty(o, m.key, { value: fromParsed(m.value, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return o;
    }
  }
  throw new LogkvError('CORRUPT', `unknown value tag ${p.tag}`, { reason: 'field-range' });
}
