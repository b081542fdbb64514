// Which files of a store directory the engine would open, by the same rule
// as src/log/store-files.ts (which also removes the leftovers; kvtool only
// names them): a trusted manifest's list, else the segments on disk.

import fs from 'node:fs';
import { join } from 'node:path';
import { LogkvError } from '../../src/errors.js';
import { CliError } from '../failure.js';
import { nodeFileIO } from '../../src/io/file-io.js';
import { Manifest } from '../../src/log/manifest.js';
import { inspectStoreDir, isStoreFile, type StoreDir } from '../../src/log/store-dir.js';
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
  /**
   * What the directory is by the engine's rule (src/log/store-dir.ts):
   * 'damaged-identity' when its IDENTITY fails a check (still a store, to
   * verify and repair).
   */
  kind: StoreDir['kind'] | 'damaged-identity';
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

export function storeLayout(dir: string): StoreLayout {
  const names = fs.readdirSync(dir);
  const manifest = readManifest(dir);
  const restoring = names.includes(RESTORE_MARKER);
  const kind = storeKind(dir);
  if (!manifest?.trusted) {
    return { dir, manifest, segments: segmentNamesIn(names), missing: [], unlisted: [], snapshots: [], names, restoring, staleList: false, kind };
  }
  const segments = manifest.listed.segments;
  const onDisk = new Set(names);
  const live = new Set<string>();
  for (const s of segments) live.add(`${s.stem}.log`).add(`${s.stem}.hint`);
  // Only what the engine would remove: files provably the store's own (store-dir.ts).
  const unlisted = names.filter((name) => !live.has(name) && !Manifest.owns(name) && isStoreFile(nodeFileIO, dir, name));
  const snapshots = manifest.listed.snapshots.map((s) => join(SNAPSHOT_DIR, s.file));
  const folder = join(dir, SNAPSHOT_DIR);
  if (fs.existsSync(folder)) {
    for (const name of fs.readdirSync(folder).sort()) {
      const rel = join(SNAPSHOT_DIR, name);
      if (!snapshots.includes(rel) && isStoreFile(nodeFileIO, folder, name, true)) unlisted.push(rel);
    }
  }
  const missing = segments.filter((s) => !onDisk.has(`${s.stem}.log`));
  const lost = join(dir, 'lost');
  const setAside = fs.existsSync(lost) ? fs.readdirSync(lost) : [];
  const staleList = missingSegments(segments, names, setAside).length > 0 && unlisted.some((name) => parseSegmentFileName(name) !== undefined);
  return { dir, manifest, segments, missing, unlisted, snapshots, names, restoring, staleList, kind };
}

function storeKind(dir: string): StoreLayout['kind'] {
  try {
    return inspectStoreDir(nodeFileIO, dir).kind;
  } catch (e) {
    if (e instanceof LogkvError && e.reason === 'store-identity') return 'damaged-identity';
    throw e;
  }
}

/** Whether `dir` is a store by the engine's rule: its IDENTITY (even a damaged one), or for an older store its manifest; or an interrupted restore. */
export function isStore(layout: StoreLayout): boolean {
  return layout.kind === 'store' || layout.kind === 'restoring' || layout.kind === 'damaged-identity';
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

/** The error for a PATH that is not a store: one line, exit 2 (kvtool never creates a store). */
export function notAStoreError(dir: string): CliError {
  return new CliError(`${dir} is not a logkv store (no IDENTITY file, no logkv manifest); kvtool never creates or changes anything there`);
}
