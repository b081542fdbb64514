// Writes the golden files in fixtures/ with our writers, deterministically,
// and beside each an expected JSON: what a reader must report. Expectations
// are computed from what this script wrote and where it damaged it (byte
// positions from the encoded sizes), never from running a reader, so the
// conformance test can fail. `make fixtures` runs it; the conformance test
// regenerates into a temporary folder and compares bytes.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32c } from '../src/checksum/crc32c.js';
import { hashKey } from '../src/log/key-directory.js';
import { encodeSegmentIndex, type IndexSlot } from '../src/formats/segment-index-writer.js';
import {
  BATCH_FRAME_SIZE,
  BATCH_HEADER_SIZE,
  encodeBatch,
  encodeFrame,
  encodeHint,
  encodeJournalHeader,
  encodeSegmentHeader,
  encodeSnapshot,
  encodeStoreIdentity,
  FrameOp,
  INDEX_HEADER_SIZE,
  INDEX_SLOT_SIZE,
  JOURNAL_HEADER_SIZE,
  type HintEntry,
  type JournalFrame,
  type LogBatch,
  Op,
  RECORD_FIXED_SIZE,
  SEGMENT_HEADER_SIZE,
  type SnapshotEntry,
  ValueEncoding,
} from '../src/formats/index.js';

export type Expected =
  | { kind: 'log'; records: Array<[number, string, string, string]>; validUpTo: number; nextOffset: number; end: string; damage: Array<[string, string, number]> }
  | { kind: 'hint' | 'snapshot'; entries: Array<[string, number]> }
  | { kind: 'journal'; frames: number; validUpTo: number; end: string; damage: [string, string, number] | null }
  | { kind: 'identity'; storeId: string; createdMs: number }
  /** slots: [hash, position, size] in file order. */
  | { kind: 'index'; segmentBaseOffset: number; segmentNextOffset: number; coveredLength: number; lastBatchPosition: number; slots: Array<[number, number, number, number]> }
  | { kind: 'error'; code: string; reason: string; offset: number };

