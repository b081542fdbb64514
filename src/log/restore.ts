// Building a store's log from a snapshot. A snapshot's entries become
// records of compacted base segments, keeping their offsets, followed by an
// empty active segment at the snapshot's next offset, so the restored log
// goes on exactly where the snapshot stands. Used by restore() and by an
// open that must start from a snapshot because older segments are gone.
//
// restore() crash story: the target directory must be empty; a RESTORING
// marker is made durable first and removed last, after the manifest lists
// the new files. Open refuses a directory with the marker (an interrupted
// restore), and restore() into such a directory starts over.

import { join } from 'node:path';
import { fileSystemError, LogkvError } from '../errors.js';
import { type FileIO, nodeFileIO, replaceFile } from '../io/file-io.js';
import { handleSource } from '../io/file-source.js';
import { acquireLock } from '../io/lock-file.js';
import { BATCH_FRAME_SIZE } from '../formats/limits.js';
import { visitRecords } from '../formats/log-segment-reader.js';
import { CompactedOutput, type OutputSegment } from './compacted-output.js';
import { orderByHash } from './hash-order.js';
import { SegmentNewest } from './segment-newest.js';
import { Manifest } from './manifest.js';
import { SegmentLog } from './segment-log.js';
import { backgroundFiles } from './background-files.js';
import { snapshotDir, snapshotFileName } from './snapshots.js';
import { encodeEntryBatches } from './snapshot-batches.js';
import { readSnapshotTable, type SnapshotTable } from './snapshot-table.js';
import { segmentSizeOption } from './segment-file.js';
import { storePath } from './store-path.js';
import { IDENTITY_FILE, inspectStoreDir, isStoreFile, LOCK_FILE, RESTORE_MARKER, writeIdentity } from './store-dir.js';
import { ENCODING_NAMES } from './value-codec.js';

export { RESTORE_MARKER };

export interface RestoreOptions {
  /** Segment size of the restored store. Default 64 MiB. */
  segmentSize?: number;
  /**
   * The store id of the leader whose snapshot this is, for a follower's copy
   * (logkv/replication): recorded in the manifest in the same frame as the
   * files, so the store opens as that leader's follower.
   */
  leader?: string;
  now?: () => number;
  io?: FileIO;
}

export interface RestoreReport {
  dir: string;
  entries: number;
  /** The restored log continues at this offset. */
  nextOffset: number;
  segments: number;
}

/**
 * Writes the base segments for a snapshot's state (sealed, with hints;
 * names carry `generation`). `startAt`: the first one's base offset (the
 * first segment they stand in for) when below its first record's offset.
 */
export async function writeBaseSegments(
  io: FileIO,
  dir: string,
  table: SnapshotTable,
  options: { segmentSize: number; generation: number; now: () => number; startAt?: number },
): Promise<OutputSegment[]> {
  const background = backgroundFiles(io);
  // Each output's records, noted as its batches are written: its hint is made from them (after a check of its
  // batches' CRCs) rather than from the file read back and scanned, which a 1M-key restore waited ~2.4 s for.
  const records: SegmentNewest[] = [];
  const output = new CompactedOutput({
    io,
    dir,
    valueEncoding: table.header.valueEncoding,
    segmentSize: options.segmentSize,
    generation: options.generation,
    now: options.now,
    startAt: options.startAt,
    writeHint: (segment, index, out) => {
      const header = { segmentBaseOffset: out.baseOffset, segmentNextOffset: out.nextOffset, coveredLength: out.tail, lastBatchPosition: out.lastBatchAt };
      const noted = records[index] ?? new SegmentNewest(0);
      records[index] = new SegmentNewest(0);
      return background.writeHintFrom(dir, segment, header, noted);
    },
  });
  try {
    const timestampMs = table.header.createdMs;
    await encodeEntryBatches(table, offsetOrderOf(table.offset), timestampMs, async (bytes, baseOffset, lastOffset, count) => {
      const { index, position } = await output.addBatch(bytes, baseOffset, lastOffset, timestampMs);
      const noted = (records[index] ??= new SegmentNewest());
      visitRecords(bytes, BATCH_FRAME_SIZE, { baseOffset, recordCount: count }, noted.add, position);
    });
    return await output.finish(table.header.nextOffset);
  } catch (e) {
    await output.abandon();
    throw e;
  }
}

/** offsetOrderOf() of the entries' offsets: their indices. */
export function offsetOrder(entries: ReadonlyArray<{ offset: number }>): Uint32Array {
  return offsetOrderOf(Float64Array.from(entries, (e) => e.offset)).order;
}

/**
 * Indices of `offsets` (a snapshot's entries, key order) in ascending
 * offset order, and the offsets in that order. Offsets below 2^32 are
 * radix sorted. Larger ones (unique) are packed with their index into one
 * float64 each (offset above, index below) and sorted as numbers, which a
 * Float64Array does natively; a comparator sort over 1M objects was ~20%
 * of a restore (profiled). Offsets too large to pack fall back to it.
 */
