// What `kvtool stats` measures, read the way the engine reads a store on
// open (hints for sealed segments, a scan of the newest; whether each
// sealed segment's index would be used), without a lock:
// per segment its offsets, bytes of batches, how many of those bytes hold
// the newest record of a live key (live) and how many do not (dead: older
// versions, deletes, expired records, batch framing); snapshots; and how
// full each journal file of the manifest is against its high-water mark.

import fs from 'node:fs';
import path from 'node:path';
import { LogkvError } from '../../src/errors.js';
import { bytesSource } from '../../src/formats/byte-source.js';
import { scanSnapshot } from '../../src/formats/snapshot-reader.js';
import { ValueEncoding } from '../../src/formats/limits.js';
import type { JournalFileRead } from '../../src/journal/journal-recovery.js';
import { isStore, storeLayout } from '../store/layout.js';
import { type HintState, type IndexState, keyDirectory, type LoadedSegment, loadSegment } from '../store/segments.js';
import { PathError, SNAPSHOT_FOLDER, withFile } from '../paths.js';
import type { ManifestView } from '../store/manifest-view.js';

/** The JournalStore's default high-water mark, which the manifest's journal uses. */
export const DEFAULT_HIGH_WATER_MARK = 0.8;

export interface SegmentStats {
  file: string;
  baseOffset: number;
  nextOffset: number;
  size: number;
  /** Bytes of valid batches. */
  data: number;
  live: number;
  dead: number;
  /** dead / data (0 for an empty segment). */
  garbageRatio: number;
  /** Live keys whose newest record is here. */
  keys: number;
  hint: HintState;
  index: IndexState;
  /** The segment has damage (skipped here; see verify). */
  damaged: boolean;
  /** Its header cannot be read: nothing in it counted. */
  unreadable?: string;
}

export interface SnapshotStats {
  file: string;
  size: number;
  listed: boolean;
  nextOffset?: number;
  entries?: number;
  created?: number;
  error?: string;
}

export interface JournalStats {
  file: string;
  state: 'active' | 'spare' | 'missing' | 'uninitialized' | 'invalid';
  generation?: number;
  fileSize?: number;
  /** Bytes up to the end of the last valid frame, header included (what the JournalStore counts). */
  used?: number;
  fill?: number;
  highWaterMark: number;
  overHighWaterMark?: boolean;
  error?: string;
}

export interface StoreStats {
  path: string;
  valueEncoding: string | undefined;
  keys: number;
  /** Keys whose newest record has expired (not counted in keys). */
  expired: number;
  firstOffset: number | undefined;
  nextOffset: number | undefined;
  recoveryPoint: number | undefined;
  logStartOffset: number;
  manifest: 'trusted' | 'damaged' | 'none';
  segments: SegmentStats[];
  total: { data: number; live: number; dead: number; garbageRatio: number };
  snapshots: SnapshotStats[];
  journals: JournalStats[];
}

const ratio = (dead: number, data: number): number => (data > 0 ? dead / data : 0);

export function segmentStats(s: LoadedSegment, live: number, keys: number): SegmentStats {
  return {
    file: s.path,
    baseOffset: s.name.baseOffset,
    nextOffset: s.nextOffset,
    size: s.size,
    data: s.dataBytes,
    live,
    dead: s.dataBytes - live,
    garbageRatio: ratio(s.dataBytes - live, s.dataBytes),
    keys,
    hint: s.hint.state,
    index: s.index.state,
    damaged: (s.scan?.damage.length ?? 0) > 0,
    ...(s.error ? { unreadable: s.error.message } : {}),
  };
}

/** Live bytes and keys per segment, from the newest record of every key; expired ones counted apart. */
export function liveBySegment(segments: readonly LoadedSegment[], now: number): { live: number[]; keys: number[]; expired: number } {
  const dir = keyDirectory(segments);
  const live = segments.map(() => 0);
  const keys = segments.map(() => 0);
  let expired = 0;
  for (const id of dir.ids()) {
    const e = dir.expireAtOf(id);
    if (e !== undefined && e <= now) {
      expired++;
      continue;
    }
    const s = dir.segmentOf(id);
    live[s]! += dir.sizeOf(id);
    keys[s]!++;
  }
  return { live, keys, expired };
}

