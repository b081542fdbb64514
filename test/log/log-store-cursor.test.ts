// The pieces abstract-level needs from the LogStore: cursor() (a live range
// position with seek), clear() of a range that spares writes made after it,
// and exists() (for createIfMissing / errorIfExists).

import t from 'tap';
import { LogStore } from '../../src/log/log-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const open = (io: MemoryFileIO, now: () => number = Date.now) =>
  LogStore.open<string>('/db', { io, valueEncoding: 'utf8', durability: 'none', segmentSize: 64 * 1024, now });

const drain = (c: { nextKey(): Buffer | undefined }) => {
  const out: string[] = [];
  for (let k = c.nextKey(); k !== undefined; k = c.nextKey()) out.push(String(k));
  return out;
};

t.test('cursor: ranges, reverse and limit like keys(); entries and values', async (t) => {
  const s = await open(new MemoryFileIO());
  await s.batch(['a', 'b', 'c', 'd', 'e'].map((k) => ({ type: 'put' as const, key: k, value: k.toUpperCase() })));
  t.same(drain(s.cursor()), ['a', 'b', 'c', 'd', 'e']);
  t.same(drain(s.cursor({ gt: 'a', lte: 'd' })), ['b', 'c', 'd']);
  t.same(drain(s.cursor({ gte: 'b', lt: 'e', reverse: true })), ['d', 'c', 'b']);
  t.same(drain(s.cursor({ reverse: true, limit: 2 })), ['e', 'd']);
  t.same(drain(s.cursor({ limit: 0 })), []);
  const c = s.cursor({ gte: 'd' });
  t.same(c.next(), [Buffer.from('d'), 'D']);
  t.equal(c.nextValue(), 'E');
  t.equal(c.nextValue(), undefined, 'end of range');
  t.equal(c.next(), undefined, 'stays at the end');
  await s.close();
});

t.test('cursor: seek within the range, forward and reverse; the limit keeps counting', async (t) => {
  const s = await open(new MemoryFileIO());
  await s.batch(['a', 'c', 'e', 'g'].map((k) => ({ type: 'put' as const, key: k, value: k })));
  const f = s.cursor();
  t.equal(String(f.nextKey()), 'a');
  f.seek('d');
  t.same(drain(f), ['e', 'g'], 'forward: first key at or after the target');
  f.seek('a');
  t.equal(String(f.nextKey()), 'a', 'seek back after the end');
  const r = s.cursor({ reverse: true });
  r.seek('d');
  t.same(drain(r), ['c', 'a'], 'reverse: first key at or before the target');
  const bounded = s.cursor({ gte: 'c', lte: 'e' });
  bounded.seek('a');
  t.same(drain(bounded), ['c', 'e'], 'a target before the range starts at the range');
  const limited = s.cursor({ limit: 2 });
  t.equal(String(limited.nextKey()), 'a');
  limited.seek('e');
  t.same(drain(limited), ['e'], 'one left of the limit');
  const closed = s.cursor();
  closed.close();
  t.equal(closed.nextKey(), undefined, 'a closed cursor returns nothing');
  await s.close();
  const late = s;
  t.throws(() => late.cursor(), { code: 'CLOSED' });
});

t.test('cursor: live, so a key deleted ahead of it is not returned, one put ahead is; expired keys are skipped', async (t) => {
  let now = 1000;
  const s = await open(new MemoryFileIO(), () => now);
  await s.batch(['a', 'b', 'c'].map((k) => ({ type: 'put' as const, key: k, value: k })));
  await s.put('bb', 'x', { ttlMs: 5 });
  const c = s.cursor();
  t.equal(String(c.nextKey()), 'a');
  await s.delete('b');
  await s.put('d', 'd');
  now += 10;
  t.same(drain(c), ['c', 'd']);
  const open2 = s.cursor();
  await s.close();
  t.throws(() => open2.nextKey(), { code: 'CLOSED' }, 'a step after close is refused');
});

t.test('clear: a range, reverse with limit, everything; resolves with the count', async (t) => {
  const s = await open(new MemoryFileIO());
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
  await s.batch(keys.map((k) => ({ type: 'put' as const, key: k, value: k })));
  t.equal(await s.clear({ gt: 'a', lt: 'd' }), 2);
  t.same([...s.keys()].map(String), ['a', 'd', 'e', 'f']);
  t.equal(await s.clear({ reverse: true, limit: 2 }), 2, 'the last two');
  t.same([...s.keys()].map(String), ['a', 'd']);
  t.equal(await s.clear({ prefix: 'zz' }), 0, 'nothing in range');
  t.equal(await s.clear(), 2);
  t.equal(s.count(), 0);
  await s.close();
});

t.test('clear: writes called after it are kept, also between its batches; its deletes survive a crash after flush', async (t) => {
  const io = new MemoryFileIO();
  const s = await open(io);
  const n = 15_000; // two batches of deletes
  const key = (i: number) => `k${String(i).padStart(6, '0')}`;
  await s.batch(Array.from({ length: n }, (_, i) => ({ type: 'put' as const, key: key(i), value: 'old' })));
  const syncsBefore = io.stats.syncs;
  const cleared = s.clear();
  // Queued behind the clear's first batch: a put ahead of where it will be, one behind, and a new key.
  const after = [s.put(key(12_000), 'new'), s.put(key(10), 'new'), s.put('k1-new', 'new')];
  // key(10) was deleted by the first batch and put again after it; key(12_000) was put before the second reached it.
  t.equal(await cleared, n - 1, 'every old key but the one rewritten ahead of the clear');
  await Promise.all(after);
  t.same([...s.entries()].map(([k, v]) => `${String(k)}=${v}`), [`${key(10)}=new`, `${key(12_000)}=new`, 'k1-new=new']);
  await s.flush();
  t.ok(io.stats.syncs > syncsBefore);
  const again = await open(io.crash());
  t.same([...again.keys()].map(String), [key(10), key(12_000), 'k1-new'], 'the same after a crash');
  await again.close();
  await s.close();
});

t.test('exists: a store is its manifest or a segment; an empty or missing directory is none', async (t) => {
  const io = new MemoryFileIO();
  t.equal(LogStore.exists('/db', io), false, 'missing directory');
  io.mkdir('/db');
  t.equal(LogStore.exists('/db', io), false, 'empty directory');
  t.equal(io.exists('/db/LOCK'), false);
  const s = await open(io);
  await s.close();
  t.equal(LogStore.exists('/db', io), true);
  t.equal(LogStore.exists('/other', io), false);
});
