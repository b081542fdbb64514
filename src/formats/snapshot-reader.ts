// Reads snapshots with the generated parser (formats/snapshot.ksy), chunk by
// chunk, checking each chunk's CRC before believing its entries, then key
// order, the entry count and the SHA-256 trailer. Any damage throws: a
// snapshot is used whole or not at all.

import { createHash } from 'node:crypto';
import { crc32c } from '../checksum/crc32c.js';
import { damageError, kaitaiDamage, readFileHeader } from './damage.js';
import { Snapshot, streamOver } from './kaitai.js';
import { CHUNK_FRAME_SIZE, MAX_CHUNK_LENGTH, SHA256_SIZE, SNAPSHOT_HEADER_SIZE, SNAPSHOT_MAGIC, type ValueEncoding } from './limits.js';
import type { SnapshotEntry, SnapshotHeader } from './snapshot-writer.js';

export interface SnapshotContents {
  header: SnapshotHeader;
  entries: SnapshotEntry[];
}

export function readSnapshot(bytes: Uint8Array, file?: string): SnapshotContents {
  const h = readFileHeader(bytes, SNAPSHOT_MAGIC, SNAPSHOT_HEADER_SIZE, (io) => new Snapshot.SnapshotHeader(io), file);
  const header: SnapshotHeader = {
    valueEncoding: h.valueEncoding as ValueEncoding,
    nextOffset: h.nextOffset,
    createdMs: h.createdMs,
    entryCount: h.entryCount,
  };
  const fail = (code: 'CORRUPT' | 'TRUNCATED', reason: string, offset: number, length: number, message: string): never => {
    throw damageError({ code, reason, offset, length, message }, file);
  };
  const io = streamOver(bytes);
  io.seek(SNAPSHOT_HEADER_SIZE);
  const entries: SnapshotEntry[] = [];
  let lastKey: Uint8Array | undefined;
  for (;;) {
    const at = io.pos;
    if (bytes.length - at < CHUNK_FRAME_SIZE) fail('TRUNCATED', 'truncated', at, bytes.length - at, 'file ends inside a chunk header');
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, CHUNK_FRAME_SIZE);
    const chunkLength = view.getUint32(4, true);
    if (chunkLength > MAX_CHUNK_LENGTH) fail('CORRUPT', 'field-range', at, bytes.length - at, `chunk length ${chunkLength} out of range`);
    if (at + CHUNK_FRAME_SIZE + chunkLength > bytes.length) {
      fail('TRUNCATED', 'truncated', at, bytes.length - at, `chunk of ${chunkLength} bytes runs past the end of the file`);
    }
    const body = bytes.subarray(at + CHUNK_FRAME_SIZE, at + CHUNK_FRAME_SIZE + chunkLength);
    if (crc32c(body) !== view.getUint32(8, true)) {
      fail('CORRUPT', 'chunk-crc', at, CHUNK_FRAME_SIZE + chunkLength, 'chunk CRC-32C mismatch');
    }
    let chunk: InstanceType<typeof Snapshot.Chunk>;
    try {
      chunk = new Snapshot.Chunk(io);
    } catch (e) {
      throw damageError(kaitaiDamage(e, at, CHUNK_FRAME_SIZE + chunkLength, 'chunk'), file);
    }
    if (chunk.entryCount === 0) {
      if (chunkLength !== 0) fail('CORRUPT', 'field-range', at, CHUNK_FRAME_SIZE + chunkLength, 'end chunk with a length');
      break;
    }
    if (chunk.body._io.pos !== chunkLength) fail('CORRUPT', 'field-range', at, CHUNK_FRAME_SIZE + chunkLength, 'entries do not fill the chunk');
    for (const e of chunk.body.entries) {
      if (lastKey !== undefined && Buffer.compare(lastKey, e.key) >= 0) {
        fail('CORRUPT', 'key-order', at, CHUNK_FRAME_SIZE + chunkLength, 'keys are not strictly ascending');
      }
      lastKey = e.key;
      entries.push({ key: e.key, value: e.value, offset: e.offset, expireAtMs: e.expiry?.expireAtMs });
    }
  }
  if (entries.length !== header.entryCount) {
    fail('CORRUPT', 'entry-count', 0, SNAPSHOT_HEADER_SIZE, `header counts ${header.entryCount} entries, chunks hold ${entries.length}`);
  }
  const trailerAt = io.pos;
  if (bytes.length - trailerAt < SHA256_SIZE) fail('TRUNCATED', 'truncated', trailerAt, bytes.length - trailerAt, 'file ends inside the SHA-256 trailer');
  const digest = createHash('sha256').update(bytes.subarray(0, trailerAt)).digest();
  if (!digest.equals(bytes.subarray(trailerAt, trailerAt + SHA256_SIZE))) {
    fail('CORRUPT', 'sha256', trailerAt, SHA256_SIZE, 'SHA-256 of the snapshot does not match its trailer');
  }
  if (bytes.length !== trailerAt + SHA256_SIZE) {
    fail('CORRUPT', 'trailing-bytes', trailerAt + SHA256_SIZE, bytes.length - trailerAt - SHA256_SIZE, 'bytes after the SHA-256 trailer');
  }
  return { header, entries };
}
