// Opening without reading every key (recovery.ts, deferred-load.ts): after a
// clean close, open reads only headers (and the newest segment's last
// batch), gets search the segment index files until the keys are loaded in
// the background, and writes, deletes, rolls and damage found on the way
// keep every answer what a store that loaded everything first would give.

import fc from 'fast-check';
import t from 'tap';
import { LogkvError } from '../../src/errors.js';
import { readHint, readSegment, readSegmentIndex } from '../../src/formats/index.js';
import { INDEX_HEADER_SIZE } from '../../src/formats/limits.js';
import type { FileIO } from '../../src/io/file-io.js';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { MemoryFileIO, overriding } from '../support/memory-file-io.js';
import { checkProperty } from '../support/property.js';

const DIR = '/db';

/** A clock that moves 1 ms a call. */
function ticking(): () => number {
  let now = 1_700_000_000_000;
  return () => now++;
}

function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** `io`, recording every file read whole. */
function counting(io: MemoryFileIO): { io: FileIO; reads: string[] } {
  const reads: string[] = [];
  return {
    io: overriding(io, {
      readFile: (p) => {
        reads.push(p);
        return io.readFile(p);
      },
    }),
    reads,
  };
}

const base: LogStoreOptions = { valueEncoding: 'utf8', autoCompact: false, segmentSize: 4096 };

/** A store of several segments: keys overwritten across them, one deleted in a later segment, one with an expiry. */
async function filled(io: MemoryFileIO): Promise<Map<string, string>> {
  const s = await LogStore.open<string>(DIR, { io, ...base, now: ticking() });
  const model = new Map<string, string>();
  for (let i = 0; i < 400; i++) {
    const key = `k${i % 150}`;
    await s.put(key, `v${i}`);
    model.set(key, `v${i}`);
  }
  await s.delete('k3');
  model.delete('k3');
  await s.put('ttl', 'x', { expireAt: 4_000_000_000_000 });
  model.set('ttl', 'x');
  await s.close();
  return model;
}

t.test('after a clean close, open reads no hint and no segment whole, and every get answers at once', async (t) => {
  const mem = new MemoryFileIO();
  const model = await filled(mem);
  const logs = mem.readdir(DIR).filter((n) => n.endsWith('.log'));
  t.ok(logs.length > 4, `${logs.length} segments`);
  t.equal(mem.readdir(DIR).filter((n) => n.endsWith('.index')).length, logs.length, 'every segment has an index');

  const { io, reads } = counting(mem);
  const s = await LogStore.open<string>(DIR, { io, now: ticking() });
  t.equal(s.openReport.segmentsDeferred, logs.length, 'every segment deferred');
  t.same(reads.filter((p) => !p.includes('MANIFEST') && !p.endsWith('IDENTITY')), [], 'no segment or hint read whole by open');
  t.equal(s.loading, true);
  for (const [k, v] of model) t.equal(s.get(k), v, `${k} before the load`);
  t.equal(s.get('k3'), undefined, 'a key deleted in a later segment stays deleted');
  t.equal(s.get('missing'), undefined);
  await s.whenLoaded();
  t.equal(s.loading, false);
  t.ok(reads.some((p) => p.endsWith('.hint')), 'the hints are read after open');
  for (const [k, v] of model) t.equal(s.get(k), v, `${k} after the load`);
  t.equal(s.count(), model.size);
  t.same([...s.keys()].map(String).sort(), [...model.keys()].sort());
  await s.close();
});

