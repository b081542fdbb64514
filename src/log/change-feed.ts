// The change feed: the log read in offset order from a given offset, Kafka
// consumer style, following new writes as they are acknowledged.
//
// It reads the segment files themselves, one batch at a time, checking each
// batch's CRC, and only up to the offset acknowledged so far (a record is
// never delivered before the write that made it has resolved). It holds a
// place (segment, byte position) between steps; when the log cleaner has
// replaced that segment, it finds its place again by offset in the new
// files, where the records the cleaner removed are simply no longer there.
//
// Two feeds share that place (LogCursor): ChangeFeed gives records
// (changes(), storedChanges()); BatchFeed gives whole batches as the bytes
// the log holds them in (storedBatches(), what a mirror ships: no object
// per record and nothing encoded again). The cursor reads the segment a
// chunk at a time, not a batch at a time: a mirror following a store that
// takes 100k+ one-record batches a second made two reads per batch.

import { LogkvError } from '../errors.js';
import { BatchReader, type ReadRecord } from '../formats/log-segment-reader.js';
import { encodeBatch } from '../formats/log-segment-writer.js';
import { MAX_BATCH_LENGTH, MIN_BATCH_LENGTH, Op, SEGMENT_HEADER_SIZE } from '../formats/limits.js';
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

/** One batch of the log as BatchFeed delivers it. */
export interface FeedBatch {
  /**
   * The batch in the log segment format (formats/log_segment.ksy, type
   * batch): the log's own bytes when the feed delivers all of it; when the
   * feed began inside it, its records from there on encoded as one batch
   * (same timestamp and attributes, base offset its first record's).
   */
  bytes: Buffer;
  /** Offset of its first record (its base offset). */
  firstOffset: number;
  lastOffset: number;
  timestampMs: number;
  recordCount: number;
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

/** A batch the cursor stepped over: bytes[at, at + size) of the chunk it was read in. */
interface CursorBatch {
  bytes: Buffer;
  at: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  timestampMs: number;
  recordCount: number;
  /** Only when asked for. */
  records: ReadRecord[] | undefined;
  /** The offset the cursor wanted when it met the batch: records below it were delivered before (or are below the feed's start). */
  from: number;
}

/** Bytes read ahead by a feed of records (a batch feed reads as much as it is asked for). */
const READ_AHEAD = 64 * 1024;

/** A place in the log that moves a batch at a time over acknowledged batches only. */
class LogCursor {
  readonly #source: FeedSource;
  /** The next offset to deliver. */
  #wanted: number;
  #place: Place | undefined;
  /** Bytes of one segment read ahead: the file's [start, start + bytes.length). Never written into again once read, so views of it stay good. */
  #chunk: { segment: Segment; start: number; bytes: Buffer } | undefined;

  constructor(source: FeedSource, from: number) {
    this.#source = source;
    this.#wanted = from;
  }

  get wanted(): number {
    return this.#wanted;
  }

