// The append side of the log: the active segment, group commit, rolling and
// sealing. Crash stories:
// - A segment file is made whole under a temporary name (header, zero fill
//   preallocated, fsynced: segment-file.ts), then its header is written
//   for its base offset, fsynced, and the file renamed into place and its
//   name made durable (directory fsync) before the manifest lists it and
//   any batch goes into it; recovery reads the zero fill as the end of the
//   log. The next segment's file (the spare) is prepared in the background
//   once the active one is half full, so a roll does not write 64 MiB
//   (only while its writes are synced a few KB at a time: #smallWrites). A
//   roll with no spare ready (compact() right after open) makes the file
//   with its header alone, which then grows as it is written (no zero fill
//   on the write queue; with a file system that is not detached, the
//   tests', the fill waits for the next group of writes, as a reopened
//   segment's does): the file is a valid segment at every step, its end the
//   end of the log. With durability 'none' or
//   'interval' there is no spare and no zero fill: each new segment is made
//   that way and grows as it is written (preallocation only makes the
//   fdatasync of single writes cheaper).
// - Writers queue requests; one loop takes every request waiting, encodes
//   them into one buffer, writes it with one write() and, in 'sync' mode,
//   makes it durable with one fdatasync for all of them (group commit). A
//   promise resolves only after that fdatasync. A crash before it leaves
//   any prefix of the group, possibly a torn batch, which recovery cuts.
// - Rolling trims the old segment to its last batch, fsyncs it, switches
//   to the next segment, and then writes the old one's hint in the
//   background (background-files.ts), atomically (temp, fsync, rename,
//   directory fsync); a crash before that leaves a sealed segment without
//   a hint, which open rescans. The cleaner and close wait for it.
// - A clean close does the same for the active segment (trim, fsync, hint),
//   so the next open reads no segment at all. A hint is only ever used for a
//   segment whose length equals its covered_length, and the next open, after
//   reading it, removes it and extends the segment with zero fill again: a
//   write after that, and a crash, leave no hint (or, if the removal was not
//   durable yet, one whose length no longer matches), so that open rescans.
//   Every batch CRC of that segment, and its last batch whole, are checked
//   too: before the hint is used when open loads the segment, or once its
//   keys are in when the load is deferred (deferred-load.ts, checkLater:
//   the store runs the check when no cleaner run is going, and a run that
//   replaces the segment reads what it keeps whole). writeHint refuses a segment that
//   does not read back whole (segment-hint.ts). A writable open that defers
//   the segment's load moves its hint and index to temporary names instead
//   of removing them (opening.ts); when the segment is sealed or closed with
//   no write since, they are renamed back (index first) rather than made
//   again by reading the whole segment (#restoreAside). A crash before that
//   leaves temporary files, which the next open removes, and a segment
//   without a hint, which it rescans.
// - A failed write or fsync fails every request it covered and every later
//   one: after a failed fsync the kernel may have dropped the pages, so
//   nothing more is acknowledged until the store is reopened (fsyncgate).

import { LogkvError, writeFailure } from '../errors.js';
import { batchSize, encodeSegmentHeader, type LogBatch, type LogRecord, writeBatch } from '../formats/log-segment-writer.js';
import { type Op, SEGMENT_HEADER_SIZE, type ValueEncoding } from '../formats/limits.js';
import { type FileHandle, type FileIO, nodeFileIO } from '../io/file-io.js';
import type { Mapping } from '../io/mapped-file.js';
import { openSyncThread, type SyncThread } from '../io/sync-thread.js';
import { backgroundFiles, type BackgroundFiles } from './background-files.js';
import { checkBatches, type CheckedBatches } from './checked-batches.js';
import { EncodedBatch } from './encoded-batch.js';
import { RecordReads } from './record-reads.js';
import { extendWithZeros, prepareSegmentFile, trim } from './segment-file.js';
import { writeHint } from './segment-hint.js';
import { hintPath, indexPath, segmentPath, segmentStem } from './segment-names.js';

import type { Durability } from '../io/durability.js';

export type { Durability };

export interface Segment {
  /** Number used by the key directory; never reused while the store is open. */
  id: number;
  /** File name without extension (see segment-names.ts). */
  stem: string;
  baseOffset: number;
  path: string;
  handle: FileHandle;
  /** End of the last batch. */
  tail: number;
  /** Length of the file (tail plus zero fill). */
  fileSize: number;
  /** One past the last offset the segment holds. */
  nextOffset: number;
  sealed: boolean;
  /** Its read-only map, once a read made it (record-reads.ts); null when it cannot be mapped. */
  mapping?: Mapping | null;
  /** Its batches up to some length, checked by their CRCs since open (checkBatches()): the cleaner does not read them again to check them. */
  checked?: CheckedBatches;
}

/** A record as the engine asks for it; offsets are given by the log. */
export interface RecordToAppend {
  op: Op;
  key: Uint8Array;
  value: Uint8Array;
  expireAtMs?: number | undefined;
  /**
   * The offset to write it at: a follower's copy of its leader's record
   * (LogStore.applyReplicated). Given for every record of a batch or for
   * none; given offsets increase strictly and start at or past the log's
   * next offset (the caller checks, in prepare).
   */
  offset?: number | undefined;
}

