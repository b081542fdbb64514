// A store is marked (IDENTITY, formats/store_identity.ksy) and open touches
// only a store: a directory holding anything else is refused and left as it
// was, and so is every refused or failed open, byte for byte (issue 20).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { LogkvError } from '../../src/errors.js';
import { lockLine } from '../../src/io/lock-file.js';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { restore } from '../../src/log/restore.js';
import { fingerprint } from '../support/fingerprint.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const root = fs.mkdtempSync(join(tmpdir(), 'logkv-identity-'));
// Others may look in (a test opens a store here as another user).
fs.chmodSync(root, 0o755);
t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `d${n++}`);

/** A closed store in a new directory, written across a few segments; returns its path. */
async function storeWithData(options: LogStoreOptions = {}): Promise<string> {
  const dir = fresh();
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false, ...options });
  for (let i = 0; i < 200; i++) await s.put(`k${i % 50}`, `v${i}`);
  await s.close();
  return dir;
}

/** Asserts that opening `dir` fails with `code` and leaves every file, name and mode as it was. */
async function refusedUnchanged(t: Test, dir: string, code: string, options: LogStoreOptions = {}, what = code): Promise<LogkvError> {
  const before = fingerprint(dir);
  const e = await LogStore.open(dir, options).then(
    (s) => {
      void s.close();
      return undefined;
    },
    (err: unknown) => err,
  );
  t.ok(e instanceof LogkvError && e.code === code, `${what}: refused with ${code} (got ${String(e)})`);
  t.same(fingerprint(dir), before, `${what}: the directory is byte-identical afterwards`);
  return e as LogkvError;
}

t.test('a directory that is not a store is refused and left alone, open after open', async (t) => {
  const dir = fresh();
  fs.mkdirSync(join(dir, 'snapshots'), { recursive: true });
  fs.writeFileSync(join(dir, 'upload.tmp'), 'half an upload');
  fs.writeFileSync(join(dir, 'readme.hint'), 'a hint for the reader');
  fs.writeFileSync(join(dir, 'keep.txt'), 'keep me');
  fs.writeFileSync(join(dir, 'snapshots', '2024-01-01.snap'), 'a holiday photo');
  const e = await refusedUnchanged(t, dir, 'NOT_A_STORE', {}, 'first open');
  t.match(e.message, /not a logkv store/);
  await refusedUnchanged(t, dir, 'NOT_A_STORE', {}, 'second open');
  t.equal(LogStore.exists(dir), false);
});

t.test('a text file named like a segment makes no store: no manifest, the file kept', async (t) => {
  const dir = fresh();
  fs.mkdirSync(dir);
  fs.writeFileSync(join(dir, '00000000000000000007.log'), 'just text\n');
  await refusedUnchanged(t, dir, 'NOT_A_STORE', {}, 'first open');
  await refusedUnchanged(t, dir, 'NOT_A_STORE', {}, 'second open');
});

t.test('a store is made only in a missing or empty directory, and carries an id', async (t) => {
  const missing = join(fresh(), 'nested', 'store');
  const a = await LogStore.open<string>(missing, { valueEncoding: 'utf8' });
  t.equal(a.openReport.created, true);
  t.match(a.storeId, /^[0-9a-f]{32}$/);
  t.ok(fs.existsSync(join(missing, 'IDENTITY')), 'IDENTITY written');
  await a.put('k', 'v');
  const id = a.storeId;
  await a.close();
  const again = await LogStore.open<string>(missing);
  t.equal(again.openReport.created, false);
  t.equal(again.storeId, id, 'the id stays the store\'s');
  t.equal(again.get('k'), 'v');
  await again.close();
  t.equal(LogStore.exists(missing), true);

  const empty = fresh();
  fs.mkdirSync(empty);
  const b = await LogStore.open(empty);
  t.equal(b.openReport.created, true);
  t.not(b.storeId, id, 'each store its own id');
  await b.close();

  // What a crash during a create leaves (a LOCK of a process that is gone, the identity's temp file) counts as empty.
  const interrupted = fresh();
  fs.mkdirSync(interrupted);
  fs.writeFileSync(join(interrupted, 'LOCK'), lockLine({ pid: 2 ** 22 + 1, boot: undefined, start: undefined }));
  fs.writeFileSync(join(interrupted, 'IDENTITY.tmp'), Buffer.from('LKVI'));
  const c = await LogStore.open(interrupted);
  t.equal(c.openReport.created, true);
  await c.close();
  t.notOk(fs.existsSync(join(interrupted, 'IDENTITY.tmp')), 'the temp file was replaced');
});

