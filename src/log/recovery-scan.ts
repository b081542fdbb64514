// A segment recovery has to read whole (no usable hint and index), with
// the newest record of each key noted as it goes (segment-newest.ts). A
// sealed one can be read in the background worker while this thread reads
// another: what comes back is plain data and the tables' buffers,
// transferred, not copied.

import { type RecordVisitor, type SegmentScan, scanSegment } from '../formats/log-segment-reader.js';
import type { FileIO } from '../io/file-io.js';
import { SegmentNewest, type SegmentNewestParts } from './segment-newest.js';

export interface SegmentRead {
  scan: SegmentScan;
  records: SegmentNewest;
  /** The file's length when read. */
  length: number;
  /** The bytes read, when kept (the newest segment's: a torn tail cut keeps what it removes). */
  bytes?: Buffer | undefined;
}

/** A SegmentRead as it crosses threads. */
export interface SegmentReadParts {
  scan: SegmentScan;
  parts: SegmentNewestParts;
  length: number;
}

/**
 * Scans a segment's bytes as recovery does: every batch's CRC and fields
 * (not each record's CRC: the batch's already covers it), going on past
 * damage to report all of it.
 */
export function scanForRecovery(bytes: Buffer, path: string, onRecord: RecordVisitor): SegmentScan {
  return scanSegment(bytes, { file: path, resync: true, onRecord, recordCrcs: false });
}

/** scanForRecovery() with every record noted. */
export function readRecords(bytes: Buffer, path: string): SegmentRead {
  // Sized for records of 128 bytes: smaller ones cost a growth or two on the way.
  const records = new SegmentNewest(bytes.length / 128);
  const scan = scanForRecovery(bytes, path, records.add);
  return { scan, records, length: bytes.length, bytes };
}

/** readRecords() of the file at `path`, as parts (the background worker's task). */
export function readSegmentParts(io: FileIO, path: string): SegmentReadParts {
  const { scan, records, length } = readRecords(io.readFile(path), path);
  return { scan, parts: records.parts(), length };
}

export function fromParts(p: SegmentReadParts): SegmentRead {
  return { scan: p.scan, records: SegmentNewest.fromParts(p.parts), length: p.length };
}
