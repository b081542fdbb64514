// A stable order of rows by a 32-bit key hash, without comparisons: an
// LSD radix sort that moves rows and hashes together, 256 output streams
// a pass, so that 1M rows sort in a few ms and read memory front to back
// (Array.prototype.sort with a comparator took ~100 ms for 500k, in
// verify's profile of index-check.ts). Used by kvtool verify and by the
// hint and index made from a segment's records (segment-newest.ts).

/** Rows 0 .. n - 1 ordered by `hashes` (stable), and the hashes in that order: an LSD radix sort, 4 passes of 8 bits. */
export function orderByHash(hashes: Uint32Array, n: number): { rows: Uint32Array; sorted: Uint32Array } {
  let rows = new Uint32Array(n);
  let keys = hashes.slice(0, n);
  let rowsTo = new Uint32Array(n);
  let keysTo = new Uint32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  const counts = new Uint32Array(256);
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[(keys[i]! >>> shift) & 0xff]!++;
    // A pass where every row has the same byte moves nothing.
    if (n === 0 || counts[(keys[0]! >>> shift) & 0xff] === n) continue;
    let sum = 0;
    for (let b = 0; b < 256; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = keys[i]!;
      const to = counts[(k >>> shift) & 0xff]!++;
      rowsTo[to] = rows[i]!;
      keysTo[to] = k;
    }
    [rows, rowsTo] = [rowsTo, rows];
    [keys, keysTo] = [keysTo, keys];
  }
  return { rows, sorted: keys };
}

/** The first index of the ascending `sorted` whose value is not below `value` (sorted.length when none is). */
export function lowerBound(sorted: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
