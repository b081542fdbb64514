// Generated from formats/*.ksy by scripts/build-formats.mjs. Do not edit.
import type KaitaiStream from 'kaitai-struct/KaitaiStream.js';

/**
 * A JournalStore keeps its state in two files of the same fixed size,
 * NAME.jrna and NAME.jrnb. Each is a header, CRC-framed entries appended one
 * after another, and zero-filled slack up to the file size. On open, the
 * valid file with the higher generation wins.
 *
 * A frame is the unit of atomicity: a set of one key, a set of many keys
 * (setMany), or a clear. A frame whose length is out of range, whose CRC
 * fails, or whose generation differs from the header's ends the journal;
 * a frame_length of 0 starts the slack, which must be all zero. Writers
 * always leave at least 4 bytes of slack, so the end marker is always there.
 *
 * The header is written when a new generation (the compacted live state) is
 * written into the file, and only after the frames it counts and the zero
 * slack are durable: committed_length never runs ahead of the frames on
 * disk. It is rewritten in place once more at most, to set the superseded
 * flag after the next generation is durable in the other file; frames
 * appended later are trusted one by one by their CRC.
 *
 * The flag is what tells a fresh spare (all zero, never written) from a
 * newer file that was zeroed or lost: of a valid file whose header says
 * superseded, the other file should hold a newer generation, and when it
 * does not, its changes are reported lost.
 */
export declare class Journal {
  constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
  _io: KaitaiStream;
  /**
   * Fixed 36-byte header.
   */
  header: Journal.JournalHeader;
  /**
   * The frames, oldest first, then the slack.
   */
  frames: Array<Journal.Frame>;
}

export declare namespace Journal {
  const FrameOp: { readonly SET: 1; readonly CLEAR: 2; readonly [value: number]: string };
  const ValueTag: { readonly NIL: 0; readonly BOOL_FALSE: 1; readonly BOOL_TRUE: 2; readonly INT64: 3; readonly FLOAT64: 4; readonly STRING: 5; readonly BYTES: 6; readonly ARRAY: 7; readonly OBJECT: 8; readonly [value: number]: string };
  /**
   * 36 bytes at position 0. header_crc covers bytes 0..31.
   */
  class JournalHeader {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * File magic, ASCII "LKVJ".
     */
    magic: Uint8Array;
    /**
     * Format version; this spec describes version 1.
     */
    version: number;
    /**
     * Bit 0 superseded: a newer generation was made durable in the other
     * file after this one (set on the older file right after a switch).
     * Other bits are reserved and must be 0.
     */
    flags: number;
    /**
     * Raised by one each time the live state is rewritten into a file;
     * of two valid files the higher generation is the current one.
     */
    generation: number;
    /**
     * Size of the file in bytes (the journal's buffer size).
     */
    fileSize: number;
    /**
     * Bytes of frames after the header known durable when the header was
     * written. Frames up to here must all be valid; frames after it are
     * accepted one by one while valid.
     */
    committedLength: number;
    /**
     * When this generation was written, ms since the Unix epoch.
     */
    createdMs: number;
    /**
     * CRC-32C of header bytes 0..31.
     */
    headerCrc: number;
  }
  /**
   * One atomic change. frame_length counts the bytes after the crc field;
   * the CRC-32C covers exactly those bytes.
   */
  class Frame {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Bytes after the crc field: 8 (generation) + 1 (op) + 4 (count) +
     * the entries. 0 marks the start of the slack.
     */
    frameLength: number;
    /**
     * CRC-32C of the frame_length bytes that follow.
     */
    crc: number | undefined;
    /**
     * The change.
     */
    body: Journal.FrameBody | undefined;
    _raw_body: Uint8Array | undefined;
    /**
     * Unused space to the end of the file; every byte must be 0.
     */
    slack: Uint8Array | undefined;
  }
  /**
   * The change a frame makes.
   */
  class FrameBody {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * The header's generation; a frame left over from another one is not part of this journal.
     */
    generation: number;
    /**
     * What the frame does.
     */
    op: number;
    /**
     * Number of entries; 0 for a clear.
     */
    entryCount: number;
    /**
     * Keys and their new values, applied in order.
     */
    entries: Array<Journal.JournalEntry>;
  }
  /**
   * One key and its new value; a nil value removes the key.
   */
  class JournalEntry {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Key size in bytes.
     */
    keyLength: number;
    /**
     * The key, UTF-8.
     */
    key: string;
    /**
     * The new value.
     */
    value: Journal.Value;
  }
  /**
   * A JSON-like value, tagged. Arrays and objects nest; writers limit the
   * depth to 64.
   */
  class Value {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Which kind of value follows.
     */
    tag: number;
    /**
     * The value itself; absent for nil and the two booleans.
     */
    body: Journal.Int64 | number | Journal.StringValue | Journal.BytesValue | Journal.ArrayValue | Journal.ObjectValue | undefined;
  }
  /**
   * A signed 64-bit integer as two 32-bit halves, so that readers in
   * languages without exact 64-bit numbers (JavaScript) lose nothing:
   * value = hi * 2^32 + lo.
   */
  class Int64 {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Low 32 bits, unsigned.
     */
    lo: number;
    /**
     * High 32 bits, signed.
     */
    hi: number;
  }
  /**
   * UTF-8 text.
   */
  class StringValue {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Size in bytes, at most 256 MiB.
     */
    length: number;
    /**
     * The text.
     */
    text: string;
  }
  /**
   * A byte array.
   */
  class BytesValue {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Size in bytes, at most 256 MiB.
     */
    length: number;
    /**
     * The bytes.
     */
    data: Uint8Array;
  }
  /**
   * An ordered list of values.
   */
  class ArrayValue {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Number of items.
     */
    count: number;
    /**
     * The items.
     */
    items: Array<Journal.Value>;
  }
  /**
   * String keys to values, in the order written.
   */
  class ObjectValue {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Number of members.
     */
    count: number;
    /**
     * The members.
     */
    members: Array<Journal.ObjectMember>;
  }
  /**
   * One member of an object.
   */
  class ObjectMember {
    constructor(io: KaitaiStream, parent?: unknown, root?: unknown);
    _io: KaitaiStream;
    /**
     * Size of the member name in bytes.
     */
    keyLength: number;
    /**
     * The member name.
     */
    key: string;
    /**
     * The member value.
     */
    value: Journal.Value;
  }
}
