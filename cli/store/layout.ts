// Which files of a store directory the engine would open, by the same rule
// as src/log/store-files.ts (which also removes the leftovers; kvtool only
// names them): a trusted manifest's list, else the segments on disk.

import fs from 'node:fs';
import { join } from 'node:path';
import { Manifest } from '../../src/log/manifest.js';
import { RESTORE_MARKER } from '../../src/log/restore.js';
import { hintPath, parseSegmentFileName, type SegmentName, segmentNamesIn, segmentPath } from '../../src/log/segment-names.js';
import { SNAPSHOT_DIR } from '../../src/log/snapshots.js';
import { missingSegments } from '../../src/log/store-files.js';
import { type ManifestView, readManifest } from './manifest-view.js';

export interface StoreLayout {
  dir: string;
  manifest: ManifestView | undefined;
  /** The segments the engine would open, in log order (listed ones that are missing included). */
  segments: SegmentName[];
  /** Listed by a trusted manifest but not on disk: open fails on them. */
  missing: SegmentName[];
  /** Store files (paths relative to the store) that a trusted manifest does not list: open removes them. */
  unlisted: string[];
  /** Snapshots (relative paths) a trusted manifest lists. */
  snapshots: string[];
  /** Every name in the directory. */
  names: string[];
  /** A restore was interrupted here: open refuses the directory until restore runs again. */
  restoring: boolean;
  /**
   * A trusted manifest lists segments that are missing (by the engine's
   * rule, missingSegments) while segment files it does not list are there: the list may be older than the files (a
   * cleaner's outputs whose inputs it still names). Open deletes nothing
   * then and fails on the missing segment; repair takes the segments on disk.
   */
  staleList: boolean;
}

/** The kinds of file the engine removes when its manifest does not list them (store-files.ts). */
const STORE_FILE = /\.(log|hint|snap|tmp)$/;
const SNAPSHOT_FILE = /\.(snap|tmp)$/;

export function storeLayout(dir: string): StoreLayout {
  const names = fs.readdirSync(dir);
  const manifest = readManifest(dir);
  const restoring = names.includes(RESTORE_MARKER);
  if (!manifest?.trusted) {
    return { dir, manifest, segments: segmentNamesIn(names), missing: [], unlisted: [], snapshots: [], names, restoring, staleList: false };
  }
  const segments = manifest.listed.segments;
  const onDisk = new Set(names);
  const live = new Set<string>();
  for (const s of segments) live.add(`${s.stem}.log`).add(`${s.stem}.hint`);
  const unlisted = names.filter(
    (name) => !live.has(name) && !Manifest.owns(name) && STORE_FILE.test(name) && !(name.endsWith('.log') && !parseSegmentFileName(name)),
  );
  const snapshots = manifest.listed.snapshots.map((s) => join(SNAPSHOT_DIR, s.file));
  const folder = join(dir, SNAPSHOT_DIR);
  if (fs.existsSync(folder)) {
    for (const name of fs.readdirSync(folder).sort()) {
      const rel = join(SNAPSHOT_DIR, name);
      if (SNAPSHOT_FILE.test(name) && !snapshots.includes(rel)) unlisted.push(rel);
    }
  }
  const missing = segments.filter((s) => !onDisk.has(`${s.stem}.log`));
  const lost = join(dir, 'lost');
  const setAside = fs.existsSync(lost) ? fs.readdirSync(lost) : [];
  const staleList = missingSegments(segments, names, setAside).length > 0 && unlisted.some((name) => parseSegmentFileName(name) !== undefined);
  return { dir, manifest, segments, missing, unlisted, snapshots, names, restoring, staleList };
}

/** Whether `dir` looks like a store: a manifest or at least one segment. */
export function isStore(layout: StoreLayout): boolean {
  return layout.manifest !== undefined || layout.segments.length > 0;
}

/**
 * Segments in log order must not overlap, except where the one before is
 * a base segment built from a snapshot or a cleaner output (generation > 0),
 * which stands for offsets the next one may hold too (src/log/recovery.ts).
 */
export function overlapAllowed(previous: SegmentName | undefined): boolean {
  return previous !== undefined && previous.generation > 0;
}

export { hintPath, segmentPath, join, SNAPSHOT_DIR };
