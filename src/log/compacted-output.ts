// Writes a run of sealed, compacted segments: the log cleaner's output, and
// the base segments a store restored from a snapshot starts with. Records
// keep their original offsets (a compacted batch has gaps); consecutive
// records that came from batches with the same timestamp share one batch, so
// timestamps survive compaction exactly while small batches coalesce.
//
// Crash story: outputs are written under names no live file has (the
// cleaner's run number is in the name) and are not listed in the manifest
// until the caller switches it. Each output is fsynced, then its hint is
// written atomically, then the directory is fsynced; a crash anywhere before
// the switch leaves unlisted files, which open removes.

import { batchSize, encodeSegmentHeader, type LogRecord, writeBatch } from '../formats/log-segment-writer.js';
import { LogkvError } from '../errors.js';
import { MAX_RECORDS_PER_BATCH, Op, SEGMENT_HEADER_SIZE, type ValueEncoding } from '../formats/limits.js';
import type { FileHandle, FileIO } from '../io/file-io.js';
import type { HintedSegment } from './segment-hint.js';
import { segmentFilePaths, segmentPath, segmentStem } from './segment-names.js';

export interface KeptRecord {
  op: Op;
  key: Uint8Array;
  value: Uint8Array;
  offset: number;
  expireAtMs: number | undefined;
  /** Timestamp of the batch the record came from. */
  timestampMs: number;
}

export interface OutputSegment {
  stem: string;
  baseOffset: number;
  path: string;
  /** File length (no zero fill: outputs are sealed). */
  tail: number;
  /** One past the last offset the segment stands for. */
  nextOffset: number;
  /** Timestamp of its last batch. */
  lastTimestampMs: number;
}

export interface OutputOptions {
  io: FileIO;
  dir: string;
  valueEncoding: ValueEncoding;
  /** Outputs are closed once the next batch would take them past this. */
  segmentSize: number;
  /** Cleaner run number, in every output's name. */
  generation: number;
  now: () => number;
  /**
   * Offsets no output may straddle (those of kept snapshots): a segment
   * then lies wholly below or above each, so if one below is lost, a
   * snapshot can stand in for it (start-from-snapshot.ts).
   */
  boundaries?: readonly number[];
  /**
   * Writes a sealed output's hint from the file just written (the log's
   * background: a worker thread on real files, segment-log.ts). Read back
   * rather than built from what was written, so the hint is made the way
   * every other hint is and the output's bytes are checked once on disk.
   */
  writeHint(segment: HintedSegment): Promise<boolean>;
  /** Base offset of the first output, when below its first record's offset (default: that offset). */
  startAt?: number | undefined;
}

/** Where a record went: output index and byte position, told as each batch is written. */
export type PlacementListener = (output: number, position: number, size: number, record: KeptRecord) => void;

/** Coalesced batches stay below this, so one batch never holds much of a segment. */
export const BATCH_TARGET = 1024 * 1024;

export class CompactedOutput {
  readonly #o: OutputOptions;
  readonly #onPlaced: PlacementListener;
  readonly outputs: OutputSegment[] = [];
  #handle: FileHandle | undefined;
  #current: OutputSegment | undefined;
  #pending: KeptRecord[] = [];
  #pendingBytes = 0;
  readonly #boundaries: number[];
  #nextBoundary = 0;
  /** Base offset for the next output, when a boundary says where it starts. */
  #startAt: number | undefined;
  /**
   * Hints of sealed outputs being written (and their outputs read back) in
   * the background while the next output is written; finish() waits for
   * every one, so a run is only ever switched in with all of them checked.
   */
  readonly #hints: Array<Promise<void>> = [];

  constructor(options: OutputOptions, onPlaced: PlacementListener) {
    this.#o = options;
    this.#onPlaced = onPlaced;
    this.#boundaries = [...(options.boundaries ?? [])].sort((a, b) => a - b);
    this.#startAt = options.startAt;
  }

  /**
   * Adds the next record; offsets must increase. Returns a promise only when
   * the record made it write (a batch out, an output sealed): the caller
   * awaits that, and a million records that only join the pending batch cost
   * no promise each.
   */
  add(r: KeptRecord): Promise<void> | undefined {
    if (this.#atBoundary(r) || this.#batchFull(r)) return this.#writeThenAdd(r);
    this.#join(r);
    return undefined;
  }

  async #writeThenAdd(r: KeptRecord): Promise<void> {
    while (this.#atBoundary(r)) {
      await this.#flushBatch();
      this.#startAt = this.#boundaries[this.#nextBoundary++]!;
      await this.#sealCurrent(this.#startAt);
    }
    if (this.#batchFull(r)) await this.#flushBatch();
    this.#join(r);
  }

  /** Whether `r` is at or past the next boundary: the outputs split there. */
  #atBoundary(r: KeptRecord): boolean {
    return this.#nextBoundary < this.#boundaries.length && r.offset >= this.#boundaries[this.#nextBoundary]!;
  }

  /** Whether the pending batch must go out before `r` joins it (another timestamp, or the batch is full). */
  #batchFull(r: KeptRecord): boolean {
    const last = this.#pending.at(-1);
    return last !== undefined && (last.timestampMs !== r.timestampMs || this.#pendingBytes >= BATCH_TARGET || this.#pending.length >= MAX_RECORDS_PER_BATCH);
  }

