// Which files of a store directory the engine would open, by the same rule
// as src/log/store-files.ts (which also removes the leftovers; kvtool only
// names them): a trusted manifest's list, else the segments on disk. A
// listed segment keeps its hint and its index (formats/segment_index.ksy).

import fs from 'node:fs';
import { join } from 'node:path';
import { LogkvError } from '../../src/errors.js';
import { CliError } from '../failure.js';
import { firstNonZeroIn } from '../../src/formats/byte-source.js';
import { INDEX_MAGIC } from '../../src/formats/limits.js';
import { type FileHandle, nodeFileIO } from '../../src/io/file-io.js';
import { handleSource } from '../../src/io/file-source.js';
import { Manifest } from '../../src/log/manifest.js';
import { inspectStoreDir, isStoreFile, type StoreDir } from '../../src/log/store-dir.js';
import { RESTORE_MARKER } from '../../src/log/restore.js';
import { hintPath, indexPath, parseSegmentFileName, type SegmentName, segmentNamesIn, segmentPath } from '../../src/log/segment-names.js';
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

/** The files a listed segment keeps beside it: the segment, its hint and its index. */
export function segmentFiles(s: SegmentName): string[] {
  return [`${s.stem}.log`, `${s.stem}.hint`, `${s.stem}.index`];
}

/**
 * Whether `name` in the store directory is provably the store's own, by
 * the engine's rule (isStoreFile: a name the store gives, holding that
 * kind's magic or only zeros), which names segments, hints and snapshots;
 * a segment's index (`<stem>.index`, or its `.tmp`) is judged here by the
 * same rule with the index magic, for an engine whose rule does not name
 * it yet.
 */
export function isStoreOwn(dir: string, name: string): boolean {
  if (isStoreFile(nodeFileIO, dir, name)) return true;
  const base = name.endsWith('.tmp') ? name.slice(0, -'.tmp'.length) : name;
  if (!base.endsWith('.index') || !parseSegmentFileName(`${base.slice(0, -'.index'.length)}.log`)) return false;
  let handle: FileHandle;
  try {
    handle = nodeFileIO.open(join(dir, name), 'read');
  } catch {
    // Gone or unreadable: not provably ours (isStoreFile's answer too).
    return false;
  }
  try {
    const source = handleSource(handle);
    return Buffer.from(source.read(0, INDEX_MAGIC.length)).toString('latin1') === INDEX_MAGIC || firstNonZeroIn(source, 0) < 0;
  } finally {
    handle.close();
  }
}

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
  for (const s of segments) for (const f of segmentFiles(s)) live.add(f);
  // Only what the engine would remove: files provably the store's own (store-dir.ts).
  const unlisted = names.filter((name) => !live.has(name) && !Manifest.owns(name) && isStoreOwn(dir, name));
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

export { hintPath, indexPath, segmentPath, join, SNAPSHOT_DIR };

/** The error for a PATH that is not a store: one line, exit 2 (kvtool never creates a store). */
export function notAStoreError(dir: string): CliError {
  return new CliError(`${dir} is not a logkv store (no IDENTITY file, no logkv manifest); kvtool never creates or changes anything there`);
}
