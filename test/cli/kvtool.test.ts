// kvtool dump and verify over small files made with the format writers in
// a temporary directory; kvtool runs in this process (run-kvtool.ts), as
// the binary runs it.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { crc32c } from '../../src/checksum/crc32c.js';
import {
  encodeBatch,
  encodeFrame,
  encodeHint,
  encodeJournalHeader,
  encodeSegmentHeader,
  encodeSnapshot,
  encodeStoreIdentity,
  FrameOp,
  JOURNAL_HEADER_SIZE,
  type LogBatch,
  Op,
  ValueEncoding,
} from '../../src/formats/index.js';
import { JournalStore } from '../../src/journal/journal-store.js';
import { readHint } from '../../src/formats/hint-reader.js';
import { INDEX_HEADER_SIZE, INDEX_SLOT_SIZE } from '../../src/formats/limits.js';
import { encodeSegmentIndex } from '../../src/formats/segment-index-writer.js';
import { readIndexHeader } from '../../src/formats/segment-index-reader.js';
import { hashKey } from '../../src/log/key-directory.js';
import { indexOfHint } from '../support/segment-indexes.js';
import { kvtool } from './run-kvtool.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const EMPTY = new Uint8Array(0);
const crcHex = (batch: Buffer): string => crc32c(batch.subarray(8)).toString(16).padStart(8, '0');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'logkv-kvtool-test-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dirCount = 0;
/** A new directory marked as a store (its IDENTITY), for files written by hand: verify checks only a store's directory. */
function freshDir(): string {
  const d = path.join(tmp, `d${dirCount++}`);
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'IDENTITY'), encodeStoreIdentity({ storeId: Buffer.alloc(16, 7), createdMs: 1 }));
  return d;
}

// The tiny segment: two batches, a delete and an expiry, no zero fill.
const TINY_BATCHES: LogBatch[] = [
  {
    baseOffset: 0,
    timestampMs: 5,
    records: [
      { op: Op.Put, offsetDelta: 0, key: b('a'), value: b('1') },
      { op: Op.Put, offsetDelta: 1, key: b('b'), value: b('2') },
    ],
  },
  {
    baseOffset: 2,
    timestampMs: 6,
    records: [
      { op: Op.Delete, offsetDelta: 0, key: b('a'), value: EMPTY },
      { op: Op.Put, offsetDelta: 1, key: b('c'), value: b('3'), expireAtMs: 9999 },
    ],
  },
];
const tinyParts = [encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Utf8, createdMs: 1000 }), ...TINY_BATCHES.map(encodeBatch)];
const tiny = Buffer.concat(tinyParts);

/** A segment of `n` one-record batches (offsets 0..n-1), with batch positions, zero-filled to `fill` bytes. */
function segment(n: number, fill = 0): { bytes: Buffer; positions: number[]; ends: number[] } {
  const parts: Buffer[] = [encodeSegmentHeader({ baseOffset: 0, valueEncoding: ValueEncoding.Utf8, createdMs: 1 })];
  const positions: number[] = [];
  const ends: number[] = [];
  let pos = parts[0]!.length;
  for (let i = 0; i < n; i++) {
    const batch = encodeBatch({ baseOffset: i, timestampMs: 100 + i, records: [{ op: Op.Put, offsetDelta: 0, key: b(`k${i}`), value: b(`value ${i}`) }] });
    positions.push(pos);
    pos += batch.length;
    ends.push(pos);
    parts.push(batch);
  }
  const bytes = Buffer.concat(parts);
  return { bytes: fill > bytes.length ? Buffer.concat([bytes, Buffer.alloc(fill - bytes.length)]) : bytes, positions, ends };
}

const HINT = encodeHint({
  segmentBaseOffset: 0,
  segmentNextOffset: 4,
  coveredLength: tiny.length,
  entries: [
    { key: b('a'), offset: 2, position: 132, size: 17, tombstone: true },
    { key: b('b'), offset: 1, position: 80, size: 18, tombstone: false },
    { key: b('c'), offset: 3, position: 149, size: 26, tombstone: false, expireAtMs: 9999 },
  ],
});
const SNAPSHOT = encodeSnapshot({ valueEncoding: ValueEncoding.Utf8, nextOffset: 4, createdMs: 6 }, [
  { key: b('b'), value: b('2'), offset: 1 },
  { key: b('c'), value: b('3'), offset: 3, expireAtMs: 9999 },
]);

