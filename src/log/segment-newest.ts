// The newest record of each key in one segment, found by sorting the
// segment's records by key hash rather than by filling a hash table: the
// hint and index of a segment (segment-hint.ts) made from one scan of it.
//
// Why a sort: a table of 500k keys built in file order takes a cache miss
// or two per record (the profile of a hint-less open: ~550 ms in the key
// directory for 1M records, and as much again to walk it in hash order for
// the hint). A radix sort of the records' hashes (hash-order.ts) reads
// memory in sequence and gives hash order directly, which is the order both files
// are written in. Records of one key sit side by side after the sort, the
// newest last (the sort is stable and the scan goes in file order).
//
// Tombstones are kept like puts (a hint names the newest record of each
// key, whatever it is): only a cleaner may drop them.

import type { HintEntryVisitor } from '../formats/hint-reader.js';
import { HintBuilder, hintEntrySize } from '../formats/hint-writer.js';
import { Op } from '../formats/limits.js';
import { SegmentIndexBuilder } from '../formats/segment-index-writer.js';
import { orderByHash } from './hash-order.js';
import { hashKeyAt } from './key-directory.js';

export interface SegmentFilesHeader {
  segmentBaseOffset: number;
  segmentNextOffset: number;
  coveredLength: number;
  /** Where the segment's last batch starts (0: none), which the index names. */
  lastBatchPosition: number;
}

/** Words per record in SegmentNewest's table: one record is one half of a cache line, read at random in hash order. */
const WORDS = 8;
const W_POSITION = 0;
const W_SIZE = 1;
const W_KEY_AT = 2;
/** Key length in the low 16 bits; bit 16: tombstone; bit 17: has an expiry. */
const W_KEY = 3;
const W_OFFSET_LOW = 4;
const W_OFFSET_HIGH = 5;
const TOMBSTONE = 1 << 16;
const EXPIRES = 1 << 17;
const TWO_32 = 0x100000000;

/** A SegmentNewest as plain arrays, to move between threads (postMessage, the buffers transferred). */
export interface SegmentNewestParts {
  count: number;
  records: Uint32Array<ArrayBuffer>;
  hash: Uint32Array<ArrayBuffer>;
  keys: Uint8Array<ArrayBuffer>;
  keysUsed: number;
  /** [record, expiry] pairs of the records that have one. */
  expiries: Array<[number, number]>;
}

export class SegmentNewest {
  #n = 0;
  #records: Uint32Array;
  /** Apart from the records: the sort reads them in file order. */
  #hash: Uint32Array;
  #expire: Map<number, number> | undefined;
  /** Key bytes of every record, copied in scan order. */
  #keys = new Uint8Array(64 * 1024);
  #keysUsed = 0;

  /** `expected`: records the segment probably holds (a guess from its size saves growing on the way). */
  constructor(expected = 1024) {
    const n = Math.max(1024, Math.ceil(expected));
    this.#records = new Uint32Array(n * WORDS);
    this.#hash = new Uint32Array(n);
  }

  get records(): number {
    return this.#n;
  }

