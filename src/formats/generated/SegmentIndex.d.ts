// Generated from formats/*.ksy by scripts/build-formats.mjs. Do not edit.
import type KaitaiStream from 'kaitai-struct/KaitaiStream.js';

/**
 * Written beside a segment's hint (same base name, extension .index), from
 * the same entries: one slot per key the segment still decides, tombstones
 * included. Slots are fixed-size and sorted by the key's hash, so a store
 * can answer a lookup straight from the file (interpolation search over the
 * slots, then the record read from the segment, its CRC checked and its key
 * compared) without loading any key into memory first: an open serves gets
 * before its key directory is built.
 *
 * The slot holds no key: the record it points at does. A slot whose CRC
 * fails, a header that fails its CRC or does not describe the segment
 * (base offset, next offset, length), or a file whose size is not
 * header + slots + trailer is never trusted: the store loads the segment
 * from its hint (or scans it) instead and writes the index again.
 *
 * Written whole to a temporary name, fsynced and renamed into place, after
 * the hint; never appended to.
 */
export declare class SegmentIndex {
  constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
  _io: KaitaiStream;
  /**
   * Fixed 44-byte header.
   */
  header: SegmentIndex.IndexHeader;
  /**
   * The slots, ascending by (key_hash, position).
   */
  slots: Array<SegmentIndex.Slot>;
  /**
   * Slot count again and CRC-32C of every slot byte, the last 8 bytes.
   */
  trailer: SegmentIndex.IndexTrailer;
}

export declare namespace SegmentIndex {
  /**
   * 44 bytes at position 0. header_crc covers bytes 0..39.
   */
  class IndexHeader {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * File magic, ASCII "LKVX".
     */
    magic: Uint8Array;
    /**
     * Format version; this spec describes version 1.
     */
    version: number;
    /**
     * Reserved, always 0.
     */
    reserved: number;
    /**
     * Base offset of the segment this index describes.
     */
    segmentBaseOffset: number;
    /**
     * One past the last offset the segment holds (the hint's).
     */
    segmentNextOffset: number;
    /**
     * Length in bytes of the segment the index was made from. A segment
     * of any other length does not match its index.
     */
    coveredLength: number;
    /**
     * Number of slots that follow.
     */
    slotCount: number;
    /**
     * Byte position of the segment's last batch (0 when it holds none).
     * Opening a store whose newest segment was closed cleanly checks
     * that batch (whole, ending at covered_length and at
     * segment_next_offset) instead of following every batch from the
     * header; the batches before it are checked after open.
     */
    lastBatchPosition: number;
    /**
     * CRC-32C of header bytes 0..39.
     */
    headerCrc: number;
  }
  /**
   * 24 bytes: where the newest record of one key sits in the segment.
   */
  class Slot {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * murmur3_x86_32 of the key bytes with seed 0x9747b28c (the key
     * directory's hash). Slots ascend by it; equal hashes by position.
     */
    keyHash: number;
    /**
     * Byte position of the record in the segment file.
     */
    position: number;
    /**
     * Encoded size of the record in bytes (the hint's bounds).
     */
    size: number;
    /**
     * Log offset of the record (a record holds only its delta from its
     * batch's base offset).
     */
    offset: number;
    /**
     * CRC-32C of the slot's first 20 bytes.
     */
    slotCrc: number;
  }
  /**
   * The last 8 bytes.
   */
  class IndexTrailer {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Number of slots; must equal the header's.
     */
    slotCount: number;
    /**
     * CRC-32C of every byte between the header and the trailer.
     */
    slotsCrc: number;
  }
}
