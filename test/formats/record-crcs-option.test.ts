// scanSegment's recordCrcs: false (what recovery uses) leaves out only the
// check of each record's own CRC. Physical damage (a flipped byte, zeros, a
// cut) always fails the batch CRC first, so over any such damage both scans
// read the same records and report the same damage; only a record CRC that
// disagrees inside a batch whose CRC matches (a writer's fault, the
// record-crc-mismatch fixture) is seen by the default scan alone.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import t from 'tap';
import fc from 'fast-check';
import { crc32c } from '../../src/checksum/crc32c.js';
import { encodeBatch, encodeSegmentHeader, readSegment } from '../../src/formats/index.js';
import { ValueEncoding } from '../../src/formats/limits.js';
import { batches } from './arbitraries.js';

const summary = (s: ReturnType<typeof readSegment>) => ({
  records: s.batches.flatMap((b) => b.records.map((r) => [r.offset, r.position, Buffer.from(r.key).toString('hex'), Buffer.from(r.value).toString('hex')])),
  damage: s.damage.map((d) => [d.offset, d.length, d.reason]),
  validUpTo: s.validUpTo,
  nextOffset: s.nextOffset,
  end: s.end,
});

t.test('over physical damage, the scan without record CRCs reads exactly what the full scan reads', async (t) => {
  let damaged = 0;
  fc.assert(
    fc.property(batches(7), fc.nat(), fc.nat(255), fc.nat(64), fc.constantFrom('flip', 'zeros', 'cut'), fc.boolean(), (input, where, byte, span, change, resync) => {
      const header = encodeSegmentHeader({ baseOffset: 7, valueEncoding: ValueEncoding.Binary, createdMs: 0 });
      let bytes = Buffer.concat([header, ...input.map(encodeBatch)]);
      const room = bytes.length - header.length;
      if (room > 0) {
        const at = header.length + (where % room);
        if (change === 'cut') bytes = bytes.subarray(0, at);
        else {
          bytes = Buffer.from(bytes);
          if (change === 'flip') bytes[at] = bytes[at]! ^ (byte | 1);
          else bytes.fill(0, at, Math.min(bytes.length, at + 1 + span));
        }
      }
      const full = readSegment(bytes, { resync });
      const fast = readSegment(bytes, { resync, recordCrcs: false });
      if (full.damage.length > 0) damaged++;
      assert.ok(!full.damage.some((d) => d.reason === 'record-crc'), 'physical damage is caught by the batch CRC before any record CRC');
      assert.deepStrictEqual(summary(fast), summary(full));
    }),
    { numRuns: 400 },
  );
  t.ok(damaged > 100, `${damaged} of 400 cases had damage`);
});

t.test('a record CRC that disagrees inside a matching batch: reported by the full scan only', async (t) => {
  const bytes = readFileSync(new URL('../../fixtures/log/record-crc-mismatch.log', import.meta.url));
  const full = readSegment(bytes);
  t.same(full.damage.map((d) => d.reason), ['record-crc']);
  const fast = readSegment(bytes, { recordCrcs: false });
  t.same(fast.damage, [], 'the batch CRC matches, so the fast scan sees no damage');
  t.ok(fast.batches.flatMap((b) => b.records).length > full.batches.flatMap((b) => b.records).length, 'and reads the batch the full scan stopped at');
});

t.test('wrong record CRCs inside a batch whose CRC was made to match: the first is named, in batches of any size', async (t) => {
  // Batches of up to 6 records take each record's CRC on its own; from 4, checkBatchBody folds them into the batch CRC
  // (crc32c-fold.ts) and walks again record by record only when the fold does not match. Either way the report is the
  // first wrong record's, as a walk that checks each record finds it.
  let folded = 0;
  fc.assert(
    fc.property(batches(7), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 0xffffffff })), { minLength: 1, maxLength: 3 }), (input, pick, wrongs) => {
      if (input.length === 0) return true;
      const header = encodeSegmentHeader({ baseOffset: 7, valueEncoding: ValueEncoding.Binary, createdMs: 0 });
      const bytes = Buffer.concat([header, ...input.map(encodeBatch)]);
      const clean = readSegment(bytes, { resync: true });
      const batch = clean.batches[pick % clean.batches.length]!;
      const original = Buffer.from(bytes);
      // Some of its records' stored CRCs changed, then its CRC made right again.
      for (const [which, flip] of wrongs) {
        const at = batch.records[which % batch.records.length]!.position;
        bytes.writeUInt32LE((bytes.readUInt32LE(at) ^ flip) >>> 0, at);
      }
      bytes.writeUInt32LE(crc32c(bytes.subarray(batch.position + 8, batch.position + batch.size)), batch.position + 4);
      // Two flips of one record can cancel: what is wrong is what differs from the clean bytes.
      const wrong = batch.records.filter((r) => bytes.readUInt32LE(r.position) !== original.readUInt32LE(r.position));
      if (wrong.length > 0 && batch.records.length >= 4) folded++;
      const scan = readSegment(bytes, { resync: true });
      assert.deepEqual(
        scan.damage.map((d) => [d.offset, d.reason, d.message]),
        wrong.length === 0 ? [] : [[batch.position, 'record-crc', `record at ${wrong[0]!.position}: CRC-32C mismatch inside a batch whose CRC matched`]],
      );
      assert.deepEqual(
        scan.batches.map((b) => b.position),
        clean.batches.filter((b) => wrong.length === 0 || b.position !== batch.position).map((b) => b.position),
      );
      return true;
    }),
    { numRuns: 400 },
  );
  t.ok(folded >= 50, `${folded} batches of 4 or more records with a wrong record CRC`);
});
