// kvtool verify's fast comparison of a hint with its segment, both held
// in memory: it only ever says "no problem", and at the first difference
// of any kind the caller runs the exact comparison (store-checks.ts),
// which names each problem.
//
// The hint is right when every entry names, by position, a record of the
// segment with its key and fields, no two entries name one record, and
// the records named are exactly the newest of each key. All of it is read
// front to back: the scan that checks the segment notes each record's
// position, offset and key hash (onRecord); the entries are copied into
// buckets by the part of the segment they name (1 MiB or more), so that
// each bucket is checked against a window of the segment that stays in
// the caches; the newest records are found by sorting the records' key
// hashes (a key with one record, nearly every one, is its own newest).
//
// Why not a table of keys: this machine is a VM where a miss in the TLB
// costs a page walk in two dimensions, and a key directory of the segment
// (the exact comparison) or a table of the hint's keys probed from the
// scan read memory at random, a few such misses a record: 350-700 ns a
// record at 1M keys, most of verify's time.

import type { CheckedHint } from '../../src/formats/hint-reader.js';
import { EXPIRY_SIZE, HINT_ENTRY_FIXED_SIZE, HINT_HEADER_SIZE, HINT_TRAILER_SIZE, Op, RECORD_FIXED_SIZE } from '../../src/formats/limits.js';
import type { RecordVisitor } from '../../src/formats/log-segment-reader.js';
import { hashKeyAt } from '../../src/log/key-directory.js';
import { orderByHash } from '../../src/log/hash-order.js';

const HAS_EXPIRY = 2;
/** Words per record in HintRecordMatch's table, and where each field is. */
const REC = 4;
const R_POSITION = 0;
const R_SIZE = 1;
const R_OFFSET_LOW = 2;
const R_OFFSET_HIGH = 3;
const TOMBSTONE = 1;
const TWO_32 = 0x100000000;
const MIN_BUCKET_BYTES = 1024 * 1024;
const MAX_BUCKETS = 256;
const MIN_RECORDS = 1024;
/** Keys of one hash past which the fast comparison gives up. */
const MAX_KEYS_OF_A_HASH = 64;

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

function entryLength(b: Uint8Array, at: number): number {
  return HINT_ENTRY_FIXED_SIZE + ((b[at]! & HAS_EXPIRY) !== 0 ? EXPIRY_SIZE : 0) + (b[at + 1]! | (b[at + 2]! << 8));
}

export class HintRecordMatch {
  readonly #hint: Uint8Array;
  readonly #entryCount: number;
  /** The segment's bytes, as the scan hands them to onRecord (one buffer: the segment in memory). */
  #segment: Uint8Array | undefined;
  #moreThanOneBuffer = false;
  #count = 0;
  /**
   * Each record's position, size and offset (low and high words), four
   * words side by side: the comparisons read them in hash order, at
   * random, and one cache line a record there beats three arrays (the
   * index comparison was ~85 ns a slot with three). Positions are u32: a
   * hint names positions below 4 GiB (a record past them: #farRecord).
   */
  #rec: Uint32Array;
  #farRecord = false;
  #hash: Uint32Array;
  /** After matches() said yes: the records in (hash, file order) and which ones the hint names (its entries, one each). */
  #matched: { rows: Uint32Array; hashes: Uint32Array; claimed: Uint8Array } | undefined;

  /** `hint`: the whole hint file checkHint() accepted as `checked`. */
  constructor(hint: Uint8Array, checked: CheckedHint) {
    this.#hint = hint;
    this.#entryCount = checked.entryCount;
    const n = Math.max(MIN_RECORDS, checked.entryCount);
    this.#rec = new Uint32Array(REC * n);
    this.#hash = new Uint32Array(n);
  }

