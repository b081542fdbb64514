// A leader's writes reach a follower through an R3 JetStream stream on a
// real 3-node cluster, while a NATS node is killed, the mirror is restarted
// (closed and made again; and its process SIGKILLed) and the follower is
// restarted: in every case the follower ends holding exactly the leader's
// acknowledged writes, at the same offsets and timestamps, in order, each
// once, and answers gets and ranges as the leader does; kvtool verify
// passes on its directory; the stream holds each write once, in offset
// order, in messages that each name the last offset of the one before.
// The first test's mirror sends messages of at most 4 KiB, so its larger
// leader batches go in parts across the node's death and the restart.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { follow, type Follower, mirror, type Mirror } from '../../src/replication/index.js';
import { decodeMessage } from '../../src/replication/message.js';
import { natsFixture, verifyStore } from '../support/nats-fixture.js';

const LEADER_PROCESS = fileURLToPath(new URL('../support/mirrored-leader-process.mjs', import.meta.url));

// No cleaner: the follower's log is compared with the leader's write for write (a cleaned leader: the last test).
const storeOptions: LogStoreOptions = { valueEncoding: 'utf8', segmentSize: 64 * 1024, autoCompact: false };

const nats = natsFixture(3, 'logkv-repl-');
const { work } = nats;

/** Every write of the log, as its change feed gives it. */
async function history(s: LogStore<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of s.storedChanges({ follow: false })) out.push(`${c.offset} ${c.timestamp} ${c.tombstone ? 'del' : 'put'} ${c.key.toString()} ${c.value?.toString() ?? ''} ${c.expireAt ?? ''}`);
  return out;
}

/** The offsets of the records the stream's messages carry, in stream order, each message checked whole and against the one before it. */
async function streamOffsets(t: Test, stream: string): Promise<number[]> {
  const nc = await connect({ servers: nats.cluster.servers });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    const info = await jsm.streams.info(stream);
    const out: number[] = [];
    const chained: string[] = [];
    let prev = -1;
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      const msg = decodeMessage({ seq, header: (n) => m!.header.get(n), data: m!.data }, stream);
      if (msg.prev !== prev) chained.push(`message ${seq} follows ${msg.prev}, the one before it ended at ${prev}`);
      prev = msg.last;
      for (const b of msg.batches) out.push(...b.records.map((r) => r.offset));
    }
    t.same(chained, [], `each of the ${info.state.messages} messages names the last offset of the one before it`);
    return out;
  } finally {
    await nc.close();
  }
}

/** The follower holds exactly what the leader holds: writes, offsets, timestamps, gets and ranges; its files verify. */
async function checkCopy(t: Test, leader: LogStore<string>, follower: LogStore<string>, stream: string, keys: Iterable<string>): Promise<void> {
  const want = await history(leader);
  const got = await history(follower);
  t.equal(got.length, want.length, `the follower holds ${got.length} writes, the leader ${want.length}`);
  t.same(got, want, 'the same writes at the same offsets and timestamps, in order');
  t.same([...follower.entries()], [...leader.entries()], 'the same entries');
  const differ = [...keys].filter((k) => follower.get(k) !== leader.get(k));
  t.same(differ, [], 'every key ever written gets the same answer');
  const range = { gte: 'k1', lt: 'k3', reverse: true, limit: 50 };
  t.same([...follower.keys(range)], [...leader.keys(range)], 'a range answers alike');
  const offsets = await streamOffsets(t, stream);
  t.ok(
    offsets.every((o, i) => i === 0 || o > offsets[i - 1]!),
    'the stream holds each write once, in offset order',
  );
  t.same(offsets, want.map((line) => Number(line.split(' ')[0])), 'and exactly the writes of the leader');
}


