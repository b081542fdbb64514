// Generated from formats/*.ksy by scripts/build-formats.mjs. Do not edit.
import type KaitaiStream from 'kaitai-struct/KaitaiStream.js';
import type { Common } from './Common.js';

/**
 * Written beside a sealed log segment (same base name, extension .hint) so
 * that opening a store loads the key directory without reading the segment.
 * Holds one entry per key the segment still decides: its newest record in
 * that segment, tombstones included, so that a delete in a newer segment
 * still hides a value in an older one.
 *
 * The file is written whole to a temporary name, fsynced and renamed into
 * place; it is never appended to. A hint that fails any check (header CRC,
 * trailer CRC or count, a length out of range, or a segment whose length is
 * not covered_length) is never trusted: the segment is rescanned and the
 * hint rewritten.
 */
export declare class Hint {
  constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
  _io: KaitaiStream;
  /**
   * Fixed 36-byte header.
   */
  header: Hint.HintHeader;
  /**
   * The entries: every byte between the header and the 8-byte trailer.
   */
  entries: Hint.HintEntries;
  _raw_entries: Uint8Array;
  /**
   * Entry count and CRC-32C of the entries, the last 8 bytes.
   */
  trailer: Hint.HintTrailer;
}

export declare namespace Hint {
  /**
   * 36 bytes at position 0. header_crc covers bytes 0..31.
   */
  class HintHeader {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * File magic, ASCII "LKVH".
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
     * Base offset of the segment this hint describes.
     */
    segmentBaseOffset: number;
    /**
     * One past the last offset the segment holds (equal to
     * segment_base_offset when it holds none).
     */
    segmentNextOffset: number;
    /**
     * Length in bytes of the segment the hint was made from. A segment of
     * any other length does not match its hint.
     */
    coveredLength: number;
    /**
     * CRC-32C of header bytes 0..31.
     */
    headerCrc: number;
  }
  /**
   * The entries, in no particular order, each key at most once.
   */
  class HintEntries {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * One entry per key.
     */
    entries: Array<Hint.HintEntry>;
  }
  /**
   * Where the newest record of one key sits in the segment. 19 bytes of
   * fixed fields, an optional 8-byte expiry, then the key.
   */
  class HintEntry {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Bit 0 tombstone (the newest record deletes the key), bit 1
     * has_expiry. Other bits are reserved and must be 0.
     */
    flags: number;
    /**
     * Key size in bytes.
     */
    keyLength: number;
    /**
     * Offset of the record.
     */
    offset: number;
    /**
     * Byte position of the record in the segment file.
     */
    position: number;
    /**
     * Encoded size of the record in bytes: 16 fixed, 8 expiry, a key of
     * up to 65535 and a value of up to 256 MiB at most.
     */
    size: number;
    /**
     * Expiry of the record; present when flags bit 1 is set.
     */
    expiry: Common.Expiry | undefined;
    /**
     * The key bytes.
     */
    key: Uint8Array;
    /**
     * True when the newest record of the key is a delete.
     */
    readonly isTombstone: boolean;
    /**
     * True when an expiry follows.
     */
    readonly hasExpiry: boolean;
  }
  /**
   * The last 8 bytes.
   */
  class HintTrailer {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Number of entries; must equal the entries parsed.
     */
    entryCount: number;
    /**
     * CRC-32C of every byte between the header and the trailer.
     */
    entriesCrc: number;
  }
}
