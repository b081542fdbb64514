// A sealed segment's batches read a window at a time (BatchReader over
// each window), for the cleaner: reading a whole 64 MiB segment in one call
// held the event loop ~60 ms and the whole file in memory. Positions in
// what it returns are file positions, as with BatchReader over the file.

import { BatchReader, type BatchStep, type FrameStep } from '../formats/log-segment-reader.js';
import { MAX_BATCH_LENGTH } from '../formats/limits.js';
import type { FileHandle } from '../io/file-io.js';

const WINDOW = 1024 * 1024;

export class BatchWindows {
  readonly #handle: FileHandle;
  /** End of the bytes to read (the segment's tail). */
  readonly #end: number;
  #start = 0;
  #bytes: Buffer = Buffer.alloc(0);
  #reader = new BatchReader(this.#bytes);
  /** Bytes read from the file so far (a batch cut by a window's end is read again with the next). */
  bytesRead = 0;

  constructor(handle: FileHandle, end: number) {
    this.#handle = handle;
    this.#end = end;
  }

  /** The batch at file position `position`, whose offsets must not be below `minOffset`. */
  at(position: number, minOffset: number): BatchStep {
    if (!this.#holds(position)) this.#load(position);
    const step = this.#reader.at(position - this.#start, minOffset);
    if (step.kind === 'batch') {
      const b = step.batch;
      b.position += this.#start;
      for (const r of b.records) r.position += this.#start;
    } else if (step.kind === 'damage') {
      step.damage.offset += this.#start;
    }
    return step;
  }

  /** at(), checked the same, without the records. */
  frameAt(position: number, minOffset: number): FrameStep {
    if (!this.#holds(position)) this.#load(position);
    const step = this.#reader.frameAt(position - this.#start, minOffset);
    if (step.kind === 'frame') step.frame.position += this.#start;
    else if (step.kind === 'damage') step.damage.offset += this.#start;
    return step;
  }

  /** The window's bytes and where file position `position` lies in them, after at() or frameAt() there: valid until the next call. */
  bytesAt(position: number): { bytes: Buffer; at: number } {
    return { bytes: this.#bytes, at: position - this.#start };
  }

  /** Whether the window holds the whole batch at `position` (or all there is of it: a damaged length is judged by the reader). */
  #holds(position: number): boolean {
    const rel = position - this.#start;
    if (rel < 0 || rel + 4 > this.#bytes.length) return this.#start + this.#bytes.length >= this.#end && rel >= 0;
    const length = this.#bytes.readUInt32LE(rel);
    const windowEnd = this.#start + this.#bytes.length;
    return rel + 4 + length <= this.#bytes.length || windowEnd >= this.#end || length > MAX_BATCH_LENGTH;
  }

  /** A fresh window from `position`: big enough for its batch (records keep views into it, so it is never reused). */
  #load(position: number): void {
    const head = Buffer.alloc(4);
    const n = this.#handle.read(head, position);
    const length = n === 4 ? head.readUInt32LE(0) : 0;
    const want = Math.min(this.#end - position, Math.max(WINDOW, length <= MAX_BATCH_LENGTH ? length + 4 : 0));
    const bytes = Buffer.allocUnsafe(Math.max(0, want));
    const got = this.#handle.read(bytes, position);
    this.bytesRead += n + got;
    this.#start = position;
    this.#bytes = got === bytes.length ? bytes : bytes.subarray(0, got);
    this.#reader = new BatchReader(this.#bytes);
  }
}

