// Reads a log segment batch by batch with the generated parser
// (formats/log_segment.ksy). The loop is ours, not Kaitai's `repeat: eos`, so
// that a torn or damaged batch yields the last good position instead of
// losing the whole file, and so each batch's CRC is checked before any of its
// records is believed.

import { crc32c } from '../checksum/crc32c.js';
import { type Damage, firstNonZero, kaitaiDamage, readFileHeader } from './damage.js';
import { LogSegment, streamOver, type KaitaiStream } from './kaitai.js';
import {
  BATCH_FRAME_SIZE,
  LOG_MAGIC,
  MAX_BATCH_LENGTH,
  MIN_BATCH_LENGTH,
  Op,
  RECORD_CRC_SIZE,
  SEGMENT_HEADER_SIZE,
  type ValueEncoding,
} from './limits.js';

export interface SegmentHeaderInfo {
  baseOffset: number;
  valueEncoding: ValueEncoding;
  createdMs: number;
}

export interface ReadRecord {
  op: Op;
  offset: number;
  /** Byte position of the record in the file. */
  position: number;
  /** Encoded size of the record in bytes. */
  size: number;
  /** A view into the segment's bytes: copy it to keep it. */
  key: Uint8Array;
  /** A view into the segment's bytes: copy it to keep it. */
  value: Uint8Array;
  expireAtMs: number | undefined;
}

export interface ReadBatch {
  /** Byte position of the batch (its length field) in the file. */
  position: number;
  /** Bytes the batch takes in the file, framing included. */
  size: number;
  crc: number;
  baseOffset: number;
  lastOffsetDelta: number;
  timestampMs: number;
  compacted: boolean;
  records: ReadRecord[];
}

export interface SegmentScanOptions {
  /** Name used in errors and reports. */
  file?: string;
  /**
   * After damage, search forward for the next valid batch and go on from
   * there (salvage), reporting the skipped range. Off: stop at the first
   * damage.
   */
  resync?: boolean;
  /** Called for each valid batch in file order. */
  onBatch?: (batch: ReadBatch) => void;
}

export interface SegmentScan {
  header: SegmentHeaderInfo;
  /** Position after the last valid batch read before any damage. */
  validUpTo: number;
  /** One past the highest offset read (the header's base offset if none). */
  nextOffset: number;
  /**
   * How the reading ended: end of file, the zero-fill marker, or damage.
   * With resync, reading may go on past damage and end otherwise: the
   * damage list is what tells whether there was any.
   */
  end: 'eof' | 'zero-fill' | 'damage';
  /** Bytes of zero fill after the end-of-log marker. */
  zeroFill: number;
  /** Each damaged range, in file order (at most one unless resync). */
  damage: Damage[];
  batchCount: number;
  recordCount: number;
}

/** Parses and checks a segment's 28-byte header; throws LogkvError. */
export function readSegmentHeader(bytes: Uint8Array, file?: string): SegmentHeaderInfo {
  const h = readFileHeader(bytes, LOG_MAGIC, SEGMENT_HEADER_SIZE, (io) => new LogSegment.SegmentHeader(io), file);
  return { baseOffset: h.baseOffset, valueEncoding: h.valueEncoding as ValueEncoding, createdMs: h.createdMs };
}

/** What lies at one position of a segment: a valid batch, the end of the log, or damage. */
export type BatchStep = { kind: 'batch'; batch: ReadBatch } | { kind: 'end'; zeroFill: number } | { kind: 'damage'; damage: Damage };
type Step = BatchStep;

/**
 * Reads one batch at a time from a segment's bytes, for callers that drive
 * the loop themselves and pause between batches (the log cleaner, the
 * change feed). Same checks as scanSegment; `bytes` is the file from byte 0
 * (or any prefix of it that holds the batches asked for).
 */
