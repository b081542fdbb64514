// The readers give the same answer a window at a time (kvtool reading a
// file of any size) as over the whole file in memory (the engine): the same
// batches, records, positions, damage and messages for damaged segments and
// journals, the same entries, slots or the same refusal for hints, snapshots
// and segment indexes. Windows
// from 1 byte up make every batch, entry and chunk cross a window's end
// somewhere.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import { type ByteSource } from '../../src/formats/byte-source.js';
import {
  checkHint,
  encodeBatch,
  encodeFrame,
  encodeHint,
  encodeJournalHeader,
  encodeSegmentHeader,
  encodeSnapshot,
  forEachHintEntry,
  JOURNAL_HEADER_SIZE,
  readSnapshot,
  scanJournal,
  scanSegment,
  type SegmentScanOptions,
  type SnapshotEntry,
  ValueEncoding,
} from '../../src/formats/index.js';
import { scanSnapshot } from '../../src/formats/snapshot-reader.js';
import { checkSegmentIndex, readSegmentIndex } from '../../src/formats/segment-index-reader.js';
import { encodeSegmentIndex } from '../../src/formats/segment-index-writer.js';
import { nodeFileIO } from '../../src/io/file-io.js';
import { handleSource } from '../../src/io/file-source.js';
import { batches, damage, hex, hintEntries, journalFrames, mutation, snapshotEntries } from './arbitraries.js';
import { hashKey } from '../../src/log/key-directory.js';

/** `bytes` served `window` bytes at a time, each read a copy: a reader that looks outside what it asked for sees nothing. */
function windowed(bytes: Uint8Array, window: number): ByteSource & { reads: number; largest: number } {
  const source = {
    size: bytes.length,
    window,
    reads: 0,
    /** The most bytes one read returned. */
    largest: 0,
    read(position: number, length: number) {
      source.reads++;
      const read = Uint8Array.from(bytes.subarray(position, Math.min(bytes.length, position + length)));
      source.largest = Math.max(source.largest, read.length);
      return read;
    },
  };
  return source;
}

const window = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 65, max: 600 }));
const RUNS = { numRuns: 300 };

/** Everything a scan tells, with records as they reach onRecord and onBatch, and batches as they reach onBatchFrame. */
function scanned(input: Uint8Array | ByteSource, resync: boolean) {
  const records: string[] = [];
  const batchesSeen: string[] = [];
  const framesSeen: string[] = [];
  const damageSeen: string[] = [];
  const options: SegmentScanOptions = {
    resync,
    onRecord: (op, b, keyAt, keyLength, position, size, offset, expireAtMs) =>
      records.push(`${op} ${hex(b.subarray(keyAt, keyAt + keyLength))} ${position} ${size} ${offset} ${expireAtMs}`),
    onBatch: (batch) => batchesSeen.push(JSON.stringify({ ...batch, records: batch.records.map((r) => ({ ...r, key: hex(r.key), value: hex(r.value) })) })),
    onBatchFrame: (frame) => framesSeen.push(JSON.stringify(frame)),
    onDamage: (d) => damageSeen.push(JSON.stringify(d)),
  };
  try {
    const scan = JSON.stringify(scanSegment(input, options));
    // A frame is its batch without the records.
    assert.deepEqual(framesSeen, batchesSeen.map((b) => JSON.stringify({ ...(JSON.parse(b) as object), records: undefined })));
    return { scan, records, batchesSeen, damageSeen };
  } catch (e) {
    return { error: String(e) };
  }
}

t.test('log segment: a window at a time reads what the whole file reads, damage and salvage included', async (t) => {
  fc.assert(
    fc.property(batches(0), fc.nat(5000), fc.nat(), fc.boolean(), fc.boolean(), mutation, window, (input, zeros, gapAt, resync, mutate, m, w) => {
      const parts = [encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Binary, createdMs: 1 }), ...input.map(encodeBatch)];
      // A run of zeros between two batches (or at the end: zero fill): the salvage search jumps over it.
      parts.splice(1 + (gapAt % (parts.length)), 0, Buffer.alloc(zeros));
      const original = Buffer.concat(parts);
      const bytes = mutate ? damage(original, m).bytes : original;
      assert.deepEqual(scanned(windowed(bytes, w), resync), scanned(bytes, resync));
    }),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} segments`);
});

function hintRead(input: Uint8Array | ByteSource): string {
  try {
    const hint = checkHint(input);
    const entries: string[] = [];
    forEachHintEntry(hint, (tombstone, b, keyAt, keyLength, offset, position, size, expireAtMs) =>
      entries.push(`${tombstone} ${hex(b.subarray(keyAt, keyAt + keyLength))} ${offset} ${position} ${size} ${expireAtMs}`),
    );
    const { source: _source, ...rest } = hint;
    return JSON.stringify({ ...rest, entries });
  } catch (e) {
    return String(e);
  }
}

t.test('hint: a window at a time checks and reads what the whole file does', async (t) => {
  fc.assert(
    fc.property(hintEntries, fc.boolean(), mutation, window, (entries, mutate, m, w) => {
      const original = encodeHint({ segmentBaseOffset: 5, segmentNextOffset: 9, coveredLength: 1000, entries });
      const bytes = mutate ? damage(original, m).bytes : original;
      assert.equal(hintRead(windowed(bytes, w)), hintRead(bytes));
    }),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} hints`);
});

