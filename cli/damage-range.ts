// A damaged range that runs to the end of a preallocated file would be
// reported as reaching the end of the zero fill (64 MiB for a segment).
// kvtool shows the range up to its last non-zero byte and the zero fill
// after it separately.

import { type ByteSource, lastNonZeroIn } from '../src/formats/byte-source.js';

export interface ShownRange {
  offset: number;
  length: number;
  /** Zero bytes between the end of the range and the end of the file. */
  zeroFillAfter: number;
}

export function trimZeroTail(source: ByteSource, offset: number, length: number): ShownRange {
  const end = offset + length;
  if (end !== source.size) return { offset, length, zeroFillAfter: 0 };
  const last = lastNonZeroIn(source, offset);
  // An all-zero range (a torn end marker, missing committed frames) stays as it is.
  if (last < offset) return { offset, length, zeroFillAfter: 0 };
  return { offset, length: last + 1 - offset, zeroFillAfter: end - last - 1 };
}
