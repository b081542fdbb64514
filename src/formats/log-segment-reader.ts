// Reads a log segment batch by batch with the generated parser
// (formats/log_segment.ksy). The loop is ours, not Kaitai's `repeat: eos`, so
// that a torn or damaged batch yields the last good position instead of
// losing the whole file, and so each batch's CRC is checked before any of its
// records is believed.

import { crc32c, crc32cRange, crc32cRangeViewed } from '../checksum/crc32c.js';
import { crcOfRegister, foldRecord, registerOf, shiftTable } from '../checksum/crc32c-fold.js';
import { type ByteSource, bytesSource, crc32cIn, firstNonZeroIn, SourceWindow } from './byte-source.js';
import { type Damage, firstNonZero, readFileHeader } from './damage.js';
import { LogSegment } from './kaitai.js';
import {
  BATCH_FRAME_SIZE,
  BATCH_HEADER_SIZE,
  EXPIRY_SIZE,
  LOG_MAGIC,
  MAX_BATCH_LENGTH,
  MIN_BATCH_LENGTH,
  Op,
  RECORD_CRC_SIZE,
  RECORD_FIXED_SIZE,
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

/** A valid batch's place and header, without its records. */
export interface BatchFrame {
  /** Byte position of the batch (its length field) in the file. */
  position: number;
  /** Bytes the batch takes in the file, framing included. */
  size: number;
  crc: number;
  baseOffset: number;
  lastOffsetDelta: number;
  timestampMs: number;
  compacted: boolean;
}

export interface ReadBatch extends BatchFrame {
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
  /**
   * onBatch without the record objects, for a caller that needs only where
   * the batches are and their offsets (kvtool repair's plan of a segment
   * of any size: an object and two views per record is most of a scan's
   * cost).
   */
  onBatchFrame?: (batch: BatchFrame) => void;
  /** Called for each damaged range as it is found: before the batch that follows it (a tool streaming a dump in file order). */
  onDamage?: (damage: Damage) => void;
  /**
   * Called for each record of each valid batch, in file order, with the
   * record's fields as arguments: no object is made per record (recovery
   * feeds a million of them straight into the key directory).
   */
  onRecord?: RecordVisitor;
  /**
   * Check each record's own CRC too. Default true. A batch whose CRC
   * matched holds the bytes its writer wrote, so a flipped bit is found
   * either way; the record CRCs, there for point reads, only add a check of
   * the writer. Recovery turns them off (they were most of its reading
   * time, bench/); kvtool verify keeps them.
   */
  recordCrcs?: boolean;
}

/** A record as onRecord sees it: the key is bytes[keyAt, keyAt + keyLength). */
export type RecordVisitor = (
  op: Op,
  bytes: Uint8Array,
  keyAt: number,
  keyLength: number,
  position: number,
  size: number,
  offset: number,
  expireAtMs: number | undefined,
) => void;

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
  /** Bytes of all the valid batches read. */
  batchBytes: number;
  /** Position, end and timestamp of the last valid batch in the file (undefined: none). */
  lastBatchAt: number | undefined;
  lastBatchEnd: number | undefined;
  lastTimestampMs: number | undefined;
}

/** Parses and checks a segment's 28-byte header; throws LogkvError. */
export function readSegmentHeader(bytes: Uint8Array, file?: string): SegmentHeaderInfo {
  const h = readFileHeader(bytes, LOG_MAGIC, SEGMENT_HEADER_SIZE, (io) => new LogSegment.SegmentHeader(io), file);
  return { baseOffset: h.baseOffset, valueEncoding: h.valueEncoding as ValueEncoding, createdMs: h.createdMs };
}

type Step = { kind: 'batch'; at: number; size: number; crc: number; body: BatchBody } | { kind: 'end'; zeroFill: number } | { kind: 'damage'; damage: Damage };

/** What lies at one position of a segment: a valid batch, the end of the log, or damage. */
export type BatchStep = { kind: 'batch'; batch: ReadBatch } | { kind: 'end'; zeroFill: number } | { kind: 'damage'; damage: Damage };

/**
 * Reads one batch at a time from a segment's bytes, for callers that drive
 * the loop themselves and pause between batches (the log cleaner, the
 * change feed). Same checks as scanSegment; `bytes` is the file from byte 0
 * (or any prefix of it that holds the batches asked for).
 */
