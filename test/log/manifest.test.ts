// The manifest: it lists every live file, open removes what it does not list
// (leftovers of a crash between writing a file and the manifest switch), and
// a store without a trustworthy manifest is taken from its segments on disk.

import t from 'tap';
import { JournalStore } from '../../src/journal/journal-store.js';
import { LogStore } from '../../src/log/log-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const ls = (io: MemoryFileIO) => io.readdir('/db').sort();

t.test('a new store lists its first segment; a roll adds the next before writing into it', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', segmentSize: 4096 });
  t.same(ls(io), ['00000000000000000000.log', 'IDENTITY', 'LOCK', 'MANIFEST.jrna', 'MANIFEST.jrnb'], 'the store\'s LOCK covers the manifest: no lock file of its own');
  for (let i = 0; i < 100; i++) await s.put(`k${i}`, 'v'.repeat(50));
  const segments = ls(io).filter((n) => n.endsWith('.log'));
  t.ok(segments.length > 1, `${segments.length} segments`);
  await s.close();
  const r = await LogStore.open<string>('/db', { io });
  t.equal(r.openReport.segments, segments.length, 'open reads exactly the listed segments');
  t.equal(r.openReport.clean, true);
  t.same(r.openReport.removedFiles, []);
  t.equal(r.count(), 100);
  await r.close();
});

t.test('an open reads each manifest file once', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', segmentSize: 4096 });
  for (let i = 0; i < 100; i++) await s.put(`k${i}`, 'v'.repeat(50));
  await s.close();
  const reads = new Map<string, number>();
  const readFile = io.readFile.bind(io);
  io.readFile = (path: string) => {
    reads.set(path, (reads.get(path) ?? 0) + 1);
    return readFile(path);
  };
  const r = await LogStore.open<string>('/db', { io });
  t.same([reads.get('/db/MANIFEST.jrna'), reads.get('/db/MANIFEST.jrnb')], [1, 1]);
  t.equal(r.count(), 100);
  await r.put('after', 'reopen');
  await r.close();
  const again = await LogStore.open<string>('/db', { io });
  t.equal(again.get('after'), 'reopen', 'the manifest opened from the first reading goes on writing');
  await again.close();
});

t.test('files the manifest does not list are removed on open and reported, only when provably the store\'s', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8' });
  await s.put('a', '1');
  await s.close();
  // What crashes leave: a cleaner output and its hint never switched in, a
  // segment created by a roll but never listed, temp files, a snapshot:
  // each named as the store names them and holding its kind's magic (or
  // only zeros, as a file created and never written).
  const ours: Array<[string, Buffer]> = [
    ['00000000000000000000-1.log', Buffer.from('LKVL leftover')],
    ['00000000000000000000-1.hint', Buffer.from('LKVH leftover')],
    ['00000000000000000099.log', Buffer.alloc(4096)],
    ['00000000000000000099.log.tmp', Buffer.from('LKVL')],
    ['snapshots/00000000000000000001.snap', Buffer.from('LKVS leftover')],
    ['snapshots/00000000000000000002.snap.tmp', Buffer.alloc(0)],
  ];
  // Not the store's: other names, or the store's names without its magic.
  const theirs: Array<[string, Buffer]> = [
    ['notes.txt', Buffer.from('not ours')],
    ['readme.hint', Buffer.from('LKVH but not a segment name')],
    ['upload.tmp', Buffer.from('LKVL but not a store name')],
    ['00000000000000000007.log', Buffer.from('a text file named like a segment')],
    ['snapshots/2024-01-01.snap', Buffer.from('LKVS in a name the store never gives')],
    ['snapshots/00000000000000000003.snap', Buffer.from('a text file named like a snapshot')],
  ];
  io.mkdir('/db/snapshots');
  for (const [name, bytes] of [...ours, ...theirs]) io.setFile(`/db/${name}`, bytes);
  const r = await LogStore.open<string>('/db', { io });
  t.same([...r.openReport.removedFiles].sort(), ours.map(([n]) => `/db/${n}`).sort(), 'the store\'s leftovers are removed');
  t.same([...r.openReport.foreignFiles].sort(), theirs.map(([n]) => `/db/${n}`).sort(), 'the others are reported');
  for (const [name, bytes] of theirs) t.same(io.readFile(`/db/${name}`), bytes, `${name} is left as it was`);
  t.equal(r.openReport.clean, false, 'a removal makes the open unclean');
  t.equal(r.get('a'), '1');
  await r.close();
  const again = await LogStore.open<string>('/db', { io });
  t.equal(again.openReport.clean, true, 'files that are not the store\'s do not make an open unclean');
  t.equal(again.openReport.foreignFiles.length, theirs.length);
  await again.close();
});

