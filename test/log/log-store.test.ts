// LogStore core: persistence, expiry, atomic batches after a crash, group
// commit, hints, torn tails, corruption (strict and salvage), the lock, and
// bad input that must leave the files byte-identical.

import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, appendFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { readSegment, SEGMENT_HEADER_SIZE } from '../../src/formats/index.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const code = (c: string) => ({ name: 'LogkvError', code: c });

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file of a store directory and its bytes, for byte-identical checks. */
function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    if (name === 'LOCK' || name === 'lost') continue;
    out[name] = readFileSync(join(dir, name)).toString('hex');
  }
  return out;
}

async function open<V>(t: Test, dir: string, options: LogStoreOptions = {}) {
  const s = await LogStore.open<V>(dir, options);
  t.teardown(() => s.close());
  return s;
}

t.test('put, get, delete and batch persist across a reopen', async (t) => {
  const dir = tempDir(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  t.equal(s.openReport.created, true);
  await s.put('a', 'alpha');
  await s.put(new Uint8Array([0, 255]), 'binary key');
  await s.put('ключ', 'значение');
  await s.put('gone', 'soon');
  await s.delete('gone');
  await s.batch([
    { type: 'put', key: 'b', value: 'beta' },
    { type: 'put', key: 'c', value: '' },
    { type: 'del', key: 'a' },
  ]);
  t.equal(s.get('a'), undefined);
  t.equal(s.get('b'), 'beta');
  t.equal(s.get('c'), '', 'zero-length value');
  t.equal(s.count(), 4);
  await s.close();

  const r = await open<string>(t, dir);
  t.equal(r.valueEncoding, 'utf8', 'the encoding is recorded in the store');
  t.equal(r.openReport.clean, true);
  t.equal(r.openReport.keys, 4);
  t.equal(r.get('b'), 'beta');
  t.equal(r.get(new Uint8Array([0, 255])), 'binary key');
  t.equal(r.get('ключ'), 'значение');
  t.notOk(r.has('gone'));
  t.notOk(r.has('a'));
});

t.test('value encodings: binary by default, json round trips', async (t) => {
  const dir = tempDir(t);
  const bin = await LogStore.open<Uint8Array>(join(dir, 'bin'));
  await bin.put('k', new Uint8Array([1, 2, 3]));
  t.same([...bin.get('k')!], [1, 2, 3]);
  await t.rejects(bin.put('k', 'text' as never), code('INVALID_ARGUMENT'));
  await bin.close();
  const json = await open<unknown>(t, join(dir, 'json'), { valueEncoding: 'json' });
  await json.put('doc', { n: 1, list: [true, null, 'x'] });
  t.same(json.get('doc'), { n: 1, list: [true, null, 'x'] });
  await t.rejects(LogStore.open(join(dir, 'bin'), { valueEncoding: 'utf8' }), code('INVALID_ARGUMENT'));
});

t.test('expiry with an injectable clock', async (t) => {
  const dir = tempDir(t);
  let now = 1_000_000;
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', now: () => now });
  await s.put('session', 'token', { ttlMs: 500 });
  await s.put('until', 'x', { expireAt: now + 1000 });
  await s.put('forever', 'y');
  t.equal(s.get('session'), 'token');
  now += 500;
  t.equal(s.get('session'), undefined, 'expired at its ttl');
  t.notOk(s.has('session'));
  t.equal(s.get('until'), 'x');
  await t.rejects(s.put('bad', 'z', { ttlMs: -1 }), code('INVALID_ARGUMENT'));
  await t.rejects(s.put('bad', 'z', { ttlMs: 5, expireAt: 5 }), code('INVALID_ARGUMENT'));
  await s.close();
  now += 1000;
  const r = await open<string>(t, dir, { now: () => now });
  t.equal(r.get('until'), undefined, 'still expired after a reopen');
  t.equal(r.get('forever'), 'y');
});

t.test('group commit: concurrent durable puts share fsyncs, and every one is durable', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8' });
  const before = s.syncCount;
  await Promise.all(Array.from({ length: 200 }, (_, i) => s.put(`k${i}`, `v${i}`)));
  const syncs = s.syncCount - before;
  t.ok(syncs <= 10, `200 concurrent puts took ${syncs} fdatasyncs`);
  const r = await LogStore.open<string>('/db', { io: io.crash() });
  for (let i = 0; i < 200; i++) t.equal(r.get(`k${i}`), `v${i}`);
  await r.close();
});

