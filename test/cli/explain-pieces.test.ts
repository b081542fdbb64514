// kvtool explain parses one structure from its own bytes (a batch, a hint
// entry, a snapshot chunk), never the file, and must say what the debug
// parser over the whole file says: the same path of fields with the same
// file positions, the same value and the same error. The whole-file parse
// is the reference here, over every golden segment, hint, segment index
// and snapshot (every byte of the small ones, a spread of the large ones)
// and over damaged copies of them, read through windows as small as one
// byte.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import fc from 'fast-check';
import { type ByteSource } from '../../src/formats/byte-source.js';
import { checkHint } from '../../src/formats/hint-reader.js';
import { encodeBatch, encodeSegmentHeader } from '../../src/formats/log-segment-writer.js';
import { Op, ValueEncoding } from '../../src/formats/limits.js';
import { checkSegmentIndex } from '../../src/formats/segment-index-reader.js';
import { scanSnapshot } from '../../src/formats/snapshot-reader.js';
import { HintDebug, SegmentIndexDebug, SnapshotDebug } from '../../cli/explain/debug-parsers.js';
import { isBytesHead, type Located, parseAndLocate } from '../../cli/explain/locate.js';
import { locateInHint, locateInIndex, locateInSnapshot } from '../../cli/explain/parts.js';
import { BATCH_READ_LIMITS, type BatchReadLimits, findInSegment, locateInSegment } from '../../cli/explain/segment.js';
import { damage, hex, mutation } from '../formats/arbitraries.js';

type Kind = 'segment' | 'hint' | 'index' | 'snapshot';

const FIXTURES = path.join(import.meta.dirname, '..', '..', 'fixtures');
const golden = (folder: string, kind: Kind) =>
  fs
    .readdirSync(path.join(FIXTURES, folder))
    .filter((f) => !f.endsWith('.json'))
    .map((f) => ({ name: `${folder}/${f}`, kind, bytes: fs.readFileSync(path.join(FIXTURES, folder, f)) }));
const FILES = [...golden('log', 'segment'), ...golden('hint', 'hint'), ...golden('index', 'index'), ...golden('snapshot', 'snapshot')];

/** `bytes` served `window` bytes at a time, each read a copy: a parse that looked outside its piece would see nothing. */
function windowed(bytes: Uint8Array, window: number): ByteSource {
  return { size: bytes.length, window, read: (position, length) => Uint8Array.from(bytes.subarray(position, Math.min(bytes.length, position + length))) };
}

const accepts = (read: () => unknown): boolean => {
  try {
    read();
    return true;
  } catch {
    return false;
  }
};

/** Explain's answer for byte `at`, and the whole-file parse's. */
function both(kind: Kind, bytes: Uint8Array, at: number, window: number, limits: BatchReadLimits): { pieces: Located; whole: Located } {
  const source = windowed(bytes, window);
  if (kind === 'segment') {
    const found = findInSegment(source, at);
    return { pieces: locateInSegment(source, found, at, limits), whole: parseAndLocate(found.type, { start: found.start, bytes: bytes.subarray(found.start) }, at) };
  }
  if (kind === 'hint') {
    return { pieces: locateInHint(source, at, accepts(() => checkHint(bytes))), whole: parseAndLocate(HintDebug, { start: 0, bytes }, at) };
  }
  if (kind === 'index') {
    return { pieces: locateInIndex(source, at, accepts(() => checkSegmentIndex(bytes))), whole: parseAndLocate(SegmentIndexDebug, { start: 0, bytes }, at) };
  }
  return { pieces: locateInSnapshot(source, at, accepts(() => scanSnapshot(windowed(bytes, 4096), undefined))), whole: parseAndLocate(SnapshotDebug, { start: 0, bytes }, at) };
}

/** What a Located shows, values as hex; a value read only in part (a long zero fill) as the whole value's first bytes and length. */
function shown(l: Located, headOf?: number): unknown {
  const v = l.value;
  const value = isBytesHead(v)
    ? { head: hex(v.head), length: v.length }
    : v instanceof Uint8Array
      ? headOf === undefined
        ? hex(v)
        : { head: hex(v.subarray(0, headOf)), length: v.length }
      : v;
  return { path: l.path, value, error: l.error && `${l.error.name}: ${l.error.message}` };
}

