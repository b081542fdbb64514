// Reads hint files with the generated parser (formats/hint.ksy). A hint is
// all or nothing: any damage throws, and the caller rescans the segment.

import { crc32c } from '../checksum/crc32c.js';
import { damageError, kaitaiDamage, readFileHeader } from './damage.js';
import type { HintEntry, HintFile } from './hint-writer.js';
import { Hint, streamOver } from './kaitai.js';
import { HINT_HEADER_SIZE, HINT_MAGIC, HINT_TRAILER_SIZE } from './limits.js';

/** Parses and checks a hint; throws LogkvError (CORRUPT, TRUNCATED, ...). */
export function readHint(bytes: Uint8Array, file?: string): HintFile {
  const header = readFileHeader(bytes, HINT_MAGIC, HINT_HEADER_SIZE, (io) => new Hint.HintHeader(io), file);
  if (bytes.length < HINT_HEADER_SIZE + HINT_TRAILER_SIZE) {
    throw damageError({ code: 'TRUNCATED', reason: 'truncated', offset: bytes.length, length: 0, message: 'no room for the trailer' }, file);
  }
  const trailerAt = bytes.length - HINT_TRAILER_SIZE;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const storedCrc = view.getUint32(trailerAt + 4, true);
  if (crc32c(bytes.subarray(HINT_HEADER_SIZE, trailerAt)) !== storedCrc) {
    throw damageError(
      { code: 'CORRUPT', reason: 'entries-crc', offset: HINT_HEADER_SIZE, length: trailerAt - HINT_HEADER_SIZE, message: 'hint entries CRC-32C mismatch (or the file is torn)' },
      file,
    );
  }
  let parsed: InstanceType<typeof Hint>;
  try {
    parsed = new Hint(streamOver(bytes));
  } catch (e) {
    throw damageError(kaitaiDamage(e, HINT_HEADER_SIZE, trailerAt - HINT_HEADER_SIZE, 'hint entries'), file);
  }
  const list = parsed.entries.entries;
  if (list.length !== parsed.trailer.entryCount) {
    throw damageError(
      { code: 'CORRUPT', reason: 'entry-count', offset: trailerAt, length: HINT_TRAILER_SIZE, message: `trailer counts ${parsed.trailer.entryCount} entries, file holds ${list.length}` },
      file,
    );
  }
  const entries: HintEntry[] = list.map((e) => ({
    key: e.key,
    offset: e.offset,
    position: e.position,
    size: e.size,
    tombstone: e.isTombstone,
    expireAtMs: e.expiry?.expireAtMs,
  }));
  return {
    segmentBaseOffset: header.segmentBaseOffset,
    segmentNextOffset: header.segmentNextOffset,
    coveredLength: header.coveredLength,
    entries,
  };
}