  /** A scan's onRecord: notes each record (the scan of a segment in memory: the same buffer each time). */
  readonly onRecord: RecordVisitor = (_op, bytes, keyAt, keyLength, position, size, offset) => {
    if (this.#segment !== bytes) {
      if (this.#segment !== undefined) this.#moreThanOneBuffer = true;
      this.#segment = bytes;
    }
    if (this.#count === this.#hash.length) {
      this.#rec = grown(this.#rec);
      this.#hash = grown(this.#hash);
    }
    const i = this.#count++;
    if (position > 0xffffffff) this.#farRecord = true;
    const rec = this.#rec;
    const w = REC * i;
    rec[w + R_POSITION] = position;
    rec[w + R_SIZE] = size;
    rec[w + R_OFFSET_LOW] = offset % TWO_32;
    rec[w + R_OFFSET_HIGH] = Math.floor(offset / TWO_32);
    this.#hash[i] = hashKeyAt(bytes, keyAt, keyLength);
  };

  /**
   * After the scan: whether the hint says exactly what the segment says
   * (each key of the segment has one entry, which says what its newest
   * record says). false: not known, ask the exact comparison.
   */
  matches(): boolean {
    const segment = this.#segment;
    if (this.#moreThanOneBuffer || this.#farRecord || this.#entryCount === 0 || segment === undefined) return this.#entryCount === 0 && this.#count === 0;
    const claimed = new Uint8Array(this.#count);
    if (!this.#claimByPosition(segment, claimed)) return false;
    return this.#claimedAreNewest(segment, claimed);
  }

  /**
   * After matches() said yes: whether the index slots in `index` (the
   * whole file; `slotCount` slots from byte `slotsAt`, `slotSize` bytes
   * each, already checked) are exactly one per hint entry in (hash,
   * position) order with its hash, position, size and offset, as
   * SortedHint.slotsMatch() says. The entries are the records they name
   * (matches() compared every field), and the radix sort of the records'
   * hashes that found the newest ones has them in (hash, file order):
   * the claimed records in that order are the entries in the index's
   * order, with no sort of the hint of its own (~40 ms and a hash of
   * every entry at 500k keys). false: not known, ask the exact comparison.
   */
  slotsMatch(index: Uint8Array, slotsAt: number, slotCount: number, slotSize: number): boolean {
    const m = this.#matched;
    if (m === undefined || slotCount !== this.#entryCount) return false;
    const { rows, hashes, claimed } = m;
    const rec = this.#rec;
    let k = 0;
    for (let j = 0; j < rows.length; j++) {
      const r = rows[j]!;
      if (claimed[r] !== 1) continue;
      if (k === slotCount) return false;
      const s = slotsAt + k * slotSize;
      const w = REC * r;
      if (
        u32(index, s) !== hashes[j] ||
        u32(index, s + 4) !== rec[w + R_POSITION] ||
        u32(index, s + 8) !== rec[w + R_SIZE] ||
        u32(index, s + 12) !== rec[w + R_OFFSET_LOW] ||
        u32(index, s + 16) !== rec[w + R_OFFSET_HIGH]
      ) {
        return false;
      }
      k++;
    }
    return k === slotCount;
  }

  /** Marks the record each entry names; false when one names no record, another key or other fields, or a record already named. */
  #claimByPosition(segment: Uint8Array, claimed: Uint8Array): boolean {
    const hint = this.#hint;
    const end = hint.length - HINT_TRAILER_SIZE;
    const bucketBytes = Math.max(MIN_BUCKET_BYTES, Math.ceil(segment.length / MAX_BUCKETS));
    const buckets = Math.ceil(segment.length / bucketBytes) + 1;
    // Bytes of the entries of each bucket, then where each bucket's go.
    const starts = new Uint32Array(buckets + 1);
    for (let p = HINT_HEADER_SIZE; p < end; p += entryLength(hint, p)) starts[Math.min(buckets - 1, Math.floor(u32(hint, p + 11) / bucketBytes)) + 1]! += entryLength(hint, p);
    for (let b = 1; b <= buckets; b++) starts[b]! += starts[b - 1]!;
    // Entries are copied four bytes at a time, then their last bytes: a byte at a time, this copy was most of the comparison.
    const sorted = new Uint8Array(starts[buckets]!);
    const from = new DataView(hint.buffer, hint.byteOffset, hint.byteLength);
    const to = new DataView(sorted.buffer);
    const fill = starts.slice(0, buckets);
    for (let p = HINT_HEADER_SIZE; p < end; ) {
      const n = entryLength(hint, p);
      const b = Math.min(buckets - 1, Math.floor(u32(hint, p + 11) / bucketBytes));
      const at = fill[b]!;
      let j = 0;
      for (; j + 4 <= n; j += 4) to.setUint32(at + j, from.getUint32(p + j, true), true);
      for (; j < n; j++) sorted[at + j] = hint[p + j]!;
      fill[b] = at + n;
      p += n;
    }
    const rec = this.#rec;
    const count = this.#count;
    const table = new Int32Array(2 ** Math.ceil(Math.log2(2 * Math.max(16, maxBucket(starts)))));
    let firstRecord = 0;
    for (let b = 0; b < buckets; b++) {
      // The bucket's entries in a small table by position, then its records in file order, each looked up there:
      // the table and the entries stay in the caches, and the segment is read front to back.
      table.fill(-1);
      const mask = table.length - 1;
      let entries = 0;
      for (let e = starts[b]!; e < starts[b + 1]!; e += entryLength(sorted, e)) {
        let slot = slotOf(u32(sorted, e + 11), mask);
        while (table[slot] !== -1) slot = (slot + 1) & mask;
        table[slot] = e;
        entries++;
      }
      let claimedHere = 0;
      for (let r = firstRecord; r < count && rec[REC * r + R_POSITION]! < (b + 1) * bucketBytes; r++, firstRecord++) {
        const position = rec[REC * r + R_POSITION]!;
        for (let slot = slotOf(position, mask); table[slot] !== -1; slot = (slot + 1) & mask) {
          const e = table[slot]!;
          if (u32(sorted, e + 11) !== position) continue;
          if (!this.#entryIsRecord(sorted, e, segment, r)) return false;
          claimed[r] = 1;
          claimedHere++;
          break;
        }
      }
      // An entry that named no record, or a second entry for one record.
      if (claimedHere !== entries) return false;
    }
    return true;
  }

  /** Whether the entry at sorted[e] has the key, offset, size, tombstone and expiry of record `r`. */
  #entryIsRecord(sorted: Uint8Array, e: number, segment: Uint8Array, r: number): boolean {
    const at = this.#rec[REC * r + R_POSITION]!;
    const flags = sorted[e]!;
    const keyLength = sorted[e + 1]! | (sorted[e + 2]! << 8);
    const recordFlags = segment[at + 5]!;
    const recordKeyLength = segment[at + 10]! | (segment[at + 11]! << 8);
    const recordKeyAt = at + RECORD_FIXED_SIZE + (recordFlags === 1 ? EXPIRY_SIZE : 0);
    const recordSize = recordKeyAt - at + recordKeyLength + u32(segment, at + 12);
    if (
      keyLength !== recordKeyLength ||
      ((flags & TOMBSTONE) !== 0) !== (segment[at + 4] === Op.Delete) ||
      ((flags & HAS_EXPIRY) !== 0) !== (recordFlags === 1) ||
      u32(sorted, e + 3) !== this.#rec[REC * r + R_OFFSET_LOW] ||
      u32(sorted, e + 7) !== this.#rec[REC * r + R_OFFSET_HIGH] ||
      u32(sorted, e + 15) !== recordSize
    ) {
      return false;
    }
    let keyAt = e + HINT_ENTRY_FIXED_SIZE;
    if ((flags & HAS_EXPIRY) !== 0) {
      if (u32(sorted, keyAt) !== u32(segment, at + RECORD_FIXED_SIZE) || u32(sorted, keyAt + 4) !== u32(segment, at + RECORD_FIXED_SIZE + 4)) return false;
      keyAt += EXPIRY_SIZE;
    }
    for (let j = 0; j < keyLength; j++) if (sorted[keyAt + j] !== segment[recordKeyAt + j]) return false;
    return true;
  }

  /** Whether the records claimed are exactly the newest record of each key (its last in file order). */
  #claimedAreNewest(segment: Uint8Array, claimed: Uint8Array): boolean {
    const { rows, sorted } = orderByHash(this.#hash, this.#count);
    this.#matched = undefined;
    for (let from = 0; from < this.#count; ) {
      let to = from + 1;
      while (to < this.#count && sorted[to] === sorted[from]) to++;
      // One record of its hash: one of its key, its own newest.
      if (to - from === 1) {
        if (claimed[rows[from]!] !== 1) return false;
      } else if (!this.#runClaimsNewest(segment, rows.subarray(from, to), claimed)) {
        return false;
      }
      from = to;
    }
    this.#matched = { rows, hashes: sorted, claimed };
    return true;
  }

  /**
   * The records of one hash (in file order): several records of a key, or
   * keys that share a hash. Read from the last: a record is its key's
   * newest when no later one had its key.
   */
  #runClaimsNewest(segment: Uint8Array, run: Uint32Array, claimed: Uint8Array): boolean {
    const keys: number[] = [];
    for (let i = run.length - 1; i >= 0; i--) {
      const r = run[i]!;
      const newest = !keys.some((k) => this.#sameKey(segment, r, k));
      if ((claimed[r] === 1) !== newest) return false;
      if (newest) {
        // Keys made to collide: the exact comparison, not a quadratic pass here.
        if (keys.length === MAX_KEYS_OF_A_HASH) return false;
        keys.push(r);
      }
    }
    return true;
  }

  #sameKey(segment: Uint8Array, a: number, b: number): boolean {
    const pa = this.#rec[REC * a + R_POSITION]!;
    const pb = this.#rec[REC * b + R_POSITION]!;
    const n = segment[pa + 10]! | (segment[pa + 11]! << 8);
    if ((segment[pb + 10]! | (segment[pb + 11]! << 8)) !== n) return false;
    const ka = pa + RECORD_FIXED_SIZE + (segment[pa + 5] === 1 ? EXPIRY_SIZE : 0);
    const kb = pb + RECORD_FIXED_SIZE + (segment[pb + 5] === 1 ? EXPIRY_SIZE : 0);
    for (let j = 0; j < n; j++) if (segment[ka + j] !== segment[kb + j]) return false;
    return true;
  }
}

/** A position's slot in a table of `mask` + 1 slots (Fibonacci hashing: records' positions are regularly spaced). */
function slotOf(position: number, mask: number): number {
  return (Math.imul(position, 0x9e3779b1) >>> 0) & mask;
}

/** The most bytes of entries in one bucket, over the smallest entry: a bound on the entries of a bucket. */
function maxBucket(starts: Uint32Array): number {
  let most = 0;
  for (let b = 1; b < starts.length; b++) most = Math.max(most, starts[b]! - starts[b - 1]!);
  return Math.ceil(most / HINT_ENTRY_FIXED_SIZE);
}

function grown<T extends Float64Array | Uint32Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
