// Opening a log directory is recovery. Phase one reads and decides, writing
// nothing: sealed segments load from their hints (a hint that is missing,
// fails its checks, or does not match its segment's length means a rescan).
// The newest segment loads from its hint too when a clean close left one
// (segment-log.ts) and the segment still ends, exactly at the hint's
// covered_length, in a last batch that checks out and ends at the hint's
// next offset; else it is scanned whole. A damaged tail of the newest
// segment (nothing valid after it) is a torn write, to be cut; damage
// anywhere else is corruption: open fails with CORRUPT naming file and
// offset, unless recovery is 'salvage', which skips the damaged ranges and
// reports them. Phase two acts: cut bytes are kept in lost/ first, then the
// tail is cut, then the newest segment's hint is removed (used or stale: it
// describes the segment only until the next write, and open is about to
// extend the segment with zero fill), then missing hints are rewritten.
// Open runs phase two only once every check that could refuse the open has
// passed (the value encoding among them), so a refused open changes nothing.
//
// Deferred segments (issue 16: open without reading every key). With
// `defer`, the oldest segments whose hint and index both check out by their
// headers alone (the base offset, the segment's length as covered_length,
// the index agreeing with the hint, the index's size) are not read at all:
// their keys are loaded after open (deferred-load.ts), and until then gets
// search their indexes. Only a prefix of the log is deferred, so everything
// loaded here is newer than every deferred segment. The newest segment is
// deferred too after a clean close, when its header and its last batch
// (whose position the index names) check out; the full check of its other
// batches runs when it is loaded after open, and its hint and index are
// removed then instead of here.

import { join } from 'node:path';
import { LogkvError } from '../errors.js';
import { type Damage, lastNonZero } from '../formats/damage.js';
import { type CheckedHint, checkHint, forEachHintEntry, type HintEntryVisitor, readHintHeader } from '../formats/hint-reader.js';
import { batchEndingAt, lastBatchOf, type RecordVisitor, readSegmentHeader, type SegmentScan } from '../formats/log-segment-reader.js';
import { HINT_ENTRY_FIXED_SIZE, HINT_HEADER_SIZE, HINT_TRAILER_SIZE, INDEX_HEADER_SIZE, Op, SEGMENT_HEADER_SIZE, type ValueEncoding } from '../formats/limits.js';
import { checkIndexSize, type IndexHeaderInfo, readIndexHeader } from '../formats/segment-index-reader.js';
import { type FileIO, replaceFile } from '../io/file-io.js';
import { withFileSource } from '../io/file-source.js';
import { ScannedIndex } from './scanned-index.js';
import { SegmentNewest } from './segment-newest.js';
import type { BackgroundFiles } from './background-files.js';
import { fromParts, RECOVERY_THREADS, readInScanWorkers, readRecords, scanForRecovery, type SegmentRead } from './recovery-scan.js';
import { matchingHint, writeHint } from './segment-hint.js';
import { derivedPaths, hintPath, indexPath, type SegmentName, segmentPath } from './segment-names.js';
import type { SnapshotStart } from './start-from-snapshot.js';

export type RecoveryMode = 'strict' | 'salvage';

/**
 * What recovery needs of the key directory. Keys come as ranges of the file
 * buffer being read (bytes[keyAt, keyAt + keyLength)), never as an object or
 * view per key: a million of them is what an open feeds in.
 */