t.test('createIfMissing: false and readOnly never create', async (t) => {
  const dir = fresh();
  await t.rejects(LogStore.open(dir, { createIfMissing: false }), { code: 'NOT_FOUND' });
  await t.rejects(LogStore.open(dir, { readOnly: true }), { code: 'NOT_FOUND' });
  t.notOk(fs.existsSync(dir), 'nothing made');
});

t.test('a path that is a file, or under one, is NOT_A_DIRECTORY; exists() says false', async (t) => {
  const file = join(fresh());
  fs.writeFileSync(file, 'a file');
  await refusedUnchanged(t, file, 'NOT_A_DIRECTORY');
  const e = await LogStore.open(join(file, 'store')).then(() => undefined, (err: unknown) => err);
  t.ok(e instanceof LogkvError && e.code === 'NOT_A_DIRECTORY', `under a file: ${String(e)}`);
  t.equal(LogStore.exists(file), false);
  t.equal(fs.readFileSync(file, 'utf8'), 'a file');
});

t.test('refused opens of a store change nothing', async (t) => {
  const dir = await storeWithData();
  t.ok(fs.readdirSync(dir).some((f) => f.endsWith('.hint')), 'the store has hints (the newest one from the clean close too)');

  await refusedUnchanged(t, dir, 'INVALID_ARGUMENT', { valueEncoding: 'json' }, 'wrong valueEncoding');

  const lock = join(dir, 'LOCK');
  fs.writeFileSync(lock, lockLine({ pid: 1, boot: undefined, start: undefined }));
  await refusedUnchanged(t, dir, 'LOCKED', {}, 'LOCKED');
  fs.unlinkSync(lock);

  const identity = join(dir, 'IDENTITY');
  const good = fs.readFileSync(identity);
  const bad = Buffer.from(good);
  bad[12]! ^= 0x01;
  fs.writeFileSync(identity, bad);
  const e = await refusedUnchanged(t, dir, 'CORRUPT', {}, 'damaged IDENTITY');
  t.equal(e.reason, 'store-identity');
  fs.writeFileSync(identity, good);

  const segments = fs.readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  const newest = join(dir, segments.at(-1)!);
  const bytes = fs.readFileSync(newest);
  fs.writeFileSync(newest, Buffer.concat([Buffer.from('NOPE'), bytes.subarray(4)]));
  await refusedUnchanged(t, dir, 'BAD_MAGIC', {}, 'bad magic in the newest segment');
  fs.writeFileSync(newest, Buffer.concat([bytes, Buffer.from('torn')]));
  await refusedUnchanged(t, dir, 'NEEDS_RECOVERY', { readOnly: true }, 'read-only open of a torn tail');
  fs.writeFileSync(newest, bytes);

  const s = await LogStore.open<string>(dir);
  t.equal(s.openReport.clean, true, 'the store opens cleanly after all those refusals');
  t.equal(s.get('k49'), 'v199');
  await s.close();
});

t.test('a directory this process may not write: PERMISSION_DENIED and nothing changed; readOnly reads it', async (t) => {
  const dir = await storeWithData();
  const before = fingerprint(dir);
  // The built engine (make test builds before it runs the tests).
  const entry = new URL('../../dist/src/log/log-store.js', import.meta.url).href;
  const script = `
    const { LogStore } = await import(${JSON.stringify(entry)});
    const out = {};
    try { await LogStore.open(${JSON.stringify(dir)}); out.writable = 'opened'; } catch (e) { out.writable = e.code; out.message = e.message; }
    const s = await LogStore.open(${JSON.stringify(dir)}, { readOnly: true });
    out.value = Buffer.from(s.get('k49')).toString();
    await s.close();
    console.log(JSON.stringify(out));`;
  let out: { writable: string; message?: string; value: string };
  if (process.getuid?.() === 0) {
    // Root writes anywhere: run as nobody, who may read the store but not write to it.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    out = JSON.parse(r.stdout) as typeof out;
  } else {
    fs.chmodSync(dir, 0o555);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    fs.chmodSync(dir, 0o755);
    t.equal(r.status, 0, r.stderr);
    out = JSON.parse(r.stdout) as typeof out;
  }
  t.equal(out.writable, 'PERMISSION_DENIED', out.message ?? '');
  t.match(out.message, /readOnly/, 'the message says how to read it anyway');
  t.equal(out.value, 'v199', 'a read-only open reads it');
  t.same(fingerprint(dir), before, 'nothing changed');
});

