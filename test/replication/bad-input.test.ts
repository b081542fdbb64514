// Bad input to the mirror and the follower, against a real (one-node)
// JetStream: a stream holding another store's writes, a damaged message
// (a batch failing its CRC, the second of several too; headers that
// disagree with the payload; a payload that is not whole batches; a
// message of the older one-write format; the parts of a leader batch that
// disagree), a stream that skips a write, a server that is not there, a
// stream that refuses the mirror's messages as too large.
// Each is a typed LogkvError with a stable code, and nothing of the bad
// message is applied: not even its batches before the damaged one.

import path from 'node:path';
import t from 'tap';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { LogStore } from '../../src/log/log-store.js';
import { follow, mirror } from '../../src/replication/index.js';
import { encodeMessages } from '../../src/replication/message.js';
import { natsFixture } from '../support/nats-fixture.js';
import { chain, leaderBatch, messageOf, publishMessages, singles } from '../support/replication-messages.js';

const nats = natsFixture(1, 'logkv-repl-bad-');
const { work } = nats;

const STORE_A = 'a'.repeat(32);

let streams = 0;
/** A new stream holding `messages` as published (after `edit`). */
async function streamOf(messages: Parameters<typeof publishMessages>[2], edit?: Parameters<typeof publishMessages>[3]): Promise<string> {
  const name = `BAD${++streams}`;
  await nats.cluster.createStream(name, `logkv.${name}`, 1);
  await publishMessages(nats.cluster.servers, name, messages, edit);
  return name;
}

let followers = 0;
/** A follower of `stream` from an empty directory, stopped on bad input: its error and the keys it applied. */
async function followUntilStopped(stream: string, leader?: string): Promise<{ code: string | undefined; reason: string | undefined; message: string; keys: string[]; nextOffset: number }> {
  const f = await follow(path.join(work, `follower-${++followers}`), { servers: nats.cluster.servers, stream, ...(leader ? { leader } : {}) });
  try {
    await f.caughtUp().then(
      () => t.fail(`the follower of ${stream} caught up instead of stopping`),
      () => undefined,
    );
    const e = f.error;
    return { code: e?.code, reason: e?.reason, message: e?.message ?? '', keys: [...f.store.keys()].map(String), nextOffset: f.store.nextOffset };
  } finally {
    await f.close();
  }
}

t.test("a stream holding another store's writes: mirror() refuses it, WRONG_LEADER", async (t) => {
  const stream = await streamOf(chain(STORE_A, [0, 1, 2], 2));
  const leader = await LogStore.open(path.join(work, 'leader-other'));
  await leader.put('x', Buffer.from('y'));
  await t.rejects(mirror(leader, { servers: nats.cluster.servers, stream }), { code: 'WRONG_LEADER' });
  await leader.close();
});

t.test("a follower of one store meeting another store's message: WRONG_LEADER, nothing of it applied", async (t) => {
  const stream = await streamOf([...chain(STORE_A, [0, 1, 2], 2), messageOf('b'.repeat(32), singles([3, 4]), 2)]);
  const got = await followUntilStopped(stream);
  t.equal(got.code, 'WRONG_LEADER');
  t.same(got.keys, ['k0', 'k1', 'k2'], "the writes before it are applied, the other store's are not");
  // Pinned to another leader from the start: nothing at all.
  const pinned = await followUntilStopped(stream, 'c'.repeat(32));
  t.equal(pinned.code, 'WRONG_LEADER');
  t.same(pinned.keys, [], 'a follower pinned to another leader applies nothing');
});

t.test('a damaged batch: CORRUPT, nothing of its message applied, not even the batches before it', async (t) => {
  // Two messages of three one-write batches each; one flipped byte in the last value of the second message's second batch.
  const messages = chain(STORE_A, [0, 1, 2, 3, 4, 5], 3);
  const secondBatchEnd = singles([3, 4]).reduce((n, b) => n + b.bytes.length, 0);
  const stream = await streamOf(messages, (i, _h, payload) => {
    if (i === 1) payload[secondBatchEnd - 1]! ^= 0x40;
  });
  const got = await followUntilStopped(stream);
  t.equal(got.code, 'CORRUPT');
  t.equal(got.reason, 'replicated-message');
  t.match(got.message, /batch 2 of it/, `it names the batch: ${got.message}`);
  t.same(got.keys, ['k0', 'k1', 'k2'], 'the message before it is applied; of the damaged one, not even its good first batch');
  t.equal(got.nextOffset, 3);

  // The first batch of a message damaged: the same.
  const first = await streamOf(chain(STORE_A, [0, 1, 2, 3], 2), (i, _h, payload) => {
    if (i === 1) payload[40]! ^= 0x01;
  });
  const g = await followUntilStopped(first);
  t.equal(g.code, 'CORRUPT');
  t.same(g.keys, ['k0', 'k1']);
});

