// Generated from formats/*.ksy by scripts/build-formats.mjs. Do not edit.
import type KaitaiStream from 'kaitai-struct/KaitaiStream.js';
import type { Common } from './Common.js';

/**
 * One segment of a logkv store's append-only log, named by its base offset
 * (20 decimal digits, e.g. 00000000000000000000.log). The file is a fixed
 * header followed by batches. A batch is the unit of atomicity: after a crash
 * it is either wholly valid (length in range, CRC-32C matching) or not there.
 *
 * Segments are preallocated, so the newest one normally ends in zero-filled
 * space: a batch_length of 0 marks the end of the log, and every byte after it
 * must be zero. After the last batch the file either ends or holds at least
 * 4 zero bytes (writers preallocate accordingly); 1 to 3 bytes left over
 * are a torn write. A reader stops at the first batch that is not valid and
 * reports its byte position; it never accepts a record from bytes that failed
 * their CRC or from an all-zero region.
 *
 * Offsets increase strictly within and across batches and segments. The log
 * cleaner keeps the original offsets of the records it keeps, so a compacted
 * batch may have gaps between offset deltas.
 */
export declare class LogSegment {
  constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
  _io: KaitaiStream;
  /**
   * Fixed 28-byte file header.
   */
  header: LogSegment.SegmentHeader;
  /**
   * The batches, in offset order, up to the end of the file. A reader that
   * must survive a torn tail drives this loop itself, batch by batch.
   */
  batches: Array<LogSegment.Batch>;
}

export declare namespace LogSegment {
  const Op: { readonly PUT: 1; readonly DELETE: 2; readonly [value: number]: string };
  /**
   * 28 bytes at position 0. header_crc covers bytes 0..23.
   */
  class SegmentHeader {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * File magic, ASCII "LKVL".
     */
    magic: Uint8Array;
    /**
     * Format version; this spec describes version 1.
     */
    version: number;
    /**
     * How the store's values are encoded, so tools can show them.
     */
    valueEncoding: number;
    /**
     * Reserved, always 0.
     */
    reserved: number;
    /**
     * Offset of the first record this segment may hold; the file is named
     * after it. Offsets stay below 2^53 so every reader can hold them
     * exactly in a double.
     */
    baseOffset: number;
    /**
     * Creation time, milliseconds since the Unix epoch.
     */
    createdMs: number;
    /**
     * CRC-32C (Castagnoli) of header bytes 0..23.
     */
    headerCrc: number;
  }
  /**
   * One atomic group of records. batch_length counts the bytes after the
   * batch_length field (crc, header and records). The CRC-32C covers the
   * bytes after the crc field up to the end of the batch. A batch_length of
   * 0 is the end-of-log marker: the rest of the file is zero fill.
   */
  class Batch {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Bytes that follow this field in the batch: 4 (crc) + 26 (header) +
     * the records, so at least 46 (one record with an empty key and
     * value) and at most 1 GiB. 0 marks the end of the log.
     */
    batchLength: number;
    /**
     * CRC-32C of the batch_length - 4 bytes that follow this field.
     */
    crc: number | undefined;
    /**
     * Offsets, time and record count of the batch.
     */
    header: LogSegment.BatchHeader | undefined;
    /**
     * The records. Their encoded sizes add up to exactly
     * batch_length - 30; a reader rejects a batch where they do not.
     */
    records: Array<LogSegment.Record> | undefined;
    /**
     * Preallocated space after the last batch. Every byte must be 0; a
     * non-zero byte here is damage (for example a torn write whose first
     * page was lost) and is reported at its position.
     */
    zeroFill: Uint8Array | undefined;
  }
  /**
   * 26 bytes, between the crc and the first record.
   */
  class BatchHeader {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Offset of the first record; at least the segment's base offset.
     */
    baseOffset: number;
    /**
     * Offset of the last record minus base_offset. Equals
     * record_count - 1 unless the cleaner removed records (gaps).
     */
    lastOffsetDelta: number;
    /**
     * When the batch was first appended, milliseconds since the Unix
     * epoch. The cleaner keeps it when it rewrites a batch.
     */
    timestampMs: number;
    /**
     * Bit 0: compacted (written by the log cleaner, may have gaps).
     * Other bits are reserved and must be 0.
     */
    attributes: number;
    /**
     * Number of records in the batch, 1 to 2^24.
     */
    recordCount: number;
    /**
     * True when the log cleaner wrote this batch.
     */
    readonly isCompacted: boolean;
  }
  /**
   * One put or delete. 16 bytes of fixed fields, an optional 8-byte
   * expiry, then the key and the value.
   */
  class Record {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * CRC-32C of the rest of the record (op through value). The batch
     * CRC already covers these bytes; this one lets a point read check
     * the single record it fetches, so a byte damaged after the log was
     * opened is never returned as data.
     */
    crc: number;
    /**
     * What the record does to its key.
     */
    op: number;
    /**
     * Bit 0 has_expiry. Other bits are reserved and must be 0.
     */
    flags: number;
    /**
     * This record's offset minus the batch's base_offset; strictly
     * increasing within a batch, at most last_offset_delta.
     */
    offsetDelta: number;
    /**
     * Key size in bytes, 0 to 65535.
     */
    keyLength: number;
    /**
     * Value size in bytes, at most 256 MiB; always 0 for a delete.
     */
    valueLength: number;
    /**
     * Time after which the key reads as absent. Only present when flags
     * bit 0 is set.
     */
    expiry: Common.Expiry | undefined;
    /**
     * The key bytes; keys order by unsigned byte comparison.
     */
    key: Uint8Array;
    /**
     * The value bytes, encoded as the header's value_encoding says.
     */
    value: Uint8Array;
    /**
     * True when expire_at_ms is present.
     */
    readonly hasExpiry: boolean;
  }
}
