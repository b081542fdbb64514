// Snapshots: a consistent point-in-time file while writes go on, the same
// bytes for the same state, retention, restore, starting from a snapshot
// when older segments are gone, and a crash at every I/O step of taking one.

import t, { type Test } from 'tap';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { restore } from '../../src/log/restore.js';
import { readHintHeader, readSnapshot } from '../../src/formats/index.js';
import { writeHint } from '../../src/log/segment-hint.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

type Model = Map<string, string>;

function same(t: Test, s: LogStore<string>, model: Model, what: string): void {
  const actual = Object.fromEntries([...s.entries()].map(([k, v]) => [k.toString(), v]));
  t.same(actual, Object.fromEntries([...model].sort()), what);
}

function snapshotState(io: MemoryFileIO, path: string): Record<string, string> {
  const { entries } = readSnapshot(io.readFile(path), path);
  return Object.fromEntries(entries.map((e) => [Buffer.from(e.key).toString(), Buffer.from(e.value).toString()]));
}

const base: LogStoreOptions = { valueEncoding: 'utf8', segmentSize: 8 * 1024, autoCompact: false };

/** Makes `io` crash just before its sync number `step` (the I/O fails there); `image` is the disk it left. */
function crashBeforeSync(io: MemoryFileIO, step: number): { image: MemoryFileIO | undefined } {
  const crash: { image: MemoryFileIO | undefined } = { image: undefined };
  let syncs = 0;
  io.beforeSync = () => {
    if (syncs++ === step) {
      crash.image = io.crash();
      throw new Error(`crash at ${step}`);
    }
  };
  return crash;
}

async function filled(io: MemoryFileIO, n: number, options: LogStoreOptions = {}) {
  const s = await LogStore.open<string>('/db', { ...base, io, ...options });
  const model: Model = new Map();
  for (let i = 0; i < n; i++) {
    const k = `key-${i % 97}`;
    if (i % 11 === 5) {
      await s.delete(k);
      model.delete(k);
    } else {
      await s.put(k, `value-${i}`);
      model.set(k, `value-${i}`);
    }
  }
  return { s, model };
}

t.test('a snapshot holds the live state in key order; the same state gives the same bytes', async (t) => {
  const io = new MemoryFileIO();
  const { s, model } = await filled(io, 800);
  await s.put('expiring', 'soon', { ttlMs: 1 });
  await new Promise((r) => setTimeout(r, 5));
  const a = await s.snapshot();
  t.equal(a.path, `/db/snapshots/${String(801).padStart(20, '0')}.snap`, 'named by the next offset');
  t.equal(a.nextOffset, 801);
  t.equal(a.entries, model.size, 'expired keys are not in it');
  t.same(snapshotState(io, a.path), Object.fromEntries(model), 'it holds exactly the live state');
  const keys = readSnapshot(io.readFile(a.path)).entries.map((e) => Buffer.from(e.key));
  t.ok(keys.every((k, i) => i === 0 || Buffer.compare(keys[i - 1]!, k) < 0), 'keys ascend');
  const first = io.readFile(a.path);
  const b = await s.snapshot();
  t.equal(b.path, a.path);
  t.ok(io.readFile(b.path).equals(first), 'a second snapshot of the same state is byte-identical');
  await s.close();
});

t.test('writes go on while a snapshot is written; it stands for one point between them', async (t) => {
  const io = new MemoryFileIO();
  const { s, model } = await filled(io, 500);
  const history: Array<[string, string]> = [];
  const states: Array<Record<string, string>> = [Object.fromEntries(model)];
  const snap = s.snapshot();
  const writes: Array<Promise<void>> = [];
  for (let i = 0; i < 300; i++) {
    const k = `key-${i % 50}`;
    writes.push(s.put(k, `during-${i}`));
    history.push([k, `during-${i}`]);
    model.set(k, `during-${i}`);
    states.push(Object.fromEntries(model));
  }
  const [info] = await Promise.all([snap, ...writes]);
  const inSnapshot = snapshotState(io, info.path);
  const at = states.findIndex((st) => JSON.stringify(Object.entries(st).sort()) === JSON.stringify(Object.entries(inSnapshot).sort()));
  t.ok(at >= 0, `the snapshot equals the state after ${at} of the concurrent writes`);
  t.equal(info.nextOffset, 500 + at, 'and its next offset says which');
  same(t, s, model, 'every write landed');
  await s.close();
});

