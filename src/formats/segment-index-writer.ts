// Encodes segment index files (formats/segment_index.ksy): one 24-byte slot
// per key a segment decides, sorted by the key's hash, so that a lookup can
// search the file in place. Written whole and renamed into place by the
// caller, after the segment's hint.

import { crc32c } from '../checksum/crc32c.js';
import { crc32cJsRange } from '../checksum/crc32c-js.js';
import { LogkvError } from '../errors.js';
import { FORMAT_VERSION, INDEX_HEADER_SIZE, INDEX_MAGIC, INDEX_SLOT_SIZE, INDEX_TRAILER_SIZE, MAX_RECORD_SIZE, RECORD_FIXED_SIZE } from './limits.js';
import { writeU64 } from './log-segment-writer.js';

export interface SegmentIndexHeader {
  segmentBaseOffset: number;
  segmentNextOffset: number;
  /** Length of the segment file the index was made from. */
  coveredLength: number;
  /** Position of the segment's last batch; 0 when it holds none. */
  lastBatchPosition: number;
}

export interface IndexSlot {
  /** hashKey() of the key (key-directory.ts). */
  hash: number;
  position: number;
  size: number;
  /** Log offset of the record. */
  offset: number;
}

/**
 * Slots added in any order, sorted by (hash, position) when the file is
 * made. The slots are held in typed arrays, not objects: a full segment of
 * small records has ~500k of them.
 */
export class SegmentIndexBuilder {
  readonly #header: SegmentIndexHeader;
  readonly #hashes: Uint32Array;
  readonly #positions: Uint32Array;
  readonly #sizes: Uint32Array;
  readonly #offsets: Float64Array;
  #count = 0;

  constructor(header: SegmentIndexHeader, slots: number) {
    if (header.coveredLength > 0xffffffff) throw new LogkvError('TOO_LARGE', 'segment longer than 4 GiB');
    this.#header = header;
    this.#hashes = new Uint32Array(slots);
    this.#positions = new Uint32Array(slots);
    this.#sizes = new Uint32Array(slots);
    this.#offsets = new Float64Array(slots);
  }