export interface Fixture {
  file: string;
  bytes: Buffer;
  expected: Expected;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const text = (s: string) => Buffer.from(s, 'utf8');
const rec = (op: Op, offsetDelta: number, key: Uint8Array, value: Uint8Array, expireAtMs?: number) => ({ op, offsetDelta, key, value, expireAtMs });

function logFixtures(): Fixture[] {
  const out: Fixture[] = [];
  const header = encodeSegmentHeader({ baseOffset: 100, valueEncoding: ValueEncoding.Binary, createdMs: 1_700_000_000_000 });
  const batches: LogBatch[] = [
    { baseOffset: 100, timestampMs: 1, records: [rec(Op.Put, 0, text('alpha'), text('one'))] },
    {
      baseOffset: 101,
      timestampMs: 2,
      records: [rec(Op.Put, 0, Buffer.from([0x00, 0xff]), text('binary key')), rec(Op.Put, 1, text('ключ-🔑'), Buffer.alloc(0)), rec(Op.Put, 2, text('ttl'), text('x'), 1_800_000_000_000)],
    },
    { baseOffset: 104, timestampMs: 3, records: [rec(Op.Delete, 0, text('alpha'), Buffer.alloc(0))] },
    { baseOffset: 105, timestampMs: 4, compacted: true, records: [rec(Op.Put, 0, text('g1'), text('a')), rec(Op.Put, 3, text('g2'), text('b'))] },
    { baseOffset: 109, timestampMs: 5, records: [rec(Op.Put, 0, Buffer.alloc(65535, 0x6b), text('largest key'))] },
  ];
  const encoded = batches.map(encodeBatch);
  const positions: number[] = [];
  let at = SEGMENT_HEADER_SIZE;
  for (const e of encoded) {
    positions.push(at);
    at += e.length;
  }
  const end = at;
  const recordsOf = (n: number) =>
    batches.slice(0, n).flatMap((b) => b.records.map((r): [number, string, string, string] => [b.baseOffset + r.offsetDelta, r.op === Op.Put ? 'put' : 'delete', hex(r.key), hex(r.value)]));
  const nextOf = (n: number) => (n === 0 ? 100 : batches[n - 1]!.baseOffset + batches[n - 1]!.records.at(-1)!.offsetDelta + 1);
  const valid = Buffer.concat([header, ...encoded]);
  const log = (file: string, bytes: Buffer, kept: number, endKind: string, damage: Array<[string, string, number]>) =>
    out.push({ file: `log/${file}.log`, bytes, expected: { kind: 'log', records: recordsOf(kept), validUpTo: kept === 0 ? SEGMENT_HEADER_SIZE : positions[kept - 1]! + encoded[kept - 1]!.length, nextOffset: nextOf(kept), end: endKind, damage } });
  const error = (file: string, bytes: Buffer, code: string, reason: string, offset: number) => out.push({ file: `log/${file}.log`, bytes, expected: { kind: 'error', code, reason, offset } });

  log('empty', header, 0, 'eof', []);
  log('one-record', Buffer.concat([header, encoded[0]!]), 1, 'eof', []);
  log('many', valid, batches.length, 'eof', []);
  log('zero-filled-tail', Buffer.concat([valid, Buffer.alloc(4096)]), batches.length, 'zero-fill', []);
  for (const cut of [5, 3]) log(`torn-in-batch-${cut}`, valid.subarray(0, positions[2]! + cut), 2, 'damage', [['TRUNCATED', 'truncated', positions[2]!]]);
  log('torn-mid-record', valid.subarray(0, positions[1]! + 50), 1, 'damage', [['TRUNCATED', 'truncated', positions[1]!]]);
  log('torn-one-byte-short', valid.subarray(0, end - 1), batches.length - 1, 'damage', [['TRUNCATED', 'truncated', positions[4]!]]);
  const flip = (pos: number, name: string, kept: number, reason: string, damageAt: number) => {
    const b = Buffer.from(valid);
    b[pos]! ^= 0x04;
    log(name, b, kept, 'damage', [['CORRUPT', reason, damageAt]]);
  };
  flip(positions[1]! + BATCH_FRAME_SIZE + BATCH_HEADER_SIZE + RECORD_FIXED_SIZE, 'flip-key', 1, 'batch-crc', positions[1]!);
  // A record whose own CRC fails inside a batch whose CRC was recomputed
  // over the damage: what a buggy writer would leave. Readers must not
  // trust the batch CRC alone.
  const recordCrc = Buffer.from(valid);
  recordCrc[positions[2]! + encoded[2]!.length - 1]! ^= 0x04;
  recordCrc.writeUInt32LE(crc32c(recordCrc.subarray(positions[2]! + BATCH_FRAME_SIZE, positions[2]! + encoded[2]!.length)), positions[2]! + 4);
  log('record-crc-mismatch', recordCrc, 2, 'damage', [['CORRUPT', 'record-crc', positions[2]!]]);
  flip(positions[0]! + encoded[0]!.length - 1, 'flip-value', 0, 'batch-crc', positions[0]!);
  flip(positions[2]! + 5, 'flip-crc', 2, 'batch-crc', positions[2]!);
  flip(positions[3]! + 1, 'flip-length', 3, 'batch-crc', positions[3]!);
  const garbage = Buffer.from(valid);
  garbage.writeUInt32LE(0xfffffff0, positions[2]!);
  log('garbage-length', garbage, 2, 'damage', [['CORRUPT', 'batch-length', positions[2]!]]);
  const zeroed = Buffer.from(valid);
  zeroed.fill(0, positions[4]!);
  log('later-batch-zeroed', zeroed, 4, 'zero-fill', []);
  const stray = Buffer.concat([valid, Buffer.alloc(100)]);
  stray[end + 60] = 1;
  log('nonzero-in-fill', stray, batches.length, 'damage', [['CORRUPT', 'nonzero-fill', end]]);
  const hflip = Buffer.from(valid);
  hflip[10]! ^= 1;
  error('flip-header', hflip, 'CORRUPT', 'header-crc', 0);
  const magic = Buffer.from(valid);
  magic.write('XKVL', 0, 'latin1');
  error('wrong-magic', magic, 'BAD_MAGIC', 'magic', 0);
  const future = Buffer.from(valid);
  future.writeUInt16LE(2, 4);
  error('future-version', future, 'UNSUPPORTED_VERSION', 'version', 4);
  error('torn-in-header', valid.subarray(0, 20), 'TRUNCATED', 'truncated', 20);
  return out;
}

function hintFixtures(): Fixture[] {
  const entries: HintEntry[] = [
    { key: text('alpha'), offset: 104, position: 200, size: 17, tombstone: true },
    { key: Buffer.from([0x00, 0xff]), offset: 101, position: 90, size: 26, tombstone: false },
    { key: text('ttl'), offset: 103, position: 150, size: 24, tombstone: false, expireAtMs: 1_800_000_000_000 },
    { key: Buffer.alloc(65535, 0x6b), offset: 109, position: 300, size: 65558, tombstone: false },
  ];
  const make = (e: HintEntry[]) => encodeHint({ segmentBaseOffset: 100, segmentNextOffset: 110, coveredLength: 66000, entries: e });
  const ok = (name: string, e: HintEntry[]): Fixture => ({ file: `hint/${name}.hint`, bytes: make(e), expected: { kind: 'hint', entries: e.map((x) => [hex(x.key), x.offset]) } });
  const valid = make(entries);
  const bad = (name: string, bytes: Buffer, code: string, reason: string, offset: number): Fixture => ({ file: `hint/${name}.hint`, bytes, expected: { kind: 'error', code, reason, offset } });
  const flipAt = (pos: number) => {
    const b = Buffer.from(valid);
    b[pos]! ^= 0x01;
    return b;
  };
  return [
    ok('empty', []),
    ok('one-entry', entries.slice(0, 1)),
    ok('many', entries),
    bad('flip-key', flipAt(36 + 19 + 2), 'CORRUPT', 'entries-crc', 36),
    bad('flip-trailer-crc', flipAt(valid.length - 1), 'CORRUPT', 'entries-crc', 36),
    bad('torn', valid.subarray(0, valid.length - 3), 'CORRUPT', 'entries-crc', 36),
    bad('flip-header', flipAt(12), 'CORRUPT', 'header-crc', 0),
    bad('too-short', valid.subarray(0, 40), 'TRUNCATED', 'truncated', 40),
  ];
}

function snapshotFixtures(): Fixture[] {
  const entries: SnapshotEntry[] = Array.from({ length: 300 }, (_, i) => ({
    key: text(`key-${String(i).padStart(4, '0')}`),
    value: Buffer.alloc(i % 3 === 0 ? 0 : 700, i & 0xff),
    offset: 1000 + i,
    expireAtMs: i % 10 === 0 ? 1_800_000_000_000 : undefined,
  }));
  const make = (e: SnapshotEntry[]) => encodeSnapshot({ valueEncoding: ValueEncoding.Binary, nextOffset: 2000, createdMs: 5 }, e);
  const ok = (name: string, e: SnapshotEntry[]): Fixture => ({ file: `snapshot/${name}.snap`, bytes: make(e), expected: { kind: 'snapshot', entries: e.map((x) => [hex(x.key), x.offset]) } });
  const valid = make(entries);
  const bad = (name: string, bytes: Buffer, code: string, reason: string, offset: number): Fixture => ({ file: `snapshot/${name}.snap`, bytes, expected: { kind: 'error', code, reason, offset } });
  const flipped = (pos: number) => {
    const b = Buffer.from(valid);
    b[pos]! ^= 0x01;
    return b;
  };
  const garbage = Buffer.from(valid);
  garbage.writeUInt32LE(0xfffffff0, 36 + 4);
  return [
    ok('empty', []),
    ok('one-entry', entries.slice(0, 1)),
    ok('many-chunks', entries),
    bad('flip-first-chunk', flipped(36 + 12 + 20), 'CORRUPT', 'chunk-crc', 36),
    bad('flip-sha256', flipped(valid.length - 1), 'CORRUPT', 'sha256', valid.length - 32),
    bad('garbage-chunk-length', garbage, 'CORRUPT', 'field-range', 36),
    bad('torn-in-trailer', valid.subarray(0, valid.length - 5), 'TRUNCATED', 'truncated', valid.length - 32),
    bad('trailing-bytes', Buffer.concat([valid, Buffer.from([0])]), 'CORRUPT', 'trailing-bytes', valid.length),
  ];
}

function journalFixtures(): Fixture[] {
  const size = 4096;
  const frames: JournalFrame[] = [
    { generation: 3, op: FrameOp.Set, entries: [{ key: 'name', value: 'Ada' }] },
    {
      generation: 3,
      op: FrameOp.Set,
      entries: [
        { key: 'kinds', value: [null, true, false, -42, 2n ** 62n, 1.5, Number.NaN, -Infinity, -0, 'ключ', new Uint8Array([0, 255]), { nested: [1] }] },
        { key: 'name', value: null },
      ],
    },
    { generation: 3, op: FrameOp.Clear, entries: [] },
  ];
  const encoded = frames.map(encodeFrame);
  const pos: number[] = [];
  let at = JOURNAL_HEADER_SIZE;
  for (const f of encoded) {
    pos.push(at);
    at += f.length;
  }
  const build = (n: number, committed: number) =>
    Buffer.concat([encodeJournalHeader({ generation: 3, fileSize: size, committedLength: committed, createdMs: 7 }), ...encoded.slice(0, n), Buffer.alloc(size - JOURNAL_HEADER_SIZE - encoded.slice(0, n).reduce((s, f) => s + f.length, 0))]);
  const j = (name: string, bytes: Buffer, n: number, end: string, damage: [string, string, number] | null): Fixture => ({
    file: `journal/${name}.jrna`,
    bytes,
    expected: { kind: 'journal', frames: n, validUpTo: n === 0 ? JOURNAL_HEADER_SIZE : pos[n - 1]! + encoded[n - 1]!.length, end, damage },
  });
  const valid = build(3, encoded[0]!.length);
  const flipAt = (p: number) => {
    const b = Buffer.from(valid);
    b[p]! ^= 0x02;
    return b;
  };
  const garbage = Buffer.from(valid);
  garbage.writeUInt32LE(0xfffffff0, pos[1]!);
  const magic = Buffer.from(valid);
  magic.write('XKVJ', 0, 'latin1');
  // The older file after a switch: flags bit 0 set, header CRC made anew.
  const superseded = Buffer.from(valid);
  superseded.set(encodeJournalHeader({ generation: 3, fileSize: size, committedLength: encoded[0]!.length, createdMs: 7, superseded: true }), 0);
  // A flag bit this version does not define, under a header CRC that matches.
  const unknownFlag = Buffer.from(superseded);
  unknownFlag.writeUInt16LE(2, 6);
  unknownFlag.writeUInt32LE(crc32c(unknownFlag.subarray(0, 32)), 32);
  return [
    j('empty', build(0, 0), 0, 'slack', null),
    j('one-frame', build(1, 0), 1, 'slack', null),
    j('all-value-kinds', valid, 3, 'slack', null),
    j('flip-uncommitted-frame', flipAt(pos[1]! + 20), 1, 'damage', ['CORRUPT', 'frame-crc', pos[1]!]),
    j('flip-committed-frame', flipAt(pos[0]! + 12), 0, 'damage', ['CORRUPT', 'frame-crc', pos[0]!]),
    j('garbage-length', garbage, 1, 'damage', ['CORRUPT', 'frame-length', pos[1]!]),
    j('superseded', superseded, 3, 'slack', null),
    { file: 'journal/unknown-flag.jrna', bytes: unknownFlag, expected: { kind: 'error', code: 'CORRUPT', reason: 'field-range', offset: 0 } },
    { file: 'journal/wrong-magic.jrna', bytes: magic, expected: { kind: 'error', code: 'BAD_MAGIC', reason: 'magic', offset: 0 } },
    { file: 'journal/torn-file.jrna', bytes: valid.subarray(0, 2000), expected: { kind: 'error', code: 'CORRUPT', reason: 'file-size', offset: 2000 } },
  ];
}

function identityFixtures(): Fixture[] {
  const storeId = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const createdMs = 1_700_000_000_000;
  const valid = encodeStoreIdentity({ storeId, createdMs });
  const bad = (name: string, bytes: Buffer, code: string, reason: string, offset: number): Fixture => ({ file: `identity/${name}.IDENTITY`, bytes, expected: { kind: 'error', code, reason, offset } });
  const flipAt = (pos: number) => {
    const b = Buffer.from(valid);
    b[pos]! ^= 0x01;
    return b;
  };
  const flags = Buffer.from(valid);
  flags.writeUInt16LE(1, 6);
  flags.writeUInt32LE(crc32c(flags.subarray(0, 32)), 32);
  return [
    { file: 'identity/valid.IDENTITY', bytes: valid, expected: { kind: 'identity', storeId: hex(storeId), createdMs } },
    bad('flip-store-id', flipAt(10), 'CORRUPT', 'header-crc', 0),
    bad('flip-crc', flipAt(35), 'CORRUPT', 'header-crc', 0),
    bad('torn', valid.subarray(0, 20), 'TRUNCATED', 'truncated', 20),
    bad('trailing-bytes', Buffer.concat([valid, Buffer.from([0])]), 'CORRUPT', 'file-size', 36),
    bad('unknown-flag', flags, 'CORRUPT', 'field-range', 0),
    bad('wrong-magic', Buffer.concat([Buffer.from('NOPE'), valid.subarray(4)]), 'BAD_MAGIC', 'magic', 0),
  ];
}

function indexFixtures(): Fixture[] {
  const header = { segmentBaseOffset: 100, segmentNextOffset: 110, coveredLength: 66000, lastBatchPosition: 300 };
  // The slots of hint/many.hint's entries, then ones the order rules are
  // about: equal hashes whose positions differ only in their high bits, and
  // the smallest and largest hash. Given out of order: the writer sorts.
  const slots: IndexSlot[] = [
    { hash: hashKey(text('alpha')), position: 200, size: 17, offset: 101 },
    { hash: hashKey(Buffer.from([0x00, 0xff])), position: 90, size: 26, offset: 100 },
    { hash: hashKey(text('ttl')), position: 150, size: 24, offset: 103 },
    { hash: hashKey(Buffer.alloc(65535, 0x6b)), position: 300, size: 65558, offset: 104 },
    { hash: 0x80000001, position: 0x01000000, size: 16, offset: 105 },
    { hash: 0x80000001, position: 0x00010000, size: 40, offset: 107 },
    { hash: 0x80000001, position: 0x00000100, size: 33, offset: 106 },
    { hash: 0xffffffff, position: 0xffffffff, size: 268_501_015, offset: 109 },
    { hash: 0, position: 0, size: 16, offset: 108 },
  ];
  // Sorted here by comparison, independently of the writer's radix sort.
  const sorted = (s: IndexSlot[]) => [...s].sort((a, b) => a.hash - b.hash || a.position - b.position).map((x): [number, number, number, number] => [x.hash, x.position, x.size, x.offset]);
  const ok = (name: string, s: IndexSlot[]): Fixture => ({ file: `index/${name}.index`, bytes: encodeSegmentIndex(header, s), expected: { kind: 'index', ...header, slots: sorted(s) } });
  const valid = encodeSegmentIndex(header, slots);
  const bad = (name: string, bytes: Buffer, code: string, reason: string, offset: number): Fixture => ({ file: `index/${name}.index`, bytes, expected: { kind: 'error', code, reason, offset } });
  const slotAt = (k: number) => INDEX_HEADER_SIZE + INDEX_SLOT_SIZE * k;
  const end = slotAt(slots.length);
  const flipAt = (pos: number) => {
    const b = Buffer.from(valid);
    b[pos]! ^= 0x01;
    return b;
  };
  /** The trailer's CRC made to match the (changed) slots again, so only the per-slot checks can tell: what a buggy writer would leave. */
  const resealed = (b: Buffer) => {
    b.writeUInt32LE(crc32c(b.subarray(INDEX_HEADER_SIZE, end)), end + 4);
    return b;
  };
  // The first two slots of hash 0x80000001 swapped whole, each with its own CRC: the second is out of order.
  const tie = sorted(slots).findIndex(([hash]) => hash === 0x80000001);
  const swapped = Buffer.from(valid);
  valid.copy(swapped, slotAt(tie), slotAt(tie + 1), slotAt(tie + 2));
  valid.copy(swapped, slotAt(tie + 1), slotAt(tie), slotAt(tie + 1));
  const count = Buffer.from(valid);
  count.writeUInt32LE(slots.length + 1, end);
  const magic = Buffer.from(valid);
  magic.write('XKVL', 0, 'latin1');
  return [
    ok('empty', []),
    ok('one-slot', slots.slice(0, 1)),
    ok('many', slots),
    bad('flip-header', flipAt(10), 'CORRUPT', 'header-crc', 0),
    bad('flip-slot', flipAt(slotAt(2) + 5), 'CORRUPT', 'slots-crc', INDEX_HEADER_SIZE),
    bad('flip-slot-resealed', resealed(flipAt(slotAt(2) + 5)), 'CORRUPT', 'slot-crc', slotAt(2)),
    bad('flip-trailer-crc', flipAt(valid.length - 1), 'CORRUPT', 'slots-crc', INDEX_HEADER_SIZE),
    bad('trailer-count', count, 'CORRUPT', 'slot-count', end),
    bad('torn', valid.subarray(0, valid.length - 3), 'TRUNCATED', 'truncated', valid.length - 3),
    bad('too-short', valid.subarray(0, 20), 'TRUNCATED', 'truncated', 20),
    bad('trailing-bytes', Buffer.concat([valid, Buffer.from([0])]), 'CORRUPT', 'trailing-bytes', valid.length),
    bad('slot-order', resealed(swapped), 'CORRUPT', 'slot-order', slotAt(tie + 1)),
    bad('wrong-magic', magic, 'BAD_MAGIC', 'magic', 0),
  ];
}

export function allFixtures(): Fixture[] {
  return [...logFixtures(), ...hintFixtures(), ...snapshotFixtures(), ...journalFixtures(), ...identityFixtures(), ...indexFixtures()];
}

export function writeFixtures(dir: string): void {
  for (const f of allFixtures()) {
    const path = join(dir, f.file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.bytes);
    writeFileSync(`${path}.expected.json`, `${JSON.stringify(f.expected, null, 1)}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
  writeFixtures(dir);
  console.log(`wrote ${allFixtures().length} fixtures to ${dir}`);
}
