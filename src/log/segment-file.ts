// Segment files on disk: made whole before they are used, preallocated
// with written zeros, trimmed when sealed. See segment-log.ts for the crash
// story each step belongs to.

import { LogkvError } from '../errors.js';
import { type FileHandle, type FileIO, SYNC_PIECE_BYTES } from '../io/file-io.js';

export const DEFAULT_SEGMENT_SIZE = 64 * 1024 * 1024;
/** The largest segment recovery can read whole (node's readFileSync limit, 2^31 - 1 bytes; Kafka's segment limit too). */
const MAX_SEGMENT_SIZE = 2 ** 31 - 1;

/**
 * The segmentSize option, checked: past 2 GiB - 1 a store that crashed with
 * its preallocated segment that large could never be opened again
 * (recovery reads the newest segment whole; found by trying 3 GiB).
 */
export function segmentSizeOption(value: number | undefined): number {
  const size = value ?? DEFAULT_SEGMENT_SIZE;
  if (!Number.isSafeInteger(size) || size < 4096 || size > MAX_SEGMENT_SIZE) {
    throw new LogkvError('INVALID_ARGUMENT', 'segmentSize must be an integer from 4096 to 2 GiB - 1');
  }
  return size;
}

/** The part of a live segment these steps change. */
interface SizedSegment {
  handle: FileHandle;
  tail: number;
  fileSize: number;
}

/** A piece of zero fill: the spare is made durable one such piece at a time, as hints are (SYNC_PIECE_BYTES). */
const ZEROS = Buffer.alloc(SYNC_PIECE_BYTES);

/**
 * Makes `path` (a temporary name: it must not be listed anywhere yet) hold
 * `header` and zeros up to `size`, durably. A leftover file of that name
 * is replaced. The zeros go out a chunk at a time, each made durable
 * before the next is written: one fsync of the whole file would put tens
 * of megabytes in the disk's queue at once, and every durable write of the
 * log waits behind them (measured: 30-45 ms stalls for a 64 MiB segment).
 */
export async function prepareSegmentFile(io: FileIO, path: string, header: Uint8Array, size: number): Promise<void> {
  if (io.exists(path)) io.unlink(path);
  const building = io.open(path, 'create');
  try {
    building.write(header, 0);
    building.truncate(Math.max(size, header.length));
    for (let at = header.length; at < size; at += ZEROS.length) {
      building.write(ZEROS.subarray(0, Math.min(ZEROS.length, size - at)), at);
      await building.sync();
    }
    await building.sync();
  } finally {
    building.close();
  }
}

/**
 * Fills [from, to) with written zeros, so the blocks are allocated and a
 * later fdatasync over them changes no file size (DESIGN: 1.5x cheaper).
 * The file is extended once first, so it does not grow write by write.
 */
function preallocate(handle: FileHandle, from: number, to: number): void {
  if (to <= from) return;
  handle.truncate(to);
  for (let at = from; at < to; at += ZEROS.length) handle.write(ZEROS.subarray(0, Math.min(ZEROS.length, to - at)), at);
}

/** Cuts the zero fill after the last batch and makes the length durable. */
export async function trim(segment: SizedSegment): Promise<void> {
  if (segment.fileSize === segment.tail) return;
  segment.handle.truncate(segment.tail);
  segment.fileSize = segment.tail;
  await segment.handle.sync();
}

/** Extends a segment with zero fill up to `size` (after reopening a trimmed one). */
export async function extendWithZeros(segment: SizedSegment, size: number): Promise<void> {
  if (segment.fileSize >= size) return;
  preallocate(segment.handle, segment.fileSize, size);
  segment.fileSize = size;
  await segment.handle.sync();
}

