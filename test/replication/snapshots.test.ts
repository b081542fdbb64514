// Snapshots through the JetStream object store, against a real (one-node)
// JetStream: shipped on demand and on a schedule, named by their offset and
// checked by SHA-256 on the way back; a mirror of a store begun from a
// snapshot ships one before anything else; a follower begins from the
// newest one when the stream no longer holds its start (or by choice), and
// a damaged object is CORRUPT with nothing restored.

import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Objm } from '@nats-io/obj';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { restore } from '../../src/log/restore.js';
import { follow, mirror } from '../../src/replication/index.js';
import { bucketName, objectName } from '../../src/replication/snapshot-objects.js';
import { natsFixture, verifyStore } from '../support/nats-fixture.js';
import { leaderBatch, messageOf, publishMessages } from '../support/replication-messages.js';


const storeOptions: LogStoreOptions = { valueEncoding: 'utf8', segmentSize: 64 * 1024, autoCompact: false };
const nats = natsFixture(1, 'logkv-repl-snap-');
const { work } = nats;

async function fill(s: LogStore<string>, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    if (i % 11 === 0) await s.delete(`k${i % 70}`);
    else await s.put(`k${i % 70}`, `v${i}`);
  }
}

function same(t: Test, got: LogStore<string>, want: LogStore<string>): void {
  t.same([...got.entries()], [...want.entries()], 'the same entries');
  t.equal(got.nextOffset, want.nextOffset, 'at the same next offset');
  const differ = Array.from({ length: 70 }, (_, i) => `k${i}`).filter((k) => got.get(k) !== want.get(k));
  t.same(differ, [], 'every key gets the same answer');
}


async function withJs<T>(use: (nc: Awaited<ReturnType<typeof connect>>) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: nats.cluster.servers });
  try {
    return await use(nc);
  } finally {
    await nc.close();
  }
}

/** Names of the objects in the stream's snapshot bucket. */
async function objects(stream: string): Promise<string[]> {
  return withJs(async (nc) => {
    const bucket = await new Objm(nc).open(bucketName(stream));
    return (await bucket.list()).filter((o) => !o.deleted).map((o) => o.name).sort();
  });
}

t.test('shipSnapshot(): an object named by store and offset; a new follower begins from it and applies the stream after it', async (t) => {
  const opts = { servers: nats.cluster.servers, stream: 'SHIP' };
  const leader = await LogStore.open<string>(path.join(work, 'leader-ship'), storeOptions);
  await fill(leader, 0, 400);
  const m = await mirror(leader, opts);
  const shipped = await m.shipSnapshot();
  t.equal(shipped.nextOffset, 400, 'the snapshot goes on at the store\'s next offset');
  t.equal(shipped.name, objectName(leader.storeId!, 400));
  t.equal(shipped.store, leader.storeId);
  t.match(shipped.sha256, /^[0-9a-f]{64}$/);
  t.same(await objects('SHIP'), [shipped.name]);
  await fill(leader, 400, 600);
  await m.caughtUp();

  const dir = path.join(work, 'follower-ship');
  const f = await follow<string>(dir, { ...opts, store: storeOptions });
  await f.caughtUp();
  t.equal(f.store.logStartOffset, 400, 'it began from the snapshot');
  t.equal(f.store.leader, leader.storeId, 'as a follower of the leader');
  same(t, f.store, leader);
  await fill(leader, 600, 650);
  await m.caughtUp();
  await f.caughtUp();
  same(t, f.store, leader);
  await f.close();

  // startFrom 'stream': the stream holds the start, so the copy is the leader's write for write.
  const g = await follow<string>(path.join(work, 'follower-ship-stream'), { ...opts, store: storeOptions, startFrom: 'stream' });
  await g.caughtUp();
  t.equal(g.store.logStartOffset, 0, "startFrom 'stream' begins at the stream's first write");
  same(t, g.store, leader);
  await g.close();
  await m.close();
  await leader.close();
  verifyStore(t, dir);
});