export class BatchReader {
  readonly #bytes: Uint8Array;
  readonly #io: KaitaiStream;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
    this.#io = streamOver(bytes);
  }

  /** The batch at `position`, whose offsets must not be below `minOffset`. */
  at(position: number, minOffset: number): BatchStep {
    return batchAt(this.#bytes, this.#io, position, minOffset);
  }
}

/**
 * Reads every batch of a segment held in memory. Throws LogkvError only when
 * the header is unusable; damage after the header is reported in the result.
 */
export function scanSegment(bytes: Uint8Array, options: SegmentScanOptions = {}): SegmentScan {
  const header = readSegmentHeader(bytes, options.file);
  const io = streamOver(bytes);
  const result: SegmentScan = {
    header,
    validUpTo: SEGMENT_HEADER_SIZE,
    nextOffset: header.baseOffset,
    end: 'eof',
    zeroFill: 0,
    damage: [],
    batchCount: 0,
    recordCount: 0,
  };
  let pos = SEGMENT_HEADER_SIZE;
  while (pos < bytes.length) {
    const step = batchAt(bytes, io, pos, result.nextOffset);
    if (step.kind === 'batch') {
      const b = step.batch;
      if (result.damage.length === 0) result.validUpTo = pos + b.size;
      result.nextOffset = b.baseOffset + b.lastOffsetDelta + 1;
      result.batchCount++;
      result.recordCount += b.records.length;
      options.onBatch?.(b);
      pos += b.size;
      continue;
    }
    if (step.kind === 'end') {
      result.end = 'zero-fill';
      result.zeroFill = step.zeroFill;
      return result;
    }
    result.end = 'damage';
    if (!options.resync) {
      result.damage.push(step.damage);
      return result;
    }
    const next = findNextBatch(bytes, io, pos + 1, result.nextOffset);
    result.damage.push({ ...step.damage, length: (next ?? bytes.length) - step.damage.offset });
    if (next === undefined) return result;
    pos = next;
  }
  if (result.damage.length === 0) result.end = 'eof';
  return result;
}

/** Reads the whole segment and returns its batches too (tests, tools). */
export function readSegment(bytes: Uint8Array, options: Omit<SegmentScanOptions, 'onBatch'> = {}): SegmentScan & { batches: ReadBatch[] } {
  const batches: ReadBatch[] = [];
  const scan = scanSegment(bytes, { ...options, onBatch: (b) => batches.push(b) });
  return { ...scan, batches };
}

function findNextBatch(bytes: Uint8Array, io: KaitaiStream, from: number, minOffset: number): number | undefined {
  for (let q = from; q + BATCH_FRAME_SIZE + MIN_BATCH_LENGTH - 4 <= bytes.length; q++) {
    const len = bytes[q]! | (bytes[q + 1]! << 8) | (bytes[q + 2]! << 16) | (bytes[q + 3]! * 0x1000000);
    if (len < MIN_BATCH_LENGTH || len > MAX_BATCH_LENGTH || q + 4 + len > bytes.length) continue;
    if (batchAt(bytes, io, q, minOffset).kind === 'batch') return q;
  }
  return undefined;
}

