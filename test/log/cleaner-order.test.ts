// byPosition(): entries ordered by their records' positions, by the packed
// sort for a few and the radix sort for many, the same order either way.

import fc from 'fast-check';
import t from 'tap';
import { byPosition } from '../../src/log/cleaner-order.js';

function check(positions: number[]): { positions: number[]; ids: number[] } {
  // Entry ids are arbitrary u32s; the fake directory maps each to its position.
  const ids = Uint32Array.from(positions, (_, i) => i * 7 + 3);
  const at = new Map([...ids].map((id, i) => [id, positions[i]!]));
  const r = byPosition({ positionOf: (id) => at.get(id)! }, ids);
  return { positions: [...r.positions], ids: [...r.ids] };
}

t.test('few and many entries come out ordered by position, each with its own id', async (t) => {
  for (const n of [0, 1, 1000, (1 << 16) + 5]) {
    // Distinct positions (a segment's records never share one), up to the u32 range.
    const positions = [...new Set(Array.from({ length: n * 2 }, () => Math.floor(Math.random() * 0xffffffff)))].slice(0, n);
    const r = check(positions);
    const want = positions.map((p, i) => [p, i * 7 + 3] as const).sort((a, b) => a[0] - b[0]);
    t.same(r.positions, want.map((w) => w[0]), `${n} entries: positions ascending`);
    t.same(r.ids, want.map((w) => w[1]), `${n} entries: each id beside its position`);
  }
});

t.test('property: the packed sort agrees with a plain sort', async (t) => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.nat({ max: 0xffffffff }), { maxLength: 300, size: 'max' }), (positions) => {
      const r = check(positions);
      const want = positions.map((p, i) => [p, i * 7 + 3] as const).sort((a, b) => a[0] - b[0]);
      return JSON.stringify(r) === JSON.stringify({ positions: want.map((w) => w[0]), ids: want.map((w) => w[1]) });
    }),
  );
  t.pass('agrees');
});
