// What `kvtool repair` will change, decided before anything is touched
// (redis-check-aof says what it will cut before cutting; LevelDB's RepairDB
// never deletes). The plan reads the store with the same readers as open
// and verify: the segment reader with resync, the hint reader and the
// hint-against-segment check, the manifest through planRecovery. It holds
// no file contents; applying it reads the files again, under the lock.
//
// Policies:
// - salvage (the default): every valid batch is kept, and so is every
//   record the engine can still serve. A segment with damage inside is
//   rewritten from its valid batches, bytes and offsets unchanged (the
//   batch CRCs cover them), so offsets keep their gaps. Inside a damaged
//   range, the segment's hint says which records the engine serves from
//   there (the newest record of each key in the segment, at its offset):
//   each one whose record still passes its own CRC is kept, and each
//   delete among them is kept even when its record is damaged (the hint
//   holds its key and offset), in a new batch where the damage was. So a
//   damaged old record whose key has a newer value elsewhere costs
//   nothing, and no delete is lost to bring an older value back. A value
//   whose own record is damaged is lost (the engine refused it too), and
//   said so by key. A damaged range the hints cannot account for (no
//   usable hint: a delete in it may be lost) is a risk: the default run
//   stops there and explains, and --salvage takes it. A torn tail of the
//   newest segment is cut, as open cuts it.
// - truncate-tail: the log is cut at the first thing that breaks its
//   history (damage, a segment whose header is unusable, a listed segment
//   that is missing). The segment holding the damage keeps the batches
//   before it; every later segment moves to lost/ whole. What is left is a
//   prefix of the history, as after a crash (recovery contract, item 2),
//   which may be older than what the engine served.
// Salvage rebuilds an unusable header from the file name (base offset),
// the store's value encoding and the first batch's timestamp, and keeps
// the batches behind it. Either way a segment whose header is unusable
// (truncate-tail, or nothing valid behind it), that overlaps the one
// before it, or that disagrees with its name moves to lost/ whole, a
// segment the manifest lists but that is missing leaves the manifest, and
// every sealed segment ends with a hint that matches it.