t.test('only the newest keepSnapshots are kept, on disk and in the manifest', async (t) => {
  const io = new MemoryFileIO();
  const { s } = await filled(io, 50, { keepSnapshots: 2 });
  const paths: string[] = [];
  for (let i = 0; i < 4; i++) {
    await s.put(`round-${i}`, 'x');
    paths.push((await s.snapshot()).path);
  }
  t.same(s.snapshots().map((x) => x.path), paths.slice(2));
  t.same(io.readdir('/db/snapshots'), paths.slice(2).map((p) => p.slice('/db/snapshots/'.length)));
  await s.close();
  const r = await LogStore.open<string>('/db', { io });
  t.same(r.snapshots().map((x) => x.path), paths.slice(2), 'and after a reopen');
  await r.close();
});

/** The hints and indexes restore made from the records it noted are byte for byte those a read of each segment back makes. */
async function sameHintsAsReadBack(t: Test, io: MemoryFileIO, dir: string, baseSegments: number): Promise<void> {
  const hints = io.readdir(dir).filter((f) => f.endsWith('.hint'));
  t.equal(hints.length, baseSegments, 'every base segment has its hint');
  const scratch = `${dir}-reread`;
  io.mkdir(scratch);
  for (const hint of hints) {
    const stem = hint.slice(0, -'.hint'.length);
    const header = readHintHeader(io.readFile(`${dir}/${hint}`));
    const segment = { path: `${dir}/${stem}.log`, stem, baseOffset: header.segmentBaseOffset, nextOffset: header.segmentNextOffset, compacted: true };
    t.equal(await writeHint(io, scratch, segment), true, `${stem} reads back`);
    for (const kind of ['hint', 'index']) {
      t.ok(io.readFile(`${scratch}/${stem}.${kind}`).equals(io.readFile(`${dir}/${stem}.${kind}`)), `${stem}.${kind} is the one the segment read back gives`);
    }
  }
}

t.test('restore builds an equal store that goes on at the snapshot offset', async (t) => {
  const io = new MemoryFileIO();
  const { s, model } = await filled(io, 900, { segmentSize: 4096 });
  await s.put('ttl', 'later', { expireAt: Date.now() + 3_600_000 });
  model.set('ttl', 'later');
  const info = await s.snapshot();
  await s.close();

  const report = await restore(info.path, '/copy', { io, segmentSize: 4096 });
  t.equal(report.entries, model.size);
  t.equal(report.nextOffset, info.nextOffset);
  t.notOk(io.exists('/copy/RESTORING'), 'the marker is gone');
  await sameHintsAsReadBack(t, io, '/copy', report.segments - 1);
  const r = await LogStore.open<string>('/copy', { io, autoCompact: false });
  t.equal(r.openReport.clean, true);
  t.equal(r.valueEncoding, 'utf8', 'the value encoding comes with the snapshot');
  same(t, r, model, 'the restored store holds the snapshot state');
  const again = await r.snapshot();
  t.ok(io.readFile(again.path).equals(io.readFile(info.path)), "the restored store's snapshot is byte-identical to the source's");
  await r.put('new', 'write');
  await r.close();
  const reopened = await LogStore.open<string>('/copy', { io });
  t.equal(reopened.get('new'), 'write');
  t.equal(reopened.get('ttl'), 'later');
  await reopened.close();
});

t.test('restore into several base segments: the hint of each holds its own records', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { ...base, io, segmentSize: 1024 * 1024 });
  const model: Model = new Map();
  // ~5 MB of values: batches of ~1 MiB, so several outputs of 2 MiB.
  for (let i = 0; i < 5000; i++) {
    const v = `${i}:`.padEnd(1000, String.fromCharCode(97 + (i % 26)));
    await s.put(`k${(i * 7919) % 5000}`, v);
    model.set(`k${(i * 7919) % 5000}`, v);
  }
  const info = await s.snapshot();
  await s.close();
  const report = await restore(info.path, '/copy', { io, segmentSize: 2 * 1024 * 1024 });
  t.ok(report.segments - 1 >= 3, `${report.segments - 1} base segments`);
  await sameHintsAsReadBack(t, io, '/copy', report.segments - 1);
  const r = await LogStore.open<string>('/copy', { io, autoCompact: false });
  same(t, r, model, 'the restored store holds the snapshot state');
  await r.close();
});

