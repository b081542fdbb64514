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
import type { Damage } from '../formats/damage.js';
import { BatchReader, batchHeaderAt, type ReadRecord } from '../formats/log-segment-reader.js';
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

/** Batches of the log back to back, as BatchFeed delivers them. */
export interface FeedRun {
  /**
   * The batches in the log segment format (formats/log_segment.ksy, type
   * batch), one after another: the log's own bytes when the feed delivers
   * whole batches; when the feed began inside a batch, its records from
   * there on encoded as one batch (same timestamp and attributes, base
   * offset its first record's), in a run of its own.
   */
  bytes: Buffer;
  /** Offset of the first record (the first batch's base offset). */
  firstOffset: number;
  lastOffset: number;
  firstTimestampMs: number;
  lastTimestampMs: number;
  records: number;
  batches: number;
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

/** Batches the cursor stepped over in one run: bytes is a view of them. */
interface CursorRun extends FeedRun {
  /** The offset the cursor wanted when it began: when above firstOffset, the run is one batch begun inside. */
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
      const place = this.#ready();
      if (!place) return undefined;
      const { segment } = place;
      const { bytes, at } = this.#batchBytes(segment, place.position, readAhead);
      const reader = new BatchReader(bytes);
      const step = records ? reader.at(at, place.minOffset) : reader.frameAt(at, place.minOffset);
      if (step.kind === 'end') {
        if (this.#moveOn(place)) continue;
        return undefined;
      }
      if (step.kind === 'damage') throw this.#damaged(segment, place.position + step.damage.offset - at, step.damage);
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
   * The acknowledged batches from `wanted` on that one read of the
   * segment holds back to back, up to `maxBytes` and `maxRecords` (at
   * least one batch), each checked by its CRC and header
   * (batchHeaderAt); undefined when there is none yet. A batch that the
   * cursor's start falls inside comes alone, with `from` past its base
   * offset: the caller takes its records from there.
   */
  run(maxBytes: number, maxRecords: number): CursorRun | undefined {
    segments: for (;;) {
      const place = this.#ready();
      if (!place) return undefined;
      const committed = this.#source.committed();
      const { segment } = place;
      const { bytes, at: start } = this.#batchBytes(segment, place.position, maxBytes);
      const from = this.#wanted;
      let at = start;
      let batches = 0;
      let records = 0;
      let firstTimestampMs = 0;
      let lastTimestampMs = 0;
      let firstOffset = 0;
      for (;;) {
        const step = batchHeaderAt(bytes, at, place.minOffset);
        if (step.kind === 'end' && batches === 0) {
          if (this.#moveOn(place)) continue segments;
          return undefined;
        }
        if (step.kind === 'damage' && batches === 0) throw this.#damaged(segment, place.position, step.damage);
        // Damage after good batches is met again, and reported, by the next call.
        if (step.kind !== 'frame') return this.#ran(bytes, start, at, from, firstOffset, firstTimestampMs, lastTimestampMs, records, batches);
        const f = step.frame;
        const last = f.baseOffset + f.lastOffsetDelta;
        // A batch is acknowledged whole or not at all.
        if (last >= committed) break;
        const inside = f.baseOffset < this.#wanted;
        if (batches > 0 && (inside || at - start + f.size > maxBytes || records + f.recordCount > maxRecords)) break;
        if (batches === 0) {
          firstOffset = f.baseOffset;
          firstTimestampMs = f.timestampMs;
        }
        lastTimestampMs = f.timestampMs;
        batches++;
        records += f.recordCount;
        at += f.size;
        place.position += f.size;
        place.minOffset = last + 1;
        this.#wanted = Math.max(this.#wanted, last + 1);
        if (inside || place.position >= segment.tail || bytes.length - at < 4) break;
        const next = bytes.readUInt32LE(at);
        // The next batch is not all in this read: the next call reads again.
        if (next === 0 || at + 4 + next > bytes.length) break;
      }
      // Nothing: the batch at the place is not acknowledged yet.
      return batches > 0 ? this.#ran(bytes, start, at, from, firstOffset, firstTimestampMs, lastTimestampMs, records, batches) : undefined;
    }
  }

  /** The place of the next batch wanted, in a live segment and before its written end; undefined when there is none yet. */
  #ready(): Place | undefined {
    for (;;) {
      if (this.#wanted >= this.#source.committed()) return undefined;
      let place = this.#place;
      if (!place || !this.#source.isLive(place.segment.id)) place = this.#locate();
      if (!place) return undefined;
      this.#place = place;
      if (place.position < place.segment.tail) return place;
      if (!this.#moveOn(place)) return undefined;
    }
  }

  #ran(bytes: Buffer, start: number, end: number, from: number, firstOffset: number, firstTimestampMs: number, lastTimestampMs: number, records: number, batches: number): CursorRun {
    return { bytes: bytes.subarray(start, end), firstOffset, lastOffset: this.#wanted - 1, firstTimestampMs, lastTimestampMs, records, batches, from };
  }

  #damaged(segment: Segment, at: number, damage: Damage): LogkvError {
    return new LogkvError('CORRUPT', `${segment.path}: damaged batch at byte ${at} (${damage.reason}: ${damage.message}); run kvtool verify`, {
      file: segment.path,
      offset: at,
      reason: damage.reason,
    });
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
 * each read() (LogStore.storedBatches()): a reader that groups what is
 * there (a mirror puts many batches into one message) pulls them
 * synchronously, and waits with changed() only when there is none.
 * fill() reads ahead without taking, for a reader that waits until a
 * group is full.
 */
export interface BatchFeed {
  /** True once the store closed or close() was called: read() gives nothing more. */
  readonly done: boolean;
  /** Bytes read ahead by fill() and not yet taken. */
  readonly ahead: number;
  /**
   * Reads ahead the acknowledged batches there are now until `maxBytes`
   * of them (or `maxRecords` records) wait to be taken; true when that
   * much does. Throws CORRUPT at a damaged batch.
   */
  fill(maxBytes: number, maxRecords?: number): boolean;
  /**
   * The acknowledged batches after the last taken, in log order, in runs
   * of batches back to back: as many as there are now up to `maxBytes` of
   * them (or `maxRecords` records; fill() must have been given the same
   * limits); a batch larger than that alone is given alone. Empty when
   * there is none yet. Throws CORRUPT at a damaged batch.
   */
  read(maxBytes: number, maxRecords?: number): FeedRun[];
  /** Resolves once read() may find more, or the store closes. */
  changed(): Promise<void>;
  close(): void;
}

export class LogBatchFeed implements BatchFeed {
  readonly #source: FeedSource;
  readonly #cursor: LogCursor;
  /** Runs read from the log and not yet taken, in log order. */
  #ahead: FeedRun[] = [];
  #aheadBytes = 0;
  #aheadRecords = 0;
  #done = false;

  constructor(source: FeedSource, from: number) {
    this.#source = source;
    this.#cursor = new LogCursor(source, from);
  }

  get done(): boolean {
    return this.#done || this.#source.closed();
  }

  fill(maxBytes: number, maxRecords = Number.POSITIVE_INFINITY): boolean {
    if (this.done) return false;
    while (this.#aheadBytes < maxBytes && this.#aheadRecords < maxRecords) {
      const r = this.#run(maxBytes - this.#aheadBytes, maxRecords - this.#aheadRecords);
      if (!r) return false;
      this.#ahead.push(r);
      this.#aheadBytes += r.bytes.length;
      this.#aheadRecords += r.records;
    }
    return true;
  }

  read(maxBytes: number, maxRecords = Number.POSITIVE_INFINITY): FeedRun[] {
    if (this.done) return [];
    this.fill(maxBytes, maxRecords);
    let n = 0;
    let bytes = 0;
    let records = 0;
    for (const r of this.#ahead) {
      if (n > 0 && (bytes + r.bytes.length > maxBytes || records + r.records > maxRecords)) break;
      n++;
      bytes += r.bytes.length;
      records += r.records;
    }
    this.#aheadBytes -= bytes;
    this.#aheadRecords -= records;
    return this.#ahead.splice(0, n);
  }

  get ahead(): number {
    return this.#aheadBytes;
  }

  changed(): Promise<void> {
    return this.done ? Promise.resolve() : this.#source.changed();
  }

  close(): void {
    this.#done = true;
    this.#ahead = [];
  }

  #run(maxBytes: number, maxRecords: number): FeedRun | undefined {
    const r = this.#cursor.run(maxBytes, maxRecords);
    if (!r || r.firstOffset >= r.from) return r && { bytes: r.bytes, firstOffset: r.firstOffset, lastOffset: r.lastOffset, firstTimestampMs: r.firstTimestampMs, lastTimestampMs: r.lastTimestampMs, records: r.records, batches: r.batches };
    // Begun inside the batch (a feed started at an offset a batch spans): its records from there on, as a batch of their own.
    const whole = new BatchReader(r.bytes).at(0, 0);
    if (whole.kind !== 'batch') throw new LogkvError('CORRUPT', `the batch at offset ${r.firstOffset} did not read back whole`, { reason: whole.kind === 'damage' ? whole.damage.reason : 'batch-layout' });
    const kept = whole.batch.records.filter((x) => x.offset >= r.from);
    const base = kept[0]!.offset;
    const bytes = encodeBatch({
      baseOffset: base,
      timestampMs: r.firstTimestampMs,
      compacted: whole.batch.compacted,
      records: kept.map((x) => ({ op: x.op, offsetDelta: x.offset - base, key: x.key, value: x.value, expireAtMs: x.expireAtMs })),
    });
    return { bytes, firstOffset: base, lastOffset: r.lastOffset, firstTimestampMs: r.firstTimestampMs, lastTimestampMs: r.lastTimestampMs, records: kept.length, batches: 1 };
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
