// A segment that recovery read whole (it had no usable hint or index),
// served from the scan itself until its keys are in the key directory: the
// in-memory stand-in for its index file (segment-index.ts) and hint, so that
// a hint-less open defers its keys like any other (deferred-load.ts) instead
// of putting every record into the directory before the first get.
//
// It holds the segment's records (segment-newest.ts: ~32 bytes each, plus
// the key bytes) until the load has gone through it; recovery bounds how
// much of this it keeps (recovery.ts).

import type { HintEntryVisitor } from '../formats/hint-reader.js';
import type { IndexHeaderInfo } from '../formats/segment-index-reader.js';
import { type ChosenRecords, chooseNewest } from './recovery-scan.js';
import type { SegmentNewest } from './segment-newest.js';
import { lowerBound } from './hash-order.js';

export class ScannedIndex {
  readonly path: string;
  readonly header: IndexHeaderInfo;
  readonly tombstones: number;
  /** Key bytes of the chosen records. */
  readonly keyBytes: number;
  #records: SegmentNewest | undefined;
  /** Records that are their key's newest, in hash order, and their hashes. */
  readonly #chosen: Uint32Array;
  readonly #hashes: Uint32Array;

  /** `path`: the segment file (for messages); `chosen`: chooseNewest() of `records`, when the reading thread worked it out. */
  constructor(path: string, records: SegmentNewest, header: Omit<IndexHeaderInfo, 'slotCount'>, chosen?: ChosenRecords) {
    this.path = path;
    this.#records = records;
    const newest = chosen ?? chooseNewest(records);
    this.#chosen = newest.rows;
    this.#hashes = newest.hashes;
    this.tombstones = newest.tombstones;
    this.keyBytes = newest.keyBytes;
    this.header = { ...header, slotCount: newest.rows.length };
  }

  /** As IndexedSegment.find: each record of hash `hash` until `visit` returns true; whether one did. */
  find(hash: number, visit: (position: number, size: number, offset: number) => boolean): boolean {
    const hashes = this.#hashes;
    let hit = false;
    for (let j = lowerBound(hashes, hash); j < hashes.length && hashes[j] === hash && !hit; j++) {
      this.#records!.entry(this.#chosen[j]!, (_tombstone, _keys, _keyAt, _keyLength, offset, position, size) => {
        hit = visit(position, size, offset);
      });
    }
    return hit;
  }

  /** Visits entries [from, from + count) in hash order, as a hint's would come; returns where the next one is. */
  visit(from: number, count: number, visit: HintEntryVisitor): number {
    const end = Math.min(this.#chosen.length, from + count);
    for (let j = from; j < end; j++) this.#records!.entry(this.#chosen[j]!, visit);
    return end;
  }

  /** Bytes of memory it holds (recovery bounds what it keeps). */
  get memoryBytes(): number {
    return (this.#records?.memoryBytes ?? 0) + this.#chosen.byteLength + this.#hashes.byteLength;
  }

  get entries(): number {
    return this.#chosen.length;
  }

  /** Lets the records go (the load has gone through them, or the store closes). */
  close(): void {
    this.#records = undefined;
  }
}