function journal(frames: Buffer[], committedFrames = frames.length, fileSize = 4096): Buffer {
  const used = frames.reduce((n, f) => n + f.length, 0);
  const committedLength = frames.slice(0, committedFrames).reduce((n, f) => n + f.length, 0);
  return Buffer.concat([
    encodeJournalHeader({ generation: 3, fileSize, committedLength, createdMs: 7 }),
    ...frames,
    Buffer.alloc(fileSize - JOURNAL_HEADER_SIZE - used),
  ]);
}
const JOURNAL_FRAMES = [
  encodeFrame({ generation: 3, op: FrameOp.Set, entries: [{ key: 'flags', value: { dark: true, n: 2n ** 60n, raw: new Uint8Array([0xde, 0xad]) } }] }),
  encodeFrame({ generation: 3, op: FrameOp.Set, entries: [{ key: 'name', value: 'logkv' }, { key: 'gone', value: null }] }),
  encodeFrame({ generation: 3, op: FrameOp.Clear, entries: [] }),
];
const JOURNAL = journal(JOURNAL_FRAMES);

/** A manifest listing the tiny segment and the snapshot, as the engine keeps it. */
const MANIFEST = journal([
  encodeFrame({
    generation: 3,
    op: FrameOp.Set,
    entries: [
      { key: 'segment:00000000000000000000', value: { baseOffset: 0 } },
      { key: 'valueEncoding', value: 'utf8' },
      { key: 'snapshot:00000000000000000004.snap', value: { nextOffset: 4 } },
    ],
  }),
]);

/** A store directory holding one file of each kind, consistent with one another, plus files that are not ours. */
function storeDir(): string {
  const d = freshDir();
  fs.writeFileSync(path.join(d, '00000000000000000000.log'), tiny);
  fs.writeFileSync(path.join(d, '00000000000000000000.hint'), HINT);
  fs.writeFileSync(path.join(d, 'MANIFEST.jrna'), MANIFEST);
  fs.writeFileSync(path.join(d, 'LOCK'), '');
  fs.writeFileSync(path.join(d, 'notes.txt'), 'not a logkv file');
  fs.mkdirSync(path.join(d, 'snapshots'));
  fs.writeFileSync(path.join(d, 'snapshots', '00000000000000000004.snap'), SNAPSHOT);
  return d;
}

t.test('dump: exact lines for a tiny segment', async (t) => {
  const file = path.join(freshDir(), '00000000000000000000.log');
  fs.writeFileSync(file, tiny);
  const r = await kvtool('dump', file);
  t.equal(r.status, 0, r.stderr);
  t.strictSame(r.lines, [
    `Dumping ${file} (segment, 175 bytes)`,
    'segment: baseOffset: 0 valueEncoding: utf8 created: 1000',
    `baseOffset: 0 lastOffset: 1 count: 2 position: 28 size: 70 timestamp: 5 crc: ${crcHex(tinyParts[1]!)} isValid: true compacted: false`,
    '| offset: 0 position: 62 size: 18 op: put key: "a" value: "1"',
    '| offset: 1 position: 80 size: 18 op: put key: "b" value: "2"',
    `baseOffset: 2 lastOffset: 3 count: 2 position: 98 size: 77 timestamp: 6 crc: ${crcHex(tinyParts[2]!)} isValid: true compacted: false`,
    '| offset: 2 position: 132 size: 17 op: delete key: "a"',
    '| offset: 3 position: 149 size: 26 op: put expireAt: 9999 key: "c" value: "3"',
    'end: eof validUpTo: 175 nextOffset: 4 batches: 2 records: 4 zeroFill: 0',
  ]);
});

t.test('dump --json: one object per line with offsets and keys', async (t) => {
  const file = path.join(freshDir(), 'seg.log');
  fs.writeFileSync(file, tiny);
  const r = await kvtool('dump', '--json', file);
  t.equal(r.status, 0, r.stderr);
  const objects = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.strictSame(
    objects.map((o) => o.type),
    ['file', 'segment', 'batch', 'record', 'record', 'batch', 'record', 'record', 'segment-end'],
  );
  const records = objects.filter((o) => o.type === 'record');
  t.strictSame(records.map((o) => o.offset), [0, 1, 2, 3]);
  t.strictSame(records.map((o) => o.key), ['a', 'b', 'a', 'c']);
  t.strictSame(records.map((o) => o.op), ['put', 'put', 'delete', 'put']);
  t.equal(records[3]!.expireAt, 9999);
  t.equal(records[3]!.value, '3');
  t.notOk('value' in records[2]!, 'a delete has no value');
  const batches = objects.filter((o) => o.type === 'batch');
  t.strictSame(batches.map((o) => [o.baseOffset, o.lastOffset, o.position, o.size]), [
    [0, 1, 28, 70],
    [2, 3, 98, 77],
  ]);
  t.equal(batches[0]!.crc, crcHex(tinyParts[1]!));
});