  add(hash: number, position: number, size: number, offset: number): void {
    if (!Number.isInteger(size) || size < RECORD_FIXED_SIZE || size > MAX_RECORD_SIZE) {
      throw new LogkvError('INVALID_ARGUMENT', `record size ${size} is not one a record can have`);
    }
    if (!Number.isInteger(position) || position < 0 || position > 0xffffffff) throw new LogkvError('INVALID_ARGUMENT', `position ${position} out of range`);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new LogkvError('INVALID_ARGUMENT', `offset ${offset} out of range`);
    if (this.#count === this.#hashes.length) throw new Error('SegmentIndexBuilder: more slots than announced');
    const i = this.#count++;
    this.#hashes[i] = hash >>> 0;
    this.#positions[i] = position;
    this.#sizes[i] = size;
    this.#offsets[i] = offset;
  }

  finish(): Buffer {
    const n = this.#count;
    if (n !== this.#hashes.length) throw new Error(`SegmentIndexBuilder: ${n} slots added, ${this.#hashes.length} announced`);
    const h = this.#header;
    const buf = Buffer.alloc(INDEX_HEADER_SIZE + n * INDEX_SLOT_SIZE + INDEX_TRAILER_SIZE);
    buf.write(INDEX_MAGIC, 0, 'latin1');
    buf.writeUInt16LE(FORMAT_VERSION, 4);
    buf.writeUInt16LE(0, 6);
    writeU64(buf, 8, h.segmentBaseOffset, 'segmentBaseOffset');
    writeU64(buf, 16, h.segmentNextOffset, 'segmentNextOffset');
    writeU64(buf, 24, h.coveredLength, 'coveredLength');
    buf.writeUInt32LE(n, 32);
    if (!Number.isInteger(h.lastBatchPosition) || h.lastBatchPosition < 0 || h.lastBatchPosition > h.coveredLength) {
      throw new LogkvError('INVALID_ARGUMENT', `last batch position ${h.lastBatchPosition} out of range`);
    }
    buf.writeUInt32LE(h.lastBatchPosition, 36);
    buf.writeUInt32LE(crc32c(buf.subarray(0, 40)), 40);
    writeSlots(buf, slotOrder(this.#hashes, this.#positions), this.#hashes, this.#positions, this.#sizes, this.#offsets);
    const end = INDEX_HEADER_SIZE + n * INDEX_SLOT_SIZE;
    buf.writeUInt32LE(n, end);
    buf.writeUInt32LE(crc32c(buf.subarray(INDEX_HEADER_SIZE, end)), end + 4);
    return buf;
  }
}

const TWO_32 = 0x100000000;

/**
 * The slots in `order`, from the header on. A function of its own over
 * plain arrays, with a DataView: 500k slots in ~25 ms, where the same loop
 * inside finish() over Buffer#writeUInt32LE took ~130 ms (a roll writes
 * this in the worker, a clean close on the main thread).
 */
function writeSlots(buf: Buffer, order: Uint32Array, hashes: Uint32Array, positions: Uint32Array, sizes: Uint32Array, offsets: Float64Array): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let at = INDEX_HEADER_SIZE;
  for (let k = 0; k < order.length; k++, at += INDEX_SLOT_SIZE) {
    const i = order[k]!;
    // Two records never share a position; two slots that do would make a file the reader refuses (slots ascend strictly).
    const before = k > 0 ? order[k - 1]! : -1;
    if (before >= 0 && hashes[before] === hashes[i] && positions[before] === positions[i]) {
      throw new LogkvError('INVALID_ARGUMENT', `two slots of hash ${hashes[i]} at position ${positions[i]}`);
    }
    const offset = offsets[i]!;
    view.setUint32(at, hashes[i]!, true);
    view.setUint32(at + 4, positions[i]!, true);
    view.setUint32(at + 8, sizes[i]!, true);
    view.setUint32(at + 12, offset % TWO_32, true);
    view.setUint32(at + 16, Math.floor(offset / TWO_32), true);
    // The JS CRC: a native call per 20 bytes costs more than the loop.
    view.setUint32(at + 20, crc32cJsRange(buf, at, at + 20), true);
  }
}

/** The whole index file of `slots` (any order). */
export function encodeSegmentIndex(header: SegmentIndexHeader, slots: readonly IndexSlot[]): Buffer {
  const b = new SegmentIndexBuilder(header, slots.length);
  for (const s of slots) b.add(s.hash, s.position, s.size, s.offset);
  return b.finish();
}

/**
 * The permutation that sorts the slots by (hash, position). The store adds
 * slots nearly in hash order (a key directory's bucket order, which is the
 * hash's top bits: key-directory.ts), and an insertion sort puts those in
 * order in one pass over memory in sequence; when it has to move too much
 * (slots in any other order), a radix sort does it instead. Random access
 * is what costs here: 500k slots written in hash order through a radix
 * sort's permutation took ~95 ms of cache misses, in near order ~25 ms.
 */
function slotOrder(hashes: Uint32Array, positions: Uint32Array): Uint32Array {
  const n = hashes.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return insertionSorted(order, hashes, positions, 8 * n + 64) ? order : radixOrder(hashes, positions);
}

/** Sorts `order` by (hash, position) in place unless that takes more than `budget` moves; returns whether it did. */
function insertionSorted(order: Uint32Array, hashes: Uint32Array, positions: Uint32Array, budget: number): boolean {
  let moves = 0;
  for (let k = 1; k < order.length; k++) {
    const i = order[k]!;
    const h = hashes[i]!;
    const p = positions[i]!;
    let j = k - 1;
    while (j >= 0) {
      const o = order[j]!;
      const oh = hashes[o]!;
      if (oh < h || (oh === h && positions[o]! <= p)) break;
      order[j + 1] = o;
      j--;
      if (++moves > budget) return false;
    }
    order[j + 1] = i;
  }
  return true;
}

/** slotOrder() of slots in any order: an LSD radix sort, 16 bits a pass, stable, so position is the tie-break. */
function radixOrder(hashes: Uint32Array, positions: Uint32Array): Uint32Array {
  const n = hashes.length;
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Uint32Array(n);
  const counts = new Uint32Array(65537);
  const passes: Array<[Uint32Array, number]> = [
    [positions, 0],
    [positions, 16],
    [hashes, 0],
    [hashes, 16],
  ];
  for (const [words, shift] of passes) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((words[i]! >>> shift) & 0xffff) + 1]!++;
    // Every key has the same digit: the pass would not move anything.
    let same = false;
    for (let d = 1; d <= 65536; d++) {
      if (counts[d] === n) same = true;
      counts[d]! += counts[d - 1]!;
    }
    if (same) continue;
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      next[counts[(words[i]! >>> shift) & 0xffff]!++] = i;
    }
    [order, next] = [next, order];
  }
  return order;
}
