// The change feed: every acknowledged write once, in offset order, following
// live writes; across a compaction and a reopen; never a write that a crash
// could still take back; OUT_OF_RANGE below the log's start.

import t, { type Test } from 'tap';
import { type Change, type FeedRun, LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { restore } from '../../src/log/restore.js';
import type { FileIO } from '../../src/io/file-io.js';
import { MemoryFileIO, overriding } from '../support/memory-file-io.js';
import { BatchReader, type ReadBatch } from '../../src/formats/log-segment-reader.js';

/** `io` with every fsync taking a turn of the event loop, as a real one takes time: writes wait unsynced meanwhile. */
function slowSyncs(io: MemoryFileIO): FileIO {
  const later = () => new Promise<void>((r) => setImmediate(r));
  return overriding(io, {
    open: (path, mode) => {
      const h = io.open(path, mode);
      return { ...h, path: h.path, sync: async () => (await later(), h.sync()) };
    },
    syncDir: async (d) => (await later(), io.syncDir(d)),
  });
}

const base: LogStoreOptions = { valueEncoding: 'utf8', segmentSize: 4096, autoCompact: false, tombstoneRetentionMs: 0 };

/** What was written at each offset: [key, value or undefined for a delete]. */
type Written = Map<number, [string, string | undefined]>;

async function collect(feed: AsyncIterable<Change<string>>, until: (c: Change<string>[]) => boolean = () => false): Promise<Change<string>[]> {
  const out: Change<string>[] = [];
  for await (const c of feed) {
    out.push(c);
    if (until(out)) break;
  }
  return out;
}

function checkAgainst(t: Test, got: Change<string>[], written: Written, what: string): void {
  const offsets = got.map((c) => c.offset);
  t.ok(offsets.every((o, i) => i === 0 || o > offsets[i - 1]!), `${what}: offsets strictly ascend (each once)`);
  const wrong = got.filter((c) => {
    const w = written.get(c.offset);
    return !w || w[0] !== c.key.toString() || w[1] !== c.value || c.tombstone !== (w[1] === undefined);
  });
  t.same(wrong, [], `${what}: each change is what was written at its offset`);
}

t.test('from 0 without follow: every write in order, puts and deletes, then the end', async (t) => {
  const io = new MemoryFileIO();
  let clock = 1000;
  const s = await LogStore.open<string>('/db', { ...base, io, now: () => clock++ });
  const written: Written = new Map();
  for (let i = 0; i < 300; i++) {
    const k = `k${i % 30}`;
    if (i % 5 === 4) {
      await s.delete(k);
      written.set(i, [k, undefined]);
    } else {
      await s.put(k, `v${i}`, i % 7 === 0 ? { ttlMs: 1 } : {});
      written.set(i, [k, `v${i}`]);
    }
  }
  await s.batch([
    { type: 'put', key: 'b1', value: 'x' },
    { type: 'del', key: 'b2' },
  ]);
  written.set(300, ['b1', 'x']).set(301, ['b2', undefined]);
  const got = await collect(s.changes({ from: 0, follow: false }));
  t.equal(got.length, 302, 'every write, expired ones too');
  t.same(got.map((c) => c.offset), [...written.keys()]);
  checkAgainst(t, got, written, 'all');
  t.ok(got[7]!.expireAt !== undefined, 'expiry is carried');
  t.ok(got.every((c, i) => i === 0 || c.timestamp >= got[i - 1]!.timestamp), 'timestamps are the batches');
  t.equal(got[300]!.timestamp, got[301]!.timestamp, 'one batch, one timestamp');
  const tail = await collect(s.changes({ from: 250, follow: false }));
  t.same(tail.map((c) => c.offset), [...written.keys()].filter((o) => o >= 250), 'from a middle offset');
  t.same(await collect(s.changes({ from: 10_000, follow: false })), [], 'from past the end: nothing');
  await s.close();
});

t.test('following: live writes arrive once, in order, and the feed ends at close', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { ...base, io });
  const written: Written = new Map();
  const consumer = collect(s.changes({ from: 0 }));
  const writes: Array<Promise<void>> = [];
  for (let i = 0; i < 500; i++) {
    writes.push(s.put(`k${i % 40}`, `v${i}`));
    written.set(i, [`k${i % 40}`, `v${i}`]);
    if (i % 50 === 0) await Promise.all(writes);
  }
  await Promise.all(writes);
  await new Promise((r) => setTimeout(r, 20));
  await s.close();
  const got = await consumer;
  t.equal(got.length, 500);
  checkAgainst(t, got, written, 'followed');
});