t.test('writes reach the follower through an R3 stream while a node dies, the mirror restarts and the follower restarts', async (t) => {
  await nats.cluster.createStream('ONE', 'logkv.ONE', 3);
  const opts = { servers: nats.cluster.servers, stream: 'ONE', requestTimeoutMs: 2000 };
  const leader = await LogStore.open<string>(path.join(work, 'leader'), storeOptions);
  let retries = 0;
  const onRetry = () => void retries++;
  let m: Mirror = await mirror(leader, { ...opts, maxInFlight: 64, maxMessageBytes: 4096, onRetry });
  let f: Follower<string> = await follow<string>(path.join(work, 'follower'), { ...opts, store: storeOptions });
  const keys = new Set<string>();
  const rounds = 60;
  let killed = -1;
  for (let round = 0; round < rounds; round++) {
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 40; i++) {
      const n = round * 40 + i;
      const key = `k${(n * 7919) % 400}`;
      keys.add(key);
      if (n % 10 === 3) writes.push(leader.delete(key));
      else if (n % 10 === 5) {
        keys.add(`b${n}`);
        writes.push(leader.batch([{ type: 'put', key, value: `batch ${n}` }, { type: 'put', key: `b${n}`, value: 'x'.repeat(n % 300) }, { type: 'del', key: `k${n % 400}` }]));
      } else if (n % 97 === 7) {
        // A batch larger than a message (maxMessageBytes below): sent in parts, applied whole.
        const big = Array.from({ length: 40 }, (_, j) => ({ type: 'put' as const, key: `big${n}-${j}`, value: `${n}`.repeat(60) }));
        for (const op of big) keys.add(op.key);
        writes.push(leader.batch(big));
      } else writes.push(leader.put(key, `value ${n}`, n % 17 === 0 ? { expireAt: 4_000_000_000_000 } : {}));
    }
    await Promise.all(writes);
    if (round === 15) {
      // The node leading the stream: its publishes in flight fail, and a new leader takes over.
      killed = await nats.cluster.leaderOf('ONE');
      nats.cluster.kill(killed);
    }
    if (round === 25) {
      await m.close();
      m = await mirror(leader, { ...opts, maxInFlight: 64, maxMessageBytes: 4096, onRetry });
    }
    if (round === 35) {
      await f.close();
      f = await follow<string>(path.join(work, 'follower'), { ...opts, store: storeOptions });
    }
    if (round === 45) await nats.cluster.restart(killed);
  }
  t.ok(m.lag.offsets >= 0 && m.lag.ms >= 0, `mirror lag while running: ${JSON.stringify(m.lag)}`);
  t.comment(`the mirror retried ${retries} times after the stream's leader (node ${killed}) was killed`);
  await m.caughtUp();
  t.same(m.lag, { offsets: 0, ms: 0 }, 'no lag once caught up');
  await f.caughtUp();
  t.equal(f.lag.offsets, 0, 'the follower: no lag once caught up');
  t.equal(m.error, undefined);
  t.equal(f.error, undefined);
  await checkCopy(t, leader, f.store, 'ONE', keys);
  t.equal(f.store.leader, leader.storeId, 'the follower recorded its leader');
  await t.rejects(f.store.put('own', 'write'), { code: 'READ_ONLY' }, 'the follower takes no writes of its own');
  await m.close();
  await f.close();
  await leader.close();
  verifyStore(t, path.join(work, 'follower'));
  verifyStore(t, path.join(work, 'leader'));
});