/** Where each record of an appended batch went. */
export interface AppendedBatch {
  segment: Segment;
  baseOffset: number;
  timestampMs: number;
  /** Where the batch starts in the segment. */
  position: number;
  /** For records given as RecordToAppend. */
  records?: Array<{ record: RecordToAppend; position: number; size: number; offset: number }>;
  /** For a batch given encoded: record i is at position + starts[i], at offset baseOffset + i. */
  encoded?: EncodedBatch;
}

/**
 * One queued write. `prepare` runs in queue order, after every earlier
 * request was applied, and returns the records to write (none: nothing to
 * write); `apply` runs as soon as the bytes are written, before the fsync,
 * so the next request's prepare sees them.
 */
export interface AppendRequest<T> {
  prepare(): RecordToAppend[] | EncodedBatch | undefined;
  apply(batch: AppendedBatch | undefined): T;
  /**
   * True when prepare reads nothing of the store (a plain put, delete or
   * batch): then its batch may go into one write() with its neighbours',
   * and apply waits for that write.
   */
  plain?: boolean;
  /** Seal the active segment first, when it holds any batch (an explicit compaction covers everything written). */
  roll?: boolean;
  /** The batch's timestamp (a follower keeps its leader's); default: the clock's now. */
  timestampMs?: number;
}

export interface SegmentLogOptions {
  io: FileIO;
  dir: string;
  valueEncoding: ValueEncoding;
  /** Size segments are preallocated to and rolled at. */
  segmentSize: number;
  durability: Durability;
  syncIntervalMs: number;
  now: () => number;
  /**
   * Called with each new segment before any batch goes into it, so the
   * manifest lists a segment before it holds data; a crash in between
   * leaves an empty unlisted file, which open removes.
   */
  onSegmentCreated?: (segment: Segment, lastTimestampMs: number) => Promise<void>;
  /** Called after a segment was sealed (the cleaner's cue). */
  onRoll?: () => void;
  /** Errors of work done outside the queue (a sealed segment's hint): the store goes on, open rescans a segment left without one. */
  onBackgroundError?: (error: unknown) => void;
  /** The active segment is about to be sealed (its hint and index are rewritten): the key space must be done reading them. */
  beforeSeal?: (segment: Segment) => void;
  /** Called with the log's next offset each time writes become acknowledged (the change feed's cue). */
  onCommit?: (nextOffset: number) => void;
  /** Read segments from memory maps where the file system can make them (record-reads.ts). Default false. */
  mapSegments?: boolean;
  /**
   * The active segment (reopened, trimmed at its last batch) gets its zero
   * fill up to this size before the first write: not at open, which a
   * process that only reads never needs to pay for (segment-file.ts,
   * extendWithZeros). Only where the log's background work is not
   * detached (the tests' file systems): on the real one the reopened
   * segment grows as it is written, as a segment begun without a spare does
   * (#nextSegment), since that fill was a segment's worth of zeros written
   * on the write queue before the first write after every open.
   */
  fillActiveTo?: number;
  /**
   * Run the active segment's fdatasyncs, the ones writers wait for, on a
   * thread of the log's own (sync-thread.ts) where the addon is loaded and
   * the file system has descriptors; libuv's pool otherwise. Default false.
   */
  syncThread?: boolean;
}

interface Waiting {
  request: AppendRequest<unknown>;
  /** A plain write's batch, encoded at the call (appendEncoded): its request's prepare is not called. */
  batch: EncodedBatch | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** What apply returned, once it ran. */
  result: unknown;
  /** Rejected by its own prepare: not resolved with the group. */
  refused: boolean;
}

/** A spare is prepared only while the active segment's writes average less than this per fdatasync (#smallWrites). */
const SPARE_BYTES_PER_SYNC = 256 * 1024;
/** Encoded batches waiting for their write() are written out past this. */
const PENDING_LIMIT = 4 * 1024 * 1024;
/** Bytes written without an fdatasync after which a write-behind one is started (durability 'none' and 'interval'). */
const WRITE_BEHIND = 8 * 1024 * 1024;
/** Pending batches this large on average are written one write() each rather than copied into one buffer. */
const LARGE_PARTS = 64 * 1024;

