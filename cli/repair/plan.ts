// What `kvtool repair` will change, decided before anything is touched
// (redis-check-aof says what it will cut before cutting; LevelDB's RepairDB
// never deletes). The plan reads the store with the same readers as open
// and verify: the segment reader with resync, the hint reader and the
// hint-against-segment check, the manifest through planRecovery. It holds
// no file contents; applying it reads the files again, under the lock.
//
// Policies:
// - truncate-tail (default): the log is cut at the first thing that breaks
//   its history (damage, a segment whose header is unusable, a listed
//   segment that is missing). The segment holding the damage keeps the
//   batches before it; every later segment moves to lost/ whole. What is
//   left is a prefix of the history, as after a crash (recovery contract,
//   item 2).
// - salvage: every valid batch is kept. A segment with damage inside is
//   rewritten from its valid batches, bytes and offsets unchanged (the
//   batch CRCs cover them), so offsets keep their gaps; a damaged tail is
//   cut. What is left may not be a prefix: a delete lost in a damaged
//   batch lets an older value come back.
// Salvage rebuilds an unusable header from the file name (base offset),
// the store's value encoding and the first batch's timestamp, and keeps
// the batches behind it. Either way a segment whose header is unusable
// (truncate-tail, or nothing valid behind it), that overlaps the one
// before it, or that disagrees with its name moves to lost/ whole, a
// segment the manifest lists but that is missing leaves the manifest, and
// every sealed segment ends with a hint that matches it.