t.test('dump --key and --from-offset filter records and batches', async (t) => {
  const file = path.join(freshDir(), 'seg.log');
  fs.writeFileSync(file, tiny);
  const byKey = await kvtool('dump', file, '--key', 'a');
  t.equal(byKey.status, 0);
  t.strictSame(
    byKey.lines.filter((l) => l.startsWith('|')),
    ['| offset: 0 position: 62 size: 18 op: put key: "a" value: "1"', '| offset: 2 position: 132 size: 17 op: delete key: "a"'],
  );
  t.equal(byKey.lines.filter((l) => l.startsWith('baseOffset:')).length, 2, 'both batches hold key a');

  const onlyB = await kvtool('dump', file, '--key', 'b');
  t.strictSame(onlyB.lines.filter((l) => l.startsWith('|')), ['| offset: 1 position: 80 size: 18 op: put key: "b" value: "2"']);
  t.strictSame(
    onlyB.lines.filter((l) => l.startsWith('baseOffset:')).map((l) => l.split(' ')[1]),
    ['0'],
    'the batch without key b is left out',
  );

  const none = await kvtool('dump', file, '--key', 'zzz');
  t.equal(none.lines.filter((l) => l.startsWith('|') || l.startsWith('baseOffset:')).length, 0);

  const from = await kvtool('dump', file, '--from-offset', '3');
  t.strictSame(from.lines.filter((l) => l.startsWith('|')), ['| offset: 3 position: 149 size: 26 op: put expireAt: 9999 key: "c" value: "3"']);
  t.strictSame(
    from.lines.filter((l) => l.startsWith('baseOffset:')).map((l) => l.split(' ')[1]),
    ['2'],
  );

  const both = await kvtool('dump', '--json', file, '--from-offset', '1', '--key', 'a');
  const recs = both.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o.type === 'record');
  t.strictSame(recs.map((o) => o.offset), [2]);

  const bad = await kvtool('dump', file, '--from-offset', '-1');
  t.equal(bad.status, 2, 'a negative offset is a usage error');
});

t.test('dump: binary keys as hex, value previews and --values', async (t) => {
  const file = path.join(freshDir(), 'bin.log');
  const value = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  fs.writeFileSync(
    file,
    Buffer.concat([
      encodeSegmentHeader({ baseOffset: 10, valueEncoding: ValueEncoding.Binary, createdMs: 0 }),
      encodeBatch({ baseOffset: 10, timestampMs: 0, records: [{ op: Op.Put, offsetDelta: 0, key: Buffer.from([0, 1, 0xff]), value }] }),
    ]),
  );
  const preview = await kvtool('dump', file);
  const rec = preview.lines.find((l) => l.startsWith('|'))!;
  t.match(rec, /key: 0x0001ff value: 0x([0-9a-f]{128})\.\.\. \(100 bytes\)$/);
  t.ok(rec.includes(`value: 0x${value.subarray(0, 64).toString('hex')}...`), 'the first 64 bytes');

  const full = await kvtool('dump', file, '--values', 'full');
  t.ok(full.lines.find((l) => l.startsWith('|'))!.endsWith(`value: 0x${value.toString('hex')}`));

  const none = await kvtool('dump', file, '--values', 'none');
  t.notMatch(none.lines.find((l) => l.startsWith('|'))!, /value:/);

  const byHexKey = await kvtool('dump', '--json', file, '--key', '0x0001ff');
  const recs = byHexKey.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o.type === 'record');
  t.equal(recs.length, 1);
  t.equal(recs[0]!.keyHex, '0001ff');
  t.equal(recs[0]!.valueSize, 100);
  t.equal(recs[0]!.valueTruncated, true);
  t.equal(recs[0]!.valueHex, value.subarray(0, 64).toString('hex'));
});

