// The log cleaner (Bitcask's merge, with Kafka's kept offsets): rewrites
// the sealed segments that hold enough garbage (cleaner-choice.ts), keeping
// only what a reader can still need, then switches the manifest to the
// rewritten files in one step. Segments with too little garbage are not
// read at all.
//
// What is kept, record by record, reading each chosen segment in log order:
// - a put the key directory points at (the newest value of its key), unless
//   it has expired;
// - a tombstone whose key has no newer put, while it is younger than
//   tombstoneRetentionMs (change-feed readers must get to see deletes) or
//   while a snapshot older than it is kept (a store started from that
//   snapshot replays the log after it, and the delete must be there);
// - a tombstone whose key has no newer put, whatever its age, when some
//   older segment is not rewritten by this run: that file may still hold a
//   value for its key, which the tombstone keeps hidden (the Bitcask
//   "resurrected deletes" bug). Only a group that starts the log drops one.
// An expired put that is its key's newest record follows the tombstone
// rule, since dropping it would bare an older value.
//
// Crash story, step by step:
// 1. outputs are written under new names, fsynced and read back (batch
//    CRCs and lengths), and the directory fsynced (compacted-output.ts); a
//    crash leaves unlisted files, removed on open;
// 2. the manifest switches from the old segments to the outputs in one
//    journal frame: the atomic step;
// 3. in memory: the segment list swaps at once, then key directory entries
//    move to the outputs in slices (writes go on in between; the old files
//    stay open and readable until every entry has moved);
// 4. the outputs' hints and indexes are written beside the writes (each
//    atomically), after the run has returned; a crash before one is
//    written leaves an output without it, which open reads whole, as a
//    sealed segment after a roll (close and the next run wait for them);
// 5. the old files are deleted, beside the writes (close and the next run
//    wait for it); a crash before that leaves unlisted files, removed on
//    open.
// If the switch itself fails, both sets stay on disk: the journal decides
// on the next open which one is live.

import { LogkvError } from '../errors.js';
import { forEachHintEntry } from '../formats/hint-reader.js';
import { BATCH_FRAME_SIZE, BATCH_HEADER_SIZE, EXPIRY_SIZE, Op, RECORD_FIXED_SIZE, SEGMENT_HEADER_SIZE, type ValueEncoding } from '../formats/limits.js';
import type { Damage } from '../formats/damage.js';
import { type BatchFrame, readRecordAt, recordCrcMatches, visitRecords } from '../formats/log-segment-reader.js';
import type { FileIO } from '../io/file-io.js';
import { backgroundFiles } from './background-files.js';
import { BatchWindows } from './batch-windows.js';
import { CleanerFrames } from './cleaner-frames.js';
import { NotedRecords } from './cleaner-noted.js';
import { batchHolding } from './checked-batches.js';
import { TimeSlices } from './time-slices.js';
import { type CleanerGroup, chooseGroups, garbageShare, liveEstimate } from './cleaner-choice.js';
import { CompactedOutput, type OutputSegment } from './compacted-output.js';
import { KeptBatches } from './kept-batches.js';
import type { KeySpace } from './key-space.js';
import type { Manifest } from './manifest.js';
import { matchingHint, writeHintFrom } from './segment-hint.js';
import { SegmentNewest } from './segment-newest.js';
import { byPosition } from './cleaner-order.js';
import { hintPath, segmentFilePaths } from './segment-names.js';
import type { Segment, SegmentLog } from './segment-log.js';

export interface CleanerContext {
  io: FileIO;
  dir: string;
  log: SegmentLog;
  space: KeySpace;
  manifest: Manifest;
  valueEncoding: ValueEncoding;
  segmentSize: number;
  now: () => number;
  tombstoneRetentionMs: number;
  /** Next offsets of the kept snapshots: tombstones (and expired newest puts) at or past the lowest are kept, and no output straddles one. */
  snapshotOffsets: readonly number[];
  /** The run's number: it goes into the outputs' names. */
  run: number;
  /** A sealed segment is rewritten when its garbage share is above 0 and at least this (cleaner-choice.ts). */
  minGarbageShare: number;
}

