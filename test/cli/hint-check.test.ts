// kvtool verify's comparison of a hint with its segment
// (checkHintAgainstSegment): an entry with no record, a record missing from
// the hint, an entry that says something else, a key listed twice, and the
// cap on listed problems. It now looks keys up in a key directory of the
// segment instead of a Map of key strings; these pin what it reports.

import t from 'tap';
import { encodeBatch, encodeSegmentHeader, Op, ValueEncoding } from '../../src/formats/index.js';
import type { HintEntry, HintFile } from '../../src/formats/hint-writer.js';
import { HINT_HEADER_SIZE } from '../../src/formats/limits.js';
import { hintEntries } from '../../src/log/segment-hint.js';
import { checkHintAgainstSegment } from '../../cli/verify/store-checks.js';
import { bytesSource } from '../../src/formats/byte-source.js';

const key = (s: string) => Buffer.from(s);
const segment = Buffer.concat([
  encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Binary, createdMs: 0 }),
  encodeBatch({
    baseOffset: 0,
    timestampMs: 1,
    records: [
      { op: Op.Put, offsetDelta: 0, key: key('a'), value: key('1') },
      { op: Op.Put, offsetDelta: 1, key: key('b'), value: key('2') },
      { op: Op.Delete, offsetDelta: 2, key: key('c'), value: new Uint8Array(0) },
      { op: Op.Put, offsetDelta: 3, key: key('a'), value: key('3'), expireAtMs: 99 },
    ],
  }),
]);
const truth = hintEntries(segment, 'segment');
const hintOf = (entries: HintEntry[]): HintFile => ({ segmentBaseOffset: 0, segmentNextOffset: 4, coveredLength: segment.length, entries });
const check = (entries: HintEntry[]) => checkHintAgainstSegment(hintOf(entries), bytesSource(segment), 4, false).map((p) => `${p.offset} ${p.reason}: ${p.message}`);

t.test('a hint that matches its segment has no problem, in any order', async (t) => {
  t.same(truth.map((e) => [e.key.toString(), e.offset, e.tombstone, e.expireAtMs]), [['a', 3, false, 99], ['b', 1, false, undefined], ['c', 2, true, undefined]]);
  t.same(check(truth), []);
  t.same(check([...truth].reverse()), []);
});

t.test('each kind of disagreement is reported at its entry', async (t) => {
  const [a, b, c] = truth as [HintEntry, HintEntry, HintEntry];
  const sizeA = 19 + 8 + 1;
  t.same(check([a, b]), [`${HINT_HEADER_SIZE + sizeA + 20} hint-entry: key "c": in the segment (offset 2 position ${c.position} size ${c.size} tombstone), missing from the hint`]);
  t.same(check([a, b, c, { ...b, key: key('zz') }]), [`${HINT_HEADER_SIZE + sizeA + 40} hint-entry: key "zz": no record for it in the segment`]);
  t.same(check([{ ...a, expireAtMs: undefined }, b, c]), [
    `${HINT_HEADER_SIZE} hint-entry: key "a": hint says offset 3 position ${a.position} size ${a.size}, the segment's newest record is offset 3 position ${a.position} size ${a.size} expireAt 99`,
  ]);
  t.same(check([a, b, c, b]), [`${HINT_HEADER_SIZE + sizeA + 40} hint-entry: key "b": no record for it in the segment`], 'a key listed twice: its second entry finds no record');
  t.same(check([a, { ...b, tombstone: true }, c]).length, 1);
});

t.test('at most ten entry problems are listed, the rest counted', async (t) => {
  const extra = Array.from({ length: 14 }, (_, i) => ({ ...truth[1]!, key: key(`x${i}`) }));
  const problems = check([...truth, ...extra]);
  t.equal(problems.length, 11);
  t.match(problems[10]!, /and 4 more entries that disagree with the segment$/);
});
