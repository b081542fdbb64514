// Reads segment index files (formats/segment_index.ksy). Two uses:
//
// - A store searching an index in place (src/log/segment-index.ts) reads
//   the header at open (readIndexHeader, checkIndexSize) and then single
//   slots (slotAt), each checked against its own CRC: an open never reads
//   the whole file.
// - A tool or a background check reads the whole file (checkSegmentIndex):
//   header, size, trailer, the CRC over all slots, every slot's CRC,
//   bounds and order.
//
// The header goes through the generated parser; slots are read by hand
// (24 fixed bytes), with the same `valid:` bounds the generated parser
// applies; test/formats/segment-index.test.ts holds the two equal.

import { type ByteSource, bytesSource, crc32cIn, SourceWindow } from './byte-source.js';
import { crc32cRange } from '../checksum/crc32c.js';
import { crcOfSelfCheckedBlocks } from '../checksum/crc32c-fold.js';
import { damageError, readFileHeader } from './damage.js';
import { SegmentIndex } from './kaitai.js';
import { INDEX_HEADER_SIZE, INDEX_MAGIC, INDEX_SLOT_SIZE, INDEX_TRAILER_SIZE, MAX_RECORD_SIZE, RECORD_FIXED_SIZE } from './limits.js';
import type { IndexSlot, SegmentIndexHeader } from './segment-index-writer.js';

export interface IndexHeaderInfo extends SegmentIndexHeader {
  slotCount: number;
}

/** The largest high word of a u8 below 2^53. */
const MAX_SAFE_HIGH = 0x1fffff;

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

/** Parses and checks the 44-byte header only; throws LogkvError (BAD_MAGIC, UNSUPPORTED_VERSION, TRUNCATED, CORRUPT). */
export function readIndexHeader(bytes: Uint8Array, file?: string): IndexHeaderInfo {
  const h = readFileHeader(bytes, INDEX_MAGIC, INDEX_HEADER_SIZE, (io) => new SegmentIndex.IndexHeader(io), file);
  return {
    segmentBaseOffset: h.segmentBaseOffset,
    segmentNextOffset: h.segmentNextOffset,
    coveredLength: h.coveredLength,
    slotCount: h.slotCount,
    lastBatchPosition: h.lastBatchPosition,
  };
}

/** The file size an index of `slotCount` slots has. */
export function indexFileSize(slotCount: number): number {
  return INDEX_HEADER_SIZE + slotCount * INDEX_SLOT_SIZE + INDEX_TRAILER_SIZE;
}

/** Throws TRUNCATED or CORRUPT when a file of `size` bytes cannot hold the slots its header announces (and nothing else). */
export function checkIndexSize(header: IndexHeaderInfo, size: number, file?: string): void {
  const expected = indexFileSize(header.slotCount);
  if (size === expected) return;
  const damage =
    size < expected
      ? { code: 'TRUNCATED' as const, reason: 'truncated', offset: size, length: 0, message: `index of ${header.slotCount} slots needs ${expected} bytes, file has ${size}` }
      : { code: 'CORRUPT' as const, reason: 'trailing-bytes', offset: expected, length: size - expected, message: `index of ${header.slotCount} slots ends at byte ${expected}, file has ${size}` };
  throw damageError(damage, file);
}

/** Slot `k`'s position in the file. */
export function slotOffset(k: number): number {
  return INDEX_HEADER_SIZE + k * INDEX_SLOT_SIZE;
}

/** Whether the slot at bytes[at, at + 24) matches its CRC and its fields are in range (else: damage, stop trusting the file). */
export function slotIsSound(bytes: Uint8Array, at: number): boolean {
  return crc32cRange(bytes, at, at + 20) === u32(bytes, at + 20) && slotInBounds(bytes, at);
}

/** slotIsSound() without the CRC: the slot's size and offset in range. */
function slotInBounds(bytes: Uint8Array, at: number): boolean {
  const size = u32(bytes, at + 8);
  return size >= RECORD_FIXED_SIZE && size <= MAX_RECORD_SIZE && u32(bytes, at + 16) <= MAX_SAFE_HIGH;
}

/** The key hash of the slot at `at` (check it with slotIsSound first). */
export function slotHash(bytes: Uint8Array, at: number): number {
  return u32(bytes, at);
}

/** The slot at bytes[at, at + 24) when it is sound, else undefined. */
export function slotAt(bytes: Uint8Array, at: number): IndexSlot | undefined {
  if (!slotIsSound(bytes, at)) return undefined;
  return { hash: u32(bytes, at), position: u32(bytes, at + 4), size: u32(bytes, at + 8), offset: u32(bytes, at + 16) * 0x100000000 + u32(bytes, at + 12) };
}

/**
 * Checks the whole index: header, size, trailer count and CRC, then every
 * slot (its CRC, its size bounds, ascending (hash, position) order; the
 * slots' own CRCs all at once from the CRC of all of them when that
 * holds, crc32c-fold.ts). Throws
 * LogkvError on any damage; returns the header.
 */
