// Encodes hint files (formats/hint.ksy): the key directory of one sealed
// segment, written whole and renamed into place by the caller.

import { crc32c } from '../checksum/crc32c.js';
import { LogkvError } from '../errors.js';
import {
  EXPIRY_SIZE,
  FORMAT_VERSION,
  HINT_ENTRY_FIXED_SIZE,
  HINT_HEADER_SIZE,
  HINT_MAGIC,
  HINT_TRAILER_SIZE,
  MAX_KEY_LENGTH,
  MAX_RECORD_SIZE,
  RECORD_FIXED_SIZE,
} from './limits.js';
import { writeU64 } from './log-segment-writer.js';

export interface HintEntry {
  key: Uint8Array;
  offset: number;
  /** Byte position of the record in the segment. */
  position: number;
  /** Encoded size of the record. */
  size: number;
  tombstone: boolean;
  expireAtMs?: number | undefined;
}

export interface HintFile {
  segmentBaseOffset: number;
  segmentNextOffset: number;
  /** Length of the segment file the hint was made from. */
  coveredLength: number;
  entries: readonly HintEntry[];
}

export function encodeHint(h: HintFile): Buffer {
  let size = HINT_HEADER_SIZE + HINT_TRAILER_SIZE;
  for (const e of h.entries) size += HINT_ENTRY_FIXED_SIZE + (e.expireAtMs === undefined ? 0 : EXPIRY_SIZE) + e.key.length;
  const buf = Buffer.alloc(size);
  buf.write(HINT_MAGIC, 0, 'latin1');
  buf.writeUInt16LE(FORMAT_VERSION, 4);
  buf.writeUInt16LE(0, 6);
  writeU64(buf, 8, h.segmentBaseOffset, 'segmentBaseOffset');
  writeU64(buf, 16, h.segmentNextOffset, 'segmentNextOffset');
  if (h.coveredLength > 0xffffffff) throw new LogkvError('TOO_LARGE', 'segment longer than 4 GiB');
  writeU64(buf, 24, h.coveredLength, 'coveredLength');
  buf.writeUInt32LE(crc32c(buf.subarray(0, 32)), 32);
  let pos = HINT_HEADER_SIZE;
  for (const e of h.entries) {
    if (e.key.length > MAX_KEY_LENGTH) throw new LogkvError('TOO_LARGE', `key of ${e.key.length} bytes is over ${MAX_KEY_LENGTH}`);
    if (!Number.isInteger(e.size) || e.size < RECORD_FIXED_SIZE || e.size > MAX_RECORD_SIZE) {
      throw new LogkvError('INVALID_ARGUMENT', `record size ${e.size} is not one a record can have`);
    }
    if (!Number.isInteger(e.position) || e.position < 0 || e.position > 0xffffffff) throw new LogkvError('INVALID_ARGUMENT', `position ${e.position} out of range`);
    buf[pos] = (e.tombstone ? 1 : 0) | (e.expireAtMs === undefined ? 0 : 2);
    buf.writeUInt16LE(e.key.length, pos + 1);
    writeU64(buf, pos + 3, e.offset, 'offset');
    buf.writeUInt32LE(e.position, pos + 11);
    buf.writeUInt32LE(e.size, pos + 15);
    pos += HINT_ENTRY_FIXED_SIZE;
    if (e.expireAtMs !== undefined) {
      writeU64(buf, pos, e.expireAtMs, 'expireAtMs');
      pos += EXPIRY_SIZE;
    }
    buf.set(e.key, pos);
    pos += e.key.length;
  }
  buf.writeUInt32LE(h.entries.length, pos);
  buf.writeUInt32LE(crc32c(buf.subarray(HINT_HEADER_SIZE, pos)), pos + 4);
  return buf;
}