t.test('dump: a damaged batch is shown with its range and later batches still are', async (t) => {
  const { bytes, positions, ends } = segment(3, 1024);
  const dir = freshDir();
  const flipped = Buffer.from(bytes);
  flipped[positions[1]! + 20]! ^= 0x10; // inside the second batch's header
  fs.writeFileSync(path.join(dir, 'flip.log'), flipped);
  const r = await kvtool('dump', path.join(dir, 'flip.log'));
  t.equal(r.status, 0);
  const batchLines = r.lines.filter((l) => l.startsWith('baseOffset:'));
  t.strictSame(batchLines.map((l) => l.split(' ')[1]), ['0', '2'], 'batches 0 and 2 are printed');
  const damaged = r.lines.filter((l) => l.startsWith('damaged:'));
  t.equal(damaged.length, 1);
  const len = ends[1]! - positions[1]!;
  t.match(damaged[0]!, `damaged: bytes ${positions[1]}..${ends[1]} (${len} bytes) CORRUPT batch-crc: `);
  const order = r.lines.map((l) => (l.startsWith('damaged:') ? 'D' : l.startsWith('baseOffset:') ? 'B' : '')).join('');
  t.equal(order, 'BDB', 'the damage is printed where it is');
  t.ok(r.lines.includes('| offset: 2 position: ' + (positions[2]! + 34) + ' size: 25 op: put key: "k2" value: "value 2"'));

  // A torn last batch: the file ends inside it.
  const torn = bytes.subarray(0, ends[2]! - 5);
  fs.writeFileSync(path.join(dir, 'torn.log'), torn);
  const tr = await kvtool('dump', path.join(dir, 'torn.log'));
  const tornLine = tr.lines.find((l) => l.startsWith('damaged:'))!;
  t.match(tornLine, `damaged: bytes ${positions[2]}..${torn.length} (${torn.length - positions[2]!}) bytes`.replace(') bytes', ' bytes)') + ' TRUNCATED truncated: ');
  t.match(tr.lines.at(-1)!, `end: damage validUpTo: ${positions[2]} nextOffset: 2`);
});

t.test('verify: a clean store directory exits 0', async (t) => {
  const dir = storeDir();
  const r = await kvtool('verify', dir);
  t.equal(r.status, 0, 'exit 0');
  const seg = path.join(dir, '00000000000000000000.log');
  t.ok(r.lines.some((l) => l.startsWith(`${seg}: segment: ok ok_up_to=${tiny.length} diff=0`)), 'segment ok with ok_up_to');
  t.ok(r.lines.some((l) => l.startsWith(`${path.join(dir, '00000000000000000000.hint')}: hint: ok`)));
  t.ok(r.lines.some((l) => l.startsWith(`${path.join(dir, 'MANIFEST.jrna')}: journal: ok ok_up_to=`)));
  t.ok(r.lines.some((l) => l.startsWith(`${path.join(dir, 'snapshots', '00000000000000000004.snap')}: snapshot: ok`)));
  t.notOk(r.stdout.includes('notes.txt') || r.stdout.includes('LOCK'), 'files that are not ours are skipped');
  t.equal(r.lines.at(-2), `${dir}: store: ok (segments 1, snapshots 1, from manifest)`);
  t.equal(r.lines.at(-1), 'verify: 6 files checked, 6 ok, 0 with problems');

  const j = await kvtool('verify', '--json', dir);
  t.equal(j.status, 0);
  const doc = JSON.parse(j.stdout) as { ok: boolean; exitCode: number; files: Array<{ kind: string; ok: boolean }> };
  t.equal(doc.ok, true);
  t.equal(doc.exitCode, 0);
  t.strictSame(doc.files.map((f) => f.kind).sort(), ['hint', 'identity', 'journal', 'segment', 'snapshot', 'store']);
});

t.test('verify: a bit flip exits 1 and names the batch', async (t) => {
  const dir = freshDir();
  const { bytes, positions, ends } = segment(3, 4096);
  const flipped = Buffer.from(bytes);
  flipped[ends[2]! - 1]! ^= 0x01; // last byte of the last batch
  const file = path.join(dir, '00000000000000000000.log');
  fs.writeFileSync(file, flipped);
  const r = await kvtool('verify', dir);
  t.equal(r.status, 1);
  t.match(r.stdout, `${file}: segment: problem at byte ${positions[2]}: CORRUPT batch-crc: `);
  t.match(r.stdout, `${file}: segment: 1 problem ok_up_to=${positions[2]} diff=${ends[2]! - positions[2]!}`);

  const j = await kvtool('verify', '--json', dir);
  t.equal(j.status, 1);
  const doc = JSON.parse(j.stdout) as { exitCode: number; files: Array<{ okUpTo: number; diff: number; problems: Array<{ offset: number; reason: string }> }> };
  t.equal(doc.exitCode, 1);
  t.equal(doc.files[0]!.okUpTo, positions[2]);
  t.strictSame(doc.files[0]!.problems.map((p) => [p.offset, p.reason]), [[positions[2], 'batch-crc']]);
});

