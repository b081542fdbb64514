// Rules of the write path and the cleaner from issue 17, each checked here
// so that undoing it fails a test (the figures they bought are in the
// commits and bench/README.md).

import t from 'tap';
import { Op, ValueEncoding } from '../../src/formats/limits.js';
import { readSegment } from '../../src/formats/log-segment-reader.js';
import { encodeBatch } from '../../src/formats/log-segment-writer.js';
import { CompactedOutput } from '../../src/log/compacted-output.js';
import { KeptBatches } from '../../src/log/kept-batches.js';
import { LogStore, type LogStoreOptions } from '../../src/log/log-store.js';
import { MemoryFileIO } from '../support/memory-file-io.js';

const DIR = '/db';

/** A clock that moves 1 ms a call. */
function ticking(): () => number {
  let now = 1_700_000_000_000;
  return () => now++;
}

const base: LogStoreOptions = { valueEncoding: 'utf8', autoCompact: false, segmentSize: 64 * 1024 };

/** The log segments on `io`, in log order. */
function segments(io: MemoryFileIO): string[] {
  return io
    .readdir(DIR)
    .filter((n) => n.endsWith('.log'))
    .sort()
    .map((n) => `${DIR}/${n}`);
}

t.test('compact() right after open writes nothing into the segment it seals (no zero fill to trim again)', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>(DIR, { io, ...base, now: ticking() });
  for (let i = 0; i < 300; i++) await s.put(`k${i % 20}`, `v${i}`.padEnd(50, '.'));
  await s.close();
  const newest = segments(io).at(-1)!;
  const from = io.stats.steps;
  const again = await LogStore.open<string>(DIR, { io, ...base, now: ticking() });
  await again.compact();
  const touched = io.history(newest).filter((step) => step.n >= from && (step.kind === 'write' || step.kind === 'truncate'));
  t.same(touched, [], 'no write or truncation of the sealed segment');
  for (let k = 0; k < 20; k++) t.ok(again.get(`k${k}`)?.startsWith('v'), `k${k} still there`);
  await again.close();
});

/** A store whose newest segment is mostly dead: `rounds` batches each overwriting the same `keys` keys (values of `valueBytes`), closed cleanly. */
async function overwritten(io: MemoryFileIO, rounds: number, keys: number, valueBytes = 40, segmentSize = base.segmentSize): Promise<void> {
  const s = await LogStore.open<string>(DIR, { io, ...base, segmentSize, now: ticking() });
  for (let r = 0; r < rounds; r++) {
    await s.batch(Array.from({ length: keys }, (_, k) => ({ type: 'put' as const, key: `k${k}`, value: `r${r}`.padEnd(valueBytes, '.') })));
  }
  await s.close();
}

t.test('compact() right after open reads, of a mostly dead segment the open deferred, the batches it keeps from and the others\' headers', async (t) => {
  const io = new MemoryFileIO();
  // Batches of 20 puts of 4 KiB (~80 KiB each): a dropped one costs the read of a page at its header, not its bytes.
  await overwritten(io, 40, 20, 4096, 8 * 1024 * 1024);
  const newest = segments(io).at(-1)!;
  const size = io.readFile(newest).length;
  const s = await LogStore.open<string>(DIR, { io, ...base, segmentSize: 8 * 1024 * 1024, now: ticking() });
  const result = await s.compact();
  t.ok(result.bytesRead < size / 4, `read ${result.bytesRead} of the segment's ${size} bytes`);
  t.equal(result.recordsKept, 20);
  for (let k = 0; k < 20; k++) t.equal(s.get(`k${k}`), 'r39'.padEnd(4096, '.'));
  await s.close();
  const again = await LogStore.open<string>(DIR, { io, ...base, segmentSize: 8 * 1024 * 1024, loadKeys: 'before-open' });
  t.equal(again.openReport.clean, true);
  for (let k = 0; k < 20; k++) t.equal(again.get(`k${k}`), 'r39'.padEnd(4096, '.'));
  await again.close();
});

