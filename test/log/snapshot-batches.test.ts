// encodeEntryBatches (snapshot-batches.ts): a snapshot's entries, gathered
// into offset order through groups and bands, must come out as exactly the
// batches the record-by-record path (LogRecord objects, writeBatch) gives
// under CompactedOutput's rule, whatever the group and band sizes.

import fc from 'fast-check';
import t from 'tap';
import { Op, ValueEncoding } from '../../src/formats/limits.js';
import { encodeBatch, type LogRecord } from '../../src/formats/log-segment-writer.js';
import { encodeSnapshot, type SnapshotEntry } from '../../src/formats/snapshot-writer.js';
import { BATCH_TARGET } from '../../src/log/compacted-output.js';
import { offsetOrderOf } from '../../src/log/restore.js';
import { encodeEntryBatches } from '../../src/log/snapshot-batches.js';
import { readSnapshotTable } from '../../src/log/snapshot-table.js';
import { nodeFileIO } from '../../src/io/file-io.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The batches the old path made: records in offset order, a batch closed once its records' key+value+24 reach BATCH_TARGET;
 * and before a delta past a u4 (where the old path threw).
 */
function expected(entries: SnapshotEntry[], timestampMs: number): Buffer {
  const sorted = [...entries].sort((a, b) => a.offset - b.offset);
  const out: Buffer[] = [];
  let records: LogRecord[] = [];
  let base = 0;
  let pending = 0;
  for (const e of sorted) {
    if (records.length > 0 && (pending >= BATCH_TARGET || e.offset - base > 0xffffffff)) {
      out.push(encodeBatch({ baseOffset: base, timestampMs, compacted: true, records }));
      records = [];
      pending = 0;
    }
    if (records.length === 0) base = e.offset;
    records.push({ op: Op.Put, offsetDelta: e.offset - base, key: e.key, value: e.value, expireAtMs: e.expireAtMs });
    pending += e.key.length + e.value.length + 24;
  }
  if (records.length > 0) out.push(encodeBatch({ baseOffset: base, timestampMs, compacted: true, records }));
  return Buffer.concat(out);
}

const dir = mkdtempSync(join(tmpdir(), 'logkv-snapshot-batches-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('any entries, any group and band sizes: the bytes of the record-by-record path', async (t) => {
  const entry = fc.record({
    value: fc.uint8Array({ maxLength: 300 }),
    offset: fc.integer({ min: 0, max: 2 ** 40 }),
    expireAtMs: fc.option(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { nil: undefined }),
  });
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.uniqueArray(entry, { selector: (e) => e.offset, minLength: 1, maxLength: 400, size: 'max' }),
      fc.integer({ min: 1, max: 4096 }),
      fc.integer({ min: 1, max: 64 }),
      async (raw, bandBytes, bandsPerGroup) => {
        // Keys in an order unrelated to the offsets, as a snapshot's are.
        const entries = raw.map((e, i) => ({ ...e, key: Buffer.from(`k${String((i * 7919) % 100000).padStart(6, '0')}`) })).sort((a, b) => Buffer.compare(a.key, b.key));
        const path = join(dir, `s${runs++}.snap`);
        writeFileSync(path, encodeSnapshot({ valueEncoding: ValueEncoding.Binary, nextOffset: 2 ** 41, createdMs: 9 }, entries));
        const table = readSnapshotTable(nodeFileIO, path);
        const got: Buffer[] = [];
        await encodeEntryBatches(table, offsetOrderOf(table.offset), 9, async (b) => void got.push(Buffer.from(b)), { bandBytes, groupBytes: bandBytes * bandsPerGroup });
        return Buffer.concat(got).equals(expected(entries, 9));
      },
    ),
    { numRuns: 60 },
  );
  t.pass(`${runs} snapshots`);
});

t.test('batches close at BATCH_TARGET: several batches, the same bytes with default sizes', async (t) => {
  const entries = Array.from({ length: 3000 }, (_, i) => ({ key: Buffer.from(`key${String(i).padStart(5, '0')}`), value: Buffer.alloc(1000, i), offset: ((i * 37) % 3000) * 3 }));
  const path = join(dir, 'big.snap');
  writeFileSync(path, encodeSnapshot({ valueEncoding: ValueEncoding.Binary, nextOffset: 9000, createdMs: 4 }, entries));
  const table = readSnapshotTable(nodeFileIO, path);
  const got: Buffer[] = [];
  await encodeEntryBatches(table, offsetOrderOf(table.offset), 4, async (b) => void got.push(Buffer.from(b)));
  t.ok(got.length >= 3, `${got.length} batches`);
  t.ok(Buffer.concat(got).equals(expected(entries, 4)), 'the same bytes');
});