t.test('readOnly: no lock, no writes, every write refused', async (t) => {
  const dir = await storeWithData();
  const before = fingerprint(dir);
  const r = await LogStore.open<string>(dir, { readOnly: true });
  t.equal(r.readOnly, true);
  t.same(fingerprint(dir), before, 'opening wrote nothing (no LOCK either)');
  t.equal(r.get('k7'), 'v157');
  t.same([...r.keys({ prefix: 'k4' })].map(String), ['k4', 'k40', 'k41', 'k42', 'k43', 'k44', 'k45', 'k46', 'k47', 'k48', 'k49']);
  for (const [what, write] of [
    ['put', () => r.put('a', 'b')],
    ['delete', () => r.delete('k1')],
    ['batch', () => r.batch([{ type: 'put', key: 'a', value: 'b' }])],
    ['incr', () => r.incr('n')],
    ['compareAndSet', () => r.compareAndSet('k1', 'v151', 'x')],
    ['clear', () => r.clear()],
    ['compact', () => r.compact()],
    ['snapshot', () => r.snapshot()],
  ] as const) {
    await t.rejects((write as () => Promise<unknown>)(), { code: 'READ_ONLY' }, what);
  }
  // A writer can open it meanwhile: a read-only open holds no lock.
  const w = await LogStore.open<string>(dir);
  await w.put('k7', 'newer');
  await w.close();
  await r.close();
  const r2 = await LogStore.open<string>(dir, { readOnly: true });
  t.equal(r2.get('k7'), 'newer', 'a later read-only open sees the writer\'s writes');
  await r2.close();
});

t.test('a store made before IDENTITY existed opens; a writable open marks it', async (t) => {
  const dir = await storeWithData();
  fs.unlinkSync(join(dir, 'IDENTITY'));
  t.equal(LogStore.exists(dir), true, 'its manifest tells it');
  const before = fingerprint(dir);
  const r = await LogStore.open<string>(dir, { readOnly: true });
  t.equal(r.storeId, undefined);
  t.equal(r.get('k0'), 'v150');
  await r.close();
  t.same(fingerprint(dir), before, 'a read-only open does not mark it');
  const w = await LogStore.open<string>(dir);
  t.match(w.storeId, /^[0-9a-f]{32}$/);
  await w.close();
  t.ok(fs.existsSync(join(dir, 'IDENTITY')));
});

t.test('a create that fails (no space) removes what it made', async (t) => {
  for (const capacity of [10, 100, 300, 70_000, 300_000, 560_000, 589_000]) {
    const io = new MemoryFileIO();
    io.capacity = capacity;
    await t.rejects(LogStore.open('/x/db', { io, segmentSize: 64 * 1024 }), { code: 'NO_SPACE' }, `capacity ${capacity}: NO_SPACE`);
    t.notOk(io.exists('/x/db'), `capacity ${capacity}: the directory is gone again`);
    t.notOk(io.exists('/x'), `capacity ${capacity}: and the parent it made`);
    io.mkdir('/y');
    await t.rejects(LogStore.open('/y', { io, segmentSize: 64 * 1024 }), { code: 'NO_SPACE' });
    t.same(io.readdir('/y'), [], `capacity ${capacity}: an empty directory is left empty`);
  }
});

t.test('restore makes a store of its own id', async (t) => {
  const dir = await storeWithData();
  const s = await LogStore.open<string>(dir);
  const snap = await s.snapshot();
  const id = s.storeId;
  await s.close();
  const copy = fresh();
  await restore(snap.path, copy);
  const c = await LogStore.open<string>(copy);
  t.match(c.storeId, /^[0-9a-f]{32}$/);
  t.not(c.storeId, id);
  t.equal(c.get('k3'), 'v153');
  await c.close();
  const foreign = fresh();
  fs.mkdirSync(foreign);
  fs.writeFileSync(join(foreign, 'keep.txt'), 'x');
  await t.rejects(restore(snap.path, foreign), { code: 'INVALID_ARGUMENT' });
  t.same(fs.readdirSync(foreign), ['keep.txt']);
});
