// The segment index writer against two readers: the hand reader the store
// searches with (segment-index-reader.ts) and the generated parser with the
// spec's checks made on its fields (segment-index-oracle.ts). Slots come
// out sorted by (hash, position) whatever order they went in, including
// equal hashes and positions that differ only in their high 16 bits (the
// radix sort's second pass); any one changed byte is refused, and a slot
// with any bit flipped fails its own check.

import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { crc32c } from '../../src/checksum/crc32c.js';
import { LogkvError } from '../../src/errors.js';
import { INDEX_HEADER_SIZE, INDEX_SLOT_SIZE, INDEX_TRAILER_SIZE, MAX_RECORD_SIZE, RECORD_FIXED_SIZE } from '../../src/formats/limits.js';
import { checkSegmentIndex, readSegmentIndex, slotAt, slotOffset } from '../../src/formats/segment-index-reader.js';
import { encodeSegmentIndex, type IndexSlot, type SegmentIndexHeader } from '../../src/formats/segment-index-writer.js';
import { generatedIndexVerdict } from './segment-index-oracle.js';

const RUNS = { numRuns: 300 };
const HEADER: SegmentIndexHeader = { segmentBaseOffset: 7, segmentNextOffset: 90, coveredLength: 123_456, lastBatchPosition: 4_321 };

