// A segment's batches checked by their CRCs in one pass, a window at a time
// (issue 17): what open leaves for later on the newest segment it defers
// (deferred-load.ts), made without reading the file whole into one buffer
// (a 64 MiB Buffer took ~35 ms to fill and, as external memory, set off a
// full collection soon after), with the native CRC-32C over each batch
// where it is loaded. What the pass learns is kept on the segment
// (Segment.checked): where each batch starts and how many records it
// holds, so that the cleaner, when it rewrites the segment, reads only the
// batches holding a record worth keeping and does not read the others
// again to check them: their CRCs matched moments before in this process.

import { crc32cRange } from '../checksum/crc32c.js';
import { BatchReader } from '../formats/log-segment-reader.js';
import { BATCH_FRAME_SIZE, MAX_BATCH_LENGTH, MIN_BATCH_LENGTH, SEGMENT_HEADER_SIZE } from '../formats/limits.js';
import type { FileHandle } from '../io/file-io.js';

export interface CheckedBatches {
  /** Bytes [0, length) of the segment: its header, then batches whose lengths chain to exactly here, each one's CRC matching. */
  readonly length: number;
  /** Batches in [SEGMENT_HEADER_SIZE, length). */
  readonly count: number;
  /** File position of each batch, ascending; undefined for more than MAX_MAPPED batches (the cleaner then walks them). */
  readonly positions: Uint32Array | undefined;
  /** Record count of each batch, beside positions. */
  readonly recordCounts: Uint32Array | undefined;
}

/** Batches a pass keeps the places of: 2^21 (16 MiB of arrays) covers a 64 MiB segment of the smallest batches. */
const MAX_MAPPED = 1 << 21;
const WINDOW = 4 * 1024 * 1024;
/** Offset of record_count in a batch: frame (length, crc), then base_offset u8, last_offset_delta u4, timestamp u8, attributes u2. */
const RECORD_COUNT_AT = BATCH_FRAME_SIZE + 22;

/**
 * Checks the batches of segment bytes [0, length) as recovery's
 * lastBatchOf() does (every batch's CRC, the chain of lengths landing on
 * `length` exactly, the last batch's header and layout, its offsets not
 * below `minOffset`); undefined when any of it fails (the caller then
 * makes its own check, which says where and what).
 */
export function checkBatches(handle: FileHandle, length: number, minOffset: number): CheckedBatches | undefined {
  let window = Buffer.allocUnsafe(Math.min(WINDOW, Math.max(0, length)));
  let start = 0;
  let end = 0;
  /** Makes the window hold file bytes [from, to) (to - from may pass WINDOW: one batch larger than it). */
  const cover = (from: number, to: number): boolean => {
    if (from >= start && to <= end) return true;
    if (to - from > window.length) window = Buffer.allocUnsafe(to - from);
    const want = Math.min(window.length, length - from);
    const got = handle.read(want === window.length ? window : window.subarray(0, want), from);
    start = from;
    end = from + got;
    return to <= end;
  };
  let positions = new Uint32Array(1024);
  let counts = new Uint32Array(1024);
  let count = 0;
  let last = -1;
  let q = SEGMENT_HEADER_SIZE;
  while (q < length) {
    if (length - q < BATCH_FRAME_SIZE || !cover(q, q + BATCH_FRAME_SIZE)) return undefined;
    const batchLength = window.readUInt32LE(q - start);
    if (batchLength < MIN_BATCH_LENGTH || batchLength > MAX_BATCH_LENGTH || q + 4 + batchLength > length) return undefined;
    const batchEnd = q + 4 + batchLength;
    if (!cover(q, batchEnd)) return undefined;
    const at = q - start;
    if (crc32cRange(window, at + BATCH_FRAME_SIZE, at + 4 + batchLength) !== window.readUInt32LE(at + 4)) return undefined;
    if (count < MAX_MAPPED) {
      if (count === positions.length) {
        positions = grow(positions);
        counts = grow(counts);
      }
      positions[count] = q;
      counts[count] = window.readUInt32LE(at + RECORD_COUNT_AT);
    }
    count++;
    last = q;
    q = batchEnd;
  }
  if (q !== length || last < 0) return undefined;
  // The last batch judged whole (header fields, record layout, offsets), as recovery judges the last batch of a newest segment.
  if (!cover(last, length)) return undefined;
  if (new BatchReader(window.subarray(last - start, length - start)).frameAt(0, minOffset).kind !== 'frame') return undefined;
  const mapped = count <= MAX_MAPPED;
  return {
    length,
    count,
    positions: mapped ? positions.subarray(0, count) : undefined,
    recordCounts: mapped ? counts.subarray(0, count) : undefined,
  };
}

function grow(a: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(Math.min(MAX_MAPPED, a.length * 2));
  b.set(a);
  return b;
}

/** The index of the batch holding file position `position` (the last batch starting at or before it). */
export function batchHolding(positions: Uint32Array, position: number): number {
  let lo = 0;
  let hi = positions.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (positions[mid]! <= position) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