t.test('a crash right after a roll created its segment, before the manifest listed it', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', segmentSize: 4096 });
  // Count the manifest writes of a roll, then crash just before the one that lists the new segment.
  let armed = false;
  io.beforeSync = (_n, path) => {
    if (armed && path.startsWith('/db/MANIFEST')) throw new Error('crash before the manifest lists the new segment');
  };
  let i = 0;
  armed = true;
  await t.rejects(async () => {
    for (; i < 1000; i++) await s.put(`k${i}`, 'v'.repeat(50));
  });
  armed = false;
  const after = io.crash();
  const orphans = after.readdir('/db').filter((n) => n.endsWith('.log'));
  t.equal(orphans.length, 2, 'the new segment file exists on disk');
  const r = await LogStore.open<string>('/db', { io: after });
  t.equal(r.openReport.removedFiles.length, 1, 'and open removes it');
  t.equal(r.openReport.segments, 1);
  for (let k = 0; k < i; k++) t.equal(r.get(`k${k}`), 'v'.repeat(50), `acknowledged k${k} kept`);
  await r.put('more', 'x');
  await r.close();
});

t.test('a store without a manifest (or with a lost one) is rebuilt from its segments', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', segmentSize: 4096 });
  for (let i = 0; i < 100; i++) await s.put(`k${i}`, 'v'.repeat(50));
  await s.close();
  io.unlink('/db/MANIFEST.jrna');
  io.unlink('/db/MANIFEST.jrnb');
  const r = await LogStore.open<string>('/db', { io });
  t.equal(r.openReport.manifestRebuilt, false, 'no manifest at all: a store from before manifests, adopted');
  t.equal(r.count(), 100);
  t.equal(r.valueEncoding, 'utf8', 'the encoding comes from the segment headers');
  await r.close();
  io.setFile('/db/MANIFEST.jrna', Buffer.alloc(4096, 0xee));
  io.setFile('/db/MANIFEST.jrnb', Buffer.alloc(4096, 0xee));
  const again = await LogStore.open<string>('/db', { io });
  t.equal(again.openReport.manifestRebuilt, true, 'a damaged manifest is reported and rebuilt');
  t.equal(again.openReport.clean, false);
  t.equal(again.count(), 100, 'and nothing is deleted on its word');
  await again.close();
  const third = await LogStore.open<string>('/db', { io });
  t.equal(third.openReport.clean, true, 'the rebuilt manifest is trusted next time');
  await third.close();
});

