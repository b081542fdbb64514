// Opening a store directory, in two phases. Phase one looks and decides,
// writing nothing: what the directory is (store-dir.ts: a store, an empty
// place for one, or not ours), the manifest as its files hold it, which
// files are live, leftover or not the store's (store-files.ts), the log's
// recovery plan (recovery.ts) and the value encoding. Every refusal happens
// there, so a refused open (bad magic, a wrong value encoding, a directory
// that is not a store, LOCKED, permission denied) leaves the directory as
// it found it. Phase two acts: the IDENTITY of a store made before it
// existed, leftovers removed, the torn tail cut, hints written, the
// manifest healed or rebuilt, the newest segment's zero fill left for its first write.
//
// A new store is made only in a missing or empty directory: IDENTITY
// first, then the manifest and the first segment. When that fails (no
// space, say), what it made is removed again, so a failed create changes
// nothing either. A read-only open takes no lock and writes nothing; it
// refuses (NEEDS_RECOVERY) a store whose opening would have to repair
// something.

import { dirname, join } from 'node:path';
import { fileSystemError, LogkvError } from '../errors.js';
import type { ValueEncoding } from '../formats/limits.js';
import { storeIdText } from '../formats/store-identity-reader.js';
import { type FileIO, removeFiles } from '../io/file-io.js';
import { acquireLock, type LockFile } from '../io/lock-file.js';
import { backgroundFiles } from './background-files.js';
import { DeferredLoad } from './deferred-load.js';
import { KeySpace, recoveryTarget } from './key-space.js';
import { IndexedSegment } from './segment-index.js';
import { Manifest, ManifestView, type SnapshotRecord } from './manifest.js';
import { carryOutLogRecovery, type LogOpenReport, type LogRecoveryPlan, planLogRecovery, planNeedsRepair, type RecoveryMode } from './recovery.js';
import { type Segment, SegmentLog, type SegmentLogOptions } from './segment-log.js';
import { type SegmentName } from './segment-names.js';
import { snapshotDir } from './snapshots.js';
import { type SnapshotStart, startFromSnapshot } from './start-from-snapshot.js';
import { inspectStoreDir, LOCK_FILE, notAStoreMessage, RESTORE_MARKER, type StoreDir, writeIdentity } from './store-dir.js';
import { type FileSet, planFiles } from './store-files.js';
import { ENCODING_NAMES, ENCODINGS, type ValueEncodingName } from './value-codec.js';
import type { Durability } from '../io/durability.js';

export interface OpenSettings {
  valueEncoding: ValueEncodingName | undefined;
  segmentSize: number;
  durability: Durability;
  syncIntervalMs: number;
  recovery: RecoveryMode;
  readOnly: boolean;
  createIfMissing: boolean;
  mmap: boolean;
  /** Group commit's fdatasyncs on a thread of the log's own (SegmentLogOptions.syncThread). */
  syncThread: boolean;
  /** 'background': open defers what it can (recovery.ts) and the keys load after it; 'before-open': all before it resolves. */
  loadKeys: 'background' | 'before-open';
  now: () => number;
}

/** What the store's log calls back into the store with (bound once the store object exists). */
export interface LogHooks {
  onRoll(): void;
  onCommit(nextOffset: number): void;
  onBackgroundError(error: unknown): void;
  /** The newest deferred segment's batch check, to run later (DeferredLoadOptions.checkLater); without it the load makes it at once. */
  checkLater?(segment: number, check: () => void): void;
}

export interface OpenedStore {
  log: SegmentLog;
  space: KeySpace;
  /** Undefined for a read-only open. */
  lock: LockFile | undefined;
  /** A Manifest when writable; read-only opens only read it. */
  manifest: Manifest | ManifestView;
  valueEncoding: ValueEncodingName;
  storeId: string | undefined;
  report: LogOpenReport;
}

