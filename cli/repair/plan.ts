// What `kvtool repair` will change, decided before anything is touched
// (redis-check-aof says what it will cut before cutting; LevelDB's RepairDB
// never deletes). The plan reads the store with the same readers as open
// and verify: the segment reader with resync, the hint reader and the
// hint-against-segment check, the manifest through planRecovery. It reads
// every file a window at a time (a segment may be larger than a Buffer can
// hold) and keeps of a segment what the plan says of it: its damaged
// ranges, the valid batches as runs between them, and the batches on
// either side of each; never a record. It holds no file contents but the
// records it recovers from damaged ranges; applying it reads the files
// again, under the lock.
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
// every sealed segment ends with a hint that matches it. A segment's index
// (formats/segment_index.ksy) goes wherever its hint goes: it moves to
// lost/ with its segment, and whenever its hint is written again, moved or
// missing, so no index is left describing a segment or hint that changed;
// an index that fails its own checks or disagrees with a hint that stays
// moves too. Repair writes no index: the engine writes it again from the
// hint.

import fs from 'node:fs';
import path from 'node:path';
import { LogkvError } from '../../src/errors.js';
import { type ByteSource, lastNonZeroIn } from '../../src/formats/byte-source.js';
import { checkHint, forEachHintEntry } from '../../src/formats/hint-reader.js';
import type { HintEntry } from '../../src/formats/hint-writer.js';
import type { Damage } from '../../src/formats/damage.js';
import { type BatchFrame, readRecordAt, readSegmentHeader, type SegmentScan, scanSegment } from '../../src/formats/log-segment-reader.js';
import { batchSize, encodeSegmentHeader, type LogBatch } from '../../src/formats/log-segment-writer.js';
import { Op, SEGMENT_HEADER_SIZE } from '../../src/formats/limits.js';
import { showKey } from '../format-value.js';
import { checkSegmentIndex } from '../../src/formats/segment-index-reader.js';
import { scanSnapshot } from '../../src/formats/snapshot-reader.js';
import { nodeFileIO } from '../../src/io/file-io.js';
import { handleSource, withFileSource } from '../../src/io/file-source.js';
import { parseSegmentFileName, type SegmentName, segmentNamesIn } from '../../src/log/segment-names.js';
import { ENCODING_NAMES, ENCODINGS, type ValueEncodingName } from '../../src/log/value-codec.js';
import { Manifest, type SnapshotRecord } from '../../src/log/manifest.js';
import { kindByName } from '../file-kind.js';
import { withFile } from '../paths.js';
import { overlapAllowed, segmentFiles, SNAPSHOT_DIR, storeLayout, type StoreLayout } from '../store/layout.js';
import { CHECKS, checkUnknown } from '../verify/check.js';
import { checkIndexAgainstHint } from '../verify/index-check.js';
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
      /** How many valid batches are kept. */
      batchCount: number;
      /** The valid batches, as runs of adjacent batches in file order (a damaged range ends a run): what is copied as it is. */
      kept: Range[];
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
  /**
   * Write the hint of a sealed segment from the segment (the old one, if
   * any, is kept in lost/). `nextOffset`: one past the last offset the
   * segment holds once repaired, which the hint writer checks against it.
   */
  | { kind: 'hint'; segment: SegmentName; file: string; replaces: boolean; nextOffset: number; why: string }
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

/** Zeros after the last non-zero byte that are taken for zero fill, not kept; shorter runs may end a torn batch. */
const ZERO_FILL_MIN = 4096;

/** The bytes of [from, to) to keep: all of them, but a long run of zeros at the end (preallocated zero fill). */
function keptRange(source: ByteSource, from: number, to = source.size): Range | undefined {
  const last = lastNonZeroIn(source, from, to);
  if (last < from) return undefined;
  return to - (last + 1) >= ZERO_FILL_MIN ? { from, to: last + 1 } : { from, to };
}

