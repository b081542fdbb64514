// Which files of a store directory the engine would open, by the same rule
// as src/log/store-files.ts (which also removes the leftovers; kvtool only
// names them): a trusted manifest's list, else the segments on disk.

import fs from 'node:fs';
import { join } from 'node:path';
import { Manifest } from '../../src/log/manifest.js';
import { hintPath, parseSegmentFileName, type SegmentName, segmentNamesIn, segmentPath } from '../../src/log/segment-names.js';
import { type ManifestView, readManifest } from './manifest-view.js';

export interface StoreLayout {
  dir: string;
  manifest: ManifestView | undefined;
  /** The segments the engine would open, in log order (listed ones that are missing included). */
  segments: SegmentName[];
  /** Listed by a trusted manifest but not on disk: open fails on them. */
  missing: SegmentName[];
  /** Store files on disk that a trusted manifest does not list: open removes them. */
  unlisted: string[];
  /** Every name in the directory. */
  names: string[];
}

/** The kinds of file the engine removes when its manifest does not list them (store-files.ts). */
const STORE_FILE = /\.(log|hint|snap|tmp)$/;

export function storeLayout(dir: string): StoreLayout {
  const names = fs.readdirSync(dir);
  const manifest = readManifest(dir);
  if (!manifest?.trusted) {
    return { dir, manifest, segments: segmentNamesIn(names), missing: [], unlisted: [], names };
  }
  const segments = manifest.listed.segments;
  const onDisk = new Set(names);
  const live = new Set<string>();
  for (const s of segments) live.add(`${s.stem}.log`).add(`${s.stem}.hint`);
  for (const snap of manifest.listed.snapshots) live.add(snap.file);
  const unlisted = names.filter(
    (name) => !live.has(name) && !Manifest.owns(name) && STORE_FILE.test(name) && !(name.endsWith('.log') && !parseSegmentFileName(name)),
  );
  return { dir, manifest, segments, missing: segments.filter((s) => !onDisk.has(`${s.stem}.log`)), unlisted, names };
}

/** Whether `dir` looks like a store: a manifest or at least one segment. */
export function isStore(layout: StoreLayout): boolean {
  return layout.manifest !== undefined || layout.segments.length > 0;
}

export { hintPath, segmentPath, join };