export class BatchReader {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }

  /** The batch at `position`, whose offsets must not be below `minOffset`. */
  at(position: number, minOffset: number): BatchStep {
    const step = batchAt(this.#bytes, position, minOffset);
    return step.kind === 'batch' ? { kind: 'batch', batch: toReadBatch(this.#bytes, step) } : step;
  }

  /**
   * The batch at `position` checked as at() checks it, without making its
   * records: for a reader that drops it unread. Its records' own CRCs are
   * not computed: the batch CRC matching already proves their bytes (as in
   * recovery's scan).
   */
  frameAt(position: number, minOffset: number): FrameStep {
    const step = batchAt(this.#bytes, position, minOffset, false);
    return step.kind === 'batch' ? { kind: 'frame', frame: { ...batchFrame(step, 0), recordCount: step.body.recordCount } } : step;
  }
}

export type FrameStep = { kind: 'frame'; frame: BatchFrame & { recordCount: number } } | Exclude<BatchStep, { kind: 'batch' }>;

/**
 * The batch at `position` of `bytes` checked by its CRC and the fields of
 * its header, its records not walked: for a reader that passes the batch
 * on as bytes to one that reads every record (a mirror, whose follower
 * does). The CRC proves that every byte is the writer's. End and damage
 * are reported as BatchReader.frameAt() reports them.
 */
export function batchHeaderAt(bytes: Uint8Array, position: number, minOffset: number): FrameStep {
  const length = bytes.length - position >= 4 ? u32(bytes, position) : 0;
  const end = position + 4 + length;
  if (length < MIN_BATCH_LENGTH || length > MAX_BATCH_LENGTH || end > bytes.length) return new BatchReader(bytes).frameAt(position, minOffset);
  const stored = u32(bytes, position + 4);
  const actual = crc32cRange(bytes, position + BATCH_FRAME_SIZE, end);
  if (stored !== actual) return crcMismatch(position, length, stored, actual);
  const h = readBatchHeader(bytes, position + BATCH_FRAME_SIZE, end, position, minOffset);
  if ('reason' in h) return { kind: 'damage', damage: { code: 'CORRUPT', reason: h.reason, offset: position, length: length + 4, message: h.message } };
  return {
    kind: 'frame',
    frame: { position, size: length + 4, crc: stored, baseOffset: h.baseOffset, lastOffsetDelta: h.lastOffsetDelta, timestampMs: h.timestampMs, compacted: h.compacted, recordCount: h.recordCount },
  };
}

/**
 * The header of the batch at `position` of `bytes` (at least its first
 * BATCH_FRAME_SIZE + BATCH_HEADER_SIZE bytes), its fields checked as far
 * as they can be alone (length in range and inside the file, offsets not below `minOffset`, the other fields in range), its
 * CRC not computed: for the log cleaner, which drops a batch holding no
 * record it keeps without reading it (cleaner-frames.ts). `room`: the
 * file's bytes from the batch's start to its end. Undefined when a field
 * fails: the caller reads the batch whole, which says what is wrong.
 */
export function uncheckedFrameAt(bytes: Uint8Array, position: number, room: number, minOffset: number): (BatchFrame & { recordCount: number }) | undefined {
  if (bytes.length - position < BATCH_FRAME_SIZE + BATCH_HEADER_SIZE) return undefined;
  const length = u32(bytes, position);
  if (length < MIN_BATCH_LENGTH || length > MAX_BATCH_LENGTH || length + 4 > room) return undefined;
  const h = readBatchHeader(bytes, position + BATCH_FRAME_SIZE, position + 4 + length, position, minOffset);
  if ('reason' in h) return undefined;
  return { position, size: length + 4, crc: u32(bytes, position + 4), baseOffset: h.baseOffset, lastOffsetDelta: h.lastOffsetDelta, timestampMs: h.timestampMs, compacted: h.compacted, recordCount: h.recordCount };
}

/**
 * Reads every batch of a segment: its bytes in memory, or a source read a
 * window at a time (kvtool: the window holds the batch being read, never
 * the file). Throws LogkvError only when the header is unusable; damage
 * after the header is reported in the result.
 */
export function scanSegment(input: Uint8Array | ByteSource, options: SegmentScanOptions = {}): SegmentScan {
  const source = input instanceof Uint8Array ? bytesSource(input) : input;
  const w = new SourceWindow(source);
  w.cover(0, SEGMENT_HEADER_SIZE);
  const header = readSegmentHeader(w.bytes, options.file);
  const result: SegmentScan = {
    header,
    validUpTo: SEGMENT_HEADER_SIZE,
    nextOffset: header.baseOffset,
    end: 'eof',
    zeroFill: 0,
    damage: [],
    batchCount: 0,
    recordCount: 0,
    batchBytes: 0,
    lastBatchAt: undefined,
    lastBatchEnd: undefined,
    lastTimestampMs: undefined,
  };
  const recordCrcs = options.recordCrcs ?? true;
  let pos = SEGMENT_HEADER_SIZE;
  while (pos < source.size) {
    const step = stepAt(w, pos, result.nextOffset, recordCrcs);
    if (step.kind === 'batch') {
      const b = step.body;
      if (result.damage.length === 0) result.validUpTo = pos + step.size;
      result.nextOffset = b.baseOffset + b.lastOffsetDelta + 1;
      result.batchCount++;
      result.recordCount += b.recordCount;
      result.batchBytes += step.size;
      result.lastBatchAt = pos;
      result.lastBatchEnd = pos + step.size;
      result.lastTimestampMs = b.timestampMs;
      // Records are made into objects only for a caller that wants them.
      if (options.onBatch) options.onBatch(toReadBatch(w.bytes, step, w.base));
      if (options.onBatchFrame) options.onBatchFrame(batchFrame(step, w.base));
      if (options.onRecord) visitRecords(w.bytes, step.at + BATCH_FRAME_SIZE, b, options.onRecord, w.base);
      pos += step.size;
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
      options.onDamage?.(step.damage);
      return result;
    }
    const next = findNextBatch(w, pos + 1, result.nextOffset);
    const damage = { ...step.damage, length: (next ?? source.size) - step.damage.offset };
    result.damage.push(damage);
    options.onDamage?.(damage);
    if (next === undefined) return result;
    pos = next;
  }
  if (result.damage.length === 0) result.end = 'eof';
  return result;
}

/**
 * What lies at file position `pos`, with the window moved to hold all of
 * it: a batch whose length is in range and whose CRC holds is read whole
 * before it is judged, and a zero fill is followed to the end of the
 * file. A batch step's `at` is a position in the window.
 */
function stepAt(w: SourceWindow, pos: number, minOffset: number, recordCrcs: boolean): Step {
  w.cover(pos, BATCH_FRAME_SIZE);
  const length = w.source.size - pos >= 4 ? u32(w.bytes, pos - w.base) : 0;
  if (length >= MIN_BATCH_LENGTH && length <= MAX_BATCH_LENGTH && pos + 4 + length <= w.source.size) {
    // A damaged length can claim up to 1 GiB: its CRC is checked a window at a time before the window is made to hold it.
    const mismatch = pos + 4 + length > w.end ? crcMismatchIn(w, pos, length) : undefined;
    if (mismatch) return mismatch;
    w.cover(pos, 4 + length);
  }
  // w.source.size again: a file that shrank while it was read ends where the read did.
  const step = batchAt(w.bytes, pos - w.base, minOffset, recordCrcs, w.base, w.source.size - w.base);
  if (step.kind !== 'end' || w.end >= w.source.size) return step;
  const bad = firstNonZeroIn(w.source, w.end);
  return bad < 0 ? step : { kind: 'damage', damage: nonZeroFill(pos, w.source.size - pos, bad) };
}

/**
 * batchAt()'s batch-crc damage for the batch at file position `pos` (its
 * frame in the window), its CRC computed a window at a time; undefined
 * when the CRC holds or the file shrank under the read (batchAt then says
 * truncated).
 */
function crcMismatchIn(w: SourceWindow, pos: number, length: number): Step | undefined {
  const stored = u32(w.bytes, pos - w.base + 4);
  const actual = crc32cIn(w.source, pos + BATCH_FRAME_SIZE, pos + 4 + length);
  return actual !== stored && pos + 4 + length <= w.source.size ? crcMismatch(pos, length, stored, actual) : undefined;
}

function crcMismatch(at: number, length: number, stored: number, actual: number): { kind: 'damage'; damage: Damage } {
  return { kind: 'damage', damage: { code: 'CORRUPT', reason: 'batch-crc', offset: at, length: length + 4, message: `batch CRC-32C mismatch (stored ${hex8(stored)}, computed ${hex8(actual)})` } };
}

function nonZeroFill(pos: number, remaining: number, bad: number): Damage {
  // The damage starts here, not at the first non-zero byte: a batch may
  // begin inside the zeros (its length's low byte can be 0), and the
  // zeros are where a batch should have been (a torn write, say).
  return { code: 'CORRUPT', reason: 'nonzero-fill', offset: pos, length: remaining, message: `end-of-log marker at ${pos} but a non-zero byte at ${bad}` };
}

/** Reads the whole segment and returns its batches too (tests, tools). */
export function readSegment(bytes: Uint8Array, options: Omit<SegmentScanOptions, 'onBatch'> = {}): SegmentScan & { batches: ReadBatch[] } {
  const batches: ReadBatch[] = [];
  const scan = scanSegment(bytes, { ...options, onBatch: (b) => batches.push(b) });
  return { ...scan, batches };
}

/** What lastBatchOf() found: the last batch's place and header. */
export interface LastBatch {
  position: number;
  size: number;
  baseOffset: number;
  lastOffsetDelta: number;
  timestampMs: number;
}

/**
 * The last batch of a segment whose batches end exactly at its end (a
 * segment trimmed by a clean close), found by following the batch lengths
 * from the header and checking every batch's CRC on the way (the CRC only:
 * a byte changed anywhere in a batch fails it), and the last batch whole
 * (CRC, every field) as scanSegment checks it. Undefined when the chain of
 * lengths does not land exactly on the end (zero fill, a torn batch, no
 * batch at all) or any batch fails. Following the chain, rather than
 * searching backwards for something that looks like a batch, cannot be
 * fooled by a value that holds the bytes of a batch. Recovery uses this to
 * check the hint of the newest segment against it without parsing its
 * records: the hint was made at the clean close by a full read, so what is
 * left to know is that no byte changed since.
 */
export function lastBatchOf(bytes: Uint8Array, minOffset: number): LastBatch | undefined {
  const length = bytes.length;
  let last = -1;
  let q = SEGMENT_HEADER_SIZE;
  while (q < length) {
    if (length - q < BATCH_FRAME_SIZE) return undefined;
    const batchLength = u32(bytes, q);
    if (batchLength < MIN_BATCH_LENGTH || batchLength > MAX_BATCH_LENGTH || q + 4 + batchLength > length) return undefined;
    if (crc32cRange(bytes, q + BATCH_FRAME_SIZE, q + 4 + batchLength) !== u32(bytes, q + 4)) return undefined;
    last = q;
    q += 4 + batchLength;
  }
  if (q !== length || last < 0) return undefined;
  const step = batchAt(bytes, last, minOffset);
  if (step.kind !== 'batch') return undefined;
  const b = step.body;
  return { position: last, size: step.size, baseOffset: b.baseOffset, lastOffsetDelta: b.lastOffsetDelta, timestampMs: b.timestampMs };
}

/**
 * The batch in `bytes` (a segment's bytes from `position` to its end), when
 * its length ends exactly at the end of `bytes`, its CRC matches and its
 * header passes every check; else undefined. Its records are not walked:
 * recovery uses this for the newest segment of a clean close, whose index
 * names its last batch's position (formats/segment_index.ksy), and the
 * whole segment, this batch's records included, is checked when it loads
 * after open (deferred-load.ts). The CRC already tells that no byte of it
 * changed since it was written; walking 10,000 records took 4 ms of a 25 ms
 * open.
 */
export function batchEndingAt(bytes: Uint8Array, position: number, minOffset: number): LastBatch | undefined {
  if (bytes.length < BATCH_FRAME_SIZE + BATCH_HEADER_SIZE) return undefined;
  const batchLength = u32(bytes, 0);
  if (batchLength < MIN_BATCH_LENGTH || 4 + batchLength !== bytes.length) return undefined;
  if (crc32c(bytes.subarray(BATCH_FRAME_SIZE)) !== u32(bytes, 4)) return undefined;
  const header = readBatchHeader(bytes, BATCH_FRAME_SIZE, bytes.length, position, minOffset);
  if ('reason' in header) return undefined;
  return { position, size: bytes.length, baseOffset: header.baseOffset, lastOffsetDelta: header.lastOffsetDelta, timestampMs: header.timestampMs };
}

/** Bytes of a batch's frame and header: what the salvage search reads of a candidate before anything else. */
const BATCH_HEAD = BATCH_FRAME_SIZE + BATCH_HEADER_SIZE;

/**
 * The position of the next valid batch at or after `from`, looking a byte
 * at a time (salvage after damage). Every position is a candidate, and the
 * length read there (from inside a record, say) can claim up to 1 GiB: a
 * candidate is judged by its header first, then by its CRC a window at a
 * time, and read whole only when both hold.
 */
function findNextBatch(w: SourceWindow, from: number, minOffset: number): number | undefined {
  const source = w.source;
  for (let q = from; q + BATCH_FRAME_SIZE + MIN_BATCH_LENGTH - 4 <= source.size; q++) {
    if (q + BATCH_HEAD > w.end) w.cover(q, BATCH_HEAD);
    const b = w.bytes;
    const i = q - w.base;
    const len = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! * 0x1000000);
    if (len === 0) {
      // No length is 0, so no batch starts where its 4 bytes would be zeros: jump over a zero run at memcmp speed (a preallocated segment is mostly zeros), past the window without moving it.
      const z = firstNonZero(b, i + 4);
      const next = z >= 0 ? w.base + z : firstNonZeroIn(source, w.end);
      if (next < 0) return undefined;
      q = next - 4;
      continue;
    }
    if (len < MIN_BATCH_LENGTH || len > MAX_BATCH_LENGTH || q + 4 + len > source.size) continue;
    // What checkBatchBody would refuse anyway, found from the header alone: no CRC of up to 1 GiB for it.
    if ('reason' in readBatchHeader(b, i + BATCH_FRAME_SIZE, i + 4 + len, q, minOffset)) continue;
    if (q + 4 + len <= w.end) {
      if (batchAt(b, i, minOffset, true, w.base, source.size - w.base).kind === 'batch') return q;
      continue;
    }
    // A candidate that runs past the window is read on its own, once its CRC holds: the window stays where the search is.
    if (crc32cIn(source, q + BATCH_FRAME_SIZE, q + 4 + len) !== u32(b, i + 4)) continue;
    if (batchAt(source.read(q, 4 + len), 0, minOffset, true, q, source.size - q).kind === 'batch') return q;
  }
  return undefined;
}

/**
 * Judges the bytes at `pos` of `bytes`, a window of a file starting at file
 * position `base`; the file ends at `end` (window coordinates). A batch
 * whose length is in range and fits the file must lie in the window whole.
 * Damage and messages give file positions.
 */
function batchAt(bytes: Uint8Array, pos: number, minOffset: number, recordCrcs = true, base = 0, end = bytes.length): Step {
  const remaining = end - pos;
  const at = base + pos;
  const damage = (code: Damage['code'], reason: string, length: number, message: string): Step => ({
    kind: 'damage',
    damage: { code, reason, offset: at, length, message },
  });
  if (remaining < 4) {
    // The format ends in nothing or a zero fill of at least 4 bytes.
    return damage('TRUNCATED', 'truncated', remaining, `${remaining} bytes left, too few for a batch or the end marker`);
  }
  const length = u32(bytes, pos);
  if (length === 0) {
    // Only the window is looked at here: stepAt follows a zero fill past it.
    const bad = firstNonZero(bytes, pos);
    if (bad < 0) return { kind: 'end', zeroFill: remaining };
    return { kind: 'damage', damage: nonZeroFill(at, remaining, base + bad) };
  }
  if (length < MIN_BATCH_LENGTH || length > MAX_BATCH_LENGTH) {
    return damage('CORRUPT', 'batch-length', remaining, `batch length ${length} out of range`);
  }
  const stop = pos + 4 + length;
  if (stop > end) {
    return damage('TRUNCATED', 'truncated', remaining, `batch of ${length + 4} bytes, only ${remaining} in the file`);
  }
  const stored = u32(bytes, pos + 4);
  // A range, not a subarray: for the small batches of single writes the view cost more than the CRC (crc32cRange).
  const actual = crc32cRange(bytes, pos + BATCH_FRAME_SIZE, stop);
  if (stored !== actual) return crcMismatch(at, length, stored, actual);
  const body = checkBatchBody(bytes, pos, pos + BATCH_FRAME_SIZE, stop, minOffset, recordCrcs, base);
  if ('reason' in body) return damage('CORRUPT', body.reason, length + 4, body.message);
  return { kind: 'batch', at: pos, size: length + 4, crc: stored, body };
}

function batchFrame(step: Extract<Step, { kind: 'batch' }>, base: number): BatchFrame {
  const { at, size, crc, body } = step;
  return {
    position: base + at,
    size,
    crc,
    baseOffset: body.baseOffset,
    lastOffsetDelta: body.lastOffsetDelta,
    timestampMs: body.timestampMs,
    compacted: body.compacted,
  };
}

function toReadBatch(bytes: Uint8Array, step: Extract<Step, { kind: 'batch' }>, base = 0): ReadBatch {
  return { ...batchFrame(step, base), records: recordsOf(bytes, step.at + BATCH_FRAME_SIZE, step.body, base) };
}

const TWO_32 = 0x100000000;
/** High word of the largest u8 the formats allow (2^53 - 1). */
const MAX_SAFE_HIGH = 0x1fffff;
const MAX_RECORD_COUNT = 16_777_216;
const MAX_VALUE = 268_435_456;

interface BodyProblem {
  reason: 'batch-layout' | 'record-crc' | 'field-range' | 'offset-order';
  message: string;
}

interface BatchBody {
  baseOffset: number;
  lastOffsetDelta: number;
  timestampMs: number;
  compacted: boolean;
  recordCount: number;
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16)) + b[at + 3]! * 0x1000000;
}

