// LogLevel beyond what abstract-level's suite asks: a sublevel and
// level-read-stream over a store closed and reopened, what `sync: true`
// means under each durability mode (through a file system that crashes),
// errors under abstract-level's codes, and the directory as a LogStore.

import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryStream, KeyStream } from 'level-read-stream';
import t, { type Test } from 'tap';
import { LogLevel } from '../../src/level/log-level.js';
import { LogStore } from '../../src/log/log-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const tempDir = (t: Test) => {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-level-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

interface User {
  name: string;
}

t.test('a sublevel and an EntryStream over a store that was closed and reopened', async (t) => {
  const dir = tempDir(t);
  const db = new LogLevel(dir, { segmentSize: 4096 });
  const users = db.sublevel<string, User>('users', { valueEncoding: 'json' });
  await users.batch([
    { type: 'put', key: '1', value: { name: 'Ada' } },
    { type: 'put', key: '2', value: { name: 'Grace' } },
    { type: 'put', key: '3', value: { name: 'Edsger' } },
  ]);
  await db.put('zz-outside', 'x');
  // Enough to roll several 4 KiB segments, so the reopen reads hints and a scanned tail.
  await db.batch(Array.from({ length: 300 }, (_, i) => ({ type: 'put' as const, key: `log:${String(i).padStart(3, '0')}`, value: 'v'.repeat(40) })));
  await db.close();
  t.ok(readdirSync(dir).filter((f) => f.endsWith('.log')).length > 1, 'several segments on disk');

  // The same instance, reopened. Closing the parent closed the sublevel too (abstract-level): reopen it.
  await db.open();
  t.equal(users.status, 'closed');
  await users.open();
  t.same(await collect(new EntryStream(users, { gte: '2' })), [
    { key: '2', value: { name: 'Grace' } },
    { key: '3', value: { name: 'Edsger' } },
  ]);
  await db.close();

  // A new instance on the directory: deferred open, the stream starts before it is open.
  const again = new LogLevel(dir);
  const users2 = again.sublevel<string, User>('users', { valueEncoding: 'json' });
  t.same(await collect(new EntryStream(users2, { reverse: true, limit: 2 })), [
    { key: '3', value: { name: 'Edsger' } },
    { key: '2', value: { name: 'Grace' } },
  ]);
  t.same(await collect(new KeyStream(users2)), ['1', '2', '3'], 'only the sublevel, without its prefix');
  t.same(await again.keys({ lt: 'log:002' }).all(), ['!users!1', '!users!2', '!users!3', 'log:000', 'log:001'], 'the root sees prefixed keys');
  t.equal((await again.keys({ gte: 'log:', lt: 'log;' }).all()).length, 300);
  t.equal(again.openReport?.keys, 304, 'the open report is there');
  await users2.del('2');
  t.same(await users2.keys().all(), ['1', '3']);
  await again.close();
});

t.test("durability 'none': a write resolves unsynced; with sync: true it is durable on resolve", async (t) => {
  const io = new MemoryFileIO();
  const db = new LogLevel('/db', { io, durability: 'none' });
  await db.open();
  const reopen = async (label: string) => {
    const after = new LogLevel('/db', { io: io.crash() });
    const keys = await after.keys().all();
    await after.close();
    t.pass(label);
    return keys;
  };
  let syncs = io.stats.syncs;
  await db.put('a', '1');
  t.equal(io.stats.syncs, syncs, 'no fsync for a plain put');
  t.same(await reopen('crash after a plain put'), [], 'lost in a crash');

  await db.put('b', '2', { sync: true });
  t.equal(io.stats.syncs, syncs + 1, 'one fsync for a sync put');
  t.same(await reopen('crash after a sync put'), ['a', 'b'], 'it survives, with what came before');

  syncs = io.stats.syncs;
  await db.batch([{ type: 'put', key: 'c', value: '3' }, { type: 'del', key: 'a' }], { sync: true });
  await db.batch().put('d', '4').del('b').write({ sync: true });
  await db.del('c', { sync: true });
  t.equal(io.stats.syncs, syncs + 3, 'array batch, chained batch and del: one fsync each');
  t.same(await reopen('crash after sync batches and del'), ['d']);
  await db.close();
});