const io = nodeFileIO;

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
  move(p, path.join(p.dir, `${s.stem}.index`), `the index of ${s.stem}.log, which moves to lost/`);
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
  const hintChecks: Array<{ s: SegmentName; bytesChanged: boolean; problem: string | undefined; indexProblem: string | undefined; nextOffset: number }> = [];
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
    done += sizes[i]!;
    options.onProgress?.(done, total);
    // Open while this segment is planned: its scan, hint check and kept ranges read it again where they need to.
    const handle = io.open(file, 'read');
    try {
      const source = handleSource(handle);
      let read: SegmentRead;
      let rebuiltHeader: { header: Buffer; damage: Damage } | undefined;
      try {
        read = readForPlan(source, file);
      } catch (e) {
        if (!(e instanceof LogkvError)) throw e;
        const why = `${e.code} ${e.reason ?? ''}: ${e.message.replace(/^.*? at byte \d+: /, '')}`;
        const rebuilt = mode === 'salvage' ? withHeaderFromName(source, s, encoding ?? encodingOf(layout.segments, dir), file, e, why) : undefined;
        if (!rebuilt) {
          moveSegment(p, s, `its header is unusable (${why}): nothing in it can be read`);
          breaks(`${s.stem}.log`);
          continue;
        }
        ({ read, ...rebuiltHeader } = rebuilt);
      }
      const { scan } = read;
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
      const validAfter = first !== undefined && read.last !== undefined && read.last.position > first.offset;
      const hint = first || rebuiltHeader ? hintInside(dir, s, source.size, scan.damage) : undefined;
      if (rebuiltHeader || (first && mode === 'salvage' && (hint || validAfter || !newest))) {
        const why = rebuiltHeader
          ? `salvage keeps every valid batch: the header is rebuilt from the file name (base offset ${s.baseOffset}) and the store's value encoding`
          : hint
            ? 'salvage keeps every valid batch, offsets unchanged, and every record the hint says the engine serves from the damaged bytes'
            : 'salvage keeps every valid batch, offsets unchanged';
        const action = rewriteOf(file, source, read, rebuiltHeader, hint, why);
        if (!hint) for (const d of scan.damage) p.risks.push({ file, range: { from: d.offset, to: d.offset + d.length }, why: 'no usable hint says what these bytes held: a delete among them would be lost, letting an older value back' });
        p.actions.push(action);
        for (const b of action.recovered) nextOffset = Math.max(nextOffset, b.records.at(-1)!.offset + 1);
        changed = true;
      } else if (first) {
        const { before, after } = read.around[0]!;
        const droppedOffsets = validAfter ? { from: after!.baseOffset, to: endOffset(read.last!) } : undefined;
        const tail = !validAfter && newest;
        const why = tail
          ? 'a torn or damaged tail of the newest segment, as open cuts it'
          : validAfter
            ? '--truncate-tail cuts the log at its first damage (salvage would keep the valid batches after it)'
            : 'a damaged tail of a sealed segment; --truncate-tail cuts the log here';
        p.actions.push({ kind: 'cut', file, at: first.offset, keep: keptRange(source, first.offset), size: source.size, damage: first, droppedOffsets, why });
        nextOffset = before ? endOffset(before) : s.baseOffset;
        changed = true;
        // Later segments go too.
        if (!newest) breaks(`byte ${first.offset} of ${s.stem}.log`);
      }
      p.kept.push(s);
      // Judged once the final list is known: whether this segment is the last decides whether it keeps a hint.
      const hp = path.join(dir, `${s.stem}.hint`);
      const problem = !fs.existsSync(hp) ? 'missing' : changed ? undefined : hintProblem(hp, source, scan.nextOffset);
      // Only an index beside a hint that stays is worth judging: any other goes with its hint.
      const ip = path.join(dir, `${s.stem}.index`);
      const indexProblem = changed || problem !== undefined || !fs.existsSync(ip) ? undefined : indexProblemOf(ip, hp, s.baseOffset, source.size);
      hintChecks.push({ s, bytesChanged: changed, problem, indexProblem, nextOffset });
      expectedFrom = Math.max(expectedFrom, nextOffset);
      previous = s;
    } finally {
      handle.close();
    }
  }

  const last = p.kept.at(-1);
  for (const h of hintChecks) {
    const file = path.join(dir, `${h.s.stem}.hint`);
    const exists = fs.existsSync(file);
    const index = path.join(dir, `${h.s.stem}.index`);
    // An index goes where its hint goes (move() passes over one that is not there).
    const hintStays = exists && !h.bytesChanged && h.problem === undefined;
    if (h.indexProblem !== undefined) move(p, index, h.indexProblem);
    if (h.s === last) {
      // The newest segment is scanned on open and appended to: a hint that does not match it misleads verify and nothing else.
      if (exists && (h.bytesChanged || h.problem !== undefined)) move(p, file, 'a stale hint of the newest segment, which open scans');
      if (!hintStays) move(p, index, `the index of ${h.s.stem}.log, whose hint ${exists ? 'moves to lost/' : 'is missing'}: an index goes where its hint goes`);
      continue;
    }
    const why = h.bytesChanged ? 'its segment changes' : h.problem === 'missing' ? 'the sealed segment has none' : h.problem;
    if (why !== undefined) p.actions.push({ kind: 'hint', segment: h.s, file, replaces: exists, nextOffset: h.nextOffset, why });
    if (!hintStays) move(p, index, `the index of ${h.s.stem}.log, whose hint is written again: the index is written again with it`);
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

/**
 * What the plan keeps of a segment's scan: the scan's summary and, for
 * each damaged range, the valid batches on either side of it. Nothing here
 * grows with the number of batches or records.
 */
interface SegmentRead {
  scan: SegmentScan;
  first: BatchFrame | undefined;
  last: BatchFrame | undefined;
  /** For each damaged range (scan.damage, same order): the last valid batch before it and the first after it. */
  around: Array<{ before: BatchFrame | undefined; after: BatchFrame | undefined }>;
  /** The valid batches as runs of adjacent batches, in file order: batches follow each other but for a damaged range. */
  runs: Range[];
}

/** Scans a segment with resync, keeping a SegmentRead; throws LogkvError when its header is unusable. */
function readForPlan(source: ByteSource, file: string): SegmentRead {
  let first: BatchFrame | undefined;
  let last: BatchFrame | undefined;
  const around: SegmentRead['around'] = [];
  const runs: Range[] = [];
  /** around[waiting...] have no batch after them yet. */
  let waiting = 0;
  const scan = scanSegment(source, {
    file,
    resync: true,
    onBatchFrame: (b) => {
      first ??= b;
      for (; waiting < around.length; waiting++) around[waiting]!.after = b;
      const run = runs.at(-1);
      if (run?.to === b.position) run.to += b.size;
      else runs.push({ from: b.position, to: b.position + b.size });
      last = b;
    },
    onDamage: () => around.push({ before: last, after: undefined }),
  });
  return { scan, first, last, around, runs };
}

/** One past the last offset of a batch. */
function endOffset(b: BatchFrame): number {
  return b.baseOffset + b.lastOffsetDelta + 1;
}

/**
 * The entries of the segment's hint that point into a damaged range, when
 * the hint passes every check and was made from exactly this segment (base
 * offset and length); else undefined.
 */
function hintInside(dir: string, s: SegmentName, size: number, damage: readonly Damage[]): HintEntry[] | undefined {
  const file = path.join(dir, `${s.stem}.hint`);
  if (!fs.existsSync(file)) return undefined;
  try {
    return withFileSource(io, file, (source) => {
      const hint = checkHint(source, file);
      if (hint.segmentBaseOffset !== s.baseOffset || hint.coveredLength !== size) return undefined;
      const entries: HintEntry[] = [];
      forEachHintEntry(hint, (tombstone, b, keyAt, keyLength, offset, position, entrySize, expireAtMs) => {
        if (!damage.some((d) => position >= d.offset && position < d.offset + d.length)) return;
        // Copied: a view would keep the hint's window alive.
        entries.push({ key: b.slice(keyAt, keyAt + keyLength), offset, position, size: entrySize, tombstone, expireAtMs });
      });
      return entries;
    });
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return undefined;
  }
}

/**
 * What is wrong with the hint of a segment whose scan found no damage, or
 * undefined. The scan checked every record CRC: the comparison need not.
 */
function hintProblem(hp: string, segment: ByteSource, nextOffset: number): string | undefined {
  try {
    return withFileSource(io, hp, (source) => checkHintAgainstSegment(checkHint(source, hp), segment, nextOffset, false, { recordCrcsChecked: true })[0]?.message);
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return `it is unreadable (${e.code} ${e.reason ?? ''})`;
  }
}

/**
 * What is wrong with the index of a segment whose hint stays (it matches
 * the segment, which does not change): its own checks, then its header
 * and slots against that hint. Undefined when nothing is.
 */
function indexProblemOf(ip: string, hp: string, baseOffset: number, segmentSize: number): string | undefined {
  try {
    return withFileSource(io, hp, (hintSource) =>
      withFileSource(io, ip, (source) => {
        checkSegmentIndex(source, ip);
        const problem = checkIndexAgainstHint(source, { hint: checkHint(hintSource, hp) }, baseOffset, segmentSize)[0];
        return problem && `it disagrees with its segment or hint: ${problem.message}`;
      }),
    );
  } catch (e) {
    if (!(e instanceof LogkvError)) throw e;
    return `it fails its own checks (${e.code} ${e.reason ?? ''}): the engine ignores it and writes it again`;
  }
}

/**
 * The salvage rewrite of a segment: its valid batches, and for each damaged
 * range the records its hint accounts for (recoverRecords()).
 */
function rewriteOf(
  file: string,
  source: ByteSource,
  read: SegmentRead,
  rebuilt: { header: Buffer; damage: Damage } | undefined,
  hint: HintEntry[] | undefined,
  why: string,
): Extract<Action, { kind: 'rewrite' }> {
  const kept = read.runs;
  const damage = [...(rebuilt ? [rebuilt.damage] : []), ...read.scan.damage].map((d) => ({ ...d, keep: keptRange(source, d.offset, d.offset + d.length) }));
  const { batches: recovered, lost } = hint ? recoverRecords(source, read, hint) : { batches: [], lost: [] };
  const newSize = SEGMENT_HEADER_SIZE + kept.reduce((n, r) => n + r.to - r.from, 0) + recovered.reduce((n, b) => n + batchSize(asLogBatch(b)), 0);
  return { kind: 'rewrite', file, size: source.size, batchCount: read.scan.batchCount, kept, damage, recovered, lost, newSize, ...(rebuilt ? { header: rebuilt.header } : {}), why };
}

/**
 * What the engine still serves from each damaged range of a segment: the
 * hint's entries there (each key's newest record in the segment). A record
 * that passes its own CRC and matches its entry is kept at the entry's
 * offset; a delete whose record is damaged is made again from the entry
 * (key and offset are all a delete holds); a value whose record is damaged
 * is lost, and named. Records of the range that no entry points at were
 * superseded inside the segment, and cost nothing. `entries`: the hint's
 * entries inside the damaged ranges; only their records are read.
 */
function recoverRecords(source: ByteSource, read: SegmentRead, entries: readonly HintEntry[]): { batches: RecoveredBatch[]; lost: Array<{ key: string; offset: number }> } {
  const batches: RecoveredBatch[] = [];
  const lost: Array<{ key: string; offset: number }> = [];
  const { scan } = read;
  scan.damage.forEach((d, i) => {
    const from = d.offset;
    const to = d.offset + d.length;
    const { before: previous, after: next } = read.around[i]!;
    // Offsets the range can hold: after the batch before it, below the batch after it.
    const low = previous ? endOffset(previous) : scan.header.baseOffset;
    const high = next ? next.baseOffset : Infinity;
    const records: RecoveredBatch['records'] = [];
    for (const e of entries) {
      if (e.position < from || e.position >= to) continue;
      const r = readRecordAt(source.read(e.position, e.size), 0, e.size);
      const whole = r !== undefined && Buffer.compare(r.key, e.key) === 0 && (r.op === Op.Delete) === e.tombstone;
      if (e.offset < low || e.offset >= high) lost.push({ key: keyText(e.key), offset: e.offset });
      else if (whole) records.push({ op: r.op, key: Buffer.from(r.key), value: Buffer.from(r.value), offset: e.offset, expireAtMs: r.expireAtMs, fromHint: false });
      else if (e.tombstone) records.push({ op: Op.Delete, key: Buffer.from(e.key), value: Buffer.alloc(0), offset: e.offset, expireAtMs: undefined, fromHint: true });
      else lost.push({ key: keyText(e.key), offset: e.offset });
    }
    if (records.length === 0) return;
    records.sort((a, b) => a.offset - b.offset);
    batches.push({ at: from, timestampMs: previous?.timestampMs ?? scan.header.createdMs, records });
  });
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
      return ENCODING_NAMES[withFileSource(io, file, (source) => readSegmentHeader(source.read(0, SEGMENT_HEADER_SIZE), file)).valueEncoding];
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
function withHeaderFromName(source: ByteSource, s: SegmentName, encoding: ValueEncodingName, file: string, error: LogkvError, why: string) {
  if (source.size < SEGMENT_HEADER_SIZE) return undefined;
  const header = (createdMs: number) => encodeSegmentHeader({ baseOffset: s.baseOffset, valueEncoding: ENCODINGS[encoding], createdMs });
  const read = readForPlan(behindHeader(source, header(0)), file);
  if (read.first === undefined) return undefined;
  const damage: Damage = { code: error.code === 'TRUNCATED' ? 'TRUNCATED' : 'CORRUPT', reason: error.reason ?? 'header', offset: 0, length: SEGMENT_HEADER_SIZE, message: `header unusable (${why})` };
  return { read, header: header(read.first.timestampMs), damage };
}

/** `source` with `header` in place of its first header.length bytes. */
function behindHeader(source: ByteSource, header: Uint8Array): ByteSource {
  return {
    get size() {
      return source.size;
    },
    window: source.window,
    read(position, length) {
      if (position >= header.length) return source.read(position, length);
      const head = header.subarray(position, Math.min(header.length, position + length));
      const rest = position + length > header.length ? source.read(header.length, position + length - header.length) : new Uint8Array(0);
      return Buffer.concat([head, rest]);
    },
  };
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
  const companion = (name: string) => ['.hint', '.index'].some((ext) => name.endsWith(ext) && stems.has(name.slice(0, -ext.length)));
  const unlisted = layout.unlisted.filter((name) => parseSegmentFileName(name) === undefined && !companion(name));
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
    } else if (name.endsWith('.index') && !p.kept.some((s) => `${s.stem}.index` === name)) {
      move(p, file, 'an index without its segment');
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
      // Checked whole (every chunk CRC and the SHA-256), its entries not made into objects.
      nextOffset = withFileSource(io, file, (source) => scanSnapshot(source, undefined, file)).nextOffset;
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
    if (p.moved.has(file) || Manifest.owns(name) || p.kept.some((s) => segmentFiles(s).includes(name))) continue;
    if (!fs.statSync(file).isFile()) continue;
    const report = withFile({ path: file, name, explicit: false, size: 0 }, (read) =>
      read.kind !== undefined ? CHECKS[read.kind](read, file) : kindByName(name) !== undefined ? checkUnknown(read.head, read.size, file) : undefined,
    );
    if (report && !report.ok) out.push({ file, why: `${report.problems[0]!.message}; not part of this store, so repair leaves it alone` });
  }
  return out;
}
