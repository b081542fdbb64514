// Reads snapshots with the generated parser (formats/snapshot.ksy), chunk by
// chunk, checking each chunk's CRC before believing its entries, then key
// order, the entry count and the SHA-256 trailer. Any damage throws: a
// snapshot is used whole or not at all.

import { createHash } from 'node:crypto';
import { crc32c } from '../checksum/crc32c.js';
import { type ByteSource, bytesSource, SourceWindow } from './byte-source.js';
import { damageError, kaitaiDamage, readFileHeader } from './damage.js';
import { Snapshot, streamOver } from './kaitai.js';
import {
  CHUNK_FRAME_SIZE,
  EXPIRY_SIZE,
  MAX_CHUNK_ENTRIES,
  MAX_CHUNK_LENGTH,
  MAX_VALUE_LENGTH,
  SHA256_SIZE,
  SNAPSHOT_ENTRY_FIXED_SIZE,
  SNAPSHOT_HEADER_SIZE,
  SNAPSHOT_MAGIC,
  type ValueEncoding,
} from './limits.js';
import { compareKeyBytes, type SnapshotEntry, type SnapshotHeader } from './snapshot-writer.js';

export interface SnapshotContents {
  header: SnapshotHeader;
  entries: SnapshotEntry[];
}

/** Reads a snapshot held in memory whole into entries (views into `bytes`); throws LogkvError on any damage. */
export function readSnapshot(bytes: Uint8Array, file?: string): SnapshotContents {
  const entries: SnapshotEntry[] = [];
  const header = scanSnapshot(bytesSource(bytes), (e) => entries.push(e), file);
  return { header, entries };
}

/**
 * Reads a snapshot chunk by chunk, a window of the source at a time, and
 * calls `onEntry` for each entry of each chunk whose CRC matched (key and
 * value are views into the window: copy them to keep them). Throws
 * LogkvError on any damage, possibly after some entries were visited: a
 * caller that must use a snapshot whole or not at all reads it once
 * without `onEntry` first.
 */
export function scanSnapshot(source: ByteSource, onEntry: ((entry: SnapshotEntry) => void) | undefined, file?: string): SnapshotHeader {
  return scanSnapshotEntries(source, onEntry && ((bytes, at, offset) => onEntry(entryAt(bytes, at, offset))), file);
}

/**
 * Told of one entry: it starts at bytes[at] (a view of the window, valid
 * as long as the caller keeps `bytes`) and was set at `offset`. No object
 * per entry: a restore of 1M entries made 2M of them (entry, views).
 */
export type EntryVisitor = (bytes: Uint8Array, at: number, offset: number) => void;

/** The entry at bytes[at] (fields already checked by the scan), its key and value views into `bytes`. */
export function entryAt(bytes: Uint8Array, at: number, offset: number): SnapshotEntry {
  const f = entryFields(bytes, at);
  const keyAt = at + SNAPSHOT_ENTRY_FIXED_SIZE + (f.hasExpiry ? EXPIRY_SIZE : 0);
  const expireAtMs = f.hasExpiry ? u64(bytes, at + SNAPSHOT_ENTRY_FIXED_SIZE) : undefined;
  return { key: bytes.subarray(keyAt, keyAt + f.keyLength), value: bytes.subarray(keyAt + f.keyLength, keyAt + f.keyLength + f.valueLength), offset, expireAtMs };
}

/** The length fields of the entry at bytes[at]. */
export function entryFields(bytes: Uint8Array, at: number): { hasExpiry: boolean; keyLength: number; valueLength: number } {
  return { hasExpiry: bytes[at] === 1, keyLength: bytes[at + 1]! | (bytes[at + 2]! << 8), valueLength: u32(bytes, at + 3) };
}