t.test('a manifest older than the files (listing segments a compaction deleted) deletes nothing', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false });
  for (let i = 0; i < 100; i++) await s.put(`k${i % 20}`, `v${i}`.padEnd(60, '.'));
  // The manifest as it stood once compact() had sealed the active segment
  // and the cleaner was writing its output: listing the inputs and the new
  // active segment, not the output. What the next open gets when the
  // manifest's newer frames are lost (its active journal file zeroed, say).
  let stale: { a: Buffer; b: Buffer } | undefined;
  io.beforeSync = (_n, path) => {
    if (!stale && /-1\.log/.test(path)) stale = { a: Buffer.from(io.readFile('/db/MANIFEST.jrna')), b: Buffer.from(io.readFile('/db/MANIFEST.jrnb')) };
  };
  await s.compact();
  io.beforeSync = undefined;
  await s.close();
  t.ok(stale, 'the manifest was captured mid-compaction');
  const current = { a: io.readFile('/db/MANIFEST.jrna'), b: io.readFile('/db/MANIFEST.jrnb') };
  const files = ls(io).filter((n) => !n.startsWith('MANIFEST'));
  t.ok(files.some((n) => /-1\.log$/.test(n)), `the cleaner's output is on disk: ${files.join(' ')}`);
  io.setFile('/db/MANIFEST.jrna', stale!.a);
  io.setFile('/db/MANIFEST.jrnb', stale!.b);
  await t.rejects(LogStore.open<string>('/db', { io }), { code: 'CORRUPT', reason: 'missing-segment', file: '/db/00000000000000000000.log' }, 'open names the listed segment that is missing');
  t.same(ls(io).filter((n) => !n.startsWith('MANIFEST') && n !== 'LOCK'), files, "and deletes nothing on the stale list's word (the output holds the only copy)");
  io.setFile('/db/MANIFEST.jrna', current.a);
  io.setFile('/db/MANIFEST.jrnb', current.b);
  const r = await LogStore.open<string>('/db', { io });
  t.equal(r.count(), 20, 'with the current manifest every key is there');
  for (let k = 0; k < 20; k++) t.equal(r.get(`k${k}`), `v${80 + k}`.padEnd(60, '.'));
  await r.close();
});

t.test("a manifest whose newer journal file is zeroed after a switch is not trusted: nothing deleted, the segments on disk taken", async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false });
  for (let i = 0; i < 100; i++) await s.put(`k${i % 20}`, `v${i}`.padEnd(60, '.'));
  await s.close();
  // Switch the manifest's journal (as thousands of file-set changes would):
  // its older file, which says superseded now, lists the segments before
  // the compaction below. Keys the manifest does not know are ignored by it.
  const journal = await JournalStore.open('/db/MANIFEST', { io, bufferSize: 256 * 1024 });
  for (let i = 0; i < 3; i++) await journal.set('padding', 'p'.repeat(100_000 + i));
  await journal.set('padding', null);
  await journal.close();
  const c = await LogStore.open<string>('/db', { io, autoCompact: false });
  await c.compact();
  await c.close();
  const probe = await JournalStore.open('/db/MANIFEST', { io, bufferSize: 256 * 1024 });
  const newer = probe.openReport.activeFile!;
  await probe.close();
  const files = ls(io).filter((n) => !n.startsWith('MANIFEST') && n !== 'LOCK');
  io.setFile(newer, Buffer.alloc(256 * 1024));
  const r = await LogStore.open<string>('/db', { io });
  t.equal(r.openReport.manifestRebuilt, true, 'the lost generation is reported and the manifest rebuilt');
  t.same(r.openReport.removedFiles, [], 'nothing deleted on the older list');
  t.equal(r.count(), 20);
  for (let k = 0; k < 20; k++) t.equal(r.get(`k${k}`), `v${80 + k}`.padEnd(60, '.'));
  t.same(ls(io).filter((n) => !n.startsWith('MANIFEST') && n !== 'LOCK'), files, 'every file where it was');
  await r.close();
});

t.test('a damaged first manifest frame never lets open delete the segments that hold the data', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', segmentSize: 4096 });
  for (let i = 0; i < 30; i++) await s.put(`k${i % 5}`, 'v'.repeat(40));
  await s.compact();
  await s.close();
  const segmentsBefore = ls(io).filter((n) => n.endsWith('.log'));
  t.ok(segmentsBefore.some((n) => /-\d+\.log$/.test(n)), `a cleaner output among ${segmentsBefore.join(', ')}`);
  // Byte 36: inside the first frame, which then reads as a torn tail: a list of no segment at all.
  const manifest = io.files().get('/db/MANIFEST.jrna')!;
  const damaged = Buffer.from(manifest);
  damaged[36]! ^= 1;
  io.setFile('/db/MANIFEST.jrna', damaged);
  const r = await LogStore.open<string>('/db', { io });
  t.same(r.openReport.removedFiles, [], 'no segment removed as a leftover');
  t.equal(r.openReport.created, false);
  t.equal(r.openReport.manifestRebuilt, true, 'the manifest is rebuilt from the segments on disk');
  for (let i = 0; i < 5; i++) t.equal(r.get(`k${i}`), 'v'.repeat(40));
  await r.close();
});