/** From this many records a batch's record CRCs are computed through one DataView of its buffer (making one costs ~65 ns). */
const VIEW_FROM_RECORDS = 4;
/** From this many records a batch's record CRCs are folded (crc32c-fold.ts): below, the header's CRC and the tables cost more than they save. */
const FOLD_FROM_RECORDS = 4;

const fieldRange = (batchAt: number, what: string): BodyProblem => ({ reason: 'field-range', message: `batch at ${batchAt}: field out of range (${what})` });

/**
 * Checks the batch header and records in bytes[at, end) (the batch after its
 * length and CRC): every `valid:` clause of batch_header and record in
 * formats/log_segment.ksy, each record's CRC (unless `recordCrcs` is
 * false; from four records, all at once against the batch CRC the caller
 * checked: crc32c-fold.ts), that the records fill the batch exactly, and
 * the offset rules.
 * `base`: the file position of bytes[0], for messages. Allocates nothing. Hand-driven rather than through the generated
 * classes: recovery and verify read every record of a store, and a Kaitai
 * object per record caps them near 3M records/s (DESIGN, "Known traps");
 * test/formats/batch-parser.test.ts checks this against the generated
 * parser.
 */
function checkBatchBody(b: Uint8Array, pos: number, at: number, end: number, minOffset: number, recordCrcs: boolean, base: number): BatchBody | BodyProblem {
  const filePos = base + pos;
  const header = readBatchHeader(b, at, end, filePos, minOffset);
  if ('reason' in header) return header;
  if (recordCrcs && header.recordCount >= FOLD_FROM_RECORDS) {
    // The record CRCs folded into what the batch CRC must then be (crc32c-fold.ts): a few table reads a record, not a CRC of
    // its bytes. Any problem, a fold that does not match or a length without a table: the walk again record by record,
    // which names the first problem in the order the checks always came.
    const folded = walkRecords(b, pos, at, end, header, filePos, base, CRCS_FOLDED);
    if (!('reason' in folded)) return folded;
  }
  return walkRecords(b, pos, at, end, header, filePos, base, recordCrcs ? CRCS_EACH : CRCS_NONE);
}

