// A follower's entry into the engine: applyReplicated() writes a leader's
// batches at the leader's offsets and timestamps. Its copy answers gets and
// ranges as the leader does, keeps offsets (gaps of the leader's cleaner
// too) across a reopen, keeps the recovery contract across a crash (a
// prefix of the applied batches, batch by batch, holding every
// acknowledged one), and refuses bad input with a typed error and nothing
// written.

import t from 'tap';
import { LogStore, type LogStoreOptions, type ReplicatedBatch } from '../../src/log/log-store.js';
import { MemoryFileIO, seededRandom } from '../support/memory-file-io.js';

const base: LogStoreOptions = { valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false, tombstoneRetentionMs: 0 };

/** The leader's log as batches, the way a follower groups its change feed (a batch ends at lastInBatch). */
async function batchesOf(leader: LogStore<string>): Promise<ReplicatedBatch[]> {
  const out: ReplicatedBatch[] = [];
  let records: Array<ReplicatedBatch['records'][number]> = [];
  // A utf8 store stores a value as its UTF-8 bytes: those are what a follower gets.
  for await (const c of leader.changes({ follow: false })) {
    records.push({ offset: c.offset, key: c.key, value: c.value === undefined ? undefined : Buffer.from(c.value), expireAt: c.expireAt });
    if (c.lastInBatch) {
      out.push({ leader: leader.storeId!, timestampMs: c.timestamp, records });
      records = [];
    }
  }
  t.equal(records.length, 0, 'the feed ends each batch it delivers');
  return out;
}

/** A leader with single writes, multi-record batches, deletes, expiry and, when `compact`, the cleaner's gaps. */
async function makeLeader(io: MemoryFileIO, compact: boolean): Promise<LogStore<string>> {
  const s = await LogStore.open<string>('/leader', { ...base, io });
  for (let i = 0; i < 120; i++) {
    if (i % 7 === 0) await s.batch([{ type: 'put', key: `k${i % 13}`, value: `b${i}` }, { type: 'del', key: `k${(i + 3) % 13}` }, { type: 'put', key: `x${i}`, value: 'y'.repeat(i) }]);
    else if (i % 5 === 0) await s.delete(`k${i % 13}`);
    else await s.put(`k${i % 13}`, `v${i}`, i % 11 === 0 ? { expireAt: 4_000_000_000_000 } : {});
  }
  if (compact) await s.compact();
  await s.put('last', 'write');
  return s;
}

function state(s: LogStore<string>): Array<[string, string]> {
  return [...s.entries()].map(([k, v]) => [k.toString(), v]);
}

for (const compact of [false, true]) {
  t.test(`a follower applying the leader's batches answers as the leader, offsets kept${compact ? ' (gaps of a cleaned log)' : ''}`, async (t) => {
    const io = new MemoryFileIO();
    const leader = await makeLeader(io, compact);
    const batches = await batchesOf(leader);
    const follower = await LogStore.open<string>('/follower', { ...base, io, follower: true });
    await Promise.all(batches.map((b) => follower.applyReplicated(b)));
    t.equal(follower.leader, leader.storeId, 'the first batch recorded its leader');
    t.same(state(follower), state(leader), 'the same entries');
    t.equal(follower.get('last'), 'write');
    const lastOffset = batches.at(-1)!.records.at(-1)!.offset;
    t.equal(follower.nextOffset, lastOffset + 1, 'next offset one past the last applied');
    const offsets = async (s: LogStore<string>) => {
      const out: Array<[number, number]> = [];
      for await (const c of s.changes({ follow: false })) out.push([c.offset, c.timestamp]);
      return out;
    };
    t.same(await offsets(follower), await offsets(leader), 'the change feed of the copy: the same offsets and timestamps');
    await follower.close();
    const again = await LogStore.open<string>('/follower', { ...base, io, follower: true });
    t.same(state(again), state(leader), 'after a reopen: the same entries');
    t.equal(again.nextOffset, lastOffset + 1, 'and the same next offset');
    t.equal(again.leader, leader.storeId, 'and the same leader');
    await again.close();
    await leader.close();
  });
}

