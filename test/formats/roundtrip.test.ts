// Random content -> our writer -> the generated top-level parser (and our
// reader) -> equal to the input, one property per format: the writers
// produce exactly what the .ksy specs describe.

import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import {
  encodeBatch,
  encodeFrame,
  encodeHint,
  encodeJournalHeader,
  encodeSegmentHeader,
  encodeSnapshot,
  fromParsed,
  type JournalValue,
  JOURNAL_HEADER_SIZE,
  readHint,
  readSegment,
  readSnapshot,
  scanJournal,
} from '../../src/formats/index.js';
import { Hint, Journal, LogSegment, Snapshot, streamOver } from '../../src/formats/kaitai.js';
import { batches, hex, hintEntries, journalFrames, snapshotEntries, valueEncoding } from './arbitraries.js';

const RUNS = { numRuns: 200 };

t.test('log segment: writer -> generated parser and reader give back every batch', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 2 ** 40 }),
      valueEncoding,
      fc.oneof(fc.constant(0), fc.integer({ min: 4, max: 5000 })),
      fc.nat(5000).chain((n) => fc.tuple(fc.constant(n), batches(n))),
      (createdMs, enc, zeroTail, [base, input]) => {
        const bytes = Buffer.concat([
          encodeSegmentHeader({ baseOffset: base, valueEncoding: enc, createdMs }),
          ...input.map(encodeBatch),
          Buffer.alloc(zeroTail),
        ]);
        const expected = input.map((b) => ({
          baseOffset: b.baseOffset,
          timestampMs: b.timestampMs,
          compacted: !!b.compacted,
          records: b.records.map((r) => ({
            op: r.op,
            offset: b.baseOffset + r.offsetDelta,
            key: hex(r.key),
            value: hex(r.value),
            expireAtMs: r.expireAtMs,
          })),
        }));

        const parsed = new LogSegment(streamOver(bytes));
        assert.deepStrictEqual([parsed.header.baseOffset, parsed.header.valueEncoding, parsed.header.createdMs], [base, enc, createdMs]);
        const real = parsed.batches.filter((b) => b.batchLength !== 0);
        assert.deepStrictEqual(
          real.map((b) => ({
            baseOffset: b.header!.baseOffset,
            timestampMs: b.header!.timestampMs,
            compacted: b.header!.isCompacted,
            records: b.records!.map((r) => ({
              op: r.op,
              offset: b.header!.baseOffset + r.offsetDelta,
              key: hex(r.key),
              value: hex(r.value),
              expireAtMs: r.expiry?.expireAtMs,
            })),
          })),
          expected,
        );
        assert.equal(parsed.batches.length - real.length, zeroTail > 0 ? 1 : 0, 'zero tail parses as one end marker');

        const read = readSegment(bytes);
        assert.deepStrictEqual(read.damage, []);
        assert.equal(read.end, zeroTail > 0 ? 'zero-fill' : 'eof');
        assert.equal(read.validUpTo, bytes.length - zeroTail);
        assert.deepStrictEqual(
          read.batches.map((b) => ({
            baseOffset: b.baseOffset,
            timestampMs: b.timestampMs,
            compacted: b.compacted,
            records: b.records.map((r) => ({ op: r.op, offset: r.offset, key: hex(r.key), value: hex(r.value), expireAtMs: r.expireAtMs })),
          })),
          expected,
        );
      },
    ),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} random inputs round-trip`);
});

t.test('hint: writer -> generated parser and reader give back every entry', async (t) => {
  fc.assert(
    fc.property(fc.nat(2 ** 40), fc.nat(1000), fc.nat(0xffffffff), hintEntries, (base, span, covered, entries) => {
      const bytes = encodeHint({ segmentBaseOffset: base, segmentNextOffset: base + span, coveredLength: covered, entries });
      const expected = entries.map((e) => ({ ...e, key: hex(e.key) }));
      const parsed = new Hint(streamOver(bytes));
      assert.deepStrictEqual(
        [parsed.header.segmentBaseOffset, parsed.header.segmentNextOffset, parsed.header.coveredLength, parsed.trailer.entryCount],
        [base, base + span, covered, entries.length],
      );
      assert.deepStrictEqual(
        parsed.entries.entries.map((e) => ({
          key: hex(e.key),
          offset: e.offset,
          position: e.position,
          size: e.size,
          tombstone: e.isTombstone,
          expireAtMs: e.expiry?.expireAtMs,
        })),
        expected,
      );
      const read = readHint(bytes);
      assert.deepStrictEqual(read.entries.map((e) => ({ ...e, key: hex(e.key) })), expected);
    }),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} random inputs round-trip`);
});