t.test('headers that disagree with the payload, a payload that is not whole batches: CORRUPT, nothing applied', async (t) => {
  const cases: Array<[string, (h: Map<string, string>, payload: Buffer) => Buffer | void]> = [
    ['a timestamp that is not its last batch', (h) => void h.set('Logkv-Timestamp', '5')],
    ['a last offset short of the payload', (h) => void h.set('Logkv-Last-Offset', '1')],
    ['a last offset past the payload', (h) => void h.set('Logkv-Last-Offset', '9')],
    ['a first offset that is not its message id', (h) => void h.set('Logkv-First-Offset', '1')],
    ['a prev not below its first offset', (h) => void h.set('Logkv-Prev', '0')],
    ['no Batch-End', (h) => void h.delete('Logkv-Batch-End')],
    ['zero bytes after its batches', (_h, payload) => Buffer.concat([payload, Buffer.alloc(16)])],
    ['its last batch cut short', (_h, payload) => payload.subarray(0, payload.length - 3)],
    ['garbage after its batches', (_h, payload) => Buffer.concat([payload, Buffer.from('logkv')])],
    ['an empty payload', () => Buffer.alloc(0)],
  ];
  for (const [what, edit] of cases) {
    const stream = await streamOf([messageOf(STORE_A, singles([0, 1, 2]), -1)], (_i, h, payload) => edit(h, payload));
    const got = await followUntilStopped(stream);
    t.equal(got.code, 'CORRUPT', `${what}: CORRUPT (${got.message})`);
    t.same(got.keys, [], `${what}: nothing applied`);
  }
});

t.test('a message of the older one-write format: CORRUPT, saying so', async (t) => {
  const stream = await streamOf([messageOf(STORE_A, singles([0]), -1)], (_i, h) => {
    h.delete('Logkv-First-Offset');
    h.delete('Logkv-Last-Offset');
    h.set('Logkv-Offset', '0');
  });
  const got = await followUntilStopped(stream);
  t.equal(got.code, 'CORRUPT');
  t.match(got.message, /older mirror/);
  t.same(got.keys, []);
});

t.test('the parts of a leader batch sent in several messages: applied once whole; parts that disagree are CORRUPT', async (t) => {
  const writes = Array.from({ length: 30 }, (_, i) => ({ offset: 1 + i, key: `p${i}`, value: 'v'.repeat(100) }));
  const big = leaderBatch(writes);
  const parts = encodeMessages(STORE_A, [big], 0, 1024);
  t.ok(parts.length >= 3, `a batch of ${big.bytes.length} bytes in ${parts.length} messages of at most 1024`);
  t.same(parts.map((m) => m.headers.find(([k]) => k === 'Logkv-Batch-End')![1]), [...parts.slice(1).map(() => '0'), '1'], 'Batch-End 0 on every part but the last');
  const whole = [messageOf(STORE_A, singles([0]), -1), ...parts, messageOf(STORE_A, singles([31]), 30)];
  const good = await streamOf(whole);
  const f = await follow(path.join(work, 'follower-parts'), { servers: nats.cluster.servers, stream: good });
  await f.caughtUp();
  t.equal(f.store.nextOffset, 32);
  t.equal(f.store.count(), 32, 'every write of the batch applied');
  await f.close();

  // The second part, whole and well-formed, is of a batch with another timestamp: not a part of the same leader batch.
  const other = encodeMessages(STORE_A, [leaderBatch(writes, 5)], 0, 1024);
  const lying = await streamOf(whole, (i, h) => {
    if (i !== 2) return;
    h.set('Logkv-Timestamp', '5');
    return other[1]!.payload;
  });
  const got = await followUntilStopped(lying);
  t.equal(got.code, 'CORRUPT');
  t.same(got.keys, ['k0'], 'nothing of the leader batch applied');
});

t.test('a stream that skips a write: OFFSET_GAP, nothing after the gap applied', async (t) => {
  // Offset 2 is missing: the message of 3 and 4 says the one before it ended at 2, the follower has 1.
  const stream = await streamOf([messageOf(STORE_A, singles([0, 1]), -1), messageOf(STORE_A, singles([3, 4]), 2), messageOf(STORE_A, singles([5]), 4)]);
  const got = await followUntilStopped(stream);
  t.equal(got.code, 'OFFSET_GAP');
  t.same(got.keys, ['k0', 'k1']);
  t.equal(got.nextOffset, 2, 'the store ends at the write before the gap');
});

t.test('a server that is not there: UNAVAILABLE within the connect timeout, not a hang', async (t) => {
  const leader = await LogStore.open(path.join(work, 'leader-nowhere'));
  const started = Date.now();
  await t.rejects(mirror(leader, { servers: 'nats://127.0.0.1:1', stream: 'S', connectTimeoutMs: 1000 }), { code: 'UNAVAILABLE' });
  await t.rejects(follow(path.join(work, 'follower-nowhere'), { servers: 'nats://127.0.0.1:1', stream: 'S', connectTimeoutMs: 1000 }), { code: 'UNAVAILABLE' });
  t.ok(Date.now() - started < 10_000, `both refused in ${Date.now() - started} ms`);
  await leader.close();
});

t.test("a stream whose max_msg_size is under the mirror's messages: TOO_LARGE, not a retry loop", async (t) => {
  const stream = 'SMALL';
  const nc = await connect({ servers: nats.cluster.servers });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`logkv.${stream}`], num_replicas: 1, max_msg_size: 256 });
  } finally {
    await nc.close();
  }
  const leader = await LogStore.open(path.join(work, 'leader-small'));
  const retries: unknown[] = [];
  const m = await mirror(leader, { servers: nats.cluster.servers, stream, onRetry: (e) => retries.push(e) });
  try {
    await leader.put('big', Buffer.alloc(1000, 1));
    const started = Date.now();
    await t.rejects(m.caughtUp(), { code: 'TOO_LARGE' });
    t.equal(m.error?.code, 'TOO_LARGE', 'the mirror stopped with the error');
    t.ok(Date.now() - started < 10_000, `given up in ${Date.now() - started} ms`);
    t.same(retries, [], 'no retry');
  } finally {
    await m.close();
    await leader.close();
  }
});
