// SnapshotWriter encodes entries straight into its chunk buffer: what a
// caller passes may be a view it reuses for the next entry, and an entry
// refused half-way (an offset out of range) must leave no byte behind.

import t from 'tap';
import { encodeSnapshot, SnapshotWriter } from '../../src/formats/snapshot-writer.js';
import { readSnapshot } from '../../src/formats/snapshot-reader.js';
import { ValueEncoding } from '../../src/formats/limits.js';

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
