// fast-check generators for the content of each format, shared by the
// round-trip and corruption properties.

import fc from 'fast-check';
import {
  FrameOp,
  MAX_RECORD_SIZE,
  RECORD_FIXED_SIZE,
  type HintEntry,
  type JournalFrame,
  type JournalValue,
  type LogBatch,
  type LogRecord,
  Op,
  type SnapshotEntry,
  ValueEncoding,
} from '../../src/formats/index.js';

export const key = fc.uint8Array({ maxLength: 40 });
export const value = fc.uint8Array({ maxLength: 200 });
const timestamp = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const expiry = fc.option(timestamp, { nil: undefined });
export const valueEncoding = fc.constantFrom(ValueEncoding.Binary, ValueEncoding.Utf8, ValueEncoding.Json);

const record = fc.record({
  op: fc.constantFrom(Op.Put, Op.Delete),
  key,
  value,
  expireAtMs: expiry,
  gap: fc.nat(3),
});

/** Batches with strictly increasing offsets, some with gaps (compacted). */
export function batches(baseOffset: number) {
  return fc
    .array(fc.record({ timestampMs: timestamp, compacted: fc.boolean(), records: fc.array(record, { minLength: 1, maxLength: 6 }) }), {
      maxLength: 8,
    })
    .map((raw) => {
      let next = baseOffset;
      return raw.map((b): LogBatch => {
        const base = next;
        let delta = -1;
        const records = b.records.map((r): LogRecord => {
          delta += 1 + (b.compacted ? r.gap : 0);
          return { op: r.op, offsetDelta: delta, key: r.key, value: r.op === Op.Delete ? new Uint8Array(0) : r.value, expireAtMs: r.expireAtMs };
        });
        next = base + delta + 1 + (b.compacted ? 2 : 0);
        return { baseOffset: base, timestampMs: b.timestampMs, compacted: b.compacted, records };
      });
    });
}

const uniqueKeys = (maxLength: number) =>
  fc.uniqueArray(key, { maxLength, selector: (k) => Buffer.from(k).toString('hex') });

export const hintEntries = uniqueKeys(30).chain((keys) =>
  fc.tuple(
    ...keys.map((k) =>
      fc.record({
        offset: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        position: fc.integer({ min: 0, max: 0xffffffff }),
        size: fc.integer({ min: RECORD_FIXED_SIZE, max: MAX_RECORD_SIZE }),
        tombstone: fc.boolean(),
        expireAtMs: expiry,
      }).map((e): HintEntry => ({ key: k, ...e })),
    ),
  ),
);

export const snapshotEntries = uniqueKeys(40).chain((keys) => {
  const sorted = [...keys].sort(Buffer.compare);
  return fc.tuple(
    ...sorted.map((k) =>
      fc
        .record({ value: fc.uint8Array({ maxLength: 3000 }), offset: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), expireAtMs: expiry })
        .map((e): SnapshotEntry => ({ key: k, ...e })),
    ),
  );
});

const leaf: fc.Arbitrary<JournalValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 2 ** 53 - 1, -(2 ** 53) + 1),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((b) => b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.uint8Array({ maxLength: 20 }),
);

export const journalValue: fc.Arbitrary<JournalValue> = fc.letrec<{ v: JournalValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;

export function journalFrames(generation: number) {
  return fc.array(
    fc.oneof(
      fc
        .array(fc.record({ key: fc.string({ unit: 'grapheme', maxLength: 12 }), value: journalValue }), { minLength: 1, maxLength: 4 })
        .map((entries): JournalFrame => ({ generation, op: FrameOp.Set, entries })),
      fc.constant<JournalFrame>({ generation, op: FrameOp.Clear, entries: [] }),
    ),
    { maxLength: 6 },
  );
}

/** Bytes of a Uint8Array as hex, for deep-equal comparisons that ignore views. */
export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'truncate'; at: number } | { kind: 'zero'; at: number; length: number };

export const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('zero' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 300 }) }),
);

/** Applies `m` (positions taken modulo the size) and returns the bytes and the first changed position. */
export function damage(original: Buffer, m: Mutation): { bytes: Buffer; first: number } {
  const at = m.at % original.length;
  if (m.kind === 'truncate') return { bytes: original.subarray(0, at), first: at };
  const bytes = Buffer.from(original);
  if (m.kind === 'flip') {
    bytes[at]! ^= 1 << m.bit;
    return { bytes, first: at };
  }
  bytes.fill(0, at, Math.min(original.length, at + m.length));
  const first = bytes.findIndex((b, i) => b !== original[i]);
  return { bytes, first: first < 0 ? original.length : first };
}
