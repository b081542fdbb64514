// keys()/entries() in byte order of the keys, with ranges, prefix, reverse
// and limit, against a sorted model; through key directory compactions
// (many deletes) and a reopen.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LogStore } from '../../src/log/log-store.js';

t.test('ordered iteration matches a sorted model', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-order-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let now = 1000;
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', durability: 'none', segmentSize: 1 << 20, now: () => now });
  const model = new Map<string, string>();
  const key = (i: number) => `user:${String(i).padStart(6, '0')}:${'x'.repeat(i % 7)}`;
  await s.batch(Array.from({ length: 12000 }, (_, i) => ({ type: 'put' as const, key: key(i), value: `v${i}` })));
  for (let i = 0; i < 12000; i++) model.set(key(i), `v${i}`);
  await s.batch(Array.from({ length: 9000 }, (_, i) => ({ type: 'del' as const, key: key(i * 4 % 12000) })));
  for (let i = 0; i < 9000; i++) model.delete(key(i * 4 % 12000));
  for (const k of ['a', 'a\u0000', 'ab', 'b', '']) {
    await s.put(k, `val-${k}`);
    model.set(k, `val-${k}`);
  }
  await s.put('zz-expiring', 'soon', { ttlMs: 10 });
  const sorted = () => [...model.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const check = (store: LogStore<string>, label: string) => {
    const all = sorted();
    t.same([...store.keys()].map(String), all, `${label}: every key in order`);
    t.same([...store.keys({ reverse: true })].map(String), [...all].reverse(), `${label}: reverse`);
    t.same([...store.keys({ prefix: 'a' })].map(String), all.filter((k) => k.startsWith('a')), `${label}: prefix`);
    t.same([...store.keys({ gt: 'a', lte: 'b' })].map(String), all.filter((k) => k > 'a' && k <= 'b'), `${label}: gt/lte`);
    t.same([...store.keys({ gte: 'user:000100', lt: 'user:000200', limit: 5 })].map(String), all.filter((k) => k >= 'user:000100' && k < 'user:000200').slice(0, 5), `${label}: limit`);
    t.same([...store.entries({ prefix: 'user:0001' })].map(([k, v]) => [String(k), v]), all.filter((k) => k.startsWith('user:0001')).map((k) => [k, model.get(k)]), `${label}: entries`);
  };
  now += 10;
  check(s, 'live');
  await s.close();
  const r = await LogStore.open<string>(dir, { now: () => now });
  check(r, 'after reopen');
  await r.close();
});