export interface RecoveryTarget {
  /** Segments older than the ones about to load are deferred: a delete from here on must hide their records. */
  defer(): void;
  /** Room for `entries` more keys of `keyBytes` bytes in all, made before they come. */
  reserve(entries: number, keyBytes: number): void;
  /** The key's newest record so far; copy the key bytes to keep them. */
  put(bytes: Uint8Array, keyAt: number, keyLength: number, segment: number, position: number, size: number, offset: number, expireAtMs: number | undefined): void;
  /** `offset`: the delete record's; `segment`: the one holding it. */
  remove(bytes: Uint8Array, keyAt: number, keyLength: number, offset: number, segment: number): void;
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
  /** Files the manifest did not list (left by a crash mid-roll, mid-compaction or mid-snapshot), removed: only files provably the store's own (store-dir.ts). */
  removedFiles: string[];
  /** Files in the store directory (or its snapshots/) that are not the store's: left alone, and not counted against `clean`. */
  foreignFiles: string[];
  /** The manifest was missing or damaged and was rebuilt from the segments on disk. */
  manifestRebuilt: boolean;
  segments: number;
  keys: number;
  hintsUsed: number;
  hintsRebuilt: number;
  /**
   * Segments open did not read: gets search their index files (formats/
   * segment_index.ksy) until their keys are loaded, in the background.
   */
  segmentsDeferred: number;
  /** Index files found damaged after open (a slot failing its check), to be written again. */
  indexesRebuilt: number;
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
  report: Omit<LogOpenReport, 'keys' | 'durationMs' | 'removedFiles' | 'foreignFiles' | 'manifestRebuilt' | 'startedFromSnapshot' | 'segmentsDeferred' | 'indexesRebuilt'>;
}

/** A segment open serves from its index until its keys are loaded (deferred-load.ts). */
export interface DeferredPlan {
  /** Its id in the log: its place in the plan. */
  id: number;
  stem: string;
  path: string;
  hintPath: string;
  indexPath: string;
  index: IndexHeaderInfo;
  /** Size of the hint file: its key bytes, to size the directory before the load (deferred-load.ts). */
  hintSize: number;
  newest: boolean;
  /** Read whole by recovery (no usable hint or index): served from memory until loaded, its hint written after open (scanned-index.ts). */
  scanned?: ScannedIndex | undefined;
}

/** What phase one read and decided; nothing written yet. */
export interface LogRecoveryPlan {
  readonly plans: readonly SegmentPlan[];
  /** The oldest segments, not read: their keys load after open. */
  readonly deferred: readonly DeferredPlan[];
  readonly segments: SegmentState[];
  /** The value encoding the first segment header that was read records. */
  readonly valueEncoding: ValueEncoding | undefined;
}

interface SegmentPlan {
  state: SegmentState;
  /** Loaded from its hint (the segment was not read). */
  fromHint: boolean;
  damage: Damage[];
  cut: { from: number; bytes: Buffer } | undefined;
  rewriteHint: boolean;
  /** The rewritten hint and index, made from the scan itself (segment-newest.ts); undefined: writeHint reads the segment again. */
  hintBytes: Buffer | undefined;
  indexBytes: Buffer | undefined;
  /** The hint is missing and is written after open, in the background (a deferred segment recovery scanned). */
  hintLater: boolean;
  /** Where the scan found the segment's last batch (the index made beside hintBytes names it). */
  lastBatchAt: number;
  /** The newest segment's hint file is there, to be removed. */
  dropHint: boolean;
}

/**
 * Phase one, for the segments `names` (in log order, as the manifest lists
 * them): reads and decides, filling `target`, writing nothing. Throws
 * CORRUPT (strict) on damage outside the newest segment's tail.
 */