t.test('a crash while applying leaves a prefix of the batches, whole, with every acknowledged one', async (t) => {
  const leaderIo = new MemoryFileIO();
  const leader = await makeLeader(leaderIo, true);
  const batches = await batchesOf(leader);
  const prefixes = batches.map((_, i) => i);
  for (let round = 0; round < 30; round++) {
    const io = new MemoryFileIO();
    const follower = await LogStore.open<string>('/follower', { ...base, io, follower: true });
    const random = seededRandom(round);
    const stopAt = Math.floor(random() * batches.length);
    let acknowledged = 0;
    const pending = batches.slice(0, stopAt).map((b, i) => follower.applyReplicated(b).then(() => (acknowledged = Math.max(acknowledged, i + 1))));
    // Crash while some of them are queued or unsynced, after some have resolved.
    await new Promise((r) => setImmediate(r));
    const crashed = io.crash({ random, tearModes: ['prefix', 'zero', 'garbage'] });
    await Promise.allSettled(pending);
    await follower.close().catch(() => undefined);
    const kept = acknowledged;
    const r = await LogStore.open<string>('/follower', { ...base, io: crashed, follower: true });
    const got = state(r);
    // The state after applying the first n batches, for the n that matches.
    const match = prefixes.find((n) => n >= kept && n <= stopAt && sameAs(got, batches.slice(0, n)));
    t.ok(match !== undefined, `round ${round} (seed ${round}): ${got.length} keys: the state after some prefix of at least the ${kept} acknowledged of ${stopAt} batches`);
    await r.close();
  }
  await leader.close();
});

/** Whether `got` is the state after applying `batches` to an empty store. */
function sameAs(got: Array<[string, string]>, batches: ReplicatedBatch[]): boolean {
  const m = new Map<string, string>();
  for (const b of batches) for (const r of b.records) r.value === undefined ? m.delete(Buffer.from(r.key).toString()) : m.set(Buffer.from(r.key).toString(), Buffer.from(r.value).toString());
  const want = [...m].sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  return JSON.stringify(want) === JSON.stringify(got);
}

t.test('bad input: a typed error, nothing written', async (t) => {
  const io = new MemoryFileIO();
  const leader = await makeLeader(io, false);
  const [first, second] = await batchesOf(leader);
  const plain = await LogStore.open<string>('/plain', { ...base, io });
  await t.rejects(plain.applyReplicated(first!), { code: 'NOT_A_FOLLOWER' }, 'a store not opened as a follower');
  await plain.put('own', 'write');
  await plain.close();
  await t.rejects(LogStore.open('/plain', { ...base, io, follower: true }), { code: 'NOT_A_FOLLOWER' }, 'a store with writes of its own cannot become a follower');
  const reopened = await LogStore.open<string>('/plain', { ...base, io });
  t.equal(reopened.get('own'), 'write', 'and is left as it was');
  await reopened.close();

  const f = await LogStore.open<string>('/follower', { ...base, io, follower: true });
  await t.rejects(f.put('a', 'b'), { code: 'READ_ONLY' }, 'a follower takes no writes of its own');
  await t.rejects(f.batch([{ type: 'put', key: 'a', value: 'b' }]), { code: 'READ_ONLY' });
  await f.applyReplicated(first!);
  const before = f.nextOffset;
  await t.rejects(f.applyReplicated({ ...second!, leader: 'f'.repeat(32) }), { code: 'WRONG_LEADER' }, "another store's batch");
  await t.rejects(f.applyReplicated(first!), { code: 'INVALID_ARGUMENT' }, 'a batch at offsets already applied');
  const reversed = { ...second!, records: [...second!.records, { offset: second!.records[0]!.offset, key: Buffer.from('z'), value: undefined }] };
  await t.rejects(f.applyReplicated(reversed), { code: 'INVALID_ARGUMENT' }, 'offsets that do not increase');
  await t.rejects(f.applyReplicated({ ...second!, records: [] }), { code: 'INVALID_ARGUMENT' }, 'no records');
  const huge = { ...second!, records: [{ offset: before, key: Buffer.alloc(70_000), value: undefined }] };
  await t.rejects(f.applyReplicated(huge), { code: 'TOO_LARGE' }, 'a key over the limit');
  t.equal(f.nextOffset, before, 'nothing was written');
  await f.applyReplicated(second!);
  t.ok(f.nextOffset > before, 'the log goes on after refused batches');
  await f.close();
  await leader.close();
});
