// Opening a log directory is recovery. Phase one reads and decides, writing
// nothing: sealed segments load from their hints (a hint that is missing,
// fails its checks, or does not match its segment's length means a rescan);
// the newest segment is scanned whole. A damaged tail of the newest segment
// (nothing valid after it) is a torn write, to be cut; damage anywhere else
// is corruption: open fails with CORRUPT naming file and offset, unless
// recovery is 'salvage', which skips the damaged ranges and reports them.
// Phase two acts: cut bytes are kept in lost/ first, then the tail is cut,
// then missing hints are rewritten.

import { join } from 'node:path';
import { LogkvError } from '../errors.js';
import type { Damage } from '../formats/damage.js';
import { readHint } from '../formats/hint-reader.js';
import type { HintFile } from '../formats/hint-writer.js';
import { type RecordVisitor, scanSegment } from '../formats/log-segment-reader.js';
import { Op, type ValueEncoding } from '../formats/limits.js';
import { type FileIO, replaceFile } from '../io/file-io.js';
import { writeHint } from './segment-log.js';
import { hintPath, type SegmentName, segmentPath } from './segment-names.js';
import type { SnapshotStart } from './start-from-snapshot.js';

export type RecoveryMode = 'strict' | 'salvage';

/** What recovery needs of the key directory. */
export interface RecoveryTarget {
  put(key: Uint8Array, segment: number, position: number, size: number, offset: number, expireAtMs: number | undefined): void;
  /** `offset`: the delete record's. */
  remove(key: Uint8Array, offset: number): void;
}

export interface DamageReport {
  file: string;
  offset: number;
  length: number;
  code: Damage['code'];
  reason: string;
  message: string;
  /** cut: a torn tail removed (bytes kept in lost/); skipped: left in place, records around it used (salvage). */
  action: 'cut' | 'skipped';
}

export interface LogOpenReport {
  /** True when nothing was cut, skipped, removed or rebuilt. */
  clean: boolean;
  created: boolean;
  /** Files the manifest did not list (left by a crash mid-roll, mid-compaction or mid-snapshot), removed. */
  removedFiles: string[];
  /** The manifest was missing or damaged and was rebuilt from the segments on disk. */
  manifestRebuilt: boolean;
  segments: number;
  keys: number;
  hintsUsed: number;
  hintsRebuilt: number;
  bytesCut: number;
  damage: DamageReport[];
  keptAside: string[];
  /** Set when a lost or damaged sealed segment made open start from a snapshot (start-from-snapshot.ts). */
  startedFromSnapshot?: SnapshotStart | undefined;
  durationMs: number;
}

export interface SegmentState {
  stem: string;
  baseOffset: number;
  path: string;
  /** End of the last valid batch. */
  tail: number;
  nextOffset: number;
  sealed: boolean;
  valueEncoding: ValueEncoding | undefined;
  /** Timestamp of the last batch, when the segment was scanned and has one. */
  lastTimestampMs: number | undefined;
}

export interface RecoveryResult {
  segments: SegmentState[];
  report: Omit<LogOpenReport, 'keys' | 'durationMs' | 'removedFiles' | 'manifestRebuilt' | 'startedFromSnapshot'>;
}

interface SegmentPlan {
  state: SegmentState;
  hint: HintFile | undefined;
  damage: Damage[];
  cut: { from: number; bytes: Buffer } | undefined;
  rewriteHint: boolean;
}

/** Recovers the segments `names` (in log order, as the manifest lists them). */
export async function recoverLog(io: FileIO, dir: string, names: readonly SegmentName[], mode: RecoveryMode, target: RecoveryTarget): Promise<RecoveryResult> {
  const plans: SegmentPlan[] = [];
  let expectedFrom = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    let skipBelow = 0;
    if (name.baseOffset < expectedFrom) {
      // Base segments built from a snapshot stand for every offset below
      // the snapshot's; the segment that offset falls inside keeps only its
      // records from there on (restore.ts). Any other overlap is damage.
      const path = segmentPath(dir, name.stem);
      if (names[i - 1]!.generation === 0) {
        throw new LogkvError('CORRUPT', `${path}: base offset ${name.baseOffset} overlaps the previous segment (next offset ${expectedFrom}); run kvtool repair`, {
          file: path,
          offset: 0,
          reason: 'offset-order',
        });
      }
      skipBelow = expectedFrom;
    }
    // The key directory is filled here, segment by segment in log order, so
    // records go straight from the file into it (nothing is kept per record).
    // Only memory changes before phase two: an open that fails drops it all.
    const plan = planSegment(io, dir, name, i === names.length - 1, mode, i, skipBelow === 0 ? target : above(skipBelow, target));
    expectedFrom = Math.max(expectedFrom, plan.state.nextOffset);
    plans.push(plan);
  }

  // Phase two: act.
  const report: RecoveryResult['report'] = { clean: true, created: false, segments: plans.length, hintsUsed: 0, hintsRebuilt: 0, bytesCut: 0, damage: [], keptAside: [] };
  for (const [id, plan] of plans.entries()) {
    if (plan.hint) report.hintsUsed++;
    for (const d of plan.damage) {
      report.clean = false;
      report.damage.push({ file: plan.state.path, offset: d.offset, length: d.length, code: d.code, reason: d.reason, message: d.message, action: plan.cut ? 'cut' : 'skipped' });
    }
    if (plan.cut) {
      const lostDir = join(dir, 'lost');
      io.mkdir(lostDir);
      const aside = join(lostDir, `${plan.state.stem}.log.at-${plan.cut.from}`);
      await replaceFile(io, aside, plan.cut.bytes);
      report.keptAside.push(aside);
      const h = io.open(plan.state.path, 'update');
      try {
        h.truncate(plan.cut.from);
        await h.sync();
      } finally {
        h.close();
      }
      report.bytesCut += plan.cut.bytes.length;
    }
    if (plan.rewriteHint) {
      await writeHint(io, dir, plan.state);
      report.hintsRebuilt++;
      report.clean = false;
    }
  }
  return { segments: plans.map((p) => p.state), report };
}