export async function openStore(dir: string, s: OpenSettings, io: FileIO, hooks: LogHooks): Promise<OpenedStore> {
  const started = performance.now();
  const found = inspectStoreDir(io, dir);
  switch (found.kind) {
    case 'restoring':
      throw new LogkvError('CORRUPT', `${dir} holds an interrupted restore; run restore again`, { file: join(dir, RESTORE_MARKER), reason: 'interrupted-restore' });
    case 'foreign':
      throw new LogkvError('NOT_A_STORE', notAStoreMessage(dir, found.names), { file: dir });
    case 'missing':
    case 'empty':
      if (s.readOnly) throw new LogkvError('NOT_FOUND', `no store at ${dir} (a read-only open creates nothing)`, { file: dir });
      if (!s.createIfMissing) throw new LogkvError('NOT_FOUND', `no store at ${dir} (createIfMissing is false)`, { file: dir });
      return create(dir, found, s, io, hooks, started);
    case 'store':
      return openExisting(dir, found.identity === undefined ? undefined : storeIdText(found.identity.storeId), s, io, hooks, started, undefined);
  }
}

/** Makes a store in a missing or empty directory; on failure removes what it made. */
async function create(dir: string, found: StoreDir & { kind: 'missing' | 'empty' }, s: OpenSettings, io: FileIO, hooks: LogHooks, started: number): Promise<OpenedStore> {
  const madeDirs: string[] = [];
  for (let d = dir; !io.exists(d) && d !== dirname(d); d = dirname(d)) madeDirs.push(d);
  const before = new Set(found.kind === 'empty' ? found.names : []);
  try {
    io.mkdir(dir);
  } catch (e) {
    throw fileSystemError(e, `create the store directory ${dir}`);
  }
  let lock: LockFile | undefined;
  try {
    lock = takeLock(io, dir);
    const identity = await writeIdentity(io, dir, s.now);
    return await openExisting(dir, storeIdText(identity.storeId), s, io, hooks, started, lock);
  } catch (e) {
    lock?.release();
    // Only this open wrote here (it held the lock from the start): whatever is new is its own.
    for (const name of safeReaddir(io, dir)) if (!before.has(name)) tryRemove(io, join(dir, name));
    for (const d of madeDirs) tryRemove(io, d, true);
    throw fileSystemError(e, `create a store in ${dir}`);
  }
}

