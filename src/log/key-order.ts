// Ascending unsigned byte order of keys held in a key arena ([u16 LE
// length][bytes] each, key-directory.ts): the order a snapshot lists its
// entries in. Pure computation on typed arrays, so it can run in the
// background worker (background-files.ts) on copies of the arena.
//
// The sort is the ordered index's (ordered-index.ts): an LSD radix sort of
// every key's first 4 bytes, then each run of keys equal so far by the next
// 4 bytes, and so on (MSD order). A comparator sort (Array#sort over a
// prefix, then bytes) took 600-700 ms at 1M keys sharing their first bytes
// (the bench's), this ~100 ms: no closure call per compare, no boxed array.

import { pushRuns, radixSort } from './ordered-index.js';

/** Positions 0..offsets.length-1 sorted by the key that starts at arena[offsets[i]]. */
export function sortByKey(arena: Uint8Array, offsets: Uint32Array): Uint32Array<ArrayBuffer> {
  const n = offsets.length;
  const order = new Int32Array(n);
  const q = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = i;
    q[i] = prefixAt(arena, offsets[i]!, 0);
  }
  radixSort(order, q);
  // Work list of runs [start, end) equal in their first `depth` bytes (zero-padded).
  const work: number[] = [];
  pushRuns(work, q, 0, n, 4);
  while (work.length > 0) {
    const depth = work.pop()!;
    const end = work.pop()!;
    const start = work.pop()!;
    const run = order.subarray(start, end);
    const rq = q.subarray(0, end - start);
    let maxLength = 0;
    for (let i = 0; i < run.length; i++) {
      const at = offsets[run[i]!]!;
      rq[i] = prefixAt(arena, at, depth);
      maxLength = Math.max(maxLength, lengthAt(arena, at));
    }
    if (maxLength <= depth) {
      // Equal up to their ends: the shorter key first (a directory holds no key twice).
      for (let i = 0; i < run.length; i++) rq[i] = lengthAt(arena, offsets[run[i]!]!) ^ 0x80000000;
      radixSort(run, rq);
    } else {
      radixSort(run, rq);
      pushRuns(work, rq, start, end, depth + 4);
    }
  }
  return new Uint32Array(order.buffer);
}

function lengthAt(arena: Uint8Array, at: number): number {
  return arena[at]! | (arena[at + 1]! << 8);
}

/** Bytes [depth, depth+4) of the key at arena[at], zero-padded, big-endian, sign bit flipped: signed int32 order is byte order. */
function prefixAt(arena: Uint8Array, at: number, depth: number): number {
  const length = lengthAt(arena, at);
  const s = at + 2 + depth;
  if (length >= depth + 4) return ((arena[s]! << 24) | (arena[s + 1]! << 16) | (arena[s + 2]! << 8) | arena[s + 3]!) ^ 0x80000000;
  let p = 0;
  for (let i = 0; depth + i < length; i++) p |= arena[s + i]! << (24 - 8 * i);
  return p ^ 0x80000000;
}
