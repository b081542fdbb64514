// Encodes snapshots (formats/snapshot.ksy) as a stream of byte chunks, so a
// large state can go to a file without being held whole in memory. The
// bytes are a pure function of the entries and the header fields.

import { createHash, type Hash } from 'node:crypto';
import { crc32c } from '../checksum/crc32c.js';
import { LogkvError } from '../errors.js';
import {
  CHUNK_FRAME_SIZE,
  EXPIRY_SIZE,
  FORMAT_VERSION,
  MAX_KEY_LENGTH,
  MAX_VALUE_LENGTH,
  Op,
  RECORD_FIXED_SIZE,
  SNAPSHOT_CHUNK_TARGET,
  SNAPSHOT_ENTRY_FIXED_SIZE,
  SNAPSHOT_HEADER_SIZE,
  SNAPSHOT_MAGIC,
  type ValueEncoding,
} from './limits.js';
import { writeU64 } from './log-segment-writer.js';

export interface SnapshotHeader {
  valueEncoding: ValueEncoding;
  /** Every offset below this is reflected in the snapshot. */
  nextOffset: number;
  /** Timestamp of the newest batch included (not the time of writing). */
  createdMs: number;
  entryCount: number;
}

export interface SnapshotEntry {
  key: Uint8Array;
  value: Uint8Array;
  /** Offset of the record that last set the key. */
  offset: number;
  expireAtMs?: number | undefined;
}

export class SnapshotWriter {
  readonly #sink: (bytes: Buffer) => void;
  readonly #hash: Hash = createHash('sha256');
  readonly #expected: number;
  readonly #chunks: SnapshotChunks;
  #finished = false;

  /** `sink` receives the file's bytes in order. */
  constructor(header: SnapshotHeader, sink: (bytes: Buffer) => void) {
    this.#sink = sink;
    this.#expected = header.entryCount;
    this.#emit(encodeSnapshotHeader(header));
    this.#chunks = new SnapshotChunks((b) => this.#emit(b));
  }

  /** Adds the next entry; keys must come in strictly ascending byte order. */
  add(e: SnapshotEntry): void {
    this.#checkOpen();
    this.#chunks.add(e);
  }

  /** SnapshotChunks.addRecord(). */
  addRecord(record: Uint8Array, at: number, size: number, offset: number): boolean {
    this.#checkOpen();
    return this.#chunks.addRecord(record, at, size, offset);
  }

  #checkOpen(): void {
    if (this.#finished) throw new LogkvError('INVALID_ARGUMENT', 'snapshot already finished');
  }

  /** Writes the end chunk and the SHA-256 trailer. */
  finish(): void {
    if (this.#finished) return;
    if (this.#chunks.entries !== this.#expected) {
      throw new LogkvError('INVALID_ARGUMENT', `snapshot header promised ${this.#expected} entries, got ${this.#chunks.entries}`);
    }
    this.#chunks.flush();
    this.#emit(END_CHUNK);
    this.#finished = true;
    this.#sink(this.#hash.digest());
  }

  #emit(bytes: Buffer): void {
    this.#hash.update(bytes);
    this.#sink(bytes);
  }
}

/**
 * The chunks of a snapshot's entries, each handed to `sink` as its frame
 * then its body: what lies between a snapshot's header and its end chunk.
 * A run of entries that starts where a chunk of the whole file starts
 * gives that file's chunks, so parts of a snapshot can be encoded apart
 * (snapshot-parts.ts) and joined.
 */
export class SnapshotChunks {
  readonly #sink: (bytes: Buffer) => void;
  /** The chunk being filled: entries are encoded straight into it (no buffer per entry, no concatenation). */
  #chunk: Buffer = Buffer.allocUnsafe(2 * SNAPSHOT_CHUNK_TARGET);
  #chunkBytes = 0;
  #chunkEntries = 0;
  #written = 0;
  /** The first key added (a copy) and the last: bytes [#lastKeyAt, +#lastKeyLength) of #lastKey. */
  #firstKey: Uint8Array | undefined;
  #lastKey: Uint8Array | undefined;
  #lastKeyAt = 0;
  #lastKeyLength = 0;

  constructor(sink: (bytes: Buffer) => void) {
    this.#sink = sink;
  }