/** `target` for the records at or past `offset` only (those below are stood for by base segments). */
function above(offset: number, target: RecoveryTarget): RecoveryTarget {
  return {
    put: (key, segment, position, size, at, expireAtMs) => {
      if (at >= offset) target.put(key, segment, position, size, at, expireAtMs);
    },
    remove: (key, at) => {
      if (at >= offset) target.remove(key, at);
    },
  };
}

function planSegment(io: FileIO, dir: string, name: SegmentName, newest: boolean, mode: RecoveryMode, id: number, target: RecoveryTarget): SegmentPlan {
  const { stem, baseOffset } = name;
  const path = segmentPath(dir, stem);
  if (!io.exists(path)) {
    throw new LogkvError('CORRUPT', `${path} is listed in the manifest but missing; run kvtool repair`, { file: path, offset: 0, reason: 'missing-segment' });
  }
  if (!newest) {
    const hint = usableHint(io, dir, name, path);
    if (hint) {
      for (const e of hint.entries) {
        if (e.tombstone) target.remove(e.key, e.offset);
        else target.put(e.key, id, e.position, e.size, e.offset, e.expireAtMs);
      }
      const length = hint.coveredLength;
      return {
        state: { stem, baseOffset, path, tail: length, nextOffset: hint.segmentNextOffset, sealed: true, valueEncoding: undefined, lastTimestampMs: undefined },
        hint,
        damage: [],
        cut: undefined,
        rewriteHint: false,
      };
    }
  }
  const bytes = io.readFile(path);
  const onRecord: RecordVisitor = (op, b, keyAt, keyLength, position, size, offset, expireAtMs) => {
    // A plain view, not Buffer#subarray (several times dearer); the directory copies the key.
    const key = new Uint8Array(b.buffer, b.byteOffset + keyAt, keyLength);
    if (op === Op.Delete) target.remove(key, offset);
    else target.put(key, id, position, size, offset, expireAtMs);
  };
  const scan = scanSegment(bytes, { file: path, resync: true, onRecord });
  // A sealed segment shorter than its valid hint lost bytes, maybe at a batch boundary where the scan sees nothing.
  const covered = newest ? undefined : validHintOf(io, dir, name)?.coveredLength;
  if (covered !== undefined && covered > bytes.length) {
    const message = `the segment ends at byte ${bytes.length} but its hint covers ${covered}: ${covered - bytes.length} bytes were lost`;
    scan.damage.unshift({ code: 'TRUNCATED', reason: 'truncated', offset: bytes.length, length: covered - bytes.length, message });
  }
  if (scan.header.baseOffset !== baseOffset) {
    throw new LogkvError('CORRUPT', `${path}: header says base offset ${scan.header.baseOffset}, the name ${baseOffset}`, { file: path, offset: 8, reason: 'field-range' });
  }
  const firstDamage = scan.damage[0];
  const validAfterDamage = firstDamage !== undefined && scan.lastBatchAt !== undefined && scan.lastBatchAt > firstDamage.offset;
  const tornTail = newest && firstDamage !== undefined && !validAfterDamage;
  if (firstDamage && !tornTail && mode === 'strict') {
    throw new LogkvError(
      'CORRUPT',
      `${path} is damaged at byte ${firstDamage.offset} (${firstDamage.reason}: ${firstDamage.message}); run kvtool repair, or open with recovery: 'salvage' to skip damaged records`,
      { file: path, offset: firstDamage.offset, reason: firstDamage.reason },
    );
  }
  const tail = tornTail ? firstDamage.offset : (scan.lastBatchEnd ?? scan.validUpTo);
  return {
    state: {
      stem,
      baseOffset,
      path,
      tail,
      nextOffset: scan.nextOffset,
      sealed: !newest,
      valueEncoding: scan.header.valueEncoding,
      lastTimestampMs: scan.lastTimestampMs,
    },
    hint: undefined,
    damage: scan.damage,
    cut: tornTail ? { from: firstDamage.offset, bytes: Buffer.from(bytes.subarray(firstDamage.offset, lastNonZero(bytes) + 1)) } : undefined,
    // A sealed segment read cleanly gets its hint back; a damaged one is rescanned every time.
    rewriteHint: !newest && scan.damage.length === 0,
  };
}

function validHintOf(io: FileIO, dir: string, { stem, baseOffset }: SegmentName): HintFile | undefined {
  const hp = hintPath(dir, stem);
  if (!io.exists(hp)) return undefined;
  try {
    const hint = readHint(io.readFile(hp), hp);
    return hint.segmentBaseOffset === baseOffset ? hint : undefined;
  } catch (e) {
    if (e instanceof LogkvError) return undefined;
    throw e;
  }
}

function usableHint(io: FileIO, dir: string, name: SegmentName, path: string): HintFile | undefined {
  const hint = validHintOf(io, dir, name);
  if (!hint) return undefined;
  const h = io.open(path, 'read');
  const length = h.size();
  h.close();
  return hint.coveredLength === length ? hint : undefined;
}

function lastNonZero(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= 0; i--) if (bytes[i] !== 0) return i;
  return -1;
}