const u32 = fc.integer({ min: 0, max: 0xffffffff });
// Few distinct hashes often, so equal hashes are common; any hash otherwise.
const hash = fc.oneof(fc.constantFrom(0, 1, 0xffff, 0x10000, 0x80000000, 0xffffffff), u32);
// Positions whose low 16 bits are one of a few values differ only in their high bits.
const position = fc.oneof(u32, fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 1, 0xffff)).map(([high, low]) => high * 0x10000 + low));
const size = fc.oneof(fc.constantFrom(RECORD_FIXED_SIZE, MAX_RECORD_SIZE), fc.integer({ min: RECORD_FIXED_SIZE, max: MAX_RECORD_SIZE }));
// Offsets up to 2^53 - 1, so both halves of the u8 are exercised.
const offset = fc.oneof(fc.constantFrom(0, 0xffffffff, 0x100000000, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());
// size 'max': without it fast-check makes ~10 slots whatever the maxLength (DESIGN's traps).
const slots = fc.uniqueArray(fc.record({ hash, position, size, offset }), { maxLength: 400, size: 'max', selector: (s) => `${s.hash}:${s.position}` });

const triples = (s: readonly IndexSlot[]): Array<[number, number, number, number]> => s.map((x) => [x.hash, x.position, x.size, x.offset]);
/** The order the file must have, by comparison (the writer sorts by radix). */
const sorted = (s: readonly IndexSlot[]) => triples([...s].sort((a, b) => a.hash - b.hash || a.position - b.position));

function refusal(read: () => unknown): string | undefined {
  try {
    read();
    return undefined;
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return e.reason ?? e.code;
  }
}

t.test('any slots, in any order: both readers read them back sorted by (hash, position)', async (t) => {
  let largest = 0;
  let sharedHashes = 0;
  fc.assert(
    fc.property(slots, fc.array(fc.nat()), (input, swaps) => {
      const shuffled = [...input];
      // A shuffle driven by the generated numbers, so a failure replays.
      if (shuffled.length > 0) {
        swaps.forEach((r, i) => {
          const a = i % shuffled.length;
          const b = r % shuffled.length;
          [shuffled[a], shuffled[b]] = [shuffled[b]!, shuffled[a]!];
        });
      }
      const bytes = encodeSegmentIndex(HEADER, shuffled);
      const want = sorted(input);
      const read = readSegmentIndex(bytes);
      assert.deepEqual({ ...read, slots: triples(read.slots) }, { ...HEADER, slotCount: input.length, slots: want });
      assert.deepEqual(generatedIndexVerdict(bytes), { ok: true, ...HEADER, slots: want });
      assert.ok(bytes.equals(encodeSegmentIndex(HEADER, [...input].reverse())), 'the same bytes whatever the input order');
      largest = Math.max(largest, input.length);
      sharedHashes += want.filter((s, i) => i > 0 && s[0] === want[i - 1]![0]).length;
    }),
    RUNS,
  );
  t.ok(largest >= 200, `up to ${largest} slots`);
  t.ok(sharedHashes > 100, `${sharedHashes} slots share a hash with the one before`);
});

t.test('positions that differ only in their high or only in their low 16 bits, under one hash', async (t) => {
  const input: IndexSlot[] = [0x00030000, 0x00010002, 0x00010001, 0x00020000, 0x00000005, 0xffff0000, 0x0000ffff].map((p) => ({ hash: 42, position: p, size: 16, offset: p }));
  const read = readSegmentIndex(encodeSegmentIndex(HEADER, input));
  t.strictSame(read.slots.map((s) => s.position), [0x00000005, 0x0000ffff, 0x00010001, 0x00010002, 0x00020000, 0x00030000, 0xffff0000]);
});

t.test('the writer refuses what no file may hold', async (t) => {
  const one = (s: IndexSlot) => () => encodeSegmentIndex(HEADER, [s]);
  t.throws(one({ hash: 1, position: 0, size: RECORD_FIXED_SIZE - 1, offset: 0 }), { code: 'INVALID_ARGUMENT' }, 'a size below a record\'s');
  t.throws(one({ hash: 1, position: 0, size: MAX_RECORD_SIZE + 1, offset: 0 }), { code: 'INVALID_ARGUMENT' }, 'a size above a record\'s');
  t.throws(one({ hash: 1, position: 2 ** 32, size: 16, offset: 0 }), { code: 'INVALID_ARGUMENT' }, 'a position past 4 GiB');
  t.throws(one({ hash: 1, position: 0, size: 16, offset: 2 ** 53 }), { code: 'INVALID_ARGUMENT' }, 'an offset past 2^53 - 1');
  t.throws(() => encodeSegmentIndex({ ...HEADER, lastBatchPosition: HEADER.coveredLength + 1 }, []), { code: 'INVALID_ARGUMENT' }, 'a last batch past the segment');
  t.throws(() => encodeSegmentIndex({ ...HEADER, coveredLength: 2 ** 32 }, []), { code: 'TOO_LARGE' });
  t.throws(
    () => encodeSegmentIndex(HEADER, [{ hash: 5, position: 9, size: 16, offset: 1 }, { hash: 5, position: 9, size: 20, offset: 2 }]),
    { code: 'INVALID_ARGUMENT' },
    'two slots at one (hash, position): a file its reader would refuse',
  );
});

t.test('any one changed byte is refused by the reader and by the generated parser', async (t) => {
  const reasons = new Map<string, number>();
  fc.assert(
    fc.property(slots, fc.nat(), fc.integer({ min: 1, max: 255 }), (input, where, xor) => {
      const bytes = encodeSegmentIndex(HEADER, input);
      bytes[where % bytes.length]! ^= xor;
      const reason = refusal(() => checkSegmentIndex(bytes));
      assert.notEqual(reason, undefined, `byte ${where % bytes.length} of ${bytes.length} changed and accepted`);
      assert.equal(generatedIndexVerdict(bytes).ok, false);
      reasons.set(reason!, (reasons.get(reason!) ?? 0) + 1);
    }),
    { numRuns: 2000 },
  );
  for (const r of ['header-crc', 'slots-crc', 'slot-count']) t.ok((reasons.get(r) ?? 0) > 0, `refused as ${r}: ${reasons.get(r) ?? 0}`);
});

t.test('slotAt refuses a slot with any one bit flipped, its CRC included', async (t) => {
  let flips = 0;
  fc.assert(
    fc.property(slots.filter((s) => s.length > 0), fc.nat(), (input, pick) => {
      const bytes = encodeSegmentIndex(HEADER, input);
      const at = slotOffset(pick % input.length);
      assert.ok(slotAt(bytes, at) !== undefined);
      for (let bit = 0; bit < INDEX_SLOT_SIZE * 8; bit++) {
        const b = Buffer.from(bytes);
        b[at + (bit >> 3)]! ^= 1 << (bit & 7);
        assert.equal(slotAt(b, at), undefined, `bit ${bit} of the slot at ${at}`);
        flips++;
      }
    }),
    { numRuns: 100 },
  );
  t.equal(flips, 100 * INDEX_SLOT_SIZE * 8);
});

t.test('slots rewritten with matching CRCs: only bounds and order can tell, and both readers tell alike', async (t) => {
  let accepted = 0;
  const rejected = new Map<string, number>();
  const anySize = fc.oneof(size, fc.integer({ min: 0, max: RECORD_FIXED_SIZE - 1 }), fc.integer({ min: MAX_RECORD_SIZE + 1, max: 0xffffffff }));
  fc.assert(
    fc.property(slots.filter((s) => s.length > 0), fc.nat(), fc.record({ hash, position, size: anySize }), fc.boolean(), (input, pick, next, near) => {
      const bytes = encodeSegmentIndex(HEADER, input);
      const k = pick % input.length;
      const at = slotOffset(k);
      // Often a neighbour's hash, so the order check decides on the position.
      const neighbour = bytes.readUInt32LE(slotOffset(Math.max(0, k - 1)));
      bytes.writeUInt32LE(near ? neighbour : next.hash, at);
      bytes.writeUInt32LE(next.position, at + 4);
      bytes.writeUInt32LE(next.size, at + 8);
      // The offset (bytes 12..19) stays the slot's own.
      bytes.writeUInt32LE(crc32c(bytes.subarray(at, at + 20)), at + 20);
      const end = bytes.length - INDEX_TRAILER_SIZE;
      bytes.writeUInt32LE(crc32c(bytes.subarray(INDEX_HEADER_SIZE, end)), end + 4);
      const oracle = generatedIndexVerdict(bytes);
      const reason = refusal(() => checkSegmentIndex(bytes));
      assert.equal(reason === undefined, oracle.ok, `reader ${reason ?? 'accepts'}, generated parser ${oracle.ok ? 'accepts' : oracle.reason}`);
      if (oracle.ok) {
        assert.deepEqual(triples(readSegmentIndex(bytes).slots), oracle.slots);
        accepted++;
      } else {
        // Bounds: the parser's `valid:` fails (field-range); the reader says the slot fails its checks.
        assert.equal(reason, oracle.reason === 'field-range' ? 'slot-crc' : oracle.reason);
        rejected.set(reason!, (rejected.get(reason!) ?? 0) + 1);
      }
    }),
    { numRuns: 2000 },
  );
  t.ok(accepted > 0, `accepted ${accepted}`);
  for (const r of ['slot-order', 'slot-crc']) t.ok((rejected.get(r) ?? 0) > 0, `refused as ${r}: ${rejected.get(r) ?? 0}`);
});

t.test("slots whose own CRCs are wrong under a CRC of all slots made to match: the first such slot is named", async (t) => {
  // checkSegmentIndex() checks the slots' own CRCs all at once from the CRC of all slots (crc32c-fold.ts) and slot by
  // slot only when that does not hold: the slot named is the first wrong one either way.
  let runs = 0;
  fc.assert(
    fc.property(slots.filter((s) => s.length > 0), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 0xffffffff })), { minLength: 1, maxLength: 3 }), (input, wrongs) => {
      const bytes = Buffer.from(encodeSegmentIndex(HEADER, input));
      const original = Buffer.from(bytes);
      for (const [which, flip] of wrongs) {
        const at = slotOffset(which % input.length) + 20;
        bytes.writeUInt32LE((bytes.readUInt32LE(at) ^ flip) >>> 0, at);
      }
      const end = bytes.length - INDEX_TRAILER_SIZE;
      bytes.writeUInt32LE(crc32c(bytes.subarray(INDEX_HEADER_SIZE, end)), end + 4);
      const first = input.findIndex((_, k) => bytes.readUInt32LE(slotOffset(k) + 20) !== original.readUInt32LE(slotOffset(k) + 20));
      let thrown: unknown;
      try {
        checkSegmentIndex(bytes);
      } catch (e) {
        thrown = e;
      }
      if (first < 0) assert.equal(thrown, undefined);
      else assert.match(String((thrown as Error | undefined)?.message), new RegExp(`slot ${first} fails its CRC-32C or bounds`));
      if (first >= 0) assert.equal((thrown as { reason?: string }).reason, 'slot-crc');
      runs++;
    }),
    { numRuns: 500 },
  );
  t.equal(runs, 500);
});
