// A segment's index file (formats/segment_index.ksy) searched in place: the
// lookups an open answers before its key directory holds the segment's
// keys (deferred-load.ts). Nothing of the file is held but the last 4 KiB
// block read; every slot is checked against its own CRC before it is used,
// and a slot that fails is IndexDamage: the caller stops using the file.
//
// Slots are sorted by a well-mixed 32-bit hash, so a key's slot is near
// slotCount * hash / 2^32: interpolation search finds it in a few reads of
// a 1M-slot file, where binary search takes 20. Every other step halves
// the range instead, so a file whose hashes are not spread evenly (made by
// hand, say) costs at most twice binary search, never a linear walk.

import { LogkvError } from '../errors.js';
import { INDEX_SLOT_SIZE } from '../formats/limits.js';
import { type IndexHeaderInfo, slotHash, slotIsSound, slotOffset } from '../formats/segment-index-reader.js';
import type { FileHandle, FileIO } from '../io/file-io.js';

const BLOCK = 4096;
const TWO_32 = 0x100000000;

/** A slot of the index failed its check: the file is not to be trusted again. */
export class IndexDamage extends LogkvError {
  constructor(file: string, slot: number) {
    super('CORRUPT', `${file}: slot ${slot} fails its CRC-32C or bounds`, { file, offset: slotOffset(slot), reason: 'index-slot' });
  }
}

export class IndexedSegment {
  readonly path: string;
  readonly header: IndexHeaderInfo;
  readonly #io: FileIO;
  #handle: FileHandle | undefined;
  /** File bytes from #blockAt on: one block and the slot that may straddle its end. */
  readonly #block = Buffer.alloc(BLOCK + INDEX_SLOT_SIZE);
  #blockAt = -1;
  #blockLength = 0;

  constructor(io: FileIO, path: string, header: IndexHeaderInfo) {
    this.#io = io;
    this.path = path;
    this.header = header;
  }

  /**
   * Calls `visit` with each slot whose hash is `hash`, in position order,
   * until it returns true; returns whether one did. Throws IndexDamage on a
   * slot that fails its check, and a file system error as it comes.
   */
  find(hash: number, visit: (position: number, size: number, offset: number) => boolean): boolean {
    const n = this.header.slotCount;
    // The first slot whose hash is >= `hash` lies in [lo, hi]; loHash/hiHash bound the hashes between.
    let lo = 0;
    let hi = n;
    let loHash = 0;
    let hiHash = TWO_32;
    for (let step = 0; lo < hi; step++) {
      let k: number;
      if (step % 2 === 1 || hiHash <= loHash) k = lo + ((hi - lo) >>> 1);
      else k = Math.min(hi - 1, lo + Math.floor(((hash - loHash) / (hiHash - loHash)) * (hi - lo)));
      // A read brings a whole block of slots: its first and last slot in [lo, hi) bound the search
      // at once, so a lookup reads about two blocks, not one per step (a step that lands in the
      // block the last one read is free, and the search never goes back to it).
      this.#slot(k);
      const first = Math.max(lo, this.#firstSlotInBlock());
      const last = Math.min(hi - 1, this.#lastSlotInBlock());
      const firstHash = this.#hashAt(first);
      if (firstHash >= hash) {
        hi = first;
        hiHash = firstHash;
        continue;
      }
      const lastHash = this.#hashAt(last);
      if (lastHash < hash) {
        lo = last + 1;
        loHash = lastHash;
        continue;
      }
      // Between the two: the rest of the search is inside this block.
      lo = first + 1;
      hi = last;
      while (lo < hi) {
        const mid = lo + ((hi - lo) >>> 1);
        if (this.#hashAt(mid) < hash) lo = mid + 1;
        else hi = mid;
      }
    }
    for (let k = lo; k < n; k++) {
      const at = this.#slot(k);
      const b = this.#block;
      if (slotHash(b, at) !== hash) return false;
      const offset = b.readUInt32LE(at + 16) * TWO_32 + b.readUInt32LE(at + 12);
      if (visit(b.readUInt32LE(at + 4), b.readUInt32LE(at + 8), offset)) return true;
    }
    return false;
  }

  close(): void {
    this.#handle?.close();
    this.#handle = undefined;
  }

  #hashAt(k: number): number {
    return slotHash(this.#block, this.#slot(k));
  }

  /** The first slot wholly in the block read last. */
  #firstSlotInBlock(): number {
    return Math.max(0, Math.ceil((this.#blockAt - slotOffset(0)) / INDEX_SLOT_SIZE));
  }

  /** The last slot wholly in the block read last (the block holds at least the slot it was read for). */
  #lastSlotInBlock(): number {
    return Math.min(this.header.slotCount - 1, Math.floor((this.#blockAt + this.#blockLength - slotOffset(0)) / INDEX_SLOT_SIZE) - 1);
  }

  /** Where slot k starts in #block, after reading its block if need be; checked. */
  #slot(k: number): number {
    const position = slotOffset(k);
    let at = position - this.#blockAt;
    if (this.#blockAt < 0 || at < 0 || at + INDEX_SLOT_SIZE > this.#blockLength) {
      const start = position - (position % BLOCK);
      this.#handle ??= this.#io.open(this.path, 'read');
      this.#blockLength = this.#handle.read(this.#block, start);
      this.#blockAt = start;
      at = position - start;
      if (at + INDEX_SLOT_SIZE > this.#blockLength) throw new IndexDamage(this.path, k);
    }
    if (!slotIsSound(this.#block, at)) throw new IndexDamage(this.path, k);
    return at;
  }
}
