// Bad input to the mirror and the follower, against a real (one-node)
// JetStream: a stream holding another store's writes, a damaged message,
// a stream that skips a write, a server that is not there. Each is a
// typed LogkvError with a stable code, and nothing of it is applied.

import path from 'node:path';
import t from 'tap';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { LogStore } from '../../src/log/log-store.js';
import { follow, mirror } from '../../src/replication/index.js';
import { encodeMessage } from '../../src/replication/message.js';
import { natsFixture, verifyStore } from '../support/nats-fixture.js';


const nats = natsFixture(1, 'logkv-repl-bad-');
const { work } = nats;

const STORE_A = 'a'.repeat(32);

/** Publishes writes of store `storeId` as a mirror would; `edit` may change a message's headers or payload first. */
async function publish(stream: string, storeId: string, writes: Array<{ offset: number; prev: number; key: string }>, edit?: (i: number, h: Map<string, string>, payload: Buffer) => void): Promise<void> {
  const nc = await connect({ servers: nats.cluster.servers });
  try {
    const js = jetstream(nc);
    for (const [i, w] of writes.entries()) {
      const m = encodeMessage(storeId, { offset: w.offset, key: Buffer.from(w.key), value: Buffer.from(`value ${w.offset}`), tombstone: false, timestamp: 1_700_000_000_000 + w.offset, lastInBatch: true }, w.prev);
      const h = new Map(m.headers);
      edit?.(i, h, m.payload);
      const nh = headers();
      for (const [k, v] of h) nh.set(k, v);
      await js.publish(`logkv.${stream}`, m.payload, { msgID: m.msgID, headers: nh });
    }
  } finally {
    await nc.close();
  }
}

const good = (n: number) => Array.from({ length: n }, (_, i) => ({ offset: i, prev: i - 1, key: `k${i}` }));

t.test("a stream holding another store's writes: mirror() refuses it, WRONG_LEADER", async (t) => {
  await nats.cluster.createStream('OTHER', 'logkv.OTHER', 1);
  await publish('OTHER', STORE_A, good(3));
  const leader = await LogStore.open(path.join(work, 'leader-other'));
  await leader.put('x', Buffer.from('y'));
  await t.rejects(mirror(leader, { servers: nats.cluster.servers, stream: 'OTHER' }), { code: 'WRONG_LEADER' });
  await leader.close();
});

t.test("a follower of one store meeting another store's message: WRONG_LEADER, nothing of it applied", async (t) => {
  await nats.cluster.createStream('MIXED', 'logkv.MIXED', 1);
  await publish('MIXED', STORE_A, good(3));
  await publish('MIXED', 'b'.repeat(32), [{ offset: 3, prev: 2, key: 'k3' }]);
  const f = await follow(path.join(work, 'follower-mixed'), { servers: nats.cluster.servers, stream: 'MIXED' });
  await t.rejects(f.caughtUp(), { code: 'WRONG_LEADER' });
  t.equal(f.error?.code, 'WRONG_LEADER');
  t.same([...f.store.keys()].map(String), ['k0', 'k1', 'k2'], "the writes before it are applied, the other store's is not");
  await f.close();
  // Pinned to another leader from the start: nothing at all.
  const pinned = await follow(path.join(work, 'follower-pinned'), { servers: nats.cluster.servers, stream: 'MIXED', leader: 'c'.repeat(32) });
  await t.rejects(pinned.caughtUp(), { code: 'WRONG_LEADER' });
  t.equal(pinned.store.count(), 0, 'a follower pinned to another leader applies nothing');
  await pinned.close();
});

t.test('a damaged message: CORRUPT, nothing of its batch applied', async (t) => {
  await nats.cluster.createStream('DAMAGED', 'logkv.DAMAGED', 1);
  // Message 2 has one flipped byte in its value: the batch CRC finds it.
  await publish('DAMAGED', STORE_A, good(4), (i, _h, payload) => {
    if (i === 2) payload[payload.length - 1]! ^= 0x40;
  });
  const f = await follow(path.join(work, 'follower-damaged'), { servers: nats.cluster.servers, stream: 'DAMAGED' });
  await t.rejects(f.caughtUp(), { code: 'CORRUPT', reason: 'replicated-message' });
  t.same([...f.store.keys()].map(String), ['k0', 'k1'], 'the writes before it are applied, it and those after are not');
  await f.close();
  // Headers that disagree with the payload are damage too.
  await nats.cluster.createStream('LYING', 'logkv.LYING', 1);
  await publish('LYING', STORE_A, good(1), (_i, h) => h.set('Logkv-Timestamp', '5'));
  const g = await follow(path.join(work, 'follower-lying'), { servers: nats.cluster.servers, stream: 'LYING' });
  await t.rejects(g.caughtUp(), { code: 'CORRUPT' });
  t.equal(g.store.count(), 0, 'nothing applied');
  await g.close();
});

t.test('a stream that skips a write: OFFSET_GAP, nothing after the gap applied', async (t) => {
  await nats.cluster.createStream('GAP', 'logkv.GAP', 1);
  // Offset 2 is missing: the message at 3 says its predecessor is 2, the follower has 1.
  await publish('GAP', STORE_A, [...good(2), { offset: 3, prev: 2, key: 'k3' }, { offset: 4, prev: 3, key: 'k4' }]);
  const f = await follow(path.join(work, 'follower-gap'), { servers: nats.cluster.servers, stream: 'GAP' });
  await t.rejects(f.caughtUp(), { code: 'OFFSET_GAP' });
  t.same([...f.store.keys()].map(String), ['k0', 'k1']);
  t.equal(f.store.nextOffset, 2, 'the store ends at the write before the gap');
  await f.close();
});

t.test('a server that is not there: UNAVAILABLE within the connect timeout, not a hang', async (t) => {
  const leader = await LogStore.open(path.join(work, 'leader-nowhere'));
  const started = Date.now();
  await t.rejects(mirror(leader, { servers: 'nats://127.0.0.1:1', stream: 'S', connectTimeoutMs: 1000 }), { code: 'UNAVAILABLE' });
  await t.rejects(follow(path.join(work, 'follower-nowhere'), { servers: 'nats://127.0.0.1:1', stream: 'S', connectTimeoutMs: 1000 }), { code: 'UNAVAILABLE' });
  t.ok(Date.now() - started < 10_000, `both refused in ${Date.now() - started} ms`);
  await leader.close();
});