export class SegmentLog {
  readonly #o: SegmentLogOptions;
  /** Live segments in log order; the last is the active one. */
  segments: Segment[];
  readonly #byId = new Map<number, Segment>();
  #active: Segment;
  #nextId: number;
  #queue: Waiting[] = [];
  #running: Promise<void> | undefined;
  /** True from the start of a run until its loop finds the queue empty (in the same synchronous step). */
  #draining = false;
  #failed: unknown;
  #dirty = false;
  /** Batches encoded for the active segment but not yet written: one write() for a run of plain requests. */
  #pending: Pending | undefined;
  /** Plain requests whose apply waits for their bytes to be written, and where each batch went (#deferredAt, same index). */
  #deferred: Waiting[] = [];
  #deferredAt: Array<AppendedBatch | undefined> = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #reads: RecordReads;
  /** The zero fill the active segment still needs before its next write (fillActiveTo). */
  #fillTo: number | undefined;
  /** Bytes written to the active segment since its last fdatasync (write-behind, below). */
  #unsynced = 0;
  /** Bytes written to, and fdatasyncs of, the active segment since it became active: whether its writes are small (#smallWrites). */
  #activeBytes = 0;
  #activeSyncs = 0;
  /** A write-behind fdatasync in flight. */
  #writeBehind: Promise<void> | undefined;
  /** fdatasync calls made for appends, to show group commit at work. */
  syncCount = 0;
  /** Where those run (options.syncThread), made at the first; closed with the log. */
  #syncThread: SyncThread | undefined;
  /** Timestamp of the newest batch in the log (snapshot headers record it). */
  lastTimestampMs: number;
  readonly #background: BackgroundFiles;
  /** The next segment's file, being prepared under a temporary name. */
  #spare: Spare | undefined;
  /** Hints of sealed segments still being written, and other work beside() runs. */
  readonly #sealing = new Set<Promise<void>>();
  /**
   * The active segment's hint and index as open found them, moved to
   * temporary names (opening.ts) since the next write makes them wrong.
   * When the segment is sealed or closed with no write since, they are
   * put back rather than made again from the whole segment.
   */
  #aside: SetAside | undefined;

  constructor(options: SegmentLogOptions, segments: Segment[], lastTimestampMs: number) {
    this.#o = options;
    this.#background = backgroundFiles(options.io);
    this.#reads = new RecordReads({ mapSegments: options.mapSegments ?? false });
    this.segments = segments;
    for (const s of segments) this.#byId.set(s.id, s);
    this.#active = segments.at(-1)!;
    this.#fillTo = this.#background.detached ? undefined : options.fillActiveTo;
    this.#nextId = Math.max(...segments.map((s) => s.id)) + 1;
    this.lastTimestampMs = lastTimestampMs;
    if (options.durability === 'interval') {
      this.#timer = setInterval(() => void this.flush().catch(() => undefined), options.syncIntervalMs);
      this.#timer.unref();
    }
  }

  /** Whether writes are queued or in flight: work beside them then steps aside between its slices (time-slices.ts). */
  get writesWaiting(): boolean {
    return this.#queue.length > 0 || this.#running !== undefined;
  }

  get nextOffset(): number {
    return this.#active.nextOffset;
  }

  get active(): Segment {
    return this.#active;
  }

