// readRecordAt reads one record on its own (kvtool repair, for records
// inside a batch whose CRC failed): every record of a valid batch reads
// back as written, and a record with any byte changed, or read with a
// size or position that is off, is refused, never misread.

import t from 'tap';
import fc from 'fast-check';
import { encodeBatch, encodeSegmentHeader, readSegment } from '../../src/formats/index.js';
import { readRecordAt } from '../../src/formats/log-segment-reader.js';
import { ValueEncoding } from '../../src/formats/limits.js';
import { batches, hex } from './arbitraries.js';

t.test('each record of a valid batch reads back alone; a changed byte, size or position is refused', async (t) => {
  let records = 0;
  let refusals = 0;
  fc.assert(
    fc.property(batches(0), fc.nat(), fc.integer({ min: 1, max: 255 }), (input, where, mask) => {
      const bytes = Buffer.concat([encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Binary, createdMs: 0 }), ...input.map(encodeBatch)]);
      for (const b of readSegment(bytes).batches) {
        for (const r of b.records) {
          records++;
          const alone = readRecordAt(bytes, r.position, r.size);
          if (!alone || alone.op !== r.op || hex(alone.key) !== hex(r.key) || hex(alone.value) !== hex(r.value) || alone.expireAtMs !== r.expireAtMs) return false;
          if (readRecordAt(bytes, r.position, r.size - 1) || readRecordAt(bytes, r.position + 1, r.size) || readRecordAt(bytes, r.position, r.size + 1)) return false;
          const changed = Buffer.from(bytes);
          changed[r.position + (where % r.size)]! ^= mask;
          if (readRecordAt(changed, r.position, r.size) !== undefined) return false;
          refusals += 4;
        }
      }
      return true;
    }),
    { numRuns: 200 },
  );
  t.ok(records > 200, `${records} records read alone, ${refusals} wrong reads refused`);
});
