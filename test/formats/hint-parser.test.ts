// The hint reader checks and reads entries by hand (speed: opening a store
// feeds every entry into the key directory). This checks it against the
// generated parser on hints with a byte of the entries changed (or the
// entries region cut short, or the trailer's count changed) and the entries
// CRC made to match again, so only the field checks can tell: the reader
// accepts a hint exactly when the generated parser reads it and the count
// agrees, then both give the same entries; when the parser rejects it, the
// reader rejects it with the same kind of damage.

import assert from 'node:assert/strict';
import t from 'tap';
import fc from 'fast-check';
import { crc32c } from '../../src/checksum/crc32c.js';
import { LogkvError } from '../../src/errors.js';
import { encodeHint } from '../../src/formats/index.js';
import { checkHint, forEachHintEntry, readHint } from '../../src/formats/hint-reader.js';
import { Hint, streamOver } from '../../src/formats/kaitai.js';
import { HINT_HEADER_SIZE, HINT_TRAILER_SIZE } from '../../src/formats/limits.js';
import { hex, hintEntries } from './arbitraries.js';

const RUNS = { numRuns: 2000 };

interface Plain {
  key: string;
  offset: number;
  position: number;
  size: number;
  tombstone: boolean;
  expireAtMs: number | undefined;
}

type Verdict = { ok: true; entries: Plain[] } | { ok: false; code: string; reason: string };

/** The generated parser's reading, judged as hint-reader documents: EOF is TRUNCATED, a failed `valid:` CORRUPT field-range. */
function generated(bytes: Buffer): Verdict {
  let h: InstanceType<typeof Hint>;
  try {
    h = new Hint(streamOver(bytes));
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'EOFError') return { ok: false, code: 'TRUNCATED', reason: 'truncated' };
    assert.match(name, /^Validation/, `unexpected error from the generated parser: ${String(e)}`);
    return { ok: false, code: 'CORRUPT', reason: 'field-range' };
  }
  const list = h.entries.entries;
  if (list.length !== h.trailer.entryCount) return { ok: false, code: 'CORRUPT', reason: 'entry-count' };
  return {
    ok: true,
    entries: list.map((e) => ({ key: hex(e.key), offset: e.offset, position: e.position, size: e.size, tombstone: e.isTombstone, expireAtMs: e.expiry?.expireAtMs })),
  };
}

function handRead(bytes: Buffer): Verdict {
  try {
    return { ok: true, entries: readHint(bytes).entries.map((e) => ({ key: hex(e.key), offset: e.offset, position: e.position, size: e.size, tombstone: e.tombstone, expireAtMs: e.expireAtMs })) };
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return { ok: false, code: e.code, reason: e.reason ?? '' };
  }
}

/** Makes the entries CRC match the (changed) entries again, so only the field checks can tell. */
function reseal(bytes: Buffer): Buffer {
  const trailerAt = bytes.length - HINT_TRAILER_SIZE;
  bytes.writeUInt32LE(crc32c(bytes.subarray(HINT_HEADER_SIZE, trailerAt)), trailerAt + 4);
  return bytes;
}

const change = fc.oneof(
  // One byte of the entries, often in the first entry's fixed part (flags, lengths, offset, size, expiry).
  fc.record({ kind: fc.constant('byte' as const), where: fc.nat(), byte: fc.nat(255), early: fc.boolean() }),
  // The entries region loses `n` bytes somewhere: an entry runs past its end.
  fc.record({ kind: fc.constant('cut' as const), where: fc.nat(), n: fc.integer({ min: 1, max: 40 }) }),
  // The trailer counts a different number of entries.
  fc.record({ kind: fc.constant('count' as const), delta: fc.integer({ min: -3, max: 3 }) }),
);