  /**
   * The next acknowledged batch holding an offset at or past `wanted`,
   * checked (CRC, every field; each record's CRC too when `records`),
   * the place moved past it; undefined when there is none yet.
   * `readAhead`: bytes to read at once when the chunk must be read again.
   */
  next(records: boolean, readAhead: number): CursorBatch | undefined {
    for (;;) {
      if (this.#wanted >= this.#source.committed()) return undefined;
      let place = this.#place;
      if (!place || !this.#source.isLive(place.segment.id)) place = this.#locate();
      if (!place) return undefined;
      this.#place = place;
      const { segment } = place;
      if (place.position >= segment.tail) {
        if (this.#moveOn(place)) continue;
        return undefined;
      }
      const { bytes, at } = this.#batchBytes(segment, place.position, readAhead);
      const reader = new BatchReader(bytes);
      const step = records ? reader.at(at, place.minOffset) : reader.frameAt(at, place.minOffset);
      if (step.kind === 'end') {
        if (this.#moveOn(place)) continue;
        return undefined;
      }
      if (step.kind === 'damage') {
        const where = place.position + step.damage.offset - at;
        throw new LogkvError('CORRUPT', `${segment.path}: damaged batch at byte ${where} (${step.damage.reason}: ${step.damage.message}); run kvtool verify`, {
          file: segment.path,
          offset: where,
          reason: step.damage.reason,
        });
      }
      const b = step.kind === 'batch' ? step.batch : step.frame;
      const last = b.baseOffset + b.lastOffsetDelta;
      // A batch is acknowledged whole or not at all.
      if (last >= this.#source.committed()) return undefined;
      const from = this.#wanted;
      this.#wanted = Math.max(this.#wanted, last + 1);
      place.position += b.size;
      place.minOffset = last + 1;
      return {
        bytes,
        at,
        size: b.size,
        baseOffset: b.baseOffset,
        lastOffset: last,
        timestampMs: b.timestampMs,
        recordCount: step.kind === 'batch' ? step.batch.records.length : step.frame.recordCount,
        records: step.kind === 'batch' ? step.batch.records : undefined,
        from,
      };
    }
  }

  /**
   * The chunk holding the batch at `position` whole (as far as the
   * segment's written bytes go: a length that claims more is left for the
   * reader to report), read again from `position` when the one held does
   * not.
   */
  #batchBytes(segment: Segment, position: number, readAhead: number): { bytes: Buffer; at: number } {
    const written = segment.tail - position;
    let view = this.#cover(segment, position, Math.min(4, written), readAhead);
    if (view.bytes.length - view.at >= 4) {
      const length = view.bytes.readUInt32LE(view.at);
      if (length >= MIN_BATCH_LENGTH && length <= MAX_BATCH_LENGTH) view = this.#cover(segment, position, Math.min(4 + length, written), readAhead);
    }
    return view;
  }

  #cover(segment: Segment, position: number, length: number, readAhead: number): { bytes: Buffer; at: number } {
    const c = this.#chunk;
    if (c && c.segment === segment && position >= c.start && position + length <= c.start + c.bytes.length) return { bytes: c.bytes, at: position - c.start };
    const size = Math.max(length, Math.min(readAhead, segment.tail - position));
    const bytes = Buffer.allocUnsafe(size);
    const n = segment.handle.read(bytes, position);
    this.#chunk = { segment, start: position, bytes: n < size ? bytes.subarray(0, n) : bytes };
    return { bytes: this.#chunk.bytes, at: 0 };
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
    this.#chunk = undefined;
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
    for (;;) {
      if (place.position >= segment.tail) return place;
      const { bytes, at } = this.#batchBytes(segment, place.position, READ_AHEAD);
      const step = new BatchReader(bytes).frameAt(at, place.minOffset);
      if (step.kind !== 'frame') return place;
      const last = step.frame.baseOffset + step.frame.lastOffsetDelta;
      if (last >= this.#wanted) return place;
      place.position += step.frame.size;
      place.minOffset = last + 1;
    }
  }
}

/** Iterates the feed, giving each change through `decode` (the store's value codec). */
export class ChangeFeed<T> implements AsyncIterableIterator<T> {
  readonly #source: FeedSource;
  readonly #decode: (c: RawChange) => T;
  readonly #follow: boolean;
  readonly #cursor: LogCursor;
  #ready: RawChange[] = [];
  #done = false;

  constructor(source: FeedSource, from: number, follow: boolean, decode: (c: RawChange) => T) {
    this.#source = source;
    this.#decode = decode;
    this.#cursor = new LogCursor(source, from);
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
      if (!this.#step()) {
        if (!this.#follow && this.#cursor.wanted >= this.#source.committed()) return this.#finish();
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
    const b = this.#cursor.next(true, READ_AHEAD);
    if (!b) return false;
    const first = this.#ready.length;
    for (const r of b.records!) if (r.offset >= b.from) this.#ready.push(change(r, b.timestampMs));
    if (this.#ready.length > first) this.#ready.at(-1)!.lastInBatch = true;
    return true;
  }
}

/**
 * The log's batches from an offset on, as many as are acknowledged at
 * each read(): a reader that groups what is there (a mirror puts a turn's
 * worth of batches into one message) pulls them synchronously, and waits
 * with changed() only when there is none.
 */
export class BatchFeed {
  readonly #source: FeedSource;
  readonly #cursor: LogCursor;
  /** A batch read() met that did not fit: the next read() begins with it. */
  #held: FeedBatch | undefined;
  #done = false;

  constructor(source: FeedSource, from: number) {
    this.#source = source;
    this.#cursor = new LogCursor(source, from);
  }

  /** True once the store closed or close() was called: read() gives nothing more. */
  get done(): boolean {
    return this.#done || this.#source.closed();
  }

  /**
   * The acknowledged batches after the last one read, in log order, as
   * many as there are now up to `maxBytes` of them (or `maxRecords`
   * records); a batch larger than that alone is given alone. Empty when
   * there is none yet. Throws CORRUPT at a damaged batch.
   */
  read(maxBytes: number, maxRecords = Number.POSITIVE_INFINITY): FeedBatch[] {
    const out: FeedBatch[] = [];
    if (this.done) return out;
    let bytes = 0;
    let records = 0;
    for (;;) {
      const b = this.#held ?? this.#next(maxBytes);
      this.#held = undefined;
      if (!b) return out;
      if (out.length > 0 && (bytes + b.bytes.length > maxBytes || records + b.recordCount > maxRecords)) {
        this.#held = b;
        return out;
      }
      out.push(b);
      bytes += b.bytes.length;
      records += b.recordCount;
    }
  }

  /** Resolves once read() may find more, or the store closes. */
  changed(): Promise<void> {
    return this.done ? Promise.resolve() : this.#source.changed();
  }

  close(): void {
    this.#done = true;
    this.#held = undefined;
  }

  #next(readAhead: number): FeedBatch | undefined {
    const b = this.#cursor.next(false, readAhead);
    if (!b) return undefined;
    if (b.baseOffset >= b.from) {
      return { bytes: b.bytes.subarray(b.at, b.at + b.size), firstOffset: b.baseOffset, lastOffset: b.lastOffset, timestampMs: b.timestampMs, recordCount: b.recordCount };
    }
    // Begun inside the batch (a feed started at an offset a batch spans): its records from there on, as a batch of their own.
    const whole = new BatchReader(b.bytes).at(b.at, 0);
    if (whole.kind !== 'batch') throw new LogkvError('CORRUPT', `a batch read twice changed between the reads (at offset ${b.baseOffset})`, { reason: 'batch-crc' });
    const kept = whole.batch.records.filter((r) => r.offset >= b.from);
    const base = kept[0]!.offset;
    const bytes = encodeBatch({
      baseOffset: base,
      timestampMs: b.timestampMs,
      compacted: whole.batch.compacted,
      records: kept.map((r) => ({ op: r.op, offsetDelta: r.offset - base, key: r.key, value: r.value, expireAtMs: r.expireAtMs })),
    });
    return { bytes, firstOffset: base, lastOffset: b.lastOffset, timestampMs: b.timestampMs, recordCount: kept.length };
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