export interface CompactionResult {
  /** Sealed segments rewritten, and the segments that replaced them. */
  segmentsBefore: number;
  segmentsAfter: number;
  /** Sealed segments left as they were: too little garbage to be worth a rewrite. */
  segmentsSkipped: number;
  /** Bytes of the rewritten segments on disk before, and of their replacements. */
  bytesBefore: number;
  bytesAfter: number;
  /** Bytes the run read from the segments it rewrote. */
  bytesRead: number;
  recordsKept: number;
  recordsDropped: number;
  durationMs: number;
}

/** Share of the sealed segments' bytes that no live key needs (0 when there are none); see garbageShare(). */
export function dirtyRatio(log: SegmentLog, space: KeySpace): number {
  let total = 0;
  let live = 0;
  for (const s of log.segments) {
    if (!s.sealed) continue;
    total += s.tail - SEGMENT_HEADER_SIZE;
    live += liveEstimate(s, space.usage);
  }
  return total === 0 ? 0 : Math.max(0, 1 - live / total);
}

/** One group's outputs being written, and the directory changes they bring. */
interface GroupRun {
  output: CompactedOutput;
  batches: KeptBatches;
  moves: Moves;
  /** Tombstones kept, by output index: the outputs' accounts (segment-usage.ts) start with them. */
  tombstones: number[];
  /**
   * The records of each output as they were written, from which its hint
   * and index are made (on this thread for a small output while the worker
   * is not running, else handed to the worker): no output is read back
   * for its hint, only once for its check (compacted-output.ts).
   */
  noted: NotedRecords[];
  written: OutputSegment[];
}

/**
 * An output's hint is made on this thread when the worker is not running
 * and the output is no larger than this: from the records noted as they
 * were written, it costs a few ms here, less than the worker's start
 * (~100 ms). Larger ones go to the worker, which a run that expects one
 * starts at its beginning (see compactSealed).
 */
const HINT_ON_THIS_THREAD = 4 * 1024 * 1024;