function assertSame(kind: Kind, bytes: Uint8Array, at: number, window: number, limits: BatchReadLimits, what: string): void {
  const { pieces, whole } = both(kind, bytes, at, window, limits);
  const headOf = isBytesHead(pieces.value) ? pieces.value.head.length : undefined;
  assert.deepEqual(shown(pieces, headOf), shown(whole, headOf), `${what} at ${at}`);
}

/** Every byte of a small file; of a large one, its first and last 100 and 200 between. */
function positions(size: number): number[] {
  const all: number[] = [];
  const stride = size > 1000 ? Math.ceil(size / 200) : 1;
  for (let at = 0; at < size; at += at < 100 || size - at <= 100 ? 1 : stride) all.push(at);
  return all;
}

/** Zero fills longer than 40 bytes read as their head: the fixtures' zero fills take that path too. */
const SMALL_TAIL: BatchReadLimits = { ...BATCH_READ_LIMITS, wholeTail: 40, tailHead: 24 };

/** Window sizes for the golden files (the damaged ones get any from 1 byte: a 1-byte window over a 64 KiB zero run is slow). */
const WINDOWS = [64, 700, 4096];

t.test('every golden file: each byte located from its structure alone as over the whole file', async (t) => {
  for (const f of FILES) {
    for (const at of positions(f.bytes.length)) {
      assertSame(f.kind, f.bytes, at, WINDOWS[at % WINDOWS.length]!, BATCH_READ_LIMITS, f.name);
      if (f.kind === 'segment' && at % 4 === 0) assertSame(f.kind, f.bytes, at, 4096, SMALL_TAIL, `${f.name} (zero fill read as its head)`);
    }
  }
  t.pass(`${FILES.length} files`);
});

t.test('damaged golden files, windows from one byte, zero fills read whole or as their head', async (t) => {
  const RUNS = 1000;
  fc.assert(
    fc.property(
      fc.nat(FILES.length - 1),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      fc.nat(),
      fc.integer({ min: 1, max: 700 }),
      fc.boolean(),
      (i, ms, atSeed, window, small) => {
        const f = FILES[i]!;
        let bytes: Buffer = f.bytes;
        for (const m of ms) if (bytes.length > 0) bytes = damage(bytes, m).bytes;
        if (bytes.length === 0) return;
        assertSame(f.kind, bytes, atSeed % bytes.length, window, small ? SMALL_TAIL : BATCH_READ_LIMITS, `${f.name} damaged`);
      },
    ),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} damaged files`);
});

t.test('a damaged batch whose records run past its length is parsed on past it, as over the whole file', async (t) => {
  const record = (offsetDelta: number) => ({ op: Op.Put, offsetDelta, key: Buffer.from(`k${offsetDelta}`), value: Buffer.alloc(300, 0x61), expireAtMs: undefined });
  const batch = (n: number) => encodeBatch({ baseOffset: 0, timestampMs: 1, compacted: false, records: Array.from({ length: n }, (_, i) => record(i)) });
  const first = batch(1);
  // record_count (the batch header's last field, at 8 + 22) says 4, and three
  // more records follow the batch: the parser reads them, the reader finds
  // no batch after the damage.
  first.writeUInt32LE(4, 8 + 22);
  const more = batch(3).subarray(8 + 26);
  const bytes = Buffer.concat([encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Utf8, createdMs: 0 }), first, more]);
  const at = 28 + first.length + 40;
  assertSame('segment', bytes, at, 64, BATCH_READ_LIMITS, 'overrunning batch');
  const { pieces } = both('segment', bytes, at, 64, BATCH_READ_LIMITS);
  t.strictSame([pieces.path[0]!.start, pieces.path[0]!.end], [28, bytes.length], 'the byte is explained from the damaged batch, which the parser reads to the end');
  t.equal(pieces.path[1]!.field, 'records[1]', `in a record past its length (${pieces.path.map((s) => s.field).join('.')})`);
});