  /** Entries added. */
  get entries(): number {
    return this.#written;
  }

  /** Copies of the first and the last key added (undefined: none). */
  get firstKey(): Uint8Array | undefined {
    return this.#firstKey;
  }

  get lastKey(): Uint8Array | undefined {
    return this.#lastKey && this.#lastKey.slice(this.#lastKeyAt, this.#lastKeyAt + this.#lastKeyLength);
  }

  /** Adds the next entry; keys must come in strictly ascending byte order. */
  add(e: SnapshotEntry): void {
    if (e.key.length > MAX_KEY_LENGTH) throw new LogkvError('TOO_LARGE', `key of ${e.key.length} bytes is over ${MAX_KEY_LENGTH}`);
    if (e.value.length > MAX_VALUE_LENGTH) throw new LogkvError('TOO_LARGE', `value of ${e.value.length} bytes is over ${MAX_VALUE_LENGTH}`);
    const hasExpiry = e.expireAtMs !== undefined;
    const tail = (hasExpiry ? EXPIRY_SIZE : 0) + e.key.length + e.value.length;
    const at = this.#room(SNAPSHOT_ENTRY_FIXED_SIZE + tail);
    // Written past the chunk's end and counted in only once whole: an entry refused half-way (a bad offset) leaves the chunk as it was.
    const buf = this.#chunk;
    let pos = this.#entryHead(at, hasExpiry, e.key.length, e.value.length, e.offset);
    if (e.expireAtMs !== undefined) {
      writeU64(buf, pos, e.expireAtMs, 'expireAtMs');
      pos += EXPIRY_SIZE;
    }
    buf.set(e.key, pos);
    buf.set(e.value, pos + e.key.length);
    this.#commit(at, pos, e.key.length, SNAPSHOT_ENTRY_FIXED_SIZE + tail);
  }

  /**
   * Adds the next entry from the log record in record[at, at + size)
   * (formats/log_segment.ksy, a put whose CRC the caller has checked) and
   * the offset that set it: the record's expiry, key and value are the
   * entry's tail byte for byte, so they go over in one copy, with no
   * object made. False, with nothing added, when the bytes are not a put
   * record filling `size` exactly.
   */
  addRecord(record: Uint8Array, at: number, size: number, offset: number): boolean {
    if (size < RECORD_FIXED_SIZE || at + size > record.length) return false;
    const flags = record[at + 5]!;
    if (record[at + 4] !== Op.Put || flags > 1) return false;
    const keyLength = record[at + 10]! | (record[at + 11]! << 8);
    const valueLength = (record[at + 12]! | (record[at + 13]! << 8) | (record[at + 14]! << 16) | (record[at + 15]! << 24)) >>> 0;
    const keyAt = RECORD_FIXED_SIZE + flags * EXPIRY_SIZE;
    if (keyAt + keyLength + valueLength !== size || valueLength > MAX_VALUE_LENGTH) return false;
    // An expiry must be below 2^53, as the format says: its high word below 2^21.
    if (flags === 1 && (record[at + 23]! !== 0 || record[at + 22]! > 0x1f)) return false;
    const tail = size - RECORD_FIXED_SIZE;
    const entryAt = this.#room(SNAPSHOT_ENTRY_FIXED_SIZE + tail);
    const pos = this.#entryHead(entryAt, flags === 1, keyLength, valueLength, offset);
    this.#chunk.set(record.subarray(at + RECORD_FIXED_SIZE, at + size), pos);
    this.#commit(entryAt, pos + flags * EXPIRY_SIZE, keyLength, SNAPSHOT_ENTRY_FIXED_SIZE + tail);
    return true;
  }

