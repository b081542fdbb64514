// When a sealed segment is missing or damaged and a snapshot stands for
// every offset it held, open starts from that snapshot instead of failing:
// the snapshot's state becomes base segments (restore.ts), the segments it
// covers are moved to lost/ (never deleted), and the log after the snapshot
// is replayed as usual. The history below the snapshot's offset is gone, so
// the log start offset moves up to it (the change feed says so to readers
// asking for older offsets). openReport.startedFromSnapshot tells all this.
//
// Crash story: base segments are written unlisted; the covered files are
// moved to lost/; then one manifest frame swaps them. A crash before the
// frame leaves the manifest listing files now in lost/, so the next open
// comes back here (and the base segments it left, unlisted, are removed once
// the new ones are listed); a crash after it leaves a consistent store.

import { join } from 'node:path';
import type { LogkvError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import type { Manifest } from './manifest.js';
import { writeBaseSegments } from './restore.js';
import { parseSegmentFileName, type SegmentName, segmentFilePaths, segmentNamesIn, segmentPath } from './segment-names.js';
import { newestValidSnapshot } from './snapshots.js';

/** The suffix of a segment or hint file moved to lost/ because a snapshot stands for it. */
export const REPLACED_BY_SNAPSHOT = '.replaced-by-snapshot';

export interface SnapshotStart {
  /** The snapshot the store started from. */
  snapshot: string;
  nextOffset: number;
  /** The segment whose loss or damage made it necessary, and what was wrong. */
  cause: { file: string; offset: number | undefined; message: string };
  /** Segment and hint files moved to lost/. */
  setAside: string[];
  /** Newer snapshots that failed their checks. */
  rejectedSnapshots: Array<{ path: string; error: string }>;
}

/**
 * Replaces the segments a valid snapshot covers, given the recovery failure
 * `failure` on one of `names`; returns the new segment list, or undefined
 * when no snapshot covers the failed segment.
 */
export async function startFromSnapshot(
  io: FileIO,
  dir: string,
  manifest: Manifest,
  names: readonly SegmentName[],
  failure: LogkvError,
  options: { segmentSize: number; now: () => number },
): Promise<{ names: SegmentName[]; start: SnapshotStart } | undefined> {
  const failed = names.findIndex((n) => segmentPath(dir, n.stem) === failure.file);
  // The newest segment has nothing after it to say where it ends.
  if (failed < 0 || failed === names.length - 1) return undefined;
  const end = names[failed + 1]!.baseOffset;
  const found = newestValidSnapshot(io, dir, manifest.snapshots());
  if (!found || found.record.nextOffset < end) return undefined;
  const nextOffset = found.record.nextOffset;
  const covered = names.filter((n, i) => i < names.length - 1 && names[i + 1]!.baseOffset <= nextOffset);

  // Above every segment file's on disk too: an earlier attempt that a crash
  // stopped before its manifest frame left base segments of its own, and a
  // file the manifest does not list is never written over.
  const generation = Math.max(manifest.generation, ...segmentNamesIn(io.readdir(dir)).map((n) => n.generation)) + 1;
  // Named from the first segment they stand in for: one that started at the snapshot's first record's offset would sort after
  // a segment sharing that base offset (equal offsets sort by generation), and every later open would find the two overlapping.
  const base = await writeBaseSegments(io, dir, found.contents, { ...options, generation, startAt: covered[0]?.baseOffset });
  const lost = join(dir, 'lost');
  io.mkdir(lost);
  const setAside: string[] = [];
  for (const n of covered) {
    for (const from of segmentFilePaths(dir, n.stem)) {
      if (!io.exists(from)) continue;
      const to = freeName(io, join(lost, `${from.slice(dir.length + 1)}${REPLACED_BY_SNAPSHOT}`));
      io.rename(from, to);
      setAside.push(to);
    }
  }
  await io.syncDir(lost);
  await io.syncDir(dir);
  await manifest.replaceSegments(covered, base, { generation, logStartOffset: nextOffset });

  const kept = names.filter((n) => !covered.includes(n));
  const added = base.map((b) => parseSegmentFileName(`${b.stem}.log`)!);
  return {
    names: [...added, ...kept],
    start: {
      snapshot: found.path,
      nextOffset,
      cause: { file: failure.file!, offset: failure.offset, message: failure.message },
      setAside,
      rejectedSnapshots: found.rejected,
    },
  };
}

/** `path`, or `path-2`, `path-3`, ...: the first that does not exist, so nothing in lost/ is overwritten. */
function freeName(io: FileIO, path: string): string {
  let candidate = path;
  for (let n = 2; io.exists(candidate); n++) candidate = `${path}-${n}`;
  return candidate;
}
