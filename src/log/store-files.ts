// Which files of a store directory are live. The manifest lists them; a file
// it does not list was left by a step that crashed before its manifest
// switch (a new segment not yet listed, a cleaner output, a snapshot, a
// temp file) or after it (a replaced segment not yet deleted), and is
// removed. Only a manifest that opened without loss, or with only a torn
// last frame cut, is trusted to delete by: otherwise, and for a store
// written before the manifest existed, the segments on disk are taken as
// they are and the manifest is rebuilt.

import { join } from 'node:path';
import { SEGMENT_HEADER_SIZE } from '../formats/limits.js';
import type { FileIO } from '../io/file-io.js';
import { Manifest } from './manifest.js';
import { parseSegmentFileName, type SegmentName, segmentNamesIn } from './segment-names.js';
import { snapshotDir } from './snapshots.js';
import { REPLACED_BY_SNAPSHOT } from './start-from-snapshot.js';

export interface FileSet {
  segments: SegmentName[];
  /** Files removed as leftovers of an interrupted step. */
  removed: string[];
  /** The manifest was missing or damaged and was rebuilt from the directory. */
  rebuilt: boolean;
}

const STORE_FILE = /\.(log|hint|snap|tmp)$/;
const SNAPSHOT_FILE = /\.(snap|tmp)$/;

export function liveFiles(io: FileIO, dir: string, manifest: Manifest): FileSet {
  const names = io.readdir(dir);
  // A torn last frame is what a crash during a manifest write leaves: the frames before it
  // are the file set as of the last switch that completed, so the list still holds. Taking
  // the directory instead would take a cleaner's unswitched outputs beside their inputs.
  const tornTailOnly = manifest.existed && manifest.report.events.every((e) => e.kind === 'torn-tail');
  if (!manifest.trusted && !tornTailOnly) return { segments: segmentNamesIn(names), removed: [], rebuilt: manifest.existed };
  const segments = manifest.segments();
  const live = new Set<string>();
  for (const s of segments) live.add(`${s.stem}.log`).add(`${s.stem}.hint`);
  // An unlisted segment of the appender's past every listed one that holds a batch was
  // listed once: the manifest lost frames (a damaged tail that reads as slack). Deleting
  // by its list would delete data; take the directory as it is instead.
  const newest = segments.at(-1)?.baseOffset ?? -1;
  const listedLost = names.some((name) => {
    const n = parseSegmentFileName(name);
    return n !== undefined && n.generation === 0 && n.baseOffset > newest && holdsBatch(io, join(dir, name));
  });
  if (listedLost) return { segments: segmentNamesIn(names), removed: [], rebuilt: true };
  // A listed segment that is not there: the list may be older than the
  // files (newer manifest frames lost, or a whole generation of it), and a
  // file it does not list may be a cleaner's output holding the only copy
  // of the records its missing inputs held. Delete nothing; recovery reports
  // the missing segment (or starts from a snapshot that covers it). Segments
  // start-from-snapshot moved to lost/ before a crash stopped it short of
  // its manifest frame are not missing: its unlisted base segments are
  // leftovers, to be removed and made again.
  const setAside = io.exists(join(dir, 'lost')) ? io.readdir(join(dir, 'lost')) : [];
  if (missingSegments(segments, names, setAside).length > 0) return { segments, removed: [], rebuilt: false };
  const removed: string[] = [];
  const remove = (path: string) => {
    io.unlink(path);
    removed.push(path);
  };
  for (const name of names) {
    if (live.has(name) || Manifest.owns(name) || !STORE_FILE.test(name)) continue;
    // Only our own kinds of file: a segment, hint, snapshot or temp name.
    if (name.endsWith('.log') && !parseSegmentFileName(name)) continue;
    remove(join(dir, name));
  }
  const folder = snapshotDir(dir);
  if (io.exists(folder)) {
    const listed = new Set(manifest.snapshots().map((s) => s.file));
    for (const name of io.readdir(folder)) if (SNAPSHOT_FILE.test(name) && !listed.has(name)) remove(join(folder, name));
  }
  return { segments, removed, rebuilt: false };
}

/**
 * The listed segments that are not in the directory (`names`), leaving out
 * those start-from-snapshot moved to lost/ (`setAside`, its names): while
 * any is missing, open deletes nothing on the list's word. kvtool judges a
 * store's list by the same rule.
 */
export function missingSegments(segments: readonly SegmentName[], names: readonly string[], setAside: readonly string[]): SegmentName[] {
  const present = new Set(names);
  return segments.filter((s) => !present.has(`${s.stem}.log`) && !setAside.some((n) => n.startsWith(`${s.stem}.log${REPLACED_BY_SNAPSHOT}`)));
}

/** Whether a segment file has a batch after its header (a new segment has only zero fill). */
function holdsBatch(io: FileIO, path: string): boolean {
  const h = io.open(path, 'read');
  try {
    const length = Buffer.alloc(4);
    return h.read(length, SEGMENT_HEADER_SIZE) === 4 && length.readUInt32LE(0) !== 0;
  } finally {
    h.close();
  }
}
