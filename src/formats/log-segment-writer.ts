// Encodes log segment headers and batches (formats/log_segment.ksy). The
// only code that produces these bytes; test/formats proves it against the
// generated parser.

import { crc32c, crc32cRange } from '../checksum/crc32c.js';
import { LogkvError } from '../errors.js';
import {
  BATCH_FRAME_SIZE,
  BATCH_HEADER_SIZE,
  EXPIRY_SIZE,
  FORMAT_VERSION,
  LOG_MAGIC,
  MAX_BATCH_LENGTH,
  MAX_KEY_LENGTH,
  MAX_RECORDS_PER_BATCH,
  MAX_SAFE_U64,
  MAX_VALUE_LENGTH,
  Op,
  RECORD_CRC_SIZE,
  RECORD_FIXED_SIZE,
  SEGMENT_HEADER_SIZE,
  ValueEncoding,
} from './limits.js';

export interface SegmentHeader {
  baseOffset: number;
  valueEncoding: ValueEncoding;
  createdMs: number;
}

export interface LogRecord {
  op: Op;
  /** Offset minus the batch's base offset; strictly increasing in a batch. */
  offsetDelta: number;
  key: Uint8Array;
  /** Empty for a delete. */
  value: Uint8Array;
  expireAtMs?: number | undefined;
}

export interface LogBatch {
  baseOffset: number;
  timestampMs: number;
  /** True when written by the log cleaner (offsets may have gaps). */
  compacted?: boolean;
  records: readonly LogRecord[];
}

const EMPTY = new Uint8Array(0);

export function encodeSegmentHeader(h: SegmentHeader): Buffer {
  const buf = Buffer.alloc(SEGMENT_HEADER_SIZE);
  buf.write(LOG_MAGIC, 0, 'latin1');
  buf.writeUInt16LE(FORMAT_VERSION, 4);
  buf.writeUInt8(h.valueEncoding, 6);
  buf.writeUInt8(0, 7);
  writeU64(buf, 8, h.baseOffset, 'baseOffset');
  writeU64(buf, 16, h.createdMs, 'createdMs');
  buf.writeUInt32LE(crc32c(buf.subarray(0, 24)), 24);
  return buf;
}

/** What a record's size depends on. */
export type SizedRecord = Pick<LogRecord, 'key' | 'value' | 'expireAtMs'>;

export function recordSize(r: SizedRecord): number {
  return RECORD_FIXED_SIZE + (r.expireAtMs === undefined ? 0 : EXPIRY_SIZE) + r.key.length + r.value.length;
}

/** Bytes the batch takes in the file, framing included (only its records' sizes matter). */
export function batchSize(b: { records: readonly SizedRecord[] }): number {
  let n = BATCH_FRAME_SIZE + BATCH_HEADER_SIZE;
  for (const r of b.records) n += recordSize(r);
  return n;
}

/** Encodes `b` into a new buffer. */
export function encodeBatch(b: LogBatch): Buffer {
  const buf = Buffer.allocUnsafe(batchSize(b));
  writeBatch(buf, 0, b);
  return buf;
}

/**
 * Encodes `b` into `buf` at `pos` and returns the position after it, so a
 * group commit can fill one buffer with many batches for a single write.
 * `onRecord` is told where each record went (position in `buf`, size).
 */
export function writeBatch(buf: Buffer, pos: number, b: LogBatch, onRecord?: (position: number, size: number) => void): number {
  const n = b.records.length;
  checkRecordCount(n);
  let prevDelta = -1;
  for (const r of b.records) {
    if (!Number.isInteger(r.offsetDelta) || r.offsetDelta <= prevDelta || r.offsetDelta > 0xffffffff) {
      throw new LogkvError('INVALID_ARGUMENT', `record offset deltas must increase strictly within a batch (${r.offsetDelta} after ${prevDelta})`);
    }
    prevDelta = r.offsetDelta;
  }
  const start = pos;
  pos = writeBatchHeader(buf, start, { baseOffset: b.baseOffset, lastDelta: prevDelta, timestampMs: b.timestampMs, compacted: b.compacted === true, count: n });
  for (const r of b.records) {
    const end = writeRecord(buf, pos, r);
    onRecord?.(pos, end - pos);
    pos = end;
  }
  sealBatch(buf, start, pos);
  return pos;
}

/**
 * Writes the header of a batch of `count` records at `start` (frame left
 * for sealBatch) and returns where its first record goes. With
 * writeRecordHead, sealRecord and sealBatch: for a caller that lays out
 * records' bytes itself (restore copies each record's expiry, key and value
 * from a snapshot entry, laid out alike); deltas must increase strictly.
 */
