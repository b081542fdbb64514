// restore's offsetOrder(): a snapshot's entries (key order) put in offset
// order by a radix sort of offsets below 2^32, by packing offset and index
// into one float64 above that, or by a comparator sort when the offsets are
// too large to pack. Each must give the order a plain sort gives.

import fc from 'fast-check';
import t from 'tap';
import { offsetOrder } from '../../src/log/restore.js';

const expected = (offsets: number[]): number[] => offsets.map((o, i) => [o, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);

t.test('radix: offsets below 2^32, any count', async (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.nat(1_000_000), { maxLength: 3000, size: 'max' }), (offsets) => {
      const got = [...offsetOrder(offsets.map((offset) => ({ offset })))];
      return JSON.stringify(got) === JSON.stringify(expected(offsets));
    }),
    { numRuns: 100 },
  );
  t.pass('100 runs agree with a plain sort');
});

t.test('packed: offsets past 2^32 (with some below), any count', async (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.oneof(fc.integer({ min: 2 ** 32, max: 2 ** 40 }), fc.nat(1_000_000)), { minLength: 1, maxLength: 3000, size: 'max' }), (offsets) => {
      if (Math.max(...offsets) < 2 ** 32) offsets.push(2 ** 32);
      const got = [...offsetOrder(offsets.map((offset) => ({ offset })))];
      return JSON.stringify(got) === JSON.stringify(expected(offsets));
    }),
    { numRuns: 100 },
  );
  t.pass('100 runs agree with a plain sort');
});

t.test('offsets too large to pack fall back to a comparator sort', async (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.maxSafeNat(), { minLength: 1, maxLength: 500, size: 'max' }), (offsets) => {
      const got = [...offsetOrder(offsets.map((offset) => ({ offset })))];
      return JSON.stringify(got) === JSON.stringify(expected(offsets));
    }),
    { numRuns: 100 },
  );
  t.same([...offsetOrder([{ offset: 2 ** 52 }, { offset: 3 }, { offset: 2 ** 52 + 1 }])], [1, 0, 2], 'one near 2^53');
  t.same([...offsetOrder([])], [], 'none');
});
