// The golden files in fixtures/: they are exactly what scripts/make-fixtures.ts
// writes today, every reader reports what each expected JSON says (down to
// the byte offset of the first bad byte), valid ones parse with the
// generated top-level parsers too, and no damaged file yields a record that
// was not written. Index files, damaged ones included, are also judged by
// the generated parser with the spec's checks made on its fields
// (segment-index-oracle.ts), which must come to the expected verdict too.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { allFixtures, type Expected } from '../../scripts/make-fixtures.js';
import { LogkvError } from '../../src/errors.js';
import { readHint, readSegment, readSnapshot, readStoreIdentity, scanJournal } from '../../src/formats/index.js';
import { Hint, Journal, LogSegment, Snapshot, StoreIdentity, streamOver } from '../../src/formats/kaitai.js';
import { readSegmentIndex } from '../../src/formats/segment-index-reader.js';
import { generatedIndexVerdict } from './segment-index-oracle.js';

const root = join(import.meta.dirname, '..', '..', 'fixtures');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function read(file: string, bytes: Buffer): Expected {
  try {
    if (file.startsWith('log/')) {
      const s = readSegment(bytes, { file });
      return {
        kind: 'log',
        records: s.batches.flatMap((b) => b.records.map((r): [number, string, string, string] => [r.offset, r.op === 1 ? 'put' : 'delete', hex(r.key), hex(r.value)])),
        validUpTo: s.validUpTo,
        nextOffset: s.nextOffset,
        end: s.end,
        damage: s.damage.map((d) => [d.code, d.reason, d.offset]),
      };
    }
    if (file.startsWith('hint/')) return { kind: 'hint', entries: readHint(bytes, file).entries.map((e) => [hex(e.key), e.offset]) };
    if (file.startsWith('snapshot/')) return { kind: 'snapshot', entries: readSnapshot(bytes, file).entries.map((e) => [hex(e.key), e.offset]) };
    if (file.startsWith('index/')) {
      const { slotCount: _count, slots, ...header } = readSegmentIndex(bytes, file);
      return { kind: 'index', ...header, slots: slots.map((x): [number, number, number, number] => [x.hash, x.position, x.size, x.offset]) };
    }
    if (file.startsWith('identity/')) {
      const id = readStoreIdentity(bytes, file);
      return { kind: 'identity', storeId: hex(id.storeId), createdMs: id.createdMs };
    }
    const j = scanJournal(bytes, file);
    return { kind: 'journal', frames: j.frames.length, validUpTo: j.validUpTo, end: j.end, damage: j.damage ? [j.damage.code, j.damage.reason, j.damage.offset] : null };
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return { kind: 'error', code: e.code, reason: e.reason ?? '', offset: e.offset ?? -1 };
  }
}

const fixtures = allFixtures();
const written = new Set(fixtures.filter((f) => f.file === 'log/many.log').flatMap((f) => (f.expected.kind === 'log' ? f.expected.records.map((r) => JSON.stringify(r)) : [])));

t.test('fixtures on disk are what the fixture script writes today', async (t) => {
  t.ok(fixtures.length >= 40, `${fixtures.length} fixtures`);
  for (const f of fixtures) {
    const onDisk = readFileSync(join(root, f.file));
    t.ok(onDisk.equals(f.bytes), `${f.file} is up to date (make fixtures)`);
    t.same(JSON.parse(readFileSync(join(root, `${f.file}.expected.json`), 'utf8')), f.expected, `${f.file}.expected.json is up to date`);
  }
});

t.test('every fixture reads as its expected JSON says', async (t) => {
  for (const f of fixtures) {
    const bytes = readFileSync(join(root, f.file));
    t.same(read(f.file, bytes), f.expected, f.file);
  }
});

t.test('every index fixture, damaged or not, reads through the generated parser as its expected JSON says', async (t) => {
  const indexes = fixtures.filter((f) => f.file.startsWith('index/'));
  t.ok(indexes.length >= 10, `${indexes.length} index fixtures`);
  for (const f of indexes) {
    const e = f.expected;
    const want =
      e.kind === 'index'
        ? { ok: true, segmentBaseOffset: e.segmentBaseOffset, segmentNextOffset: e.segmentNextOffset, coveredLength: e.coveredLength, lastBatchPosition: e.lastBatchPosition, slots: e.slots }
        : e.kind === 'error'
          ? { ok: false, code: e.code, reason: e.reason, offset: e.offset }
          : undefined;
    t.strictSame(generatedIndexVerdict(readFileSync(join(root, f.file))), want, f.file);
  }
});

t.test('damaged logs never yield a record that was not written', async (t) => {
  for (const f of fixtures.filter((x) => x.file.startsWith('log/'))) {
    const got = read(f.file, readFileSync(join(root, f.file)));
    if (got.kind !== 'log') continue;
    for (const r of got.records) t.ok(written.has(JSON.stringify(r)), `${f.file}: record at offset ${r[0]} was written`);
  }
});

t.test('valid fixtures parse with the generated top-level parsers', async (t) => {
  for (const f of fixtures) {
    if (f.expected.kind === 'error' || (f.expected.kind === 'log' && f.expected.damage.length > 0) || (f.expected.kind === 'journal' && f.expected.damage)) continue;
    const io = streamOver(readFileSync(join(root, f.file)));
    const e = f.expected;
    if (e.kind === 'log') {
      const p = new LogSegment(io);
      t.same(p.batches.filter((b) => b.batchLength !== 0).flatMap((b) => b.records!.map((r) => [b.header!.baseOffset + r.offsetDelta, r.op === 1 ? 'put' : 'delete', hex(r.key), hex(r.value)])), e.records, f.file);
    } else if (e.kind === 'hint') {
      t.same(new Hint(io).entries.entries.map((x) => [hex(x.key), x.offset]), e.entries, f.file);
    } else if (e.kind === 'snapshot') {
      t.same(new Snapshot(io).chunks.flatMap((c) => (c.entryCount === 0 ? [] : c.body.entries.map((x) => [hex(x.key), x.offset]))), e.entries, f.file);
    } else if (e.kind === 'journal') {
      t.equal(new Journal(io).frames.filter((x) => x.frameLength !== 0).length, e.frames, f.file);
    } else if (e.kind === 'identity') {
      const id = new StoreIdentity(io);
      t.same([hex(id.storeId), id.createdMs], [e.storeId, e.createdMs], f.file);
    }
  }
});