export async function planLogRecovery(
  io: FileIO,
  dir: string,
  names: readonly SegmentName[],
  mode: RecoveryMode,
  target: RecoveryTarget,
  options: { defer?: boolean; background?: BackgroundFiles } = {},
): Promise<LogRecoveryPlan> {
  const looks = lookAtFiles(io, dir, names);
  const prescans = options.defer ? prescan(io, dir, names, looks, options.background) : new Map<number, Promise<SegmentRead | undefined>>();
  // The oldest segments are deferred while they can be (see the top of the
  // file): from their hint and index, or, when they have none that checks
  // out, from a scan of their own (planScanned) kept in memory. From the
  // first segment that cannot be, everything loads here, in log order.
  const deferred: Array<{ plan: SegmentPlan; deferred: DeferredPlan }> = [];
  const plans: SegmentPlan[] = [];
  let deferring = options.defer === true;
  let expectedFrom = 0;
  let heldHintBytes = 0;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const newest = i === names.length - 1;
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
    if (deferring && skipBelow === 0) {
      const d =
        deferredFromFiles(dir, name, i, newest, looks.deferrable(i)) ??
        (heldHintBytes < MAX_HELD_HINT_BYTES && looks.scannable(i) ? planScanned(io, dir, name, i, newest, await prescans.get(i)) : undefined);
      if (d) {
        heldHintBytes += d.deferred.scanned?.memoryBytes ?? 0;
        deferred.push(d);
        plans.push(d.plan);
        expectedFrom = Math.max(expectedFrom, d.plan.state.nextOffset);
        continue;
      }
    }
    if (deferring) {
      deferring = false;
      if (deferred.length > 0) target.defer();
      reserveForHints(io, dir, names.slice(i), target);
    }
    // The key directory is filled here, segment by segment in log order, so
    // records go straight from the file into it (nothing is kept per record).
    // Only memory changes in phase one: an open that fails drops it all.
    // A hint made from the scan needs every record of the segment in the directory: not when base segments stand for some.
    const derive = skipBelow === 0 && heldHintBytes < MAX_HELD_HINT_BYTES;
    const plan = planSegment(io, dir, name, newest, mode, i, skipBelow === 0 ? target : above(skipBelow, target), derive);
    heldHintBytes += plan.hintBytes?.length ?? 0;
    expectedFrom = Math.max(expectedFrom, plan.state.nextOffset);
    plans.push(plan);
  }
  return {
    plans,
    deferred: deferred.map((d) => d.deferred),
    segments: plans.map((p) => p.state),
    valueEncoding: plans.find((p) => p.state.valueEncoding !== undefined)?.state.valueEncoding,
  };
}

/** Bytes of segments read ahead of the plan (prescan): their tables take about a quarter of that, as MAX_HELD_HINT_BYTES allows. */
const MAX_PRESCAN_BYTES = 1024 * 1024 * 1024;

/**
 * What a plan asks of each segment's files, each looked at once by the
 * read-ahead and the walk alike: whether it defers from its hint and index
 * (deferrable), else whether it defers from a scan of its own (no hint that
 * checks out without an index: the full path loads from such a hint).
 */
interface FileLooks {
  deferrable(i: number): Deferrable | undefined;
  scannable(i: number): boolean;
}

function lookAtFiles(io: FileIO, dir: string, names: readonly SegmentName[]): FileLooks {
  const deferrables = new Map<number, Deferrable | undefined>();
  const scannables = new Map<number, boolean>();
  const looks: FileLooks = {
    deferrable(i) {
      if (!deferrables.has(i)) deferrables.set(i, deferrable(io, dir, names[i]!, i === names.length - 1));
      return deferrables.get(i);
    },
    scannable(i) {
      let yes = scannables.get(i);
      if (yes === undefined) {
        const name = names[i]!;
        const path = segmentPath(dir, name.stem);
        yes = !looks.deferrable(i) && io.exists(path) && !(io.exists(hintPath(dir, name.stem)) && usableHint(io, dir, name, path));
        scannables.set(i, yes);
      }
      return yes;
    },
  };
  return looks;
}

/**
 * Reads ahead the segments the plan will have to scan, so that the
 * background worker (and a scan worker per core beyond two) reads some
 * while this thread reads the others: of N threads, the oldest (N-1)/N of
 * the sealed ones go to the workers, the rest and the newest are read
 * here, all before the plan walks the log in order. It stops
 * where deferring will (a segment neither deferrable nor scannable), since
 * the plan reads everything after that itself. What the plan does not use
 * (damage ended deferring, or a read failed: the plan then reads the
 * segment itself and reports what it finds) is dropped.
 */