  /**
   * Whether new segments get their zero fill (a spare prepared in the
   * background, or a fill before the first write): only where writes are
   * made durable one by one, where an fdatasync over space the file already
   * has is cheaper (DESIGN.md). With 'none' and 'interval' a new segment
   * grows as it is written: a bulk load wrote a spare's 64 MiB of zeros
   * beside its own bytes, and its roll waited ~60 ms for it.
   */
  get #preallocates(): boolean {
    return this.#o.durability === 'sync';
  }

  /** The segment a key directory entry points into. */
  segment(id: number): Segment {
    const s = this.#byId.get(id);
    if (!s) throw new Error(`no live segment with id ${id}`);
    return s;
  }

  /** A fresh id for a segment made outside the append path (the cleaner's outputs). */
  allocateId(): number {
    return this.#nextId++;
  }

  /**
   * Swaps sealed segments for the cleaner's outputs in the log's order (the
   * manifest has already switched). Synchronous, so no reader sees a
   * half-swapped list. The old segments stay readable by id, for key
   * directory entries not yet moved, until retire().
   */
  replaceSealed(removed: readonly Segment[], added: readonly Segment[]): void {
    const gone = new Set(removed.map((s) => s.id));
    for (const s of added) this.#byId.set(s.id, s);
    this.segments = [...added, ...this.segments.filter((s) => !gone.has(s.id))].sort((a, b) => a.baseOffset - b.baseOffset);
  }

  /** Closes segments replaced by replaceSealed() once nothing points into them. */
  retire(removed: readonly Segment[]): void {
    for (const s of removed) {
      this.#byId.delete(s.id);
      this.#closeSegment(s);
    }
  }

  /** Whether segment `id` is still in the log (not replaced by the cleaner). */
  isLive(id: number): boolean {
    return this.segments.some((s) => s.id === id);
  }

  /** Waits until no write is being performed (the queue may fill again right after). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  /**
   * Creates a new segment: its file made whole under a temporary name,
   * then put in place (see #activate), so the newest segment is never a
   * half-written file.
   */
  static async createSegment(o: SegmentLogOptions, id: number, baseOffset: number, size = o.segmentSize): Promise<Segment> {
    const tmp = `${segmentPath(o.dir, segmentStem(baseOffset))}.tmp`;
    await prepareSegmentFile(o.io, tmp, SegmentLog.#header(o, baseOffset), size);
    return SegmentLog.#activate(o, tmp, id, baseOffset, true);
  }

  static #header(o: SegmentLogOptions, baseOffset: number): Buffer {
    return encodeSegmentHeader({ baseOffset, valueEncoding: o.valueEncoding, createdMs: o.now() });
  }

  /**
   * Turns a prepared file into segment `baseOffset`: its header written for
   * that offset and fsynced (unless `headerWritten`: made for that offset
   * and fsynced already, which saved an fdatasync of the roll in compact()),
   * then renamed into place and the directory fsynced, before anything
   * lists it.
   */
  static async #activate(o: SegmentLogOptions, tmp: string, id: number, baseOffset: number, headerWritten = false): Promise<Segment> {
    const stem = segmentStem(baseOffset);
    const path = segmentPath(o.dir, stem);
    if (!headerWritten) {
      const building = o.io.open(tmp, 'update');
      try {
        building.write(SegmentLog.#header(o, baseOffset), 0);
        await building.sync();
      } finally {
        building.close();
      }
    }
    o.io.rename(tmp, path);
    await o.io.syncDir(o.dir);
    const handle = o.io.open(path, 'update');
    return { id, stem, baseOffset, path, handle, tail: SEGMENT_HEADER_SIZE, fileSize: handle.size(), nextOffset: baseOffset, sealed: false };
  }

  /** Queues a write; resolves with `apply`'s result once durable (per the durability mode). */
  append<T>(request: AppendRequest<T>): Promise<T> {
    return this.#enqueue(request, undefined);
  }

  /**
   * Queues a plain write whose batch was encoded at the call; `request` is
   * plain, its prepare never called, and may be shared by every such write
   * of a store: a put then costs the log one queue entry and its promise
   * (the collector's work per put is what the latency tail is made of).
   */
  appendEncoded(request: AppendRequest<void>, batch: EncodedBatch): Promise<void> {
    return this.#enqueue(request, batch);
  }

  #enqueue<T>(request: AppendRequest<T>, batch: EncodedBatch | undefined): Promise<T> {
    if (this.#failed !== undefined) return Promise.reject(failedError(this.#failed));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ request, batch, resolve: resolve as (v: unknown) => void, reject, result: undefined, refused: false });
      // #draining, not #running, says whether the loop will still see this request: #running is
      // cleared a microtask after the loop ends, and a caller awaiting append() directly runs in
      // that window. flush() and close() wait on the newest run.
      if (!this.#draining) {
        this.#draining = true;
        // Start on the next microtask, so writers calling in the same turn
        // (Promise.all over many puts) share the first group and its fsync.
        const run: Promise<void> = Promise.resolve()
          .then(() => this.#run())
          .finally(() => {
            if (this.#running === run) this.#running = undefined;
          });
        this.#running = run;
      }
    });
  }

  /** The record at `position`, CRC-checked, in a buffer the next read reuses (record-reads.ts). */
  readRecordView(segment: Segment, position: number, size: number): Buffer {
    return this.#reads.readRecordView(segment, position, size);
  }

  /** The value of the record at `position`, CRC-checked, in a Buffer of its own: the get path (record-reads.ts). */
  readValue(segment: Segment, position: number, size: number): Buffer {
    return this.#reads.readValue(segment, position, size);
  }

  /**
   * Checks the batches of segment `id` in [0, length) by their CRCs
   * (checked-batches.ts), for the load of a segment open deferred, and
   * keeps what it learnt for the cleaner; false when the check fails (the
   * caller makes its own, which reports the damage) or the segment is gone.
   */
  checkBatches(id: number, length: number, minOffset: number): boolean {
    const segment = this.#byId.get(id);
    if (segment === undefined || length > segment.tail) return false;
    const checked = checkBatches(segment.handle, length, minOffset);
    if (checked === undefined) return false;
    segment.checked = checked;
    return true;
  }

  /** Unmaps and closes `segment`'s file. */
  #closeSegment(segment: Segment): void {
    this.#reads.release(segment);
    segment.handle.close();
  }

  /** Makes every write so far durable. */
  async flush(): Promise<void> {
    await this.#running;
    // After a failed write or fsync nothing may be acknowledged (fsyncgate).
    if (this.#failed !== undefined) throw failedError(this.#failed);
    await this.#syncActive();
  }

  /** The active segment's hint and index, moved aside at open (see #aside). */
  setAside(files: SetAside): void {
    this.#aside = files;
  }

  /** A file set aside turned out damaged: neither it nor its partner is put back (both go when the segment is sealed or closed; the load may still read them). */
  discardAside(file: string): void {
    const a = this.#aside;
    if (a?.hint === file || a?.index === file) a.damaged = true;
  }

  /**
   * Puts back the hint and index set aside for `segment`, now sealed or
   * closed, when it holds no write since open (its length is still the one
   * they cover), and makes their names durable; returns whether it did.
   * Otherwise they describe the segment no more and are removed. The index
   * goes first: a crash between the renames leaves an index without its
   * hint, which open rebuilds, never a hint without its index.
   */
  async #restoreAside(segment: Segment): Promise<boolean> {
    const a = this.#aside;
    if (a?.segment !== segment.id) return false;
    this.#aside = undefined;
    const io = this.#o.io;
    if (a.damaged === true || segment.tail !== a.coveredLength || !io.exists(a.hint) || !io.exists(a.index)) {
      for (const p of [a.hint, a.index]) if (io.exists(p)) io.unlink(p);
      return false;
    }
    io.rename(a.index, indexPath(this.#o.dir, segment.stem));
    io.rename(a.hint, hintPath(this.#o.dir, segment.stem));
    await io.syncDir(this.#o.dir);
    return true;
  }

  /** Waits until every sealed segment's hint written in the background is on disk (or failed), and all other work beside() runs is done. */
  async sealed(): Promise<void> {
    while (this.#sealing.size > 0) await Promise.all(this.#sealing);
  }

  /** Removes the spare segment file, which nothing lists: the next open would only remove it. */
  async #dropSpare(): Promise<void> {
    const spare = this.#spare;
    this.#spare = undefined;
    if (!spare) return;
    await spare.ready.catch(() => undefined);
    if (this.#o.io.exists(spare.path)) this.#o.io.unlink(spare.path);
  }

  /** Closes every file, writing nothing (a read-only store's close). */
  release(): void {
    if (this.#timer) clearInterval(this.#timer);
    for (const s of this.segments) this.#closeSegment(s);
  }

  /** Flushes, trims the active segment's zero fill, writes its hint, and closes every file. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    try {
      await this.#running;
      await this.sealed();
      await this.#writeBehind;
      await this.#dropSpare();
      if (this.#failed === undefined) {
        await this.#syncActive();
        this.#reads.release(this.#active);
        await trim(this.#active);
        // After the trim is durable: the hint covers the trimmed length (see the crash stories above).
        if (this.#active.tail > SEGMENT_HEADER_SIZE && !(await this.#restoreAside(this.#active))) await writeHint(this.#o.io, this.#o.dir, this.#active);
      }
    } finally {
      for (const s of this.segments) this.#closeSegment(s);
      this.#syncThread?.close();
    }
  }

  async #run(): Promise<void> {
    while (this.#queue.length > 0) {
      const group = this.#queue;
      this.#queue = [];
      if (this.#failed !== undefined) {
        for (const w of group) w.reject(failedError(this.#failed));
        continue;
      }
      try {
        for (let i = 0; i < group.length; i++) {
          const w = group[i]!;
          const plain = w.request.plain === true;
          // A prepare that reads the store must see every earlier write applied.
          if (!plain) this.#writePending();
          if (w.request.roll && this.#active.tail > SEGMENT_HEADER_SIZE) await this.#roll();
          let records: RecordToAppend[] | EncodedBatch | undefined = w.batch;
          if (records === undefined) {
            try {
              records = w.request.prepare();
            } catch (e) {
              // Bad input found while preparing: this request fails, nothing is written for it.
              w.reject(e);
              w.refused = true;
              continue;
            }
          }
          let appended: AppendedBatch | undefined;
          if (records instanceof EncodedBatch) {
            // No await (and no promise) unless the batch needs a roll or a zero fill first.
            const size = records.bytes.length;
            appended = this.#place(this.#pendingNow(size) ?? (await this.#pendingFor(size)), records, w.request.timestampMs);
          } else if (records && records.length > 0) appended = await this.#encode(records, w.request.timestampMs);
          if (plain) {
            this.#deferred.push(w);
            this.#deferredAt.push(appended);
          } else {
            this.#writePending();
            w.result = w.request.apply(appended);
          }
        }
        // The group's fdatasync starts before the applies that waited for its
        // bytes, so the key directory inserts (~0.3 us a record, 3-4 ms for a
        // 10k-put batch) run while libuv's pool syncs: a durable bulk load's
        // batch costs the longer of the two, not their sum. Nothing resolves
        // before the sync, so no caller sees a write acknowledged early.
        this.#writePending(false);
        const syncing = this.#o.durability === 'sync' ? this.#syncActive() : undefined;
        try {
          this.#applyDeferred();
        } finally {
          await syncing;
        }
        this.#o.onCommit?.(this.#active.nextOffset);
      } catch (e) {
        this.#failed ??= e;
        this.#pending = undefined;
        this.#deferred = [];
        this.#deferredAt = [];
        for (const w of group) if (!w.refused) w.reject(failedError(e));
        continue;
      }
      for (const w of group) if (!w.refused) w.resolve(w.result);
    }
    // The loop catches every error, so this runs right after its last look at the queue.
    this.#draining = false;
  }

  /**
   * Encodes one batch after those already pending, rolling first when it
   * does not fit; its bytes reach the file at the next #writePending().
   */
  async #encode(records: RecordToAppend[], timestampMs = this.#o.now()): Promise<AppendedBatch> {
    const baseOffset = records[0]!.offset ?? this.#active.nextOffset;
    // Invariant (callers check it in prepare): placed records never go back in the log.
    if (baseOffset < this.#active.nextOffset) throw new Error(`a batch at offset ${baseOffset} is below the log's next offset ${this.#active.nextOffset}`);
    const deltaOf = (r: RecordToAppend, i: number): number => (r.offset === undefined ? i : r.offset - baseOffset);
    const batch: LogBatch = {
      baseOffset,
      timestampMs,
      records: records.map((r, i): LogRecord => ({ op: r.op, offsetDelta: deltaOf(r, i), key: r.key, value: r.value, expireAtMs: r.expireAtMs })),
    };
    const lastDelta = batch.records.at(-1)!.offsetDelta;
    // A copy of records the leader's cleaner thinned has gaps: the format marks such a batch.
    if (lastDelta !== records.length - 1) batch.compacted = true;
    const size = batchSize(batch);
    const pending = await this.#pendingFor(size);
    const segment = pending.segment;
    const position = pending.position + pending.bytes;
    const buf = Buffer.allocUnsafe(size);
    const placed: AppendedBatch['records'] = [];
    writeBatch(buf, 0, batch, (at, recordSize) => {
      const i = placed.length;
      placed.push({ record: records[i]!, position: position + at, size: recordSize, offset: baseOffset + batch.records[i]!.offsetDelta });
    });
    pending.parts.push(buf);
    pending.bytes += size;
    segment.nextOffset = baseOffset + lastDelta + 1;
    this.lastTimestampMs = timestampMs;
    this.#dirty = true;
    if (pending.bytes >= PENDING_LIMIT) this.#writePending();
    return { segment, baseOffset: batch.baseOffset, timestampMs, position, records: placed };
  }

  /** #pendingFor() when it needs no roll and no zero fill (the common case, no promise made), else undefined. */
  #pendingNow(size: number): Pending | undefined {
    if (this.#fillTo !== undefined) return undefined;
    const end = this.#pending ? this.#pending.position + this.#pending.bytes : this.#active.tail;
    if (end > SEGMENT_HEADER_SIZE && end + size + 4 > this.#o.segmentSize) return undefined;
    const segment = this.#active;
    return (this.#pending ??= { segment, position: segment.tail, parts: [], bytes: 0 });
  }

  /** The pending write a batch of `size` bytes joins: of the active segment, rolled first when the batch does not fit. */
  async #pendingFor(size: number): Promise<Pending> {
    // Keep the zero fill at 0 or >= 4 bytes after the batch (formats/log_segment.ksy).
    const end = this.#pending ? this.#pending.position + this.#pending.bytes : this.#active.tail;
    if (end > SEGMENT_HEADER_SIZE && end + size + 4 > this.#o.segmentSize) {
      this.#writePending();
      await this.#roll();
    }
    // The zero fill goes in before the segment's first write since open or a roll, not before a group that writes nothing (compact()'s roll right after open extended the segment only to trim it again).
    if (this.#fillTo !== undefined) await this.#fillActive(this.#fillTo);
    const segment = this.#active;
    return (this.#pending ??= { segment, position: segment.tail, parts: [], bytes: 0 });
  }

  /**
   * Places a batch encoded at the call (encoded-batch.ts) after those
   * already `pending` (#pendingFor(its size)): its offsets from the log's
   * next one, its header and CRC written now; its bytes reach the file at
   * the next #writePending(), as they are (no copy into a batch buffer of
   * the log's).
   */
  #place(pending: Pending, batch: EncodedBatch, timestampMs = this.#o.now()): AppendedBatch {
    const size = batch.bytes.length;
    const segment = pending.segment;
    const position = pending.position + pending.bytes;
    const baseOffset = segment.nextOffset;
    batch.seal(baseOffset, timestampMs);
    pending.parts.push(batch.bytes);
    pending.bytes += size;
    segment.nextOffset = baseOffset + batch.count;
    this.lastTimestampMs = timestampMs;
    this.#dirty = true;
    if (pending.bytes >= PENDING_LIMIT) this.#writePending();
    return { segment, baseOffset, timestampMs, position, encoded: batch };
  }

  /** Writes the pending batches with one write(), then (unless told not to) runs the applies that waited for them. */
  #writePending(applyNow = true): void {
    const p = this.#pending;
    if (p) {
      this.#pending = undefined;
      const segment = p.segment;
      if (p.parts.length === 1 || p.bytes >= LARGE_PARTS * p.parts.length) {
        // Large batches (bulk puts, ~1.3 MB each) go out one write() each: a copy of them all into one buffer cost more than the calls.
        let at = p.position;
        for (const part of p.parts) {
          segment.handle.write(part, at);
          at += part.length;
        }
      } else {
        segment.handle.write(Buffer.concat(p.parts, p.bytes), p.position);
      }
      segment.tail = p.position + p.bytes;
      segment.fileSize = Math.max(segment.fileSize, segment.tail);
      this.#unsynced += p.bytes;
      if (this.#unsynced >= WRITE_BEHIND && this.#o.durability !== 'sync' && this.#o.io === nodeFileIO && this.#writeBehind === undefined) this.#startWriteBehind(segment);
      if (segment.fileSize - segment.tail > 0 && segment.fileSize - segment.tail < 4) {
        this.#reads.release(segment);
        segment.handle.truncate(segment.tail);
        segment.fileSize = segment.tail;
      }
      this.#activeBytes += p.bytes;
      if (this.#spare === undefined && this.#preallocates && this.#background.detached && segment.tail > this.#o.segmentSize / 2 && this.#smallWrites()) this.#prepareSpare();
    }
    if (applyNow) this.#applyDeferred();
  }

  /** Runs the applies of plain requests whose bytes are written. */
  #applyDeferred(): void {
    const deferred = this.#deferred;
    const at = this.#deferredAt;
    if (deferred.length === 0) return;
    this.#deferred = [];
    this.#deferredAt = [];
    for (let i = 0; i < deferred.length; i++) {
      const w = deferred[i]!;
      w.result = w.request.apply(at[i]);
    }
  }

  /**
   * Durability 'none' or 'interval': an fdatasync of what is written so
   * far, started in libuv's thread pool and not waited for, so the disk
   * writes a bulk load's bytes while it goes on, and the roll's and the
   * final flush's syncs find little left to write (measured: ~20 ms and
   * ~35 ms of a 1M-put load spent in them). It promises nothing: a failure
   * fails the log as any failed fsync does (fsyncgate).
   */
  #startWriteBehind(segment: Segment): void {
    this.#unsynced = 0;
    const done: Promise<void> = segment.handle
      .sync()
      .catch((e: unknown) => void (this.#failed ??= e))
      .finally(() => {
        if (this.#writeBehind === done) this.#writeBehind = undefined;
      });
    this.#writeBehind = done;
  }

  async #syncActive(): Promise<void> {
    if (!this.#dirty || this.#failed !== undefined) return;
    this.#dirty = false;
    this.#unsynced = 0;
    this.syncCount++;
    this.#activeSyncs++;
    try {
      const handle = this.#active.handle;
      if (this.#o.syncThread === true && handle.syncOn) this.#syncThread ??= openSyncThread();
      await (this.#syncThread && handle.syncOn ? handle.syncOn(this.#syncThread) : handle.sync());
    } catch (e) {
      // The pages it covered may be marked clean and never written: a retry would succeed and lie.
      this.#failed ??= e;
      throw failedError(e);
    }
  }

  /**
   * The reopened active segment's zero fill, before its first write: the
   * map made over its shorter length is released first (the next read maps
   * the new length; nothing is truncated, so no read can fault).
   */
  async #fillActive(size: number): Promise<void> {
    this.#fillTo = undefined;
    this.#reads.release(this.#active);
    await extendWithZeros(this.#active, size);
  }

  /**
   * Seals the active segment (trim, fsync) and starts the next one from the
   * spare file; the sealed segment's hint is written in the background.
   */
  async #roll(): Promise<void> {
    const old = this.#active;
    this.#o.beforeSeal?.(old);
    // A write-behind sync of this segment still in flight ends first: once sealed, a cleaner run may close its file.
    await this.#writeBehind;
    await this.#syncActive();
    this.#reads.release(old);
    // The old segment's trim (a truncate and its fsync) and the next segment's
    // activation (header fsync, rename, directory fsync) touch different
    // files and both end before the manifest lists the next segment: their
    // fsyncs run side by side, one fsync less on the write queue per roll. A
    // crash between them leaves what a crash in either serial order leaves.
    const trimmed = trim(old);
    let next: Segment;
    try {
      next = await this.#nextSegment(old.nextOffset);
    } catch (e) {
      await trimmed.catch(() => undefined);
      throw e;
    }
    try {
      await trimmed;
      old.sealed = true;
      await this.#o.onSegmentCreated?.(next, this.lastTimestampMs);
    } catch (e) {
      next.handle.close();
      throw e;
    }
    this.segments.push(next);
    this.#byId.set(next.id, next);
    this.#active = next;
    this.#activeBytes = 0;
    this.#activeSyncs = 0;
    if (!(await this.#restoreAside(old))) {
      const sealing = this.#sealInBackground(old);
      if (!this.#background.detached) await sealing;
    }
    this.#o.onRoll?.();
  }

  /**
   * Whether the active segment's writes are made durable a few KB at a
   * time, where a spare's zero fill pays: an fdatasync over written space
   * is cheaper than one that also commits a new length (DESIGN.md: 0.08
   * against 0.11 ms for a 128 B write). Where each fdatasync covers a large
   * batch (a durable bulk load: ~1.3 MB a 10k-put batch) that saving is
   * lost in the data's own write, and the zero fill only doubles what the
   * disk is given (64 MiB of zeros for each 64 MiB of data): the next
   * segment then grows as it is written.
   */
  #smallWrites(): boolean {
    return this.#activeBytes < SPARE_BYTES_PER_SYNC * Math.max(1, this.#activeSyncs);
  }

  /** Starts preparing the next segment's file (named after the active one's: unique while it is active). */
  #prepareSpare(): void {
    const path = `${this.#active.path}.tmp`;
    const header = SegmentLog.#header(this.#o, this.#active.baseOffset);
    const spare: Spare = { path, ready: this.#background.prepareSegmentFile(path, header, this.#o.segmentSize), settled: false };
    // Taken by a roll once settled; a roll that comes before (compact()) makes the file itself.
    void spare.ready.then(
      () => (spare.settled = true),
      () => (spare.settled = true),
    );
    this.#spare = spare;
  }

  /**
   * The segment that follows at `baseOffset`: the spare when it was
   * prepared, else a file made now, its header alone, which grows as it is
   * written (below): a roll that comes before any spare (compact() soon
   * after open or after a roll) writes no segment's worth of zeros.
   */
  async #nextSegment(baseOffset: number): Promise<Segment> {
    const spare = this.#spare;
    // A spare still being filled is not waited for on the write queue: it is kept for the roll after this one (its temporary name is the sealed segment's, unique still).
    if (spare && !spare.settled && this.#background.detached) {
      return SegmentLog.createSegment(this.#o, this.#nextId++, baseOffset, 0);
    }
    this.#spare = undefined;
    if (spare && (await this.#spareReady(spare))) return SegmentLog.#activate(this.#o, spare.path, this.#nextId++, baseOffset);
    const next = await SegmentLog.createSegment(this.#o, this.#nextId++, baseOffset, 0);
    // Detached (the real file system): no zero fill on the write queue. The
    // segment grows as it is written, as with durability 'none' (each sync
    // then also commits the new length: ~0.03 ms more a group), and the
    // spare for the roll after it is prepared in the background as usual.
    // Filling it here cost the group after compact()'s roll ~50-80 ms (the
    // 'with compact()' row's max). Not detached, the roll waits for its
    // work anyway and the fill keeps the crash suites' segments preallocated.
    if (this.#preallocates && !this.#background.detached) this.#fillTo = this.#o.segmentSize;
    return next;
  }

  /** Whether the spare was prepared; if preparing it failed (no space, say), it is reported and removed, and the roll makes the file itself, which tells whether the log can go on. */
  async #spareReady(spare: Spare): Promise<boolean> {
    try {
      await spare.ready;
      return true;
    } catch (e) {
      this.#o.onBackgroundError?.(e);
      if (this.#o.io.exists(spare.path)) this.#o.io.unlink(spare.path);
      return false;
    }
  }

  /**
   * Runs `work` on sealed segments' files (a cleaner output's hint and
   * index, the removal of the files a run replaced) outside the write
   * queue; close and the cleaner wait for it (sealed()). Resolves when it
   * is started, or, on a file system that is not detached (the tests'
   * crashing one), when it is done. Its error is reported
   * (onBackgroundError); each caller's crash story covers work not done.
   */
  async beside(work: () => Promise<void>): Promise<void> {
    const done: Promise<void> = work()
      .catch((e: unknown) => this.#o.onBackgroundError?.(e))
      .finally(() => this.#sealing.delete(done));
    this.#sealing.add(done);
    if (!this.#background.detached) await done;
  }

  /** Writes the hint and index of sealed segment `id` again (they were found damaged), outside the write queue; nothing when the cleaner has replaced it since. */
  rewriteHint(id: number): void {
    const segment = this.#byId.get(id);
    if (segment?.sealed === true) void this.#sealInBackground(segment);
  }

  /** Writes the hint of `segment`, just sealed, outside the write queue; close and the cleaner wait for it (sealed()). */
  #sealInBackground(segment: Segment): Promise<void> {
    const { path, stem, baseOffset, nextOffset } = segment;
    const done: Promise<void> = this.#background
      .writeHint(this.#o.dir, { path, stem, baseOffset, nextOffset })
      .then(
        () => undefined,
        (e: unknown) => this.#o.onBackgroundError?.(e),
      )
      .finally(() => this.#sealing.delete(done));
    this.#sealing.add(done);
    return done;
  }
}

/** The next segment's file, being prepared under a temporary name. */
interface Spare {
  path: string;
  ready: Promise<void>;
  /** Set once `ready` has resolved or rejected. */
  settled: boolean;
}

/** Batches encoded for a segment, to be written from `position` on. */
interface Pending {
  segment: Segment;
  position: number;
  parts: Buffer[];
  bytes: number;
}

/** A hint and index moved to temporary names, and the segment length they cover. */
export interface SetAside {
  segment: number;
  hint: string;
  index: string;
  coveredLength: number;
  /** Found damaged by the load: removed, not put back. */
  damaged?: boolean;
}

function failedError(cause: unknown): LogkvError {
  if (cause instanceof LogkvError && (cause.code === 'IO' || cause.code === 'NO_SPACE')) return cause;
  return writeFailure(cause, 'a write or fsync of the log failed; reopen the store');
}

