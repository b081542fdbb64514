// The key directory (hash, for gets), the ordered index (for ranges) and
// the live bytes per segment (for the log cleaner), kept in step. The directory may compact itself inside delete(), renumbering
// entries; the index is renumbered once afterwards (remapIds), because moving
// ids one at a time would meet ids the directory has already reused.
//
// After an open that deferred segments (deferred-load.ts), the directory
// holds only part of the keys until the load finishes: lookup() searches
// the deferred segments' indexes on a miss, and everything that needs every
// key (ranges, counts, the cleaner, snapshots) calls complete() first.

import type { DeferredLoad, DeferredTarget } from './deferred-load.js';
import { KeyDirectory } from './key-directory.js';
import type { RecoveryTarget } from './recovery.js';
import { OrderedIndex, type RangeIterator, type RangeOptions } from './ordered-index.js';
import { SegmentUsage } from './segment-usage.js';

export class KeySpace {
  readonly directory: KeyDirectory;
  readonly usage = new SegmentUsage();
  /**
   * Made at the first ordered read, from every id in the directory: until
   * then a store that only writes and gets keeps no order at all (its buffer
   * of unsorted ids was 4-8 bytes a key).
   */
  #order: OrderedIndex | undefined;
  #moves: Map<number, number> | undefined;
  /** Segments still loading after open; undefined once every key is in the directory. */
  #deferred: DeferredLoad | undefined;
  /**
   * While segments are deferred: keys deleted by anything newer than them,
   * which their older records must not bring back (deferred-load.ts).
   */
  #hidden: KeyDirectory | undefined;
  #onLoaded: ((rewrite: readonly number[]) => void) | undefined;