t.test('hand-read hints agree with the generated parser', async (t) => {
  let accepted = 0;
  const rejected = new Map<string, number>();
  fc.assert(
    fc.property(hintEntries, change, (entries, c) => {
      const original = encodeHint({ segmentBaseOffset: 5, segmentNextOffset: 9, coveredLength: 1000, entries });
      const region = original.length - HINT_HEADER_SIZE - HINT_TRAILER_SIZE;
      let bytes: Buffer;
      if (c.kind === 'byte') {
        if (region === 0) return;
        bytes = Buffer.from(original);
        bytes[HINT_HEADER_SIZE + (c.where % (c.early ? Math.min(region, 27) : region))] = c.byte;
      } else if (c.kind === 'cut') {
        if (region === 0) return;
        const at = HINT_HEADER_SIZE + (c.where % region);
        const n = Math.min(c.n, HINT_HEADER_SIZE + region - at);
        bytes = Buffer.concat([original.subarray(0, at), original.subarray(at + n)]);
      } else {
        bytes = Buffer.from(original);
        const trailerAt = bytes.length - HINT_TRAILER_SIZE;
        bytes.writeUInt32LE(Math.max(0, bytes.readUInt32LE(trailerAt) + c.delta), trailerAt);
      }
      reseal(bytes);
      const want = generated(bytes);
      const got = handRead(bytes);
      assert.deepStrictEqual(got, want);
      if (want.ok) accepted++;
      else rejected.set(want.reason, (rejected.get(want.reason) ?? 0) + 1);
    }),
    RUNS,
  );
  t.ok(accepted > 0, `accepted ${accepted}`);
  for (const reason of ['truncated', 'field-range', 'entry-count']) t.ok((rejected.get(reason) ?? 0) > 0, `rejected as ${reason}: ${rejected.get(reason) ?? 0}`);
});

t.test('checkHint counts what forEachHintEntry visits, and the visitor sees what readHint returns', async () => {
  fc.assert(
    fc.property(hintEntries, (entries) => {
      const bytes = encodeHint({ segmentBaseOffset: 5, segmentNextOffset: 9, coveredLength: 1000, entries });
      const checked = checkHint(bytes);
      assert.equal(checked.entryCount, entries.length);
      assert.equal(checked.keyBytes, entries.reduce((n, e) => n + e.key.length, 0));
      assert.equal(checked.tombstones, entries.filter((e) => e.tombstone).length);
      const seen: Plain[] = [];
      forEachHintEntry(checked, (tombstone, b, keyAt, keyLength, offset, position, size, expireAtMs) => {
        seen.push({ key: hex(b.subarray(keyAt, keyAt + keyLength)), offset, position, size, tombstone, expireAtMs });
      });
      assert.deepStrictEqual(
        seen,
        entries.map((e) => ({ key: hex(e.key), offset: e.offset, position: e.position, size: e.size, tombstone: e.tombstone, expireAtMs: e.expireAtMs })),
      );
    }),
    { numRuns: 300 },
  );
});

t.test('the bounds of size and offset, where a random byte rarely lands', async () => {
  const one = (size: number, offsetHigh: number) => {
    const bytes = encodeHint({ segmentBaseOffset: 5, segmentNextOffset: 9, coveredLength: 1000, entries: [{ key: Buffer.from('k'), offset: 1, position: 0, size: 16, tombstone: false }] });
    bytes.writeUInt32LE(size, HINT_HEADER_SIZE + 15);
    bytes.writeUInt32LE(offsetHigh, HINT_HEADER_SIZE + 7);
    return reseal(bytes);
  };
  for (const [size, high] of [[16, 0], [15, 0], [268501015, 0], [268501016, 0], [16, 0x1fffff], [16, 0x200000]] as const) {
    const bytes = one(size, high);
    assert.deepStrictEqual(handRead(bytes), generated(bytes), `size ${size}, offset high word ${high}`);
  }
  assert.equal(handRead(one(268501016, 0)).ok, false);
  assert.equal(handRead(one(16, 0x200000)).ok, false);
});