t.test('restore refuses a damaged snapshot and a directory in use, writing nothing', async (t) => {
  const io = new MemoryFileIO();
  const { s } = await filled(io, 300);
  const info = await s.snapshot();
  await s.close();
  const bytes = io.readFile(info.path);
  for (const at of [3, 40, Math.floor(bytes.length / 2), bytes.length - 1]) {
    const damaged = Buffer.from(bytes);
    damaged[at]! ^= 0x01;
    io.setFile('/bad.snap', damaged);
    await t.rejects(restore('/bad.snap', `/r${at}`, { io }), { code: at === 3 ? 'BAD_MAGIC' : 'CORRUPT' }, `a flipped bit at ${at}`);
    t.notOk(io.exists(`/r${at}`) && io.readdir(`/r${at}`).length > 0, 'nothing written');
  }
  await t.rejects(restore(info.path, '/db', { io }), { code: 'INVALID_ARGUMENT' }, 'not into a store');
  await t.rejects(restore('/nowhere.snap', '/r', { io }), { code: 'INVALID_ARGUMENT' });
  // Its active segment is preallocated to segmentSize: past 2 GiB - 1 the store could not be opened after a crash.
  await t.rejects(restore(info.path, '/huge', { io, segmentSize: 2 ** 31 }), { code: 'INVALID_ARGUMENT' }, 'a segment size no open could read back');
  t.notOk(io.exists('/huge'), 'nothing created');
});

t.test('an interrupted restore is refused by open and redone by restore', async (t) => {
  const io = new MemoryFileIO();
  const { s, model } = await filled(io, 300);
  const info = await s.snapshot();
  await s.close();
  const crash = crashBeforeSync(io, 4);
  await t.rejects(restore(info.path, '/copy', { io }));
  io.beforeSync = undefined;
  await t.rejects(LogStore.open('/copy', { io: crash.image! }), { code: 'CORRUPT', reason: 'interrupted-restore' });
  await restore(info.path, '/copy', { io: crash.image! });
  const r = await LogStore.open<string>('/copy', { io: crash.image! });
  same(t, r, model, 'the redone restore is whole');
  await r.close();
});

t.test('a lost or damaged sealed segment that a snapshot covers: open starts from the snapshot', async (t) => {
  for (const harm of ['delete', 'flip'] as const) {
    const io = new MemoryFileIO();
    const { s, model } = await filled(io, 600, { segmentSize: 4096 });
    const info = await s.snapshot();
    // After the snapshot: a delete of a key it holds, overwrites, and a compaction that may drop the tombstone.
    const victim = [...model.keys()][0]!;
    await s.delete(victim);
    model.delete(victim);
    for (let i = 0; i < 200; i++) {
      await s.put(`after-${i % 20}`, `a${i}`);
      model.set(`after-${i % 20}`, `a${i}`);
    }
    await s.close();
    const first = '/db/00000000000000000000.log';
    if (harm === 'delete') io.unlink(first);
    else {
      // Without its hint, open reads the segment and meets the damage.
      io.unlink('/db/00000000000000000000.hint');
      const bytes = io.readFile(first);
      bytes[100]! ^= 0x40;
      io.setFile(first, bytes);
    }
    const r = await LogStore.open<string>('/db', { io, autoCompact: false });
    const start = r.openReport.startedFromSnapshot;
    t.ok(start, `${harm}: open started from a snapshot`);
    t.equal(start?.snapshot, info.path);
    t.equal(start?.cause.file, first);
    t.equal(r.openReport.clean, false);
    if (harm === 'flip') t.ok(start?.setAside.some((p) => p.startsWith('/db/lost/00000000000000000000.log')), 'the damaged file is in lost/');
    same(t, r, model, `${harm}: the state is the snapshot plus the log after it`);
    t.equal(r.get(victim), undefined, `${harm}: a key deleted after the snapshot stays deleted`);
    await r.close();
    const again = await LogStore.open<string>('/db', { io });
    t.equal(again.openReport.clean, true, `${harm}: the next open is clean`);
    same(t, again, model, `${harm}: and the same`);
    await again.close();
  }
});