/** How walkRecords checks record CRCs: not at all, each one, or all at once against the batch CRC. */
const CRCS_NONE = 0;
const CRCS_EACH = 1;
const CRCS_FOLDED = 2;
type CrcMode = typeof CRCS_NONE | typeof CRCS_EACH | typeof CRCS_FOLDED;

/** What CRCS_FOLDED returns when it cannot say all record CRCs hold (the caller walks again, record by record). */
const NOT_FOLDED: BodyProblem = { reason: 'record-crc', message: 'record CRCs not folded' };

/** checkBatchBody's walk of the records after the header it read. */
function walkRecords(b: Uint8Array, pos: number, at: number, end: number, header: BatchBody, filePos: number, base: number, crcs: CrcMode): BatchBody | BodyProblem {
  const { baseOffset, lastOffsetDelta, recordCount: count } = header;
  let p = at + BATCH_HEADER_SIZE;
  let prev = baseOffset - 1;
  // One view of the buffer for the records' CRCs: a batch of many records checks them 16 bytes a step (crc32cRangeViewed).
  const view = crcs === CRCS_EACH && count >= VIEW_FROM_RECORDS ? new DataView(b.buffer, b.byteOffset, b.byteLength) : undefined;
  let register = crcs === CRCS_FOLDED ? registerOf(crc32cRange(b, at, at + BATCH_HEADER_SIZE)) : 0;
  let shiftLength = -1;
  let shift: Int32Array | undefined;
  for (let i = 0; i < count; i++) {
    const start = p;
    if (end - p < RECORD_FIXED_SIZE) return { reason: 'batch-layout', message: `record ${i} of the batch at ${filePos} runs past the batch` };
    const op = b[p + 4]!;
    if (op !== Op.Put && op !== Op.Delete) return fieldRange(filePos, 'op');
    const flags = b[p + 5]!;
    if (flags > 1) return fieldRange(filePos, 'flags');
    const offset = baseOffset + u32(b, p + 6);
    const keyLength = b[p + 10]! | (b[p + 11]! << 8);
    const valueLength = u32(b, p + 12);
    if (valueLength > MAX_VALUE) return fieldRange(filePos, 'value_length');
    p += RECORD_FIXED_SIZE;
    if (flags === 1) {
      if (end - p < EXPIRY_SIZE) return { reason: 'batch-layout', message: `record ${i} of the batch at ${filePos} runs past the batch` };
      if (u32(b, p + 4) > MAX_SAFE_HIGH) return fieldRange(filePos, 'expire_at_ms');
      p += EXPIRY_SIZE;
    }
    if (end - p < keyLength + valueLength) return { reason: 'batch-layout', message: `record ${i} of the batch at ${filePos} runs past the batch` };
    p += keyLength + valueLength;
    if (crcs === CRCS_FOLDED) {
      const crcd = p - start - RECORD_CRC_SIZE;
      if (crcd !== shiftLength) {
        shift = shiftTable(crcd);
        if (shift === undefined) return NOT_FOLDED;
        shiftLength = crcd;
      }
      register = foldRecord(register, u32(b, start), shift!);
    } else if (crcs === CRCS_EACH && (view === undefined ? !recordCrcMatches(b, start, p) : crc32cRangeViewed(view, b, start + RECORD_CRC_SIZE, p) !== u32(b, start))) {
      return { reason: 'record-crc', message: `record at ${base + start}: CRC-32C mismatch inside a batch whose CRC matched` };
    }
    if (offset <= prev) return { reason: 'offset-order', message: `record offset ${offset} does not increase` };
    if (op === Op.Delete && valueLength !== 0) return { reason: 'batch-layout', message: `delete at offset ${offset} carries a value` };
    prev = offset;
  }
  if (p !== end) return { reason: 'batch-layout', message: `records end at ${base + p}, batch at ${base + end}` };
  if (prev !== baseOffset + lastOffsetDelta) {
    return { reason: 'offset-order', message: `last record offset ${prev} differs from the batch's ${baseOffset + lastOffsetDelta}` };
  }
  // The stored batch CRC (after the length), which the caller found equal to the CRC of the batch's bytes.
  if (crcs === CRCS_FOLDED && crcOfRegister(register) !== u32(b, pos + 4)) return NOT_FOLDED;
  return header;
}

