// Group commit's fdatasyncs on the store's own thread (sync-thread.ts,
// native/sync-thread.c): syncs settle, in order; a failing fdatasync comes
// back in Node's error shape, which the log's failure path types; the
// thread asks for its short slice; it never keeps the process alive and
// ends with the store; without the addon the store syncs as before.

import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { LogStore } from '../../src/log/log-store.js';
import { openSyncThread, syncThreadAvailable } from '../../src/io/sync-thread.js';

const available = syncThreadAvailable();
const skip = available.available ? false : `the sync-thread addon is not loaded: ${available.reason}`;

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-sync-thread-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Names of this process's threads (Linux). */
function threadNames(): string[] {
  return readdirSync('/proc/self/task').map((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {
      return '';
    }
  });
}

t.test('syncs settle in the order they were asked for, and the thread asked for its slice', { skip }, async (t) => {
  const thread = openSyncThread()!;
  t.teardown(() => thread.close());
  const fd = openSync(join(tempDir(t), 'f'), 'w+');
  t.teardown(() => closeSync(fd));
  const settled: number[] = [];
  const all = Array.from({ length: 50 }, (_, i) => {
    writeSync(fd, Buffer.alloc(512, i), 0, 512, i * 512);
    return thread.fdatasync(fd).then(() => settled.push(i));
  });
  await Promise.all(all);
  t.same(settled, Array.from({ length: 50 }, (_, i) => i));
  // 0 where the kernel honours sched_runtime for normal threads; an errno where it refuses; never "not asked" after a sync.
  t.not(thread.sliceError(), -1);
  t.ok(threadNames().includes('logkv-sync'), 'the thread is named for ps and perf');
});

t.test('a failing fdatasync rejects in the shape of Node\'s own errors', { skip }, async (t) => {
  const thread = openSyncThread()!;
  t.teardown(() => thread.close());
  // A character device cannot be synced: EINVAL, as fs.fdatasync reports it.
  const fd = openSync('/dev/null', 'r');
  t.teardown(() => closeSync(fd));
  const error = await thread.fdatasync(fd).then(
    () => undefined,
    (e: unknown) => e as NodeJS.ErrnoException,
  );
  t.ok(error instanceof Error);
  t.equal(error?.code, 'EINVAL');
  t.equal(error?.errno, -22);
  t.equal(error?.syscall, 'fdatasync');
});

t.test('close() waits for the queued syncs and refuses new ones; a second close is harmless', { skip }, async (t) => {
  const thread = openSyncThread()!;
  const fd = openSync(join(tempDir(t), 'f'), 'w+');
  t.teardown(() => closeSync(fd));
  writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 0);
  const queued = [thread.fdatasync(fd), thread.fdatasync(fd)];
  thread.close();
  thread.close();
  await t.resolves(Promise.all(queued));
  t.throws(() => thread.fdatasync(fd), /closed/);
});

t.test('an idle thread, never closed, does not keep the process alive', { skip }, (t) => {
  const module = fileURLToPath(new URL('../../src/io/sync-thread.ts', import.meta.url));
  const script = `import { openSyncThread } from ${JSON.stringify(module)};
import { openSync, writeSync } from 'node:fs';
const thread = openSyncThread();
const fd = openSync(${JSON.stringify(join(tempDir(t), 'f'))}, 'w+');
writeSync(fd, Buffer.alloc(10));
await thread.fdatasync(fd);
console.log('synced');`;
  const child = spawnSync(process.execPath, ['--import=@tapjs/typescript/import', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  t.equal(child.signal, null, 'exited by itself, not killed at the timeout');
  t.equal(child.status, 0, child.stderr);
  t.match(child.stdout, /synced/);
  t.end();
});

t.test('a store syncs on a thread of its own, which ends with the store', { skip }, async (t) => {
  const dir = tempDir(t);
  const before = threadNames().filter((n) => n === 'logkv-sync').length;
  const store = await LogStore.open(dir);
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.put(`k${i}`, Buffer.from(`v${i}`))));
  t.equal(threadNames().filter((n) => n === 'logkv-sync').length, before + 1, 'one thread for the store');
  await store.close();
  t.equal(threadNames().filter((n) => n === 'logkv-sync').length, before, 'joined at close');
  const reopened = await LogStore.open(dir);
  t.same(reopened.get('k7'), Buffer.from('v7'));
  await reopened.close();
});

t.test('syncOnMainThread makes no thread', { skip }, async (t) => {
  const before = threadNames().filter((n) => n === 'logkv-sync').length;
  const store = await LogStore.open(tempDir(t), { syncOnMainThread: true });
  await store.put('k', Buffer.from('v'));
  t.equal(threadNames().filter((n) => n === 'logkv-sync').length, before);
  await store.close();
});

t.test('without the addon (LOGKV_SYNC_THREAD=0) a store syncs in libuv\'s pool, and its writes are durable as before', async (t) => {
  const dir = tempDir(t);
  const module = fileURLToPath(new URL('../../src/log/log-store.ts', import.meta.url));
  const script = `import { LogStore } from ${JSON.stringify(module)};
import { readdirSync, readFileSync } from 'node:fs';
const names = () => readdirSync('/proc/self/task').map((t) => readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim());
const store = await LogStore.open(${JSON.stringify(dir)});
await store.put('k', Buffer.from('v'));
console.log(names().includes('logkv-sync') ? 'thread' : 'pool');
await store.close();`;
  const child = spawnSync(process.execPath, ['--import=@tapjs/typescript/import', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, LOGKV_SYNC_THREAD: '0' },
  });
  t.equal(child.status, 0, child.stderr);
  t.match(child.stdout, /^pool$/m);
  const reopened = await LogStore.open(dir);
  t.same(reopened.get('k'), Buffer.from('v'));
  await reopened.close();
});