t.test('a delivered change is durable: after a crash every delivered offset is still there', async (t) => {
  for (let round = 0; round < 20; round++) {
    const io = new MemoryFileIO();
    const s = await LogStore.open<string>('/db', { ...base, io: slowSyncs(io), durability: 'sync' });
    const seen: Change<string>[] = [];
    let crashed: MemoryFileIO | undefined;
    const crashAfter = 20 + round * 13;
    // A reader keeping up with writers that keep groups of batches in
    // flight (written, not yet fsynced): it must stop at the last
    // acknowledged one, though the next group is already in the file.
    const consumer = (async () => {
      for await (const c of s.changes({ from: 0 })) {
        seen.push(c);
        if (seen.length === crashAfter) {
          crashed = round % 2 === 0 ? io.crash() : io.crash({ random: Math.random });
          return;
        }
      }
    })();
    const writes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 600 && !crashed; i++) {
      writes.push(s.put(`k${i % 50}`, `v${i}`).catch(() => undefined));
      if (i % 25 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    await consumer;
    await s.close();
    t.ok(crashed, `round ${round}: crashed after ${crashAfter} changes`);
    const r = await LogStore.open<string>('/db', { io: crashed! });
    const after = await collect(r.changes({ from: 0, follow: false }));
    const kept = new Map(after.map((c) => [c.offset, c.value]));
    const missing = seen.filter((c) => kept.get(c.offset) !== c.value);
    t.same(missing, [], `round ${round}: all ${seen.length} delivered changes survived the crash`);
    await r.close();
  }
});

t.test('across a compaction and a reopen: each surviving write once, in order', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { ...base, io });
  const written: Written = new Map();
  let offset = 0;
  const write = async (n: number) => {
    for (let i = 0; i < n; i++, offset++) {
      const k = `k${offset % 25}`;
      await s.put(k, `v${offset}`);
      written.set(offset, [k, `v${offset}`]);
    }
  };
  const got: Change<string>[] = [];
  const feed = s.changes({ from: 0 });
  const take = async (until: number) => {
    while (got.length < until) {
      const r = await feed.next();
      if (r.done) break;
      got.push(r.value);
    }
  };
  await write(400);
  await take(200);
  // The cleaner rewrites the segments the feed is reading in the middle of.
  const compaction = await s.compact();
  t.ok(compaction.recordsDropped > 0);
  await write(300);
  await take(200 + 1);
  await s.compact();
  await write(100);
  await new Promise((r) => setTimeout(r, 10));
  // Drain what is there now, then stop and reopen.
  for (;;) {
    const next = await Promise.race([feed.next(), new Promise<'idle'>((r) => setTimeout(() => r('idle'), 50))]);
    if (next === 'idle' || next.done) break;
    got.push(next.value);
  }
  await feed.return!();
  const lastSeen = got.at(-1)!.offset;
  await s.close();
  t.equal(lastSeen, offset - 1, 'the feed caught up with the newest write');
  checkAgainst(t, got, written, 'before the reopen');
  t.equal(got.filter((c) => c.offset < 200).length, 200, 'everything before the first compaction was delivered');

  const r = await LogStore.open<string>('/db', { io });
  await r.put('after', 'reopen');
  written.set(offset, ['after', 'reopen']);
  const rest = await collect(r.changes({ from: lastSeen + 1, follow: false }));
  t.same(rest.map((c) => c.offset), [offset], 'after the reopen, from the next offset: only the new write');
  checkAgainst(t, [...got, ...rest], written, 'both sides of the reopen');

  const fromZero = await collect(r.changes({ from: 0, follow: false }));
  checkAgainst(t, fromZero, written, 'from 0 after compactions');
  const newest = new Map<string, number>();
  for (const [o, [k]] of written) newest.set(k, o);
  t.ok([...newest.values()].every((o) => fromZero.some((c) => c.offset === o)), 'the newest write of every key is still there');
  t.ok(fromZero.length < written.size / 2, `compaction removed overwritten records (${fromZero.length} of ${written.size})`);
  await r.close();
});

t.test('below the log start offset of a restored store: OUT_OF_RANGE', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { ...base, io });
  for (let i = 0; i < 50; i++) await s.put(`k${i}`, `v${i}`);
  const snap = await s.snapshot();
  await s.close();
  await restore(snap.path, '/copy', { io });
  const r = await LogStore.open<string>('/copy', { io });
  t.equal(r.logStartOffset, 50);
  t.throws(() => r.changes({ from: 0 }), { code: 'OUT_OF_RANGE' });
  t.throws(() => r.changes({ from: -1 }), { code: 'INVALID_ARGUMENT' });
  await r.put('next', 'one');
  const got = await collect(r.changes({ follow: false }));
  t.same(got.map((c) => [c.offset, c.key.toString()]), [[50, 'next']], 'by default from the log start offset');
  await r.close();
});

