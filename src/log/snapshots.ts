// Snapshots: the live state as of one offset, in formats/snapshot.ksy, kept
// under snapshots/ and listed in the manifest. Taking one has two parts:
//
// 1. capture (synchronous, in the write queue, so it sits between two
//    writes): the log's next offset and, in key order, where each live key's
//    record is. Only positions are copied, not values: records never move
//    while maintenance is exclusive, and the log only grows at its end.
// 2. write (asynchronous, writes go on): once everything captured is durable,
//    each record is read back (its CRC checked), streamed into a temporary
//    file, fsynced, renamed into place and the directory fsynced; then one
//    manifest frame lists it and drops the oldest beyond `keep`, whose files
//    are deleted last. A crash before the manifest frame leaves an unlisted
//    file, which open removes.
//
// The bytes are a pure function of the state (keys, values, offsets,
// expiries, next offset, timestamp of the newest batch included): the same
// state always gives the same file.

import { join } from 'node:path';
import { LogkvError } from '../errors.js';
import { createHash } from 'node:crypto';
import { encodeSnapshotHeader, END_CHUNK } from '../formats/snapshot-writer.js';
import type { ValueEncoding } from '../formats/limits.js';
import type { Worker } from 'node:worker_threads';
import type { FileIO } from '../io/file-io.js';
import type { KeySpace } from './key-space.js';
import type { Manifest, SnapshotRecord } from './manifest.js';
import type { SegmentLog } from './segment-log.js';
import type { BackgroundFiles } from './background-files.js';
import type { FrozenDirectory } from './key-directory.js';
import { TimeSlices } from './time-slices.js';
import { readSnapshotTable, type SnapshotTable } from './snapshot-table.js';
import { type RecordRead, SNAPSHOT_PARTS, startPartWorkers, writeParts } from './snapshot-parts.js';

export const SNAPSHOT_DIR = 'snapshots';

export interface SnapshotInfo {
  path: string;
  /** Every offset below this is reflected in the snapshot. */
  nextOffset: number;
  entries: number;
  bytes: number;
  /** Timestamp of the newest batch included. */
  createdMs: number;
}

/** Where each live record was at the moment of capture, in key order. */
export interface Capture {
  nextOffset: number;
  createdMs: number;
  count: number;
  segment: Uint32Array;
  position: Uint32Array;
  size: Uint32Array;
  offset: Float64Array;
  /** Each segment id the entries lie in, and the end of its last captured record (a worker maps no more than that). */
  ends: Map<number, number>;
  /** Part workers started for writing it (snapshot-parts.ts), on the real file system. */
  workers?: Worker[];
}

export function snapshotFileName(nextOffset: number): string {
  return `${String(nextOffset).padStart(20, '0')}.snap`;
}

export function snapshotDir(dir: string): string {
  return join(dir, SNAPSHOT_DIR);
}

/** The live state at one moment between two writes: what a snapshot is made of, not yet in key order. */
export interface Frozen {
  nextOffset: number;
  createdMs: number;
  /** Entries that expire at or before this are left out. */
  now: number;
  entries: FrozenDirectory;
}

/**
 * Freezes the key directory (call between two writes, in the write queue).
 * No copy and no walk of the keys (KeyDirectory.freeze()): the ordering, the
 * expensive part, waits for capture(), outside the queue (a key-ordered walk
 * here held every write for 280-330 ms at 550k keys).
 */
export function freeze(space: KeySpace, log: SegmentLog, now: number): Frozen {
  return { nextOffset: log.nextOffset, createdMs: log.lastTimestampMs, now, entries: space.directory.freeze() };
}

/**
 * The places of every live, unexpired key of a frozen directory, in key
 * order (the sort runs in the background worker on real files).
 * `writesWaiting`: the log's, for the slices (time-slices.ts).
 */