import fs from 'node:fs';
import path from 'node:path';
import { LogkvError } from '../../src/errors.js';
import { readHint } from '../../src/formats/hint-reader.js';
import type { Damage } from '../../src/formats/damage.js';
import { readSegment, readSegmentHeader } from '../../src/formats/log-segment-reader.js';
import { encodeSegmentHeader } from '../../src/formats/log-segment-writer.js';
import { SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import { readSnapshot } from '../../src/formats/snapshot-reader.js';
import { parseSegmentFileName, type SegmentName, segmentNamesIn } from '../../src/log/segment-names.js';
import { ENCODING_NAMES, ENCODINGS, type ValueEncodingName } from '../../src/log/value-codec.js';
import { Manifest, type SnapshotRecord } from '../../src/log/manifest.js';
import { kindByName, recognise } from '../file-kind.js';
import { overlapAllowed, SNAPSHOT_DIR, storeLayout, type StoreLayout } from '../store/layout.js';
import { CHECKS, checkUnknown } from '../verify/check.js';
import { checkHintAgainstSegment } from '../verify/store-checks.js';

export type RepairMode = 'truncate-tail' | 'salvage';

/** A byte range of a file: [from, to). */
export interface Range {
  from: number;
  to: number;
}

export type Action =
  /** Truncate a segment at `at`; the bytes up to its last non-zero byte are kept in lost/ first. */
  | { kind: 'cut'; file: string; at: number; keep: Range | undefined; size: number; damage: Damage; droppedOffsets: Range | undefined; why: string }
  /** Rewrite a segment from its valid batches (salvage); the original and each damaged range are kept in lost/ first. */
  | {
      kind: 'rewrite';
      file: string;
      size: number;
      batches: Range[];
      damage: Array<Damage & { keep: Range | undefined }>;
      newSize: number;
      /** A header rebuilt from the file name (salvage of a segment whose own header is unusable). */
      header?: Buffer;
      why: string;
    }
  /** Move a whole file to lost/ (its name leaves the store). */
  | { kind: 'move'; file: string; why: string }
  /** Write the hint of a sealed segment from the segment (the old one, if any, is kept in lost/). */
  | { kind: 'hint'; segment: SegmentName; file: string; replaces: boolean; why: string }
  /** Let the JournalStore recover the damaged manifest (its files are kept in lost/ first). */
  | { kind: 'recover-manifest'; files: string[]; why: string }
  /** Set the manifest's segment list (and drop snapshots it lists that are gone). */
  | { kind: 'manifest'; segments: SegmentName[]; snapshots: SnapshotRecord[]; droppedSegments: string[]; droppedSnapshots: string[]; why: string };

export interface RepairPlan {
  dir: string;
  mode: RepairMode;
  actions: Action[];
  /** The segments the store will have, in log order. */
  segments: SegmentName[];
  valueEncoding: ValueEncodingName;
  /** Files verify reports that repair leaves alone (not the store's: a foreign file named like ours). */
  untouched: Array<{ file: string; why: string }>;
  /** Bytes read to make the plan. */
  bytesRead: number;
}

export interface PlanOptions {
  onProgress?: (done: number, total: number) => void;
}

function lastNonZero(bytes: Uint8Array, from: number): number {
  for (let i = bytes.length - 1; i >= from; i--) if (bytes[i] !== 0) return i;
  return from - 1;
}

/** Zeros after the last non-zero byte that are taken for zero fill, not kept; shorter runs may end a torn batch. */
const ZERO_FILL_MIN = 4096;

/** The bytes from `from` to keep: all of them, but a long run of zeros at the end (preallocated zero fill). */
function keptRange(bytes: Uint8Array, from: number, to = bytes.length): Range | undefined {
  const last = lastNonZero(bytes.subarray(0, to), from);
  if (last < from) return undefined;
  return to - (last + 1) >= ZERO_FILL_MIN ? { from, to: last + 1 } : { from, to };
}

function damageText(d: Damage): string {
  return `${d.code} ${d.reason}: ${d.message}`;
}

interface Planner {
  dir: string;
  mode: RepairMode;
  actions: Action[];
  kept: SegmentName[];
  moved: Set<string>;
}

function move(p: Planner, file: string, why: string): void {
  if (p.moved.has(file) || !fs.existsSync(file)) return;
  p.moved.add(file);
  p.actions.push({ kind: 'move', file, why });
}

function moveSegment(p: Planner, s: SegmentName, why: string): void {
  move(p, path.join(p.dir, `${s.stem}.log`), why);
  move(p, path.join(p.dir, `${s.stem}.hint`), `the hint of ${s.stem}.log, which moves to lost/`);
}

export function planRepair(dir: string, mode: RepairMode, options: PlanOptions = {}): RepairPlan {
  const found = storeLayout(dir);
  const layout = found.staleList ? segmentsOnDisk(found) : found;
  const p: Planner = { dir, mode, actions: [], kept: [], moved: new Set() };
  const manifest = layout.manifest;
  let encoding: ValueEncodingName | undefined = manifest?.listed.valueEncoding;

  if (manifest && !manifest.trusted) {
    const files = manifest.files.filter((f) => f.state.kind === 'invalid' || (f.state.kind === 'valid' && f.state.scan.damage)).map((f) => f.path);
    const events = manifest.plan.events.map((e) => e.message).join('; ');
    p.actions.push({ kind: 'recover-manifest', files, why: `the manifest is damaged (${events}); its segments are taken from the directory, as open does` });
  }

  const present = layout.segments.filter((s) => !layout.missing.includes(s));
  const sizes = present.map((s) => fs.statSync(path.join(dir, `${s.stem}.log`)).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  let expectedFrom = 0;
  let cutAt: string | undefined;
  let previous: SegmentName | undefined;
  const hintChecks: Array<{ s: SegmentName; bytesChanged: boolean; problem: string | undefined }> = [];
  // In truncate-tail mode, anything that breaks the history (damage, an unusable or missing segment) cuts it there.
  const breaks = (where: string): void => {
    if (mode === 'truncate-tail') cutAt ??= where;
  };
  for (const s of layout.segments) {
    const file = path.join(dir, `${s.stem}.log`);
    if (layout.missing.includes(s)) {
      breaks(`the missing ${s.stem}.log`);
      continue;
    }
    const i = present.indexOf(s);
    const newest = i === present.length - 1;
    if (cutAt !== undefined) {
      moveSegment(p, s, `it comes after the cut at ${cutAt} (--truncate-tail keeps the log up to its first damage; --salvage would keep it)`);
      continue;
    }
    const bytes = fs.readFileSync(file);
    done += sizes[i]!;
    options.onProgress?.(done, total);
    let scan: ReturnType<typeof readSegment>;
    let rebuiltHeader: { header: Buffer; damage: Damage } | undefined;
    try {
      scan = readSegment(bytes, { file, resync: true });
    } catch (e) {
      if (!(e instanceof LogkvError)) throw e;
      const why = `${e.code} ${e.reason ?? ''}: ${e.message.replace(/^.*? at byte \d+: /, '')}`;
      const rebuilt = mode === 'salvage' ? withHeaderFromName(bytes, s, encoding ?? encodingOf(layout.segments, dir), file, e, why) : undefined;
      if (!rebuilt) {
        moveSegment(p, s, `its header is unusable (${why}): nothing in it can be read`);
        breaks(`${s.stem}.log`);
        continue;
      }
      ({ scan, ...rebuiltHeader } = rebuilt);
    }
    encoding ??= ENCODING_NAMES[scan.header.valueEncoding];
    if (scan.header.baseOffset !== s.baseOffset) {
      moveSegment(p, s, `its header says base offset ${scan.header.baseOffset}, its name ${s.baseOffset}`);
      breaks(`${s.stem}.log`);
      continue;
    }
    if (s.baseOffset < expectedFrom && !overlapAllowed(previous)) {
      moveSegment(p, s, `it starts at offset ${s.baseOffset}, inside ${previous!.stem}.log (which ends before ${expectedFrom}); open refuses overlapping segments`);
      continue;
    }
    let nextOffset = scan.nextOffset;
    let changed = false;
    const first = scan.damage[0];
    if (rebuiltHeader) {
      const batches = scan.batches.map((b) => ({ from: b.position, to: b.position + b.size }));
      const damage = [rebuiltHeader.damage, ...scan.damage].map((d) => ({ ...d, keep: keptRange(bytes, d.offset, d.offset + d.length) }));
      const newSize = SEGMENT_HEADER_SIZE + batches.reduce((n, r) => n + r.to - r.from, 0);
      const why = `salvage keeps every valid batch: the header is rebuilt from the file name (base offset ${s.baseOffset}) and the store's value encoding`;
      p.actions.push({ kind: 'rewrite', file, size: bytes.length, batches, damage, newSize, header: rebuiltHeader.header, why });
      changed = true;
    } else if (first) {
      const validAfter = scan.batches.some((b) => b.position > first.offset);
      const before = scan.batches.filter((b) => b.position < first.offset);
      const after = scan.batches.filter((b) => b.position > first.offset);
      const cutHere = !validAfter || mode === 'truncate-tail';
      if (cutHere) {
        const droppedOffsets = after.length > 0 ? { from: after[0]!.baseOffset, to: after.at(-1)!.baseOffset + after.at(-1)!.lastOffsetDelta + 1 } : undefined;
        const tail = !validAfter && newest;
        const why = tail
          ? 'a torn or damaged tail of the newest segment, as open cuts it'
          : validAfter
            ? '--truncate-tail cuts the log at its first damage (--salvage would keep the valid batches after it)'
            : `a damaged tail of a sealed segment${newest ? '' : '; --truncate-tail cuts the log here'}`;
        p.actions.push({ kind: 'cut', file, at: first.offset, keep: keptRange(bytes, first.offset), size: bytes.length, damage: first, droppedOffsets, why });
        const last = before.at(-1);
        nextOffset = last ? last.baseOffset + last.lastOffsetDelta + 1 : s.baseOffset;
        changed = true;
        // Later segments go too, unless salvage keeps them past a damaged tail of a sealed segment.
        if (!newest) breaks(`byte ${first.offset} of ${s.stem}.log`);
      } else {
        const batches = scan.batches.map((b) => ({ from: b.position, to: b.position + b.size }));
        const damage = scan.damage.map((d) => ({ ...d, keep: keptRange(bytes, d.offset, d.offset + d.length) }));
        const newSize = SEGMENT_HEADER_SIZE + batches.reduce((n, r) => n + r.to - r.from, 0);
        p.actions.push({ kind: 'rewrite', file, size: bytes.length, batches, damage, newSize, why: 'salvage keeps every valid batch, offsets unchanged' });
        changed = true;
      }
    }
    p.kept.push(s);
    // Judged once the final list is known: whether this segment is the last decides whether it keeps a hint.
    let problem: string | undefined;
    const hp = path.join(dir, `${s.stem}.hint`);
    if (!changed && fs.existsSync(hp)) {
      try {
        const problems = checkHintAgainstSegment(readHint(fs.readFileSync(hp), hp), bytes, scan.nextOffset, false);
        problem = problems[0]?.message;
      } catch (e) {
        if (!(e instanceof LogkvError)) throw e;
        problem = `it is unreadable (${e.code} ${e.reason ?? ''})`;
      }
    } else if (!fs.existsSync(hp)) problem = 'missing';
    hintChecks.push({ s, bytesChanged: changed, problem });
    expectedFrom = Math.max(expectedFrom, nextOffset);
    previous = s;
  }

  const last = p.kept.at(-1);
  for (const h of hintChecks) {
    const file = path.join(dir, `${h.s.stem}.hint`);
    const exists = fs.existsSync(file);
    if (h.s === last) {
      // The newest segment is scanned on open and appended to: a hint that does not match it misleads verify and nothing else.
      if (exists && (h.bytesChanged || h.problem !== undefined)) move(p, file, 'a stale hint of the newest segment, which open scans');
      continue;
    }
    const why = h.bytesChanged ? 'its segment changes' : h.problem === 'missing' ? 'the sealed segment has none' : h.problem;
    if (why !== undefined) p.actions.push({ kind: 'hint', segment: h.s, file, replaces: exists, why });
  }

  planLeftovers(p, layout);
  const snapshots = planSnapshots(p, layout);
  const droppedSegments = [...layout.missing.map((s) => `${s.stem}.log (listed, missing)`), ...present.filter((s) => !p.kept.includes(s)).map((s) => `${s.stem}.log`)];
  const listedNow = manifest?.trusted ? manifest.listed.segments.map((s) => s.stem).join() : undefined;
  if (manifest && (!manifest.trusted || listedNow !== p.kept.map((s) => s.stem).join() || snapshots.dropped.length > 0)) {
    const why = !manifest.trusted
      ? 'rebuilt from the segments and snapshots kept'
      : found.staleList
        ? 'it lists missing segments while segment files it does not list are there: it is older than the files, so it lists the segments on disk'
        : 'it must list exactly the segments kept';
    p.actions.push({ kind: 'manifest', segments: p.kept, snapshots: snapshots.keep, droppedSegments, droppedSnapshots: snapshots.dropped, why });
  }
  return {
    dir,
    mode,
    actions: p.actions,
    segments: p.kept,
    valueEncoding: encoding ?? 'binary',
    untouched: foreignFiles(layout, p),
    bytesRead: total,
  };
}

/** The value encoding the segments' own headers give (the first readable one), for rebuilding a header. */
function encodingOf(segments: readonly SegmentName[], dir: string): ValueEncodingName {
  for (const s of segments) {
    const file = path.join(dir, `${s.stem}.log`);
    if (!fs.existsSync(file)) continue;
    try {
      return ENCODING_NAMES[readSegmentHeader(fs.readFileSync(file), file).valueEncoding];
    } catch (e) {
      if (!(e instanceof LogkvError)) throw e;
    }
  }
  return 'binary';
}

/**
 * A segment whose header is unusable, read again behind a header rebuilt
 * from its name (the base offset), the store's value encoding and its first
 * batch's timestamp; undefined when no valid batch is behind it either.
 */
function withHeaderFromName(bytes: Buffer, s: SegmentName, encoding: ValueEncodingName, file: string, error: LogkvError, why: string) {
  if (bytes.length < SEGMENT_HEADER_SIZE) return undefined;
  const header = (createdMs: number) => encodeSegmentHeader({ baseOffset: s.baseOffset, valueEncoding: ENCODINGS[encoding], createdMs });
  const scan = readSegment(Buffer.concat([header(0), bytes.subarray(SEGMENT_HEADER_SIZE)]), { file, resync: true });
  if (scan.batches.length === 0) return undefined;
  const damage: Damage = { code: error.code === 'TRUNCATED' ? 'TRUNCATED' : 'CORRUPT', reason: error.reason ?? 'header', offset: 0, length: SEGMENT_HEADER_SIZE, message: `header unusable (${why})` };
  return { scan, header: header(scan.batches[0]!.timestampMs), damage };
}

/**
 * The layout with the segments on disk in place of a stale list (see
 * StoreLayout.staleList): a cleaner's outputs are kept, not moved to lost/
 * as leftovers, and the inputs they replaced are not missing. An output
 * that overlaps what is kept is still refused, segment by segment.
 */
function segmentsOnDisk(layout: StoreLayout): StoreLayout {
  const segments = segmentNamesIn(layout.names);
  const stems = new Set(segments.map((s) => s.stem));
  const unlisted = layout.unlisted.filter((name) => parseSegmentFileName(name) === undefined && !(name.endsWith('.hint') && stems.has(name.slice(0, -'.hint'.length))));
  return { ...layout, segments, missing: [], unlisted };
}

/** Store files open would remove (a trusted manifest does not list them), temp files, and the JournalStore's own damaged copies. */
function planLeftovers(p: Planner, layout: StoreLayout): void {
  for (const name of layout.unlisted) move(p, path.join(p.dir, name), 'the manifest does not list it: the next open would delete it');
  for (const name of layout.names) {
    const file = path.join(p.dir, name);
    if (name.endsWith('.tmp')) move(p, file, 'a temporary file left by an interrupted write');
    else if (Manifest.owns(name) && /\.damaged-\d+$/.test(name)) move(p, file, 'a copy of a damaged manifest file the engine kept');
    else if (name.endsWith('.hint') && !p.kept.some((s) => `${s.stem}.hint` === name)) {
      move(p, file, 'a hint without its segment');
    }
  }
}

/**
 * Damaged snapshots move to lost/; the manifest keeps listing the others.
 * Listed ones that are missing or damaged leave it. With a damaged
 * manifest, the valid snapshots found in snapshots/ are listed again (the
 * engine's own rebuild lists none, and its next open would delete them).
 */
function planSnapshots(p: Planner, layout: StoreLayout): { keep: SnapshotRecord[]; dropped: string[] } {
  const trusted = layout.manifest?.trusted === true;
  const listed = new Map(trusted ? layout.manifest!.listed.snapshots.map((s) => [s.file, s] as const) : []);
  const folder = path.join(p.dir, SNAPSHOT_DIR);
  const names = new Set(listed.keys());
  if (fs.existsSync(folder)) for (const name of fs.readdirSync(folder)) if (name.endsWith('.snap')) names.add(name);
  const keep: SnapshotRecord[] = [];
  const dropped: string[] = [];
  for (const name of [...names].sort()) {
    const file = path.join(folder, name);
    if (!fs.existsSync(file)) {
      dropped.push(name);
      continue;
    }
    let nextOffset: number;
    try {
      nextOffset = readSnapshot(fs.readFileSync(file), file).header.nextOffset;
    } catch (e) {
      if (!(e instanceof LogkvError)) throw e;
      move(p, file, `the snapshot is damaged (${e.code} ${e.reason ?? ''}): a snapshot is used whole or not at all`);
      if (listed.has(name)) dropped.push(name);
      continue;
    }
    if (listed.has(name)) keep.push(listed.get(name)!);
    else if (!trusted) keep.push({ file: name, nextOffset });
  }
  return { keep, dropped };
}

/** Files verify would report that are not the store's to change: named like ours or with our magic, but not part of it. */
function foreignFiles(layout: StoreLayout, p: Planner): RepairPlan['untouched'] {
  const out: RepairPlan['untouched'] = [];
  for (const name of layout.names) {
    const file = path.join(p.dir, name);
    if (p.moved.has(file) || Manifest.owns(name) || p.kept.some((s) => `${s.stem}.log` === name || `${s.stem}.hint` === name)) continue;
    if (!fs.statSync(file).isFile()) continue;
    const bytes = fs.readFileSync(file);
    const kind = recognise(bytes, name);
    const report = kind !== undefined ? CHECKS[kind](bytes, file) : kindByName(name) !== undefined ? checkUnknown(bytes, file) : undefined;
    if (report && !report.ok) out.push({ file, why: `${report.problems[0]!.message}; not part of this store, so repair leaves it alone` });
  }
  return out;
}