t.test("durability 'sync' (the default): every write is durable on resolve, concurrent ones share fsyncs", async (t) => {
  const io = new MemoryFileIO();
  const db = new LogLevel('/db', { io });
  await db.open();
  let syncs = io.stats.syncs;
  for (let i = 0; i < 5; i++) await db.put(`k${i}`, 'v');
  t.equal(io.stats.syncs, syncs + 5, 'sequential puts: one fsync each');
  syncs = io.stats.syncs;
  await Promise.all(Array.from({ length: 100 }, (_, i) => db.put(`c${String(i).padStart(3, '0')}`, 'v')));
  const shared = io.stats.syncs - syncs;
  t.ok(shared <= 2, `100 concurrent puts: ${shared} fsyncs (group commit)`);
  const after = new LogLevel('/db', { io: io.crash() });
  t.equal((await after.keys().all()).length, 105, 'all of them survive a crash');
  await after.close();
  await db.close();
});

t.test("durability 'interval': sync: true does not wait for the timer", async (t) => {
  const io = new MemoryFileIO();
  const db = new LogLevel('/db', { io, durability: 'interval', syncIntervalMs: 60_000 });
  await db.open();
  await db.put('a', '1', { sync: true });
  const after = new LogLevel('/db', { io: io.crash() });
  t.equal(await after.get('a'), '1');
  await after.close();
  await db.close();
});

t.test('getSync is real: a synchronous read of the key directory and the log', async (t) => {
  const db = new LogLevel('/db', { io: new MemoryFileIO(), valueEncoding: 'json' });
  await db.open();
  await db.put('a', { n: 1 } as unknown as string);
  t.same(db.getSync('a'), { n: 1 });
  t.equal(db.getSync('missing'), undefined);
  await db.close();
  t.throws(() => db.getSync('a'), { code: 'LEVEL_DATABASE_NOT_OPEN' });
});

t.test("errors: a second open is LEVEL_LOCKED; createIfMissing: false creates nothing", async (t) => {
  const dir = tempDir(t);
  const db = new LogLevel(join(dir, 'a'));
  await db.open();
  const second = new LogLevel(join(dir, 'a'));
  await t.rejects(second.open(), { code: 'LEVEL_DATABASE_NOT_OPEN', cause: { code: 'LEVEL_LOCKED', cause: { name: 'LogkvError', code: 'LOCKED' } } });
  await db.close();
  await second.open();
  await second.close();

  const missing = join(dir, 'missing');
  const none = new LogLevel(missing, { createIfMissing: false });
  await t.rejects(none.open(), { code: 'LEVEL_DATABASE_NOT_OPEN', cause: { code: 'INVALID_ARGUMENT', message: /does not exist/ } });
  t.equal(existsSync(missing), false, 'no directory was made');
  const exists = new LogLevel(join(dir, 'a'), { errorIfExists: true });
  await t.rejects(exists.open(), { code: 'LEVEL_DATABASE_NOT_OPEN', cause: { message: /exists \(errorIfExists is true\)/ } });
});

t.test('errors: damage after open is LEVEL_CORRUPTION on get and in an iterator', async (t) => {
  const io = new MemoryFileIO();
  const db = new LogLevel('/db', { io });
  await db.put('a', 'first value');
  const segment = `/db/${io.readdir('/db').find((f) => f.endsWith('.log'))!}`;
  const bytes = io.readFile(segment);
  bytes[bytes.indexOf('first value')]! ^= 0x01;
  io.setFile(segment, bytes);
  await t.rejects(db.get('a'), { code: 'LEVEL_CORRUPTION', cause: { name: 'LogkvError', code: 'CORRUPT', reason: 'record-crc' } });
  await t.rejects(db.iterator().all(), { code: 'LEVEL_CORRUPTION' });
  t.same(await db.keys().all(), ['a'], 'keys alone come from memory');
  await db.close();
});

t.test('the directory is a LogStore with binary values', async (t) => {
  const dir = tempDir(t);
  const db = new LogLevel<string, unknown>(dir, { valueEncoding: 'json' });
  await db.put('k', { x: 1 });
  await db.close();
  const store = await LogStore.open<Uint8Array>(dir);
  t.equal(store.valueEncoding, 'binary');
  t.same([...store.entries()].map(([k, v]) => [String(k), Buffer.from(v).toString()]), [['k', '{"x":1}']]);
  await store.close();
});

t.test("the package exports LogLevel from 'logkv' and 'logkv/level' (the built dist)", async (t) => {
  const root = await import('logkv');
  const level = await import('logkv/level');
  t.equal(root.LogLevel, level.LogLevel, 'one class');
  t.equal(typeof level.LogLevel, 'function');
  const db = new level.LogLevel('/db', { io: new MemoryFileIO() });
  t.equal(db.supports.implicitSnapshots, false);
  t.equal((db.supports as { getSync?: boolean }).getSync, true, 'level-supports types predate getSync');
  await db.close();
});