/** scanSnapshot(), telling each entry by its place instead of as an object. */
export function scanSnapshotEntries(source: ByteSource, onEntry: EntryVisitor | undefined, file?: string): SnapshotHeader {
  const headerBytes = source.read(0, SNAPSHOT_HEADER_SIZE);
  const h = readFileHeader(headerBytes, SNAPSHOT_MAGIC, SNAPSHOT_HEADER_SIZE, (io) => new Snapshot.SnapshotHeader(io), file);
  const header: SnapshotHeader = {
    valueEncoding: h.valueEncoding as ValueEncoding,
    nextOffset: h.nextOffset,
    createdMs: h.createdMs,
    entryCount: h.entryCount,
  };
  const fail = (code: 'CORRUPT' | 'TRUNCATED', reason: string, offset: number, length: number, message: string): never => {
    throw damageError({ code, reason, offset, length, message }, file);
  };
  const size = source.size;
  const sha = createHash('sha256');
  const w = new SourceWindow(source);
  let io = streamOver(w.bytes);
  let ioOver = w.bytes;
  let at = SNAPSHOT_HEADER_SIZE;
  sha.update(headerBytes);
  let count = 0;
  // The last key: bytes [lastAt, lastAt + lastLength) of lastBytes.
  let lastBytes: Uint8Array | undefined;
  let lastAt = 0;
  let lastLength = 0;
  for (;;) {
    if (size - at < CHUNK_FRAME_SIZE) fail('TRUNCATED', 'truncated', at, size - at, 'file ends inside a chunk header');
    w.cover(at, CHUNK_FRAME_SIZE);
    const view = new DataView(w.bytes.buffer, w.bytes.byteOffset + at - w.base, CHUNK_FRAME_SIZE);
    const entryCount = view.getUint32(0, true);
    const chunkLength = view.getUint32(4, true);
    const stored = view.getUint32(8, true);
    if (chunkLength > MAX_CHUNK_LENGTH) fail('CORRUPT', 'field-range', at, size - at, `chunk length ${chunkLength} out of range`);
    const end = at + CHUNK_FRAME_SIZE + chunkLength;
    if (end > size) fail('TRUNCATED', 'truncated', at, size - at, `chunk of ${chunkLength} bytes runs past the end of the file`);
    w.cover(at, CHUNK_FRAME_SIZE + chunkLength);
    const chunkBytes = w.bytes.subarray(at - w.base, end - w.base);
    const body = chunkBytes.subarray(CHUNK_FRAME_SIZE);
    if (crc32c(body) !== stored) {
      fail('CORRUPT', 'chunk-crc', at, CHUNK_FRAME_SIZE + chunkLength, 'chunk CRC-32C mismatch');
    }
    sha.update(chunkBytes);
    if (entryCount === 0 || !entriesFill(body, entryCount)) {
      // The end chunk, or entries that break the format: the generated parser reads the chunk and says what is wrong as it always has.
      if (ioOver !== w.bytes) {
        io = streamOver(w.bytes);
        ioOver = w.bytes;
      }
      io.seek(at - w.base);
      let chunk: InstanceType<typeof Snapshot.Chunk>;
      try {
        chunk = new Snapshot.Chunk(io);
      } catch (e) {
        throw damageError(kaitaiDamage(e, at, CHUNK_FRAME_SIZE + chunkLength, 'chunk'), file);
      }
      if (chunk.entryCount === 0) {
        if (chunkLength !== 0) fail('CORRUPT', 'field-range', at, CHUNK_FRAME_SIZE + chunkLength, 'end chunk with a length');
        at = end;
        break;
      }
      if (chunk.body._io.pos !== chunkLength) fail('CORRUPT', 'field-range', at, CHUNK_FRAME_SIZE + chunkLength, 'entries do not fill the chunk');
      // entriesFill() and the generated parser disagree: a bug, never a reason to read on.
      fail('CORRUPT', 'field-range', at, CHUNK_FRAME_SIZE + chunkLength, 'chunk entries out of range');
    }
    // Entries the walk above found well formed, read in place (the generated parser's objects were most of a restore's read).
    for (let e = 0, p = 0; e < entryCount; e++) {
      const hasExpiry = body[p] === 1;
      const keyLength = body[p + 1]! | (body[p + 2]! << 8);
      const keyAt = p + SNAPSHOT_ENTRY_FIXED_SIZE + (hasExpiry ? EXPIRY_SIZE : 0);
      if (lastBytes !== undefined && compareKeyBytes(lastBytes, lastAt, lastLength, body, keyAt, keyLength) >= 0) {
        fail('CORRUPT', 'key-order', at, CHUNK_FRAME_SIZE + chunkLength, 'keys are not strictly ascending');
      }
      lastBytes = body;
      lastAt = keyAt;
      lastLength = keyLength;
      count++;
      onEntry?.(body, p, u64(body, p + 7));
      p = keyAt + keyLength + u32(body, p + 3);
    }
    at = end;
  }
  if (count !== header.entryCount) {
    fail('CORRUPT', 'entry-count', 0, SNAPSHOT_HEADER_SIZE, `header counts ${header.entryCount} entries, chunks hold ${count}`);
  }
  const trailerAt = at;
  if (size - trailerAt < SHA256_SIZE) fail('TRUNCATED', 'truncated', trailerAt, size - trailerAt, 'file ends inside the SHA-256 trailer');
  if (!sha.digest().equals(source.read(trailerAt, SHA256_SIZE))) {
    fail('CORRUPT', 'sha256', trailerAt, SHA256_SIZE, 'SHA-256 of the snapshot does not match its trailer');
  }
  if (size !== trailerAt + SHA256_SIZE) {
    fail('CORRUPT', 'trailing-bytes', trailerAt + SHA256_SIZE, size - trailerAt - SHA256_SIZE, 'bytes after the SHA-256 trailer');
  }
  return header;
}

/**
 * Whether `count` entries fill `body` exactly with every field within what
 * formats/snapshot.ksy allows (the same checks as the generated parser's
 * `valid:` and sizes): then the parser would read them all, so they are
 * read in place. False sends the chunk to the parser, which says why.
 */
function entriesFill(body: Uint8Array, count: number): boolean {
  if (count > MAX_CHUNK_ENTRIES) return false;
  const n = body.length;
  let p = 0;
  for (let e = 0; e < count; e++) {
    if (p + SNAPSHOT_ENTRY_FIXED_SIZE > n) return false;
    const flags = body[p]!;
    const valueLength = u32(body, p + 3);
    if (flags > 1 || valueLength > MAX_VALUE_LENGTH || !safeU64(body, p + 7)) return false;
    let q = p + SNAPSHOT_ENTRY_FIXED_SIZE;
    if (flags === 1) {
      if (q + EXPIRY_SIZE > n || !safeU64(body, q)) return false;
      q += EXPIRY_SIZE;
    }
    p = q + (body[p + 1]! | (body[p + 2]! << 8)) + valueLength;
    if (p > n) return false;
  }
  return p === n;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** A u8 the format bounds at 2^53 - 1: its high word below 2^21. */
function safeU64(b: Uint8Array, at: number): boolean {
  return u32(b, at + 4) <= 0x1fffff;
}

function u64(b: Uint8Array, at: number): number {
  return u32(b, at + 4) * 0x100000000 + u32(b, at);
}
