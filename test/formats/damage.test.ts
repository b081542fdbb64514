// Damage anywhere: bit flips, truncation and zeroed ranges at arbitrary
// points of every file kind. A reader either reports the damage (with an
// offset) or returns only what was written; it never returns a wrong value,
// and the valid prefix before the first bad byte is never lost.

import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { LogkvError } from '../../src/errors.js';
import {
  encodeBatch,
  encodeFrame,
  encodeHint,
  encodeJournalHeader,
  encodeSegmentHeader,
  encodeSnapshot,
  JOURNAL_HEADER_SIZE,
  readHint,
  readSegment,
  readSnapshot,
  RECORD_FIXED_SIZE,
  scanJournal,
  SEGMENT_HEADER_SIZE,
  ValueEncoding,
} from '../../src/formats/index.js';
import { batches, damage, hex, hintEntries, journalFrames, mutation, snapshotEntries } from './arbitraries.js';

const RUNS = { numRuns: 400 };

function expectTypedError(e: unknown): void {
  assert.ok(e instanceof LogkvError, `expected a LogkvError, got ${String(e)}`);
  assert.ok(['CORRUPT', 'TRUNCATED', 'BAD_MAGIC', 'UNSUPPORTED_VERSION'].includes(e.code), e.code);
  assert.equal(typeof e.offset, 'number');
}

t.test('log segment: damaged bytes never yield a batch that was not written, and the prefix survives', async (t) => {
  fc.assert(
    fc.property(batches(0).filter((b) => b.length > 0), fc.boolean(), fc.boolean(), mutation, (input, zeroTail, resync, m) => {
      const parts = [encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Binary, createdMs: 1 }), ...input.map(encodeBatch)];
      if (zeroTail) parts.push(Buffer.alloc(512));
      const original = Buffer.concat(parts);
      const { bytes, first } = damage(original, m);
      const originalRead = readSegment(original);
      const written = new Map(originalRead.batches.map((b) => [b.position, JSON.stringify(view(b))]));

      let read;
      try {
        read = readSegment(bytes, { resync });
      } catch (e) {
        expectTypedError(e);
        assert.ok(first < SEGMENT_HEADER_SIZE, `only header damage may throw (first bad byte ${first})`);
        return;
      }
      for (const b of read.batches) assert.equal(JSON.stringify(view(b)), written.get(b.position), `batch at ${b.position} was not written`);
      const intact = originalRead.batches.filter((b) => b.position + b.size <= first);
      assert.deepEqual(
        read.batches.slice(0, intact.length).map((b) => b.position),
        intact.map((b) => b.position),
        'every batch before the first bad byte is read',
      );
      if (read.damage.length > 0) assert.ok(read.damage[0]!.offset >= (intact.at(-1)?.position ?? 0), 'damage is reported after the intact prefix');
      const lost = originalRead.batches.length - read.batches.length;
      if (lost > 0 && read.damage.length === 0) {
        // Only a cut at a batch boundary or zeros from there to the end may end the log quietly.
        assert.ok(bytes.subarray(read.validUpTo).every((x) => x === 0), 'batches lost without a damage report');
      }
    }),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} damaged segments`);
});

function view(b: ReturnType<typeof readSegment>['batches'][number]) {
  return { ...b, records: b.records.map((r) => ({ ...r, key: hex(r.key), value: hex(r.value) })) };
}

t.test('log segment: resync keeps every batch outside a single flipped bit', async (t) => {
  fc.assert(
    fc.property(batches(0).filter((b) => b.length > 1), fc.nat(), fc.nat(7), (input, at, bit) => {
      const original = Buffer.concat([encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Binary, createdMs: 1 }), ...input.map(encodeBatch)]);
      const pos = SEGMENT_HEADER_SIZE + (at % (original.length - SEGMENT_HEADER_SIZE));
      const bytes = Buffer.from(original);
      bytes[pos]! ^= 1 << bit;
      const all = readSegment(original).batches;
      const read = readSegment(bytes, { resync: true });
      const hit = all.find((b) => pos >= b.position && pos < b.position + b.size)!;
      assert.deepEqual(
        read.batches.map((b) => b.position),
        all.filter((b) => b !== hit).map((b) => b.position),
      );
      assert.equal(read.damage.length, 1);
      assert.equal(read.damage[0]!.offset, hit.position);
    }),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} single bit flips`);
});