export function checkSegmentIndex(input: Uint8Array | ByteSource, file?: string): IndexHeaderInfo {
  const source = input instanceof Uint8Array ? bytesSource(input) : input;
  const header = readIndexHeader(source.read(0, Math.min(INDEX_HEADER_SIZE, source.size)), file);
  checkIndexSize(header, source.size, file);
  const end = slotOffset(header.slotCount);
  const trailer = source.read(end, INDEX_TRAILER_SIZE);
  if (u32(trailer, 0) !== header.slotCount) {
    throw damageError({ code: 'CORRUPT', reason: 'slot-count', offset: end, length: 4, message: `trailer counts ${u32(trailer, 0)} slots, header ${header.slotCount}` }, file);
  }
  const slotsCrc = crc32cIn(source, INDEX_HEADER_SIZE, end);
  if (slotsCrc !== u32(trailer, 4)) {
    throw damageError({ code: 'CORRUPT', reason: 'slots-crc', offset: INDEX_HEADER_SIZE, length: end - INDEX_HEADER_SIZE, message: 'index slots CRC-32C mismatch' }, file);
  }
  // Every slot's own CRC holds when the CRC of all slots is the one slots with right CRCs give (crc32c-fold.ts): then
  // each slot is checked for its bounds and order alone. Else slot by slot with its CRC, which names the first bad one.
  const ownCrcsHold = slotsCrc === crcOfSelfCheckedBlocks(header.slotCount, INDEX_SLOT_SIZE - 4);
  // Slot by slot in one loop over the window, no object per slot: a 1M-slot index was ~200 ms of kvtool dump and verify through slotAt() and a visitor.
  let previousHash = -1;
  let previousPosition = -1;
  const w = new SourceWindow(source);
  for (let k = 0; k < header.slotCount; k++) {
    const at = slotOffset(k);
    if (at + INDEX_SLOT_SIZE > w.end) w.cover(at, INDEX_SLOT_SIZE);
    const b = w.bytes;
    const i = at - w.base;
    if (!(ownCrcsHold ? slotInBounds(b, i) : slotIsSound(b, i))) {
      throw damageError({ code: 'CORRUPT', reason: 'slot-crc', offset: at, length: INDEX_SLOT_SIZE, message: `slot ${k} fails its CRC-32C or bounds` }, file);
    }
    const hash = u32(b, i);
    const position = u32(b, i + 4);
    if (hash < previousHash || (hash === previousHash && position <= previousPosition)) {
      throw damageError({ code: 'CORRUPT', reason: 'slot-order', offset: at, length: INDEX_SLOT_SIZE, message: `slot ${k} is out of (hash, position) order` }, file);
    }
    previousHash = hash;
    previousPosition = position;
  }
  return header;
}

/** Every slot of a checked index, in file order. */
export function forEachIndexSlot(input: Uint8Array | ByteSource, visit: (slot: IndexSlot, k: number) => void, file?: string): IndexHeaderInfo {
  const source = input instanceof Uint8Array ? bytesSource(input) : input;
  const header = checkSegmentIndex(source, file);
  forEachSlot(source, header.slotCount, (k, slot) => visit(slot!, k));
  return header;
}

/**
 * The slots of an index checkSegmentIndex() has just checked (its header
 * what that returned), in file order, without checking them again: a tool
 * that checks a file and then reads it (kvtool verify compares every slot
 * with the hint) reads it twice, not four times.
 */
export function forEachCheckedSlot(input: Uint8Array | ByteSource, header: IndexHeaderInfo, visit: (hash: number, position: number, size: number, offset: number, k: number) => void): void {
  const source = input instanceof Uint8Array ? bytesSource(input) : input;
  const w = new SourceWindow(source);
  for (let k = 0; k < header.slotCount; k++) {
    const at = slotOffset(k);
    if (at + INDEX_SLOT_SIZE > w.end) w.cover(at, INDEX_SLOT_SIZE);
    const b = w.bytes;
    const i = at - w.base;
    visit(u32(b, i), u32(b, i + 4), u32(b, i + 8), u32(b, i + 16) * 0x100000000 + u32(b, i + 12), k);
  }
}

/** The whole index as objects (tests and tools; a store searches in place). */
export function readSegmentIndex(input: Uint8Array | ByteSource, file?: string): IndexHeaderInfo & { slots: IndexSlot[] } {
  const slots: IndexSlot[] = [];
  const header = forEachIndexSlot(input, (slot) => slots.push(slot), file);
  return { ...header, slots };
}

function forEachSlot(source: ByteSource, count: number, visit: (k: number, slot: IndexSlot | undefined) => void): void {
  const w = new SourceWindow(source);
  for (let k = 0; k < count; k++) {
    const at = slotOffset(k);
    w.cover(at, INDEX_SLOT_SIZE);
    visit(k, slotAt(w.bytes, at - w.base));
  }
}
