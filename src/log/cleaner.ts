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
// 1. outputs are written under new names and fsynced, with their hints
//    (compacted-output.ts); a crash leaves unlisted files, removed on open;
// 2. the manifest switches from the old segments to the outputs in one
//    journal frame: the atomic step;
// 3. in memory: the segment list swaps at once, then key directory entries
//    move to the outputs in slices (writes go on in between; the old files
//    stay open and readable until every entry has moved);
// 4. the old files are deleted; a crash before that leaves unlisted files,
//    removed on open.
// If the switch itself fails, both sets stay on disk: the journal decides
// on the next open which one is live.

import { LogkvError } from '../errors.js';
import { forEachHintEntry } from '../formats/hint-reader.js';
import { Op, SEGMENT_HEADER_SIZE, type ValueEncoding } from '../formats/limits.js';
import type { Damage } from '../formats/damage.js';
import type { BatchFrame, ReadBatch } from '../formats/log-segment-reader.js';
import type { FileIO } from '../io/file-io.js';
import { backgroundFiles } from './background-files.js';
import { BatchWindows } from './batch-windows.js';
import { TimeSlices } from './time-slices.js';
import { chooseGroups, garbageShare, liveEstimate } from './cleaner-choice.js';
import { CompactedOutput, type KeptRecord, type OutputSegment } from './compacted-output.js';
import type { KeySpace } from './key-space.js';
import type { Manifest } from './manifest.js';
import { matchingHint } from './segment-hint.js';
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
  moves: Moves;
  /** Tombstones kept, by output index: the outputs' accounts (segment-usage.ts) start with them. */
  tombstones: number[];
  written: OutputSegment[];
}

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
  const runs: GroupRun[] = [];
  const abandon = () => Promise.all(runs.map((r) => r.output.abandon()));
  try {
    for (const group of groups) {
      const moves = new Moves();
      const tombstones: number[] = [];
      const output = new CompactedOutput(
        {
          io: ctx.io,
          dir: ctx.dir,
          valueEncoding: ctx.valueEncoding,
          segmentSize: ctx.segmentSize,
          generation: ctx.run,
          now: ctx.now,
          boundaries: ctx.snapshotOffsets,
          writeHint: (segment) => background.writeHint(ctx.dir, segment),
        },
        (out, position, _size, r) => {
          if (r.op === Op.Put) moves.moved(out, position);
          else tombstones[out] = (tombstones[out] ?? 0) + 1;
        },
      );
      const run: GroupRun = { output, moves, tombstones, written: [] };
      runs.push(run);
      for (const [i, segment] of group.segments.entries()) {
        result.bytesBefore += segment.tail;
        await copyLive({ ctx, segment, skipBelow: group.skipBelow[i]!, startsLog: group.startsLog, output, moves, result });
      }
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
    await r.moves.apply(ctx.space, added[i]!);
  }
  ctx.log.retire(inputs);
  for (const s of inputs) ctx.space.usage.drop(s.id);

  // Off this thread where there is a worker: unlinking a large file holds the caller for milliseconds.
  await background.removeFiles(inputs.flatMap((s) => segmentFilePaths(ctx.dir, s.stem)).filter((p) => ctx.io.exists(p)));

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
  output: CompactedOutput;
  moves: Moves;
  result: CompactionResult;
}

/**
 * Copies what is still needed from one sealed segment into the output.
 * Records below `skipBelow` are stood for by base segments before this one
 * (a store started from a snapshot: restore.ts), so they are not needed.
 * `startsLog`: every older segment is rewritten by this run too, so a
 * tombstone (or an expired newest put) no longer hides anything and may go.
 *
 * Every batch is checked (CRC, layout): damage stops the run, whatever the
 * batch holds. When the segment's hint says where the records worth keeping
 * are (keptCandidates), a batch without one is dropped after that check,
 * without making an object of any of its records: in a mostly dead segment
 * that is nearly every batch.
 */
async function copyLive(job: SegmentCopy): Promise<void> {
  const { ctx, segment, skipBelow, result } = job;
  const reader = new BatchWindows(segment.handle, segment.tail);
  const candidates = keptCandidates(ctx, segment, skipBelow);
  const copy = batchCopier(job);
  const slices = new TimeSlices();
  let next = 0;
  let position = SEGMENT_HEADER_SIZE;
  let minOffset = segment.baseOffset;
  try {
    while (position < segment.tail) {
      let b: BatchFrame;
      if (candidates === undefined) {
        const read = readBatch(reader, segment, position, minOffset);
        if (!read) break;
        await copy(read);
        b = read;
      } else {
        const frame = checked(segment, reader.frameAt(position, minOffset));
        if (!frame) break;
        const end = position + frame.size;
        if (next < candidates.positions.length && candidates.positions[next]! < end) {
          await copy(readBatch(reader, segment, position, minOffset));
          while (next < candidates.positions.length && candidates.positions[next]! < end) next++;
        } else {
          result.recordsDropped += frame.recordCount;
        }
        b = frame;
      }
      position += b.size;
      minOffset = b.baseOffset + b.lastOffsetDelta + 1;
      if (slices.due()) await slices.next();
    }
  } finally {
    result.bytesRead += reader.bytesRead + (candidates?.hintBytes ?? 0);
  }
}

/** The batch at `position`, checked whole; undefined at the segment's end; CORRUPT when damaged. */
function readBatch(reader: BatchWindows, segment: Segment, position: number, minOffset: number): ReadBatch | undefined {
  const step = reader.at(position, minOffset);
  return step.kind === 'batch' ? step.batch : checked(segment, step);
}

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