t.test('a batch is all or nothing after a crash mid-write', async (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const io = new MemoryFileIO();
    const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', durability: 'none', segmentSize: 64 * 1024 });
    await s.put('before', 'x');
    await s.flush();
    await s.batch(Array.from({ length: 50 }, (_, i) => ({ type: 'put' as const, key: `b${i}`, value: 'y'.repeat(100) })));
    let x = seed * 7919;
    const random = () => ((x = (x * 48271) % 2147483647) / 2147483647);
    const r = await LogStore.open<string>('/db', { io: io.crash({ random }) });
    const present = Array.from({ length: 50 }, (_, i) => r.has(`b${i}`)).filter(Boolean).length;
    t.ok(present === 0 || present === 50, `seed ${seed}: ${present} of 50 batch records`);
    t.equal(r.get('before'), 'x');
    if (present === 0 && r.openReport.bytesCut > 0) t.ok(r.openReport.damage.length > 0, 'a cut is reported');
    await r.close();
  }
});

t.test('segments roll, sealed ones get hints, and open uses them', async (t) => {
  const dir = tempDir(t);
  // The cleaner would rewrite this overwrite workload; here the appender's own segments are the subject.
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false });
  for (let i = 0; i < 300; i++) await s.put(`key-${i % 50}`, `value-${i}`);
  await s.close();
  const names = readdirSync(dir);
  const logs = names.filter((n) => n.endsWith('.log'));
  const hints = names.filter((n) => n.endsWith('.hint'));
  t.ok(logs.length > 3, `${logs.length} segments`);
  t.equal(hints.length, logs.length, 'every sealed segment has a hint, and the clean close wrote the active one');
  let next = 0;
  for (const n of logs.sort()) {
    t.equal(Number(n.slice(0, 20)), next, 'segments are named by base offset, contiguous');
    next = readSegment(readFileSync(join(dir, n))).nextOffset;
  }
  const r = await LogStore.open<string>(dir);
  t.equal(r.openReport.hintsUsed, hints.length);
  t.equal(r.openReport.hintsRebuilt, 0);
  for (let k = 0; k < 50; k++) t.equal(r.get(`key-${k}`), `value-${250 + k}`);
  await r.close();

  // A damaged hint is not trusted: the segment is rescanned and the hint rewritten. Its header
  // checks out, so open defers the segment and the load after open finds the damage.
  const hintFile = join(dir, hints.sort()[0]!);
  const good = readFileSync(hintFile);
  const bytes = Buffer.from(good);
  bytes[bytes.length - 20]! ^= 0xff;
  writeFileSync(hintFile, bytes);
  const again = await LogStore.open<string>(dir);
  t.equal(again.openReport.segmentsDeferred, logs.length, 'every segment deferred: the damage is behind the header');
  await again.whenLoaded();
  t.equal(again.openReport.hintsRebuilt, 1, 'the load found the damage');
  for (let k = 0; k < 50; k++) t.equal(again.get(`key-${k}`), `value-${250 + k}`);
  await again.close();
  t.same(readFileSync(hintFile), good, 'the hint was written again, as it was before the damage');

  // Loading every key before open resolves finds it at open.
  writeFileSync(hintFile, bytes);
  const eager = await open<string>(t, dir, { loadKeys: 'before-open' });
  t.equal(eager.openReport.hintsRebuilt, 1);
  t.equal(eager.openReport.segmentsDeferred, 0);
  for (let k = 0; k < 50; k++) t.equal(eager.get(`key-${k}`), `value-${250 + k}`);
});