t.test('a crash at every I/O step of an open that starts from a snapshot: the next open finishes it', async (t) => {
  const setUp = async () => {
    const io = new MemoryFileIO();
    const { s, model } = await filled(io, 600, { segmentSize: 4096 });
    await s.snapshot();
    for (let i = 0; i < 100; i++) {
      await s.put(`after-${i % 10}`, `a${i}`);
      model.set(`after-${i % 10}`, `a${i}`);
    }
    await s.close();
    io.unlink('/db/00000000000000000000.log');
    return { io, model };
  };
  let step = 0;
  for (;; step++) {
    const { io, model } = await setUp();
    const crash = crashBeforeSync(io, step);
    const opened = await LogStore.open<string>('/db', { io, autoCompact: false }).then(
      (r) => r,
      () => undefined,
    );
    io.beforeSync = undefined;
    if (opened) {
      t.ok(opened.openReport.startedFromSnapshot, `no crash (${step} sync steps): started from the snapshot`);
      same(t, opened, model, 'and whole');
      await opened.close();
      break;
    }
    const r = await LogStore.open<string>('/db', { io: crash.image!, autoCompact: false });
    same(t, r, model, `crash before sync ${step}: the next open has the snapshot's state plus the log after it`);
    await r.close();
    const again = await LogStore.open<string>('/db', { io: crash.image! });
    t.equal(again.openReport.clean, true, `crash before sync ${step}: and the one after is clean`);
    same(t, again, model, `crash before sync ${step}: and the same`);
    await again.close();
  }
  t.ok(step > 3, `${step} steps enumerated`);
});

t.test('the cleaner keeps tombstones a kept snapshot may need', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { ...base, io, segmentSize: 4096, tombstoneRetentionMs: 0 });
  const model: Model = new Map();
  for (let i = 0; i < 100; i++) {
    await s.put(`k${i}`, `v${i}`);
    model.set(`k${i}`, `v${i}`);
  }
  await s.snapshot();
  for (let i = 0; i < 100; i += 2) {
    await s.delete(`k${i}`);
    model.delete(`k${i}`);
  }
  for (let i = 0; i < 300; i++) await s.put('filler', `f${i}`);
  model.set('filler', 'f299');
  await s.compact();
  await s.close();
  // Lose every segment the snapshot covers (the cleaner's outputs do not
  // straddle its offset): only its state and the log after it are left.
  const names = io.readdir('/db').filter((n) => n.endsWith('.log')).sort();
  const lost = names.filter((_, i) => i + 1 < names.length && Number(names[i + 1]!.slice(0, 20)) <= 100);
  t.ok(lost.length > 0, `${lost.join(' ')} lie wholly below the snapshot`);
  for (const name of lost) io.unlink(`/db/${name}`);
  const r = await LogStore.open<string>('/db', { io, autoCompact: false });
  t.ok(r.openReport.startedFromSnapshot, 'started from the snapshot');
  same(t, r, model, 'no key deleted after the snapshot came back');
  await r.close();
});

t.test('a crash at every I/O step of a snapshot leaves the state and no unlisted file', async (t) => {
  let step = 0;
  for (;; step++) {
    const io = new MemoryFileIO();
    const { s, model } = await filled(io, 400);
    const before = s.snapshots().length;
    const crash = crashBeforeSync(io, step);
    const done = await s.snapshot().then(
      () => true,
      () => false,
    );
    io.beforeSync = undefined;
    await s.close().catch(() => undefined);
    if (done) break;
    const r = await LogStore.open<string>('/db', { io: crash.image! });
    same(t, r, model, `crash before sync ${step}: state intact`);
    const listed = r.snapshots();
    t.ok(listed.length === before || listed.length === before + 1, `crash before sync ${step}: ${listed.length} listed`);
    const onDisk = crash.image!.exists('/db/snapshots') ? crash.image!.readdir('/db/snapshots') : [];
    t.same(onDisk, listed.map((x) => x.path.slice('/db/snapshots/'.length)), `crash before sync ${step}: only listed snapshots on disk`);
    for (const x of listed) t.ok(readSnapshot(crash.image!.readFile(x.path)), 'and every listed one reads back whole');
    await r.close();
  }
  t.ok(step >= 3, `${step} sync steps enumerated`);
});