async function openExisting(
  dir: string,
  storeId: string | undefined,
  s: OpenSettings,
  io: FileIO,
  hooks: LogHooks,
  started: number,
  heldLock: LockFile | undefined,
): Promise<OpenedStore> {
  const lock = heldLock ?? (s.readOnly ? undefined : takeLock(io, dir));
  let manifest: Manifest | undefined;
  try {
    // ---- phase one: look and decide ----
    const view = ManifestView.read(io, dir);
    checkEncoding(dir, view.valueEncoding, s.valueEncoding);
    let files = planFiles(io, dir, view);
    let names = files.segments;
    let space = new KeySpace();
    let plan: LogRecoveryPlan;
    let startedFromSnapshot: SnapshotStart | undefined;
    try {
      plan = await planLogRecovery(io, dir, names, s.recovery, recoveryTarget(space), { defer: s.loadKeys === 'background', background: backgroundFiles(io) });
    } catch (e) {
      // A lost or damaged sealed segment that a snapshot covers: start from the snapshot (which writes).
      if (!(e instanceof LogkvError && e.code === 'CORRUPT' && view.trusted) || s.readOnly) throw e;
      manifest = await Manifest.open(io, dir, s.now, undefined, view);
      const start = await startFromSnapshot(io, dir, manifest, names, e, s);
      if (!start) throw e;
      ({ names, start: startedFromSnapshot } = start);
      // Every file the manifest lists is there now: what it does not list is left from an earlier attempt.
      const again = planFiles(io, dir, manifest);
      files = { ...again, leftovers: [...files.leftovers, ...again.leftovers] };
      space = new KeySpace();
      plan = await planLogRecovery(io, dir, names, s.recovery, recoveryTarget(space), { defer: s.loadKeys === 'background', background: backgroundFiles(io) });
    }
    const valueEncoding = view.valueEncoding ?? encodingName(plan.valueEncoding) ?? s.valueEncoding ?? 'binary';
    checkEncoding(dir, valueEncoding, s.valueEncoding);
    if (s.readOnly) refuseRepairs(dir, view, files, plan);

    // ---- phase two: act ----
    if (!s.readOnly) {
      if (storeId === undefined) storeId = storeIdText((await writeIdentity(io, dir, s.now)).storeId);
      await removeFiles(io, files.leftovers);
    }
    const recovered = await carryOutLogRecovery(io, dir, plan, !s.readOnly);
    if (!s.readOnly) {
      manifest ??= await Manifest.open(io, dir, s.now, undefined, view);
      if (!manifest.trusted || files.rebuilt) {
        await manifest.reset(valueEncoding, names, { generation: Math.max(0, ...names.map((n) => n.generation)), snapshots: snapshotsOnDisk(io, dir) });
      }
    }
    const writable = manifest;
    const logOptions: SegmentLogOptions = {
      io,
      dir,
      valueEncoding: ENCODINGS[valueEncoding],
      segmentSize: s.segmentSize,
      // A read-only log never syncs: no interval timer.
      durability: s.readOnly ? 'none' : s.durability,
      syncIntervalMs: s.syncIntervalMs,
      now: s.now,
      // A read-only open holds no lock: a repair in another process could truncate a file under its map.
      mapSegments: s.mmap && !s.readOnly,
      // The newest segment's zero fill waits for the first write (segment-log.ts).
      fillActiveTo: s.readOnly ? undefined : s.segmentSize,
      syncThread: s.syncThread && !s.readOnly,
      onSegmentCreated: (segment, lastTimestampMs) => writable!.addSegment(segment, lastTimestampMs),
      onRoll: () => hooks.onRoll(),
      onCommit: (nextOffset) => hooks.onCommit(nextOffset),
      onBackgroundError: (error) => hooks.onBackgroundError(error),
      beforeSeal: (segment) => space.loadThrough(segment.id),
    };
    const segments: Segment[] = [];
    try {
      for (const [id, state] of recovered.segments.entries()) {
        const handle = io.open(state.path, state.sealed || s.readOnly ? 'read' : 'update');
        segments.push({ ...state, id, handle, fileSize: handle.size() });
      }
      const created = segments.length === 0;
      if (created) {
        const first = await SegmentLog.createSegment(logOptions, 0, 0);
        segments.push(first);
        await writable!.addSegment(first, 0);
      }
      const lastTimestampMs = recovered.segments.at(-1)?.lastTimestampMs ?? (manifest ?? view).lastTimestampMs;
      const report: LogOpenReport = {
        ...recovered.report,
        clean: recovered.report.clean && files.leftovers.length === 0 && !files.rebuilt && !startedFromSnapshot,
        created,
        startedFromSnapshot,
        removedFiles: files.leftovers,
        foreignFiles: files.foreign,
        manifestRebuilt: files.rebuilt,
        keys: space.directory.size,
        segmentsDeferred: plan.deferred.length,
        indexesRebuilt: 0,
        durationMs: performance.now() - started,
      };
      const log = new SegmentLog(logOptions, segments, lastTimestampMs);
      if (plan.deferred.length > 0) space.attach(deferredLoad(io, plan, space, log, report, !s.readOnly, hooks));
      return { log, space, lock, manifest: manifest ?? view, valueEncoding, storeId, report };
    } catch (e) {
      for (const segment of segments) segment.handle.close();
      throw e;
    }
  } catch (e) {
    await manifest?.close().catch(() => undefined);
    lock?.release();
    throw fileSystemError(e, `open the store in ${dir}`);
  }
}

