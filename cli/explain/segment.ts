// Which structure of a log segment holds a byte, found the way the reader
// walks the file (scanSegment, a window at a time, stopped as soon as it
// has passed the byte), and the bytes its debug parser is given: the
// header, one batch, or a damaged stretch or the end-of-log marker and
// zero fill, read as a batch. Never the file: a segment may be past the
// 2 GiB a Buffer holds.

import { LogkvError } from '../../src/errors.js';
import type { ByteSource } from '../../src/formats/byte-source.js';
import type { Damage } from '../../src/formats/damage.js';
import { type ReadBatch, scanSegment } from '../../src/formats/log-segment-reader.js';
import { MAX_BATCH_LENGTH, MIN_BATCH_LENGTH, SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import { type DebugType, LogSegmentDebug } from './debug-parsers.js';
import { type Located, type Piece, parseAndLocate } from './locate.js';
import { damageStatus, headerRefused } from './status.js';

/** The structure holding a byte: its debug type, where it starts, and what the reader says of it. */
export interface Found {
  type: DebugType;
  start: number;
  status: string;
  damage?: Damage;
}

/** How far a batch's debug parse may read (tests make them small to reach every branch with small files). */
export interface BatchReadLimits {
  /** A zero fill up to this long is read whole; a longer one only as far as `tailHead`. */
  wholeTail: number;
  /** Bytes read of a longer zero fill: the marker and the 64 bytes a value shows, and more. */
  tailHead: number;
  /** A batch whose records run past its length is read on up to this many bytes. */
  grow: number;
}

export const BATCH_READ_LIMITS: BatchReadLimits = { wholeTail: 1 << 20, tailHead: 4096, grow: 4 + MAX_BATCH_LENGTH };

/** Thrown from the scan's callbacks: what holds the byte is known, the rest of the file need not be read. */
class Stop extends Error {
  constructor(readonly found: Found) {
    super('found');
  }
}

const holds = (start: number, length: number, at: number): boolean => at >= start && at < start + length;

function batchFound(b: ReadBatch): Found {
  const last = b.baseOffset + b.lastOffsetDelta;
  return { type: LogSegmentDebug.Batch, start: b.position, status: `valid batch at ${b.position}..${b.position + b.size}, offsets ${b.baseOffset}..${last}` };
}

/** The structure of the segment in `source` that holds byte `at`, and the reader's verdict on it. */
export function findInSegment(source: ByteSource, at: number): Found {
  if (at < SEGMENT_HEADER_SIZE) return { type: LogSegmentDebug.SegmentHeader, start: 0, status: 'segment header' };
  try {
    const scan = scanSegment(source, {
      resync: true,
      onBatch: (b) => {
        if (holds(b.position, b.size, at)) throw new Stop(batchFound(b));
      },
      onDamage: (d) => {
        if (holds(d.offset, d.length, at)) throw new Stop({ type: LogSegmentDebug.Batch, start: d.offset, status: damageStatus(d), damage: d });
      },
    });
    // Past every batch and damaged range: the end-of-log marker, and the zero fill after it runs to the end of the file.
    const marker = source.size - scan.zeroFill;
    return { type: LogSegmentDebug.Batch, start: marker, status: `end-of-log marker at ${marker} and zero fill (${scan.zeroFill} bytes)` };
  } catch (e) {
    if (e instanceof Stop) return e.found;
    if (!(e instanceof LogkvError)) throw e;
    return { type: LogSegmentDebug.Batch, start: SEGMENT_HEADER_SIZE, status: headerRefused(e) };
  }
}

/** Parses what `found` names from its own bytes and walks to `at`. */
export function locateInSegment(source: ByteSource, found: Found, at: number, limits = BATCH_READ_LIMITS): Located {
  if (found.type === LogSegmentDebug.SegmentHeader) return parseAndLocate(found.type, { start: 0, bytes: source.read(0, SEGMENT_HEADER_SIZE) }, at);
  return locateBatch(source, found.start, at, limits);
}

/** batch_length at `start`, or -1 when fewer than 4 bytes are left. */
function batchLengthAt(source: ByteSource, start: number): number {
  const b = source.read(start, 4);
  return b.length < 4 ? -1 : new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

/**
 * The batch parser reads a batch as log_segment.ksy lays it out, whatever
 * the reader thought of it: the bytes its length gives (none past the
 * length's 4 when the length is out of range: the parser stops there),
 * or, for a length of 0, the zero fill to the end of the file.
 */
function locateBatch(source: ByteSource, start: number, at: number, limits: BatchReadLimits): Located {
  const length = batchLengthAt(source, start);
  if (length === 0) return parseAndLocate(LogSegmentDebug.Batch, tailPiece(source, start, limits), at);
  let want = 4 + (length >= MIN_BATCH_LENGTH && length <= MAX_BATCH_LENGTH ? length : 0);
  for (;;) {
    const bytes = source.read(start, want);
    const located = parseAndLocate(LogSegmentDebug.Batch, { start, bytes }, at);
    // The spec does not bound a batch's records by its length: in a damaged
    // batch they may run on past it, and the parser reads on, as it did over
    // the whole file. Past `grow` bytes it stops short where the piece does.
    if (located.error?.name !== 'EOFError' || start + bytes.length >= source.size || want >= limits.grow) return located;
    want = Math.min(limits.grow, want * 2);
  }
}

/** The end-of-log marker at `start` and the zero fill after it: whole when short, else its head standing for all of it. */
function tailPiece(source: ByteSource, start: number, limits: BatchReadLimits): Piece {
  const length = source.size - start;
  if (length <= limits.wholeTail) return { start, bytes: source.read(start, length) };
  return { start, bytes: source.read(start, limits.tailHead), end: source.size };
}