  /** Where an entry of `size` bytes goes in the chunk, growing it if need be. */
  #room(size: number): number {
    if (this.#chunkBytes + size > this.#chunk.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.#chunk.length, this.#chunkBytes + size));
      this.#chunk.copy(grown, 0, 0, this.#chunkBytes);
      this.#chunk = grown;
    }
    return this.#chunkBytes;
  }

  /** Writes the 15 fixed bytes of an entry at `at`; returns where its tail starts. */
  #entryHead(at: number, hasExpiry: boolean, keyLength: number, valueLength: number, offset: number): number {
    const buf = this.#chunk;
    buf[at] = hasExpiry ? 1 : 0;
    buf.writeUInt16LE(keyLength, at + 1);
    buf.writeUInt32LE(valueLength, at + 3);
    writeU64(buf, at + 7, offset, 'offset');
    return at + SNAPSHOT_ENTRY_FIXED_SIZE;
  }

  /** Counts in the entry written at `at` (its key at keyAt), once its key is known to ascend. */
  #commit(at: number, keyAt: number, keyLength: number, size: number): void {
    const buf = this.#chunk;
    if (this.#lastKey !== undefined && compareKeyBytes(this.#lastKey, this.#lastKeyAt, this.#lastKeyLength, buf, keyAt, keyLength) >= 0) {
      throw new LogkvError('INVALID_ARGUMENT', 'snapshot keys must be strictly ascending');
    }
    if (this.#written === 0) this.#firstKey = buf.slice(keyAt, keyAt + keyLength);
    // The chunk's own copy: the caller may reuse the bytes it passed (a chunk buffer is never written again once left).
    this.#lastKey = buf;
    this.#lastKeyAt = keyAt;
    this.#lastKeyLength = keyLength;
    this.#chunkBytes = at + size;
    this.#chunkEntries++;
    this.#written++;
    if (this.#chunkBytes >= SNAPSHOT_CHUNK_TARGET) this.flush();
  }

  /** Closes the chunk being filled, if it holds an entry. */
  flush(): void {
    if (this.#chunkEntries === 0) return;
    const body = this.#chunk.subarray(0, this.#chunkBytes);
    this.#sink(chunkFrame(this.#chunkEntries, body.length, crc32c(body)));
    this.#sink(body);
    // The sink may keep what it was given: the next chunk gets a buffer of its own.
    this.#chunk = Buffer.allocUnsafe(2 * SNAPSHOT_CHUNK_TARGET);
    this.#chunkBytes = 0;
    this.#chunkEntries = 0;
  }
}

/** Unsigned byte order of a[aAt, +aLength) and b[bAt, +bLength), a shorter key first. */
export function compareKeyBytes(a: Uint8Array, aAt: number, aLength: number, b: Uint8Array, bAt: number, bLength: number): number {
  const n = Math.min(aLength, bLength);
  for (let i = 0; i < n; i++) {
    const d = a[aAt + i]! - b[bAt + i]!;
    if (d !== 0) return d;
  }
  return aLength - bLength;
}

/** The 36-byte header of a snapshot file. */
export function encodeSnapshotHeader(header: SnapshotHeader): Buffer {
  const buf = Buffer.alloc(SNAPSHOT_HEADER_SIZE);
  buf.write(SNAPSHOT_MAGIC, 0, 'latin1');
  buf.writeUInt16LE(FORMAT_VERSION, 4);
  buf.writeUInt8(header.valueEncoding, 6);
  buf.writeUInt8(0, 7);
  writeU64(buf, 8, header.nextOffset, 'nextOffset');
  writeU64(buf, 16, header.createdMs, 'createdMs');
  writeU64(buf, 24, header.entryCount, 'entryCount');
  buf.writeUInt32LE(crc32c(buf.subarray(0, 32)), 32);
  return buf;
}

/** The chunk that ends the chunk list: no entries, no bytes. */
export const END_CHUNK: Readonly<Buffer> = chunkFrame(0, 0, 0);

function chunkFrame(count: number, length: number, crc: number): Buffer {
  const f = Buffer.alloc(CHUNK_FRAME_SIZE);
  f.writeUInt32LE(count, 0);
  f.writeUInt32LE(length, 4);
  f.writeUInt32LE(crc, 8);
  return f;
}

/** Encodes a whole snapshot into one buffer. */
export function encodeSnapshot(header: Omit<SnapshotHeader, 'entryCount'>, entries: readonly SnapshotEntry[]): Buffer {
  const parts: Buffer[] = [];
  const w = new SnapshotWriter({ ...header, entryCount: entries.length }, (b) => parts.push(b));
  for (const e of entries) w.add(e);
  w.finish();
  return Buffer.concat(parts);
}