t.test('the mirror process SIGKILLed mid-run and started again: no gap, no duplicate', async (t) => {
  await nats.cluster.createStream('TWO', 'logkv.TWO', 3);
  const opts = { servers: nats.cluster.servers, stream: 'TWO', requestTimeoutMs: 2000 };
  const dir = path.join(work, 'leader2');
  const f = await follow<string>(path.join(work, 'follower2'), { ...opts, store: storeOptions });
  // A process that opens the store, mirrors it and writes, saying each acknowledged write; killed half-way.
  const child = spawn(process.execPath, [LEADER_PROCESS, dir, nats.cluster.servers.join(','), 'TWO', '4000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let acknowledged = 0;
  let errors = '';
  child.stderr!.on('data', (d: Buffer) => (errors += d.toString()));
  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('ack ')) acknowledged = Math.max(acknowledged, Number(line.slice(4)) + 1);
      if (acknowledged >= 1500) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => (acknowledged >= 1500 ? resolve() : reject(new Error(`the leader process ended early: ${errors}`))));
  });
  await new Promise((r) => child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.on('exit', r));
  t.ok(acknowledged >= 1500, `killed after ${acknowledged} acknowledged writes`);
  // Started again (here, in this process): it resumes from the stream's last message.
  const leader = await LogStore.open<string>(dir, storeOptions);
  const missing = [];
  for (let i = 0; i < acknowledged; i++) if (leader.get(`w${i}`) !== `value ${i}`) missing.push(i);
  t.same(missing, [], 'the leader kept every acknowledged write');
  const m = await mirror(leader, opts);
  for (let i = acknowledged; i < acknowledged + 500; i++) await leader.put(`w${i}`, `value ${i}`);
  await m.caughtUp();
  await f.caughtUp();
  const keys = Array.from({ length: acknowledged + 500 }, (_, i) => `w${i}`);
  await checkCopy(t, leader, f.store, 'TWO', keys);
  await m.close();
  await f.close();
  await leader.close();
});

t.test("a leader whose cleaner thinned its log: the follower holds the same offsets, gaps and all", async (t) => {
  await nats.cluster.createStream('THREE', 'logkv.THREE', 3);
  const opts = { servers: nats.cluster.servers, stream: 'THREE', requestTimeoutMs: 2000 };
  const leader = await LogStore.open<string>(path.join(work, 'leader3'), { ...storeOptions, tombstoneRetentionMs: 0 });
  const keys = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    keys.add(`k${i % 97}`);
    if (i % 9 === 0) await leader.delete(`k${i % 97}`);
    else await leader.put(`k${i % 97}`, `v${i}`);
  }
  await leader.compact();
  const m = await mirror(leader, opts);
  const f = await follow<string>(path.join(work, 'follower3'), { ...opts, store: storeOptions });
  await m.caughtUp();
  await f.caughtUp();
  const h = await history(leader);
  t.ok(h.length < 3000, `the cleaner left ${h.length} of 3000 writes`);
  await checkCopy(t, leader, f.store, 'THREE', keys);
  await m.close();
  await f.close();
  await leader.close();
  verifyStore(t, path.join(work, 'follower3'));
});

t.test('a snapshot object in an R3 bucket: the node leading it killed, a new follower begins from it and catches up', async (t) => {
  await nats.cluster.createStream('FOUR', 'logkv.FOUR', 3);
  const opts = { servers: nats.cluster.servers, stream: 'FOUR', requestTimeoutMs: 2000 };
  const leader = await LogStore.open<string>(path.join(work, 'leader4'), storeOptions);
  const keys = new Set<string>();
  const write = async (from: number, to: number) => {
    for (let i = from; i < to; i += 20) {
      const writes: Array<Promise<unknown>> = [];
      for (let j = i; j < Math.min(to, i + 20); j++) {
        keys.add(`k${j % 300}`);
        writes.push(j % 13 === 0 ? leader.delete(`k${j % 300}`) : leader.put(`k${j % 300}`, `v${j}`));
      }
      await Promise.all(writes);
    }
  };
  await write(0, 2000);
  const m = await mirror(leader, { ...opts, replicas: 3 });
  const shipped = await m.shipSnapshot();
  const killed = await nats.cluster.leaderOf(`OBJ_${'FOUR'}_snapshots`);
  nats.cluster.kill(killed);
  await write(2000, 2600);
  await m.caughtUp();
  const dir = path.join(work, 'follower4');
  const f = await follow<string>(dir, { ...opts, store: storeOptions });
  await f.caughtUp();
  t.equal(f.store.logStartOffset, shipped.nextOffset, `it began from the snapshot at ${shipped.nextOffset}`);
  t.same([...f.store.entries()], [...leader.entries()], 'the same entries as the leader');
  t.same([...keys].filter((k) => f.store.get(k) !== leader.get(k)), [], 'every key ever written gets the same answer');
  t.equal(f.store.nextOffset, leader.nextOffset);
  await m.close();
  await f.close();
  await leader.close();
  await nats.cluster.restart(killed);
  verifyStore(t, dir);
});