t.test('hint: any damage is an error, never a wrong entry', async (t) => {
  fc.assert(
    fc.property(hintEntries, mutation, (entries, m) => {
      const original = encodeHint({ segmentBaseOffset: 5, segmentNextOffset: 9, coveredLength: 1000, entries });
      const { bytes } = damage(original, m);
      if (bytes.equals(original)) return;
      assert.throws(() => readHint(bytes), (e) => (expectTypedError(e), true));
    }),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} damaged hints`);
});

t.test('snapshot: any damage is an error, never a wrong entry', async (t) => {
  fc.assert(
    fc.property(snapshotEntries, mutation, (entries, m) => {
      const original = encodeSnapshot({ valueEncoding: ValueEncoding.Binary, nextOffset: 10, createdMs: 3 }, entries);
      const { bytes } = damage(original, m);
      if (bytes.equals(original)) return;
      assert.throws(() => readSnapshot(bytes), (e) => (expectTypedError(e), true));
    }),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} damaged snapshots`);
});

t.test('journal: damage stops the scan after the intact frames, never a wrong frame', async (t) => {
  fc.assert(
    fc.property(journalFrames(7), mutation, (frames, m) => {
      const encoded = frames.map(encodeFrame);
      const used = encoded.reduce((n, f) => n + f.length, 0);
      const fileSize = Math.max(4096, JOURNAL_HEADER_SIZE + used + 4);
      const original = Buffer.concat([
        encodeJournalHeader({ generation: 7, fileSize, committedLength: 0, createdMs: 0 }),
        ...encoded,
        Buffer.alloc(fileSize - JOURNAL_HEADER_SIZE - used),
      ]);
      const { bytes, first } = damage(original, m);
      if (bytes.equals(original)) return;
      let scan;
      try {
        scan = scanJournal(bytes);
      } catch (e) {
        expectTypedError(e);
        assert.ok(first < JOURNAL_HEADER_SIZE || bytes.length !== original.length, 'only header damage or a size change may throw');
        return;
      }
      const good = scanJournal(original).frames;
      const key = (f: (typeof good)[number]) => `${f.position}:${f.size}`;
      for (const f of scan.frames) assert.ok(good.some((g) => key(g) === key(f)), `frame at ${f.position} was not written`);
      const intact = good.filter((f) => f.position + f.size <= first);
      assert.deepEqual(scan.frames.slice(0, intact.length).map(key), intact.map(key));
      if (scan.frames.length < good.length && scan.damage === undefined) {
        // Frames zeroed to the end read as never written: a prefix, like a torn tail.
        assert.ok(bytes.subarray(scan.validUpTo).every((x) => x === 0), 'frames lost without a report');
      }
    }),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} damaged journals`);
});

t.test('log segment: a zeroed batch before a good one is reported from its first byte to the next batch', async (t) => {
  const header = encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Binary, createdMs: 1 });
  const first = encodeBatch({ baseOffset: 0, timestampMs: 1, records: [{ op: 1, offsetDelta: 0, key: Buffer.from('a'), value: Buffer.from('1') }] });
  // A second batch with batch_length 256: its length field starts with a zero byte.
  const second = encodeBatch({ baseOffset: 1, timestampMs: 1, records: [{ op: 1, offsetDelta: 0, key: Buffer.from('b'), value: Buffer.alloc(256 - 4 - 26 - RECORD_FIXED_SIZE - 1, 7) }] });
  t.equal(second.readUInt32LE(0), 256);
  t.equal(second[0], 0);
  const bytes = Buffer.concat([header, Buffer.alloc(first.length), second]);
  const read = readSegment(bytes, { resync: true });
  t.same(read.damage.map((d) => [d.reason, d.offset, d.length]), [['nonzero-fill', SEGMENT_HEADER_SIZE, first.length]]);
  t.same(read.batches.map((b) => b.baseOffset), [1]);
  const strict = readSegment(bytes);
  t.same(strict.damage.map((d) => [d.reason, d.offset]), [['nonzero-fill', SEGMENT_HEADER_SIZE]]);
  t.equal(strict.validUpTo, SEGMENT_HEADER_SIZE);
});
