// The fold of record CRCs (crc32c-fold.ts) gives the batch CRC exactly
// when every record's stored CRC is the CRC of its bytes, and tells a
// batch with any one wrong record CRC, whatever the bit.

import fc from 'fast-check';
import t from 'tap';
import { crc32cJs } from '../../src/checksum/crc32c-js.js';
import { crcOfRegister, crcOfSelfCheckedBlocks, foldRecord, registerOf, shiftTable } from '../../src/checksum/crc32c-fold.js';

/** A record as the log stores it: the CRC-32C of the bytes after it, little-endian, then those bytes. */
function record(bytes: Uint8Array, flip: number): Buffer {
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE((crc32cJs(bytes) ^ flip) >>> 0);
  return Buffer.concat([crc, bytes]);
}

/** What the fold says the batch CRC is, from the header's CRC and each record's stored CRC and length; undefined when a length has no table. */
function folded(header: Uint8Array, records: Buffer[]): number | undefined {
  let s = registerOf(crc32cJs(header));
  for (const r of records) {
    const shift = shiftTable(r.length - 4);
    if (shift === undefined) return undefined;
    s = foldRecord(s, r.readUInt32LE(0), shift);
  }
  return crcOfRegister(s);
}

// Lengths from a small set, so that every one of them gets a table (64 are kept).
const length = fc.constantFrom(0, 1, 3, 12, 100, 116, 1000, 70_000);

t.test('right record CRCs fold to the batch CRC', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 26, maxLength: 26 }), fc.array(length, { minLength: 1, maxLength: 12 }), fc.integer(), (header, lengths, seed) => {
      const records = lengths.map((n, i) => record(Uint8Array.from({ length: n }, (_, k) => (seed * 31 + i * 7 + k * 13) & 0xff), 0));
      return folded(header, records) === crc32cJs(Buffer.concat([header, ...records]));
    }),
    { numRuns: 300 },
  );
});

t.test('one wrong record CRC, any bits of it, never folds to the batch CRC', async (t) => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 26, maxLength: 26 }),
      fc.array(length, { minLength: 1, maxLength: 12 }),
      fc.nat(),
      fc.integer({ min: 1, max: 0xffffffff }),
      (header, lengths, which, flip) => {
        const wrong = which % lengths.length;
        const records = lengths.map((n, i) => record(Uint8Array.from({ length: n }, (_, k) => (i * 7 + k * 13) & 0xff), i === wrong ? flip : 0));
        return folded(header, records) !== crc32cJs(Buffer.concat([header, ...records]));
      },
    ),
    { numRuns: 500 },
  );
});

t.test('tables are kept for the first 64 lengths met, and no more', async (t) => {
  let made = 0;
  for (let n = 200_000; n < 200_200 && shiftTable(n) !== undefined; n++) made++;
  t.ok(made > 0 && made <= 64, `${made} more tables`);
  t.equal(shiftTable(12), shiftTable(12), 'a kept table is the same table');
});

t.test('blocks followed by their own CRC: the CRC of them all is a constant of their count when every block CRC is right', async (t) => {
  const block = (data: Uint8Array, flip: number) => {
    const crc = Buffer.alloc(4);
    crc.writeUInt32LE((crc32cJs(data) ^ flip) >>> 0);
    return Buffer.concat([data, crc]);
  };
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ minLength: 20, maxLength: 20 }), { minLength: 0, maxLength: 40 }), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (datas, which, flip) => {
      const blocks = datas.map((d, k) => block(d, datas.length > 0 && k === which % datas.length ? flip : 0));
      const all = crc32cJs(Buffer.concat(blocks));
      return (all === crcOfSelfCheckedBlocks(datas.length, 20)) === (flip === 0 || datas.length === 0);
    }),
    { numRuns: 500 },
  );
});
