// The segment reader parses batch bodies by hand (speed: recovery and
// verify read every record). This checks it against the generated parser
// on batches with a byte changed and the batch CRC made to match again, so
// only the field checks can tell: the reader accepts a batch exactly when
// the generated parser reads it to its last byte, every `valid:` holds and
// every record CRC matches, and then both give the same records.

import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { crc32c } from '../../src/checksum/crc32c.js';
import { encodeBatch, encodeSegmentHeader, readSegment } from '../../src/formats/index.js';
import { LogSegment, streamOver } from '../../src/formats/kaitai.js';
import { recordCrcMatches, recordValue } from '../../src/formats/log-segment-reader.js';
import { ValueEncoding } from '../../src/formats/limits.js';
import { batches, hex } from './arbitraries.js';

const RUNS = { numRuns: 1500 };

interface Plain {
  baseOffset: number;
  timestampMs: number;
  compacted: boolean;
  records: Array<{ op: number; offset: number; position: number; size: number; key: string; value: string; expireAtMs: number | undefined }>;
}

/** The generated parser's reading of one batch at `pos`, or undefined when it rejects it. */
function generated(segment: Buffer, pos: number, size: number): Plain | undefined {
  const bytes = segment.subarray(0, pos + size);
  const io = streamOver(bytes);
  io.seek(pos);
  let b: InstanceType<typeof LogSegment.Batch>;
  const positions: Array<[number, number]> = [];
  try {
    b = new LogSegment.Batch(io);
    // Record positions: walk the records again the same way.
    const again = streamOver(bytes);
    again.seek(pos + 8 + 26);
    for (let i = 0; i < b.header!.recordCount; i++) {
      const at = again.pos;
      new LogSegment.Record(again);
      positions.push([at, again.pos]);
    }
  } catch {
    return undefined;
  }
  if (io.pos !== pos + size) return undefined;
  if (!positions.every(([s, e]) => recordCrcMatches(bytes, s, e))) return undefined;
  return {
    baseOffset: b.header!.baseOffset,
    timestampMs: b.header!.timestampMs,
    compacted: b.header!.isCompacted,
    records: b.records!.map((r, i) => ({
      op: r.op,
      offset: b.header!.baseOffset + r.offsetDelta,
      position: positions[i]![0],
      size: positions[i]![1] - positions[i]![0],
      key: hex(r.key),
      value: hex(r.value),
      expireAtMs: r.expiry?.expireAtMs,
    })),
  };
}

t.test('hand-parsed batch bodies agree with the generated parser', async (t) => {
  let accepted = 0;
  let rejected = 0;
  fc.assert(
    fc.property(
      batches(0).filter((bs) => bs.length > 0),
      fc.nat(),
      fc.nat(255),
      fc.boolean(),
      (input, where, byte, fixed) => {
        const batch = encodeBatch(input[0]!);
        // Change one byte of the body (after length and CRC): often in the
        // fixed fields (header, first record), else anywhere.
        const span = fixed ? Math.min(batch.length - 8, 26 + 16 + 8) : batch.length - 8;
        const at = 8 + (where % span);
        batch[at] = byte;
        batch.writeUInt32LE(crc32c(batch.subarray(8)), 4);
        const header = encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Binary, createdMs: 0 });
        const segment = Buffer.concat([header, batch]);
        const want = generated(segment, header.length, batch.length);
        const read = readSegment(segment);
        const got = read.batches[0];
        if (want === undefined) {
          rejected++;
          // The reader may reject more (offset order, deletes with values): never accept what the parser rejects.
          assert.equal(got, undefined, 'the reader accepted a batch the generated parser rejects');
          assert.equal(read.damage.length, 1);
          return;
        }
        const plain: Plain | undefined = got && {
          baseOffset: got.baseOffset,
          timestampMs: got.timestampMs,
          compacted: got.compacted,
          records: got.records.map((r) => ({ op: r.op, offset: r.offset, position: r.position, size: r.size, key: hex(r.key), value: hex(r.value), expireAtMs: r.expireAtMs })),
        };
        if (plain === undefined) {
          // Only the reader's own checks beyond the spec's fields may reject it.
          assert.match(read.damage[0]!.message, /does not increase|is below|differs from the batch|carries a value/);
          return;
        }
        accepted++;
        assert.deepStrictEqual(plain, want);
      },
    ),
    RUNS,
  );
  t.ok(accepted > 0 && rejected > 0, `both outcomes seen (accepted ${accepted}, rejected ${rejected})`);
});

t.test('recordValue (the point-read parser) agrees with the generated parser on every record', async (t) => {
  let records = 0;
  fc.assert(
    fc.property(batches(0).filter((bs) => bs.length > 0), fc.nat(), (input, cut) => {
      const header = encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Binary, createdMs: 0 });
      const segment = Buffer.concat([header, ...input.map(encodeBatch)]);
      for (const b of readSegment(segment).batches) {
        for (const r of b.records) {
          const bytes = segment.subarray(r.position, r.position + r.size);
          const value = recordValue(bytes);
          assert.equal(hex(value!), hex(new LogSegment.Record(streamOver(bytes)).value));
          // A record read with the wrong size (shorter or longer) is never taken for a value.
          const wrong = segment.subarray(r.position, r.position + (cut % 2 === 0 ? r.size - 1 - (cut % r.size) : r.size + 1 + (cut % 7)));
          if (wrong.length !== r.size) assert.equal(recordValue(wrong), undefined);
          records++;
        }
      }
    }),
    { numRuns: 300 },
  );
  t.ok(records > 300, `${records} records compared`);
});
