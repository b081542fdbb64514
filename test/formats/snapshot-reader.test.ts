// scanSnapshot reads entries in place once a walk of the chunk finds them
// well formed, and hands any chunk it does not to the generated parser. A
// chunk whose CRC matches but whose entries break the format (a writer's
// bug, a crafted file) must still be an error, never entries.

import { createHash } from 'node:crypto';
import t from 'tap';
import { crc32c } from '../../src/checksum/crc32c.js';
import { CHUNK_FRAME_SIZE, SHA256_SIZE, SNAPSHOT_HEADER_SIZE, ValueEncoding } from '../../src/formats/limits.js';
import { readSnapshot } from '../../src/formats/snapshot-reader.js';
import { encodeSnapshot } from '../../src/formats/snapshot-writer.js';

const entries = [
  { key: Buffer.from('a'), value: Buffer.from('one'), offset: 1 },
  { key: Buffer.from('b'), value: Buffer.from('two'), offset: 2, expireAtMs: 99 },
  { key: Buffer.from('c'), value: Buffer.from('three'), offset: 3 },
];
const good = encodeSnapshot({ valueEncoding: ValueEncoding.Binary, nextOffset: 4, createdMs: 5 }, entries);
const BODY = SNAPSHOT_HEADER_SIZE + CHUNK_FRAME_SIZE;
const bodyLength = good.readUInt32LE(SNAPSHOT_HEADER_SIZE + 4);

/** `good` with its one chunk's body changed by `edit`, its CRC and the SHA-256 trailer made to match again. */
function resealed(edit: (bytes: Buffer) => void): Buffer {
  const b = Buffer.from(good);
  edit(b);
  b.writeUInt32LE(crc32c(b.subarray(BODY, BODY + bodyLength)), SNAPSHOT_HEADER_SIZE + 8);
  createHash('sha256').update(b.subarray(0, b.length - SHA256_SIZE)).digest().copy(b, b.length - SHA256_SIZE);
  return b;
}

t.test('the in-place read gives what was written', async (t) => {
  const got = readSnapshot(good).entries.map((e) => ({ key: Buffer.from(e.key), value: Buffer.from(e.value), offset: e.offset, expireAtMs: e.expireAtMs }));
  t.same(got, entries.map((e) => ({ expireAtMs: undefined, ...e })));
});

t.test('entries that break the format under a matching CRC are an error (as the generated parser says: CORRUPT, or TRUNCATED for a length past the chunk)', async (t) => {
  const second = BODY + 15 + 1 + 3;
  const cases: Array<[string, (b: Buffer) => void]> = [
    ['unknown flags', (b) => (b[BODY] = 2)],
    ['a value past 256 MiB', (b) => b.writeUInt32LE(0x10000001, BODY + 3)],
    ['an offset past 2^53', (b) => b.writeUInt32LE(0x200000, BODY + 7 + 4)],
    ['an expiry past 2^53', (b) => b.writeUInt32LE(0x200000, second + 15 + 4)],
    ['a key running past the chunk', (b) => b.writeUInt16LE(1000, BODY + 1)],
    ['entries short of the chunk', (b) => b.writeUInt32LE(2, SNAPSHOT_HEADER_SIZE)],
    ['more entries than fit', (b) => b.writeUInt32LE(4, SNAPSHOT_HEADER_SIZE)],
    ['a count over the format maximum', (b) => b.writeUInt32LE(16_777_217, SNAPSHOT_HEADER_SIZE)],
    ['keys out of order', (b) => (b[second + 15 + 8] = 'a'.charCodeAt(0))],
  ];
  for (const [what, edit] of cases) {
    const bytes = resealed(edit);
    let code: unknown;
    try {
      readSnapshot(bytes);
    } catch (e) {
      code = (e as { code?: unknown }).code;
    }
    t.ok(code === 'CORRUPT' || code === 'TRUNCATED', `${what}: ${String(code)}`);
  }
});