t.test('a torn tail of the newest segment is cut, reported and kept in lost/', async (t) => {
  const dir = tempDir(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  await s.put('a', '1');
  await s.put('b', '2');
  await s.close();
  const seg = join(dir, '00000000000000000000.log');
  const end = readFileSync(seg).length;
  appendFileSync(seg, Buffer.from([60, 0, 0, 0, 1, 2, 3, 4, 5])); // a batch that never finished
  const r = await open<string>(t, dir);
  t.equal(r.openReport.clean, false);
  t.equal(r.openReport.bytesCut, 9);
  t.same(r.openReport.damage.map((d) => [d.file, d.offset, d.code, d.action]), [[seg, end, 'TRUNCATED', 'cut']]);
  t.ok(existsSync(r.openReport.keptAside[0]!), 'the cut bytes are kept');
  t.equal(r.get('a'), '1');
  t.equal(r.get('b'), '2');
  await r.put('c', '3');
  await r.close();
  const clean = await open<string>(t, dir);
  t.equal(clean.openReport.clean, true);
  t.equal(clean.get('c'), '3');
});

t.test('corruption in a sealed segment: CORRUPT with file and offset; salvage keeps the rest', async (t) => {
  const dir = tempDir(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 4096 });
  for (let i = 0; i < 200; i++) await s.put(`k${i}`, `v${i}`);
  await s.close();
  const first = join(dir, '00000000000000000000.log');
  rmSync(join(dir, '00000000000000000000.hint'));
  const bytes = readFileSync(first);
  const victim = readSegment(bytes).batches[3]!;
  bytes[victim.position + 20]! ^= 0x10;
  writeFileSync(first, bytes);
  const before = snapshotDir(dir);
  await t.rejects(LogStore.open(dir), { code: 'CORRUPT', file: first, offset: victim.position });
  t.same(snapshotDir(dir), before, 'a failed open changes nothing');
  const r = await open<string>(t, dir, { recovery: 'salvage' });
  t.same(r.openReport.damage.map((d) => [d.offset, d.reason, d.action]), [[victim.position, 'batch-crc', 'skipped']]);
  const lost = victim.records.map((rec) => Buffer.from(rec.key).toString());
  for (let i = 0; i < 200; i++) {
    if (lost.includes(`k${i}`)) t.equal(r.get(`k${i}`), undefined);
    else t.equal(r.get(`k${i}`), `v${i}`, `k${i} survives`);
  }
});

t.test('a byte damaged after open is reported by get (record CRC), never returned', async (t) => {
  const dir = tempDir(t);
  const s = await open<string>(t, dir, { valueEncoding: 'utf8' });
  await s.batch([
    { type: 'put', key: 'a', value: 'apple' },
    { type: 'put', key: 'b', value: 'banana' },
  ]);
  const file = join(dir, '00000000000000000000.log');
  const bytes = readFileSync(file);
  const record = readSegment(bytes).batches[0]!.records[1]!;
  // Flip one bit of each part of record b in turn (its CRC, fixed fields,
  // key, value): every damaged byte must be caught by the point read.
  for (let at = record.position; at < record.position + record.size; at++) {
    const damaged = Buffer.from(bytes);
    damaged[at]! ^= 0x01;
    writeFileSync(file, damaged);
    t.throws(() => s.get('b'), { code: 'CORRUPT', reason: 'record-crc', file, offset: record.position }, `bit flip at byte ${at - record.position} of the record`);
    t.equal(s.get('a'), 'apple', 'the other record of the batch still reads');
  }
  writeFileSync(file, bytes);
  t.equal(s.get('b'), 'banana', 'the repaired bytes read again');
});