t.test('verify: a bit flip in a middle batch reports it and reads on', async (t) => {
  const dir = freshDir();
  const { bytes, positions, ends } = segment(4, 4096);
  const flipped = Buffer.from(bytes);
  flipped[positions[1]! + 40]! ^= 0x80;
  fs.writeFileSync(path.join(dir, 'a.log'), flipped);
  const r = await kvtool('verify', '--json', dir);
  t.equal(r.status, 1);
  const f = (JSON.parse(r.stdout) as { files: Array<{ kind: string; okUpTo: number; diff: number; details: { batches: number }; problems: Array<{ offset: number; length: number }> }> }).files.find((x) => x.kind === 'segment')!;
  t.strictSame(f.problems.map((p) => [p.offset, p.length]), [[positions[1], ends[1]! - positions[1]!]]);
  t.equal(f.okUpTo, positions[1]);
  t.equal(f.diff, ends[3]! - positions[1]!, 'everything after the good prefix up to the zero fill');
  t.equal(f.details.batches, 3, 'batches after the damage are still read');
});

t.test('verify: a torn tail exits 1 with its offset', async (t) => {
  const dir = freshDir();
  const { bytes, positions, ends } = segment(3);
  const file = path.join(dir, '00000000000000000000.log');
  fs.writeFileSync(file, bytes.subarray(0, ends[2]! - 7));
  const r = await kvtool('verify', file);
  t.equal(r.status, 1);
  t.match(r.stdout, `${file}: segment: problem at byte ${positions[2]}: TRUNCATED truncated: `);
  t.match(r.stdout, `ok_up_to=${positions[2]} diff=${ends[2]! - 7 - positions[2]!}`);
});

t.test('verify: bad magic, unknown files, missing paths', async (t) => {
  const dir = storeDir();
  fs.writeFileSync(path.join(dir, '00000000000000000099.log'), Buffer.from('GARBAGE!GARBAGE!GARBAGE!GARBAGE!'));
  const r = await kvtool('verify', dir);
  t.equal(r.status, 1);
  t.match(r.stdout, `${path.join(dir, '00000000000000000099.log')}: unknown: problem at byte 0: BAD_MAGIC magic: not a logkv file (magic 47415242)`);
  t.notMatch(r.stdout, /notes\.txt/);
  // Named like a segment but not one (no magic): not the store's, so open leaves it alone and the store check does not count it.
  t.notMatch(r.stdout, /UNLISTED/);
  t.equal(r.lines.at(-1), 'verify: 7 files checked, 6 ok, 1 with problems');

  const single = await kvtool('verify', path.join(dir, 'notes.txt'));
  t.equal(single.status, 1, 'a file named explicitly must be ours');
  t.match(single.stdout, 'BAD_MAGIC');
  t.equal((await kvtool('dump', path.join(dir, 'notes.txt'))).status, 1);

  const missing = await kvtool('verify', path.join(tmp, 'no-such-dir'));
  t.equal(missing.status, 2);
  t.match(missing.stderr, /ENOENT/);
  t.equal((await kvtool('dump', path.join(tmp, 'no-such-file.log'))).status, 2);
  const missingJson = await kvtool('verify', '--json', path.join(tmp, 'nope'));
  t.equal(missingJson.status, 2);
  t.equal((JSON.parse(missingJson.stdout) as { exitCode: number }).exitCode, 2);

  t.equal((await kvtool('verify')).status, 2, 'no path is a usage error');
  t.equal((await kvtool('frobnicate', dir)).status, 2, 'an unknown command is a usage error');
  t.equal((await kvtool('dump', dir, '--values', 'some')).status, 2, 'a bad --values is a usage error');
});