/** The loader of the segments recovery deferred, reading records through `log`. */
function deferredLoad(io: FileIO, plan: LogRecoveryPlan, space: KeySpace, log: SegmentLog, report: LogOpenReport, writable: boolean, hooks: LogHooks): DeferredLoad {
  const segments = plan.deferred.map((d) => {
    if (d.scanned) {
      // Its hint comes later: a sealed one's now, in the background, like a roll's; the newest one's at its seal or close.
      if (writable && !d.newest) log.rewriteHint(d.id);
      return { ...d, index: d.scanned };
    }
    let { hintPath, indexPath } = d;
    // The newest segment is about to be written to, and its hint and index then describe it no more (open
    // used to remove them here). They are moved to the temporary names a running writer's files have, which
    // kvtool verify passes over and the next open removes as leftovers, and the load reads them from there.
    // The log puts them back if the segment is sealed or closed unchanged (segment-log.ts, #aside).
    if (d.newest && writable) {
      io.rename(hintPath, (hintPath = `${hintPath}.tmp`));
      io.rename(indexPath, (indexPath = `${indexPath}.tmp`));
      log.setAside({ segment: d.id, hint: hintPath, index: indexPath, coveredLength: d.index.coveredLength });
    }
    return { ...d, hintPath, index: new IndexedSegment(io, indexPath, d.index) };
  });
  return new DeferredLoad(segments, space.deferredTarget(), {
    io,
    readRecord: (segment, position, size) => log.readRecordView(log.segment(segment), position, size),
    onDamage: (error) => hooks.onBackgroundError(error),
    checkBatches: (id, length, minOffset) => log.checkBatches(id, length, minOffset),
    ...(hooks.checkLater ? { checkLater: hooks.checkLater } : {}),
    onRebuild: (kind, file) => {
      log.discardAside(file);
      report.clean = false;
      if (kind === 'hint') report.hintsRebuilt++;
      else report.indexesRebuilt++;
    },
  });
}

function takeLock(io: FileIO, dir: string): LockFile {
  try {
    return acquireLock(io, join(dir, LOCK_FILE));
  } catch (e) {
    const mapped = fileSystemError(e, `take the lock ${join(dir, LOCK_FILE)}`);
    if (mapped instanceof LogkvError && mapped.code === 'PERMISSION_DENIED') {
      throw new LogkvError('PERMISSION_DENIED', `${mapped.message} (to read a store this process may not write, open it with readOnly: true)`, {
        file: mapped.file,
        cause: e,
      });
    }
    throw mapped;
  }
}

function checkEncoding(dir: string, stored: ValueEncodingName | undefined, requested: ValueEncodingName | undefined): void {
  if (stored !== undefined && requested !== undefined && stored !== requested) {
    throw new LogkvError('INVALID_ARGUMENT', `the store at ${dir} holds ${stored} values, not ${requested}`);
  }
}

/** A read-only open refuses a store that only a repair (a writable open, or kvtool repair) can open. */
function refuseRepairs(dir: string, view: ManifestView, files: FileSet, plan: LogRecoveryPlan): void {
  const refuse = (what: string, file?: string, offset?: number) => {
    throw new LogkvError('NEEDS_RECOVERY', `${dir}: ${what}, which a read-only open does not do; open it writable once, or run kvtool repair`, { file, offset });
  };
  const cut = planNeedsRepair(plan);
  if (cut) refuse(`the newest segment ends in a torn write at byte ${cut.offset} to cut`, cut.file, cut.offset);
  if (files.rebuilt || (view.existed && !view.trusted)) refuse('the manifest is damaged and must be rebuilt', join(dir, 'MANIFEST.jrna'));
  if (!view.existed) refuse('the store has no manifest yet (its creation did not finish)');
  if (plan.segments.length === 0) refuse('the store has no segment yet (its creation did not finish)');
}

function encodingName(stored: ValueEncoding | undefined): ValueEncodingName | undefined {
  return stored === undefined ? undefined : ENCODING_NAMES[stored];
}

/** Snapshot files in the snapshots folder, for a manifest rebuilt from the directory (nothing is dropped on a lost manifest's word). */
function snapshotsOnDisk(io: FileIO, dir: string): SnapshotRecord[] {
  const folder = snapshotDir(dir);
  if (!io.isDirectory(folder)) return [];
  return io
    .readdir(folder)
    .filter((n) => /^\d{20}\.snap$/.test(n))
    .map((file) => ({ file, nextOffset: Number(file.slice(0, 20)) }));
}

function safeReaddir(io: FileIO, dir: string): string[] {
  try {
    return io.readdir(dir);
  } catch {
    return [];
  }
}

function tryRemove(io: FileIO, path: string, directory = false): void {
  try {
    if (directory) io.rmdir(path);
    else if (!io.isDirectory(path)) io.unlink(path);
  } catch {
    // Best effort: the error that made the open fail is the one to report.
  }
}

export type { SegmentName };
