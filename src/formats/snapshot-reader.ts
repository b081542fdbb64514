// Reads snapshots with the generated parser (formats/snapshot.ksy), chunk by
// chunk, checking each chunk's CRC before believing its entries, then key
// order, the entry count and the SHA-256 trailer. Any damage throws: a
// snapshot is used whole or not at all.

import { createHash } from 'node:crypto';
import { crc32c } from '../checksum/crc32c.js';
import { type ByteSource, bytesSource, SourceWindow } from './byte-source.js';
import { damageError, kaitaiDamage, readFileHeader } from './damage.js';
import { Snapshot, streamOver } from './kaitai.js';
import { CHUNK_FRAME_SIZE, MAX_CHUNK_LENGTH, SHA256_SIZE, SNAPSHOT_HEADER_SIZE, SNAPSHOT_MAGIC, type ValueEncoding } from './limits.js';
import type { SnapshotEntry, SnapshotHeader } from './snapshot-writer.js';

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
  let lastKey: Uint8Array | undefined;
  for (;;) {
    if (size - at < CHUNK_FRAME_SIZE) fail('TRUNCATED', 'truncated', at, size - at, 'file ends inside a chunk header');
    w.cover(at, CHUNK_FRAME_SIZE);
    const view = new DataView(w.bytes.buffer, w.bytes.byteOffset + at - w.base, CHUNK_FRAME_SIZE);
    const chunkLength = view.getUint32(4, true);
    const stored = view.getUint32(8, true);
    if (chunkLength > MAX_CHUNK_LENGTH) fail('CORRUPT', 'field-range', at, size - at, `chunk length ${chunkLength} out of range`);
    const end = at + CHUNK_FRAME_SIZE + chunkLength;
    if (end > size) fail('TRUNCATED', 'truncated', at, size - at, `chunk of ${chunkLength} bytes runs past the end of the file`);
    w.cover(at, CHUNK_FRAME_SIZE + chunkLength);
    const chunkBytes = w.bytes.subarray(at - w.base, end - w.base);
    if (crc32c(chunkBytes.subarray(CHUNK_FRAME_SIZE)) !== stored) {
      fail('CORRUPT', 'chunk-crc', at, CHUNK_FRAME_SIZE + chunkLength, 'chunk CRC-32C mismatch');
    }
    sha.update(chunkBytes);
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
    for (const e of chunk.body.entries) {
      if (lastKey !== undefined && Buffer.compare(lastKey, e.key) >= 0) {
        fail('CORRUPT', 'key-order', at, CHUNK_FRAME_SIZE + chunkLength, 'keys are not strictly ascending');
      }
      lastKey = e.key;
      count++;
      onEntry?.({ key: e.key, value: e.value, offset: e.offset, expireAtMs: e.expiry?.expireAtMs });
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
