// A checked hint held in memory, its entries in (key hash, position)
// order, the order of its index's slots: what kvtool verify's fast
// comparison of an index with its hint walks (slotsMatch), both files
// front to back. It only ever says "no problem": at the first difference
// of any kind the caller runs the exact comparison (index-check.ts),
// which names each problem, sorting the entries with a comparator and
// reading the index a window at a time (~350 ms of a 1M-key verify).

import type { CheckedHint } from '../../src/formats/hint-reader.js';
import { EXPIRY_SIZE, HINT_ENTRY_FIXED_SIZE, HINT_HEADER_SIZE, HINT_TRAILER_SIZE } from '../../src/formats/limits.js';
import { hashKeyAt } from '../../src/log/key-directory.js';
import { orderByHash } from '../../src/log/hash-order.js';

const HAS_EXPIRY = 2;
/** Entries of one hash past which the fast comparison gives up (keys made to collide: the exact comparison, not a quadratic pass here). */
const MAX_RUN = 64;

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

function keyAtOf(b: Uint8Array, entry: number): number {
  return entry + HINT_ENTRY_FIXED_SIZE + ((b[entry]! & HAS_EXPIRY) !== 0 ? EXPIRY_SIZE : 0);
}

export class SortedHint {
  readonly count: number;
  readonly #bytes: Uint8Array;
  /** Entry hashes in (hash, position) order, and where each entry starts in the hint. */
  readonly #hash: Uint32Array;
  readonly #at: Uint32Array;
  /** Two entries of one hash at one position, or too many of one hash: the fast comparison gives up. */
  readonly #ambiguous: boolean;
  /** `bytes`: the whole hint file that checkHint() accepted as `hint`. */
  constructor(bytes: Uint8Array, hint: CheckedHint) {
    this.#bytes = bytes;
    const n = hint.entryCount;
    this.count = n;
    const hashes = new Uint32Array(n);
    const starts = new Uint32Array(n);
    const end = bytes.length - HINT_TRAILER_SIZE;
    let i = 0;
    for (let p = HINT_HEADER_SIZE; p < end && i < n; i++) {
      const keyAt = keyAtOf(bytes, p);
      const keyLength = bytes[p + 1]! | (bytes[p + 2]! << 8);
      hashes[i] = hashKeyAt(bytes, keyAt, keyLength);
      starts[i] = p;
      p = keyAt + keyLength;
    }
    const { rows, sorted } = orderByHash(hashes, n);
    this.#hash = sorted;
    // Nearly in order already: a hint is written in hash order.
    this.#at = new Uint32Array(n);
    for (let k = 0; k < n; k++) this.#at[k] = starts[rows[k]!]!;
    this.#ambiguous = !this.#orderRuns();
  }

  /**
   * Orders each run of entries that share a hash by position, as the
   * index is ordered (a few dozen runs of two at 1M keys: a 32-bit hash
   * has birthdays). false: two entries of a run have one position (which
   * of them a slot stands for is the exact comparison's to say), or the
   * run is too long.
   */
  #orderRuns(): boolean {
    const b = this.#bytes;
    const hash = this.#hash;
    const at = this.#at;
    const positionOf = (k: number) => u32(b, at[k]! + 11);
    for (let from = 0; from < this.count; ) {
      let to = from + 1;
      while (to < this.count && hash[to] === hash[from]) to++;
      if (to - from > MAX_RUN) return false;
      for (let i = from + 1; i < to; i++) {
        for (let j = i; j > from && positionOf(j - 1) > positionOf(j); j--) [at[j - 1], at[j]] = [at[j]!, at[j - 1]!];
      }
      for (let i = from + 1; i < to; i++) if (positionOf(i - 1) === positionOf(i)) return false;
      from = to;
    }
    return true;
  }

  /**
   * Whether the index slots in `index` (the whole file; `slotCount` slots
   * from byte `slotsAt`, `slotSize` bytes each, already checked) are
   * exactly one per entry in (hash, position) order, each with its
   * entry's hash, position, size and offset. false: not known, ask the
   * exact comparison.
   */
  slotsMatch(index: Uint8Array, slotsAt: number, slotCount: number, slotSize: number): boolean {
    if (this.#ambiguous || slotCount !== this.count) return false;
    const b = this.#bytes;
    for (let k = 0; k < slotCount; k++) {
      const s = slotsAt + k * slotSize;
      const e = this.#at[k]!;
      if (
        u32(index, s) !== this.#hash[k] ||
        u32(index, s + 4) !== u32(b, e + 11) ||
        u32(index, s + 8) !== u32(b, e + 15) ||
        u32(index, s + 12) !== u32(b, e + 3) ||
        u32(index, s + 16) !== u32(b, e + 7)
      ) {
        return false;
      }
    }
    return true;
  }
}
