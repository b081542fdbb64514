// Segment files are named by their base offset, zero-padded to 20 digits
// (Kafka style), so a directory listing shows them in offset order; the
// hint of a segment has the same name with .hint.

import { join } from 'node:path';

const NAME = /^(\d{20})\.log$/;

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.log`;
}

export function hintFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.hint`;
}

/** Base offsets of the segments in `names`, ascending. */
export function segmentBaseOffsets(names: readonly string[]): number[] {
  const offsets: number[] = [];
  for (const n of names) {
    const m = NAME.exec(n);
    if (m) offsets.push(Number(m[1]));
  }
  return offsets.sort((a, b) => a - b);
}

export function segmentPath(dir: string, baseOffset: number): string {
  return join(dir, segmentFileName(baseOffset));
}

export function hintPath(dir: string, baseOffset: number): string {
  return join(dir, hintFileName(baseOffset));
}
