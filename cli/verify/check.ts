// Checks one file with the reader for its kind and says what is wrong with
// it, each problem with its byte offset. For the append-only files (log
// segments, journals) also where the good prefix ends and how many bytes
// after it are not clean zero fill (redis-check-aof's ok_up_to / diff).

import { checkHint as checkHintBytes } from '../../src/formats/hint-reader.js';
import { scanJournal } from '../../src/formats/journal-reader.js';
import { scanSegment } from '../../src/formats/log-segment-reader.js';
import { readSnapshot } from '../../src/formats/snapshot-reader.js';
import { readStoreIdentity, storeIdText } from '../../src/formats/store-identity-reader.js';
import { trimZeroTail } from '../damage-range.js';
import { type FileKind, isUninitialized, magicHex } from '../file-kind.js';
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
export function notZeroFilledAfter(bytes: Uint8Array, from: number): number {
  let last = bytes.length - 1;
  while (last >= from && bytes[last] === 0) last--;
  return Math.max(0, last + 1 - from);
}

function report(file: string, kind: FileKind | 'unknown', bytes: Uint8Array, problems: Problem[], details: FileReport['details']): FileReport {
  return { file, kind, size: bytes.length, ok: problems.length === 0, problems, details };
}

function refused(e: unknown): Problem {
  const r = refusal(e);
  return { offset: r.offset, length: undefined, code: r.code, reason: r.reason, message: r.message };
}

function withPrefix(r: FileReport, bytes: Uint8Array, okUpTo: number): FileReport {
  r.okUpTo = okUpTo;
  r.diff = notZeroFilledAfter(bytes, okUpTo);
  return r;
}

export function checkSegment(bytes: Uint8Array, file: string): FileReport {
  try {
    const scan = scanSegment(bytes, { resync: true });
    const problems = scan.damage.map((d) => ({ ...trimZeroTail(bytes, d.offset, d.length), code: d.code, reason: d.reason, message: d.message }));
    return withPrefix(
      report(file, 'segment', bytes, problems, {
        baseOffset: scan.header.baseOffset,
        batches: scan.batchCount,
        records: scan.recordCount,
        nextOffset: scan.nextOffset,
        end: problems.length > 0 ? 'damage' : scan.end,
        ...(scan.end === 'zero-fill' ? { zeroFill: scan.zeroFill } : {}),
      }),
      bytes,
      scan.validUpTo,
    );
  } catch (e) {
    return withPrefix(report(file, 'segment', bytes, [refused(e)], {}), bytes, 0);
  }
}

export function checkJournal(bytes: Uint8Array, file: string): FileReport {
  if (isUninitialized(bytes)) return report(file, 'journal', bytes, [], { state: 'uninitialized' });
  try {
    const scan = scanJournal(bytes);
    const problems: Problem[] = [];
    const d = scan.damage;
    if (d !== undefined) {
      const where = scan.committedDamaged ? 'inside the committed length' : 'after the committed length: a torn tail';
      problems.push({ ...trimZeroTail(bytes, d.offset, d.length), code: d.code, reason: d.reason, message: `${d.message} (${where})` });
    }
    return withPrefix(
      report(file, 'journal', bytes, problems, { generation: scan.header.generation, frames: scan.frames.length, end: scan.end }),
      bytes,
      scan.validUpTo,
    );
  } catch (e) {
    return withPrefix(report(file, 'journal', bytes, [refused(e)], {}), bytes, 0);
  }
}

export function checkHint(bytes: Uint8Array, file: string): FileReport {
  try {
    // Every check readHint makes, without an object per entry.
    const hint = checkHintBytes(bytes);
    return report(file, 'hint', bytes, [], { entries: hint.entryCount, segmentBaseOffset: hint.segmentBaseOffset });
  } catch (e) {
    return report(file, 'hint', bytes, [refused(e)], {});
  }
}

export function checkSnapshot(bytes: Uint8Array, file: string): FileReport {
  try {
    const snap = readSnapshot(bytes);
    return report(file, 'snapshot', bytes, [], { entries: snap.entries.length, nextOffset: snap.header.nextOffset });
  } catch (e) {
    return report(file, 'snapshot', bytes, [refused(e)], {});
  }
}

/** A file that should be ours (named on the command line, or named like ours) but has no logkv magic. */
export function checkUnknown(bytes: Uint8Array, file: string): FileReport {
  const problem: Problem = {
    offset: 0,
    length: Math.min(4, bytes.length),
    code: 'BAD_MAGIC',
    reason: 'magic',
    message: `not a logkv file (magic ${magicHex(bytes)})`,
  };
  return report(file, 'unknown', bytes, [problem], {});
}

export function checkIdentity(bytes: Uint8Array, file: string): FileReport {
  try {
    const id = readStoreIdentity(bytes);
    return report(file, 'identity', bytes, [], { storeId: storeIdText(id.storeId), created: id.createdMs });
  } catch (e) {
    return report(file, 'identity', bytes, [refused(e)], {});
  }
}

export const CHECKS: Record<FileKind, (bytes: Uint8Array, file: string) => FileReport> = {
  identity: checkIdentity,
  segment: checkSegment,
  hint: checkHint,
  snapshot: checkSnapshot,
  journal: checkJournal,
};
