// Reading a store's segments the way recovery does (src/log/recovery.ts):
// a sealed segment through its hint when the hint is usable (its base
// offset and covered length match), otherwise by scanning it with the
// segment reader; the newest segment is always scanned. Read-only, and
// reads past damage (resync), so inspection shows what salvage would keep.
// A sealed segment's index (formats/segment_index.ksy) is judged as open
// judges it, by its own checks and its header against the segment and the
// hint; kvtool reads keys through the hint, never through an index.

import fs from 'node:fs';
import { LogkvError } from '../../src/errors.js';
import type { ByteSource } from '../../src/formats/byte-source.js';
import { type CheckedHint, checkHint, forEachHintEntry, type HintEntryVisitor, type HintHeaderInfo } from '../../src/formats/hint-reader.js';
import { LogSegment, streamOver } from '../../src/formats/kaitai.js';
import { checkSegmentIndex, type IndexHeaderInfo } from '../../src/formats/segment-index-reader.js';
import { recordCrcMatches, type RecordVisitor, type SegmentScan, scanSegment } from '../../src/formats/log-segment-reader.js';
import { Op, SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import { KeyDirectory } from '../../src/log/key-directory.js';
import type { SegmentName } from '../../src/log/segment-names.js';
import { withFile } from '../paths.js';
import { hintPath, indexPath, segmentPath } from './layout.js';

/** used: the engine reads the segment through it. The other states make the engine scan the segment. */
export type HintState = 'used' | 'missing' | 'invalid' | 'stale' | 'newest';

/**
 * used: it passes its own checks and describes the segment and its hint,
 * which is used: the engine serves gets from it at open. stale: it does not
 * (or its hint is not used), invalid: it fails its own checks; either way
 * the engine ignores it and writes it again.
 */
export type IndexState = 'used' | 'missing' | 'invalid' | 'stale' | 'newest';

export interface LoadedSegment {
  name: SegmentName;
  path: string;
  /** File size, zero fill included. */
  size: number;
  newest: boolean;
  /** The hint's header when it passed every check (`file`), and why it is not used when it is not. */
  hint: { state: HintState; path?: string; file?: HintHeaderInfo & { entryCount: number }; problem?: string };
  /** The index's state, with why when it is not used. */
  index: { state: IndexState; path?: string; problem?: string };
  /** The reader's summary when the segment was scanned (not when read through its hint). */
  scan?: SegmentScan;
  /** The segment's header cannot be read: nothing in it is usable. */
  error?: LogkvError;
  /** One past the highest offset it holds. */
  nextOffset: number;
  /** Bytes of valid batches. */
  dataBytes: number;
}

// Nothing here holds a file's bytes: a segment or hint is read a window at a
// time whenever its records are wanted (loading, the key directory, a get),
// so kvtool's memory is that of the keys, not of the store's files.

/** Opens `file` as a logkv file and hands `use` its source (a file that is not ours: a hint reader's BAD_MAGIC). */
function withSource<T>(file: string, use: (source: ByteSource) => T): T {
  return withFile({ path: file, name: file, explicit: true, size: 0 }, (read) => {
    if (read.kind === undefined) throw new LogkvError('BAD_MAGIC', `${file} is not a logkv file`, { file, offset: 0, reason: 'magic' });
    return use(read.source);
  });
}

function hintFor(dir: string, name: SegmentName, size: number): LoadedSegment['hint'] {
  const hp = hintPath(dir, name.stem);
  if (!fs.existsSync(hp)) return { state: 'missing' };
  let file: CheckedHint;
  try {
    file = withSource(hp, (source) => checkHint(source, hp));
  } catch (e) {
    if (e instanceof LogkvError) return { state: 'invalid', problem: e.message };
    throw e;
  }
  const header = { segmentBaseOffset: file.segmentBaseOffset, segmentNextOffset: file.segmentNextOffset, coveredLength: file.coveredLength, entryCount: file.entryCount };
  if (file.segmentBaseOffset !== name.baseOffset) return { state: 'stale', path: hp, file: header, problem: `hint is for base offset ${file.segmentBaseOffset}` };
  if (file.coveredLength !== size) return { state: 'stale', path: hp, file: header, problem: `hint covers ${file.coveredLength} bytes, segment has ${size}` };
  return { state: 'used', path: hp, file: header };
}

function indexFor(dir: string, name: SegmentName, size: number, hint: LoadedSegment['hint']): LoadedSegment['index'] {
  const ip = indexPath(dir, name.stem);
  if (!fs.existsSync(ip)) return { state: 'missing' };
  let header: IndexHeaderInfo;
  try {
    header = withSource(ip, (source) => checkSegmentIndex(source, ip));
  } catch (e) {
    if (e instanceof LogkvError) return { state: 'invalid', path: ip, problem: e.message };
    throw e;
  }
  const stale = (problem: string): LoadedSegment['index'] => ({ state: 'stale', path: ip, problem });
  if (hint.state !== 'used') return stale(`its hint is ${hint.state}`);
  if (header.segmentBaseOffset !== name.baseOffset) return stale(`index is for base offset ${header.segmentBaseOffset}`);
  if (header.coveredLength !== size) return stale(`index covers ${header.coveredLength} bytes, segment has ${size}`);
  if (header.segmentNextOffset !== hint.file!.segmentNextOffset) return stale(`index says next offset ${header.segmentNextOffset}, the hint ${hint.file!.segmentNextOffset}`);
  return { state: 'used', path: ip };
}

/**
 * Loads one segment. `scan` forces a scan even when the hint is usable
 * (verify, stats of a single segment); `newest` marks the segment the
 * engine appends to, which it always scans.
 */
export function loadSegment(dir: string, name: SegmentName, newest: boolean, scan = false): LoadedSegment {
  const path = segmentPath(dir, name.stem);
  const size = fs.statSync(path).size;
  const hint = newest ? { state: 'newest' as const } : hintFor(dir, name, size);
  const index = newest ? { state: 'newest' as const } : indexFor(dir, name, size, hint);
  const loaded: LoadedSegment = { name, path, size, newest, hint, index, nextOffset: name.baseOffset, dataBytes: 0 };
  if (hint.state === 'used' && !scan) {
    loaded.nextOffset = hint.file!.segmentNextOffset;
    loaded.dataBytes = Math.max(0, hint.file!.coveredLength - SEGMENT_HEADER_SIZE);
    return loaded;
  }
  return scanInto(loaded);
}

/** Loads a segment file named on its own (a single file on the command line). */
export function loadSegmentFile(path: string, name: SegmentName): LoadedSegment {
  return scanInto({ name, path, size: fs.statSync(path).size, newest: true, hint: { state: 'newest' }, index: { state: 'newest' }, nextOffset: name.baseOffset, dataBytes: 0 });
}

function scanInto(loaded: LoadedSegment): LoadedSegment {
  try {
    loaded.scan = scanRecords(loaded, undefined);
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    loaded.error = e;
    return loaded;
  }
  loaded.nextOffset = loaded.scan.nextOffset;
  loaded.dataBytes = loaded.scan.batchBytes;
  return loaded;
}

/** Reads a segment's records in file order, past damage (resync), as recovery's salvage would. */
function scanRecords(s: LoadedSegment, onRecord: RecordVisitor | undefined): SegmentScan {
  return withSource(s.path, (source) => scanSegment(source, { file: s.path, resync: true, onRecord }));
}

/**
 * Visits what a segment says of each key, in file order: every record when
 * it is read by scanning, each hint entry when through its hint.
 */
function forEachKeyRecord(s: LoadedSegment, visit: HintEntryVisitor): void {
  if (s.error) return;
  if (s.scan) {
    scanRecords(s, (op, bytes, keyAt, keyLength, position, size, offset, expireAtMs) => visit(op === Op.Delete, bytes, keyAt, keyLength, offset, position, size, expireAtMs));
  } else if (s.hint.state === 'used') {
    withSource(s.hint.path!, (source) => forEachHintEntry(checkHint(source, s.hint.path), visit));
  }
}

/**
 * The newest record of every key over `segments` (in log order), as the
 * engine's key directory holds it after open: segment numbers are indexes
 * into `segments`, deletes remove the key.
 */
export function keyDirectory(segments: readonly LoadedSegment[]): KeyDirectory {
  const keys = new KeyDirectory();
  segments.forEach((s, i) => {
    forEachKeyRecord(s, (tombstone, bytes, keyAt, keyLength, offset, position, size, expireAtMs) => {
      const key = bytes.subarray(keyAt, keyAt + keyLength);
      if (tombstone) keys.delete(key);
      else keys.set(key, i, position, size, offset, expireAtMs);
    });
  });
  return keys;
}

export interface FoundRecord {
  segment: LoadedSegment;
  offset: number;
  position: number;
  size: number;
  tombstone: boolean;
  expireAtMs: number | undefined;
}

/** The newest record of `key`, looking from the newest segment back; undefined when no segment holds it. */
export function findKey(segments: readonly LoadedSegment[], key: Uint8Array): FoundRecord | undefined {
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    let found: FoundRecord | undefined;
    // In file order, so the last match is the segment's newest record of the key.
    forEachKeyRecord(s, (tombstone, bytes, keyAt, keyLength, offset, position, size, expireAtMs) => {
      if (keyLength === key.length && Buffer.compare(bytes.subarray(keyAt, keyAt + keyLength), key) === 0) found = { segment: s, offset, position, size, tombstone, expireAtMs };
    });
    if (found) return found;
  }
  return undefined;
}

/**
 * The value of the record at `position`, read and checked against its own
 * CRC-32C as the engine's point read does (SegmentLog.readRecord).
 */
export function readValue(path: string, position: number, size: number): Uint8Array {
  const buf = Buffer.alloc(size);
  const fd = fs.openSync(path, 'r');
  let n: number;
  try {
    n = fs.readSync(fd, buf, 0, size, position);
  } finally {
    fs.closeSync(fd);
  }
  if (n !== size) throw new LogkvError('CORRUPT', `${path}: short read at ${position}`, { file: path, offset: position, reason: 'truncated' });
  if (!recordCrcMatches(buf, 0, size)) {
    throw new LogkvError('CORRUPT', `${path}: record at byte ${position} fails its CRC-32C; run kvtool verify`, { file: path, offset: position, reason: 'record-crc' });
  }
  return new LogSegment.Record(streamOver(buf)).value;
}