function prescan(io: FileIO, dir: string, names: readonly SegmentName[], looks: FileLooks, background: BackgroundFiles | undefined): Map<number, Promise<SegmentRead | undefined>> {
  const out = new Map<number, Promise<SegmentRead | undefined>>();
  // Base segments from a snapshot overlap what follows them: the plan takes the full path there.
  if (names.some((n) => n.generation !== 0)) return out;
  const wanted: number[] = [];
  let bytes = 0;
  for (let i = 0; i < names.length; i++) {
    if (looks.deferrable(i)) continue;
    if (!looks.scannable(i)) break;
    const size = fileSize(io, segmentPath(dir, names[i]!.stem));
    if (bytes + size > MAX_PRESCAN_BYTES) break;
    bytes += size;
    wanted.push(i);
  }
  const sealed = wanted.filter((i) => i < names.length - 1);
  // This thread reads its share (the newest among them); the oldest sealed ones are dealt out to the background
  // worker and, on a machine with more than two cores, to a scan worker for each core beyond two (recovery-scan.ts).
  const threads = background?.detached ? Math.max(2, RECOVERY_THREADS.count) : 1;
  const away = sealed.slice(0, Math.floor((wanted.length * (threads - 1)) / threads));
  const toWorker = away.filter((_, k) => k % (threads - 1) === 0);
  const toScanners = away.filter((_, k) => k % (threads - 1) !== 0);
  for (const i of toWorker) {
    out.set(
      i,
      background!.readSegment(segmentPath(dir, names[i]!.stem)).then(fromParts, () => undefined),
    );
  }
  const scanned = readInScanWorkers(toScanners.map((i) => segmentPath(dir, names[i]!.stem)), threads - 2);
  for (const [k, i] of toScanners.entries()) out.set(i, scanned[k]!.then(fromParts, () => undefined));
  for (const i of wanted) {
    if (out.has(i)) continue;
    let read: SegmentRead | undefined;
    try {
      const path = segmentPath(dir, names[i]!.stem);
      read = readRecords(io.readFile(path), path);
      // Only the newest segment's bytes are kept (for a cut): the others' go now.
      if (i < names.length - 1) read.bytes = undefined;
    } catch {
      read = undefined;
    }
    out.set(i, Promise.resolve(read));
  }
  return out;
}

function fileSize(io: FileIO, path: string): number {
  const h = io.open(path, 'read');
  try {
    return h.size();
  } finally {
    h.close();
  }
}

/** Segment `name` deferred from its hint and index, when both check out by their headers (deferrable); else undefined. */
function deferredFromFiles(dir: string, name: SegmentName, id: number, newest: boolean, found: Deferrable | undefined): { plan: SegmentPlan; deferred: DeferredPlan } | undefined {
  if (!found) return undefined;
  const { state, index, hintSize } = found;
  return {
    plan: { state, fromHint: true, damage: [], cut: undefined, rewriteHint: false, hintBytes: undefined, indexBytes: undefined, hintLater: false, lastBatchAt: index.lastBatchPosition, dropHint: false },
    deferred: { id, stem: name.stem, path: state.path, hintPath: hintPath(dir, name.stem), indexPath: indexPath(dir, name.stem), index, hintSize, newest },
  };
}

/** The state of segment `name` when it can be deferred, read from headers (and the newest one's last batch) only; else undefined. */
interface Deferrable {
  state: SegmentState;
  index: IndexHeaderInfo;
  hintSize: number;
}

function deferrable(io: FileIO, dir: string, name: SegmentName, newest: boolean): Deferrable | undefined {
  const { stem, baseOffset } = name;
  const path = segmentPath(dir, stem);
  const hp = hintPath(dir, stem);
  const ip = indexPath(dir, stem);
  if (!io.exists(path) || !io.exists(hp) || !io.exists(ip)) return undefined;
  try {
    return withFileSource(io, path, (segment) => {
      const length = segment.size;
      const { hint, hintSize } = withFileSource(io, hp, (h) => ({ hint: readHintHeader(h.read(0, HINT_HEADER_SIZE), hp), hintSize: h.size }));
      const index = withFileSource(io, ip, (h) => {
        const header = readIndexHeader(h.read(0, INDEX_HEADER_SIZE), ip);
        checkIndexSize(header, h.size, ip);
        return header;
      });
      if (hint.segmentBaseOffset !== baseOffset || hint.coveredLength !== length) return undefined;
      if (index.segmentBaseOffset !== baseOffset || index.segmentNextOffset !== hint.segmentNextOffset || index.coveredLength !== length) return undefined;
      const state: SegmentState = { stem, baseOffset, path, tail: length, nextOffset: hint.segmentNextOffset, sealed: true, valueEncoding: undefined, lastTimestampMs: undefined };
      if (!newest) return { state, index, hintSize };
      const header = readSegmentHeader(segment.read(0, SEGMENT_HEADER_SIZE), path);
      const at = index.lastBatchPosition;
      if (header.baseOffset !== baseOffset || at < SEGMENT_HEADER_SIZE || at >= length) return undefined;
      const last = batchEndingAt(segment.read(at, length - at), at, baseOffset);
      if (!last || last.baseOffset + last.lastOffsetDelta + 1 !== hint.segmentNextOffset) return undefined;
      return { state: { ...state, sealed: false, valueEncoding: header.valueEncoding, lastTimestampMs: last.timestampMs }, index, hintSize };
    });
  } catch (e) {
    // Any check that fails: the segment takes the full path, which reports what it finds.
    if (e instanceof LogkvError) return undefined;
    throw e;
  }
}