import fs from 'node:fs';
import { bytesSource } from '../../src/formats/byte-source.js';
import path from 'node:path';
import { LogkvError } from '../../src/errors.js';
import { readHint } from '../../src/formats/hint-reader.js';
import type { HintFile } from '../../src/formats/hint-writer.js';
import type { Damage } from '../../src/formats/damage.js';
import { readRecordAt, readSegment, readSegmentHeader } from '../../src/formats/log-segment-reader.js';
import { batchSize, encodeSegmentHeader, type LogBatch } from '../../src/formats/log-segment-writer.js';
import { Op, SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import { showKey } from '../format-value.js';
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
  /**
   * Rewrite a segment from its valid batches (salvage), with the records
   * recovered from each damaged range in a new batch where it was; the
   * original and each damaged range are kept in lost/ first.
   */
  | {
      kind: 'rewrite';
      file: string;
      size: number;
      batches: Range[];
      damage: Array<Damage & { keep: Range | undefined }>;
      /** One new batch per damaged range that held records the hint accounts for. */
      recovered: RecoveredBatch[];
      /** Keys whose newest record in this segment is damaged beyond recovery (a value the engine could not serve either). */
      lost: Array<{ key: string; offset: number }>;
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

/** Records recovered from a damaged range, to be written as one compacted batch at `at`. */
export interface RecoveredBatch {
  /** Where the damaged range starts: the batch goes there, in file order. */
  at: number;
  timestampMs: number;
  /** In offset order. `fromHint`: a delete remade from its hint entry (its record was damaged). */
  records: Array<{ op: Op; key: Buffer; value: Buffer; offset: number; expireAtMs: number | undefined; fromHint: boolean }>;
}

export interface RepairPlan {
  dir: string;
  mode: RepairMode;
  actions: Action[];
  /**
   * Damaged ranges no hint accounts for, which salvage would drop unseen (a
   * delete among them would let an older value back): the default run
   * stops and explains; --salvage (or --truncate-tail) is the user's call.
   */
  risks: Array<{ file: string; range: Range; why: string }>;
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
  risks: RepairPlan['risks'];
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
  const p: Planner = { dir, mode, actions: [], kept: [], moved: new Set(), risks: [] };
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
    const validAfter = first !== undefined && scan.batches.some((b) => b.position > first.offset);
    const hint = first || rebuiltHeader ? hintOf(dir, s, bytes) : undefined;
    if (rebuiltHeader || (first && mode === 'salvage' && (hint || validAfter || !newest))) {
      const why = rebuiltHeader
        ? `salvage keeps every valid batch: the header is rebuilt from the file name (base offset ${s.baseOffset}) and the store's value encoding`
        : hint
          ? 'salvage keeps every valid batch, offsets unchanged, and every record the hint says the engine serves from the damaged bytes'
          : 'salvage keeps every valid batch, offsets unchanged';
      const action = rewriteOf(file, bytes, scan, rebuiltHeader, hint, why);
      if (!hint) for (const d of scan.damage) p.risks.push({ file, range: { from: d.offset, to: d.offset + d.length }, why: 'no usable hint says what these bytes held: a delete among them would be lost, letting an older value back' });
      p.actions.push(action);
      for (const b of action.recovered) nextOffset = Math.max(nextOffset, b.records.at(-1)!.offset + 1);
      changed = true;
    } else if (first) {
      const before = scan.batches.filter((b) => b.position < first.offset);
      const after = scan.batches.filter((b) => b.position > first.offset);
      const droppedOffsets = after.length > 0 ? { from: after[0]!.baseOffset, to: after.at(-1)!.baseOffset + after.at(-1)!.lastOffsetDelta + 1 } : undefined;
      const tail = !validAfter && newest;
      const why = tail
        ? 'a torn or damaged tail of the newest segment, as open cuts it'
        : validAfter
          ? '--truncate-tail cuts the log at its first damage (salvage would keep the valid batches after it)'
          : 'a damaged tail of a sealed segment; --truncate-tail cuts the log here';
      p.actions.push({ kind: 'cut', file, at: first.offset, keep: keptRange(bytes, first.offset), size: bytes.length, damage: first, droppedOffsets, why });
      const last = before.at(-1);
      nextOffset = last ? last.baseOffset + last.lastOffsetDelta + 1 : s.baseOffset;
      changed = true;
      // Later segments go too.
      if (!newest) breaks(`byte ${first.offset} of ${s.stem}.log`);
    }
    p.kept.push(s);
    // Judged once the final list is known: whether this segment is the last decides whether it keeps a hint.
    let problem: string | undefined;
    const hp = path.join(dir, `${s.stem}.hint`);
    if (!changed && fs.existsSync(hp)) {
      try {
        const problems = checkHintAgainstSegment(readHint(fs.readFileSync(hp), hp), bytesSource(bytes), scan.nextOffset, false);
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
    risks: p.risks,
    segments: p.kept,
    valueEncoding: encoding ?? 'binary',
    untouched: foreignFiles(layout, p),
    bytesRead: total,
  };
}

/** The segment's hint when it passes every check and was made from exactly these bytes (base offset and length); else undefined. */
function hintOf(dir: string, s: SegmentName, bytes: Uint8Array): HintFile | undefined {
  const file = path.join(dir, `${s.stem}.hint`);
  if (!fs.existsSync(file)) return undefined;
  try {
    const hint = readHint(fs.readFileSync(file), file);
    return hint.segmentBaseOffset === s.baseOffset && hint.coveredLength === bytes.length ? hint : undefined;
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return undefined;
  }
}

/**
 * The salvage rewrite of a segment: its valid batches, and for each damaged
 * range the records its hint accounts for (recoverRecords()).
 */
function rewriteOf(
  file: string,
  bytes: Buffer,
  scan: ReturnType<typeof readSegment>,
  rebuilt: { header: Buffer; damage: Damage } | undefined,
  hint: HintFile | undefined,
  why: string,
): Extract<Action, { kind: 'rewrite' }> {
  const batches = scan.batches.map((b) => ({ from: b.position, to: b.position + b.size }));
  const damage = [...(rebuilt ? [rebuilt.damage] : []), ...scan.damage].map((d) => ({ ...d, keep: keptRange(bytes, d.offset, d.offset + d.length) }));
  const { batches: recovered, lost } = hint ? recoverRecords(bytes, scan, hint) : { batches: [], lost: [] };
  const newSize = SEGMENT_HEADER_SIZE + batches.reduce((n, r) => n + r.to - r.from, 0) + recovered.reduce((n, b) => n + batchSize(asLogBatch(b)), 0);
  return { kind: 'rewrite', file, size: bytes.length, batches, damage, recovered, lost, newSize, ...(rebuilt ? { header: rebuilt.header } : {}), why };
}

/**
 * What the engine still serves from each damaged range of a segment: the
 * hint's entries there (each key's newest record in the segment). A record
 * that passes its own CRC and matches its entry is kept at the entry's
 * offset; a delete whose record is damaged is made again from the entry
 * (key and offset are all a delete holds); a value whose record is damaged
 * is lost, and named. Records of the range that no entry points at were
 * superseded inside the segment, and cost nothing.
 */
function recoverRecords(bytes: Buffer, scan: ReturnType<typeof readSegment>, hint: HintFile): { batches: RecoveredBatch[]; lost: Array<{ key: string; offset: number }> } {
  const batches: RecoveredBatch[] = [];
  const lost: Array<{ key: string; offset: number }> = [];
  for (const d of scan.damage) {
    const from = d.offset;
    const to = d.offset + d.length;
    const previous = scan.batches.filter((b) => b.position < from).at(-1);
    const next = scan.batches.find((b) => b.position >= to);
    // Offsets the range can hold: after the batch before it, below the batch after it.
    const low = previous ? previous.baseOffset + previous.lastOffsetDelta + 1 : scan.header.baseOffset;
    const high = next ? next.baseOffset : Infinity;
    const records: RecoveredBatch['records'] = [];
    for (const e of hint.entries) {
      if (e.position < from || e.position >= to) continue;
      const r = readRecordAt(bytes, e.position, e.size);
      const whole = r !== undefined && Buffer.compare(r.key, e.key) === 0 && (r.op === Op.Delete) === e.tombstone;
      if (e.offset < low || e.offset >= high) lost.push({ key: keyText(e.key), offset: e.offset });
      else if (whole) records.push({ op: r.op, key: Buffer.from(r.key), value: Buffer.from(r.value), offset: e.offset, expireAtMs: r.expireAtMs, fromHint: false });
      else if (e.tombstone) records.push({ op: Op.Delete, key: Buffer.from(e.key), value: Buffer.alloc(0), offset: e.offset, expireAtMs: undefined, fromHint: true });
      else lost.push({ key: keyText(e.key), offset: e.offset });
    }
    if (records.length === 0) continue;
    records.sort((a, b) => a.offset - b.offset);
    batches.push({ at: from, timestampMs: previous?.timestampMs ?? scan.header.createdMs, records });
  }
  return { batches, lost };
}

/** A key for the plan's lines: its text, or 0x and hex. */
function keyText(key: Uint8Array): string {
  const k = showKey(key);
  return k.text !== undefined ? JSON.stringify(k.text) : `0x${k.hex}`;
}

/** A recovered batch as the writer takes it: compacted (its offsets have gaps), deltas from its first offset. */
export function asLogBatch(b: RecoveredBatch): LogBatch {
  const base = b.records[0]!.offset;
  return {
    baseOffset: base,
    timestampMs: b.timestampMs,
    compacted: true,
    records: b.records.map((r) => ({ op: r.op, offsetDelta: r.offset - base, key: r.key, value: r.value, expireAtMs: r.expireAtMs })),
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
    const report = kind !== undefined ? CHECKS[kind]({ kind, source: bytesSource(bytes), size: bytes.length }, file) : kindByName(name) !== undefined ? checkUnknown(bytes, bytes.length, file) : undefined;
    if (report && !report.ok) out.push({ file, why: `${report.problems[0]!.message}; not part of this store, so repair leaves it alone` });
  }
  return out;
}
