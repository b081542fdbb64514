// Checks one file with the reader for its kind and says what is wrong with
// it, each problem with its byte offset. For the append-only files (log
// segments, journals) also where the good prefix ends and how many bytes
// after it are not clean zero fill (redis-check-aof's ok_up_to / diff).

import { type ByteSource, lastNonZeroIn } from '../../src/formats/byte-source.js';
import { type CheckedHint, checkHint as checkHintSource } from '../../src/formats/hint-reader.js';
import { scanJournal } from '../../src/formats/journal-reader.js';
import { type RecordVisitor, scanSegment } from '../../src/formats/log-segment-reader.js';
import { checkSegmentIndex, type IndexHeaderInfo } from '../../src/formats/segment-index-reader.js';
import { scanSnapshot } from '../../src/formats/snapshot-reader.js';
import { readStoreIdentity, storeIdText } from '../../src/formats/store-identity-reader.js';
import { trimZeroTail } from '../damage-range.js';
import { type FileKind, isUninitializedFile, magicHex } from '../file-kind.js';
import type { LogkvFile } from '../paths.js';
import { refusal } from '../reader-error.js';

export interface Problem {
  /** Byte position of the first byte found bad, when the reader knows it. */
  offset: number | undefined;
  /** Bytes from `offset` the reader could not use, when known (zero fill after them not counted). */
  length: number | undefined;
  /** Zero fill between the damaged range and the end of the file. */
  zeroFillAfter?: number;
  code: string;
  reason: string | undefined;
  message: string;
}

export interface FileReport {
  file: string;
  /** 'store': the checks of a store directory as a whole (store-checks.ts). */
  kind: FileKind | 'unknown' | 'store';
  size: number;
  ok: boolean;
  problems: Problem[];
  /** Log segments and journals: position after the last good batch or frame. */
  okUpTo?: number;
  /** Bytes after okUpTo that are not clean zero fill. */
  diff?: number;
  /** What the reader found, for the report (counts, next offset, ...). */
  details: Record<string, number | string>;
}

/** Bytes at or after `from` up to the last non-zero byte of the file. */
export function notZeroFilledAfter(source: ByteSource, from: number): number {
  return Math.max(0, lastNonZeroIn(source, from) + 1 - from);
}

function report(file: string, kind: FileKind | 'unknown', size: number, problems: Problem[], details: FileReport['details']): FileReport {
  return { file, kind, size, ok: problems.length === 0, problems, details };
}

function refused(e: unknown): Problem {
  const r = refusal(e);
  return { offset: r.offset, length: undefined, code: r.code, reason: r.reason, message: r.message };
}

/** `clean`: the reader has seen only zeros after okUpTo (its scan ended in zero fill or at the end), so the file is not read again. */
function withPrefix(r: FileReport, source: ByteSource, okUpTo: number, clean = false): FileReport {
  r.okUpTo = okUpTo;
  r.diff = clean ? 0 : notZeroFilledAfter(source, okUpTo);
  return r;
}

/** `onRecord`: each record of the scan that checks the segment, for a caller that compares them with something (its hint). */
export function checkSegment(read: LogkvFile, file: string, onRecord?: RecordVisitor): FileReport {
  const { source, size } = read;
  try {
    const scan = scanSegment(source, { resync: true, ...(onRecord ? { onRecord } : {}) });
    const problems = scan.damage.map((d) => ({ ...trimZeroTail(source, d.offset, d.length), code: d.code, reason: d.reason, message: d.message }));
    return withPrefix(
      report(file, 'segment', size, problems, {
        baseOffset: scan.header.baseOffset,
        batches: scan.batchCount,
        records: scan.recordCount,
        nextOffset: scan.nextOffset,
        end: problems.length > 0 ? 'damage' : scan.end,
        ...(scan.end === 'zero-fill' ? { zeroFill: scan.zeroFill } : {}),
      }),
      source,
      scan.validUpTo,
      problems.length === 0,
    );
  } catch (e) {
    return withPrefix(report(file, 'segment', size, [refused(e)], {}), source, 0);
  }
}