t.test('a second writer gets LOCKED; a lock left by a dead process does not block', async (t) => {
  const dir = tempDir(t);
  const s = await LogStore.open(dir);
  await t.rejects(LogStore.open(dir), code('LOCKED'));
  await s.close();
  writeFileSync(join(dir, 'LOCK'), 'logkv-lock pid=2147483646\n');
  const r = await open(t, dir);
  t.equal(r.count(), 0);
});

t.test('bad input gets its code and leaves the files byte-identical; a closed store is CLOSED', async (t) => {
  const dir = tempDir(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', maxValueSize: 100 });
  await s.put('k', 'v');
  await s.flush();
  const before = snapshotDir(dir);
  await t.rejects(s.put('x'.repeat(65536), 'v'), code('TOO_LARGE'));
  await t.rejects(s.put('k', 'v'.repeat(101)), code('TOO_LARGE'));
  await t.rejects(s.put(42 as never, 'v'), code('INVALID_ARGUMENT'));
  await t.rejects(s.put('k', 7 as never), code('INVALID_ARGUMENT'));
  await t.rejects(s.batch([{ type: 'put', key: 'ok', value: 'fine' }, { type: 'put', key: 'k', value: 'v'.repeat(101) }]), code('TOO_LARGE'));
  await t.rejects(s.batch([{ type: 'nope' } as never]), code('INVALID_ARGUMENT'));
  t.notOk(s.has('ok'), 'a rejected batch wrote nothing');
  t.same(snapshotDir(dir), before, 'files unchanged');
  await s.close();
  t.throws(() => s.get('k'), code('CLOSED'));
  await t.rejects(s.put('k', 'v'), code('CLOSED'));
  await t.rejects(LogStore.open(join(dir, 'other'), { segmentSize: 10 }), code('INVALID_ARGUMENT'));
  // Recovery reads the newest segment whole: one past 2 GiB - 1 could not be reopened after a crash.
  await t.rejects(LogStore.open(join(dir, 'other'), { segmentSize: 2 ** 31 }), code('INVALID_ARGUMENT'));
  t.notOk(existsSync(join(dir, 'other')), 'a refused open creates nothing');
  await t.rejects(LogStore.open(join(dir, 'other'), { durability: 'maybe' as never }), code('INVALID_ARGUMENT'));
});

t.test('a clean close trims the zero fill; the first write after open appends, with no zero fill on the write queue', async (t) => {
  const dir = tempDir(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 1 << 20 });
  const seg = join(dir, '00000000000000000000.log');
  t.equal(readFileSync(seg).length, 1 << 20, 'preallocated');
  await s.put('a', '1');
  await s.close();
  const trimmed = readFileSync(seg).length;
  t.ok(trimmed > SEGMENT_HEADER_SIZE && trimmed < 100, `trimmed to ${trimmed} bytes`);
  const r = await open<string>(t, dir, { segmentSize: 1 << 20 });
  t.equal(readFileSync(seg).length, trimmed, 'open writes nothing to the segment');
  t.equal(r.get('a'), '1');
  await r.put('b', '2');
  const grown = readFileSync(seg).length;
  // Real files: the log's background work is detached, so the reopened segment grows as written (segment-log.ts, fillActiveTo).
  t.ok(grown > trimmed && grown < 200, `the first write appended to it (${grown} bytes), no segment's worth of zeros first`);
  t.equal(r.get('a'), '1');
  t.equal(r.get('b'), '2');
  await r.close();
  const again = await open<string>(t, dir, { segmentSize: 1 << 20 });
  t.equal(again.get('b'), '2');
  // A store opened and closed without a write keeps its trimmed length.
  await again.close();
  const untouched = readFileSync(seg).length;
  const third = await open<string>(t, dir, { segmentSize: 1 << 20 });
  await third.close();
  t.equal(readFileSync(seg).length, untouched);
});