function batchAt(bytes: Uint8Array, io: KaitaiStream, pos: number, minOffset: number): Step {
  const remaining = bytes.length - pos;
  const damage = (code: Damage['code'], reason: string, length: number, message: string): Step => ({
    kind: 'damage',
    damage: { code, reason, offset: pos, length, message },
  });
  if (remaining < 4) {
    // The format ends in nothing or a zero fill of at least 4 bytes.
    return damage('TRUNCATED', 'truncated', remaining, `${remaining} bytes left, too few for a batch or the end marker`);
  }
  io.seek(pos);
  const length = io.readU4le();
  if (length === 0) {
    const bad = firstNonZero(bytes, pos);
    if (bad < 0) return { kind: 'end', zeroFill: remaining };
    // The damage starts here, not at the first non-zero byte: a batch may
    // begin inside the zeros (its length's low byte can be 0), and the
    // zeros are where a batch should have been (a torn write, say).
    return damage('CORRUPT', 'nonzero-fill', remaining, `end-of-log marker at ${pos} but a non-zero byte at ${bad}`);
  }
  if (length < MIN_BATCH_LENGTH || length > MAX_BATCH_LENGTH) {
    return damage('CORRUPT', 'batch-length', remaining, `batch length ${length} out of range`);
  }
  const end = pos + 4 + length;
  if (end > bytes.length) {
    return damage('TRUNCATED', 'truncated', remaining, `batch of ${length + 4} bytes, only ${remaining} in the file`);
  }
  const stored = io.readU4le();
  const actual = crc32c(bytes.subarray(pos + BATCH_FRAME_SIZE, end));
  if (stored !== actual) {
    return damage('CORRUPT', 'batch-crc', length + 4, `batch CRC-32C mismatch (stored ${hex8(stored)}, computed ${hex8(actual)})`);
  }
  let batch: ReadBatch;
  try {
    const h = new LogSegment.BatchHeader(io);
    const records: ReadRecord[] = new Array(h.recordCount);
    for (let i = 0; i < h.recordCount; i++) {
      const at = io.pos;
      const r = new LogSegment.Record(io);
      if (!recordCrcMatches(bytes, at, io.pos, r.crc)) {
        return damage('CORRUPT', 'record-crc', length + 4, `record at ${at}: CRC-32C mismatch inside a batch whose CRC matched`);
      }
      records[i] = {
        op: r.op as Op,
        offset: h.baseOffset + r.offsetDelta,
        position: at,
        size: io.pos - at,
        key: r.key,
        value: r.value,
        expireAtMs: r.expiry?.expireAtMs,
      };
    }
    batch = {
      position: pos,
      size: length + 4,
      crc: stored,
      baseOffset: h.baseOffset,
      lastOffsetDelta: h.lastOffsetDelta,
      timestampMs: h.timestampMs,
      compacted: h.isCompacted,
      records,
    };
  } catch (e) {
    return { kind: 'damage', damage: kaitaiDamage(e, pos, length + 4, 'batch') };
  }
  if (io.pos !== end) {
    return damage('CORRUPT', 'batch-layout', length + 4, `records end at ${io.pos}, batch at ${end}`);
  }
  const problem = offsetProblem(batch, minOffset);
  if (problem) return damage('CORRUPT', problem.reason, length + 4, problem.message);
  return { kind: 'batch', batch };
}

function offsetProblem(b: ReadBatch, minOffset: number): { reason: string; message: string } | undefined {
  if (b.baseOffset < minOffset) {
    return { reason: 'offset-order', message: `batch base offset ${b.baseOffset} is below ${minOffset}` };
  }
  let prev = b.baseOffset - 1;
  for (const r of b.records) {
    if (r.offset <= prev) return { reason: 'offset-order', message: `record offset ${r.offset} does not increase` };
    if (r.op === Op.Delete && r.value.length !== 0) return { reason: 'batch-layout', message: `delete at offset ${r.offset} carries a value` };
    prev = r.offset;
  }
  if (prev !== b.baseOffset + b.lastOffsetDelta) {
    return { reason: 'offset-order', message: `last record offset ${prev} differs from the batch's ${b.baseOffset + b.lastOffsetDelta}` };
  }
  return undefined;
}

/** Whether the record in bytes[start, end) matches its stored CRC (its first 4 bytes). */
export function recordCrcMatches(bytes: Uint8Array, start: number, end: number, stored?: number): boolean {
  const crc = stored ?? (bytes[start]! | (bytes[start + 1]! << 8) | (bytes[start + 2]! << 16) | (bytes[start + 3]! << 24)) >>> 0;
  return crc32c(bytes.subarray(start + RECORD_CRC_SIZE, end)) === crc;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
