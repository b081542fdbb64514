// The order the cleaner reads a segment's live records in: by position,
// found from their key directory entries (cleaner.ts, directoryCandidates).

import type { KeyDirectory } from './key-directory.js';
import { orderByHash } from './hash-order.js';

/** Up to this many entries are ordered by the engine's own sort of packed numbers; more, by a radix sort. */
const NATIVE_SORT_MAX = 1 << 16;

/**
 * Entries `ids` (of one segment) ordered by their records' positions, and
 * those positions. A few (the live records of a mostly dead segment: 10k
 * of a 66 MB segment overwritten 50 times) are packed as position * 2^16 +
 * index into doubles, exact below 2^53, and sorted by TypedArray#sort: no
 * JavaScript runs per comparison, and a run's first call does not wait for
 * a loop to be compiled. More go through a radix sort (positions are u32:
 * a comparator sort of a million took ~100 ms).
 */
export function byPosition(d: Pick<KeyDirectory, 'positionOf'>, ids: Uint32Array): { positions: Uint32Array; ids: Uint32Array } {
  const n = ids.length;
  const positions = new Uint32Array(n);
  const ordered = new Uint32Array(n);
  if (n <= NATIVE_SORT_MAX) {
    const packed = new Float64Array(n);
    for (let i = 0; i < n; i++) packed[i] = d.positionOf(ids[i]!) * NATIVE_SORT_MAX + i;
    packed.sort();
    for (let i = 0; i < n; i++) {
      const v = packed[i]!;
      const row = v % NATIVE_SORT_MAX;
      positions[i] = (v - row) / NATIVE_SORT_MAX;
      ordered[i] = ids[row]!;
    }
    return { positions, ids: ordered };
  }
  for (let i = 0; i < n; i++) positions[i] = d.positionOf(ids[i]!);
  const { rows, sorted } = orderByHash(positions, n);
  for (let i = 0; i < n; i++) ordered[i] = ids[rows[i]!]!;
  return { positions: sorted, ids: ordered };
}
