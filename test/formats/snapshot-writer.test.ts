// SnapshotWriter encodes entries straight into its chunk buffer: what a
// caller passes may be a view it reuses for the next entry, and an entry
// refused half-way (an offset out of range) must leave no byte behind.

import t from 'tap';
import { encodeSnapshot, SnapshotWriter } from '../../src/formats/snapshot-writer.js';
import { readSnapshot } from '../../src/formats/snapshot-reader.js';
import { BATCH_FRAME_SIZE, BATCH_HEADER_SIZE, Op, ValueEncoding } from '../../src/formats/limits.js';
import { encodeBatch } from '../../src/formats/log-segment-writer.js';

const header = { valueEncoding: ValueEncoding.Binary, nextOffset: 5000, createdMs: 7 };
const entries = Array.from({ length: 3000 }, (_, i) => ({
  key: Buffer.from(`key${String(i).padStart(6, '0')}`),
  value: Buffer.alloc(i % 97, i % 251),
  offset: i,
  expireAtMs: i % 3 === 0 ? 1_000_000 + i : undefined,
}));

function written(add: (w: SnapshotWriter) => void): Buffer {
  const parts: Buffer[] = [];
  const w = new SnapshotWriter({ ...header, entryCount: entries.length }, (b) => parts.push(Buffer.from(b)));
  add(w);
  w.finish();
  return Buffer.concat(parts);
}

t.test('entries passed as views of one reused buffer give the bytes of entries of their own', async (t) => {
  const expected = encodeSnapshot(header, entries);
  const scratch = Buffer.alloc(256);
  const bytes = written((w) => {
    for (const e of entries) {
      e.key.copy(scratch, 0);
      e.value.copy(scratch, e.key.length);
      w.add({ ...e, key: scratch.subarray(0, e.key.length), value: scratch.subarray(e.key.length, e.key.length + e.value.length) });
      scratch.fill(0xee);
    }
  });
  t.ok(bytes.equals(expected), 'the same file, byte for byte');
  t.equal(readSnapshot(bytes).entries.length, entries.length, 'and it reads back whole');
});

t.test('an entry refused half-way (bad offset) leaves nothing in the file', async (t) => {
  const expected = encodeSnapshot(header, entries);
  const bytes = written((w) => {
    for (const [i, e] of entries.entries()) {
      if (i === 1500) t.throws(() => w.add({ ...e, key: Buffer.from('key001500x'), offset: -1 }), { code: 'INVALID_ARGUMENT' });
      if (i === 2000) t.throws(() => w.add({ ...e, key: Buffer.from('key002000x'), expireAtMs: 2 ** 60 }), { code: 'INVALID_ARGUMENT' });
      w.add(e);
    }
  });
  t.ok(bytes.equals(expected), 'the same file as without the refused entries');
  const w = new SnapshotWriter({ ...header, entryCount: 2 }, () => undefined);
  w.add(entries[5]!);
  t.throws(() => w.add(entries[4]!), { code: 'INVALID_ARGUMENT' }, 'keys must still ascend');
});

t.test('addRecord: entries taken from log records give the bytes add() gives, and anything but a whole put record is refused', async (t) => {
  const expected = encodeSnapshot(header, entries);
  const bytes = written((w) => {
    for (const e of entries) {
      // A record among other bytes, as a read of a log window holds it.
      const batch = encodeBatch({ baseOffset: 0, timestampMs: 1, records: [{ op: Op.Put, offsetDelta: 0, key: e.key, value: e.value, expireAtMs: e.expireAtMs }] });
      const at = BATCH_FRAME_SIZE + BATCH_HEADER_SIZE;
      const framed = Buffer.concat([Buffer.alloc(3, 0xee), batch, Buffer.alloc(5, 0xee)]);
      t.equal(w.addRecord(framed, 3 + at, batch.length - at, e.offset), true);
    }
  });
  t.ok(bytes.equals(expected), 'the same file, byte for byte');

  const record = (r: { op: Op; key: string; value: string; expireAtMs?: number }) => {
    const b = encodeBatch({ baseOffset: 0, timestampMs: 1, records: [{ offsetDelta: 0, key: Buffer.from(r.key), value: Buffer.from(r.value), op: r.op, expireAtMs: r.expireAtMs }] });
    return b.subarray(BATCH_FRAME_SIZE + BATCH_HEADER_SIZE);
  };
  const w = new SnapshotWriter({ ...header, entryCount: 1 }, () => undefined);
  t.equal(w.addRecord(record({ op: Op.Delete, key: 'a', value: '' }), 0, 16 + 1, 1), false, 'a delete');
  const put = record({ op: Op.Put, key: 'b', value: 'vv' });
  t.equal(w.addRecord(put, 0, put.length - 1, 1), false, 'a size the lengths do not fill');
  t.equal(w.addRecord(put, 1, put.length, 1), false, 'past the end of the bytes');
  const badFlags = Buffer.from(put);
  badFlags[5] = 2;
  t.equal(w.addRecord(badFlags, 0, put.length, 1), false, 'unknown flags');
  const farExpiry = record({ op: Op.Put, key: 'c', value: 'v', expireAtMs: 5 });
  farExpiry.writeUInt32LE(0x200000, 16 + 4);
  t.equal(w.addRecord(farExpiry, 0, farExpiry.length, 1), false, 'an expiry past 2^53');
  t.throws(() => w.addRecord(put, 0, put.length, -1), { code: 'INVALID_ARGUMENT' }, 'a bad offset');
  t.equal(w.addRecord(put, 0, put.length, 3), true, 'then the put itself');
  t.throws(() => w.addRecord(put, 0, put.length, 4), { code: 'INVALID_ARGUMENT' }, 'the same key again');
  w.finish();
});