export async function compactSealed(ctx: CleanerContext): Promise<CompactionResult> {
  const started = performance.now();
  // A hint still being written for a segment this run replaces would land after the run deleted it.
  await ctx.log.sealed();
  const sealedCount = ctx.log.segments.filter((s) => s.sealed).length;
  const groups = chooseGroups(ctx.log.segments, ctx.space.usage, ctx.minGarbageShare, ctx.segmentSize);
  const inputs = groups.flatMap((g) => g.segments);
  const result: CompactionResult = {
    segmentsBefore: inputs.length,
    segmentsAfter: 0,
    segmentsSkipped: sealedCount - inputs.length,
    bytesBefore: 0,
    bytesAfter: 0,
    bytesRead: 0,
    recordsKept: 0,
    recordsDropped: 0,
    durationMs: 0,
  };
  if (inputs.length === 0) return { ...result, durationMs: performance.now() - started };

  const background = backgroundFiles(ctx.io);
  // Started now, the worker is up by the time a large output is sealed; a run whose outputs are all small never needs it.
  if (inputs.some((s) => liveEstimate(s, ctx.space.usage) > HINT_ON_THIS_THREAD)) background.warm();
  const runs: GroupRun[] = [];
  // Every directory id this run notes is taken from here on: while the directory is not renumbered, Moves.apply trusts them.
  const idsTakenAt = ctx.space.directory.renumberings;
  const fromDirectory = directoryCandidates(ctx, groups);
  const abandon = () => Promise.all(runs.map((r) => r.output.abandon()));
  try {
    for (const group of groups) {
      // Each output's records are noted as written (cleaner-noted.ts): its hint is made from them without
      // reading the output back, which was a third of a dirty segment's cleaning I/O (issue 17: at most
      // 2x the segment's bytes; bench/dirty-segment.ts measured 2.41x, 1.73x after).
      // A kept snapshot's offset below the group's first offset is below every output of it: no output can
      // straddle it, and taken as a boundary it would start the group's first output there, under the outputs
      // of the groups before (with the first group's output from the same offset: the same name, EEXIST).
      const groupStart = Math.max(group.segments[0]!.baseOffset, group.skipBelow[0]!);
      const output = new CompactedOutput({
        io: ctx.io,
        dir: ctx.dir,
        valueEncoding: ctx.valueEncoding,
        segmentSize: ctx.segmentSize,
        generation: ctx.run,
        now: ctx.now,
        boundaries: ctx.snapshotOffsets.filter((b) => b >= groupStart),
      });
      const run: GroupRun = { output, batches: new KeptBatches(output, (index, position, bytes, baseOffset, count) => placed(run, index, position, bytes, baseOffset, count)), moves: new Moves(idsTakenAt), tombstones: [], noted: [], written: [] };
      runs.push(run);
      for (const [i, segment] of group.segments.entries()) {
        result.bytesBefore += segment.tail;
        await copyLive({ ctx, segment, skipBelow: group.skipBelow[i]!, startsLog: group.startsLog, batches: run.batches, moves: run.moves, result, fromDirectory });
      }
      await run.batches.finish();
      // The outputs stand for the group's offsets, up to where its next neighbour starts.
      run.written = await output.finish(group.segments.at(-1)!.nextOffset);
    }
    // A put dropped above may be superseded by a write not yet durable ('none' or
    // 'interval', or a sync group still in flight): make it durable before the
    // switch makes the drop durable, or a crash would leave neither value.
    await ctx.log.flush();
  } catch (e) {
    await abandon();
    throw e;
  }

  const outputs = runs.flatMap((r) => r.written);
  try {
    const progress = { runs: ctx.run, lastRunMs: ctx.now(), bytesBefore: result.bytesBefore, bytesAfter: outputs.reduce((n, s) => n + s.tail, 0) };
    await ctx.manifest.replaceSegments(inputs, outputs, { generation: ctx.run, progress });
  } catch (e) {
    // FULL means nothing was written: the outputs can go. Any other failure
    // may have reached the disk, so both sets stay for the next open to sort.
    if (e instanceof LogkvError && e.code === 'FULL') await abandon();
    throw e;
  }

  const added = runs.map((r) =>
    r.written.map((o): Segment => {
      const handle = ctx.io.open(o.path, 'read');
      return { id: ctx.log.allocateId(), stem: o.stem, baseOffset: o.baseOffset, path: o.path, handle, tail: o.tail, fileSize: o.tail, nextOffset: o.nextOffset, sealed: true };
    }),
  );
  ctx.log.replaceSealed(inputs, added.flat());
  for (const [i, r] of runs.entries()) {
    for (const [out, s] of added[i]!.entries()) ctx.space.usage.addTombstones(s.id, r.tombstones[out] ?? 0);
    await r.moves.apply(ctx.space, added[i]!, (segment, position, size) => keyOfRecord(ctx, segment, position, size), () => ctx.log.writesWaiting);
  }
  ctx.log.retire(inputs);
  for (const s of inputs) ctx.space.usage.drop(s.id);
  // The outputs' hints and indexes, beside the writes once the run is in effect: a crash before one is written
  // leaves an output without it, which open reads whole instead (as after a roll). Each starts a turn later
  // (noting its records, and on this thread making its files, is not the run's own work), and then is made
  // here or by the worker.
  for (const r of runs) {
    for (const [index, out] of r.written.entries()) {
      const header = { segmentBaseOffset: out.baseOffset, segmentNextOffset: out.nextOffset, coveredLength: out.tail, lastBatchPosition: out.lastBatchAt };
      const segment = { path: out.path, stem: out.stem, baseOffset: out.baseOffset, nextOffset: out.nextOffset, compacted: true };
      const noted = r.noted[index];
      const here = !background.detached || (!background.running && out.tail <= HINT_ON_THIS_THREAD);
      await ctx.log.beside(async () => {
        if (background.detached) await new Promise<void>((resolve) => setImmediate(resolve));
        const records = noted?.take() ?? new SegmentNewest(0);
        const written = await (here ? writeHintFrom(ctx.io, ctx.dir, segment, header, records) : background.writeHintFrom(ctx.dir, segment, header, records));
        if (!written) throw new LogkvError('CORRUPT', `${out.path}: a cleaner output does not read back as written: its hint was not written (open reads it whole)`, { file: out.path, reason: 'output-read-back' });
      });
    }
  }

  // Beside the queue and this run's result: unlinking a 64 MiB segment took ~15 ms here, and once the switch is
  // durable the files are no longer the store's (a crash before they go leaves files open removes). Close and the
  // next run wait for it.
  const replaced = inputs.flatMap((s) => segmentFilePaths(ctx.dir, s.stem)).filter((p) => ctx.io.exists(p));
  await ctx.log.beside(() => background.removeFiles(replaced));

  result.segmentsAfter = outputs.length;
  result.bytesAfter = outputs.reduce((n, s) => n + s.tail, 0);
  result.durationMs = performance.now() - started;
  return result;
}

