// syncOnMainThread: the store's fdatasyncs run as fs.fdatasyncSync on the
// calling thread, on the real file system, with group commit unchanged.
// Without it they never do (test/log/sync-thread.test.ts: where they run).
// fs's own functions are wrapped (and the ESM bindings re-synced) to count
// which kind of sync each durable write paid for.

import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { syncThreadAvailable } from '../../src/io/sync-thread.js';
import { LogStore } from '../../src/log/log-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const calls = { inline: 0, pool: 0 };
const realSync = fs.fdatasyncSync;
const realAsync = fs.fdatasync;
fs.fdatasyncSync = (fd) => {
  calls.inline++;
  realSync(fd);
};
fs.fdatasync = ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
  calls.pool++;
  realAsync(fd, cb);
}) as typeof fs.fdatasync;
syncBuiltinESMExports();
t.teardown(() => {
  fs.fdatasyncSync = realSync;
  fs.fdatasync = realAsync;
  syncBuiltinESMExports();
});

const code = (c: string) => ({ name: 'LogkvError', code: c });

function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(join(tmpdir(), 'logkv-inline-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('each durable put pays one fdatasyncSync and no thread-pool sync; the data is there after reopen', async (t) => {
  const dir = tempDir(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', syncOnMainThread: true });
  const before = { ...calls };
  for (let i = 0; i < 20; i++) await s.put(`k${i}`, `v${i}`);
  t.equal(calls.inline - before.inline, 20, 'one inline sync a put');
  t.equal(calls.pool - before.pool, 0, 'none through the thread pool');
  t.equal(s.syncCount, 20);
  await s.close();
  const again = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  t.equal(again.count(), 20);
  t.equal(again.get('k19'), 'v19');
  await again.close();
});

t.test('concurrent puts still share a sync (group commit)', async (t) => {
  const dir = tempDir(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', syncOnMainThread: true });
  const before = calls.inline;
  await Promise.all(Array.from({ length: 200 }, (_, i) => s.put(`c${i}`, 'v')));
  const syncs = calls.inline - before;
  t.ok(syncs >= 1 && syncs <= 10, `200 concurrent puts took ${syncs} syncs`);
  t.equal(s.count(), 200);
  await s.close();
});

t.test('the default syncs off the JavaScript thread: on the store\'s own sync thread, or in the thread pool without the addon', async (t) => {
  const dir = tempDir(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8' });
  const before = { ...calls };
  await s.put('a', '1');
  t.equal(calls.pool - before.pool, syncThreadAvailable().available ? 0 : 1);
  t.equal(calls.inline - before.inline, 0);
  await s.close();
});

t.test('bad values and the clash with io are INVALID_ARGUMENT, and nothing is created', async (t) => {
  const dir = join(tempDir(t), 'never');
  await t.rejects(LogStore.open(dir, { syncOnMainThread: 'yes' as unknown as boolean }), code('INVALID_ARGUMENT'));
  await t.rejects(LogStore.open(dir, { syncOnMainThread: true, io: new MemoryFileIO() }), code('INVALID_ARGUMENT'));
  t.notOk(fs.existsSync(dir), 'the directory was not made');
});