/** Whether carrying out `plan` would have to repair something (cut a torn tail), as a read-only open may not. */
export function planNeedsRepair(plan: LogRecoveryPlan): DamageReport | undefined {
  const p = plan.plans.find((x) => x.cut !== undefined);
  const d = p?.damage[0];
  return p && d ? { file: p.state.path, offset: d.offset, length: d.length, code: d.code, reason: d.reason, message: d.message, action: 'cut' } : undefined;
}

/**
 * Phase two: acts on `plan`. Cut bytes are kept in lost/ first, then the
 * tail is cut, then the newest segment's hint is removed, then missing
 * hints are rewritten. With `write: false` (a read-only open) nothing is
 * written and only the report is made; the caller has refused a plan that
 * needs a cut.
 */
export async function carryOutLogRecovery(io: FileIO, dir: string, plan: LogRecoveryPlan, write = true): Promise<RecoveryResult> {
  const { plans } = plan;
  const report: RecoveryResult['report'] = { clean: true, created: false, segments: plans.length, hintsUsed: 0, hintsRebuilt: 0, bytesCut: 0, damage: [], keptAside: [] };
  for (const p of plans) {
    if (p.fromHint) report.hintsUsed++;
    if (p.hintLater) {
      report.hintsRebuilt++;
      report.clean = false;
    }
    for (const d of p.damage) {
      report.clean = false;
      report.damage.push({ file: p.state.path, offset: d.offset, length: d.length, code: d.code, reason: d.reason, message: d.message, action: p.cut ? 'cut' : 'skipped' });
    }
    if (!write) continue;
    if (p.cut) {
      const lostDir = join(dir, 'lost');
      io.mkdir(lostDir);
      const aside = join(lostDir, `${p.state.stem}.log.at-${p.cut.from}`);
      await replaceFile(io, aside, p.cut.bytes);
      report.keptAside.push(aside);
      report.bytesCut += p.cut.bytes.length;
    }
    // A cut tail, and a newest segment that was scanned (not closed cleanly, so the records just read
    // may be in the page cache only: a write whose fsync never came, durability 'none'), are made
    // durable before gets return what the segment holds, so a later power loss cannot take it back.
    if (p.cut || (!p.fromHint && p === plans.at(-1))) {
      const h = io.open(p.state.path, 'update');
      try {
        if (p.cut) h.truncate(p.cut.from);
        await h.sync();
      } finally {
        h.close();
      }
    }
    if (p.dropHint) {
      for (const file of derivedPaths(dir, p.state.stem)) if (io.exists(file)) io.unlink(file);
      await io.syncDir(dir);
    }
    if (p.rewriteHint) {
      if (p.hintBytes && p.indexBytes) {
        await replaceFile(io, hintPath(dir, p.state.stem), p.hintBytes);
        await replaceFile(io, indexPath(dir, p.state.stem), p.indexBytes);
      } else if (!(await writeHint(io, dir, p.state))) continue;
      report.hintsRebuilt++;
      report.clean = false;
    }
  }
  return { segments: plans.map((p) => p.state), report };
}