/** What to do with each record of a batch read from the segment (see cleaner.ts's header): keep it in the output, or drop it. */
function batchCopier({ ctx, segment, skipBelow, startsLog, output, moves, result }: SegmentCopy): (b: ReadBatch | undefined) => Promise<void> {
  const d = ctx.space.directory;
  const now = ctx.now();
  // A store started from a kept snapshot replays the log after it, so a delete (or expiry) after one must stay.
  const floor = Math.min(Infinity, ...ctx.snapshotOffsets);
  return async (b) => {
    if (!b) return;
    for (const r of b.records) {
      if (r.offset < skipBelow) {
        result.recordsDropped++;
        continue;
      }
      let keep: boolean;
      const id = d.lookup(r.key);
      if (r.op === Op.Put) {
        const live = id >= 0 && d.segmentOf(id) === segment.id && d.positionOf(id) === r.position;
        const expired = r.expireAtMs !== undefined && r.expireAtMs <= now;
        keep = live && (!expired || !startsLog || r.offset >= floor);
        if (live && !keep) moves.expired(r.key, segment.id, r.position);
      } else {
        // A put newer than the tombstone makes it moot; otherwise it may still be needed.
        keep = id < 0 && (!startsLog || now - b.timestampMs < ctx.tombstoneRetentionMs || r.offset >= floor);
      }
      if (!keep) {
        result.recordsDropped++;
        continue;
      }
      result.recordsKept++;
      if (r.op === Op.Put) moves.from(r.key, segment.id, r.position);
      const kept: KeptRecord = { op: r.op, key: r.key, value: r.value, offset: r.offset, expireAtMs: r.expireAtMs, timestampMs: b.timestampMs };
      const writing = output.add(kept);
      if (writing) await writing;
    }
  };
}

/** Up to this share of garbage most batches hold a live record: no candidates are looked for, every batch is read. */
const CANDIDATES_ABOVE_GARBAGE_SHARE = 0.5;

/**
 * The positions of the records of `segment` that may be kept, from its hint
 * (the newest record of each key in the segment), ascending: a put the key
 * directory points at, or a tombstone of a key without a newer put. Every
 * other record of the segment is dead, whatever else its batch holds.
 * Undefined (read every batch) without a hint that matches the segment, or
 * when most of the segment is live.
 */
function keptCandidates(ctx: CleanerContext, segment: Segment, skipBelow: number): { positions: Float64Array; hintBytes: number } | undefined {
  if (garbageShare(segment, ctx.space.usage) <= CANDIDATES_ABOVE_GARBAGE_SHARE) return undefined;
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


/**
 * The key directory changes a run makes once its switch is durable: each
 * kept put moves from its old place to its copy; each expired put dropped
 * leaves the directory. Held compactly (keys in one arena, places in typed
 * arrays) since a run may carry millions.
 */
class Moves {
  #keys = Buffer.alloc(64 * 1024);
  #keysUsed = 0;
  /** Per entry: key start, key length, from segment, from position, output index (-1: expired), to position. */
  #words = new Float64Array(6 * 1024);
  #count = 0;
  /** Entries whose destination is known (placements arrive in the order of from()). */
  #placed = 0;

  from(key: Uint8Array, segment: number, position: number): void {
    this.#push(key, segment, position, NaN);
  }

  expired(key: Uint8Array, segment: number, position: number): void {
    this.#push(key, segment, position, -1);
  }

  /** The next kept put (in from() order) went to `output` at `position`. */
  moved(output: number, position: number): void {
    const w = this.#words;
    while (this.#placed < this.#count && w[6 * this.#placed + 4] === -1) this.#placed++;
    w[6 * this.#placed + 4] = output;
    w[6 * this.#placed + 5] = position;
    this.#placed++;
  }

  async apply(space: KeySpace, outputs: readonly Segment[]): Promise<void> {
    const w = this.#words;
    const slices = new TimeSlices();
    for (let i = 0; i < this.#count; i++) {
      const e = 6 * i;
      const key = this.#keys.subarray(w[e]!, w[e]! + w[e + 1]!);
      const from = { segment: w[e + 2]!, position: w[e + 3]! };
      const out = w[e + 4]!;
      if (out === -1) {
        space.deleteIfAt(key, from);
      } else {
        space.relocate(key, from, outputs[out]!.id, w[e + 5]!);
      }
      if ((i & 255) === 255 && slices.due()) await slices.next();
    }
  }

  #push(key: Uint8Array, segment: number, position: number, output: number): void {
    if (this.#keysUsed + key.length > this.#keys.length) {
      const grown = Buffer.alloc(Math.max(this.#keys.length * 2, this.#keysUsed + key.length));
      this.#keys.copy(grown, 0, 0, this.#keysUsed);
      this.#keys = grown;
    }
    if (6 * (this.#count + 1) > this.#words.length) {
      const grown = new Float64Array(this.#words.length * 2);
      grown.set(this.#words);
      this.#words = grown;
    }
    const e = 6 * this.#count++;
    const w = this.#words;
    w[e] = this.#keysUsed;
    w[e + 1] = key.length;
    w[e + 2] = segment;
    w[e + 3] = position;
    w[e + 4] = output;
    w[e + 5] = 0;
    this.#keys.set(key, this.#keysUsed);
    this.#keysUsed += key.length;
  }
}
