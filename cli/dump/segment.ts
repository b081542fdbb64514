// Dumps a log segment: header, then batches, records and damaged ranges in
// file order. Reads with resync, so batches after damage are shown too.

import type { ByteSource } from '../../src/formats/byte-source.js';
import { type BatchFrame, type ReadBatch, readSegmentHeader, scanSegment } from '../../src/formats/log-segment-reader.js';
import { BATCH_FRAME_SIZE, EXPIRY_SIZE, Op, RECORD_FIXED_SIZE, SEGMENT_HEADER_SIZE, ValueEncoding } from '../../src/formats/limits.js';
import { trimZeroTail } from '../damage-range.js';
import { showKey, showValue } from '../format-value.js';
import type { LogkvFile } from '../paths.js';
import { refusal } from '../reader-error.js';
import type { DumpEvent, DumpOptions, Emit } from './events.js';

/** Where a batch header's record_count lies, after its frame (formats/log_segment.ksy batch_header). */
const RECORD_COUNT_AT = 22;

export function dumpSegment(read: LogkvFile, file: string, opts: DumpOptions, emit: Emit): void {
  let header: ReturnType<typeof readSegmentHeader>;
  try {
    header = readSegmentHeader(read.source.read(0, SEGMENT_HEADER_SIZE), file);
  } catch (e) {
    emit({ type: 'error', file, ...refusal(e) });
    return;
  }
  const encoding = header.valueEncoding;
  emit({ type: 'segment', file, baseOffset: header.baseOffset, valueEncoding: ValueEncoding[encoding]!.toLowerCase(), created: header.createdMs });
  const fast = opts.fast;
  // Streamed batch by batch, damage where it is found: a dump holds one window of the file and one batch's objects at a time.
  const scan = scanSegment(read.source, {
    file,
    resync: true,
    onDamage: (d) => emit({ type: 'damage', file, ...trimZeroTail(read.source, d.offset, d.length), code: d.code, reason: d.reason, message: d.message }),
    // Every batch and record, without an object per record (nothing to filter out: each batch has a record).
    ...(fast !== undefined && opts.fromOffset === undefined && opts.keyMatches === undefined
      ? {
          onBatchFrame: (b: BatchFrame) => emit(batchEvent(b, file, recordCountAt(read.source, b.position))),
          onRecord: (op: Op, bytes: Uint8Array, keyAt: number, keyLength: number, position: number, size: number, offset: number, expireAtMs: number | undefined) => {
            const headerSize = RECORD_FIXED_SIZE + (expireAtMs === undefined ? 0 : EXPIRY_SIZE);
            fast.record(file, offset, position, size, op, expireAtMs, bytes, keyAt, keyLength, size - headerSize - keyLength, encoding, opts.values);
          },
        }
      : { onBatch: (b: ReadBatch) => emitBatch(b, file, encoding, opts, emit) }),
  });
  emit({
    type: 'segment-end',
    file,
    end: scan.damage.length > 0 ? 'damage' : scan.end,
    validUpTo: scan.validUpTo,
    nextOffset: scan.nextOffset,
    batches: scan.batchCount,
    records: scan.recordCount,
    zeroFill: scan.zeroFill,
  });
}

function emitBatch(b: ReadBatch, file: string, encoding: ValueEncoding, opts: DumpOptions, emit: Emit): void {
  const lastOffset = b.baseOffset + b.lastOffsetDelta;
  if (opts.fromOffset !== undefined && lastOffset < opts.fromOffset) return;
  const records = b.records.filter(
    (r) => (opts.fromOffset === undefined || r.offset >= opts.fromOffset) && (opts.keyMatches === undefined || opts.keyMatches(r.key)),
  );
  if (records.length === 0) return;
  emit(batchEvent(b, file, b.records.length));
  for (const r of records) {
    emit({
      type: 'record',
      file,
      offset: r.offset,
      position: r.position,
      size: r.size,
      op: r.op === Op.Delete ? 'delete' : 'put',
      expireAt: r.expireAtMs,
      key: showKey(r.key),
      value: r.op === Op.Delete ? undefined : showValue(r.value, encoding, opts.values),
    });
  }
}

function batchEvent(b: BatchFrame, file: string, count: number): DumpEvent {
  return {
    type: 'batch',
    file,
    baseOffset: b.baseOffset,
    lastOffset: b.baseOffset + b.lastOffsetDelta,
    count,
    position: b.position,
    size: b.size,
    timestamp: b.timestampMs,
    crc: b.crc.toString(16).padStart(8, '0'),
    isValid: true,
    compacted: b.compacted,
  };
}

/** The record count of the valid batch at `position` (its header's field: the scan has checked that the records fill it). */
function recordCountAt(source: ByteSource, position: number): number {
  const b = source.read(position + BATCH_FRAME_SIZE + RECORD_COUNT_AT, 4);
  return (b[0]! | (b[1]! << 8) | (b[2]! << 16)) + b[3]! * 0x1000000;
}
