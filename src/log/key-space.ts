// The key directory (hash, for gets), the ordered index (for ranges) and
// the live bytes per segment (for the log cleaner), kept in step. The directory may compact itself inside delete(), renumbering
// entries; the index is renumbered once afterwards (remapIds), because moving
// ids one at a time would meet ids the directory has already reused.

import { KeyDirectory } from './key-directory.js';
import type { RecoveryTarget } from './recovery.js';
import { OrderedIndex, type RangeIterator, type RangeOptions } from './ordered-index.js';
import { SegmentUsage } from './segment-usage.js';

export class KeySpace {
  readonly directory: KeyDirectory;
  readonly usage = new SegmentUsage();
  readonly #order: OrderedIndex;
  #moves: Map<number, number> | undefined;

  constructor() {
    this.directory = new KeyDirectory(1024, { onMove: (from, to) => (this.#moves ??= new Map()).set(from, to) });
    this.#order = new OrderedIndex((id) => this.directory.keyOf(id));
  }

  set(key: Uint8Array, segment: number, position: number, size: number, offset: number, expireAtMs: number | undefined): void {
    this.setAt(key, 0, key.length, segment, position, size, offset, expireAtMs);
  }

  /** set() of the key bytes[keyAt, keyAt + keyLength), copied (recovery feeds keys straight from file buffers). */
  setAt(bytes: Uint8Array, keyAt: number, keyLength: number, segment: number, position: number, size: number, offset: number, expireAtMs: number | undefined): void {
    const d = this.directory;
    // One hash lookup: set() says what it replaced.
    const id = d.setAt(bytes, keyAt, keyLength, segment, position, size, offset, expireAtMs);
    if (d.replacedSegment >= 0) this.usage.remove(d.replacedSegment, d.replacedSize);
    else this.#order.insert(id);
    this.usage.add(segment, size);
  }

  /** Room for `entries` more keys of `keyBytes` bytes in all, made in one step (KeyDirectory.reserve). */
  reserve(entries: number, keyBytes: number): void {
    this.directory.reserve(entries, keyBytes);
  }

  /**
   * Moves `key` to a rewritten copy of its record, if the directory still
   * points at the original (a write since then wins); returns whether it did.
   */
  relocate(key: Uint8Array, from: { segment: number; position: number }, segment: number, position: number): boolean {
    const d = this.directory;
    const id = d.lookup(key);
    if (id < 0 || d.segmentOf(id) !== from.segment || d.positionOf(id) !== from.position) return false;
    const size = d.sizeOf(id);
    this.usage.remove(from.segment, size);
    d.relocate(id, segment, position);
    this.usage.add(segment, size);
    return true;
  }

  /** Removes `key` if the directory still points at `at` (nothing was written to it since); returns whether it did. */
  deleteIfAt(key: Uint8Array, at: { segment: number; position: number }): boolean {
    const d = this.directory;
    const id = d.lookup(key);
    if (id < 0 || d.segmentOf(id) !== at.segment || d.positionOf(id) !== at.position) return false;
    this.delete(key);
    return true;
  }

  delete(key: Uint8Array): void {
    const id = this.directory.lookup(key);
    if (id < 0) return;
    this.usage.remove(this.directory.segmentOf(id), this.directory.sizeOf(id));
    this.#order.remove(id, key);
    this.directory.delete(key);
    const moves = this.#moves;
    if (moves) {
      this.#moves = undefined;
      this.#order.remapIds((old) => moves.get(old) ?? old);
    }
  }

  /** Entry ids in key order within the range (an iterator that can also seek). */
  range(options: Omit<RangeOptions, 'limit'>): RangeIterator {
    return this.#order.range(options);
  }
}

/** The smallest key greater than every key starting with `prefix`, or undefined (no upper bound). */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

/** Recovery fills the key space through this (keys as ranges of the file buffers it reads). */
export function recoveryTarget(space: KeySpace): RecoveryTarget {
  const d = space.directory;
  return {
    reserve: (entries, keyBytes) => space.reserve(entries, keyBytes),
    put: (bytes, keyAt, keyLength, segment, position, size, offset, expireAtMs) => space.setAt(bytes, keyAt, keyLength, segment, position, size, offset, expireAtMs),
    remove: (bytes, keyAt, keyLength) => space.delete(bytes.subarray(keyAt, keyAt + keyLength)),
    isAt: (bytes, keyAt, keyLength, segment, position) => {
      const id = d.lookupAt(bytes, keyAt, keyLength);
      return id >= 0 && d.segmentOf(id) === segment && d.positionOf(id) === position;
    },
    has: (bytes, keyAt, keyLength) => d.lookupAt(bytes, keyAt, keyLength) >= 0,
  };
}