t.test('file kind comes from the magic, not the name', async (t) => {
  const dir = freshDir();
  fs.writeFileSync(path.join(dir, 'data.bin'), tiny); // a segment
  fs.writeFileSync(path.join(dir, 'x.log'), HINT); // a hint named like a segment
  const seg = await kvtool('dump', path.join(dir, 'data.bin'));
  t.equal(seg.status, 0);
  t.equal(seg.lines[0], `Dumping ${path.join(dir, 'data.bin')} (segment, ${tiny.length} bytes)`);
  const hint = await kvtool('verify', path.join(dir, 'x.log'));
  t.equal(hint.status, 0);
  t.match(hint.stdout, `${path.join(dir, 'x.log')}: hint: ok`);
  const all = await kvtool('verify', dir);
  t.equal(all.status, 0);
  t.match(all.stdout, `${path.join(dir, 'x.log')}: hint: ok`);
  t.match(all.stdout, `${path.join(dir, 'data.bin')}: segment: ok`, 'in a directory too, the magic decides');
  const dumpAll = await kvtool('dump', dir);
  t.ok(dumpAll.lines.includes(`Dumping ${path.join(dir, 'x.log')} (hint, ${HINT.length} bytes)`));
});

t.test('hint: dumps and verifies', async (t) => {
  const file = path.join(freshDir(), '00000000000000000000.hint');
  fs.writeFileSync(file, HINT);
  const r = await kvtool('dump', file);
  t.equal(r.status, 0);
  t.strictSame(r.lines.slice(1), [
    `hint: segmentBaseOffset: 0 segmentNextOffset: 4 coveredLength: ${tiny.length} entries: 3`,
    '| offset: 2 position: 132 size: 17 tombstone: true key: "a"',
    '| offset: 1 position: 80 size: 18 tombstone: false key: "b"',
    '| offset: 3 position: 149 size: 26 tombstone: false expireAt: 9999 key: "c"',
  ]);
  t.equal((await kvtool('dump', file, '--from-offset', '2')).lines.filter((l) => l.startsWith('|')).length, 2);
  t.equal((await kvtool('verify', file)).status, 0);

  const bad = Buffer.from(HINT);
  bad[40]! ^= 0x04;
  fs.writeFileSync(file, bad);
  const v = await kvtool('verify', file);
  t.equal(v.status, 1);
  t.match(v.stdout, `${file}: hint: problem at byte 36: CORRUPT entries-crc: `);
  const d = await kvtool('dump', file);
  t.match(d.stdout, 'error: CORRUPT entries-crc at byte 36: ');
});

t.test('index: dumps, verifies, states and explains; --key picks slots by the key\'s hash', async (t) => {
  const dir = storeDir();
  const file = path.join(dir, '00000000000000000000.index');
  const index = indexOfHint(HINT);
  fs.writeFileSync(file, index);
  // The slots in file order, worked out here: by (hash, position).
  const slots = readHint(HINT)
    .entries.map((e) => ({ key: e.key.toString(), hash: hashKey(e.key), position: e.position, size: e.size, offset: e.offset }))
    .sort((x, y) => x.hash - y.hash || x.position - y.position);
  const hex8 = (h: number) => h.toString(16).padStart(8, '0');
  const r = await kvtool('dump', file);
  t.equal(r.status, 0);
  t.strictSame(r.lines, [
    `Dumping ${file} (index, ${index.length} bytes)`,
    `index: segmentBaseOffset: 0 segmentNextOffset: 4 coveredLength: ${tiny.length} lastBatchPosition: 0 slots: 3`,
    ...slots.map((s, k) => `| slot: ${k} hash: ${hex8(s.hash)} offset: ${s.offset} position: ${s.position} size: ${s.size}`),
  ]);
  const byKey = await kvtool('dump', '--json', file, '--key', 'c');
  const c = slots.findIndex((s) => s.key === 'c');
  t.strictSame(
    byKey.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o.type === 'index-slot'),
    [{ type: 'index-slot', file, slot: c, hash: hex8(slots[c]!.hash), offset: slots[c]!.offset, position: 149, size: 26 }],
    'only the slot with the hash of c',
  );
  t.equal(
    (await kvtool('dump', file, '--from-offset', '3')).lines.filter((l) => l.startsWith('|')).length,
    slots.filter((s) => s.offset >= 3).length,
    'only the slots of records at or after the offset',
  );

  const v = await kvtool('verify', dir);
  t.equal(v.status, 0, v.stdout);
  t.ok(v.lines.includes(`${file}: index: ok (slots 3, segmentBaseOffset 0)`));
  t.equal(v.lines.at(-1), 'verify: 7 files checked, 7 ok, 0 with problems');
  const stats = await kvtool('stats', file);
  t.strictSame(stats.lines, [`index: ${file} size: ${index.length} segmentBaseOffset: 0 segmentNextOffset: 4 coveredLength: ${tiny.length} slots: 3 sharedHashes: 0`]);
  const at = INDEX_HEADER_SIZE + c * INDEX_SLOT_SIZE + 4;
  const ex = await kvtool('explain', file, '--at', String(at));
  t.equal(ex.status, 0);
  t.equal(ex.lines[1], `status: valid index; slot ${c} passes its own CRC-32C and bounds`);
  t.equal(ex.lines.find((l) => l.startsWith('field: ')), `field: segment_index.slots[${c}].position (formats/segment_index.ksy types/slot seq position), bytes ${at}..${at + 4} (4 bytes, this is byte 0 of it)`);
  t.equal(ex.lines.find((l) => l.startsWith('value: ')), 'value: 149 (0x95)');

  // The slot of b dropped (the file re-encoded whole, every CRC valid): only the comparison with the hint finds it.
  const entries = readHint(HINT).entries;
  fs.writeFileSync(file, encodeSegmentIndex({ ...readHint(HINT), lastBatchPosition: readIndexHeader(index).lastBatchPosition }, entries.filter((e) => e.key.toString() !== 'b').map((e) => ({ hash: hashKey(e.key), position: e.position, size: e.size, offset: e.offset }))));
  t.equal((await kvtool('verify', file)).status, 0, 'on its own the file is sound');
  const stale = await kvtool('verify', dir);
  t.equal(stale.status, 1);
  t.ok(stale.lines.some((l) => l.startsWith(`${file}: index: problem at byte `) && l.includes('INDEX_MISMATCH index-slot: key "b" (offset 1, position 80, size 18): in the hint, no slot for it in the index')), stale.stdout);

  const bad = Buffer.from(index);
  bad[INDEX_HEADER_SIZE + 1]! ^= 0x04;
  fs.writeFileSync(file, bad);
  const v2 = await kvtool('verify', file);
  t.equal(v2.status, 1);
  t.match(v2.stdout, `${file}: index: problem at byte 44: CORRUPT slots-crc: `);
  t.match((await kvtool('dump', file)).stdout, 'error: CORRUPT slots-crc at byte 44: ');
  t.match((await kvtool('explain', file, '--at', '45')).lines[1]!, /^status: the reader refuses this index: CORRUPT slots-crc at byte 44: /);
});

