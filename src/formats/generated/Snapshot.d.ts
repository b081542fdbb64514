// Generated from formats/*.ksy by scripts/build-formats.mjs. Do not edit.
import type KaitaiStream from 'kaitai-struct/KaitaiStream.js';
import type { Common } from './Common.js';

/**
 * The live state of a store as of one offset: every key that was present and
 * not expired, in ascending unsigned byte order of the keys, with no
 * tombstones. Entries are grouped into chunks, each with its own CRC-32C, so a
 * reader can check and stream them one chunk at a time; a chunk with no
 * entries ends the list. The last 32 bytes are the SHA-256 of everything
 * before them.
 *
 * The file is a pure function of the state: the same state (the same keys,
 * values, offsets and expiries, and the same next_offset and created_ms)
 * always gives the same bytes. created_ms is therefore the timestamp of the
 * newest batch included, not the wall-clock time of writing.
 *
 * Written whole to a temporary name, fsynced and renamed into place. A
 * snapshot whose header CRC, any chunk CRC, or SHA-256 fails is never used.
 */
export declare class Snapshot {
  constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
  _io: KaitaiStream;
  /**
   * Fixed 36-byte header.
   */
  header: Snapshot.SnapshotHeader;
  /**
   * The chunks, ending with one that holds no entries.
   */
  chunks: Array<Snapshot.Chunk>;
  /**
   * SHA-256 of every byte before it (header and chunks).
   */
  sha256: Uint8Array;
}

export declare namespace Snapshot {
  /**
   * 36 bytes at position 0. header_crc covers bytes 0..31.
   */
  class SnapshotHeader {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * File magic, ASCII "LKVS".
     */
    magic: Uint8Array;
    /**
     * Format version; this spec describes version 1.
     */
    version: number;
    /**
     * How the values are encoded.
     */
    valueEncoding: number;
    /**
     * Reserved, always 0.
     */
    reserved: number;
    /**
     * Every offset below this one is reflected in the snapshot (the last
     * offset included plus one); a store restored from it continues here.
     */
    nextOffset: number;
    /**
     * Timestamp of the newest batch included, ms since the Unix epoch.
     */
    createdMs: number;
    /**
     * Number of entries in all chunks together.
     */
    entryCount: number;
    /**
     * CRC-32C of header bytes 0..31.
     */
    headerCrc: number;
  }
  /**
   * A run of entries with its own CRC. Writers close a chunk once it holds
   * about 64 KiB; readers must accept any split.
   */
  class Chunk {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Entries in this chunk; 0 marks the end of the chunk list.
     */
    entryCount: number;
    /**
     * Bytes of entries that follow the crc field; 0 in the end chunk.
     */
    chunkLength: number;
    /**
     * CRC-32C of the chunk_length bytes of entries.
     */
    crc: number;
    /**
     * The entries.
     */
    body: Snapshot.ChunkBody;
    _raw_body: Uint8Array;
  }
  /**
   * The entries of one chunk, filling it exactly.
   */
  class ChunkBody {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * The entries, keys ascending across the whole file.
     */
    entries: Array<Snapshot.SnapshotEntry>;
  }
  /**
   * One live key. 15 bytes of fixed fields, an optional 8-byte expiry,
   * then the key and the value.
   */
  class SnapshotEntry {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Bit 0 has_expiry. Other bits are reserved and must be 0.
     */
    flags: number;
    /**
     * Key size in bytes.
     */
    keyLength: number;
    /**
     * Value size in bytes, at most 256 MiB.
     */
    valueLength: number;
    /**
     * Offset of the record that last set the key.
     */
    offset: number;
    /**
     * Present when flags bit 0 is set.
     */
    expiry: Common.Expiry | undefined;
    /**
     * The key bytes.
     */
    key: Uint8Array;
    /**
     * The value bytes.
     */
    value: Uint8Array;
    /**
     * True when an expiry follows.
     */
    readonly hasExpiry: boolean;
  }
}
