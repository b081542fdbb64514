// Reading a store's segments the way recovery does (src/log/recovery.ts):
// a sealed segment through its hint when the hint is usable (its base
// offset and covered length match), otherwise by scanning it with the
// segment reader; the newest segment is always scanned. Read-only, and
// reads past damage (resync), so inspection shows what salvage would keep.

import fs from 'node:fs';
import { LogkvError } from '../../src/errors.js';
import { readHint } from '../../src/formats/hint-reader.js';
import type { HintFile } from '../../src/formats/hint-writer.js';
import { LogSegment, streamOver } from '../../src/formats/kaitai.js';
import { readSegment, recordCrcMatches } from '../../src/formats/log-segment-reader.js';
import { Op, SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import { KeyDirectory } from '../../src/log/key-directory.js';
import type { SegmentName } from '../../src/log/segment-names.js';
import { hintPath, segmentPath } from './layout.js';

export type SegmentScanResult = ReturnType<typeof readSegment>;

/** used: the engine reads the segment through it. The other states make the engine scan the segment. */
export type HintState = 'used' | 'missing' | 'invalid' | 'stale' | 'newest';

export interface LoadedSegment {
  name: SegmentName;
  path: string;
  /** File size, zero fill included. */
  size: number;
  newest: boolean;
  hint: { state: HintState; file?: HintFile; problem?: string };
  /** The reader's result when the segment was scanned (not when read through its hint). */
  scan?: SegmentScanResult;
  /** The segment's header cannot be read: nothing in it is usable. */
  error?: LogkvError;
  /** One past the highest offset it holds. */
  nextOffset: number;
  /** Bytes of valid batches. */
  dataBytes: number;
}

function hintFor(dir: string, name: SegmentName, size: number): LoadedSegment['hint'] {
  const hp = hintPath(dir, name.stem);
  if (!fs.existsSync(hp)) return { state: 'missing' };
  let file: HintFile;
  try {
    file = readHint(fs.readFileSync(hp), hp);
  } catch (e) {
    if (e instanceof LogkvError) return { state: 'invalid', problem: e.message };
    throw e;
  }
  if (file.segmentBaseOffset !== name.baseOffset) return { state: 'stale', file, problem: `hint is for base offset ${file.segmentBaseOffset}` };
  if (file.coveredLength !== size) return { state: 'stale', file, problem: `hint covers ${file.coveredLength} bytes, segment has ${size}` };
  return { state: 'used', file };
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
  const loaded: LoadedSegment = { name, path, size, newest, hint, nextOffset: name.baseOffset, dataBytes: 0 };
  if (hint.state === 'used' && !scan) {
    loaded.nextOffset = hint.file!.segmentNextOffset;
    loaded.dataBytes = Math.max(0, hint.file!.coveredLength - SEGMENT_HEADER_SIZE);
    return loaded;
  }
  return scanInto(loaded, fs.readFileSync(path));
}

/** Loads a segment from bytes already read (a single file named on the command line). */
export function loadSegmentBytes(path: string, name: SegmentName, bytes: Uint8Array): LoadedSegment {
  return scanInto({ name, path, size: bytes.length, newest: true, hint: { state: 'newest' }, nextOffset: name.baseOffset, dataBytes: 0 }, bytes);
}

function scanInto(loaded: LoadedSegment, bytes: Uint8Array): LoadedSegment {
  try {
    loaded.scan = readSegment(bytes, { file: loaded.path, resync: true });
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    loaded.error = e;
    return loaded;
  }
  loaded.nextOffset = loaded.scan.nextOffset;
  loaded.dataBytes = loaded.scan.batches.reduce((n, b) => n + b.size, 0);
  return loaded;
}

/**
 * The newest record of every key over `segments` (in log order), as the
 * engine's key directory holds it after open: segment numbers are indexes
 * into `segments`, deletes remove the key.
 */
export function keyDirectory(segments: readonly LoadedSegment[]): KeyDirectory {
  const keys = new KeyDirectory();
  segments.forEach((s, i) => {
    if (s.scan) {
      for (const b of s.scan.batches) {
        for (const r of b.records) {
          if (r.op === Op.Delete) keys.delete(r.key);
          else keys.set(r.key, i, r.position, r.size, r.offset, r.expireAtMs);
        }
      }
    } else if (s.hint.state === 'used') {
      for (const e of s.hint.file!.entries) {
        if (e.tombstone) keys.delete(e.key);
        else keys.set(e.key, i, e.position, e.size, e.offset, e.expireAtMs);
      }
    }
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
  const same = (k: Uint8Array) => Buffer.compare(k, key) === 0;
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    if (s.scan) {
      for (let bi = s.scan.batches.length - 1; bi >= 0; bi--) {
        const records = s.scan.batches[bi]!.records;
        for (let ri = records.length - 1; ri >= 0; ri--) {
          const r = records[ri]!;
          if (same(r.key)) return { segment: s, offset: r.offset, position: r.position, size: r.size, tombstone: r.op === Op.Delete, expireAtMs: r.expireAtMs };
        }
      }
    } else if (s.hint.state === 'used') {
      const e = s.hint.file!.entries.find((h) => same(h.key));
      if (e) return { segment: s, offset: e.offset, position: e.position, size: e.size, tombstone: e.tombstone, expireAtMs: e.expireAtMs };
    }
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