function snapshotRead(read: () => { header: unknown; entries: SnapshotEntry[] }): string {
  try {
    const { header, entries } = read();
    return JSON.stringify({ header, entries: entries.map((e) => ({ ...e, key: hex(e.key), value: hex(e.value) })) });
  } catch (e) {
    return String(e);
  }
}

t.test('snapshot: a window at a time checks and reads what the whole file does', async (t) => {
  fc.assert(
    fc.property(snapshotEntries, fc.boolean(), mutation, window, (entries, mutate, m, w) => {
      const original = encodeSnapshot({ valueEncoding: ValueEncoding.Binary, nextOffset: 10, createdMs: 3 }, entries);
      const bytes = mutate ? damage(original, m).bytes : original;
      const inWindows = () => {
        const seen: SnapshotEntry[] = [];
        const header = scanSnapshot(windowed(bytes, w), (e) => seen.push(e));
        return { header, entries: seen };
      };
      assert.equal(snapshotRead(inWindows), snapshotRead(() => readSnapshot(bytes)));
    }),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} snapshots`);
});

function journalRead(input: Uint8Array | ByteSource): string {
  try {
    const frames: unknown[] = [];
    const scan = scanJournal(input, 'j', { onFrame: (f) => frames.push(f) });
    return JSON.stringify({ ...scan, frames }, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? hex(v) : v));
  } catch (e) {
    return String(e);
  }
}

t.test('journal: a window at a time reads the frames and damage the whole file does', async (t) => {
  fc.assert(
    fc.property(journalFrames(7), fc.boolean(), mutation, window, (frames, mutate, m, w) => {
      const encoded = frames.map(encodeFrame);
      const used = encoded.reduce((n, f) => n + f.length, 0);
      const fileSize = Math.max(4096, JOURNAL_HEADER_SIZE + used + 4);
      const original = Buffer.concat([encodeJournalHeader({ generation: 7, fileSize, committedLength: used, createdMs: 0 }), ...encoded, Buffer.alloc(fileSize - JOURNAL_HEADER_SIZE - used)]);
      const bytes = mutate ? damage(original, m).bytes : original;
      assert.equal(journalRead(windowed(bytes, w)), journalRead(bytes));
    }),
    RUNS,
  );
  t.pass(`${RUNS.numRuns} journals`);
});

function indexRead(input: Uint8Array | ByteSource): string {
  try {
    // Both: the whole-file check alone (what verify runs) and the slots read after it.
    return JSON.stringify({ checked: checkSegmentIndex(input), read: readSegmentIndex(input) });
  } catch (e) {
    return String(e);
  }
}

t.test('segment index: a window at a time checks and reads what the whole file does', async (t) => {
  let damaged = 0;
  fc.assert(
    fc.property(hintEntries, fc.boolean(), mutation, window, (entries, mutate, m, w) => {
      const original = encodeSegmentIndex({ segmentBaseOffset: 5, segmentNextOffset: 9, coveredLength: 1000, lastBatchPosition: 28 }, entries.map((e) => ({ hash: hashKey(e.key), position: e.position, size: e.size, offset: e.offset })));
      const bytes = mutate ? damage(original, m).bytes : original;
      const whole = indexRead(bytes);
      assert.equal(indexRead(windowed(bytes, w)), whole);
      if (whole.startsWith('LogkvError')) damaged++;
    }),
    RUNS,
  );
  t.ok(damaged > 50, `${RUNS.numRuns} indexes, ${damaged} refused`);
});

t.test('a file read through its handle: windows of the real file, and a file that shrinks while read ends where the read did', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-windowed-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'segment.log');
  const batch = (base: number) => encodeBatch({ baseOffset: base, timestampMs: 1, compacted: false, records: [{ op: 1, offsetDelta: 0, key: Buffer.from(`k${base}`), value: Buffer.alloc(300, base), expireAtMs: undefined }] });
  const all = Buffer.concat([encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Binary, createdMs: 1 }), ...[0, 1, 2, 3, 4, 5].map(batch), Buffer.alloc(4096)]);
  fs.writeFileSync(file, all);
  const handle = nodeFileIO.open(file, 'read');
  try {
    const whole = scanSegment(all);
    const source = handleSource(handle, 100);
    t.same(scanSegment(source), whole, 'the same scan through 100-byte windows of the file');
    t.equal(whole.batchCount, 6);
    // A writer trims the file after the reader took its size: the reader sees a shorter file, not a torn one past its end.
    const shrinking = handleSource(handle, 100);
    const cut = whole.lastBatchEnd! - 1;
    fs.truncateSync(file, cut);
    const after = scanSegment(shrinking);
    t.equal(shrinking.size, cut, 'the source now ends where its read did');
    t.equal(after.batchCount, 5, 'the batches before the cut are read');
    t.equal(after.damage[0]?.reason, 'truncated', 'the cut batch is a torn tail');
  } finally {
    handle.close();
  }
});

t.test('salvage finds a batch right after a run of zeros, whatever the low bytes of its length', async (t) => {
  // A length of 0x100, 0x10000 or 0x1000000 (a 16 MiB batch) starts with zero bytes: the search that jumps over zeros must land on its first byte, not past it.
  const header = encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Binary, createdMs: 1 });
  const first = encodeBatch({ baseOffset: 0, timestampMs: 1, compacted: false, records: [{ op: 1, offsetDelta: 0, key: Buffer.from('a'), value: Buffer.from('x'), expireAtMs: undefined }] });
  for (const length of [0x100, 0x10000, 0x1000000]) {
    const after = encodeBatch({ baseOffset: 1, timestampMs: 1, compacted: false, records: [{ op: 1, offsetDelta: 0, key: Buffer.from('k'), value: Buffer.alloc(length - 47, 7), expireAtMs: undefined }] });
    t.equal(after.readUInt32LE(0), length, `a batch whose length is 0x${length.toString(16)}`);
    for (const zeros of [0, 1, 2, 3, 4, 5, 9]) {
      const bytes = Buffer.concat([header, first, Buffer.from([0xff]), Buffer.alloc(zeros), after]);
      for (const w of length > 0x10000 ? [4096, bytes.length] : [1, 7, 64, bytes.length]) {
        const scan = scanSegment(windowed(bytes, w), { resync: true });
        t.equal(scan.batchCount, 2, `0x${length.toString(16)} after ${zeros} zeros, ${w}-byte windows: both batches`);
      }
    }
  }
});

t.test('a length that claims far more than a window is refused without being read whole', async (t) => {
  // A damaged length (a flipped high byte claims 16 MiB more) and, in the salvage search, lengths read from inside a damaged batch can claim up to 1 GiB: a reader that read them whole to check a CRC would hold that much of the file.
  const MiB = 2 ** 20;
  const header = encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Binary, createdMs: 1 });
  // A value that holds a whole plausible batch head: a length of 1 MiB, any CRC, base offset 5, one record; it passes every check but the CRC.
  const fake = Buffer.alloc(40);
  fake.writeUInt32LE(MiB, 0);
  fake.writeUInt32LE(5, 8);
  fake.writeUInt32LE(1, 30);
  const batch = (base: number, value: Buffer) =>
    encodeBatch({ baseOffset: base, timestampMs: 1, compacted: false, records: [{ op: 1, offsetDelta: 0, key: Buffer.from(`k${base}`), value, expireAtMs: undefined }] });
  const batches = [batch(0, Buffer.alloc(100, 1)), batch(1, fake), batch(2, Buffer.alloc(100, 2))];
  const clean = Buffer.concat([header, ...batches, Buffer.alloc(32 * MiB)]);
  const second = header.length + batches[0]!.length;
  const cases: Array<[string, (b: Buffer) => void, string]> = [
    ['a flipped high byte of a length', (b) => void (b[second + 3]! ^= 0x01), 'batch-crc'],
    ['a flipped byte in the head of a batch whose value looks like a batch', (b) => void (b[second + 12]! ^= 0x01), 'batch-crc'],
  ];
  for (const [what, spoil, reason] of cases) {
    const bytes = Buffer.from(clean);
    spoil(bytes);
    for (const resync of [false, true]) {
      const source = windowed(bytes, 4096);
      const scan = scanSegment(source, { resync });
      t.equal(scan.damage[0]?.reason, reason, `${what}, resync ${resync}: ${reason} at the damaged batch`);
      t.equal(scan.damage[0]?.offset, second);
      if (resync) t.equal(scan.batchCount, 2, `${what}: the batch after it is found`);
      t.ok(source.largest <= 4096, `${what}, resync ${resync}: no read larger than the window (largest ${source.largest})`);
      assert.deepEqual(scanned(source, resync), scanned(bytes, resync));
    }
  }
});