export function journalStats(f: JournalFileRead, active: boolean, highWaterMark: number): JournalStats {
  const base = { file: f.path, highWaterMark };
  switch (f.state.kind) {
    case 'missing':
    case 'uninitialized':
      return { ...base, state: f.state.kind, fileSize: f.bytes?.length };
    case 'invalid':
      return { ...base, state: 'invalid', fileSize: f.bytes?.length, error: f.state.error.message };
    case 'short':
      return { ...base, state: 'invalid', fileSize: f.bytes?.length, error: `cut short: ${f.state.length} zero bytes` };
    case 'valid': {
      const { header, validUpTo } = f.state.scan;
      const fill = validUpTo / header.fileSize;
      return {
        ...base,
        state: active ? 'active' : 'spare',
        generation: header.generation,
        fileSize: header.fileSize,
        used: validUpTo,
        fill,
        overHighWaterMark: fill > highWaterMark,
      };
    }
  }
}

function manifestJournals(m: ManifestView | undefined, highWaterMark: number): JournalStats[] {
  if (!m) return [];
  return m.files.map((f) => journalStats(f, m.plan.active?.path === f.path, highWaterMark));
}

function snapshotStats(dir: string, m: ManifestView | undefined): SnapshotStats[] {
  const listed = new Set((m?.listed.snapshots ?? []).map((s) => path.join(dir, SNAPSHOT_FOLDER, s.file)));
  const files = new Set(listed);
  const folder = path.join(dir, SNAPSHOT_FOLDER);
  if (fs.existsSync(folder)) for (const name of fs.readdirSync(folder)) if (name.endsWith('.snap')) files.add(path.join(folder, name));
  const out: SnapshotStats[] = [];
  for (const file of [...files].sort()) {
    const stat: SnapshotStats = { file, size: 0, listed: listed.has(file) };
    try {
      const header = withFile({ path: file, name: path.basename(file), explicit: true, size: 0 }, (read) => {
        stat.size = read.size;
        // Checked whole (every chunk and the SHA-256), a window at a time.
        return scanSnapshot(read.kind === undefined ? bytesSource(read.head) : read.source, undefined, file);
      });
      Object.assign(stat, { nextOffset: header.nextOffset, entries: header.entryCount, created: header.createdMs });
    } catch (e) {
      if (!(e instanceof LogkvError) && !(e instanceof PathError)) throw e;
      stat.error = e instanceof Error ? e.message : String(e);
    }
    out.push(stat);
  }
  return out;
}

export interface CollectOptions {
  now: number;
  highWaterMark: number;
  onProgress?: (done: number, total: number) => void;
}

/** Stats of a store directory; undefined when `dir` is not a store. */
export function storeStats(dir: string, options: CollectOptions): StoreStats | undefined {
  const layout = storeLayout(dir);
  if (!isStore(layout)) return undefined;
  const present = layout.segments.filter((s) => !layout.missing.includes(s));
  const sizes = present.map((s) => fs.statSync(path.join(dir, `${s.stem}.log`)).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  const segments = present.map((s, i) => {
    const loaded = loadSegment(dir, s, i === present.length - 1);
    done += sizes[i]!;
    options.onProgress?.(done, total);
    return loaded;
  });
  const { live, keys, expired } = liveBySegment(segments, options.now);
  const stats = segments.map((s, i) => segmentStats(s, live[i]!, keys[i]!));
  const data = stats.reduce((n, s) => n + s.data, 0);
  const liveTotal = stats.reduce((n, s) => n + s.live, 0);
  const m = layout.manifest;
  const encoding = m?.listed.valueEncoding ?? headerEncoding(segments);
  return {
    path: dir,
    valueEncoding: encoding,
    keys: keys.reduce((a, b) => a + b, 0),
    expired,
    firstOffset: segments[0]?.name.baseOffset,
    nextOffset: segments.at(-1)?.nextOffset,
    recoveryPoint: m?.recoveryPoint,
    logStartOffset: m?.logStartOffset ?? 0,
    manifest: m === undefined ? 'none' : m.trusted ? 'trusted' : 'damaged',
    segments: stats,
    total: { data, live: liveTotal, dead: data - liveTotal, garbageRatio: ratio(data - liveTotal, data) },
    snapshots: snapshotStats(dir, m),
    journals: manifestJournals(m, options.highWaterMark),
  };
}

function headerEncoding(segments: readonly LoadedSegment[]): string | undefined {
  const e = segments.find((s) => s.scan)?.scan?.header.valueEncoding;
  return e === undefined ? undefined : ValueEncoding[e]!.toLowerCase();
}
