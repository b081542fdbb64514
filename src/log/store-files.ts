// Which files of a store directory are live. The manifest lists them; a file
// it does not list was left by a step that crashed before its manifest
// switch (a new segment not yet listed, a cleaner output, a snapshot, a
// temp file) or after it (a replaced segment not yet deleted), and open
// removes it, but only when it is provably the store's own (store-dir.ts:
// one of its names, with that kind's magic). Anything else is the user's:
// reported, never touched. Only a manifest that opened without loss, or
// with only a torn last frame cut, is trusted to delete by: otherwise, and
// for a store written before the manifest existed, the segments on disk are
// taken as they are and the manifest is rebuilt. Planning writes nothing;
// open removes the leftovers only once it knows it will succeed.

import { join } from 'node:path';
import { SEGMENT_HEADER_SIZE } from '../formats/limits.js';
import type { FileIO } from '../io/file-io.js';
import { ManifestView } from './manifest.js';
import { parseSegmentFileName, type SegmentName, segmentNamesIn } from './segment-names.js';
import { SNAPSHOT_DIR } from './snapshots.js';
import { REPLACED_BY_SNAPSHOT } from './start-from-snapshot.js';
import { IDENTITY_FILE, isStoreFile, LOCK_FILE, LOST_DIR, RESTORE_MARKER } from './store-dir.js';

export interface FileSet {
  segments: SegmentName[];
  /** Store files the trusted manifest does not list, left by an interrupted step: open removes them. */
  leftovers: string[];
  /** Files that are not the store's (not named as it names files, or without its magic): reported, left alone. */
  foreign: string[];
  /** The manifest was missing or damaged and is to be rebuilt from the directory. */
  rebuilt: boolean;
}

/** Names in a store directory that are the store's whatever the manifest says. */
function alwaysOurs(name: string): boolean {
  return (
    ManifestView.owns(name) ||
    name === `${LOCK_FILE}` ||
    name === 'MANIFEST.lock' ||
    name === IDENTITY_FILE ||
    name === `${IDENTITY_FILE}.tmp` ||
    name === RESTORE_MARKER ||
    name === `${RESTORE_MARKER}.tmp` ||
    name === SNAPSHOT_DIR ||
    name === LOST_DIR
  );
}

export function planFiles(io: FileIO, dir: string, manifest: ManifestView): FileSet {
  const names = io.readdir(dir);
  const folder = join(dir, SNAPSHOT_DIR);
  const snapshotNames = io.isDirectory(folder) ? io.readdir(folder) : [];
  const foreign: string[] = [];
  const leftovers: string[] = [];
  /** Sorts the files outside `live` into leftovers (removable) and foreign ones. */
  const sort = (live: ReadonlySet<string>, trusted: boolean) => {
    for (const name of names) {
      if (live.has(name) || alwaysOurs(name)) continue;
      if (!isStoreFile(io, dir, name)) foreign.push(join(dir, name));
      else if (trusted) leftovers.push(join(dir, name));
    }
    for (const name of snapshotNames) {
      if (live.has(join(SNAPSHOT_DIR, name))) continue;
      if (!isStoreFile(io, folder, name, true)) foreign.push(join(folder, name));
      else if (trusted) leftovers.push(join(folder, name));
    }
  };
  // A torn last frame is what a crash during a manifest write leaves: the frames before it
  // are the file set as of the last switch that completed, so the list still holds. Taking
  // the directory instead would take a cleaner's unswitched outputs beside their inputs.
  const tornTailOnly = manifest.existed && manifest.report.events.every((e) => e.kind === 'torn-tail');
  const fromDisk = (rebuilt: boolean): FileSet => {
    const segments = segmentNamesIn(names);
    const live = new Set<string>();
    for (const s of segments) live.add(`${s.stem}.log`).add(`${s.stem}.hint`).add(`${s.stem}.index`);
    for (const n of snapshotNames) live.add(join(SNAPSHOT_DIR, n));
    sort(live, false);
    return { segments, leftovers: [], foreign, rebuilt };
  };
  if (!manifest.trusted && !tornTailOnly) return fromDisk(manifest.existed);
  const segments = manifest.segments();
  const live = new Set<string>();
  for (const s of segments) live.add(`${s.stem}.log`).add(`${s.stem}.hint`).add(`${s.stem}.index`);
  for (const s of manifest.snapshots()) live.add(join(SNAPSHOT_DIR, s.file));
  // An unlisted segment of the appender's past every listed one that holds a batch was
  // listed once: the manifest lost frames (a damaged tail that reads as slack). Deleting
  // by its list would delete data; take the directory as it is instead.
  // A list of no segment at all is never a finished store's (its creation lists the first segment
  // before any write): with a segment on disk that holds a batch, of any generation, frames were
  // lost (a damaged first frame reads as a torn tail), and the list would delete the only copy.
  const newest = segments.at(-1)?.baseOffset ?? -1;
  const listedLost = names.some((name) => {
    const n = parseSegmentFileName(name);
    const unlisted = segments.length === 0 || (n?.generation === 0 && n.baseOffset > newest);
    return n !== undefined && unlisted && isStoreFile(io, dir, name) && holdsBatch(io, join(dir, name));
  });
  if (listedLost) return fromDisk(true);
  // A listed segment that is not there: the list may be older than the
  // files (newer manifest frames lost, or a whole generation of it), and a
  // file it does not list may be a cleaner's output holding the only copy
  // of the records its missing inputs held. Delete nothing; recovery reports
  // the missing segment (or starts from a snapshot that covers it). Segments
  // start-from-snapshot moved to lost/ before a crash stopped it short of
  // its manifest frame are not missing: its unlisted base segments are
  // leftovers, to be removed and made again.
  const setAside = io.isDirectory(join(dir, LOST_DIR)) ? io.readdir(join(dir, LOST_DIR)) : [];
  const trusted = missingSegments(segments, names, setAside).length === 0;
  sort(live, trusted);
  return { segments, leftovers, foreign, rebuilt: false };
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
