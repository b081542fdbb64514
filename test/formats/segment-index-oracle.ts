// A second reading of segment index files, to hold src/formats/
// segment-index-reader.ts against: the generated parser reads the file
// (it checks the magic, version, reserved field, header bounds and every
// slot's size bounds, and runs out of bytes on a short file), and the
// checks formats/segment_index.ksy describes in prose (header CRC, length,
// trailer count, slots CRC, each slot's CRC, (hash, position) order) are
// made here from the fields it parsed. It shares no code with the reader:
// a slot's CRC is computed from its parsed fields written out again, not
// from the file's bytes.

import { crc32c } from '../../src/checksum/crc32c.js';
import { SegmentIndex, streamOver } from '../../src/formats/kaitai.js';
import { INDEX_HEADER_SIZE, INDEX_MAGIC, INDEX_SLOT_SIZE } from '../../src/formats/limits.js';

export type IndexVerdict =
  | { ok: true; segmentBaseOffset: number; segmentNextOffset: number; coveredLength: number; lastBatchPosition: number; slots: Array<[number, number, number, number]> }
  | { ok: false; code: string; reason: string; offset: number };

const refuse = (code: string, reason: string, offset: number): IndexVerdict => ({ ok: false, code, reason, offset });

/** What a parser exception means, in the reader's words. */
function thrown(e: unknown, bytes: Uint8Array): IndexVerdict {
  const name = e instanceof Error ? e.name : '';
  // A short file: the reader reports where it ends.
  if (name === 'EOFError') return refuse('TRUNCATED', 'truncated', bytes.length);
  if (!name.startsWith('Validation')) throw e;
  if (Buffer.from(bytes.subarray(0, 4)).toString('latin1') !== INDEX_MAGIC) return refuse('BAD_MAGIC', 'magic', 0);
  if (bytes[4] !== 1 || bytes[5] !== 0) return refuse('UNSUPPORTED_VERSION', 'version', 4);
  return refuse('CORRUPT', 'field-range', 0);
}

export function generatedIndexVerdict(bytes: Uint8Array): IndexVerdict {
  let p: InstanceType<typeof SegmentIndex>;
  try {
    p = new SegmentIndex(streamOver(bytes));
  } catch (e) {
    return thrown(e, bytes);
  }
  const h = p.header;
  if (crc32c(bytes.subarray(0, 40)) !== h.headerCrc) return refuse('CORRUPT', 'header-crc', 0);
  if (!p._io.isEof()) return refuse('CORRUPT', 'trailing-bytes', p._io.pos);
  const end = INDEX_HEADER_SIZE + h.slotCount * INDEX_SLOT_SIZE;
  if (p.trailer.slotCount !== h.slotCount) return refuse('CORRUPT', 'slot-count', end);
  if (crc32c(bytes.subarray(INDEX_HEADER_SIZE, end)) !== p.trailer.slotsCrc) return refuse('CORRUPT', 'slots-crc', INDEX_HEADER_SIZE);
  const fields = Buffer.alloc(20);
  for (const [k, s] of p.slots.entries()) {
    fields.writeUInt32LE(s.keyHash, 0);
    fields.writeUInt32LE(s.position, 4);
    fields.writeUInt32LE(s.size, 8);
    fields.writeBigUInt64LE(BigInt(s.offset), 12);
    const at = INDEX_HEADER_SIZE + k * INDEX_SLOT_SIZE;
    if (crc32c(fields) !== s.slotCrc) return refuse('CORRUPT', 'slot-crc', at);
    const before = p.slots[k - 1];
    if (before && (s.keyHash < before.keyHash || (s.keyHash === before.keyHash && s.position <= before.position))) return refuse('CORRUPT', 'slot-order', at);
  }
  return {
    ok: true,
    segmentBaseOffset: h.segmentBaseOffset,
    segmentNextOffset: h.segmentNextOffset,
    coveredLength: h.coveredLength,
    lastBatchPosition: h.lastBatchPosition,
    slots: p.slots.map((s): [number, number, number, number] => [s.keyHash, s.position, s.size, s.offset]),
  };
}
