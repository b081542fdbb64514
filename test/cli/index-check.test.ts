// kvtool verify's comparison of a segment index with its hint and segment
// (checkIndexAgainstHint): each header field that disagrees, a slot with no
// hint entry, an entry with no slot (named by its key), a size that
// differs, the cap on listed problems, and an index whose hint cannot be
// used. Indexes here are encoded from slots made by hand, so a slot can
// disagree in one field only.

import t from 'tap';
import { bytesSource } from '../../src/formats/byte-source.js';
import { checkHint } from '../../src/formats/hint-reader.js';
import { encodeHint, type HintEntry } from '../../src/formats/hint-writer.js';
import { INDEX_HEADER_SIZE, INDEX_SLOT_SIZE } from '../../src/formats/limits.js';
import { encodeSegmentIndex, type IndexSlot, type SegmentIndexHeader } from '../../src/formats/segment-index-writer.js';
import { hashKey } from '../../src/log/key-directory.js';
import { checkIndexAgainstHint } from '../../cli/verify/index-check.js';

const key = (s: string) => Buffer.from(s);
const header: SegmentIndexHeader = { segmentBaseOffset: 10, segmentNextOffset: 40, coveredLength: 5000, lastBatchPosition: 428 };
const entries: HintEntry[] = ['a', 'b', 'c', 'd', 'e'].map((k, i) => ({ key: key(k), offset: 10 + i, position: 28 + 100 * i, size: 20 + i, tombstone: i === 2 }));
const hint = checkHint(encodeHint({ ...header, entries }));
const slotOf = (e: HintEntry): IndexSlot => ({ hash: hashKey(e.key), position: e.position, size: e.size, offset: e.offset });
const slots = entries.map(slotOf);
/** Slot k of an index made from `s`, in the file's (hash, position) order. */
const sorted = (s: IndexSlot[]) => [...s].sort((x, y) => x.hash - y.hash || x.position - y.position);
const at = (k: number) => INDEX_HEADER_SIZE + k * INDEX_SLOT_SIZE;

function check(s: IndexSlot[], h: Partial<SegmentIndexHeader> = {}, segment = { base: 10 as number | undefined, size: 5000 }): string[] {
  const index = bytesSource(encodeSegmentIndex({ ...header, ...h }, s));
  return checkIndexAgainstHint(index, { hint }, segment.base, segment.size).map((p) => `${p.offset ?? '-'} ${p.code} ${p.reason}: ${p.message}`);
}

t.test('an index made from its hint has no problem, whatever order the slots were given in', async (t) => {
  t.same(check(slots), []);
  t.same(check([...slots].reverse()), []);
});

t.test('each header field that disagrees is reported at its offset, and the slots are not compared then', async (t) => {
  t.same(check(slots, { segmentBaseOffset: 11 }), ['8 INDEX_MISMATCH index-base-offset: index is for base offset 11, the segment\'s is 10 (stale: the engine ignores the index and writes it again)']);
  t.same(check(slots, { segmentBaseOffset: 11 }, { base: undefined, size: 5000 }), ['8 INDEX_MISMATCH index-base-offset: index is for base offset 11, the hint\'s is 10 (stale: the engine ignores the index and writes it again)'], 'the hint\'s when the segment header is unreadable');
  t.same(check(slots, { segmentNextOffset: 39 }), ['16 INDEX_MISMATCH index-next-offset: index says next offset 39, the hint 40 (stale: the engine ignores the index and writes it again)']);
  t.same(check(slots, {}, { base: 10, size: 5001 }), ['24 INDEX_MISMATCH index-length: index covers 5000 bytes, the segment has 5001 (stale: the engine ignores the index and writes it again)']);
  t.same(check(slots, { coveredLength: 4999 }, { base: 10, size: 4999 }), ['24 INDEX_MISMATCH index-length: index covers 4999 bytes, the hint 5000 (stale: the engine ignores the index and writes it again)']);
  t.equal(check(slots.slice(1), { segmentNextOffset: 39 }).length, 1, 'a missing slot under a stale header is not listed');
});

t.test('a slot with no entry, an entry with no slot and a size that differs, each at its slot', async (t) => {
  const order = sorted(slots);
  const gone = order[2]!;
  const goneKey = entries.find((e) => slotOf(e).position === gone.position)!;
  t.same(check(slots.filter((s) => s !== gone)), [
    `${at(2)} INDEX_MISMATCH index-slot: key "${goneKey.key.toString()}" (offset ${goneKey.offset}, position ${goneKey.position}, size ${goneKey.size}): in the hint, no slot for it in the index (a get from the index would miss it)`,
  ]);
  const last = order.at(-1)!;
  t.same(check(slots.filter((s) => s !== last)).map((p) => p.split(' ')[0]), [String(at(4))], 'an entry after the last slot: at the trailer');
  const extra = { hash: gone.hash, position: gone.position + 1, size: 30, offset: 99 };
  const withExtra = sorted([...slots, extra]);
  t.same(check([...slots, extra]), [`${at(withExtra.indexOf(extra))} INDEX_MISMATCH index-slot: slot ${withExtra.indexOf(extra)} (hash ${gone.hash.toString(16).padStart(8, '0')}, position ${extra.position}, size 30): the hint has no entry for it`]);
  t.same(check(slots.map((s) => (s === gone ? { ...s, size: s.size + 1 } : s))), [`${at(2)} INDEX_MISMATCH index-slot: slot 2 says the record at position ${gone.position} has size ${gone.size + 1}, the hint ${gone.size}`]);
  t.same(check(slots.map((s) => (s === gone ? { ...s, offset: s.offset + 7 } : s))), [`${at(2)} INDEX_MISMATCH index-slot: slot 2 says the record at position ${gone.position} has offset ${gone.offset + 7}, the hint ${gone.offset}`]);
  // A slot whose hash is another key's: no entry at that (hash, position), and the key's own entry has no slot.
  const moved = slots.map((s) => (s === gone ? { ...s, hash: (s.hash + 1) >>> 0 } : s));
  t.equal(check(moved).length, 2);
});

t.test('at most ten slot problems are listed, the rest counted', async (t) => {
  const extra = Array.from({ length: 14 }, (_, i) => ({ hash: 7, position: 90_000 + i, size: 16, offset: 1000 + i }));
  const problems = check([...slots, ...extra]);
  t.equal(problems.length, 11);
  t.match(problems[10]!, /and 4 more slots that disagree with the hint$/);
  const none = check([]);
  t.equal(none.length, 5, 'an empty index lists each entry of the hint');
  t.match(none[0]!, new RegExp(`^${at(0)} INDEX_MISMATCH index-slot: key "[a-e]"`));
});

t.test('an index beside a hint that cannot be used, and a damaged index', async (t) => {
  const index = bytesSource(encodeSegmentIndex(header, slots));
  t.same(
    checkIndexAgainstHint(index, { unusable: 'is missing' }, 10, 5000).map((p) => [p.reason, p.offset, p.message]),
    [['index-hint', undefined, 'its segment\'s hint is missing: the engine ignores the index, loads the segment another way and writes both again']],
  );
  const damaged = encodeSegmentIndex(header, slots);
  damaged[INDEX_HEADER_SIZE + 3]! ^= 1;
  t.same(checkIndexAgainstHint(bytesSource(damaged), { hint }, 10, 5000), [], 'its own check reports a damaged index');
});
