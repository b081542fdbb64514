// The change feed: the log read in offset order from a given offset, Kafka
// consumer style, following new writes as they are acknowledged.
//
// It reads the segment files themselves, one batch at a time, checking each
// batch's CRC, and only up to the offset acknowledged so far (a record is
// never delivered before the write that made it has resolved). It holds a
// place (segment, byte position) between steps; when the log cleaner has
// replaced that segment, it finds its place again by offset in the new
// files, where the records the cleaner removed are simply no longer there.

import { LogkvError } from '../errors.js';
import { BatchReader, type ReadRecord } from '../formats/log-segment-reader.js';
import { Op, SEGMENT_HEADER_SIZE } from '../formats/limits.js';
import type { Segment } from './segment-log.js';

/** One record of the log as the feed delivers it (before value decoding). */
export interface RawChange {
  offset: number;
  key: Buffer;
  /** The value bytes; undefined for a delete. */
  value: Buffer | undefined;
  tombstone: boolean;
  /** Timestamp of the record's batch, ms since the epoch. */
  timestamp: number;
  expireAt: number | undefined;
  /** True for the last record the feed delivers of its batch (see Change.lastInBatch). */
  lastInBatch: boolean;
}

/** What the feed needs of the store. */
export interface FeedSource {
  /** Live segments in log order. */
  segments(): readonly Segment[];
  isLive(segmentId: number): boolean;
  /** One past the newest acknowledged offset. */
  committed(): number;
  /** Resolves once `committed()` may have moved, or the store closes. */
  changed(): Promise<void>;
  closed(): boolean;
}

interface Place {
  segment: Segment;
  position: number;
  /** Offsets of the batch at `position` are at least this. */
  minOffset: number;
}

/** Iterates the feed, giving each change through `decode` (the store's value codec). */
export class ChangeFeed<T> implements AsyncIterableIterator<T> {
  readonly #source: FeedSource;
  readonly #decode: (c: RawChange) => T;
  readonly #follow: boolean;
  /** The next offset to deliver. */
  #wanted: number;
  #place: Place | undefined;
  #ready: RawChange[] = [];
  #done = false;

  constructor(source: FeedSource, from: number, follow: boolean, decode: (c: RawChange) => T) {
    this.#source = source;
    this.#decode = decode;
    this.#wanted = from;
    this.#follow = follow;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    for (;;) {
      const ready = this.#ready.shift();
      if (ready) return { value: this.#decode(ready), done: false };
      if (this.#done || this.#source.closed()) return this.#finish();
      if (this.#wanted >= this.#source.committed() || !this.#step()) {
        if (!this.#follow && this.#wanted >= this.#source.committed()) return this.#finish();
        await this.#source.changed();
      }
    }
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    return this.#finish();
  }

  #finish(): IteratorResult<T, undefined> {
    this.#done = true;
    this.#ready = [];
    return { value: undefined, done: true };
  }

  /** Reads the next batch into #ready; false when there is nothing more to read yet. */
  #step(): boolean {
    let place = this.#place;
    if (!place || !this.#source.isLive(place.segment.id)) place = this.#locate();
    if (!place) return false;
    this.#place = place;
    const { segment } = place;
    if (place.position >= segment.tail) return this.#moveOn(place);
    const frame = Buffer.alloc(4);
    segment.handle.read(frame, place.position);
    const length = frame.readUInt32LE(0);
    if (length === 0) return this.#moveOn(place);
    const bytes = Buffer.allocUnsafe(4 + length);
    segment.handle.read(bytes, place.position);
    const step = new BatchReader(bytes).at(0, place.minOffset);
    if (step.kind === 'end') return this.#moveOn(place);
    if (step.kind === 'damage') {
      const at = place.position + step.damage.offset;
      throw new LogkvError('CORRUPT', `${segment.path}: damaged batch at byte ${at} (${step.damage.reason}: ${step.damage.message}); run kvtool verify`, {
        file: segment.path,
        offset: at,
        reason: step.damage.reason,
      });
    }
    const b = step.batch;
    const last = b.baseOffset + b.lastOffsetDelta;
    // A batch is acknowledged whole or not at all.
    if (last >= this.#source.committed()) return false;
    const first = this.#ready.length;
    for (const r of b.records) if (r.offset >= this.#wanted) this.#ready.push(change(r, b.timestampMs));
    if (this.#ready.length > first) this.#ready.at(-1)!.lastInBatch = true;
    this.#wanted = Math.max(this.#wanted, last + 1);
    place.position += b.size;
    place.minOffset = last + 1;
    return true;
  }

  /** Goes on to the segment after the place's; false when it is the last. */
  #moveOn(place: Place): boolean {
    const next = this.#source.segments().find((s) => s.baseOffset > place.segment.baseOffset);
    if (!next) {
      // At the end of what the newest segment holds: any offset below its
      // next one not read by now was removed by the cleaner.
      this.#wanted = Math.max(this.#wanted, Math.min(this.#source.committed(), place.segment.nextOffset));
      return false;
    }
    this.#place = { segment: next, position: SEGMENT_HEADER_SIZE, minOffset: next.baseOffset };
    return true;
  }

  /**
   * The place of the first batch holding an offset at or past #wanted: in
   * the last segment starting at or before it (or the first segment, when
   * the cleaner has removed everything before), read forward from its start.
   */
  #locate(): Place | undefined {
    const segments = this.#source.segments();
    let segment = segments[0];
    for (const s of segments) if (s.baseOffset <= this.#wanted) segment = s;
    if (!segment) return undefined;
    const place: Place = { segment, position: SEGMENT_HEADER_SIZE, minOffset: segment.baseOffset };
    const head = Buffer.alloc(4);
    for (;;) {
      if (place.position >= segment.tail) return place;
      segment.handle.read(head, place.position);
      const length = head.readUInt32LE(0);
      if (length === 0) return place;
      const bytes = Buffer.allocUnsafe(4 + length);
      segment.handle.read(bytes, place.position);
      const step = new BatchReader(bytes).at(0, place.minOffset);
      if (step.kind !== 'batch') return place;
      const last = step.batch.baseOffset + step.batch.lastOffsetDelta;
      if (last >= this.#wanted) return place;
      place.position += step.batch.size;
      place.minOffset = last + 1;
    }
  }
}

function change(r: ReadRecord, timestamp: number): RawChange {
  const tombstone = r.op === Op.Delete;
  return {
    offset: r.offset,
    key: Buffer.from(r.key),
    value: tombstone ? undefined : Buffer.from(r.value),
    tombstone,
    timestamp,
    expireAt: r.expireAtMs,
    lastInBatch: false,
  };
}