/** One segment's copy within a run: where its kept records go, and what is counted. */
interface SegmentCopy {
  ctx: CleanerContext;
  segment: Segment;
  skipBelow: number;
  startsLog: boolean;
  batches: KeptBatches;
  moves: Moves;
  result: CompactionResult;
  /** Candidates gathered from the key directory (directoryCandidates). */
  fromDirectory: ReadonlyMap<number, Candidates>;
}

/**
 * Copies what is still needed from one sealed segment into the output.
 * Records below `skipBelow` are stood for by base segments before this one
 * (a store started from a snapshot: restore.ts), so they are not needed.
 * `startsLog`: every older segment is rewritten by this run too, so a
 * tombstone (or an expired newest put) no longer hides anything and may go.
 *
 * Every batch holding a record the run keeps is read whole and checked
 * (CRC, layout) before anything is copied out of it: damage there stops
 * the run. When the key directory or the segment's hint says where the
 * records worth keeping are (keptCandidates), a batch without one is
 * dropped unread: of it only its header is read, for where it ends and its
 * offsets (cleaner-frames.ts), so in a mostly dead segment the run reads
 * about what it keeps, and damage confined to dropped records goes with
 * them. Where the log knows the batches' places already (Segment.checked:
 * a check made since open), not even their headers are read. A segment
 * with no candidates (most of it live) is read and checked whole.
 */
async function copyLive(job: SegmentCopy): Promise<void> {
  const { ctx, segment, skipBelow, result } = job;
  const reader = new BatchWindows(segment.handle, segment.tail);
  const frames = new CleanerFrames(segment.handle, segment.tail);
  const candidates = keptCandidates(ctx, segment, skipBelow, job.fromDirectory);
  const copy = recordCopier(job, candidates);
  const slices = new TimeSlices(() => ctx.log.writesWaiting);
  let next = 0;
  let position = SEGMENT_HEADER_SIZE;
  let minOffset = segment.baseOffset;
  /** Reads the batch at `at` whole, checked, and copies what is kept of it; returns it. */
  const copyBatch = async (at: number): Promise<FrameBatch | undefined> => {
    const frame = checked(segment, reader.frameAt(at, minOffset));
    if (!frame) return undefined;
    const view = reader.bytesAt(at);
    await copy(view.bytes, view.at, frame);
    return frame;
  };
  try {
    const known = segment.checked;
    if (candidates !== undefined && known?.positions !== undefined && known.recordCounts !== undefined && known.length <= segment.tail) {
      const { positions, recordCounts } = known;
      const wanted = candidates.positions;
      let batch = 0;
      while (next < wanted.length && wanted[next]! < known.length) {
        const holding = batchHolding(positions, wanted[next]!);
        for (; batch < holding; batch++) result.recordsDropped += recordCounts[batch]!;
        // Its offsets are checked against the last batch read: the ones between were not parsed.
        const read = await copyBatch(positions[holding]!);
        if (!read) break;
        const end = read.position + read.size;
        while (next < wanted.length && wanted[next]! < end) next++;
        batch = holding + 1;
        minOffset = read.baseOffset + read.lastOffsetDelta + 1;
        if (slices.due()) await slices.next();
      }
      for (; batch < known.count; batch++) result.recordsDropped += recordCounts[batch]!;
      position = known.length;
    }
    while (position < segment.tail) {
      let b: FrameBatch | undefined;
      if (candidates === undefined) {
        b = await copyBatch(position);
        if (!b) break;
      } else {
        // Only its header, unless it holds a candidate: then it is read whole and checked (cleaner-frames.ts).
        const head = frames.at(position, minOffset);
        const end = head === undefined ? segment.tail : position + head.size;
        if (head === undefined || (next < candidates.positions.length && candidates.positions[next]! < end)) {
          b = await copyBatch(position);
          if (!b) break;
          while (next < candidates.positions.length && candidates.positions[next]! < position + b.size) next++;
        } else {
          b = head;
          result.recordsDropped += b.recordCount;
        }
      }
      position += b.size;
      minOffset = b.baseOffset + b.lastOffsetDelta + 1;
      if (slices.due()) await slices.next();
    }
  } finally {
    result.bytesRead += reader.bytesRead + frames.bytesRead + (candidates?.hintBytes ?? 0);
  }
}