t.test('ranges and counts right after open load every key first', async (t) => {
  const mem = new MemoryFileIO();
  const model = await filled(mem);
  const s = await LogStore.open<string>(DIR, { io: mem, now: ticking() });
  t.equal(s.loading, true);
  t.same(
    [...s.entries({ prefix: 'k1' })].map(([k, v]) => [String(k), v]),
    [...model].filter(([k]) => k.startsWith('k1')).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  t.equal(s.loading, false, 'the range loaded every key');
  await s.close();
  const again = await LogStore.open<string>(DIR, { io: mem, now: ticking() });
  t.equal(again.count(), model.size);
  t.equal(again.openReport.keys, model.size, 'the report counts every key when asked');
  await again.close();
});

t.test('the newest segment: its hint and index move to temporary names until it is sealed or closed; a write and a crash after open rescan it', async (t) => {
  const mem = new MemoryFileIO();
  const model = await filled(mem);
  const newest = mem.readdir(DIR).filter((n) => n.endsWith('.log')).sort().at(-1)!;
  const stem = `${DIR}/${newest.slice(0, -4)}`;
  const s = await LogStore.open<string>(DIR, { io: mem, now: ticking() });
  t.notOk(mem.exists(`${stem}.hint`) || mem.exists(`${stem}.index`), 'no hint or index describes the segment about to be written');
  t.ok(mem.exists(`${stem}.hint.tmp`) && mem.exists(`${stem}.index.tmp`), 'the load reads them under temporary names');
  await s.put('k1', 'changed');
  model.set('k1', 'changed');
  await s.whenLoaded();
  t.ok(mem.exists(`${stem}.hint.tmp`) && mem.exists(`${stem}.index.tmp`), 'loaded, they stay aside until the segment is sealed or closed');
  t.notOk(mem.exists(`${stem}.hint`) || mem.exists(`${stem}.index`), 'and describe nothing under the names open reads');
  await s.put('k2', 'changed too');
  model.set('k2', 'changed too');
  const crashed = mem.crash();
  const r = await LogStore.open<string>(DIR, { io: crashed, now: ticking() });
  // The newest segment is read whole (its hint and index are stale), and deferred too: served from that scan until loaded (scanned-index.ts).
  t.equal(r.openReport.segmentsDeferred, mem.readdir(DIR).filter((n) => n.endsWith('.log')).length, 'every segment deferred, the newest from its scan');
  t.equal(r.openReport.hintsUsed, r.openReport.segmentsDeferred - 1, 'the sealed ones from their hints');
  t.equal(r.loading, true, 'keys still loading after open');
  for (const [k, v] of model) t.equal(r.get(k), v);
  await r.close();

  // A crash before the load reached the newest segment: its stale hint and index are never used.
  const m2 = new MemoryFileIO();
  const model2 = await filled(m2);
  const s2 = await LogStore.open<string>(DIR, { io: m2, now: ticking() });
  await s2.put('k5', 'after open');
  model2.set('k5', 'after open');
  const c2 = m2.crash();
  t.ok(c2.exists(`${stem}.hint.tmp`) || c2.exists(`${stem}.hint`), 'the stale hint is still there, under one name or the other');
  const r2 = await LogStore.open<string>(DIR, { io: c2, now: ticking() });
  for (const [k, v] of model2) t.equal(r2.get(k), v);
  for (const name of ['hint', 'index', 'hint.tmp', 'index.tmp']) t.notOk(c2.exists(`${stem}.${name}`), `no ${name} left after the open that scanned the segment`);
  await r2.close();
});

t.test('sealed or closed with no write since open, the newest segment gets its hint and index back instead of a rescan', async (t) => {
  for (const end of ['close', 'compact'] as const) {
    const mem = new MemoryFileIO();
    const model = await filled(mem);
    const newest = mem.readdir(DIR).filter((n) => n.endsWith('.log')).sort().at(-1)!;
    const stem = `${DIR}/${newest.slice(0, -4)}`;
    const hint = Buffer.from(mem.readFile(`${stem}.hint`));
    const index = Buffer.from(mem.readFile(`${stem}.index`));
    const made: string[] = [];
    const io = overriding(mem, {
      open: (p, m) => {
        if (m === 'create') made.push(p);
        return mem.open(p, m);
      },
    });
    const s = await LogStore.open<string>(DIR, { io, ...base, now: ticking() });
    await s.whenLoaded();
    if (end === 'close') await s.close();
    else {
      await s.compact();
      await s.close();
    }
    t.same(made.filter((p) => p.startsWith(`${stem}.`)), [], `${end}: no hint or index of the newest segment was written`);
    if (end === 'close') {
      t.ok(mem.exists(`${stem}.hint`) && Buffer.compare(mem.readFile(`${stem}.hint`), hint) === 0, 'its hint is back, unchanged');
      t.ok(mem.exists(`${stem}.index`) && Buffer.compare(mem.readFile(`${stem}.index`), index) === 0, 'and its index');
    } else {
      t.notOk(mem.exists(`${DIR}/${newest}`), 'compact: the segment, sealed with its hint put back, was rewritten by the cleaner');
    }
    t.same(mem.readdir(DIR).filter((n) => n.endsWith('.tmp')), [], `${end}: nothing left under a temporary name`);
    const again = await LogStore.open<string>(DIR, { io: mem, ...base, loadKeys: 'before-open' });
    t.equal(again.openReport.clean, true, `${end}: the next open is clean`);
    t.ok(again.openReport.hintsUsed >= 1, `${end}: and uses the hints`);
    for (const [k, v] of model) t.equal(again.get(k), v);
    await again.close();
  }

  // A write since open: the hint put aside describes the segment no more, and one is made from the segment.
  const mem = new MemoryFileIO();
  const model = await filled(mem);
  const newest = mem.readdir(DIR).filter((n) => n.endsWith('.log')).sort().at(-1)!;
  const stem = `${DIR}/${newest.slice(0, -4)}`;
  const before = Buffer.from(mem.readFile(`${stem}.hint`));
  const s = await LogStore.open<string>(DIR, { io: mem, ...base, now: ticking() });
  await s.put('k9', 'after open');
  model.set('k9', 'after open');
  await s.close();
  t.notOk(Buffer.compare(mem.readFile(`${stem}.hint`), before) === 0, 'after a write, close writes a new hint');
  t.same(mem.readdir(DIR).filter((n) => n.endsWith('.tmp')), [], 'and removes the old one');
  const again = await LogStore.open<string>(DIR, { io: mem, ...base, loadKeys: 'before-open' });
  t.equal(again.openReport.clean, true);
  for (const [k, v] of model) t.equal(again.get(k), v);
  await again.close();
});

t.test('a flipped byte in an index slot: the search stops trusting it, the answer is still right, the index is written again', async (t) => {
  const mem = new MemoryFileIO();
  const model = await filled(mem);
  const first = mem.readdir(DIR).filter((n) => n.endsWith('.index')).sort()[0]!;
  const path = `${DIR}/${first}`;
  const good = mem.readFile(path);
  const slots = readSegmentIndex(good).slotCount;
  // Every slot damaged: whichever the search reads first fails its CRC.
  const bad = Buffer.from(good);
  for (let k = 0; k < slots; k++) bad[INDEX_HEADER_SIZE + k * 24 + 5]! ^= 0x40;
  mem.setFile(path, bad);
  const s = await LogStore.open<string>(DIR, { io: mem, now: ticking() });
  t.equal(s.openReport.segmentsDeferred, mem.readdir(DIR).filter((n) => n.endsWith('.log')).length, 'the header checks out: deferred');
  // A key only the damaged segment's index can answer for is absent from the others: any absent key searches every index.
  t.equal(s.get('absent'), undefined);
  t.equal(s.loading, false, 'the damage ended the searches: every key was loaded at once');
  t.equal(s.openReport.indexesRebuilt, 1);
  for (const [k, v] of model) t.equal(s.get(k), v);
  await s.close();
  t.same(mem.readFile(path), good, 'the index was written again');
});

t.test('a damaged hint behind a good header is found by the load: the segment is scanned, the hint written again', async (t) => {
  const mem = new MemoryFileIO();
  const model = await filled(mem);
  const first = mem.readdir(DIR).filter((n) => n.endsWith('.hint')).sort()[0]!;
  const path = `${DIR}/${first}`;
  const good = mem.readFile(path);
  const bad = Buffer.from(good);
  bad[bad.length - 12]! ^= 0x01;
  mem.setFile(path, bad);
  const s = await LogStore.open<string>(DIR, { io: mem, now: ticking() });
  for (const [k, v] of model) t.equal(s.get(k), v, `${k} from the index`);
  await s.whenLoaded();
  t.equal(s.openReport.hintsRebuilt, 1);
  t.equal(s.openReport.clean, false);
  for (const [k, v] of model) t.equal(s.get(k), v, `${k} after the scan`);
  await s.close();
  t.same(readHint(mem.readFile(path)), readHint(good), 'the hint was written again');
});

t.test('a damaged hint and a damaged batch behind it in a sealed segment: the scan that replaces the hint reports the batch', async (t) => {
  const mem = new MemoryFileIO();
  await filled(mem);
  const firstLog = mem.readdir(DIR).filter((n) => n.endsWith('.log')).sort()[0]!;
  const segPath = `${DIR}/${firstLog}`;
  const hintPath = segPath.replace(/\.log$/, '.hint');
  const seg = Buffer.from(mem.readFile(segPath));
  const batches = readSegment(seg).batches;
  t.ok(batches.length > 2);
  // A batch's CRC field: every record still passes its own check, so gets through the index stay right.
  const victim = batches[1]!;
  seg[victim.position + 4]! ^= 0x01;
  mem.setFile(segPath, seg);
  const hint = Buffer.from(mem.readFile(hintPath));
  hint[hint.length - 12]! ^= 0x01;
  mem.setFile(hintPath, hint);
  const errors: unknown[] = [];
  const s = await LogStore.open<string>(DIR, { io: mem, now: ticking(), onBackgroundError: (e) => errors.push(e) });
  await s.whenLoaded().catch(() => undefined);
  const named = errors.filter((e) => e instanceof LogkvError && e.file === segPath);
  t.equal(named.length, 1, `the load reported the segment's damage: ${errors.map(String).join('; ')}`);
  t.match(named[0], { code: 'CORRUPT', offset: victim.position }, String(named[0]));
  await s.close();
  // The hint made again is no licence to forget the damage: the next open still meets it.
  const again: unknown[] = [];
  const reopened = await LogStore.open<string>(DIR, { io: mem, now: ticking(), onBackgroundError: (e) => again.push(e) });
  await reopened.whenLoaded().catch(() => undefined);
  t.ok(
    again.some((e) => e instanceof LogkvError && e.file === segPath && e.offset === victim.position),
    `the next open reports it again: ${again.map(String).join('; ')}`,
  );
  await reopened.close();
});

t.test('damage in a batch of the newest segment before its last one is reported after open, and never read as data', async (t) => {
  const mem = new MemoryFileIO();
  await filled(mem);
  const newest = `${DIR}/${mem.readdir(DIR).filter((n) => n.endsWith('.log')).sort().at(-1)!}`;
  const seg = Buffer.from(mem.readFile(newest));
  const batches = readSegment(seg).batches;
  t.ok(batches.length > 2);
  const victim = batches[0]!;
  // The last byte of the first batch: inside its last record's value.
  seg[victim.position + victim.size - 1]! ^= 0x01;
  mem.setFile(newest, seg);
  const errors: unknown[] = [];
  const s = await LogStore.open<string>(DIR, { io: mem, now: ticking(), onBackgroundError: (e) => errors.push(e) });
  t.equal(s.openReport.segmentsDeferred, mem.readdir(DIR).filter((n) => n.endsWith('.log')).length, 'open checked the last batch only');
  await s.whenLoaded();
  t.equal(errors.length, 1, 'the load reported the damage');
  const error = errors[0];
  t.ok(error instanceof LogkvError && error.code === 'CORRUPT' && error.file === newest, `CORRUPT naming ${newest}: ${String(error)}`);
  const key = victim.records.at(-1)!.key.toString();
  t.throws(() => s.get(key), { code: 'CORRUPT', file: newest }, 'the damaged record is CORRUPT, never a value');
  await s.close();
  // A strict open that loads every key first refuses it, as before.
  await t.rejects(LogStore.open<string>(DIR, { io: mem, loadKeys: 'before-open' }), { code: 'CORRUPT', file: newest });
});

t.test('the newest segment\'s check, left for later by a load that ran at once, still reports its damage before whenLoaded', async (t) => {
  const mem = new MemoryFileIO();
  await filled(mem);
  const newest = `${DIR}/${mem.readdir(DIR).filter((n) => n.endsWith('.log')).sort().at(-1)!}`;
  const seg = Buffer.from(mem.readFile(newest));
  const victim = readSegment(seg).batches[0]!;
  seg[victim.position + victim.size - 1]! ^= 0x01;
  mem.setFile(newest, seg);
  const errors: unknown[] = [];
  const s = await LogStore.open<string>(DIR, { io: mem, now: ticking(), onBackgroundError: (e) => errors.push(e) });
  // Needs every key: the load runs to its end now, its check of the newest segment taken for later.
  s.dirtyRatio();
  t.equal(s.loading, false, 'every key loaded');
  await s.whenLoaded();
  t.equal(errors.length, 1, 'the check ran and reported the damage');
  const error = errors[0];
  t.ok(error instanceof LogkvError && error.code === 'CORRUPT' && error.file === newest, `CORRUPT naming ${newest}: ${String(error)}`);
  await s.close();
});

t.test('a damaged tombstone behind an index slot reads as the loaded store reads it: absent, before the load as after', async (t) => {
  const mem = new MemoryFileIO();
  const s = await LogStore.open<string>(DIR, { io: mem, ...base, now: ticking() });
  await s.put('gone', 'soon');
  await s.delete('gone');
  await s.put('kept', 'here');
  await s.close();
  const seg = `${DIR}/${mem.readdir(DIR).filter((n) => n.endsWith('.log'))[0]!}`;
  const bytes = Buffer.from(mem.readFile(seg));
  const tombstone = readSegment(bytes).batches.flatMap((b) => b.records).find((r) => r.op === 2)!;
  t.ok(tombstone, 'the delete record');
  // A byte of its key: only its own CRC can tell (the batch CRC is checked when the segment loads).
  bytes[tombstone.position + 16]! ^= 0x01;
  mem.setFile(seg, bytes);
  const r = await LogStore.open<string>(DIR, { io: mem, now: ticking(), onBackgroundError: () => undefined });
  t.equal(r.openReport.segmentsDeferred, 1);
  t.equal(r.get('gone'), undefined, 'the hint says deleted; the damaged record is not read as anything');
  t.equal(r.loading, false, 'the record that failed its CRC ended the searches: every key was loaded');
  t.equal(r.get('kept'), 'here');
  await r.close();
});

t.test('a changed byte in the newest segment\'s last batch: open does not defer it, scans it and cuts the torn tail', async (t) => {
  const mem = new MemoryFileIO();
  await filled(mem);
  const logs = mem.readdir(DIR).filter((n) => n.endsWith('.log')).sort();
  const newest = `${DIR}/${logs.at(-1)!}`;
  const seg = Buffer.from(mem.readFile(newest));
  const last = readSegment(seg).batches.at(-1)!;
  // A byte in the middle of the last batch's records, under its CRC: only the CRC can tell.
  seg[last.position + Math.floor(last.size / 2)]! ^= 0x10;
  mem.setFile(newest, seg);
  const s = await LogStore.open<string>(DIR, { io: mem, now: ticking() });
  t.equal(s.openReport.segmentsDeferred, logs.length - 1, 'every sealed segment, not the newest');
  t.equal(s.openReport.damage.length, 1);
  t.match(s.openReport.damage[0], { file: newest, offset: last.position, action: 'cut' });
  await s.close();
});

t.test('a segment without an index, and every one before it, are deferred no further than it', async (t) => {
  const mem = new MemoryFileIO();
  const model = await filled(mem);
  const indexes = mem.readdir(DIR).filter((n) => n.endsWith('.index')).sort();
  mem.unlink(`${DIR}/${indexes[2]!}`);
  const s = await LogStore.open<string>(DIR, { io: mem, now: ticking() });
  t.equal(s.openReport.segmentsDeferred, 2, 'the two segments before it');
  for (const [k, v] of model) t.equal(s.get(k), v);
  await s.whenLoaded();
  t.equal(s.count(), model.size);
  await s.close();
});

t.test('no hint or index at all: every segment is deferred from its own scan, and the hints come back after open', async (t) => {
  const mem = new MemoryFileIO();
  const model = await filled(mem);
  const logs = mem.readdir(DIR).filter((n) => n.endsWith('.log')).sort();
  for (const n of mem.readdir(DIR)) if (n.endsWith('.hint') || n.endsWith('.index')) mem.unlink(`${DIR}/${n}`);
  const { io, reads } = counting(mem);
  const s = await LogStore.open<string>(DIR, { io, now: ticking() });
  t.equal(s.openReport.segmentsDeferred, logs.length, 'every segment deferred');
  t.equal(s.openReport.hintsUsed, 0);
  t.equal(s.openReport.hintsRebuilt, logs.length - 1, 'the sealed segments\' hints are to be written again');
  t.notOk(s.openReport.clean);
  t.equal(reads.filter((p) => p.endsWith('.log')).length, logs.length, 'each segment read once');
  t.equal(s.loading, true, 'no key loaded into the directory yet');
  for (const [k, v] of model) t.equal(s.get(k), v, `${k} before the load`);
  t.equal(s.get('k3'), undefined, 'the deleted key stays deleted');
  await s.put('k4', 'after open');
  model.set('k4', 'after open');
  await s.delete('k5');
  model.delete('k5');
  t.same([...s.entries({ prefix: 'k1' })].map(([k, v]) => [String(k), v]), [...model].filter(([k]) => k.startsWith('k1')).sort(([a], [b]) => (a < b ? -1 : 1)));
  await s.whenLoaded();
  t.equal(s.count(), model.size);
  await s.close();
  for (const log of logs) {
    const stem = `${DIR}/${log.slice(0, -4)}`;
    t.ok(mem.exists(`${stem}.hint`) && mem.exists(`${stem}.index`), `${log}: hint and index written`);
  }
  const again = await LogStore.open<string>(DIR, { io: mem, now: ticking() });
  t.equal(again.openReport.hintsUsed, logs.length, 'the next open defers every segment from its files');
  t.ok(again.openReport.clean);
  for (const [k, v] of model) t.equal(again.get(k), v);
  await again.close();
});

t.test('a crash with no hint anywhere and a torn tail: the tail is cut, every segment deferred, a crash before the hints are back changes nothing', async (t) => {
  const mem = new MemoryFileIO();
  const model = await filled(mem);
  for (const n of mem.readdir(DIR)) if (n.endsWith('.hint') || n.endsWith('.index')) mem.unlink(`${DIR}/${n}`);
  const logs = mem.readdir(DIR).filter((n) => n.endsWith('.log')).sort();
  const newest = `${DIR}/${logs.at(-1)!}`;
  // Half a batch after the last one: a write torn by the crash.
  const seg = Buffer.from(mem.readFile(newest));
  const last = readSegment(seg).batches.at(-1)!;
  mem.setFile(newest, Buffer.concat([seg, seg.subarray(last.position, last.position + Math.floor(last.size / 2))]));
  const s = await LogStore.open<string>(DIR, { io: mem, now: ticking() });
  t.equal(s.openReport.segmentsDeferred, logs.length, 'every segment deferred');
  t.match(s.openReport.damage, [{ file: newest, offset: seg.length, action: 'cut' }]);
  for (const [k, v] of model) t.equal(s.get(k), v);
  const crashed = mem.crash();
  const r = await LogStore.open<string>(DIR, { io: crashed, now: ticking() });
  t.equal(r.openReport.bytesCut, 0, 'the cut was durable');
  for (const [k, v] of model) t.equal(r.get(k), v, `${k} after the crash`);
  await r.whenLoaded();
  t.equal(r.count(), model.size);
  await r.close();
});

t.test('a read-only open defers too, and removes nothing', async (t) => {
  const mem = new MemoryFileIO();
  const model = await filled(mem);
  const before = mem.readdir(DIR).sort();
  const s = await LogStore.open<string>(DIR, { io: mem, readOnly: true });
  t.equal(s.openReport.segmentsDeferred, before.filter((n) => n.endsWith('.log')).length, 'the newest segment too: a read-only open does not write to it');
  t.ok(s.openReport.segmentsDeferred > 0);
  for (const [k, v] of model) t.equal(s.get(k), v);
  await s.whenLoaded();
  await s.close();
  t.same(mem.readdir(DIR).sort(), before);
});

type Op = { kind: 'put'; key: number; value: number } | { kind: 'del'; key: number } | { kind: 'get'; key: number } | { kind: 'turn' } | { kind: 'range' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('put' as const), key: fc.nat(40), value: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), key: fc.nat(40) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.nat(40) }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'turn' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'range' as const }) },
);

