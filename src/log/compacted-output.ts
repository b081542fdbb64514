// Writes a run of sealed, compacted segments: the log cleaner's output, and
// the base segments a store restored from a snapshot starts with. Records
// keep their original offsets (a compacted batch has gaps). The caller
// encodes the batches (kept-batches.ts for the cleaner, snapshot-batches.ts
// for restore): consecutive records that came from batches with the same
// timestamp share one batch, so timestamps survive compaction exactly
// while small batches coalesce.
//
// Crash story: outputs are written under names no live file has (the
// cleaner's run number is in the name) and are not listed in the manifest
// until the caller switches it. Each output is fsynced, then its hint is
// written atomically (restore) or the output read back and its hint left
// to the caller (the cleaner writes it after the switch), then the
// directory is fsynced; a crash anywhere before the switch leaves unlisted
// files, which open removes.

import { encodeSegmentHeader } from '../formats/log-segment-writer.js';
import { LogkvError } from '../errors.js';
import { SEGMENT_HEADER_SIZE, type ValueEncoding } from '../formats/limits.js';
import type { FileHandle, FileIO } from '../io/file-io.js';
import { checkBatches } from './checked-batches.js';
import type { HintedSegment } from './segment-hint.js';
import { segmentFilePaths, segmentPath, segmentStem } from './segment-names.js';

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
  /** Where its last batch starts (0: none yet), which its index names. */
  lastBatchAt: number;
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
   * snapshot can stand in for it (start-from-snapshot.ts). A batch given to
   * addBatch() must not straddle one either.
   */
  boundaries?: readonly number[];
  /**
   * Writes the hint of output number `index`, sealed and fsynced (`output`
   * says where its last batch is); false when the output does not read
   * back as written, which stops the run. In the background where the
   * caller chooses (segment-log.ts: a worker thread on real files). When
   * not given, each output is read back as it is sealed (its batches' CRCs
   * and lengths, checked-batches.ts) and the caller writes the hints.
   */
  writeHint?(segment: HintedSegment, index: number, output: OutputSegment): Promise<boolean>;
  /** Base offset of the first output, when below its first record's offset (default: that offset). */
  startAt?: number | undefined;
}

/** Coalesced batches stay below this, so one batch never holds much of a segment. */
export const BATCH_TARGET = 1024 * 1024;

export class CompactedOutput {
  readonly #o: OutputOptions;
  readonly outputs: OutputSegment[] = [];
  #handle: FileHandle | undefined;
  #current: OutputSegment | undefined;
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

  constructor(options: OutputOptions) {
    this.#o = options;
    this.#boundaries = [...(options.boundaries ?? [])].sort((a, b) => a - b);
    this.#startAt = options.startAt;
  }

  /** The boundaries (sorted), for an encoder that must not let a batch straddle one. */
  get boundaries(): readonly number[] {
    return this.#boundaries;
  }

  /**
   * Writes a batch already encoded (log-segment-writer.ts, writeBatchHeader
   * to sealBatch) holding offsets baseOffset..lastOffset, above every one
   * added before and within one stretch between boundaries; resolves with
   * the output it went to and its position there. The buffer is kept as it
   * is: the caller must not reuse it (a FileIO may hold it).
   */
  async addBatch(bytes: Buffer, baseOffset: number, lastOffset: number, timestampMs: number): Promise<{ index: number; position: number }> {
    while (this.#nextBoundary < this.#boundaries.length && baseOffset >= this.#boundaries[this.#nextBoundary]!) {
      this.#startAt = this.#boundaries[this.#nextBoundary++]!;
      await this.#sealCurrent(this.#startAt);
    }
    if (this.#nextBoundary < this.#boundaries.length && lastOffset >= this.#boundaries[this.#nextBoundary]!) {
      throw new Error(`CompactedOutput.addBatch: a batch of offsets ${baseOffset}..${lastOffset} straddles the boundary ${this.#boundaries[this.#nextBoundary]}`);
    }
    const out = await this.#outputFor(baseOffset, bytes.length);
    const position = out.tail;
    this.#handle!.write(bytes, position);
    out.lastBatchAt = position;
    out.tail += bytes.length;
    out.nextOffset = lastOffset + 1;
    out.lastTimestampMs = timestampMs;
    return { index: this.outputs.length - 1, position };
  }

  /**
   * Seals the last output; `nextOffset` is the offset the run stands for up
   * to (the replaced segments' next offset). Then fsyncs the directory, so
   * every output's name is durable.
   */
  async finish(nextOffset: number): Promise<OutputSegment[]> {
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

  #start(baseOffset: number): OutputSegment {
    const stem = segmentStem(baseOffset, this.#o.generation);
    const path = segmentPath(this.#o.dir, stem);
    // Generations only grow, so the name is new; 'create' fails rather than overwrite if it is not.
    const handle = this.#o.io.open(path, 'create');
    handle.write(encodeSegmentHeader({ baseOffset, valueEncoding: this.#o.valueEncoding, createdMs: this.#o.now() }), 0);
    const out: OutputSegment = { stem, baseOffset, path, tail: SEGMENT_HEADER_SIZE, nextOffset: baseOffset, lastTimestampMs: 0, lastBatchAt: 0 };
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
    let readsBack = true;
    try {
      await handle.sync();
      if (this.#o.writeHint === undefined) readsBack = handle.size() === out.tail && checkBatches(handle, out.tail, out.baseOffset) !== undefined;
    } finally {
      handle.close();
    }
    const { path, stem, baseOffset } = out;
    if (!readsBack) throw readBackError(path);
    if (this.#o.writeHint === undefined) return;
    const hint = this.#o.writeHint({ path, stem, baseOffset, nextOffset: out.nextOffset, compacted: true }, this.outputs.indexOf(out), out).then((readBack) => {
      if (!readBack) throw readBackError(path);
    });
    // Awaited by finish() or abandon(); until then a failure must not count as unhandled.
    hint.catch(() => undefined);
    this.#hints.push(hint);
  }
}

function readBackError(path: string): LogkvError {
  return new LogkvError('CORRUPT', `${path}: the cleaner's output does not read back as written; compaction stopped, nothing changed`, { file: path, reason: 'output-read-back' });
}