t.test('snapshot: writer -> generated parser and reader give back every entry, in chunks', async (t) => {
  fc.assert(
    fc.property(valueEncoding, fc.nat(2 ** 40), fc.nat(2 ** 40), snapshotEntries, (enc, nextOffset, createdMs, entries) => {
      const bytes = encodeSnapshot({ valueEncoding: enc, nextOffset, createdMs }, entries);
      const expected = entries.map((e) => ({ key: hex(e.key), value: hex(e.value), offset: e.offset, expireAtMs: e.expireAtMs }));
      const parsed = new Snapshot(streamOver(bytes));
      assert.deepStrictEqual([parsed.header.valueEncoding, parsed.header.nextOffset, parsed.header.createdMs, parsed.header.entryCount], [enc, nextOffset, createdMs, entries.length]);
      assert.equal(parsed.chunks.at(-1)!.entryCount, 0, 'last chunk ends the list');
      assert.deepStrictEqual(
        parsed.chunks.flatMap((c) =>
          c.entryCount === 0 ? [] : c.body.entries.map((e) => ({ key: hex(e.key), value: hex(e.value), offset: e.offset, expireAtMs: e.expiry?.expireAtMs })),
        ),
        expected,
      );
      const read = readSnapshot(bytes);
      assert.deepStrictEqual(read.entries.map((e) => ({ key: hex(e.key), value: hex(e.value), offset: e.offset, expireAtMs: e.expireAtMs })), expected);
      assert.ok(encodeSnapshot({ valueEncoding: enc, nextOffset, createdMs }, entries).equals(bytes), 'same state, same bytes');
    }),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} random inputs round-trip`);
});

/** A JSON-able form that tells -0 from 0, NaN, bigint and bytes apart. */
function canon(v: JournalValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return { n: Object.is(v, -0) ? '-0' : String(v) };
  if (typeof v === 'bigint') return { i: v.toString() };
  if (v instanceof Uint8Array) return { b: hex(v) };
  if (Array.isArray(v)) return v.map(canon);
  return Object.entries(v).map(([k, x]) => [k, canon(x)]);
}

t.test('journal: writer -> generated parser and reader give back every frame and value', async (t) => {
  fc.assert(
    fc.property(fc.nat(2 ** 40), fc.integer({ min: 0, max: 2 }), fc.nat(2 ** 40), (generation, committedFrames, createdMs) =>
      fc.assert(
        fc.property(journalFrames(generation), (frames) => {
          const encoded = frames.map(encodeFrame);
          const used = encoded.reduce((n, f) => n + f.length, 0);
          const fileSize = Math.max(4096, JOURNAL_HEADER_SIZE + used + 100);
          const committedLength = encoded.slice(0, committedFrames).reduce((n, f) => n + f.length, 0);
          const header = encodeJournalHeader({ generation, fileSize, committedLength, createdMs });
          const bytes = Buffer.concat([header, ...encoded, Buffer.alloc(fileSize - JOURNAL_HEADER_SIZE - used)]);
          const expected = frames.map((f) => ({ op: f.op, entries: f.entries.map((e) => [e.key, canon(e.value)]) }));

          const parsed = new Journal(streamOver(bytes));
          assert.deepStrictEqual([parsed.header.generation, parsed.header.fileSize, parsed.header.committedLength], [generation, fileSize, committedLength]);
          assert.deepStrictEqual(
            parsed.frames
              .filter((f) => f.frameLength !== 0)
              .map((f) => ({ op: f.body!.op, entries: f.body!.entries.map((e) => [e.key, canon(fromParsed(e.value))]) })),
            expected,
          );
          const scan = scanJournal(bytes);
          assert.equal(scan.end, 'slack');
          assert.equal(scan.damage, undefined);
          assert.deepStrictEqual(scan.frames.map((f) => ({ op: f.op, entries: f.entries.map((e) => [e.key, canon(e.value)]) })), expected);
        }),
        { numRuns: 20 },
      ),
    ),
    { numRuns: 10 },
  );
  t.pass('10 x 20 random journals round-trip');
});