t.test('model: writes, deletes, rolls and gets interleaved with the load answer as a store loaded first would', async (t) => {
  await checkProperty(
    t,
    'deferred open against a model',
    fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 120 }), fc.array(opArb, { minLength: 1, maxLength: 80 }), async (before, after) => {
      const mem = new MemoryFileIO();
      const options = { io: mem, valueEncoding: 'utf8' as const, autoCompact: false, segmentSize: 4096 };
      const model = new Map<string, string>();
      const apply = async (s: LogStore<string>, op: Op): Promise<void> => {
        const key = `key-${op.kind === 'turn' || op.kind === 'range' ? 0 : op.key}`;
        if (op.kind === 'put') {
          await s.put(key, `value-${op.value}-${'x'.repeat(op.value % 400)}`);
          model.set(key, `value-${op.value}-${'x'.repeat(op.value % 400)}`);
        } else if (op.kind === 'del') {
          await s.delete(key);
          model.delete(key);
        } else if (op.kind === 'get') {
          if (s.get(key) !== model.get(key)) throw new Error(`get ${key}: ${String(s.get(key))}, model ${String(model.get(key))}`);
        } else if (op.kind === 'turn') {
          await turn();
        } else {
          const got = [...s.entries({ gte: 'key-2' })].map(([k, v]) => `${String(k)}=${v}`);
          const want = [...model].filter(([k]) => k >= 'key-2').sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
          if (got.join() !== want.join()) throw new Error(`range: ${got.join()} != ${want.join()}`);
        }
      };
      const s = await LogStore.open<string>(DIR, options);
      for (const op of before) await apply(s, op);
      await s.close();
      const r = await LogStore.open<string>(DIR, options);
      for (const op of after) await apply(r, op);
      for (let k = 0; k <= 40; k++) if (r.get(`key-${k}`) !== model.get(`key-${k}`)) throw new Error(`final get key-${k}`);
      await r.whenLoaded();
      if (r.count() !== model.size) throw new Error(`count ${r.count()} != ${model.size}`);
      for (let k = 0; k <= 40; k++) if (r.get(`key-${k}`) !== model.get(`key-${k}`)) throw new Error(`loaded get key-${k}`);
      await r.close();
      // And once more from what that session left.
      const again = await LogStore.open<string>(DIR, options);
      for (let k = 0; k <= 40; k++) if (again.get(`key-${k}`) !== model.get(`key-${k}`)) throw new Error(`reopened get key-${k}`);
      if (again.count() !== model.size) throw new Error('reopened count');
      await again.close();
    }),
    { runs: 60, file: 'test/log/deferred-open.test.ts' },
  );
});