  /** Its arrays as they are (no copy: this object is not to be used after). */
  parts(): SegmentNewestParts {
    return {
      count: this.#n,
      records: this.#records as Uint32Array<ArrayBuffer>,
      hash: this.#hash as Uint32Array<ArrayBuffer>,
      keys: this.#keys as Uint8Array<ArrayBuffer>,
      keysUsed: this.#keysUsed,
      expiries: [...(this.#expire ?? [])],
    };
  }

  static fromParts(p: SegmentNewestParts): SegmentNewest {
    const s = new SegmentNewest(0);
    s.#n = p.count;
    s.#records = p.records;
    s.#hash = p.hash;
    s.#keys = p.keys;
    s.#keysUsed = p.keysUsed;
    if (p.expiries.length > 0) s.#expire = new Map(p.expiries);
    return s;
  }

  /** The transferable buffers of parts(). */
  static buffers(p: SegmentNewestParts): ArrayBuffer[] {
    return [p.records.buffer, p.hash.buffer, p.keys.buffer];
  }

  /** Notes a record, in file order: a scanSegment onRecord visitor. */
  readonly add = (op: Op, bytes: Uint8Array, keyAt: number, keyLength: number, position: number, size: number, offset: number, expireAtMs: number | undefined): void => {
    const i = this.#n;
    if (i === this.#hash.length) this.#grow();
    if (this.#keysUsed + keyLength > this.#keys.length) this.#growKeys(keyLength);
    const at = this.#keysUsed;
    const keys = this.#keys;
    for (let k = 0; k < keyLength; k++) keys[at + k] = bytes[keyAt + k]!;
    this.#keysUsed = at + keyLength;
    this.#hash[i] = hashKeyAt(keys, at, keyLength);
    const r = this.#records;
    const w = i * WORDS;
    r[w + W_POSITION] = position;
    r[w + W_SIZE] = size;
    r[w + W_KEY_AT] = at;
    r[w + W_OFFSET_LOW] = offset % TWO_32;
    r[w + W_OFFSET_HIGH] = Math.floor(offset / TWO_32);
    let key = keyLength | (op === Op.Delete ? TOMBSTONE : 0);
    if (expireAtMs !== undefined) {
      key |= EXPIRES;
      (this.#expire ??= new Map()).set(i, expireAtMs);
    }
    r[w + W_KEY] = key;
    this.#n = i + 1;
  };

  /** The records that are their key's newest in the segment, in ascending hash order, and their hashes. */
  newest(): { rows: Uint32Array; hashes: Uint32Array } {
    const { rows: sorted, sorted: hashes } = orderByHash(this.#hash, this.#n);
    const keep = new Uint32Array(this.#n);
    const keptHashes = new Uint32Array(this.#n);
    let kept = 0;
    for (let a = 0; a < sorted.length; ) {
      const h = hashes[a]!;
      let b = a + 1;
      while (b < sorted.length && hashes[b] === h) b++;
      const from = kept;
      if (b - a === 1) keep[kept++] = sorted[a]!;
      else kept = this.#keepNewestOfRun(sorted, a, b, keep, kept);
      keptHashes.fill(h, from, kept);
      a = b;
    }
    return { rows: keep.subarray(0, kept), hashes: keptHashes.subarray(0, kept) };
  }

  /**
   * Records sorted[a, b) share a hash: usually one key written several
   * times, rarely several keys. Keeps the last record of each key, the keys
   * in the order of their first record (a key directory's order for equal
   * hashes, which writeHint used before).
   */
  #keepNewestOfRun(sorted: Uint32Array, a: number, b: number, keep: Uint32Array, kept: number): number {
    const firsts: number[] = [];
    const lasts: number[] = [];
    for (let j = a; j < b; j++) {
      const i = sorted[j]!;
      const k = firsts.findIndex((f) => this.#sameKey(f, i));
      if (k < 0) {
        firsts.push(i);
        lasts.push(i);
      } else lasts[k] = i;
    }
    for (const i of lasts) keep[kept++] = i;
    return kept;
  }

  #sameKey(i: number, j: number): boolean {
    const r = this.#records;
    const n = r[i * WORDS + W_KEY]! & 0xffff;
    if ((r[j * WORDS + W_KEY]! & 0xffff) !== n) return false;
    const keys = this.#keys;
    const x = r[i * WORDS + W_KEY_AT]!;
    const y = r[j * WORDS + W_KEY_AT]!;
    for (let k = 0; k < n; k++) if (keys[x + k] !== keys[y + k]) return false;
    return true;
  }

  /** Of the records `chosen`: how many are tombstones, and their keys' bytes (one pass over the records in file order). */
  tally(chosen: Uint32Array): { tombstones: number; keyBytes: number } {
    const picked = new Uint8Array(this.#n);
    for (let j = 0; j < chosen.length; j++) picked[chosen[j]!] = 1;
    const r = this.#records;
    let tombstones = 0;
    let keyBytes = 0;
    for (let i = 0; i < this.#n; i++) {
      if (picked[i] === 0) continue;
      const key = r[i * WORDS + W_KEY]!;
      keyBytes += key & 0xffff;
      if ((key & TOMBSTONE) !== 0) tombstones++;
    }
    return { tombstones, keyBytes };
  }

  /** Record `i` as a hint entry: `visit` reads the key from keys[keyAt, keyAt + keyLength) during the call only. */
  entry(i: number, visit: HintEntryVisitor): void {
    const r = this.#records;
    const w = i * WORDS;
    const key = r[w + W_KEY]!;
    const offset = r[w + W_OFFSET_HIGH]! * TWO_32 + r[w + W_OFFSET_LOW]!;
    visit((key & TOMBSTONE) !== 0, this.#keys, r[w + W_KEY_AT]!, key & 0xffff, offset, r[w + W_POSITION]!, r[w + W_SIZE]!, (key & EXPIRES) !== 0 ? this.#expire!.get(i) : undefined);
  }

  /** Bytes held, for callers that bound how many scans they keep. */
  get memoryBytes(): number {
    return this.#records.byteLength + this.#hash.byteLength + this.#keys.byteLength;
  }

  /** The segment's hint (formats/hint.ksy) and index (formats/segment_index.ksy), from the records `newest()` chose. */
  files(header: SegmentFilesHeader, chosen: Uint32Array = this.newest().rows): { hint: Buffer; index: Buffer } {
    const r = this.#records;
    let entryBytes = 0;
    for (let j = 0; j < chosen.length; j++) {
      const key = r[chosen[j]! * WORDS + W_KEY]!;
      entryBytes += hintEntrySize(key & 0xffff, (key & EXPIRES) !== 0);
    }
    const hint = new HintBuilder(header, chosen.length, entryBytes);
    const index = new SegmentIndexBuilder(header, chosen.length);
    const keys = this.#keys;
    const hash = this.#hash;
    for (let j = 0; j < chosen.length; j++) {
      const i = chosen[j]!;
      const w = i * WORDS;
      const key = r[w + W_KEY]!;
      const offset = r[w + W_OFFSET_HIGH]! * TWO_32 + r[w + W_OFFSET_LOW]!;
      const position = r[w + W_POSITION]!;
      const size = r[w + W_SIZE]!;
      hint.add((key & TOMBSTONE) !== 0, keys, r[w + W_KEY_AT]!, key & 0xffff, offset, position, size, (key & EXPIRES) !== 0 ? this.#expire!.get(i) : undefined);
      index.add(hash[i]!, position, size, offset);
    }
    return { hint: hint.finish(), index: index.finish() };
  }

  #grow(): void {
    const records = new Uint32Array(this.#records.length * 2);
    records.set(this.#records);
    this.#records = records;
    const hash = new Uint32Array(this.#hash.length * 2);
    hash.set(this.#hash);
    this.#hash = hash;
  }

  #growKeys(more: number): void {
    const grown = new Uint8Array(Math.max(2 * this.#keys.length, this.#keysUsed + more));
    grown.set(this.#keys.subarray(0, this.#keysUsed));
    this.#keys = grown;
  }
}