t.test('the deferred newest segment damaged after open: compact() refuses over a batch it keeps from, and drops a dead one with the segment', async (t) => {
  for (const where of ['kept', 'dead'] as const) {
    const io = new MemoryFileIO();
    await overwritten(io, 40, 20);
    const newest = segments(io).at(-1)!;
    const batches = readSegment(io.readFile(newest)).batches;
    // The last batch holds every key's newest value; the first, values overwritten since.
    const victim = where === 'kept' ? batches.at(-1)! : batches[0]!;
    const errors: unknown[] = [];
    const s = await LogStore.open<string>(DIR, { io, ...base, now: ticking(), onBackgroundError: (e) => errors.push(e) });
    const bytes = io.readFile(newest);
    bytes[victim.position + victim.size - 1]! ^= 0x40;
    io.setFile(newest, bytes);
    if (where === 'kept') {
      await t.rejects(s.compact(), { code: 'CORRUPT', file: newest }, 'kept: the run refuses, naming the file');
      t.same(io.readdir(DIR).filter((n) => n.includes('-')), [], 'kept: no output is left behind');
      // The byte changed is the last of the batch's last record.
      t.throws(() => s.get(Buffer.from(victim.records.at(-1)!.key).toString()), { code: 'CORRUPT' }, 'kept: the damaged value is never returned');
    } else {
      const r = await s.compact();
      t.equal(r.recordsKept, 20, 'dead: the run keeps every live record');
      t.notOk(io.exists(newest), 'dead: the damaged segment is replaced');
      await s.whenLoaded();
      t.same(errors, [], 'dead: nothing read was damaged, so nothing is reported');
      for (let k = 0; k < 20; k++) t.equal(s.get(`k${k}`), 'r39'.padEnd(40, '.'));
    }
    await s.close();
  }
});

t.test('the cleaner copies kept records as they are, their batch based at its first record', async (t) => {
  const source = encodeBatch({
    baseOffset: 100,
    timestampMs: 5,
    records: Array.from({ length: 10 }, (_, i) => ({ op: Op.Put, offsetDelta: i, key: Buffer.from(`key${i}`), value: Buffer.from(`value ${i}`) })),
  });
  // Record i: after the batch frame and header (34 bytes), 16 fixed bytes, its key and its value.
  const starts: number[] = [];
  for (let i = 0, at = 34; i < 10; i++) {
    starts.push(at);
    at += 16 + `key${i}`.length + `value ${i}`.length;
  }
  starts.push(source.length);
  for (const first of [0, 3]) {
    const io = new MemoryFileIO();
    io.mkdir(DIR);
    const output = new CompactedOutput({ io, dir: DIR, valueEncoding: ValueEncoding.Utf8, segmentSize: 1 << 20, generation: 1, now: () => 7 });
    const placed: Array<{ position: number; count: number }> = [];
    const kept = new KeptBatches(output, (_index, position, _bytes, _base, count) => placed.push({ position, count }));
    for (let i = first; i < 10; i++) kept.add(source, starts[i]!, starts[i + 1]!, 100 + i, 5, i);
    await kept.finish();
    const [out] = await output.finish(110);
    const written = io.readFile(out!.path);
    const read = readSegment(written, { recordCrcs: true });
    t.same(read.damage, [], `from record ${first}: every CRC holds`);
    t.equal(read.batches.length, 1);
    const batch = read.batches[0]!;
    t.equal(batch.baseOffset, 100 + first, 'the batch is based at its first record');
    t.ok(batch.compacted);
    t.same(batch.records.map((r) => r.offset), Array.from({ length: 10 - first }, (_, i) => 100 + first + i));
    t.same(batch.records.map((r) => Buffer.from(r.value).toString()), Array.from({ length: 10 - first }, (_, i) => `value ${first + i}`));
    if (first === 0) {
      const copied = written.subarray(batch.records[0]!.position, batch.position + batch.size);
      t.ok(Buffer.compare(copied, source.subarray(starts[0]!)) === 0, 'from the first record on, the records are the source bytes, unchanged');
    }
    t.same(placed, [{ position: batch.position, count: 10 - first }]);
  }
});

t.test('put() and batch() copy keys and values at the call: the caller may reuse its buffers at once', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<Uint8Array>(DIR, { io, segmentSize: 64 * 1024, now: ticking() });
  const key = Buffer.from('key-1');
  const value = Buffer.from('value-1');
  const put = s.put(key, value);
  key.write('key-2');
  value.write('VALUE-X');
  const ops = [{ type: 'put' as const, key: Buffer.from('b-1'), value: Buffer.from('bv-1') }];
  const batch = s.batch(ops);
  ops[0]!.key.write('b-2');
  ops[0]!.value.write('BV-X');
  await Promise.all([put, batch]);
  t.equal(s.get('key-1')?.toString(), 'value-1');
  t.equal(s.get('key-2'), undefined);
  t.equal(s.get('b-1')?.toString(), 'bv-1');
  t.equal(s.get('b-2'), undefined);
  await s.close();
});