/**
 * The header of the batch whose body is b[at, end) (the batch after its
 * length and CRC) when its fields pass every check they allow alone:
 * checkBatchBody's first checks, which the salvage search also makes to
 * rule out a position before computing a CRC. `filePos`: the batch's file
 * position, for messages.
 */
function readBatchHeader(b: Uint8Array, at: number, end: number, filePos: number, minOffset: number): BatchBody | BodyProblem {
  if (end - at < BATCH_HEADER_SIZE) return { reason: 'batch-layout', message: `batch at ${filePos} is shorter than its header` };
  const baseHigh = u32(b, at + 4);
  if (baseHigh > MAX_SAFE_HIGH) return fieldRange(filePos, 'base_offset');
  const baseOffset = baseHigh * TWO_32 + u32(b, at);
  const lastOffsetDelta = u32(b, at + 8);
  const tsHigh = u32(b, at + 16);
  if (tsHigh > MAX_SAFE_HIGH) return fieldRange(filePos, 'timestamp_ms');
  const timestampMs = tsHigh * TWO_32 + u32(b, at + 12);
  const attributes = b[at + 20]! | (b[at + 21]! << 8);
  if (attributes > 1) return fieldRange(filePos, 'attributes');
  const count = u32(b, at + 22);
  if (count < 1 || count > MAX_RECORD_COUNT) return fieldRange(filePos, 'record_count');
  if (baseOffset < minOffset) return { reason: 'offset-order', message: `batch base offset ${baseOffset} is below ${minOffset}` };
  return { baseOffset, lastOffsetDelta, timestampMs, compacted: attributes === 1, recordCount: count };
}

