// promote(): a follower's copy becomes a store of its own that goes on at
// the leader's next offset, against a real (one-node) JetStream. Its files
// verify, it reopens as a plain store, and follow() refuses it afterwards
// (it copies no leader any more).

import path from 'node:path';
import t from 'tap';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { follow, mirror } from '../../src/replication/index.js';
import { natsFixture, verifyStore } from '../support/nats-fixture.js';


const storeOptions: LogStoreOptions = { valueEncoding: 'utf8', segmentSize: 64 * 1024, autoCompact: false };
const nats = natsFixture(1, 'logkv-repl-promote-');
const { work } = nats;

t.test('a promoted follower takes writes at the next offset, reopens as a plain store and verifies', async (t) => {
  const opts = { servers: nats.cluster.servers, stream: 'PROMOTE' };
  const leader = await LogStore.open<string>(path.join(work, 'leader'), storeOptions);
  const m = await mirror(leader, opts);
  const dir = path.join(work, 'follower');
  const f = await follow<string>(dir, { ...opts, store: storeOptions });
  for (let i = 0; i < 300; i++) {
    if (i % 7 === 0) await leader.delete(`k${i % 50}`);
    else await leader.put(`k${i % 50}`, `v${i}`);
  }
  await leader.batch([
    { type: 'put', key: 'last-a', value: 'a' },
    { type: 'put', key: 'last-b', value: 'b' },
  ]);
  await m.caughtUp();
  await f.caughtUp();
  const next = leader.nextOffset;
  t.equal(f.store.nextOffset, next, 'the follower is at the leader\'s next offset');
  await t.rejects(f.store.put('x', 'y'), { code: 'READ_ONLY' }, 'before promote: no writes of its own');

  const store = await f.promote();
  t.equal(store, f.store, 'promote() hands back the same store, now writable');
  t.equal(store.follower, false);
  t.equal(store.leader, undefined, 'it follows no leader any more');
  await store.put('own', 'write');
  t.equal(store.nextOffset, next + 1, 'its first write took the offset after the leader\'s last');
  const own: number[] = [];
  for await (const c of store.changes({ from: next - 2, follow: false })) own.push(c.offset);
  t.same(own, [next - 2, next - 1, next], 'the leader\'s offsets, then its own, with no gap');
  t.same([...store.entries()].filter(([k]) => k.toString() !== 'own'), [...leader.entries()], 'it holds what the leader held');
  t.equal(await f.promote(), store, 'a second promote() is a no-op');
  await f.close();
  t.equal(store.get('own'), 'write', 'close() on the handle leaves a promoted store open');
  await store.close();
  await m.close();
  await leader.close();

  const reopened = await LogStore.open<string>(dir, storeOptions);
  t.equal(reopened.get('own'), 'write', 'reopened: its own write is there');
  t.equal(reopened.get('last-b'), 'b', 'and the leader\'s');
  t.equal(reopened.nextOffset, next + 1);
  await reopened.put('after-reopen', 'z');
  t.equal(reopened.nextOffset, next + 2);
  await reopened.close();
  await t.rejects(follow(dir, { ...opts, store: storeOptions }), { code: 'NOT_A_FOLLOWER' }, 'following again is refused: it holds writes of its own');
  verifyStore(t, dir);
});

t.test('promote() on a store that is no follower: NOT_A_FOLLOWER, and nothing changes', async (t) => {
  const s = await LogStore.open<string>(path.join(work, 'plain'), storeOptions);
  await s.put('a', 'b');
  await t.rejects(s.promote(), { code: 'NOT_A_FOLLOWER' });
  t.equal(s.nextOffset, 1);
  await s.close();
});
