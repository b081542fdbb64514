// Engine bugs the crash suite found, each pinned by the smallest case that
// showed it (the model tests find them again if they come back).

import t from 'tap';
import { LogStore } from '../../src/log/log-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

t.test("a write queued right after a conditional write that wrote nothing resolves ('none' durability)", async (t) => {
  // Found by test/crash/log-model.test.ts: the write loop ended without an
  // await, and a request queued before its finally ran waited forever.
  for (const durability of ['none', 'interval', 'sync'] as const) {
    const s = await LogStore.open<string>('/db', { io: new MemoryFileIO(), valueEncoding: 'utf8', durability, syncIntervalMs: 60_000 });
    const results = await Promise.race([
      Promise.all([s.extendLock('lock', 'w1', 1000), s.put('a', '1'), s.setIfAbsent('a', 'x'), s.put('b', '2')]),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 2000)),
    ]);
    t.same(results, [false, undefined, false, undefined], `${durability}: every request settled`);
    t.equal(s.get('b'), '2');
    await s.close();
  }
});

t.test("flush() after a failed fsync refuses, every time, instead of acknowledging ('none' durability)", async (t) => {
  // Found by test/crash/log-model.test.ts: flush() resolved once the log had
  // failed (it skipped the sync), and a flush whose own fsync failed left
  // the log writable, so the next flush found nothing dirty and resolved.
  for (const failIn of ['write', 'flush'] as const) {
    const io = new MemoryFileIO();
    const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', durability: 'none', segmentSize: 4096 });
    await s.put('a', '1');
    io.failSyncs = 1;
    // A value too big for the segment's room rolls it, and the roll fsyncs.
    if (failIn === 'write') await t.rejects(s.put('b', 'x'.repeat(3000)).then(() => s.put('c', 'y'.repeat(3000))), { code: 'IO' });
    await t.rejects(s.flush(), { code: 'IO' }, `${failIn}: the first flush refuses`);
    await t.rejects(s.flush(), { code: 'IO' }, `${failIn}: so does the second`);
    await t.rejects(s.put('d', '4'), { code: 'IO' }, `${failIn}: and writes are refused`);
    await s.close().catch(() => undefined);
  }
});

t.test('JournalStore.sync() after a failed fsync refuses, every time', async (t) => {
  // Found by test/crash/journal-model.test.ts: sync() skipped the fsync once
  // the store had failed and resolved, acknowledging unsynced writes.
  const { JournalStore } = await import('../../src/journal/journal-store.js');
  const io = new MemoryFileIO();
  io.mkdir('/db');
  const s = await JournalStore.open('/db/j', { io, durability: 'none', bufferSize: 4096 });
  await s.set('a', 1);
  io.failSyncs = 1;
  await t.rejects(s.sync(), { code: 'IO' }, 'the failing sync refuses');
  await t.rejects(s.sync(), { code: 'IO' }, 'so does the next');
  await t.rejects(s.set('b', 2), { code: 'IO' }, 'and writes are refused');
  await s.close();
});

t.test("compaction makes the writes that superseded what it drops durable first ('none' durability)", async (t) => {
  // Found by test/crash/log-model.test.ts: with durability 'none', a value
  // overwritten by a write not yet fsynced was dropped by the cleaner and
  // its switch made durable; a power cut then lost the new write, and the
  // old value was gone too: a state the history never passed through.
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', durability: 'none', segmentSize: 4096, autoCompact: false });
  await s.put('a', 'old');
  for (let i = 0; i < 3; i++) await s.put(`f${i}`, 'x'.repeat(1200));
  await s.flush();
  await s.put('b', 'y'.repeat(2000)); // rolls: 'old' is now in a sealed segment
  await s.put('a', 'new'); // unsynced, in the active segment
  const result = await s.compact();
  t.ok(result.recordsDropped >= 1, 'the cleaner dropped the old value');
  const r = await LogStore.open<string>('/db', { io: io.crash() });
  t.ok(['old', 'new'].includes(r.get('a')!), `after a power cut, a is the old or the new value (it is ${JSON.stringify(r.get('a'))})`);
  await r.close();
});

t.test('a store started from a snapshot opens again: its base segments sort before the segments after them', async (t) => {
  // Found by test/crash/log-model.test.ts: the base segments were named from
  // the snapshot's first record's offset, which can lie past the base offset
  // of the segment after them; segments sort by base offset, so every later
  // open found a base segment after that segment, overlapping it (CORRUPT).
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', autoCompact: false });
  await s.put('a', 'gone'); // offset 0
  await s.put('z', 'x'); // offset 1
  await s.delete('z'); // offset 2: garbage, so the cleaner rewrites the segment
  await s.compact(); // 00000000000000000000-1.log holds a and z's tombstone; the active segment starts at 3
  await s.delete('a'); // offset 3
  await s.put('b', 'kept'); // offset 4: the snapshot's first (only) entry
  await s.snapshot();
  await s.close();
  const sealed = '/db/00000000000000000000-1.log';
  const bytes = io.readFile(sealed);
  bytes[10]! ^= 0x01; // its header (base offset field; the header CRC fails): only the snapshot can stand in for it
  io.setFile(sealed, bytes);
  io.unlink('/db/00000000000000000000-1.hint'); // so open reads the segment (a hint would answer for it)

  const started = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8' });
  t.ok(started.openReport.startedFromSnapshot, 'the first open starts from the snapshot');
  t.equal(started.get('b'), 'kept');
  await started.close();
  const again = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8' });
  t.equal(again.get('b'), 'kept', 'and the next open too');
  t.equal(again.get('a'), undefined);
  await again.close();
});