/** `target` for the records at or past `offset` only (those below are stood for by base segments). */
function above(offset: number, target: RecoveryTarget): RecoveryTarget {
  return {
    defer: () => target.defer(),
    reserve: (entries, keyBytes) => target.reserve(entries, keyBytes),
    put: (bytes, keyAt, keyLength, segment, position, size, at, expireAtMs) => {
      if (at >= offset) target.put(bytes, keyAt, keyLength, segment, position, size, at, expireAtMs);
    },
    remove: (bytes, keyAt, keyLength, at, segment) => {
      if (at >= offset) target.remove(bytes, keyAt, keyLength, at, segment);
    },
  };
}

/**
 * Hints made from scans wait in memory for phase two; past this many bytes
 * of them, the later segments' hints are made in phase two by reading the
 * segment again (a full rescan of a large store must not hold them all).
 */
const MAX_HELD_HINT_BYTES = 256 * 1024 * 1024;

/**
 * Sizes the key directory once for every entry the hint files hold (their
 * trailers' counts), so loading them grows nothing on the way. Only a size:
 * the hints are checked when they are read, and a count that is off costs
 * memory or one growth, never a wrong entry.
 */
function reserveForHints(io: FileIO, dir: string, names: readonly SegmentName[], target: RecoveryTarget): void {
  let entries = 0;
  let keyBytes = 0;
  const trailer = Buffer.alloc(HINT_TRAILER_SIZE);
  for (const { stem } of names) {
    const hp = hintPath(dir, stem);
    if (!io.exists(hp)) continue;
    const h = io.open(hp, 'read');
    try {
      const size = h.size();
      if (size < HINT_HEADER_SIZE + HINT_TRAILER_SIZE || h.read(trailer, size - HINT_TRAILER_SIZE) !== HINT_TRAILER_SIZE) continue;
      const count = trailer.readUInt32LE(0);
      const region = size - HINT_HEADER_SIZE - HINT_TRAILER_SIZE;
      // A count the entries region cannot hold is damage, found when the hint is read.
      if (count * HINT_ENTRY_FIXED_SIZE > region) continue;
      entries += count;
      keyBytes += region - count * HINT_ENTRY_FIXED_SIZE;
    } finally {
      h.close();
    }
  }
  if (entries > 0) target.reserve(entries, keyBytes);
}

function planSegment(io: FileIO, dir: string, name: SegmentName, newest: boolean, mode: RecoveryMode, id: number, target: RecoveryTarget, derive: boolean): SegmentPlan {
  const { stem, baseOffset } = name;
  const path = segmentPath(dir, stem);
  if (!io.exists(path)) {
    throw new LogkvError('CORRUPT', `${path} is listed in the manifest but missing; run kvtool repair`, { file: path, offset: 0, reason: 'missing-segment' });
  }
  const hasHint = io.exists(hintPath(dir, stem));
  const hint = hasHint ? usableHint(io, dir, name, path) : undefined;
  const state: SegmentState | undefined = !hint
    ? undefined
    : newest
      ? newestFromHint(io, name, path, hint)
      : { stem, baseOffset, path, tail: hint.coveredLength, nextOffset: hint.segmentNextOffset, sealed: true, valueEncoding: undefined, lastTimestampMs: undefined };
  if (hint && state) {
    const onEntry: HintEntryVisitor = (tombstone, b, keyAt, keyLength, offset, position, size, expireAtMs) => {
      if (tombstone) target.remove(b, keyAt, keyLength, offset, id);
      else target.put(b, keyAt, keyLength, id, position, size, offset, expireAtMs);
    };
    forEachHintEntry(hint, onEntry);
    return { state, fromHint: true, damage: [], cut: undefined, rewriteHint: false, hintBytes: undefined, indexBytes: undefined, hintLater: false, lastBatchAt: 0, dropHint: newest };
  }
  const scanned = !newest && derive ? new SegmentNewest() : undefined;
  const onRecord: RecordVisitor = (op, b, keyAt, keyLength, position, size, offset, expireAtMs) => {
    if (op === Op.Delete) target.remove(b, keyAt, keyLength, offset, id);
    else target.put(b, keyAt, keyLength, id, position, size, offset, expireAtMs);
    scanned?.add(op, b, keyAt, keyLength, position, size, offset, expireAtMs);
  };
  const bytes = io.readFile(path);
  const read = readSegmentWhole(io, dir, name, newest, bytes, onRecord);
  const { scan, firstDamage, tornTail } = read;
  if (firstDamage && !tornTail && mode === 'strict') {
    throw new LogkvError(
      'CORRUPT',
      `${path} is damaged at byte ${firstDamage.offset} (${firstDamage.reason}: ${firstDamage.message}); run kvtool repair, or open with recovery: 'salvage' to skip damaged records`,
      { file: path, offset: firstDamage.offset, reason: firstDamage.reason },
    );
  }
  // A sealed segment read cleanly gets its hint back; a damaged one is rescanned every time.
  const rewriteHint = !newest && scan.damage.length === 0;
  const files = rewriteHint && scanned ? scanned.files({ segmentBaseOffset: baseOffset, segmentNextOffset: scan.nextOffset, coveredLength: bytes.length, lastBatchPosition: scan.lastBatchAt ?? 0 }) : undefined;
  return {
    state: read.state,
    fromHint: false,
    damage: scan.damage,
    cut: read.cut,
    rewriteHint,
    hintBytes: files?.hint,
    indexBytes: files?.index,
    hintLater: false,
    lastBatchAt: scan.lastBatchAt ?? 0,
    dropHint: newest && (hasHint || io.exists(indexPath(dir, stem))),
  };
}