t.test('a store begun from a snapshot: the mirror ships one before its first message, once; followers begin from it', async (t) => {
  const opts = { servers: nats.cluster.servers, stream: 'RESTORED' };
  const origin = await LogStore.open<string>(path.join(work, 'origin'), storeOptions);
  await fill(origin, 0, 300);
  const local = await origin.snapshot();
  await origin.close();
  const dir = path.join(work, 'leader-restored');
  await restore(local.path, dir);
  const leader = await LogStore.open<string>(dir, storeOptions);
  t.equal(leader.logStartOffset, 300, 'the leader\'s history begins at 300');
  const shipped: number[] = [];
  const m = await mirror(leader, { ...opts, onSnapshot: (s) => shipped.push(s.nextOffset) });
  t.equal((await objects('RESTORED')).length, 1, 'mirror() shipped a snapshot first');
  await fill(leader, 300, 420);
  await m.caughtUp();
  await m.close();
  // Started again before or after more writes: the stream goes on from its last message; no second snapshot.
  const m2 = await mirror(leader, { ...opts, onSnapshot: (s) => shipped.push(s.nextOffset) });
  await fill(leader, 420, 450);
  await m2.caughtUp();
  t.same(shipped, [300], 'the first mirror shipped the snapshot at the log start; the second none');
  t.equal((await objects('RESTORED')).length, 1, 'still one snapshot object');

  for (const startFrom of ['stream', 'snapshot'] as const) {
    const fdir = path.join(work, `follower-restored-${startFrom}`);
    const f = await follow<string>(fdir, { ...opts, store: storeOptions, startFrom });
    await f.caughtUp();
    t.equal(f.store.logStartOffset, 300, `startFrom ${startFrom}: the stream does not hold the start, so it began from the snapshot`);
    same(t, f.store, leader);
    await f.close();
    verifyStore(t, fdir);
  }
  await m2.close();
  await leader.close();
});

t.test('a stream whose start was cut: a new follower begins from the newest snapshot; without one, OUT_OF_RANGE and nothing made', async (t) => {
  const opts = { servers: nats.cluster.servers, stream: 'CUT' };
  const leader = await LogStore.open<string>(path.join(work, 'leader-cut'), storeOptions);
  const m = await mirror(leader, opts);
  await fill(leader, 0, 200);
  await m.caughtUp();
  // The stream keeps only its messages from the one holding offset 150 on (a message holds the writes of a few milliseconds).
  const cutAt = await withJs(async (nc) => {
    const jsm = await jetstreamManager(nc);
    const { first_seq: first, last_seq: last } = (await jsm.streams.info('CUT')).state;
    let seq = first;
    while (seq < last && Number((await jsm.streams.getMessage('CUT', { seq }))!.header.get('Logkv-Last-Offset')) < 150) seq++;
    await jsm.streams.purge('CUT', { seq });
    return seq;
  });
  t.ok(cutAt > 1, `the stream cut before its message ${cutAt}`);
  const bare = path.join(work, 'follower-cut-bare');
  await t.rejects(follow(bare, { ...opts, store: storeOptions }), { code: 'OUT_OF_RANGE' });
  t.notOk(fs.existsSync(bare) && fs.readdirSync(bare).length > 0, 'no store was made');

  await fill(leader, 200, 260);
  const old = await m.shipSnapshot();
  t.equal(old.nextOffset, 260);
  await fill(leader, 260, 300);
  const newest = await m.shipSnapshot();
  await fill(leader, 300, 330);
  await m.caughtUp();
  const f = await follow<string>(path.join(work, 'follower-cut'), { ...opts, store: storeOptions, startFrom: 'stream' });
  await f.caughtUp();
  t.equal(f.store.logStartOffset, newest.nextOffset, 'it began from the newest snapshot');
  same(t, f.store, leader);
  await f.close();
  await m.close();
  await leader.close();
});