  constructor() {
    this.directory = new KeyDirectory(1024, { onMove: (from, to) => (this.#moves ??= new Map()).set(from, to) });
  }

  /** The live entry id of `key`, or -1; while segments are deferred, a miss searches them and brings the key in. */
  lookup(key: Uint8Array): number {
    const id = this.directory.lookup(key);
    if (id >= 0 || this.#deferred === undefined) return id;
    const d = this.#deferred;
    const found = d.find(key);
    if (!d.searchable) {
      // An index turned out damaged: no more searches, every key loaded now.
      this.complete();
      return this.directory.lookup(key);
    }
    if (found === undefined) return -1;
    if (found.tombstone) {
      this.#hide(key, 0, key.length);
      return -1;
    }
    return this.setAt(key, 0, key.length, found.segment, found.position, found.size, found.offset, found.expireAtMs);
  }

  /** Segments are deferred from here on (recovery, before it loads the segments after them): deletes are remembered. */
  beginDeferring(): void {
    this.#hidden ??= new KeyDirectory(0);
  }

  /** The loader of the deferred segments; lookups search them until it is done. */
  attach(load: DeferredLoad): void {
    this.beginDeferring();
    this.#deferred = load;
  }

  /** Whether some segment's keys are not in the directory yet. */
  get loading(): boolean {
    return this.#deferred !== undefined;
  }

  /** Loads a step of the deferred segments; returns whether every key is in the directory. */
  loadStep(): boolean {
    if (this.#deferred?.step() === true) this.#finishLoad();
    return this.#deferred === undefined;
  }

  /** Loads every deferred segment now: for whatever needs every key. */
  complete(): void {
    if (this.#deferred === undefined) return;
    this.#deferred.complete();
    this.#finishLoad();
  }

  /** Loads deferred segment `id` (and the newer ones) now, if it is still deferred. */
  loadThrough(id: number): void {
    this.#deferred?.loadThrough(id);
    if (this.#deferred?.done === true) this.#finishLoad();
  }

  /** What the loader needs of this space. */
  deferredTarget(): DeferredTarget {
    const d = this.directory;
    return {
      has: (bytes, keyAt, keyLength) => d.lookupAt(bytes, keyAt, keyLength) >= 0,
      isHidden: (bytes, keyAt, keyLength) => this.#hidden !== undefined && this.#hidden.lookupAt(bytes, keyAt, keyLength) >= 0,
      hide: (bytes, keyAt, keyLength) => this.#hide(bytes, keyAt, keyLength),
      countTombstones: (segment, count) => this.usage.addTombstones(segment, count),
      reserve: (entries, keyBytes) => this.reserve(entries, keyBytes),
      reserveHidden: (keys, keyBytes) => this.#hidden?.reserve(keys, keyBytes),
      insert: (bytes, keyAt, keyLength, segment, position, size, offset, expireAtMs) => void this.setAt(bytes, keyAt, keyLength, segment, position, size, offset, expireAtMs),
    };
  }

  #finishLoad(): void {
    const rewrite = this.#deferred?.needsRewrite ?? [];
    this.#deferred?.close();
    this.#deferred = undefined;
    this.#hidden = undefined;
    this.#onLoaded?.(rewrite);
  }

  /** Called once the load ends, with the segments whose hint and index it found damaged (to be written again). */
  onLoaded(callback: (rewrite: readonly number[]) => void): void {
    this.#onLoaded = callback;
  }

  /** Closes the loader's files (the store closes): lookups then answer from the directory alone. */
  stopLoading(): void {
    this.#deferred?.close();
  }

  /** Notes a deleted key while segments are deferred (a key already noted is set again, unchanged). */
  #hide(bytes: Uint8Array, keyAt: number, keyLength: number): void {
    this.#hidden?.setAt(bytes, keyAt, keyLength, 0, 0, 16, 0, undefined);
  }

  set(key: Uint8Array, segment: number, position: number, size: number, offset: number, expireAtMs: number | undefined): void {
    this.setAt(key, 0, key.length, segment, position, size, offset, expireAtMs);
  }

  /** set() of the key bytes[keyAt, keyAt + keyLength), copied (recovery feeds keys straight from file buffers). */
  setAt(bytes: Uint8Array, keyAt: number, keyLength: number, segment: number, position: number, size: number, offset: number, expireAtMs: number | undefined): number {
    const d = this.directory;
    // One hash lookup: set() says what it replaced.
    const id = d.setAt(bytes, keyAt, keyLength, segment, position, size, offset, expireAtMs);
    // The first key with an expiry moves every entry (KeyDirectory.setAt).
    this.#applyMoves();
    if (d.replacedSegment >= 0) this.usage.remove(d.replacedSegment, d.replacedSize, d.replacedExpires);
    else this.#order?.insert(id);
    this.usage.add(segment, size, expireAtMs !== undefined);
    return id;
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
    return this.relocateAt(key, 0, key.length, from.segment, from.position, segment, position);
  }

  /** relocate() of the key bytes[keyAt, keyAt + keyLength), from `fromSegment` at `fromPosition`: the cleaner's moves, no view per key. */
  relocateAt(bytes: Uint8Array, keyAt: number, keyLength: number, fromSegment: number, fromPosition: number, segment: number, position: number): boolean {
    const d = this.directory;
    const id = d.lookupAt(bytes, keyAt, keyLength);
    if (id < 0 || d.segmentOf(id) !== fromSegment || d.positionOf(id) !== fromPosition) return false;
    const size = d.sizeOf(id);
    const expires = d.expireAtOf(id) !== undefined;
    this.usage.remove(fromSegment, size, expires);
    d.relocate(id, segment, position);
    this.usage.add(segment, size, expires);
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

  /** A tombstone of `key`, in `segment`, was written or read: the key goes, and the segment's accounts count the tombstone. */
  applyTombstone(key: Uint8Array, segment: number): void {
    this.delete(key);
    this.usage.addTombstones(segment, 1);
  }

  delete(key: Uint8Array): void {
    this.#hide(key, 0, key.length);
    const id = this.directory.lookup(key);
    if (id < 0) return;
    this.usage.remove(this.directory.segmentOf(id), this.directory.sizeOf(id), this.directory.expireAtOf(id) !== undefined);
    this.#order?.remove(id, key);
    this.directory.delete(key);
    this.#applyMoves();
  }

  /** Renumbers the ordered index after the directory moved entries, all moves at once. */
  #applyMoves(): void {
    const moves = this.#moves;
    if (moves) {
      this.#moves = undefined;
      this.#order?.remapIds((old) => moves.get(old) ?? old);
    }
  }

  /** Entry ids in key order within the range (an iterator that can also seek); loads every deferred key first. */
  range(options: Omit<RangeOptions, 'limit'>): RangeIterator {
    this.complete();
    return this.#ordered().range(options);
  }

  #ordered(): OrderedIndex {
    if (this.#order === undefined) {
      const order = new OrderedIndex((id) => this.directory.keyOf(id));
      order.insertMany(this.directory.liveIds());
      this.#order = order;
    }
    return this.#order;
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
  return {
    defer: () => space.beginDeferring(),
    reserve: (entries, keyBytes) => space.reserve(entries, keyBytes),
    put: (bytes, keyAt, keyLength, segment, position, size, offset, expireAtMs) => space.setAt(bytes, keyAt, keyLength, segment, position, size, offset, expireAtMs),
    remove: (bytes, keyAt, keyLength, _offset, segment) => space.applyTombstone(bytes.subarray(keyAt, keyAt + keyLength), segment),
  };
}
