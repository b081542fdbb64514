// Durability modes and the store lock, seen from outside: what survives a
// crash under 'interval' and 'none', what flush() promises, and a second
// process meeting the lock of a live one and of a killed one.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import t from 'tap';
import { LogStore } from '../../src/log/log-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const code = (c: string) => ({ name: 'LogkvError', code: c });

t.test("'interval': a put resolves before any fsync; flush() makes it durable", async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', durability: 'interval', syncIntervalMs: 60_000 });
  const before = s.syncCount;
  await s.put('a', '1');
  t.equal(s.syncCount, before, 'no fsync on the write path');
  const lost = await LogStore.open<string>('/db', { io: io.crash() });
  t.equal(lost.get('a'), undefined, 'unsynced: a crash that drops unsynced bytes loses it');
  await lost.close();
  await s.flush();
  t.equal(s.syncCount, before + 1, 'flush is one fsync');
  const kept = await LogStore.open<string>('/db', { io: io.crash() });
  t.equal(kept.get('a'), '1', 'flushed: it survives');
  await kept.close();
  await s.close();
});

t.test("'interval': the timer fsyncs by itself within the interval", async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', durability: 'interval', syncIntervalMs: 20 });
  await s.put('a', '1');
  const deadline = Date.now() + 30_000;
  while (s.syncCount === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  t.ok(s.syncCount >= 1, `the timer synced (${s.syncCount})`);
  const kept = await LogStore.open<string>('/db', { io: io.crash() });
  t.equal(kept.get('a'), '1');
  await kept.close();
  await s.close();
});

t.test("'none': nothing is synced until flush or close; 'sync': every put is", async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', durability: 'none' });
  for (let i = 0; i < 10; i++) await s.put(`k${i}`, 'v');
  t.equal(s.syncCount, 0);
  await s.close();
  const survivor = io.crash();
  const after = await LogStore.open<string>('/db', { io: survivor, valueEncoding: 'utf8' });
  t.equal(after.count(), 10, 'a clean close syncs');
  for (let i = 0; i < 5; i++) await after.put(`s${i}`, 'v');
  t.equal(after.syncCount, 5, 'sequential durable puts: one fsync each');
  const crashed = await LogStore.open<string>('/db', { io: survivor.crash() });
  t.equal(crashed.count(), 15);
  await crashed.close();
});

t.test("'none': what an open after a kill serves, a power loss after it keeps", async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { io, valueEncoding: 'utf8', durability: 'none' });
  await s.put('a', '1');
  // The process is killed: the next process sees the same files, page cache and all.
  // (A file system object of its own: the lock table of this process is kept per file system.)
  const nextProcess = new Proxy(io, {
    get: (target, p) => {
      const v: unknown = Reflect.get(target, p);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const reopened = await LogStore.open<string>('/db', { io: nextProcess, valueEncoding: 'utf8', durability: 'none' });
  t.equal(reopened.get('a'), '1', 'the reopen serves the unsynced put');
  const afterPowerLoss = await LogStore.open<string>('/db', { io: io.crash(), valueEncoding: 'utf8' });
  t.equal(afterPowerLoss.get('a'), '1', 'a value a get returned is not taken back by a power loss');
  await afterPowerLoss.close();
  await reopened.close();
});

// A child process that opens the store from the built package and reports it.
function holder(dir: string) {
  const entry = resolve('dist/src/index.js');
  const code = `import(${JSON.stringify(entry)}).then(async (m) => { await m.open(${JSON.stringify(dir)}); process.stdout.write('open\\n'); setInterval(() => {}, 1000); });`;
  return spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

t.test('a second process gets LOCKED while the first lives; a killed holder does not block', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const child = holder(dir);
  t.teardown(() => child.kill('SIGKILL'));
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  t.equal(line.toString(), 'open\n', 'the child holds the store');
  await t.rejects(LogStore.open(dir), { ...code('LOCKED'), message: new RegExp(`held by process ${child.pid}`) });
  child.kill('SIGKILL');
  await once(child, 'exit');
  const s = await LogStore.open(dir);
  t.equal(s.openReport.keys, 0, 'the lock of a killed process is taken over');
  await s.close();
});
