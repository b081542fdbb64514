// The hint a clean close writes for the active segment (segment-log.ts,
// recovery.ts): the next open uses it and parses no segment; it is removed
// once used; a write after that and a crash make open rescan; a hint the
// segment does not agree with (length, last batch, next offset) is never
// used; and the log's newest batch timestamp survives, so a snapshot of the
// same state after the reopen is byte-identical.
//
// These opens load every key before they resolve (loadKeys: 'before-open'),
// the path that reads the hint at open; the deferred open, which reads only
// headers and the last batch, has test/log/deferred-open.test.ts.

import t from 'tap';
import { encodeHint, readHint, readSegment } from '../../src/formats/index.js';
import type { FileIO } from '../../src/io/file-io.js';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { MemoryFileIO, overriding } from '../support/memory-file-io.js';

const SEG = '/db/00000000000000000000.log';
const HINT = '/db/00000000000000000000.hint';

/** `io`, recording the paths of the segment files read whole. */
function counting(io: MemoryFileIO): { io: FileIO; segmentReads: string[] } {
  const segmentReads: string[] = [];
  const wrapped: FileIO = overriding(io, {
    readFile: (p) => {
      if (p.endsWith('.log')) segmentReads.push(p);
      return io.readFile(p);
    },
  });
  return { io: wrapped, segmentReads };
}

/** A clock that moves 1 ms a call, so every batch has a timestamp of its own. */
function ticking(): () => number {
  let now = 1_700_000_000_000;
  return () => now++;
}

async function filled(io: MemoryFileIO, options: LogStoreOptions = {}) {
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', autoCompact: false, now: ticking(), ...options, loadKeys: 'before-open' });
  for (let i = 0; i < 300; i++) await s.put(`k${i % 120}`, `v${i}`);
  await s.delete('k7');
  await s.put('ttl', 'x', { expireAt: 4_000_000_000_000 });
  return s;
}

t.test('a clean close writes the hint of the active segment; the next open parses no segment and removes it', async (t) => {
  const mem = new MemoryFileIO();
  const s = await filled(mem, { segmentSize: 8192 });
  await s.close();
  const logs = mem.readdir('/db').filter((n) => n.endsWith('.log'));
  const hints = mem.readdir('/db').filter((n) => n.endsWith('.hint'));
  t.ok(logs.length > 2, `${logs.length} segments`);
  t.equal(hints.length, logs.length, 'every segment has a hint, the active one too');
  const active = `/db/${logs.sort().at(-1)!}`;
  const activeHint = active.replace(/\.log$/, '.hint');
  t.equal(readHint(mem.readFile(activeHint)).coveredLength, mem.readFile(active).length, 'it covers the trimmed segment');

  const { io, segmentReads } = counting(mem);
  const r = await LogStore.open<string>('/db', { io, now: ticking(), loadKeys: 'before-open' });
  t.equal(r.openReport.hintsUsed, logs.length, 'every hint used');
  t.equal(r.openReport.clean, true);
  t.same(segmentReads, [active], 'only the active segment is read (its batch CRCs checked), no sealed one');
  t.notOk(mem.exists(activeHint), 'the active hint is removed once used');
  t.ok(mem.exists(HINT), 'sealed hints stay');
  for (let i = 180; i < 300; i++) t.equal(r.get(`k${i % 120}`), i % 120 === 7 ? undefined : `v${i}`);
  t.equal(r.get('ttl'), 'x');
  t.equal(r.count(), 120);
  await r.put('after', 'reopen');
  await r.close();
  const again = await LogStore.open<string>('/db', { io: mem, loadKeys: 'before-open' });
  t.equal(again.get('after'), 'reopen');
  t.equal(again.get('k59'), 'v299');
  await again.close();
});

t.test('a write after the reopen, then a crash: no hint for the active segment, open rescans it', async (t) => {
  const mem = new MemoryFileIO();
  const s = await filled(mem);
  await s.close();
  const stale = mem.readFile(HINT);
  const r = await LogStore.open<string>('/db', { io: mem, loadKeys: 'before-open' });
  t.equal(r.openReport.hintsUsed, 1);
  await r.put('k1', 'changed');
  await r.put('new', 'key');
  // No close: the power goes.
  const crashed = mem.crash();
  t.notOk(crashed.exists(HINT), 'the removal was durable before any write');
  const { io, segmentReads } = counting(crashed);
  const a = await LogStore.open<string>('/db', { io, loadKeys: 'before-open' });
  t.equal(a.openReport.hintsUsed, 0);
  t.same(segmentReads, [SEG], 'the active segment is scanned');
  t.equal(a.get('k1'), 'changed');
  t.equal(a.get('new'), 'key');
  t.equal(a.get('k7'), undefined);
  await a.close();

  // Had the removal been lost, the old hint would be back: its length no longer matches, so it is not used.
  const c1 = mem.crash();
  const r2 = await LogStore.open<string>('/db', { io: c1, loadKeys: 'before-open' });
  await r2.put('k2', 'changed too');
  const crashed2 = c1.crash();
  crashed2.setFile(HINT, stale);
  const b = await LogStore.open<string>('/db', { io: crashed2, loadKeys: 'before-open' });
  t.equal(b.openReport.hintsUsed, 0, 'a stale hint is not used');
  t.equal(b.get('k2'), 'changed too');
  t.equal(b.get('k1'), 'changed');
  t.notOk(crashed2.exists(HINT), 'and it is removed');
  await b.close();
});