t.test("storedBatches: the log's own batch bytes in runs, within a read's limits, a batch begun inside re-encoded", async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>('/db', { ...base, io });
  for (let i = 0; i < 200; i++) {
    if (i % 10 === 0) await s.batch([{ type: 'put', key: `b${i}`, value: 'x'.repeat(i) }, { type: 'del', key: `k${i % 7}` }, { type: 'put', key: `c${i}`, value: 'y' }]);
    else await s.put(`k${i % 7}`, `v${i}`, i % 9 === 0 ? { expireAt: 4_000_000_000_000 } : {});
  }
  const want = (await collect(s.changes({ from: 0, follow: false }))).map((c) => c.offset);
  /** The batches of runs, each checked against what its run says of it. */
  const batchesOf = (runs: FeedRun[]): ReadBatch[] => {
    const out: ReadBatch[] = [];
    for (const r of runs) {
      const got: ReadBatch[] = [];
      for (let at = 0; at < r.bytes.length; ) {
        const step = new BatchReader(r.bytes).at(at, 0);
        if (step.kind !== 'batch') {
          t.fail(`a run holds whole batches only (${step.kind} at ${at})`);
          break;
        }
        got.push(step.batch);
        at += step.batch.size;
      }
      const records = got.flatMap((b) => b.records);
      t.same(
        [r.firstOffset, r.lastOffset, r.firstTimestampMs, r.lastTimestampMs, r.records, r.batches],
        [records[0]!.offset, records.at(-1)!.offset, got[0]!.timestampMs, got.at(-1)!.timestampMs, records.length, got.length],
        'a run says what it holds',
      );
      out.push(...got);
    }
    return out;
  };
  // The store spans several 4 KiB segments; reads of at most 600 bytes or 5 records.
  const feed = s.storedBatches({ from: 0 });
  const runs: FeedRun[] = [];
  for (let read = feed.read(600, 5); read.length > 0; read = feed.read(600, 5)) {
    const bytes = read.reduce((n, r) => n + r.bytes.length, 0);
    const records = read.reduce((n, r) => n + r.records, 0);
    t.ok((read.length === 1 && read[0]!.batches === 1) || (bytes <= 600 && records <= 5), `a read keeps to its limits or holds one batch (${read.length} runs, ${bytes} bytes, ${records} records)`);
    runs.push(...read);
  }
  const batches = batchesOf(runs);
  t.same(batches.flatMap((b) => b.records.map((r) => r.offset)), want, 'every record once, in order');
  t.equal(batches.filter((b) => b.records.length === 3).length, 20, 'a batch of three writes is one batch');
  t.ok(runs.some((r) => r.batches > 1), 'batches back to back come in one run');

  // Read all at once: the same batches, byte for byte, in fewer runs.
  const all = s.storedBatches({ from: 0 }).read(1 << 20);
  t.ok(Buffer.concat(all.map((r) => r.bytes)).equals(Buffer.concat(runs.map((r) => r.bytes))), 'the same bytes whatever the limits');
  t.ok(all.length < runs.length, `${all.length} runs (one per segment) rather than ${runs.length}`);

  // From inside a three-record batch (i = 10: offsets 12-14): its last two records as a batch of their own, then the log's batches.
  const inside = s.storedBatches({ from: 13 }).read(1 << 20);
  const [rest, ...after] = batchesOf(inside);
  t.same(rest!.records.map((r) => r.offset), [13, 14], 'begun inside a batch: the rest of it');
  t.equal(rest!.timestampMs, batches.find((b) => b.baseOffset === 12)!.timestampMs, 'at its timestamp');
  t.same(inside[0]!.batches, 1, 'in a run of its own');
  t.same(after.map((b) => b.crc), batches.filter((b) => b.baseOffset >= 15).map((b) => b.crc), "then the log's batches");

  // fill(): reads ahead without taking; true once that much waits.
  const ahead = s.storedBatches({ from: 0 });
  t.ok(ahead.fill(100), 'a hundred bytes are there');
  t.notOk(ahead.fill(1 << 20), 'a MiB is not');
  t.ok(Buffer.concat(ahead.read(1 << 20).map((r) => r.bytes)).equals(Buffer.concat(all.map((r) => r.bytes))), 'what was read ahead is taken first');

  // It follows: a read finds nothing until the next write is acknowledged.
  const following = s.storedBatches({ from: s.nextOffset });
  t.same(following.read(1 << 20), []);
  const changed = following.changed();
  await s.put('new', 'write');
  await changed;
  t.same(following.read(1 << 20).map((r) => r.firstOffset), [s.nextOffset - 1]);
  t.throws(() => s.storedBatches({ from: -1 }), { code: 'INVALID_ARGUMENT' });
  await s.close();
  t.ok(following.done, 'done once the store closed');
  t.same(following.read(1 << 20), []);
});