export function offsetOrderOf(offsets: Float64Array): { order: Uint32Array; sorted: Float64Array } {
  const n = offsets.length;
  const indexBits = Math.max(1, Math.ceil(Math.log2(n + 1)));
  const scale = 2 ** indexBits;
  let max = 0;
  for (let i = 0; i < n; i++) if (offsets[i]! > max) max = offsets[i]!;
  if (max < 2 ** 32) {
    // The usual case: a radix sort of the offsets as u32 keys (orderByHash sorts any u32 keys, stably). For 1M
    // offsets, 73-111 ms against 594-744 ms for the packed float64 sort below, side by side on a loaded machine.
    const keys = new Uint32Array(n);
    for (let i = 0; i < n; i++) keys[i] = offsets[i]!;
    const { rows, sorted } = orderByHash(keys, n);
    return { order: rows, sorted: Float64Array.from(sorted) };
  }
  const order = new Uint32Array(n);
  const sorted = new Float64Array(n);
  if (max * scale + scale > Number.MAX_SAFE_INTEGER) {
    order.set(Array.from({ length: n }, (_, i) => i).sort((a, b) => offsets[a]! - offsets[b]!));
    for (let r = 0; r < n; r++) sorted[r] = offsets[order[r]!]!;
    return { order, sorted };
  }
  for (let i = 0; i < n; i++) sorted[i] = offsets[i]! * scale + i;
  sorted.sort();
  // Unpacked in place, in order: no lookup at random in the offsets.
  for (let r = 0; r < n; r++) {
    const v = sorted[r]!;
    const i = v % scale;
    order[r] = i;
    sorted[r] = (v - i) / scale;
  }
  return { order, sorted };
}

/**
 * Builds a new store in `dir` (which must be empty or missing) from the
 * snapshot file at `snapshotPath`. A damaged snapshot is CORRUPT and
 * nothing is written.
 */
export async function restore(snapshotPath: string, dirOrName: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  const io = options.io ?? nodeFileIO;
  const now = options.now ?? Date.now;
  const segmentSize = segmentSizeOption(options.segmentSize);
  const dir = storePath(dirOrName);
  if (options.leader !== undefined && !/^[0-9a-f]{32}$/.test(options.leader)) throw new LogkvError('INVALID_ARGUMENT', 'leader is a store id: 32 hex digits');
  if (typeof snapshotPath !== 'string' || !io.exists(snapshotPath)) throw new LogkvError('INVALID_ARGUMENT', `no snapshot file at ${String(snapshotPath)}`);
  const contents = readSnapshotTable(io, snapshotPath);

  const found = inspectStoreDir(io, dir);
  if (found.kind === 'store' || found.kind === 'foreign') throw new LogkvError('INVALID_ARGUMENT', `${dir} is not empty; restore builds a new store`);
  try {
    io.mkdir(dir);
  } catch (e) {
    throw fileSystemError(e, `create the store directory ${dir}`);
  }
  const lock = acquireLock(io, join(dir, LOCK_FILE));
  try {
    if (found.kind === 'restoring') clearInterruptedRestore(io, dir);
    await replaceFile(io, join(dir, RESTORE_MARKER), Buffer.from(`restoring ${snapshotPath}\n`));
    // A store of its own: a new id, not the snapshot's source's.
    await writeIdentity(io, dir, now);

    const base = await writeBaseSegments(io, dir, contents, { segmentSize, generation: 1, now });
    const valueEncoding = contents.header.valueEncoding;
    // Its header alone, as a clean close leaves an active segment: the store's first writes grow it. A zero
    // fill to the segment size was 64 MiB more written and synced than the restore's data needs.
    const active = await SegmentLog.createSegment(
      { io, dir, valueEncoding, segmentSize, durability: 'sync', syncIntervalMs: 0, now },
      0,
      contents.header.nextOffset,
      0,
    );
    active.handle.close();
    const folder = snapshotDir(dir);
    io.mkdir(folder);
    await io.syncDir(dir);
    const file = snapshotFileName(contents.header.nextOffset);
    const copied = io.open(snapshotPath, 'read');
    try {
      await replaceFile(io, join(folder, file), handleSource(copied));
    } finally {
      copied.close();
    }

    const manifest = await Manifest.open(io, dir, now);
    try {
      await manifest.reset(ENCODING_NAMES[valueEncoding], [...base, active], {
        snapshots: [{ file, nextOffset: contents.header.nextOffset }],
        logStartOffset: contents.header.nextOffset,
        lastTimestampMs: contents.header.createdMs,
        generation: 1,
        ...(options.leader !== undefined ? { leader: options.leader } : {}),
      });
    } finally {
      await manifest.close();
    }
    io.unlink(join(dir, RESTORE_MARKER));
    await io.syncDir(dir);
    return { dir, entries: contents.count, nextOffset: contents.header.nextOffset, segments: base.length + 1 };
  } finally {
    lock.release();
  }
}

/** Removes what an interrupted restore left: only files provably of the store's own making (store-dir.ts). */
function clearInterruptedRestore(io: FileIO, dir: string): void {
  const folder = snapshotDir(dir);
  if (io.isDirectory(folder)) for (const name of io.readdir(folder)) if (isStoreFile(io, folder, name, true)) io.unlink(join(folder, name));
  for (const name of io.readdir(dir)) {
    if (Manifest.owns(name) || name === 'MANIFEST.lock' || name === `${IDENTITY_FILE}.tmp` || isStoreFile(io, dir, name)) io.unlink(join(dir, name));
  }
}