/** A batch checked whole (CRC, layout) by BatchWindows.frameAt. */
type FrameBatch = BatchFrame & { recordCount: number };

/** What a step of the reader found: its frame, undefined at the end of the batches, CORRUPT for damage. */
function checked<T>(segment: Segment, step: { kind: 'frame'; frame: T } | { kind: 'end' } | { kind: 'damage'; damage: Damage }): T | undefined {
  if (step.kind === 'end') return undefined;
  if (step.kind === 'frame') return step.frame;
  const { damage } = step;
  throw new LogkvError('CORRUPT', `${segment.path} is damaged at byte ${damage.offset} (${damage.reason}: ${damage.message}); compaction stopped, nothing changed; run kvtool repair`, {
    file: segment.path,
    offset: damage.offset,
    reason: damage.reason,
  });
}

/**
 * What to do with each record of a batch read from the segment (see
 * cleaner.ts's header): keep it (its bytes copied into the output as they
 * are, kept-batches.ts) or drop it. The batch is bytes[at, at + size),
 * checked whole (CRC, layout); its records are walked in place, with no
 * object or view per record, and each one kept has its own CRC checked.
 * With candidates from the key directory, a put's entry is found by its
 * position among them (batches come in file order), not by a lookup of its
 * key: a put at no candidate's position is one the directory does not
 * point at.
 */
function recordCopier({ ctx, segment, skipBelow, startsLog, batches, moves, result }: SegmentCopy, candidates: Candidates | undefined): (bytes: Buffer, at: number, b: FrameBatch) => Promise<void> {
  const d = ctx.space.directory;
  const ids = candidates?.ids;
  const positions = candidates?.positions;
  let c = 0;
  const now = ctx.now();
  // A store started from a kept snapshot replays the log after it, so a delete (or expiry) after one must stay.
  const floor = Math.min(Infinity, ...ctx.snapshotOffsets);
  // Without expiring records (the accounts say) every candidate put is kept as it is.
  const noExpiries = ctx.space.usage.expiringRecords(segment.id) === 0;
  return async (bytes, at, b) => {
    // File position of bytes[0].
    const origin = b.position - at;
    // (A batch's base offset is its first record's: formats/log_segment.ksy; one written otherwise is copied record by record.)
    const firstDelta = u32(bytes, at + BATCH_FRAME_SIZE + BATCH_HEADER_SIZE + 6);
    if (ids !== undefined && positions !== undefined && noExpiries && firstDelta === 0 && b.recordCount >= WHOLE_BATCH_RECORDS && b.baseOffset >= skipBelow) {
      // Every record of the batch a candidate (a put the directory points at): the batch is copied whole, no record walked.
      while (c < positions.length && positions[c]! < b.position) c++;
      const end = b.position + b.size;
      let last = c;
      while (last < positions.length && positions[last]! < end) last++;
      const lastOffset = b.baseOffset + b.lastOffsetDelta;
      if (last - c === b.recordCount && batches.fitsWhole(b.baseOffset, lastOffset, skipBelow)) {
        // Noted before the batch is placed: placements fill in the moves in the order noted.
        for (let k = c; k < last; k++) moves.note(ids[k]!, segment.id, positions[k]!, (k + 1 < last ? positions[k + 1]! : end) - positions[k]!, false);
        result.recordsKept += b.recordCount;
        c = last;
        await batches.addWhole(bytes, at, b.size, b.baseOffset, lastOffset, b.timestampMs, b.recordCount);
        return;
      }
    }
    const keepTombstones = !startsLog || now - b.timestampMs < ctx.tombstoneRetentionMs;
    let p = at + BATCH_FRAME_SIZE + BATCH_HEADER_SIZE;
    for (let i = 0; i < b.recordCount; i++) {
      const start = p;
      const op = bytes[p + 4]!;
      const delta = u32(bytes, p + 6);
      const offset = b.baseOffset + delta;
      const keyLength = bytes[p + 10]! | (bytes[p + 11]! << 8);
      const valueLength = u32(bytes, p + 12);
      p += RECORD_FIXED_SIZE;
      let expireAtMs: number | undefined;
      if (bytes[start + 5] === 1) {
        expireAtMs = u32(bytes, p + 4) * 0x100000000 + u32(bytes, p);
        p += EXPIRY_SIZE;
      }
      const keyAt = p;
      p += keyLength + valueLength;
      if (offset < skipBelow) {
        result.recordsDropped++;
        continue;
      }
      const position = origin + start;
      let id: number;
      let live: boolean;
      if (op === Op.Put && ids !== undefined && positions !== undefined) {
        while (c < positions.length && positions[c]! < position) c++;
        if (c === positions.length || positions[c] !== position) {
          result.recordsDropped++;
          continue;
        }
        // Live as of when the candidates were gathered: a write since makes the copy garbage for a later run, and the move does not happen (Moves.apply).
        id = ids[c]!;
        live = true;
      } else {
        id = d.lookupAt(bytes, keyAt, keyLength);
        live = op === Op.Put && id >= 0 && d.segmentOf(id) === segment.id && d.positionOf(id) === position;
      }
      let keep: boolean;
      if (op === Op.Put) {
        const expired = expireAtMs !== undefined && expireAtMs <= now;
        keep = live && (!expired || !startsLog || offset >= floor);
        if (live && !keep) moves.note(id, segment.id, position, p - start, true);
      } else {
        // A put newer than the tombstone makes it moot; otherwise it may still be needed.
        keep = id < 0 && (keepTombstones || offset >= floor);
      }
      if (!keep) {
        result.recordsDropped++;
        continue;
      }
      if (!recordCrcMatches(bytes, start, p)) {
        throw new LogkvError('CORRUPT', `${segment.path}: record at byte ${position} fails its CRC-32C inside a batch whose CRC matched; compaction stopped, nothing changed; run kvtool repair`, {
          file: segment.path,
          offset: position,
          reason: 'record-crc',
        });
      }
      result.recordsKept++;
      if (op === Op.Put) moves.note(id, segment.id, position, p - start, false);
      const writing = batches.add(bytes, start, p, offset, b.timestampMs, delta);
      if (writing) await writing;
    }
  };
}