t.test('a batch of puts, deletes and expiries, with text keys of any length, reads back the same before and after a reopen', async (t) => {
  const io = new MemoryFileIO();
  let now = 1_700_000_000_000;
  const options: LogStoreOptions = { valueEncoding: 'utf8', segmentSize: 64 * 1024, now: () => now };
  const s = await LogStore.open<string>(DIR, { io, ...options });
  const long = 'k'.repeat(300);
  await s.batch([
    { type: 'put', key: 'é€😀', value: 'unicode key' },
    { type: 'put', key: long, value: 'x'.repeat(2000) },
    { type: 'put', key: Buffer.from([0, 1, 2]), value: 'bytes key' },
    { type: 'put', key: 'short-lived', value: 'gone soon', ttlMs: 1000 },
    { type: 'put', key: 'later', value: 'kept', expireAt: now + 60_000 },
    { type: 'del', key: 'é€😀' },
    { type: 'put', key: 'é€😀', value: 'again' },
    { type: 'put', key: '', value: 'empty key' },
  ]);
  await s.delete(long);
  const check = (store: LogStore<string>, what: string) => {
    t.equal(store.get('é€😀'), 'again', `${what}: the last write of a key in a batch wins`);
    t.equal(store.get(long), undefined, `${what}: deleted`);
    t.equal(store.get(Buffer.from([0, 1, 2])), 'bytes key', what);
    t.equal(store.get('later'), 'kept', what);
    t.equal(store.get(''), 'empty key', what);
  };
  check(s, 'before');
  t.equal(s.get('short-lived'), 'gone soon');
  now += 2000;
  t.equal(s.get('short-lived'), undefined, 'expired');
  await s.close();
  const again = await LogStore.open<string>(DIR, { io, ...options, loadKeys: 'before-open' });
  check(again, 'after a reopen');
  t.equal(again.nextOffset, 9, 'one offset per operation');
  await again.close();
});

t.test('a batch refused for one bad operation writes nothing', async (t) => {
  const io = new MemoryFileIO();
  const s = await LogStore.open<string>(DIR, { io, ...base, maxValueSize: 10, now: ticking() });
  const writes = io.stats.writes;
  await t.rejects(s.batch([{ type: 'put', key: 'a', value: 'ok' }, { type: 'put', key: 'b', value: 'far too long a value' }]), { code: 'TOO_LARGE' });
  await t.rejects(s.batch([{ type: 'put', key: 'a', value: 'ok' }, { type: 'nope' } as never]), { code: 'INVALID_ARGUMENT' });
  await t.rejects(s.batch([{ type: 'put', key: 'a', value: 'ok' }, { type: 'put', key: 7 as never, value: 'x' }]), { code: 'INVALID_ARGUMENT' });
  await t.rejects(s.put('k'.repeat(70_000), 'x'), { code: 'TOO_LARGE' });
  t.equal(io.stats.writes, writes, 'no write');
  t.equal(s.get('a'), undefined);
  t.equal(s.nextOffset, 0);
  await s.close();
});

t.test("durability 'none': new segments get no zero fill (they grow as written); 'sync': they do", async (t) => {
  for (const durability of ['none', 'sync'] as const) {
    const io = new MemoryFileIO();
    const s = await LogStore.open<string>(DIR, { io, ...base, segmentSize: 16 * 1024, durability, now: ticking() });
    for (let i = 0; i < 40; i++) await s.batch(Array.from({ length: 20 }, (_, k) => ({ type: 'put' as const, key: `k${i}-${k}`, value: 'v'.repeat(30) })));
    await s.flush();
    const files = segments(io);
    t.ok(files.length >= 3, `${durability}: rolled (${files.length} segments)`);
    const active = files.at(-1)!;
    const length = io.readFile(active).length;
    if (durability === 'none') t.ok(length < 16 * 1024, `none: the active segment is ${length} bytes, no fill`);
    else t.equal(length, 16 * 1024, 'sync: the active segment is filled to the segment size');
    await s.close();
    const again = await LogStore.open<string>(DIR, { io, ...base, segmentSize: 16 * 1024, loadKeys: 'before-open' });
    t.equal(again.openReport.clean, true);
    t.equal(again.get('k39-19'), 'v'.repeat(30));
    await again.close();
  }
});