export function checkJournal(read: LogkvFile, file: string): FileReport {
  const { source, size } = read;
  if (isUninitializedFile(source)) return report(file, 'journal', size, [], { state: 'uninitialized' });
  try {
    const scan = scanJournal(source, file, { onFrame: () => {} });
    const problems: Problem[] = [];
    const d = scan.damage;
    if (d !== undefined) {
      const where = scan.committedDamaged ? 'inside the committed length' : 'after the committed length: a torn tail';
      problems.push({ ...trimZeroTail(source, d.offset, d.length), code: d.code, reason: d.reason, message: `${d.message} (${where})` });
    }
    return withPrefix(
      report(file, 'journal', size, problems, { generation: scan.header.generation, frames: scan.frameCount, end: scan.end }),
      source,
      scan.validUpTo,
    );
  } catch (e) {
    return withPrefix(report(file, 'journal', size, [refused(e)], {}), source, 0);
  }
}

export function checkHint(read: LogkvFile, file: string): FileReport {
  return checkHintKeeping(read, file).report;
}

/** checkHint(), and the checked hint when it passed (a caller compares it with its segment and index next). */
export function checkHintKeeping(read: LogkvFile, file: string): { report: FileReport; hint?: CheckedHint; error?: unknown } {
  try {
    // Every check readHint makes, without an object per entry.
    const hint = checkHintSource(read.source);
    return { report: report(file, 'hint', read.size, [], { entries: hint.entryCount, segmentBaseOffset: hint.segmentBaseOffset }), hint };
  } catch (e) {
    return { report: report(file, 'hint', read.size, [refused(e)], {}), error: e };
  }
}

export function checkIndex(read: LogkvFile, file: string): FileReport {
  return checkIndexKeeping(read, file).report;
}

/** checkIndex(), and the index's header when it passed (a caller compares its slots with the hint next). */
export function checkIndexKeeping(read: LogkvFile, file: string): { report: FileReport; header?: IndexHeaderInfo } {
  try {
    const header = checkSegmentIndex(read.source);
    return { report: report(file, 'index', read.size, [], { slots: header.slotCount, segmentBaseOffset: header.segmentBaseOffset }), header };
  } catch (e) {
    return { report: report(file, 'index', read.size, [refused(e)], {}) };
  }
}

export function checkSnapshot(read: LogkvFile, file: string): FileReport {
  try {
    const header = scanSnapshot(read.source, undefined);
    return report(file, 'snapshot', read.size, [], { entries: header.entryCount, nextOffset: header.nextOffset });
  } catch (e) {
    return report(file, 'snapshot', read.size, [refused(e)], {});
  }
}

/** A file that should be ours (named on the command line, or named like ours) but has no logkv magic. */
export function checkUnknown(head: Uint8Array, size: number, file: string): FileReport {
  const problem: Problem = {
    offset: 0,
    length: Math.min(4, size),
    code: 'BAD_MAGIC',
    reason: 'magic',
    message: `not a logkv file (magic ${magicHex(head)})`,
  };
  return report(file, 'unknown', size, [problem], {});
}

export function checkIdentity(read: LogkvFile, file: string): FileReport {
  try {
    const id = readStoreIdentity(read.source);
    return report(file, 'identity', read.size, [], { storeId: storeIdText(id.storeId), created: id.createdMs });
  } catch (e) {
    return report(file, 'identity', read.size, [refused(e)], {});
  }
}

export const CHECKS: Record<FileKind, (read: LogkvFile, file: string) => FileReport> = {
  identity: checkIdentity,
  segment: checkSegment,
  hint: checkHint,
  index: checkIndex,
  snapshot: checkSnapshot,
  journal: checkJournal,
};