/**
 * A batch this large, every record of it kept, is copied whole. Smaller
 * ones have their records coalesced with their neighbours' (single puts
 * make batches of one record: copied whole, each would keep its 34 bytes
 * of frame and header).
 */
const WHOLE_BATCH_RECORDS = 128;

/**
 * A batch of kept records went to output `index` at `position`: each put's
 * move gets its destination, each tombstone is counted, and every record
 * is noted for the output's hint.
 */
function placed(run: GroupRun, index: number, position: number, bytes: Buffer, baseOffset: number, count: number): void {
  (run.noted[index] ??= new NotedRecords()).add(position, bytes, baseOffset, count);
  visitRecords(bytes, BATCH_FRAME_SIZE, { baseOffset, recordCount: count }, (op, _b, _keyAt, _keyLength, at) => {
    if (op === Op.Put) run.moves.moved(index, at);
    else run.tombstones[index] = (run.tombstones[index] ?? 0) + 1;
  }, position);
}

/** Up to this share of garbage most batches hold a live record: no candidates are looked for, every batch is read. */
const CANDIDATES_ABOVE_GARBAGE_SHARE = 0.5;

function mostlyDead(ctx: CleanerContext, segment: Segment): boolean {
  return garbageShare(segment, ctx.space.usage) > CANDIDATES_ABOVE_GARBAGE_SHARE;
}

/**
 * For each group segment that is mostly dead and holds no tombstone (so its
 * candidates are exactly the directory's entries pointing into it): those
 * entries' positions, at offsets not below its skipBelow. One pass over the
 * directory for the whole run, rather than a read of each segment's hint.
 */