/**
 * Calls `visit` for each record of a batch checkBatchBody accepted (or one
 * the caller knows is sound: the log cleaner's own output), whose body
 * starts at b[at]; positions are given as `base` + the index into `b`.
 */
export function visitRecords(b: Uint8Array, at: number, h: Pick<BatchBody, 'baseOffset' | 'recordCount'>, visit: RecordVisitor, base = 0): void {
  let p = at + BATCH_HEADER_SIZE;
  for (let i = 0; i < h.recordCount; i++) {
    const start = p;
    const flags = b[p + 5]!;
    const keyLength = b[p + 10]! | (b[p + 11]! << 8);
    const valueLength = u32(b, p + 12);
    p += RECORD_FIXED_SIZE;
    let expireAtMs: number | undefined;
    if (flags === 1) {
      expireAtMs = u32(b, p + 4) * TWO_32 + u32(b, p);
      p += EXPIRY_SIZE;
    }
    const keyAt = p;
    p += keyLength + valueLength;
    visit(b[start + 4]! as Op, b, keyAt, keyLength, base + start, p - start, h.baseOffset + u32(b, start + 6), expireAtMs);
  }
}

/** The records of an accepted batch as objects (views into `b`, whose byte 0 is file position `base`). */
function recordsOf(b: Uint8Array, at: number, h: BatchBody, base: number): ReadRecord[] {
  const records: ReadRecord[] = [];
  visitRecords(b, at, h, (op, bytes, keyAt, keyLength, position, size, offset, expireAtMs) => {
    const valueAt = keyAt + keyLength;
    records.push({ op, offset, position, size, key: bytes.subarray(keyAt, valueAt), value: bytes.subarray(valueAt, position - base + size), expireAtMs });
  }, base);
  return records;
}