export async function capture(frozen: Frozen, background: BackgroundFiles, writesWaiting: () => boolean): Promise<Capture> {
  // The workers that will encode parts of the file start now: they are ready once the keys are sorted.
  const workers = background.detached ? startPartWorkers(SNAPSHOT_PARTS.threads - 1) : [];
  try {
    return await captureOf(frozen, background, workers, writesWaiting);
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
}

async function captureOf(frozen: Frozen, background: BackgroundFiles, workers: Worker[], writesWaiting: () => boolean): Promise<Capture> {
  const d = frozen.entries;
  // Everything of each entry is read before the sort: the sort is handed the entries' bytes (their keys).
  const found = { segment: new Uint32Array(d.count), position: new Uint32Array(d.count), size: new Uint32Array(d.count), offset: new Float64Array(d.count) };
  const keyOffsets = new Uint32Array(d.count);
  let n = 0;
  // In time slices, like every loop here over all the keys: writes go on meanwhile.
  const slices = new TimeSlices(writesWaiting);
  for (let id = d.next(-1), k = 0; id >= 0; id = d.next(id), k++) {
    if ((k & 1023) === 1023 && slices.due()) await slices.next();
    const expireAt = d.expireAtOf(id);
    if (expireAt !== undefined && expireAt <= frozen.now) continue;
    found.segment[n] = d.segmentOf(id);
    found.position[n] = d.positionOf(id);
    found.size[n] = d.sizeOf(id);
    found.offset[n] = d.offsetOf(id);
    keyOffsets[n++] = d.keyOffsetOf(id);
  }
  const arena = await d.arena(() => (slices.due() ? slices.next() : undefined));
  const order = await background.sortByKey(arena, keyOffsets.slice(0, n));
  const c: Capture = {
    nextOffset: frozen.nextOffset,
    createdMs: frozen.createdMs,
    count: n,
    // Shared: the part workers are sent these (snapshot-parts.ts), and a posted copy of them held every write for ~12 ms at 550k keys.
    segment: new Uint32Array(new SharedArrayBuffer(4 * n)),
    position: new Uint32Array(new SharedArrayBuffer(4 * n)),
    size: new Uint32Array(new SharedArrayBuffer(4 * n)),
    offset: new Float64Array(new SharedArrayBuffer(8 * n)),
    ends: new Map(),
    workers,
  };
  // Segment ends gathered here, in slices, rather than in a loop of their own at the start of the write, where
  // one pass over 550k entries held writes for ~5 ms.
  for (let i = 0; i < n; i++) {
    if ((i & 4095) === 4095 && slices.due()) await slices.next();
    const k = order[i]!;
    const segment = found.segment[k]!;
    const end = found.position[k]! + found.size[k]!;
    c.segment[i] = segment;
    c.position[i] = found.position[k]!;
    c.size[i] = found.size[k]!;
    c.offset[i] = found.offset[k]!;
    if (end > (c.ends.get(segment) ?? 0)) c.ends.set(segment, end);
  }
  return c;
}

/** Bytes a snapshot file is written ahead of its last sync before the next one starts. */
const SYNC_EVERY = 4 * 1024 * 1024;

/** Streams a capture into snapshots/<next offset>.snap, atomically. */
export async function writeSnapshot(io: FileIO, dir: string, log: SegmentLog, c: Capture, valueEncoding: ValueEncoding): Promise<SnapshotInfo> {
  const folder = snapshotDir(dir);
  if (!io.exists(folder)) {
    io.mkdir(folder);
    await io.syncDir(dir);
  }
  const path = join(folder, snapshotFileName(c.nextOffset));
  const tmp = `${path}.tmp`;
  if (io.exists(tmp)) io.unlink(tmp);
  const handle = io.open(tmp, 'create');
  let bytes = 0;
  let syncing: Promise<void> | undefined;
  try {
    const hash = createHash('sha256');
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    // The file is synced as it grows, one sync at a time beside the writing: a single fdatasync of the whole
    // file at the end put tens of MB in the disk's queue at once, and the log's own fdatasyncs waited behind
    // them (17-19 ms in the roll-latency run with snapshot() mid-run).
    let synced = 0;
    let syncFailure: unknown;
    const flush = () => {
      if (pendingBytes === 0) return;
      handle.write(Buffer.concat(pending, pendingBytes), bytes);
      bytes += pendingBytes;
      pending = [];
      pendingBytes = 0;
      if (syncing === undefined && bytes - synced >= SYNC_EVERY) {
        const upTo = bytes;
        syncing = handle.sync().then(
          () => {
            synced = upTo;
            syncing = undefined;
          },
          (e: unknown) => {
            syncFailure ??= e;
            syncing = undefined;
          },
        );
      }
    };
    const put = (b: Uint8Array): void => {
      hash.update(b);
      pending.push(b);
      pendingBytes += b.length;
      if (pendingBytes >= 1024 * 1024) flush();
    };
    put(encodeSnapshotHeader({ valueEncoding, nextOffset: c.nextOffset, createdMs: c.createdMs, entryCount: c.count }));
    // A view of the log's reused record buffer, CRC-checked: the chunks copy the entry out of it.
    const read: RecordRead = (id, position, size) => {
      const segment = log.segment(id);
      return { bytes: log.readRecordView(segment, position, size), path: segment.path };
    };
    // Parts of the chunks in worker threads, which read the segment files themselves: only on the real file system.
    // Each segment's file, and the end of its last captured record: a worker maps no more than that (a roll may trim the file meanwhile).
    const paths = new Map<number, { path: string; end: number }>();
    for (const [id, end] of c.ends) paths.set(id, { path: log.segment(id).path, end });
    await writeParts(c, paths, read, new TimeSlices(() => log.writesWaiting), put, c.workers ?? []);
    put(END_CHUNK);
    pending.push(hash.digest());
    pendingBytes += 32;
    flush();
    await syncing;
    if (syncFailure !== undefined) throw syncFailure;
    await handle.sync();
  } finally {
    await syncing;
    handle.close();
  }
  io.rename(tmp, path);
  await io.syncDir(folder);
  return { path, nextOffset: c.nextOffset, entries: c.count, bytes, createdMs: c.createdMs };
}

/** Lists a new snapshot in the manifest, drops the oldest beyond `keep`, and deletes their files. */
export async function listSnapshot(io: FileIO, dir: string, manifest: Manifest, info: SnapshotInfo, keep: number): Promise<void> {
  const file = snapshotFileName(info.nextOffset);
  const older = manifest.snapshots().filter((s) => s.file !== file);
  const removed = older.slice(0, Math.max(0, older.length - (keep - 1))).map((s) => s.file);
  await manifest.addSnapshot({ file, nextOffset: info.nextOffset }, removed);
  for (const f of removed) {
    const p = join(snapshotDir(dir), f);
    if (io.exists(p)) io.unlink(p);
  }
  if (removed.length > 0) await io.syncDir(snapshotDir(dir));
}

/** The newest listed snapshot that reads back whole, with what was wrong with the newer ones. */
export function newestValidSnapshot(io: FileIO, dir: string, listed: readonly SnapshotRecord[]): { record: SnapshotRecord; path: string; contents: SnapshotTable; rejected: Array<{ path: string; error: string }> } | undefined {
  const rejected: Array<{ path: string; error: string }> = [];
  for (const record of [...listed].sort((a, b) => b.nextOffset - a.nextOffset)) {
    const path = join(snapshotDir(dir), record.file);
    try {
      const contents = readSnapshotTable(io, path);
      if (contents.header.nextOffset !== record.nextOffset) throw new LogkvError('CORRUPT', `${path}: header says next offset ${contents.header.nextOffset}, the manifest ${record.nextOffset}`);
      return { record, path, contents, rejected };
    } catch (e) {
      rejected.push({ path, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return undefined;
}
