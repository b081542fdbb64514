// A segment's hint and index made by sorting its records by key hash
// (segment-newest.ts), and the in-memory index recovery serves a scanned
// segment from (scanned-index.ts). Both must say exactly what a key
// directory of the segment alone says (newestRecords, the independent
// implementation kvtool verify checks hints against): the newest record of
// each key, tombstones and expiries included, over segments with repeated
// keys, deletes, re-puts after deletes, and keys whose hashes collide.

import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { encodeBatch, encodeSegmentHeader, readHint, readSegmentIndex, scanSegment, ValueEncoding, type LogBatch } from '../../src/formats/index.js';
import { hashKeyAt } from '../../src/log/key-directory.js';
import { ScannedIndex } from '../../src/log/scanned-index.js';
import { hintEntries } from '../../src/log/segment-hint.js';
import { SegmentNewest } from '../../src/log/segment-newest.js';
import { batches } from '../formats/arbitraries.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
/** Two keys murmur3 (key-directory.ts) gives the same hash, found by search. */
const COLLIDING = [Buffer.from('k86837'), Buffer.from('k100876')] as const;

/** Keys from a set of four, two of which collide: batches then repeat keys and share hashes. */
const fewKeys = (bs: LogBatch[]): LogBatch[] =>
  bs.map((b) => ({ ...b, records: b.records.map((r) => ({ ...r, key: [COLLIDING[0], COLLIDING[1], Buffer.from('a'), Buffer.from('b')][r.key.length % 4]! })) }));

const segmentOf = (bs: LogBatch[]) =>
  Buffer.concat([encodeSegmentHeader({ baseOffset: 1000, valueEncoding: ValueEncoding.Binary, createdMs: 0 }), ...fewKeys(bs).map(encodeBatch)]);

const byKey = <T extends { key: string }>(es: T[]) => es.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

t.test('the colliding keys do collide', async (t) => {
  t.equal(hashKeyAt(COLLIDING[0], 0, COLLIDING[0].length), hashKeyAt(COLLIDING[1], 0, COLLIDING[1].length));
  t.not(hex(COLLIDING[0]), hex(COLLIDING[1]));
});

t.test('hint and index from the sort say what a key directory of the segment says', async (t) => {
  let collided = 0;
  let tombstones = 0;
  fc.assert(
    fc.property(batches(1000), (input) => {
      const bytes = segmentOf(input);
      const records = new SegmentNewest(1);
      const scan = scanSegment(bytes, { onRecord: records.add });
      const files = records.files({ segmentBaseOffset: 1000, segmentNextOffset: scan.nextOffset, coveredLength: bytes.length, lastBatchPosition: scan.lastBatchAt ?? 0 });
      const hint = readHint(files.hint);
      const want = hintEntries(bytes, 'segment');
      const plain = (es: typeof want) =>
        byKey(es.map((e) => ({ key: hex(e.key), offset: e.offset, position: e.position, size: e.size, tombstone: e.tombstone, expireAtMs: e.expireAtMs })));
      assert.deepStrictEqual(plain([...hint.entries]), plain(want));
      // Hash order, as an open loading the hint expects.
      const hashes = hint.entries.map((e) => hashKeyAt(e.key, 0, e.key.length));
      for (let i = 1; i < hashes.length; i++) assert.ok(hashes[i - 1]! <= hashes[i]!, 'hint entries in hash order');
      // The index: one slot per entry, at the same records.
      const index = readSegmentIndex(files.index);
      assert.equal(index.lastBatchPosition, scan.lastBatchAt ?? 0);
      assert.deepStrictEqual(
        index.slots.map((s) => `${s.hash}@${s.position}/${s.size}/${s.offset}`).sort(),
        want.map((e) => `${hashKeyAt(e.key, 0, e.key.length)}@${e.position}/${e.size}/${e.offset}`).sort(),
      );
      const keys = new Set(want.map((e) => hex(e.key)));
      if (keys.has(hex(COLLIDING[0])) && keys.has(hex(COLLIDING[1]))) collided++;
      tombstones += want.filter((e) => e.tombstone).length;
    }),
    { numRuns: 600 },
  );
  t.ok(collided > 20, `${collided} segments held both colliding keys`);
  t.ok(tombstones > 50, `${tombstones} tombstones among the entries`);
});

t.test('the scanned index finds each key at its newest record, and loads the same entries', async (t) => {
  let checked = 0;
  fc.assert(
    fc.property(batches(1000), (input) => {
      const bytes = segmentOf(input);
      const records = new SegmentNewest(1);
      const scan = scanSegment(bytes, { onRecord: records.add });
      const index = new ScannedIndex('segment', records, { segmentBaseOffset: 1000, segmentNextOffset: scan.nextOffset, coveredLength: bytes.length, lastBatchPosition: 0 });
      const want = hintEntries(bytes, 'segment');
      assert.equal(index.entries, want.length);
      assert.equal(index.header.slotCount, want.length);
      assert.equal(index.tombstones, want.filter((e) => e.tombstone).length);
      assert.equal(index.keyBytes, want.reduce((n, e) => n + e.key.length, 0));
      for (const e of want) {
        // find() visits every record of the hash: the one whose key matches must be the newest.
        const seen: number[] = [];
        index.find(hashKeyAt(e.key, 0, e.key.length), (position) => {
          seen.push(position);
          return false;
        });
        assert.ok(seen.includes(e.position), `key ${hex(e.key)} found at ${e.position}`);
        checked++;
      }
      // Loaded a few entries a step, as the deferred load does.
      const loaded: Array<{ key: string; position: number; tombstone: boolean; expireAtMs: number | undefined }> = [];
      for (let at = 0; at < index.entries; ) {
        at = index.visit(at, 2, (tombstone, b, keyAt, keyLength, _offset, position, _size, expireAtMs) => {
          loaded.push({ key: hex(b.subarray(keyAt, keyAt + keyLength)), position, tombstone, expireAtMs });
        });
      }
      assert.deepStrictEqual(byKey(loaded), byKey(want.map((e) => ({ key: hex(e.key), position: e.position, tombstone: e.tombstone, expireAtMs: e.expireAtMs }))));
    }),
    { numRuns: 400 },
  );
  t.ok(checked > 500, `${checked} keys looked up`);
});