t.test('snapshot: dumps and verifies', async (t) => {
  const dir = freshDir();
  fs.mkdirSync(path.join(dir, 'snapshots'));
  const file = path.join(dir, 'snapshots', '00000000000000000004.snap');
  fs.writeFileSync(file, SNAPSHOT);
  const r = await kvtool('dump', dir);
  t.equal(r.status, 0);
  t.strictSame(r.lines, [
    `Dumping ${path.join(dir, 'IDENTITY')} (identity, 36 bytes)`,
    'identity: storeId: 07070707070707070707070707070707 created: 1',
    `Dumping ${file} (snapshot, ${SNAPSHOT.length} bytes)`,
    'snapshot: nextOffset: 4 created: 6 entries: 2 valueEncoding: utf8',
    '| offset: 1 key: "b" value: "2"',
    '| offset: 3 expireAt: 9999 key: "c" value: "3"',
  ]);
  t.strictSame((await kvtool('dump', file, '--key', 'c')).lines.filter((l) => l.startsWith('|')), ['| offset: 3 expireAt: 9999 key: "c" value: "3"']);
  t.equal((await kvtool('verify', dir)).status, 0);

  fs.writeFileSync(file, SNAPSHOT.subarray(0, SNAPSHOT.length - 1));
  const v = await kvtool('verify', dir);
  t.equal(v.status, 1);
  t.match(v.stdout, `${file}: snapshot: problem at byte ${SNAPSHOT.length - 32}: TRUNCATED truncated: `);
});