function directoryCandidates(ctx: CleanerContext, groups: readonly CleanerGroup[]): Map<number, Candidates> {
  // Segment ids are small integers handed out in order: arrays indexed by them, not maps, for the pass over every key.
  const wanted: Array<{ id: number; floor: number }> = [];
  for (const g of groups) {
    for (const [i, s] of g.segments.entries()) if (mostlyDead(ctx, s) && ctx.space.usage.tombstones(s.id) === 0) wanted.push({ id: s.id, floor: g.skipBelow[i]! });
  }
  const found = new Map<number, Candidates>();
  if (wanted.length === 0) return found;
  const top = Math.max(...wanted.map((w) => w.id)) + 1;
  const floors = new Float64Array(top).fill(Infinity);
  for (const w of wanted) floors[w.id] = w.floor;
  const counts = new Uint32Array(top);
  const d = ctx.space.directory;
  const live = d.liveIds();
  // Two passes (count, then place) so each segment's entries land in one typed array.
  for (let i = 0; i < live.length; i++) {
    const id = live[i]!;
    const segment = d.segmentOf(id);
    if (segment < top && d.offsetOf(id) >= floors[segment]!) counts[segment]!++;
  }
  const lists = new Array<{ ids: Uint32Array; n: number } | undefined>(top);
  for (const w of wanted) lists[w.id] = { ids: new Uint32Array(counts[w.id]!), n: 0 };
  for (let i = 0; i < live.length; i++) {
    const id = live[i]!;
    const segment = d.segmentOf(id);
    if (segment >= top || d.offsetOf(id) < floors[segment]!) continue;
    const list = lists[segment]!;
    list.ids[list.n++] = id;
  }
  for (const { id: segment } of wanted) {
    const { ids } = lists[segment]!;
    found.set(segment, { ...byPosition(d, ids), hintBytes: 0 });
  }
  return found;
}

/**
 * The records of a segment that may be kept, by position ascending. With
 * `ids` (from the key directory): the puts it points at, and the entry of
 * each, so they are known without a lookup of their keys.
 */
interface Candidates {
  positions: Uint32Array | Float64Array;
  ids?: Uint32Array;
  hintBytes: number;
}

/**
 * The positions of the records of `segment` that may be kept, ascending: a
 * put the key directory points at, or a tombstone of a key without a newer
 * put. Every other record of the segment is dead, whatever else its batch
 * holds. For a segment without tombstones, the directory's entries
 * pointing into it (`fromDirectory`, gathered for the whole run); else from
 * its hint (the newest record of each key in the segment). Undefined (read
 * every batch) without a hint that matches the segment, or when most of
 * the segment is live.
 */
function keptCandidates(ctx: CleanerContext, segment: Segment, skipBelow: number, fromDirectory: ReadonlyMap<number, Candidates>): Candidates | undefined {
  if (!mostlyDead(ctx, segment)) return undefined;
  const listed = fromDirectory.get(segment.id);
  if (listed !== undefined) return listed;
  const hint = ctx.io.exists(hintPath(ctx.dir, segment.stem)) ? matchingHint(ctx.io, ctx.dir, segment, segment.tail) : undefined;
  if (hint?.segmentNextOffset !== segment.nextOffset) return undefined;
  const d = ctx.space.directory;
  const wanted: number[] = [];
  forEachHintEntry(hint, (tombstone, bytes, keyAt, keyLength, offset, position) => {
    if (offset < skipBelow) return;
    const id = d.lookupAt(bytes, keyAt, keyLength);
    if (tombstone ? id < 0 : id >= 0 && d.segmentOf(id) === segment.id && d.positionOf(id) === position) wanted.push(position);
  });
  return { positions: Float64Array.from(wanted).sort(), hintBytes: hint.source.size };
}


/** The key of the record at `position` of segment `id` (an input of the run, open until it is retired), CRC-checked: valid until the next read. */
function keyOfRecord(ctx: CleanerContext, id: number, position: number, size: number): Uint8Array {
  const segment = ctx.log.segment(id);
  const r = readRecordAt(ctx.log.readRecordView(segment, position, size), 0, size, { crcChecked: true });
  if (!r) throw new LogkvError('CORRUPT', `${segment.path}: record at byte ${position} does not fill its ${size} bytes`, { file: segment.path, offset: position, reason: 'record-layout' });
  return r.key;
}

/** A u32 little-endian at bytes[at] (Buffer#readUInt32LE checks its arguments, which cost more than the read, a record at a time). */
function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) + bytes[at + 3]! * 0x1000000;
}

