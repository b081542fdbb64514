// A segment's hint (formats/hint.ksy) made from the segment's own bytes:
// the newest record of each key, tombstones included, in hash order, and
// its index (formats/segment_index.ksy: the same entries as fixed slots an
// open searches in place). Made when a segment is sealed (in the
// background: background-files.ts), at a clean close, and by recovery and
// kvtool repair.
//
// The index is written after the hint, each file atomically: a crash
// between the two leaves a hint without an index, and open loads that
// segment from its hint before serving (as it did before indexes).

import type { ByteSource } from '../formats/byte-source.js';
import { type CheckedHint, checkHint, forEachHintEntry, readHintHeader } from '../formats/hint-reader.js';
import type { HintEntry } from '../formats/hint-writer.js';
import { type SegmentScan, scanSegment } from '../formats/log-segment-reader.js';
import { Op } from '../formats/limits.js';
import { LogkvError } from '../errors.js';
import { type FileIO, replaceFile, SYNC_PIECE_BYTES } from '../io/file-io.js';
import { withFileSource } from '../io/file-source.js';
import { SegmentIndexBuilder } from '../formats/segment-index-writer.js';
import { hashKeyAt, KeyDirectory } from './key-directory.js';
import { checkBatches } from './checked-batches.js';
import { type SegmentFilesHeader, SegmentNewest } from './segment-newest.js';
import { hintPath, indexPath } from './segment-names.js';

/** Hints and indexes are written while the log takes writes (a roll's, a cleaner output's): a MiB between syncs. */
const BESIDE_WRITES = { syncEvery: SYNC_PIECE_BYTES };

/** What writeHint needs to know of a segment. */
export interface HintedSegment {
  path: string;
  stem: string;
  baseOffset: number;
  /** One past the last offset the segment holds, as the log knows it. */
  nextOffset: number;
  /** A cleaner output: it stands for offsets up to nextOffset, which may lie past its last record. */
  compacted?: boolean;
}

/**
 * The newest record of each key in a segment's bytes, tombstones included,
 * in order of first appearance: a key directory of this segment alone,
 * whose segment field says 1 for a tombstone. Records go from the scan into
 * it with no object per record (a full 64 MiB segment holds ~500k of them,
 * and a roll or a close runs this).
 */
export function newestRecords(segment: Uint8Array | ByteSource, file: string, options: NewestRecordsOptions = {}): KeyDirectory {
  return scanNewest(segment, file, options).newest;
}

export interface NewestRecordsOptions {
  /** Keys expected (a hint's count, say): the directory is made that big. */
  capacity?: number;
  /** false: the caller has already checked this segment's record CRCs (scanSegment's option). */
  recordCrcs?: boolean;
}

/** newestRecords() and the scan it made: where it ended, and the damage it stopped at. */
export function scanNewest(segment: Uint8Array | ByteSource, file: string, options: NewestRecordsOptions = {}): { newest: KeyDirectory; scan: SegmentScan } {
  const newest = new KeyDirectory(Math.max(1024, options.capacity ?? 0));
  const scan = scanSegment(segment, {
    file,
    recordCrcs: options.recordCrcs ?? true,
    onRecord: (op, b, keyAt, keyLength, position, size, offset, expireAtMs) => {
      newest.setAt(b, keyAt, keyLength, op === Op.Delete ? 1 : 0, position, size, offset, expireAtMs);
    },
  });
  return { newest, scan };
}

/** The hint entry that entry `id` of a newestRecords() directory stands for. */
export function newestEntry(newest: KeyDirectory, id: number): HintEntry {
  return {
    key: Buffer.from(newest.keyOf(id)),
    offset: newest.offsetOf(id),
    position: newest.positionOf(id),
    size: newest.sizeOf(id),
    tombstone: newest.segmentOf(id) === 1,
    expireAtMs: newest.expireAtOf(id),
  };
}

/** The newest record of each key in a segment, tombstones included, as hint entries in order of first appearance. */
export function hintEntries(bytes: Buffer, file: string): HintEntry[] {
  const newest = newestRecords(bytes, file);
  return [...newest.ids()].map((id) => newestEntry(newest, id));
}

