// Which files of a store directory are live. The manifest lists them; a file
// it does not list was left by a step that crashed before its manifest
// switch (a new segment not yet listed, a cleaner output, a snapshot, a
// temp file) or after it (a replaced segment not yet deleted), and is
// removed. Only a manifest that opened without loss is trusted to delete
// by: otherwise, and for a store written before the manifest existed, the
// segments on disk are taken as they are and the manifest is rebuilt.

import { join } from 'node:path';
import type { FileIO } from '../io/file-io.js';
import { Manifest } from './manifest.js';
import { parseSegmentFileName, type SegmentName, segmentNamesIn } from './segment-names.js';
import { snapshotDir } from './snapshots.js';

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
  if (!manifest.trusted) return { segments: segmentNamesIn(names), removed: [], rebuilt: manifest.existed };
  const segments = manifest.segments();
  const live = new Set<string>();
  for (const s of segments) live.add(`${s.stem}.log`).add(`${s.stem}.hint`);
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