/**
 * A segment with no usable hint and index (FileLooks.scannable), deferred
 * from a scan of its own (scanned-index.ts): its records go into memory,
 * not the key directory. Undefined when damage other than a torn tail of
 * the newest segment makes it take the full path (which reports or skips
 * it).
 */
function planScanned(io: FileIO, dir: string, name: SegmentName, id: number, newest: boolean, prescanned: SegmentRead | undefined): { plan: SegmentPlan; deferred: DeferredPlan } | undefined {
  const { stem, baseOffset } = name;
  const path = segmentPath(dir, stem);
  // A read ahead kept the newest segment's bytes, which a cut needs (prescan).
  const { scan: found, records, chosen, length, bytes } = prescanned ?? readRecords(io.readFile(path), path);
  const read = judgeScan(io, dir, name, newest, found, length, bytes);
  if (read.firstDamage && !read.tornTail) return undefined;
  const { scan, state } = read;
  const lastBatchAt = scan.lastBatchAt ?? 0;
  const scanned = new ScannedIndex(path, records, { segmentBaseOffset: baseOffset, segmentNextOffset: scan.nextOffset, coveredLength: state.tail, lastBatchPosition: lastBatchAt }, chosen);
  return {
    plan: {
      state,
      fromHint: false,
      damage: scan.damage,
      cut: read.cut,
      rewriteHint: false,
      hintBytes: undefined,
      indexBytes: undefined,
      // A sealed segment's hint is written after open, in the background (opening.ts); the newest one's at its seal or close, as always.
      hintLater: !newest,
      lastBatchAt,
      dropHint: newest && (io.exists(hintPath(dir, stem)) || io.exists(indexPath(dir, stem))),
    },
    deferred: { id, stem, path, hintPath: hintPath(dir, stem), indexPath: indexPath(dir, stem), index: scanned.header, hintSize: 0, newest, scanned },
  };
}

/** What reading a whole segment found. */
interface WholeRead {
  scan: SegmentScan;
  firstDamage: Damage | undefined;
  /** The damage is the newest segment's torn tail (nothing valid after it), to be cut. */
  tornTail: boolean;
  state: SegmentState;
  cut: SegmentPlan['cut'];
}

/** Scans `bytes`, the segment `name`'s, giving every record to `onRecord`. */
function readSegmentWhole(io: FileIO, dir: string, name: SegmentName, newest: boolean, bytes: Buffer, onRecord: RecordVisitor): WholeRead {
  const scan = scanForRecovery(bytes, segmentPath(dir, name.stem), onRecord);
  return judgeScan(io, dir, name, newest, scan, bytes.length, bytes);
}