  #join(r: KeptRecord): void {
    this.#pending.push(r);
    this.#pendingBytes += r.key.length + r.value.length + 24;
  }

  /**
   * Writes what is pending and seals the last output; `nextOffset` is the
   * offset the run stands for up to (the replaced segments' next offset).
   * Then fsyncs the directory, so every output's name is durable.
   */
  async finish(nextOffset: number): Promise<OutputSegment[]> {
    await this.#flushBatch();
    await this.#sealCurrent(nextOffset);
    await Promise.all(this.#hints);
    await this.#o.io.syncDir(this.#o.dir);
    return this.outputs;
  }

  /** Removes every output written so far (the run failed before its switch), once no hint of theirs is still being written. */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.#hints);
    this.#handle?.close();
    this.#handle = undefined;
    for (const s of this.outputs) {
      for (const p of segmentFilePaths(this.#o.dir, s.stem)) if (this.#o.io.exists(p)) this.#o.io.unlink(p);
    }
  }

  async #flushBatch(): Promise<void> {
    const records = this.#pending;
    if (records.length === 0) return;
    this.#pending = [];
    this.#pendingBytes = 0;
    const baseOffset = records[0]!.offset;
    const batch = {
      baseOffset,
      timestampMs: records[0]!.timestampMs,
      compacted: true,
      records: records.map((r): LogRecord => ({ op: r.op, offsetDelta: r.offset - baseOffset, key: r.key, value: r.value, expireAtMs: r.expireAtMs })),
    };
    const size = batchSize(batch);
    const out = await this.#outputFor(baseOffset, size);
    const buf = Buffer.allocUnsafe(size);
    const at = out.tail;
    const index = this.outputs.length - 1;
    let i = 0;
    writeBatch(buf, 0, batch, (position, recordSize) => {
      this.#onPlaced(index, at + position, recordSize, records[i++]!);
    });
    this.#append(out, buf, records.at(-1)!.offset, batch.timestampMs);
  }

  /**
   * Adds a batch already encoded (log-segment-writer.ts, writeBatchHeader
   * to sealBatch) holding offsets baseOffset..lastOffset, above every one
   * added before: for restore, which lays out its records straight from a
   * snapshot's entries (a KeptRecord, a LogRecord and a batch object per
   * key were most of its time). The placement listener is not told of its
   * records; not for outputs with boundaries, nor with records pending.
   */
  async addBatch(bytes: Buffer, baseOffset: number, lastOffset: number, timestampMs: number): Promise<void> {
    if (this.#pending.length > 0 || this.#boundaries.length > 0) throw new Error('CompactedOutput.addBatch: records are pending, or the output has boundaries');
    this.#append(await this.#outputFor(baseOffset, bytes.length), bytes, lastOffset, timestampMs);
  }

  /** The output a batch of `size` bytes starting at `baseOffset` goes to: the current one unless it would pass the segment size. */
  async #outputFor(baseOffset: number, size: number): Promise<OutputSegment> {
    let out = this.#current;
    if (out && out.tail > SEGMENT_HEADER_SIZE && out.tail + size > this.#o.segmentSize) {
      await this.#sealCurrent(baseOffset);
      out = undefined;
    }
    // A base offset never above the segment's first record.
    if (!out) out = this.#start(Math.min(this.#startAt ?? baseOffset, baseOffset));
    this.#startAt = undefined;
    return out;
  }

  #append(out: OutputSegment, bytes: Buffer, lastOffset: number, timestampMs: number): void {
    this.#handle!.write(bytes, out.tail);
    out.tail += bytes.length;
    out.nextOffset = lastOffset + 1;
    out.lastTimestampMs = timestampMs;
  }

  #start(baseOffset: number): OutputSegment {
    const stem = segmentStem(baseOffset, this.#o.generation);
    const path = segmentPath(this.#o.dir, stem);
    // Generations only grow, so the name is new; 'create' fails rather than overwrite if it is not.
    const handle = this.#o.io.open(path, 'create');
    handle.write(encodeSegmentHeader({ baseOffset, valueEncoding: this.#o.valueEncoding, createdMs: this.#o.now() }), 0);
    const out: OutputSegment = { stem, baseOffset, path, tail: SEGMENT_HEADER_SIZE, nextOffset: baseOffset, lastTimestampMs: 0 };
    this.outputs.push(out);
    this.#current = out;
    this.#handle = handle;
    return out;
  }

  async #sealCurrent(nextOffset: number): Promise<void> {
    const out = this.#current;
    const handle = this.#handle;
    if (!out || !handle) return;
    this.#current = undefined;
    this.#handle = undefined;
    out.nextOffset = Math.max(out.nextOffset, nextOffset);
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
    const { path, stem, baseOffset } = out;
    const hint = this.#o.writeHint({ path, stem, baseOffset, nextOffset: out.nextOffset, compacted: true }).then((readBack) => {
      if (!readBack) {
        throw new LogkvError('CORRUPT', `${path}: the cleaner's output does not read back as written; compaction stopped, nothing changed`, { file: path, reason: 'output-read-back' });
      }
    });
    // Awaited by finish() or abandon(); until then a failure must not count as unhandled.
    hint.catch(() => undefined);
    this.#hints.push(hint);
  }
}