t.test('snapshotEveryMs ships on a schedule and keeps the newest keepSnapshots', async (t) => {
  const opts = { servers: nats.cluster.servers, stream: 'SCHEDULE' };
  const leader = await LogStore.open<string>(path.join(work, 'leader-schedule'), storeOptions);
  const shipped: number[] = [];
  const m = await mirror(leader, { ...opts, snapshotEveryMs: 200, keepSnapshots: 2, onSnapshot: (s) => shipped.push(s.nextOffset) });
  for (let round = 0; round < 40 && shipped.length < 4; round++) {
    await fill(leader, round * 10, round * 10 + 10);
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(shipped.length >= 4, `${shipped.length} snapshots shipped on the schedule`);
  t.ok(shipped.every((o, i) => i === 0 || o >= shipped[i - 1]!), 'each at or past the one before');
  await m.close();
  const left = await objects('SCHEDULE');
  t.ok(left.length <= 2 && left.length >= 1, `the bucket keeps the newest ones: ${left.length}`);
  t.ok(left.includes(objectName(leader.storeId!, shipped.at(-1)!)), 'the newest is kept');
  await leader.close();
});

t.test('a damaged snapshot object: CORRUPT (snapshot-object), and the follower\'s directory is left empty', async (t) => {
  const opts = { servers: nats.cluster.servers, stream: 'BROKEN' };
  const leader = await LogStore.open<string>(path.join(work, 'leader-broken'), storeOptions);
  await fill(leader, 0, 50);
  const m = await mirror(leader, opts);
  const shipped = await m.shipSnapshot();
  await m.close();
  // One chunk (a small snapshot): its bytes replaced by the same bytes with one flipped.
  await withJs(async (nc) => {
    const bucket = await new Objm(nc).open(bucketName('BROKEN'));
    const info = await bucket.info(shipped.name);
    t.equal(info?.chunks, 1, 'the object is one chunk');
    const subject = `$O.${bucketName('BROKEN')}.C.${info!.nuid}`;
    const jsm = await jetstreamManager(nc);
    const chunk = await jsm.streams.getMessage(`OBJ_${bucketName('BROKEN')}`, { last_by_subj: subject });
    const data = Buffer.from(chunk!.data);
    data[100]! ^= 0x01;
    await jsm.streams.purge(`OBJ_${bucketName('BROKEN')}`, { filter: subject });
    await jetstream(nc).publish(subject, data);
  });
  const dir = path.join(work, 'follower-broken');
  await t.rejects(follow(dir, { ...opts, store: storeOptions }), { code: 'CORRUPT', reason: 'snapshot-object' });
  t.notOk(fs.existsSync(dir) && fs.readdirSync(dir).length > 0, 'nothing restored');
  t.same(fs.readdirSync(work).filter((n) => n.endsWith('.part')), [], 'no download left behind');

  // An object whose bytes are whole (its digest matches) but are not the snapshot its metadata name.
  await withJs(async (nc) => {
    const bucket = await new Objm(nc).open(bucketName('BROKEN'));
    const info = await bucket.info(shipped.name);
    const other = await LogStore.open<string>(path.join(work, 'other'), storeOptions);
    await fill(other, 0, 50);
    await other.put('extra', 'x');
    const otherSnap = await other.snapshot();
    await other.close();
    await bucket.put({ name: shipped.name, metadata: info!.metadata, options: { max_chunk_size: 512 * 1024 } }, readable(fs.readFileSync(otherSnap.path)));
  });
  await t.rejects(follow(path.join(work, 'follower-broken-2'), { ...opts, store: storeOptions }), { code: 'CORRUPT', reason: 'snapshot-object' });
  t.notOk(fs.existsSync(path.join(work, 'follower-broken-2')), 'nothing restored');
  await leader.close();
});

t.test('right after a snapshot, the message before the next may be older than the snapshot\'s last write (a thinned log), but not newer', async (t) => {
  // A snapshot at 12 (offsets 0-11) put as store A's; the stream: offsets 0-9, then 15 (the leader's cleaner took 10-14 before the mirror read them).
  const local = await LogStore.open<string>(path.join(work, 'thin-source'), storeOptions);
  for (let i = 0; i < 12; i++) await local.put(`k${i}`, `v${i}`);
  const snap = await local.snapshot();
  await local.close();
  const STORE_A = 'a'.repeat(32);
  // Each message: its one-write batches' offsets, and the last offset of the message before it.
  const publish = async (stream: string, messages: Array<[offsets: number[], prev: number]>) =>
    withJs(async (nc) => {
      await (await jetstreamManager(nc)).streams.add({ name: stream, subjects: [`logkv.${stream}`] });
      const batches = (offsets: number[]) => offsets.map((offset) => leaderBatch([{ offset, key: `k${offset}`, value: `v${offset}` }]));
      await publishMessages(nats.cluster.servers, stream, messages.map(([offsets, prev]) => messageOf(STORE_A, batches(offsets), prev)));
      const bucket = await new Objm(nc).create(bucketName(stream));
      const sha = fs.readFileSync(snap.path).subarray(-32).toString('hex');
      const meta = { 'logkv-store': STORE_A, 'logkv-next-offset': '12', 'logkv-sha256': sha, 'logkv-entries': '12' };
      await bucket.put({ name: objectName(STORE_A, 12), metadata: meta }, readable(fs.readFileSync(snap.path)));
    });
  const chain = Array.from({ length: 10 }, (_, i): [number[], number] => [[i], i - 1]);
  await publish('THIN', [...chain, [[15], 9], [[16], 15]]);
  const f = await follow<string>(path.join(work, 'follower-thin'), { servers: nats.cluster.servers, stream: 'THIN', store: storeOptions });
  await f.caughtUp();
  t.equal(f.store.logStartOffset, 12, 'begun from the snapshot');
  t.equal(f.store.nextOffset, 17, 'and applied 15 and 16 after it');
  t.equal(f.store.get('k15'), 'v15');
  t.equal(f.store.get('k11'), 'v11', 'what the snapshot holds is there');
  await f.close();
  // The message after the snapshot names 13 as the one before it: 12 and 13 are missing.
  await publish('THIN2', [...chain, [[14], 13]]);
  const g = await follow<string>(path.join(work, 'follower-thin2'), { servers: nats.cluster.servers, stream: 'THIN2', store: storeOptions });
  await t.rejects(g.caughtUp(), { code: 'OFFSET_GAP' });
  t.equal(g.store.nextOffset, 12, 'nothing applied past the snapshot');
  await g.close();
  // The snapshot inside a message (the mirror sent offsets 8 to 15 in one, thinned at 13): only its writes past the snapshot are applied.
  await publish('INSIDE', [[[0, 1, 2, 3, 4, 5, 6, 7], -1], [[8, 9, 10, 11, 12, 14, 15], 7], [[16], 15]]);
  const h = await follow<string>(path.join(work, 'follower-inside'), { servers: nats.cluster.servers, stream: 'INSIDE', store: storeOptions });
  await h.caughtUp();
  t.equal(h.store.logStartOffset, 12, 'begun from the snapshot');
  t.equal(h.store.nextOffset, 17);
  t.same([12, 14, 15, 16].map((o) => h.store.get(`k${o}`)), ['v12', 'v14', 'v15', 'v16'], 'the writes of the message past the snapshot, and after it');
  t.equal(h.store.get('k11'), 'v11', 'what the snapshot holds is there');
  const offsets: number[] = [];
  for await (const c of h.store.changes({ follow: false })) offsets.push(c.offset);
  t.same(offsets, [12, 14, 15, 16], "the follower's log: the leader's offsets, its gap too");
  await h.close();
});

t.test("snapshot objects of another store are never restored: OUT_OF_RANGE, WRONG_LEADER, or which one (INVALID_ARGUMENT)", async (t) => {
  const local = await LogStore.open<string>(path.join(work, 'other-source'), storeOptions);
  for (let i = 0; i < 12; i++) await local.put(`k${i}`, `v${i}`);
  const snap = await local.snapshot();
  await local.close();
  const bytes = fs.readFileSync(snap.path);
  const STORE_A = 'a'.repeat(32);
  const STORE_B = 'b'.repeat(32);
  const STORE_C = 'c'.repeat(32);
  await withJs(async (nc) => {
    await (await jetstreamManager(nc)).streams.add({ name: 'FOREIGN', subjects: ['logkv.FOREIGN'] });
    // Store A's stream, cut: its first message follows offset 9.
    const batch = (offset: number) => leaderBatch([{ offset, key: `k${offset}`, value: 'v' }], 1_700_000_000_000);
    await publishMessages(nats.cluster.servers, 'FOREIGN', [messageOf(STORE_A, [batch(10)], 9), messageOf(STORE_A, [batch(11)], 10)]);
    const bucket = await new Objm(nc).create(bucketName('FOREIGN'));
    const meta = { 'logkv-store': STORE_B, 'logkv-next-offset': '12', 'logkv-sha256': bytes.subarray(-32).toString('hex'), 'logkv-entries': '12' };
    await bucket.put({ name: objectName(STORE_B, 12), metadata: meta }, readable(bytes));
  });
  const opts = { servers: nats.cluster.servers, stream: 'FOREIGN', store: storeOptions };
  await t.rejects(follow(path.join(work, 'foreign-1'), opts), { code: 'OUT_OF_RANGE' }, "store A's stream, only store B's snapshot: none to begin from");
  await t.rejects(follow(path.join(work, 'foreign-2'), { ...opts, leader: STORE_B }), { code: 'WRONG_LEADER' }, "pinned to B: B's snapshot under A's stream is refused");
  t.notOk(fs.existsSync(path.join(work, 'foreign-1')) || fs.existsSync(path.join(work, 'foreign-2')), 'nothing made');
  // An empty stream and snapshots of two stores: which one is for the caller to say.
  await withJs(async (nc) => {
    await (await jetstreamManager(nc)).streams.add({ name: 'TWOSTORES', subjects: ['logkv.TWOSTORES'] });
    const bucket = await new Objm(nc).create(bucketName('TWOSTORES'));
    for (const id of [STORE_B, STORE_C]) {
      const meta = { 'logkv-store': id, 'logkv-next-offset': '12', 'logkv-sha256': bytes.subarray(-32).toString('hex'), 'logkv-entries': '12' };
      await bucket.put({ name: objectName(id, 12), metadata: meta }, readable(bytes));
    }
  });
  await t.rejects(follow(path.join(work, 'two-stores'), { ...opts, stream: 'TWOSTORES' }), { code: 'INVALID_ARGUMENT' });
  const pinned = await follow<string>(path.join(work, 'two-stores-c'), { ...opts, stream: 'TWOSTORES', leader: STORE_C });
  t.equal(pinned.store.leader, STORE_C, 'pinned: it begins from that store\'s snapshot');
  t.equal(pinned.store.get('k11'), 'v11');
  await pinned.close();
});

t.test('bad options: typed errors', async (t) => {
  const leader = await LogStore.open<string>(path.join(work, 'leader-opts'), storeOptions);
  await t.rejects(mirror(leader, { servers: nats.cluster.servers, stream: 'OPTS', snapshotEveryMs: 0 }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(mirror(leader, { servers: nats.cluster.servers, stream: 'OPTS', keepSnapshots: 0 }), { code: 'INVALID_ARGUMENT' });
  // @ts-expect-error: not a start
  await t.rejects(follow(path.join(work, 'f-opts'), { servers: nats.cluster.servers, stream: 'OPTS', startFrom: 'middle' }), { code: 'INVALID_ARGUMENT' });
  await leader.close();
});

function readable(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}