/**
 * The key directory changes a run makes once its switch is durable: each
 * kept put moves from its old place to its copy; each expired put dropped
 * leaves the directory. Held compactly (typed arrays) since a run may
 * carry millions; no key is copied: each entry is found by the directory
 * id it had, and only where that no longer points at the record (a write
 * since, a renumbering) is the key read back from the record, whose
 * segment stays open until the moves are done.
 */
class Moves {
  /** KeyDirectory.renumberings when the run began taking ids. */
  readonly #idsTakenAt: number;
  /** Per entry: directory id when noted, from segment, from position, record size, output index (-1: expired), to position. */
  #words = new Float64Array(WORDS * 1024);
  #count = 0;
  /** Entries whose destination is known (placements arrive in the order the kept puts were noted). */
  #placed = 0;

  constructor(idsTakenAt: number) {
    this.#idsTakenAt = idsTakenAt;
  }

  /** The put at `position` of `segment` (`size` bytes), directory entry `id`, is kept (`expired` false: moved() will say where to) or dropped as expired. */
  note(id: number, segment: number, position: number, size: number, expired: boolean): void {
    if (WORDS * (this.#count + 1) > this.#words.length) {
      const grown = new Float64Array(this.#words.length * 2);
      grown.set(this.#words);
      this.#words = grown;
    }
    const e = WORDS * this.#count++;
    const w = this.#words;
    w[e] = id;
    w[e + 1] = segment;
    w[e + 2] = position;
    w[e + 3] = size;
    w[e + 4] = expired ? -1 : NaN;
    w[e + 5] = 0;
  }

  /** The next kept put (in the order noted) went to `output` at `position`. */
  moved(output: number, position: number): void {
    const w = this.#words;
    while (this.#placed < this.#count && w[WORDS * this.#placed + 4] === -1) this.#placed++;
    w[WORDS * this.#placed + 4] = output;
    w[WORDS * this.#placed + 5] = position;
    this.#placed++;
  }

  /**
   * Applies the moves. `keyOf` reads the key of a record of an input
   * segment (CRC-checked), for an entry whose id no longer points at it.
   * `writesWaiting`: the log's, for the slices (time-slices.ts).
   */
  async apply(space: KeySpace, outputs: readonly Segment[], keyOf: (segment: number, position: number, size: number) => Uint8Array, writesWaiting: () => boolean): Promise<void> {
    const w = this.#words;
    const d = space.directory;
    const slices = new TimeSlices(writesWaiting);
    // The segments' accounts move a run of entries at a time (one input into one output), settled before each pause.
    let runFrom = -1;
    let runTo = -1;
    let bytes = 0;
    let records = 0;
    let expiring = 0;
    const settle = () => {
      if (records > 0) space.usage.move(runFrom, runTo, bytes, records, expiring);
      bytes = records = expiring = 0;
    };
    for (let i = 0; i < this.#count; i++) {
      const e = WORDS * i;
      const id = w[e]!;
      const fromSegment = w[e + 1]!;
      const fromPosition = w[e + 2]!;
      const out = w[e + 4]!;
      if (out === -1) {
        space.deleteIfAt(keyOf(fromSegment, fromPosition, w[e + 3]!), { segment: fromSegment, position: fromPosition });
      } else if (d.stillLive(id, this.#idsTakenAt) && d.segmentOf(id) === fromSegment && d.positionOf(id) === fromPosition) {
        // A record holds one key: an entry pointing at it is that key's.
        const to = outputs[out]!.id;
        if (fromSegment !== runFrom || to !== runTo) {
          settle();
          runFrom = fromSegment;
          runTo = to;
        }
        bytes += d.sizeOf(id);
        records++;
        if (d.expireAtOf(id) !== undefined) expiring++;
        d.relocate(id, to, w[e + 5]!);
      } else {
        // Moved on, or renumbered: only the key can say which.
        const key = keyOf(fromSegment, fromPosition, w[e + 3]!);
        space.relocateAt(key, 0, key.length, fromSegment, fromPosition, outputs[out]!.id, w[e + 5]!);
      }
      if ((i & 255) === 255 && slices.due()) {
        settle();
        await slices.next();
      }
    }
    settle();
  }
}

/** Words per Moves entry. */
const WORDS = 6;