/** What `scan` of the segment `name` (`length` bytes) says of it; `bytes` (the newest segment's) give what a cut keeps. */
function judgeScan(io: FileIO, dir: string, name: SegmentName, newest: boolean, scan: SegmentScan, length: number, bytes: Buffer | undefined): WholeRead {
  const { stem, baseOffset } = name;
  const path = segmentPath(dir, stem);
  // A sealed segment shorter than its valid hint lost bytes, maybe at a batch boundary where the scan sees nothing.
  const covered = newest ? undefined : validHintOf(io, dir, name)?.coveredLength;
  if (covered !== undefined && covered > length) {
    const message = `the segment ends at byte ${length} but its hint covers ${covered}: ${covered - length} bytes were lost`;
    scan.damage.unshift({ code: 'TRUNCATED', reason: 'truncated', offset: length, length: covered - length, message });
  }
  if (scan.header.baseOffset !== baseOffset) {
    throw new LogkvError('CORRUPT', `${path}: header says base offset ${scan.header.baseOffset}, the name ${baseOffset}`, { file: path, offset: 8, reason: 'field-range' });
  }
  const firstDamage = scan.damage[0];
  const validAfterDamage = firstDamage !== undefined && scan.lastBatchAt !== undefined && scan.lastBatchAt > firstDamage.offset;
  const tornTail = newest && firstDamage !== undefined && !validAfterDamage;
  const tail = tornTail ? firstDamage.offset : (scan.lastBatchEnd ?? scan.validUpTo);
  if (tornTail && !bytes) throw new Error('recovery: the newest segment judged without its bytes');
  return {
    scan,
    firstDamage,
    tornTail,
    state: { stem, baseOffset, path, tail, nextOffset: scan.nextOffset, sealed: !newest, valueEncoding: scan.header.valueEncoding, lastTimestampMs: scan.lastTimestampMs },
    cut: tornTail && bytes ? { from: firstDamage.offset, bytes: Buffer.from(bytes.subarray(firstDamage.offset, lastNonZero(bytes, 0) + 1)) } : undefined,
  };
}

/**
 * The newest segment's state from its hint, when the segment agrees with it
 * without its records being parsed: its header reads (value encoding, base
 * offset), every batch's CRC matches, and its batches end exactly at
 * covered_length in a last batch that passes every check and ends at the
 * hint's next offset (whose timestamp the log needs). Undefined: scan it
 * (which reports any damage).
 */
function newestFromHint(io: FileIO, { stem, baseOffset }: SegmentName, path: string, hint: CheckedHint): SegmentState | undefined {
  // The whole segment is read (not parsed): every batch CRC is checked, so damage to the segment about to be appended to is found at open.
  const bytes = io.readFile(path);
  let valueEncoding: ValueEncoding;
  try {
    const header = readSegmentHeader(bytes, path);
    if (header.baseOffset !== baseOffset) return undefined;
    valueEncoding = header.valueEncoding;
  } catch (e) {
    if (e instanceof LogkvError) return undefined;
    throw e;
  }
  const last = bytes.length === hint.coveredLength ? lastBatchOf(bytes, baseOffset) : undefined;
  if (!last || last.baseOffset + last.lastOffsetDelta + 1 !== hint.segmentNextOffset) return undefined;
  return { stem, baseOffset, path, tail: hint.coveredLength, nextOffset: hint.segmentNextOffset, sealed: false, valueEncoding, lastTimestampMs: last.timestampMs };
}

/** The segment's hint when it passes every check and names the segment's base offset, whatever length it covers; else undefined. */
function validHintOf(io: FileIO, dir: string, { stem, baseOffset }: SegmentName): CheckedHint | undefined {
  const hp = hintPath(dir, stem);
  if (!io.exists(hp)) return undefined;
  try {
    const hint = checkHint(io.readFile(hp), hp);
    return hint.segmentBaseOffset === baseOffset ? hint : undefined;
  } catch (e) {
    if (e instanceof LogkvError) return undefined;
    throw e;
  }
}

/** The segment's hint when it passes every check and matches the segment's base offset and length; else undefined (rescan). */
function usableHint(io: FileIO, dir: string, name: SegmentName, path: string): CheckedHint | undefined {
  return matchingHint(io, dir, name, fileSize(io, path));
}
