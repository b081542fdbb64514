// Recovery makes the hint of a sealed segment it had to scan from that scan
// and the key directory it filled (scanned-hint.ts), instead of reading the
// segment again. It must say exactly what writeHint says of the segment: the
// newest record of each key, tombstones and expiries included, over
// segments with repeated keys, deletes, re-puts after deletes and keys that
// older segments already hold.

import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { encodeBatch, encodeSegmentHeader, readHint, scanSegment, ValueEncoding } from '../../src/formats/index.js';
import { KeySpace, recoveryTarget } from '../../src/log/key-space.js';
import { ScannedHint } from '../../src/log/scanned-hint.js';
import { hintEntries } from '../../src/log/segment-hint.js';
import { batches } from '../formats/arbitraries.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** Small keys, so that batches repeat them. */
const smallKeys = (bs: ReturnType<typeof batches> extends fc.Arbitrary<infer B> ? B : never) =>
  bs.map((b) => ({ ...b, records: b.records.map((r) => ({ ...r, key: r.key.subarray(0, 1) })) }));

t.test('the hint made from the scan is the hint writeHint makes', async (t) => {
  let tombstones = 0;
  fc.assert(
    fc.property(batches(0), batches(1000), (older, input) => {
      const segment = (base: number, bs: typeof input) =>
        Buffer.concat([encodeSegmentHeader({ baseOffset: base, valueEncoding: ValueEncoding.Binary, createdMs: 0 }), ...smallKeys(bs).map(encodeBatch)]);
      const first = segment(0, older);
      const bytes = segment(1000, input);
      const space = new KeySpace();
      const target = recoveryTarget(space);
      const feed = (b: Buffer, id: number, scanned?: ScannedHint) =>
        scanSegment(b, {
          onRecord: (op, buf, keyAt, keyLength, position, size, offset, expireAtMs) => {
            if (op === 2) target.remove(buf, keyAt, keyLength, offset, id);
            else target.put(buf, keyAt, keyLength, id, position, size, offset, expireAtMs);
            scanned?.add(op, position, size, offset);
          },
        });
      // An older segment first: keys the scanned one overwrites or deletes are already in the directory.
      feed(first, 0);
      const scanned = new ScannedHint();
      const scan = feed(bytes, 1, scanned);
      const made = readHint(scanned.build(bytes, 1, target, { segmentBaseOffset: 1000, segmentNextOffset: scan.nextOffset, coveredLength: bytes.length }));
      const want = hintEntries(bytes, 'segment');
      const plain = (es: typeof want) =>
        es.map((e) => ({ key: hex(e.key), offset: e.offset, position: e.position, size: e.size, tombstone: e.tombstone, expireAtMs: e.expireAtMs })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      assert.deepStrictEqual(plain([...made.entries]), plain(want));
      assert.equal(made.segmentNextOffset, scan.nextOffset);
      tombstones += want.filter((e) => e.tombstone).length;
    }),
    { numRuns: 800 },
  );
  t.ok(tombstones > 0, `${tombstones} tombstones among the entries`);
});