/**
 * The value of the one record that `bytes` holds whole (a point read, its
 * CRC already checked), or undefined when its lengths do not fill `bytes`
 * exactly. Read by hand: a get must not pay for a Kaitai object.
 */
export function recordValue(bytes: Uint8Array): Uint8Array | undefined {
  const at = recordValueAt(bytes);
  return at < 0 ? undefined : bytes.subarray(at);
}

/** Where the value of the one record `bytes` holds whole starts, or -1 when its lengths do not fill `bytes` exactly (recordValue without the view). */
export function recordValueAt(bytes: Uint8Array): number {
  if (bytes.length < RECORD_FIXED_SIZE) return -1;
  const keyLength = bytes[10]! | (bytes[11]! << 8);
  const valueAt = RECORD_FIXED_SIZE + (bytes[5] === 1 ? EXPIRY_SIZE : 0) + keyLength;
  return valueAt + u32(bytes, 12) === bytes.length ? valueAt : -1;
}

/** Whether the record in bytes[start, end) matches its stored CRC (its first 4 bytes). */
export function recordCrcMatches(bytes: Uint8Array, start: number, end: number, stored?: number): boolean {
  const crc = stored ?? (bytes[start]! | (bytes[start + 1]! << 8) | (bytes[start + 2]! << 16) | (bytes[start + 3]! << 24)) >>> 0;
  return crc32cRange(bytes, start + RECORD_CRC_SIZE, end) === crc;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** One record read on its own, outside any batch: its offset is the batch's to give. */
export interface LoneRecord {
  op: Op;
  /** Views into the bytes read: copy them to keep them. */
  key: Uint8Array;
  value: Uint8Array;
  expireAtMs: number | undefined;
}

/**
 * The record that bytes[position, position + size) holds whole, when every
 * check a record alone can pass does (its fields in range, its lengths
 * filling exactly `size`, its own CRC-32C); undefined otherwise. For a
 * record whose batch failed its CRC (kvtool repair): the record CRC still
 * proves the record's own bytes, as it does for every get.
 */
export function readRecordAt(bytes: Uint8Array, position: number, size: number, options: { crcChecked?: boolean } = {}): LoneRecord | undefined {
  if (position < 0 || size < RECORD_FIXED_SIZE || position + size > bytes.length) return undefined;
  const b = bytes.subarray(position, position + size);
  const op = b[4]!;
  const flags = b[5]!;
  if ((op !== Op.Put && op !== Op.Delete) || flags > 1) return undefined;
  const valueAt = recordValueAt(b);
  // crcChecked: the caller has just checked the record's CRC on these bytes (a point read does).
  if (valueAt < 0 || (!options.crcChecked && !recordCrcMatches(b, 0, size))) return undefined;
  const keyAt = RECORD_FIXED_SIZE + (flags === 1 ? EXPIRY_SIZE : 0);
  if (op === Op.Delete && valueAt !== size) return undefined;
  const expireAtMs = flags === 1 ? u32(b, RECORD_FIXED_SIZE + 4) * TWO_32 + u32(b, RECORD_FIXED_SIZE) : undefined;
  if (expireAtMs !== undefined && expireAtMs > Number.MAX_SAFE_INTEGER) return undefined;
  return { op, key: b.subarray(keyAt, valueAt), value: b.subarray(valueAt), expireAtMs };
}
