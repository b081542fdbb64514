// lastBatchOf follows a segment's batch lengths to its end, checking each
// batch's CRC (recovery checks the newest segment's hint with it): it finds
// exactly the last batch the full reader finds when the batches end at the
// end, and nothing when they do not (zero fill, a torn or damaged batch, a
// length that falls inside a batch).

import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { crc32c } from '../../src/checksum/crc32c.js';
import { encodeBatch, encodeSegmentHeader, readSegment } from '../../src/formats/index.js';
import { lastBatchOf } from '../../src/formats/log-segment-reader.js';
import { ValueEncoding } from '../../src/formats/limits.js';
import { batches } from './arbitraries.js';

t.test('the last batch, exactly when the batches end at the length', async (t) => {
  let found = 0;
  fc.assert(
    fc.property(batches(7), fc.nat(), fc.nat(255), fc.constantFrom('none', 'zeros', 'cut', 'flip'), (input, where, byte, change) => {
      const header = encodeSegmentHeader({ baseOffset: 7, valueEncoding: ValueEncoding.Binary, createdMs: 0 });
      let bytes = Buffer.concat([header, ...input.map(encodeBatch)]);
      if (change === 'zeros') bytes = Buffer.concat([bytes, Buffer.alloc(8 + (where % 100))]);
      if (change === 'cut' && bytes.length > header.length) bytes = bytes.subarray(0, header.length + (where % (bytes.length - header.length)));
      if (change === 'flip' && bytes.length > header.length) {
        bytes = Buffer.from(bytes);
        bytes[header.length + (where % (bytes.length - header.length))] = byte;
      }
      const full = readSegment(bytes);
      const last = lastBatchOf(bytes, 7);
      if (full.damage.length === 0 && full.end === 'eof' && full.batches.length > 0) {
        // An intact segment: the full reader's last batch.
        const want = full.batches.at(-1)!;
        found++;
        assert.deepStrictEqual(last, { position: want.position, size: want.size, baseOffset: want.baseOffset, lastOffsetDelta: want.lastOffsetDelta, timestampMs: want.timestampMs });
        return;
      }
      // Otherwise: the batch the lengths lead to, when they land exactly on the end, every batch on the way has its CRC, and the last reads as a valid batch on its own.
      let q = header.length;
      let start = -1;
      let crcs = true;
      while (q + 8 <= bytes.length) {
        const n = bytes.readUInt32LE(q);
        if (n < 46 || n > 2 ** 30 || q + 4 + n > bytes.length) break;
        crcs &&= crc32c(bytes.subarray(q + 8, q + 4 + n)) === bytes.readUInt32LE(q + 4);
        start = q;
        q += 4 + n;
      }
      if (!crcs) start = -1;
      const alone = start >= 0 && q === bytes.length ? readSegment(Buffer.concat([header, bytes.subarray(start)])) : undefined;
      const want = alone && alone.damage.length === 0 && alone.batches.length === 1 ? alone.batches[0]! : undefined;
      if (want === undefined) assert.equal(last, undefined, `${change}: nothing`);
      else assert.deepStrictEqual(last, { position: start, size: want.size, baseOffset: want.baseOffset, lastOffsetDelta: want.lastOffsetDelta, timestampMs: want.timestampMs });
    }),
    { numRuns: 1500 },
  );
  t.ok(found > 0, `found ${found} last batches`);
});