export function writeBatchHeader(buf: Buffer, start: number, h: { baseOffset: number; lastDelta: number; timestampMs: number; compacted: boolean; count: number }): number {
  checkRecordCount(h.count);
  const pos = start + BATCH_FRAME_SIZE;
  writeU64(buf, pos, h.baseOffset, 'baseOffset');
  if (h.baseOffset + h.lastDelta > MAX_SAFE_U64) throw new LogkvError('TOO_LARGE', 'offset past 2^53 - 1');
  buf.writeUInt32LE(h.lastDelta, pos + 8);
  writeU64(buf, pos + 12, h.timestampMs, 'timestampMs');
  buf.writeUInt16LE(h.compacted ? 1 : 0, pos + 20);
  buf.writeUInt32LE(h.count, pos + 22);
  return pos + BATCH_HEADER_SIZE;
}

function checkRecordCount(n: number): void {
  if (n < 1 || n > MAX_RECORDS_PER_BATCH) {
    throw new LogkvError(n < 1 ? 'INVALID_ARGUMENT' : 'TOO_LARGE', `a batch holds 1 to ${MAX_RECORDS_PER_BATCH} records, not ${n}`);
  }
}

/** Writes the length and CRC-32C of the batch in buf[start, end), its records written. */
export function sealBatch(buf: Buffer, start: number, end: number): void {
  const length = end - start - 4;
  if (length > MAX_BATCH_LENGTH) throw new LogkvError('TOO_LARGE', `batch of ${length} bytes is over ${MAX_BATCH_LENGTH}`);
  buf.writeUInt32LE(length, start);
  buf.writeUInt32LE(crc32c(buf.subarray(start + BATCH_FRAME_SIZE, end)), start + 4);
}

/** Writes a record's fixed fields at `pos`; returns where its expiry (if flags is 1), key and value go. */
export function writeRecordHead(buf: Buffer, pos: number, op: Op, flags: number, offsetDelta: number, keyLength: number, valueLength: number): number {
  buf[pos + 4] = op;
  buf[pos + 5] = flags;
  buf.writeUInt32LE(offsetDelta, pos + 6);
  buf.writeUInt16LE(keyLength, pos + 10);
  buf.writeUInt32LE(valueLength, pos + 12);
  return pos + RECORD_FIXED_SIZE;
}

/** Writes the CRC-32C of the record in buf[start, end), its other bytes written. */
export function sealRecord(buf: Buffer, start: number, end: number): void {
  // A record's range, not a subarray: a view per record cost more than the CRC itself (crc32cRange).
  buf.writeUInt32LE(crc32cRange(buf, start + RECORD_CRC_SIZE, end), start);
}

function writeRecord(buf: Buffer, pos: number, r: LogRecord): number {
  const value = r.op === Op.Delete ? EMPTY : r.value;
  if (r.op === Op.Delete && r.value.length !== 0) throw new LogkvError('INVALID_ARGUMENT', 'a delete carries no value');
  if (r.op !== Op.Put && r.op !== Op.Delete) throw new LogkvError('INVALID_ARGUMENT', `unknown op ${String(r.op)}`);
  if (r.key.length > MAX_KEY_LENGTH) throw new LogkvError('TOO_LARGE', `key of ${r.key.length} bytes is over ${MAX_KEY_LENGTH}`);
  if (value.length > MAX_VALUE_LENGTH) throw new LogkvError('TOO_LARGE', `value of ${value.length} bytes is over ${MAX_VALUE_LENGTH}`);
  const start = pos;
  pos = writeRecordHead(buf, pos, r.op, r.expireAtMs === undefined ? 0 : 1, r.offsetDelta, r.key.length, value.length);
  if (r.expireAtMs !== undefined) {
    writeU64(buf, pos, r.expireAtMs, 'expireAtMs');
    pos += EXPIRY_SIZE;
  }
  buf.set(r.key, pos);
  pos += r.key.length;
  buf.set(value, pos);
  pos += value.length;
  sealRecord(buf, start, pos);
  return pos;
}

/** Writes a non-negative integer below 2^53 as u8 little-endian. */
export function writeU64(buf: Buffer, pos: number, v: number, what: string): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new LogkvError('INVALID_ARGUMENT', `${what} must be an integer in [0, 2^53), not ${v}`);
  buf.writeUInt32LE(v % 0x100000000, pos);
  buf.writeUInt32LE(Math.floor(v / 0x100000000), pos + 4);
}