t.test('journal: dumps frames and entries, verifies', async (t) => {
  const dir = freshDir();
  const file = path.join(dir, 'MANIFEST.jrna');
  fs.writeFileSync(file, JOURNAL);
  const r = await kvtool('dump', file);
  t.equal(r.status, 0);
  const f0 = JOURNAL_HEADER_SIZE;
  const f1 = f0 + JOURNAL_FRAMES[0]!.length;
  const f2 = f1 + JOURNAL_FRAMES[1]!.length;
  const end = f2 + JOURNAL_FRAMES[2]!.length;
  t.strictSame(r.lines, [
    `Dumping ${file} (journal, 4096 bytes)`,
    `journal: generation: 3 fileSize: 4096 committedLength: ${end - f0} created: 7`,
    `position: ${f0} size: ${JOURNAL_FRAMES[0]!.length} op: set count: 1`,
    `| key: "flags" value: {"dark":true,"n":"${2n ** 60n}n","raw":"0xdead"}`,
    `position: ${f1} size: ${JOURNAL_FRAMES[1]!.length} op: set count: 2`,
    '| key: "name" value: "logkv"',
    '| key: "gone" value: null',
    `position: ${f2} size: ${JOURNAL_FRAMES[2]!.length} op: clear count: 0`,
    `end: slack validUpTo: ${end} committedEnd: ${end} frames: 3`,
  ]);
  const json = await kvtool('dump', '--json', file, '--key', 'name');
  const objs = json.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.strictSame(
    objs.filter((o) => o.type === 'journal-entry').map((o) => [o.key, o.value]),
    [['name', '"logkv"']],
  );
  t.equal(objs.filter((o) => o.type === 'frame').length, 2, 'the frame with the key, and the clear');
  t.equal((await kvtool('verify', file)).status, 0);

  // A torn tail after the committed length: only the first 9 bytes of the
  // last frame reached the disk (length, CRC, the generation's low byte).
  const torn = journal(JOURNAL_FRAMES.slice(0, 2), 1);
  const tornAt = f1 + 9;
  const tornBytes = Buffer.from(torn);
  tornBytes.fill(0, tornAt, f2);
  fs.writeFileSync(file, tornBytes);
  const v = await kvtool('verify', file);
  t.equal(v.status, 1);
  t.match(v.stdout, `${file}: journal: problem at byte ${f1}: CORRUPT frame-crc: `);
  t.match(v.stdout, 'after the committed length');
  t.match(v.stdout, `ok_up_to=${f1} diff=9`);
  const d = await kvtool('dump', file);
  t.ok(d.lines.some((l) => l.startsWith(`damaged: bytes ${f1}..${tornAt} (9 bytes) CORRUPT frame-crc`)), 'dump shows the torn range');
});

t.test('journal: verify of a directory flags a newer file zeroed beside the superseded older one', async (t) => {
  const dir = freshDir();
  const base = path.join(dir, 'state');
  const s = await JournalStore.open(base, { bufferSize: 4096, highWaterMark: 0.5 });
  for (let i = 0; i < 40; i++) await s.set(`k${i % 4}`, 'x'.repeat(100));
  await s.close();
  const clean = await kvtool('verify', dir);
  t.equal(clean.status, 0, `both files whole: ok\n${clean.stdout}`);
  const reopened = await JournalStore.open(base, { bufferSize: 4096 });
  const newer = reopened.openReport.activeFile!;
  await reopened.close();
  const older = newer.endsWith('.jrna') ? `${base}.jrnb` : `${base}.jrna`;
  t.match((await kvtool('dump', older)).lines[1], / superseded: a newer generation was written into the other file$/, 'dump shows the flag');
  fs.writeFileSync(newer, Buffer.alloc(4096));
  t.equal((await kvtool('verify', newer)).status, 0, 'alone, the zeroed file reads as a spare');
  const v = await kvtool('verify', dir);
  t.equal(v.status, 1, `together they show the loss\n${v.stdout}`);
  t.match(v.stdout, `${newer}: journal: problem: CORRUPT lost-generation: `);
});

t.test('journal: verify flags a pair whose only written file was zeroed (both read as spares, each alone fine)', async (t) => {
  // Found by the corruption suite: a killed store's manifest, its one written file zeroed whole.
  const dir = freshDir();
  const base = path.join(dir, 'state');
  const s = await JournalStore.open(base, { bufferSize: 4096 });
  await s.set('k', 'v');
  await s.close();
  t.equal((await kvtool('verify', dir)).status, 0, 'written: ok');
  for (const f of [`${base}.jrna`, `${base}.jrnb`]) fs.writeFileSync(f, Buffer.alloc(fs.statSync(f).size));
  t.equal((await kvtool('verify', `${base}.jrna`)).status, 0, 'alone, each zeroed file reads as a spare');
  const v = await kvtool('verify', dir);
  t.equal(v.status, 1, `together they show the loss\n${v.stdout}`);
  for (const f of [`${base}.jrna`, `${base}.jrnb`]) t.match(v.stdout, `${f}: journal: problem at byte 0: CORRUPT journal-lost: `);
  const r = await JournalStore.open(base, { bufferSize: 4096 });
  t.equal(r.openReport.dataLoss, 'total', 'as open judges it');
  await r.close();
});