t.test('a hint the segment does not agree with is not used: damaged last batch, wrong next offset', async (t) => {
  const mem = new MemoryFileIO();
  const s = await filled(mem);
  await s.close();
  const seg = mem.readFile(SEG);
  const hint = mem.readFile(HINT);
  const batches = readSegment(seg).batches;
  const last = batches.at(-1)!;

  // Same length, a byte of the last batch changed: the segment is scanned and its torn tail cut.
  const flipped = new MemoryFileIO();
  const bad = Buffer.from(seg);
  bad[last.position + last.size - 1]! ^= 0xff;
  flipped.mkdir('/db');
  for (const name of mem.readdir('/db')) if (name !== 'LOCK') flipped.setFile(`/db/${name}`, mem.readFile(`/db/${name}`));
  flipped.setFile(SEG, bad);
  const a = await LogStore.open<string>('/db', { io: flipped, loadKeys: 'before-open' });
  t.equal(a.openReport.hintsUsed, 0, 'not used');
  t.same(
    a.openReport.damage.map((d) => [d.offset, d.action]),
    [[last.position, 'cut']],
    'the damaged last batch is found and cut as a torn tail',
  );
  t.equal(a.get('ttl'), undefined, 'the last batch (the ttl put) is gone with it');
  t.equal(a.get('k59'), 'v299');
  await a.close();

  // A hint that passes its own checks but says another next offset than the segment.
  const parsed = readHint(hint);
  const lying = new MemoryFileIO();
  lying.mkdir('/db');
  for (const name of mem.readdir('/db')) if (name !== 'LOCK') lying.setFile(`/db/${name}`, mem.readFile(`/db/${name}`));
  lying.setFile(HINT, encodeHint({ ...parsed, segmentNextOffset: parsed.segmentNextOffset + 1 }));
  const b = await LogStore.open<string>('/db', { io: lying, loadKeys: 'before-open' });
  t.equal(b.openReport.hintsUsed, 0, 'not used');
  t.equal(b.nextOffset, parsed.segmentNextOffset, 'the next offset is the segment’s');
  t.equal(b.get('ttl'), 'x');
  await b.close();
});

t.test('the newest batch timestamp survives a reopen from the hint: the same state snapshots to the same bytes', async (t) => {
  const mem = new MemoryFileIO();
  const s = await filled(mem);
  const before = await s.snapshot();
  const bytes = mem.readFile(before.path);
  await s.close();
  const r = await LogStore.open<string>('/db', { io: mem, now: ticking(), loadKeys: 'before-open' });
  t.equal(r.openReport.hintsUsed, 1, 'opened from the hint');
  const after = await r.snapshot();
  t.equal(after.path, before.path);
  t.ok(mem.readFile(after.path).equals(bytes), 'byte-identical snapshot');
  await r.close();
});

t.test('a segment damaged on disk while open gets no hint at close or roll: the next open finds the damage', async (t) => {
  // Found by the crash suite: a hint made from what the reader could still read covered the whole file and hid the rest.
  const flipFirstBatch = (io: MemoryFileIO, path: string) => {
    const bytes = Buffer.from(io.readFile(path));
    const first = readSegment(bytes.subarray(0, readSegment(bytes).validUpTo)).batches[0]!;
    bytes[first.position + first.size - 1]! ^= 0x40;
    io.setFile(path, bytes);
  };
  const mem = new MemoryFileIO();
  const s = await filled(mem);
  flipFirstBatch(mem, SEG);
  await s.close();
  t.notOk(mem.exists(HINT), 'close wrote no hint for the damaged segment');
  await t.rejects(LogStore.open<string>('/db', { io: mem, loadKeys: 'before-open' }), { code: 'CORRUPT', file: SEG }, 'open scans and refuses, naming the file');

  const rolled = new MemoryFileIO();
  const r = await LogStore.open<string>('/db', { io: rolled, valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false, loadKeys: 'before-open' });
  await r.put('first', 'x');
  await r.put('second', 'y');
  flipFirstBatch(rolled, SEG);
  for (let i = 0; i < 100 && rolled.readdir('/db').filter((n) => n.endsWith('.log')).length < 2; i++) await r.put(`k${i}`, 'v'.repeat(100));
  t.ok(rolled.readdir('/db').filter((n) => n.endsWith('.log')).length >= 2, 'the segment rolled');
  t.notOk(rolled.exists(HINT), 'the roll wrote no hint for the damaged segment');
  await r.close();
  await t.rejects(LogStore.open<string>('/db', { io: rolled, loadKeys: 'before-open' }), { code: 'CORRUPT', file: SEG });
});

t.test('damage in any batch of the segment behind the active hint is found at open, as without the hint', async (t) => {
  const mem = new MemoryFileIO();
  const s = await filled(mem);
  await s.close();
  const seg = Buffer.from(mem.readFile(SEG));
  const first = readSegment(seg).batches[0]!;
  seg[first.position + 12]! ^= 0x01;
  mem.setFile(SEG, seg);
  t.ok(mem.exists(HINT), 'the hint is there and matches the length');
  await t.rejects(LogStore.open<string>('/db', { io: mem, loadKeys: 'before-open' }), { code: 'CORRUPT', file: SEG, offset: first.position }, 'the hint is not used: the scan refuses the damage, naming file and byte');
});