/** The index (formats/segment_index.ksy) of the entries of a checked hint, for a segment whose last batch is at `lastBatchPosition`. */
export function indexFromHint(hint: CheckedHint, lastBatchPosition: number): Buffer {
  const index = new SegmentIndexBuilder(
    { segmentBaseOffset: hint.segmentBaseOffset, segmentNextOffset: hint.segmentNextOffset, coveredLength: hint.coveredLength, lastBatchPosition },
    hint.entryCount,
  );
  forEachHintEntry(hint, (_tombstone, bytes, keyAt, keyLength, offset, position, size) => index.add(hashKeyAt(bytes, keyAt, keyLength), position, size, offset));
  return index.finish();
}

/**
 * Writes the hint and index of a segment whose records were noted as they
 * were written (`records`: the cleaner's outputs, kept-batches.ts), once
 * the file reads back as written: its length is `header.coveredLength` and
 * every batch's CRC and the chain of lengths check out (checked-batches.ts,
 * a window at a time, the native CRC over each batch). False, writing
 * nothing, when it does not. Neither a scan of every record nor a worker
 * is needed: a cleaner output's hint cost ~5 ms of a 1.3 MB output this way,
 * against ~25 ms read back and scanned on the main thread.
 */
export async function writeHintFrom(io: FileIO, dir: string, segment: HintedSegment, header: SegmentFilesHeader, records: SegmentNewest): Promise<boolean> {
  const handle = io.open(segment.path, 'read');
  let readsBack: boolean;
  try {
    readsBack = handle.size() === header.coveredLength && checkBatches(handle, header.coveredLength, header.segmentBaseOffset) !== undefined;
  } finally {
    handle.close();
  }
  if (!readsBack) return false;
  const files = records.files(header);
  await replaceFile(io, hintPath(dir, segment.stem), files.hint, BESIDE_WRITES);
  await replaceFile(io, indexPath(dir, segment.stem), files.index, BESIDE_WRITES);
  return true;
}

/**
 * Writes the hint of a segment (sealed, or trimmed at a clean close)
 * atomically; returns false, writing nothing, when the segment does not
 * read back whole: damage (a byte gone bad on disk since it was written) or
 * a next offset other than the log's. A hint made from what the reader
 * could still read would cover the whole file and be trusted by the next
 * open, which would never see the records behind the damage: without a
 * hint, open scans the segment and reports the damage.
 */
export async function writeHint(io: FileIO, dir: string, segment: HintedSegment): Promise<boolean> {
  const files = segmentFiles(io, segment);
  if (!files) return false;
  await replaceFile(io, hintPath(dir, segment.stem), files.hint, BESIDE_WRITES);
  await replaceFile(io, indexPath(dir, segment.stem), files.index, BESIDE_WRITES);
  return true;
}

/** The hint and index of a segment, made from one read of it; undefined when it does not read back whole (see writeHint). */
export function segmentFiles(io: FileIO, segment: HintedSegment): { hint: Buffer; index: Buffer } | undefined {
  const records = new SegmentNewest();
  // A window at a time, not the whole file: kvtool repair writes the hint of a segment of any size (a Buffer stops at 2 GiB).
  const { scan, coveredLength } = withFileSource(io, segment.path, (source) => ({
    scan: scanSegment(source, { file: segment.path, recordCrcs: true, onRecord: records.add }),
    coveredLength: source.size,
  }));
  const offsetsAgree = segment.compacted ? scan.nextOffset <= segment.nextOffset : scan.nextOffset === segment.nextOffset;
  if (scan.damage.length > 0 || !offsetsAgree) return undefined;
  return records.files({ segmentBaseOffset: segment.baseOffset, segmentNextOffset: segment.nextOffset, coveredLength, lastBatchPosition: scan.lastBatchAt ?? 0 });
}

/**
 * The hint of the segment `stem` when it passes every check and matches the
 * segment's base offset and its length (`length`, the file's); else
 * undefined: the segment is read instead (recovery rescans it, the cleaner
 * reads every batch).
 */
export function matchingHint(io: FileIO, dir: string, { stem, baseOffset }: { stem: string; baseOffset: number }, length: number): CheckedHint | undefined {
  const hp = hintPath(dir, stem);
  try {
    const bytes = io.readFile(hp);
    // A stale hint (the segment grew or was cut since) is told by its header alone.
    const header = readHintHeader(bytes, hp);
    if (header.segmentBaseOffset !== baseOffset || header.coveredLength !== length) return undefined;
    return checkHint(bytes, hp);
  } catch (e) {
    if (e instanceof LogkvError) return undefined;
    throw e;
  }
}
