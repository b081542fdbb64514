// snapshot() with its chunks encoded in parts by worker threads
// (snapshot-parts.ts) on the real file system: the file is the one
// SnapshotWriter makes of the same entries, byte for byte, whatever the
// part size and the number of threads (expiries, keys of every length,
// values larger than a chunk, records over many segments); a record whose
// CRC fails in a worker's part stops it with CORRUPT and lists nothing.

import { mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { readSegment, readSnapshot } from '../../src/formats/index.js';
import { encodeSnapshot } from '../../src/formats/snapshot-writer.js';
import { LogStore } from '../../src/log/log-store.js';
import { SNAPSHOT_PARTS } from '../../src/log/snapshot-parts.js';

const DEFAULTS = { ...SNAPSHOT_PARTS };
t.teardown(() => Object.assign(SNAPSHOT_PARTS, DEFAULTS));

function scratch(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'logkv-snapshot-parts-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The file SnapshotWriter makes of the entries the file holds, with its header. */
function rewritten(file: Buffer): Buffer {
  const { header, entries } = readSnapshot(file);
  return encodeSnapshot({ valueEncoding: header.valueEncoding, nextOffset: header.nextOffset, createdMs: header.createdMs }, entries);
}

t.test('the bytes are SnapshotWriter\'s for any part size and thread count', async (t) => {
  const root = scratch(t);
  let run = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.record({
          key: fc.integer({ min: 0, max: 400 }),
          keyLength: fc.integer({ min: 1, max: 40 }),
          valueLength: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 60_000, max: 140_000 })),
          op: fc.constantFrom('put', 'put', 'put', 'delete', 'expiring'),
        }),
        { minLength: 1, maxLength: 500, size: 'max' },
      ),
      fc.constantFrom(1, 100 * 1024, 16 * 1024 * 1024),
      fc.integer({ min: 1, max: 4 }),
      async (writes, partBytes, threads) => {
        const dir = join(root, `s${run++}`);
        const s = await LogStore.open<Uint8Array>(dir, { segmentSize: 256 * 1024, autoCompact: false, durability: 'none' });
        for (const [i, w] of writes.entries()) {
          const key = Buffer.from(`${w.key}`.padStart(w.keyLength, 'k'));
          if (w.op === 'delete') await s.delete(key);
          else await s.put(key, Buffer.alloc(w.valueLength, i & 0xff), w.op === 'expiring' ? { ttlMs: 3_600_000 } : {});
        }
        Object.assign(SNAPSHOT_PARTS, { bytes: partBytes, threads });
        const made = await s.snapshot();
        Object.assign(SNAPSHOT_PARTS, DEFAULTS);
        const file = readFileSync(made.path);
        await s.close();
        rmSync(dir, { recursive: true, force: true });
        return file.equals(rewritten(file));
      },
    ),
    { numRuns: 25 },
  );
  t.pass('25 stores');
});

t.test('many segments and parts, 3 threads: the bytes of one thread', async (t) => {
  const dir = scratch(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 16 * 1024, autoCompact: false, durability: 'none' });
  for (let i = 0; i < 6000; i++) await s.put(`key-${(i * 7919) % 2500}`, `value ${i} ${'v'.repeat(i % 90)}`, i % 13 === 0 ? { ttlMs: 3_600_000 } : {});
  t.ok(readdirSync(dir).filter((n) => n.endsWith('.log')).length > 20, 'records spread over many segments');
  Object.assign(SNAPSHOT_PARTS, { bytes: 1, threads: 1 });
  const one = readFileSync((await s.snapshot()).path);
  Object.assign(SNAPSHOT_PARTS, { bytes: 1, threads: 3 });
  const three = readFileSync((await s.snapshot()).path);
  Object.assign(SNAPSHOT_PARTS, DEFAULTS);
  t.ok(three.equals(one), 'a part per chunk over 3 threads: the same bytes');
  t.ok(one.equals(rewritten(one)), 'SnapshotWriter\'s bytes');
  t.equal(readSnapshot(three).entries.length, 2500, 'every key');
  await s.close();
});

t.test('a record whose CRC fails in a worker\'s part: CORRUPT, no snapshot listed', async (t) => {
  const dir = scratch(t);
  const s = await LogStore.open<string>(dir, { valueEncoding: 'utf8', segmentSize: 16 * 1024, autoCompact: false });
  // Keys in order of writing, so the last segment's records are the last keys: a worker's part.
  for (let i = 0; i < 3000; i++) await s.put(`key-${String(i).padStart(5, '0')}`, `value ${i} ${'v'.repeat(40)}`);
  const logs = readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  const victim = join(dir, logs[logs.length - 2]!);
  const batch = readSegment(readFileSync(victim)).batches[0]!;
  const fd = openSync(victim, 'r+');
  // A byte inside the first record's value (past the batch's frame and header, the record's fixed fields and key).
  writeSync(fd, Buffer.from([0x7e]), 0, 1, batch.position + 34 + 16 + 9 + 3);
  closeSync(fd);
  // Parts of 64 KiB (~900 entries) and a thread for each: every part after the first, the victim's included, is a worker's.
  Object.assign(SNAPSHOT_PARTS, { bytes: 64 * 1024, threads: 8 });
  const refused = await s.snapshot().then(
    () => undefined,
    (e: unknown) => e,
  );
  Object.assign(SNAPSHOT_PARTS, DEFAULTS);
  t.match(refused, { code: 'CORRUPT', file: victim }, 'refused, naming the file');
  t.same(readdirSync(join(dir, 'snapshots')).filter((n) => n.endsWith('.snap')), [], 'no snapshot file');
  await s.close().catch(() => {});
});
