// Ascending unsigned byte order of keys held in a key arena ([u16 LE
// length][bytes] each, key-directory.ts): the order a snapshot lists its
// entries in. Pure computation on typed arrays, so it can run in the
// background worker (background-files.ts) on copies of the arena.

/**
 * Positions 0..offsets.length-1 sorted by the key that starts at
 * arena[offsets[i]]. Compares the first 4 key bytes as one number first
 * (enough for keys that look random), then byte by byte.
 */
export function sortByKey(arena: Uint8Array, offsets: Uint32Array): Uint32Array<ArrayBuffer> {
  const n = offsets.length;
  const prefix = new Float64Array(n);
  for (let i = 0; i < n; i++) prefix[i] = prefixOf(arena, offsets[i]!);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => prefix[a]! - prefix[b]! || compareKeys(arena, offsets[a]!, offsets[b]!));
  return Uint32Array.from(order);
}

/**
 * The first 4 bytes of the key as a number in [0, 2^32], a shorter key
 * below every longer one sharing its bytes: each byte is counted 1..256,
 * 0 standing for "no more bytes".
 */
function prefixOf(arena: Uint8Array, at: number): number {
  const length = arena[at]! | (arena[at + 1]! << 8);
  let p = 0;
  for (let i = 0; i < 4; i++) p = p * 257 + (i < length ? arena[at + 2 + i]! + 1 : 0);
  return p;
}

function compareKeys(arena: Uint8Array, a: number, b: number): number {
  const la = arena[a]! | (arena[a + 1]! << 8);
  const lb = arena[b]! | (arena[b + 1]! << 8);
  const n = Math.min(la, lb);
  for (let i = 0; i < n; i++) {
    const d = arena[a + 2 + i]! - arena[b + 2 + i]!;
    if (d !== 0) return d;
  }
  return la - lb;
}
