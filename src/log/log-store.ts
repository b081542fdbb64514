// LogStore: the unbounded engine. A directory of log segments, an in-memory
// key directory (hash over typed arrays) pointing at the newest record of
// each key, group commit on the write path, recovery on open.
//
// Public methods validate their arguments and the store's state, then map
// onto two internal steps: queue a batch on the log (segment-log.ts) and
// look up the key directory. A get is a hash lookup and one positioned read
// of just that record.

import { join } from 'node:path';
import { backgroundFailure, LogkvError } from '../errors.js';
import { batchSize } from '../formats/log-segment-writer.js';
import { EXPIRY_SIZE, MAX_BATCH_LENGTH, MAX_KEY_LENGTH, MAX_RECORDS_PER_BATCH, MAX_VALUE_LENGTH, Op, RECORD_FIXED_SIZE } from '../formats/limits.js';
import { type FileIO, inlineSyncFileIO, nodeFileIO } from '../io/file-io.js';
import { DURABILITIES } from '../io/durability.js';
import type { LockFile } from '../io/lock-file.js';
import { KeySpace, prefixEnd } from './key-space.js';
import { segmentSizeOption } from './segment-file.js';
import { storePath } from './store-path.js';
import type { LogOpenReport, RecoveryMode } from './recovery.js';
import { type AppendedBatch, type AppendRequest, type Durability, type RecordToAppend, SegmentLog } from './segment-log.js';
import { BatchEncoding, type EncodedBatch, encodeOne, FIRST_RECORD, keyByteLength } from './encoded-batch.js';
import { Manifest, type ManifestView } from './manifest.js';
import { type LogHooks, type OpenedStore, openStore } from './opening.js';
import { capture, freeze, type Frozen, listSnapshot, snapshotDir, type SnapshotInfo, writeSnapshot } from './snapshots.js';
import { backgroundFiles } from './background-files.js';
import type { SnapshotStart } from './start-from-snapshot.js';
import { inspectStoreDir } from './store-dir.js';
import { addCounter, checkIncrement, encodeCounter, parseCounter } from './counters.js';
import { compactSealed, type CompactionResult, dirtyRatio } from './cleaner.js';
import { type BatchFeed, ChangeFeed, type FeedRun, type FeedSource, LogBatchFeed, type RawChange } from './change-feed.js';
import { ENCODINGS, valueCodec, type ValueCodec, type ValueEncodingName } from './value-codec.js';

export type { BatchFeed, CompactionResult, Durability, FeedRun, LogOpenReport, RecoveryMode, SnapshotInfo, SnapshotStart, ValueEncodingName };
export type Key = string | Uint8Array;

export interface LogStoreOptions {
  /** How values are given and returned; recorded in every segment header. Default 'binary'. */
  valueEncoding?: ValueEncodingName;
  /** Segments are preallocated to this size and rolled when full. Default 64 MiB; at most 2 GiB - 1 (Kafka's own limit). */
  segmentSize?: number;
  /** Largest value accepted (bytes after encoding); at most 256 MiB. */
  maxValueSize?: number;
  /** 'sync' (default): a write resolves after its fdatasync, shared by concurrent writers. */
  durability?: Durability;
  /** For durability 'interval'. Default 100 ms. */
  syncIntervalMs?: number;
  /** 'strict' (default) fails on corruption outside the newest segment's tail; 'salvage' skips it and reports it. */
  recovery?: RecoveryMode;
  /** Run the log cleaner by itself after a segment roll when the dirty ratio passes cleanerDirtyRatio. Default true. */
  autoCompact?: boolean;
  /**
   * Share of the sealed segments' bytes that is garbage before the cleaner
   * runs by itself; such a run rewrites the segments whose own share reaches
   * it. Default 0.5.
   */
  cleanerDirtyRatio?: number;
  /** How long the cleaner keeps a tombstone, so change-feed readers see the delete. Default 24 h. */
  tombstoneRetentionMs?: number;
  /** Snapshots kept; snapshot() drops the oldest beyond this. Default 2. */
  keepSnapshots?: number;
  /** Errors of background work (the cleaner, a sealed segment's hint); a file system's failure comes as a LogkvError (NO_SPACE, IO, ...). Default: a process warning. */
  onBackgroundError?: (error: unknown) => void;
  /**
   * Run each fdatasync on the JavaScript thread: the event loop stops for
   * every sync (on a disk whose sync takes milliseconds, keep the default).
   * By default the syncs writers wait for run on a thread of the store's own
   * (syncThreadAvailable(); libuv's thread pool without the addon). Group
   * commit is unchanged. Default false; not with `io`.
   */
  syncOnMainThread?: boolean;
  /**
   * Open without taking the lock and write nothing: for tools and second
   * processes reading a store another process may be writing. Every write
   * is refused (READ_ONLY), and an open that would have to repair
   * something (a torn tail to cut, a damaged manifest) fails with
   * NEEDS_RECOVERY. Default false.
   */
  readOnly?: boolean;
  /**
   * Read sealed segments from read-only memory maps, so a get makes no system
   * call (README, "Reads"). Needs the optional addon built at install
   * (mmapAvailable()); without it, or with false, every get is a pread.
   * Never for a read-only store. Default true.
   */
  mmap?: boolean;
  /**
   * Open as a follower's copy of another store (logkv/replication
   * follow()): writes of its own are refused (READ_ONLY), and
   * applyReplicated() adds its leader's writes at the leader's offsets. A
   * store holding writes of its own cannot be opened so (NOT_A_FOLLOWER).
   * Default false.
   */
  follower?: boolean;
  /** Make the store when the directory is missing or empty. Default true; false: NOT_FOUND instead. */
  createIfMissing?: boolean;
  /**
   * 'background' (default): open reads no key of a segment whose hint and
   * index check out by their headers; gets search those segments' index
   * files until their keys are in memory, which happens in small steps
   * after open (README, "Opening"). Ranges, counts, the cleaner and
   * snapshots load every key first. 'before-open': every key is loaded
   * before open resolves.
   */
  loadKeys?: 'background' | 'before-open';
  /** Clock for timestamps and expiry. */
  now?: () => number;
  io?: FileIO;
}

export interface WriteOptions {
  /** Time to live from now, in ms. */
  ttlMs?: number;
  /** Absolute expiry, ms since the epoch. */
  expireAt?: number;
}

export interface RangeQuery {
  gt?: Key;
  gte?: Key;
  lt?: Key;
  lte?: Key;
  /** Only keys starting with these bytes (overrides gt/gte/lt/lte). */
  prefix?: Key;
  reverse?: boolean;
  limit?: number;
}

export interface ChangesOptions {
  /** First offset wanted. Default: the oldest the log holds (logStartOffset). */
  from?: number;
  /** Keep waiting for new writes once caught up (default true); false ends at the newest acknowledged one. */
  follow?: boolean;
}

/** One write as the change feed delivers it. */
export interface Change<V> {
  offset: number;
  key: Buffer;
  /** The value written; undefined for a delete. */
  value: V | undefined;
  tombstone: boolean;
  /** When the write's batch was logged, ms since the epoch. */
  timestamp: number;
  expireAt?: number | undefined;
  /**
   * True for the last record the feed delivers of its batch: a batch was
   * written all or nothing, and a reader that applies the changes elsewhere
   * (a follower) keeps that by applying up to here at once.
   */
  lastInBatch: boolean;
}

/**
 * Writes of a leader store as its follower applies them (applyReplicated):
 * one batch of the leader's log, or the part of it its change feed still
 * delivered, with the leader's offsets and timestamp.
 */
export interface ReplicatedBatch {
  /** The leader's store id (its storeId). */
  leader: string;
  /** The timestamp of the leader's batch. */
  timestampMs: number;
  /** In offset order, strictly increasing; value undefined for a delete. Value bytes as the leader stored them. */
  records: ReadonlyArray<{ offset: number; key: Uint8Array; value: Uint8Array | undefined; expireAt?: number | undefined }>;
}

export type BatchOperation<V> =
  | ({ type: 'put'; key: Key; value: V } & WriteOptions)
  | { type: 'del'; key: Key };

/**
 * A position in a range of keys that moves forward (or back, with reverse)
 * and can jump (abstract-level iterators). It is live, not a snapshot: it
 * follows the key order as it is at each step (ordered-index.ts, range()).
 */
export interface Cursor<V> {
  /** The next live entry, or undefined at the end of the range (or the limit). */
  next(): [Buffer, V] | undefined;
  nextKey(): Buffer | undefined;
  nextValue(): V | undefined;
  /** The next step returns the first key at or after `target` (at or before, in reverse) within the range. */
  seek(target: Key): void;
  close(): void;
}

const EMPTY = new Uint8Array(0);
/** A clear() deletes in batches of at most this many keys, or this many bytes of records, so it never holds the write queue for long. */
const CLEAR_BATCH_KEYS = 10_000;
const CLEAR_BATCH_BYTES = 4 * 1024 * 1024;

/** The live record of a key as a conditional write sees it. */
interface Current {
  value: Uint8Array;
  expireAtMs: number | undefined;
}

export class LogStore<V = unknown> {
  readonly openReport: LogOpenReport;
  readonly dir: string;
  readonly valueEncoding: ValueEncodingName;
  readonly #log: SegmentLog;
  readonly #space: KeySpace;
  readonly #keys: KeySpace['directory'];
  /** True when opened with readOnly: no lock taken, every write refused with READ_ONLY. */
  readonly readOnly: boolean;
  /** True when opened with follower: only applyReplicated() writes; false again once promote() resolved. */
  #follower: boolean;
  readonly #lock: LockFile | undefined;
  readonly #manifest: ManifestView;
  /** The manifest to write to; undefined for a read-only open. */
  readonly #writable: Manifest | undefined;
  readonly #storeId: string | undefined;
  readonly #now: () => number;
  readonly #maxValueSize: number;
  readonly #codec: ValueCodec<V>;
  readonly #io: FileIO;
  readonly #o: CheckedOptions;
  /** The highest generation in a segment name so far; each cleaner run takes the next (from the manifest at open). */
  #cleanerRun: number;
  /** Maintenance (cleaner, snapshots) runs one task at a time, in this chain. */
  #maintenance: Promise<unknown> = Promise.resolve();
  #maintenanceBusy = false;
  /**
   * A roll's cue to the cleaner came while it could not be taken (keys
   * loading, maintenance running): the end of either gives it again.
   */
  #cueHeld = false;
  /**
   * Checks the load of the keys took to run later, by segment id: the
   * batches of the newest segment open deferred (deferred-load.ts,
   * checkLater). #loadInBackground runs them once every key is in and no
   * maintenance task is under way; one whose segment a cleaner run has
   * replaced by then is dropped: that run read and checked every batch it
   * kept a record of, and the rest went with the file.
   */
  readonly #owedChecks = new Map<number, () => void>();
  /** Settles when the keys open deferred are all in memory (#loadInBackground). */
  readonly #loaded: Promise<void>;
  /** One past the newest acknowledged offset, for the change feed. */
  #committed: number;
  #feedWaiters: Array<() => void> = [];
  #closed = false;
  /** The manifest write recording a follower's leader, shared by the applies that wait for it. */
  #adoptingLeader: Promise<void> | undefined;

  private constructor(init: OpenedStore & { dir: string; io: FileIO; options: CheckedOptions }) {
    this.dir = init.dir;
    this.#log = init.log;
    this.#space = init.space;
    this.#keys = init.space.directory;
    this.#lock = init.lock;
    this.#manifest = init.manifest;
    this.#writable = init.manifest instanceof Manifest ? init.manifest : undefined;
    this.readOnly = init.options.readOnly;
    this.#follower = init.options.follower;
    this.#storeId = init.storeId;
    this.#now = init.options.now;
    this.valueEncoding = init.valueEncoding;
    this.#codec = valueCodec<V>(init.valueEncoding);
    this.#maxValueSize = init.options.maxValueSize;
    this.openReport = init.report;
    this.#io = init.io;
    this.#o = init.options;
    this.#cleanerRun = init.manifest.generation;
    this.#committed = init.log.nextOffset;
    if (init.space.loading) {
      // What open reports as its key count, counted when asked: the keys of deferred segments load first.
      const report = this.openReport;
      let keys: number | undefined;
      Object.defineProperty(report, 'keys', {
        enumerable: true,
        get: () => {
          if (keys === undefined && !this.#closed) {
            try {
              this.#space.complete();
              keys = this.#keys.size;
            } catch {
              // Damage the load met: reported by the load itself (whenLoaded, onBackgroundError), never by reading a report.
            }
          }
          return keys ?? this.#keys.size;
        },
      });
    }
    // Hints and indexes the load found damaged are written again as soon as it ends, before a cleaner run can replace their segments.
    if (!this.readOnly) init.space.onLoaded((rewrite) => rewrite.forEach((id) => this.#log.rewriteHint(id)));
    this.#loaded = this.#loadInBackground();
    // Failures reach onBackgroundError; whenLoaded() hands them to whoever asks.
    this.#loaded.catch(() => undefined);
  }

  /**
   * Opens the store in directory `dirOrName` (or under LOGKV_DIR for a bare
   * name, store-path.ts), creating it when the directory is missing or
   * empty. A directory that holds anything else and is not a store is
   * refused (NOT_A_STORE) and left as it was; so is every open that fails
   * for any other reason (opening.ts).
   */
  static async open<V = unknown>(dirOrName: string, options: LogStoreOptions = {}): Promise<LogStore<V>> {
    const dir = storePath(dirOrName);
    const o = checkOptions(options);
    const io = options.io ?? (o.syncOnMainThread ? inlineSyncFileIO : nodeFileIO);
    let opened: LogStore<V> | undefined;
    const hooks: LogHooks = {
      onRoll: () => {
        if (opened) opened.#afterRoll();
      },
      onCommit: (nextOffset) => {
        if (opened) opened.#afterCommit(nextOffset);
      },
      onBackgroundError: (error) => {
        if (opened) opened.#backgroundError(error);
      },
      checkLater: (segment, check) => {
        if (opened) opened.#owedChecks.set(segment, check);
        else check();
      },
    };
    const parts = await openStore(dir, { ...o, valueEncoding: options.valueEncoding }, io, hooks);
    opened = new LogStore<V>({ dir, ...parts, io, options: o });
    if (o.follower && parts.manifest.leader === undefined && opened.nextOffset > 0) {
      await opened.close();
      throw new LogkvError('NOT_A_FOLLOWER', `the store at ${dir} holds writes of its own (up to offset ${opened.nextOffset - 1}): a follower starts empty`);
    }
    return opened;
  }

  /** Whether a store lives in directory `dirOrName` (its IDENTITY, or for an older store its manifest, is there). Creates nothing. */
  static exists(dirOrName: string, io: FileIO = nodeFileIO): boolean {
    try {
      return inspectStoreDir(io, storePath(dirOrName)).kind === 'store';
    } catch (e) {
      if (e instanceof LogkvError && e.code === 'NOT_A_DIRECTORY') return false;
      // A damaged IDENTITY is still a store's (open says what is wrong with it).
      if (e instanceof LogkvError && e.code === 'CORRUPT') return true;
      throw e;
    }
  }

  /** The store's id (32 hex digits, from its IDENTITY file); undefined only for a read-only open of a store made before IDENTITY existed. */
  get storeId(): string | undefined {
    return this.#storeId;
  }

  // ---- reads -------------------------------------------------------------

  /** The value of `key`, or undefined when absent or expired. */
  get(key: Key): V | undefined {
    const id = this.#lookup(key);
    return id < 0 ? undefined : this.#read(id);
  }

  #read(id: number): V {
    const value = this.#readValue(id);
    // The value is already a copy of its own: a binary store hands it out as it is.
    return this.valueEncoding === 'binary' ? (value as V) : this.#codec.decode(value);
  }

  /** The value bytes of entry `id`, CRC-checked, in a Buffer of their own (SegmentLog.readValue). */
  #readValue(id: number): Buffer {
    const k = this.#keys;
    return this.#log.readValue(this.#log.segment(k.segmentOf(id)), k.positionOf(id), k.sizeOf(id));
  }

  /** The key's live value bytes and expiry, or undefined when absent or expired. */
  #current(key: Uint8Array): Current | undefined {
    const id = this.#find(key);
    return id < 0 ? undefined : { value: this.#readValue(id), expireAtMs: this.#keys.expireAtOf(id) };
  }

  has(key: Key): boolean {
    return this.#lookup(key) >= 0;
  }

  /** Keys in byte order, within a range or under a prefix; expired keys are skipped. */
  *keys(options: RangeQuery = {}): IterableIterator<Buffer> {
    for (const id of this.#range(options)) yield Buffer.from(this.#keys.keyOf(id));
  }

  /** [key, value] pairs in byte order of the keys, like keys(). */
  *entries(options: RangeQuery = {}): IterableIterator<[Buffer, V]> {
    for (const id of this.#range(options)) yield [Buffer.from(this.#keys.keyOf(id)), this.#read(id)];
  }

  *#range(options: RangeQuery): IterableIterator<number> {
    this.#checkOpen();
    const limit = limitOf(options.limit);
    let n = 0;
    for (const id of this.#space.range(boundsOf(options))) {
      if (n >= limit) return;
      if (this.#expired(id)) continue;
      n++;
      yield id;
    }
  }

  #expired(id: number): boolean {
    const expireAt = this.#keys.expireAtOf(id);
    return expireAt !== undefined && expireAt <= this.#now();
  }

  /** A cursor over a range, like keys() but with seek (see Cursor). Expired keys are skipped. */
  cursor(options: RangeQuery = {}): Cursor<V> {
    this.#checkOpen();
    const ids = this.#space.range(boundsOf(options));
    let remaining = limitOf(options.limit);
    const step = (): number => {
      this.#checkOpen();
      while (remaining > 0) {
        const r = ids.next();
        if (r.done === true) return -1;
        if (this.#expired(r.value)) continue;
        remaining--;
        return r.value;
      }
      ids.return();
      return -1;
    };
    return {
      next: () => {
        const id = step();
        return id < 0 ? undefined : [Buffer.from(this.#keys.keyOf(id)), this.#read(id)];
      },
      nextKey: () => {
        const id = step();
        return id < 0 ? undefined : Buffer.from(this.#keys.keyOf(id));
      },
      nextValue: () => {
        const id = step();
        return id < 0 ? undefined : this.#read(id);
      },
      seek: (target) => ids.seek(toKeyBytes(target)),
      close: () => void ids.return(),
    };
  }

  /** Live keys (expired ones included until a read or compaction notices them). */
  count(): number {
    this.#checkOpen();
    this.#space.complete();
    return this.#keys.size;
  }

  #lookup(key: Key): number {
    this.#checkOpen();
    return this.#find(toKeyBytes(key));
  }

  /** The live id of `key`, or -1 when absent or expired. Also used by queued writes, which may run during close. */
  #find(key: Uint8Array): number {
    const id = this.#space.lookup(key);
    if (id < 0) return -1;
    const expireAt = this.#keys.expireAtOf(id);
    return expireAt !== undefined && expireAt <= this.#now() ? -1 : id;
  }

  // ---- writes ------------------------------------------------------------

  // Plain writes are encoded here, at the call (encoded-batch.ts): checked, then copied into the batch's bytes.
  // put() and delete() are not async functions: a bad argument still rejects (never throws), but a
  // put makes one promise, the log's, not three (the collector's work per put is the latency tail).

  put(key: Key, value: V, options?: WriteOptions): Promise<void> {
    try {
      this.#checkWritable();
      const keyLength = keyByteLength(key);
      const encoded = this.#codec.encode(value);
      const expireAtMs = options === undefined ? undefined : this.#expiry(options);
      return this.#appendEncoded(encodeOne(Op.Put, key, keyLength, this.#checkValueSize(encoded), expireAtMs));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  delete(key: Key): Promise<void> {
    try {
      this.#checkWritable();
      return this.#appendEncoded(encodeOne(Op.Delete, key, keyByteLength(key), undefined, undefined));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Applies every operation or none, after a crash too: one log batch. */
  async batch(operations: ReadonlyArray<BatchOperation<V>>): Promise<void> {
    if (!Array.isArray(operations)) throw new LogkvError('INVALID_ARGUMENT', 'batch takes an array of operations');
    const n = operations.length;
    if (n === 0) return;
    // The format's bounds on a batch (here and in finish()), checked so the write loop never meets them.
    if (n > MAX_RECORDS_PER_BATCH) throw new LogkvError('TOO_LARGE', `a batch holds at most ${MAX_RECORDS_PER_BATCH} operations`);
    const batch = new BatchEncoding(n);
    for (let i = 0; i < n; i++) {
      const op = operations[i];
      const type = op?.type;
      if (type === 'put') {
        this.#checkWritable();
        const keyLength = keyByteLength(op!.key);
        const o = op as { type: 'put'; key: Key; value: V } & WriteOptions;
        const value = this.#codec.encode(o.value);
        const expireAtMs = o.ttlMs === undefined && o.expireAt === undefined ? undefined : this.#expiry(o);
        batch.add(Op.Put, o.key, keyLength, this.#checkValueSize(value), expireAtMs);
      } else if (type === 'del') {
        this.#checkWritable();
        batch.add(Op.Delete, op!.key, keyByteLength(op!.key), undefined, undefined);
      } else {
        throw new LogkvError('INVALID_ARGUMENT', `unknown batch operation type ${String(type)}`);
      }
    }
    await this.#appendEncoded(batch.finish());
  }

  /** `bytes`, a value's, when within maxValueSize. */
  #checkValueSize(bytes: Uint8Array): Uint8Array {
    if (bytes.length > this.#maxValueSize) throw new LogkvError('TOO_LARGE', `value of ${bytes.length} bytes is over the maximum of ${this.#maxValueSize}`);
    return bytes;
  }

  /**
   * Deletes every live key in the range (with limit: the first `limit` of
   * them in the range's order) as of the moment the clear reaches the head
   * of the write queue: writes called before clear() are cleared, writes
   * called after it are kept, even those that land between its batches
   * (a key whose record is newer than the clear's start is passed over).
   * The deletes go out in batches of at most 10,000 keys, each all or
   * nothing; the clear as a whole is not atomic. Resolves with the number
   * of keys deleted.
   */
  async clear(options: RangeQuery = {}): Promise<number> {
    this.#checkWritable();
    const bounds = boundsOf(options);
    let remaining = limitOf(options.limit);
    /** Offsets from here on were written after the clear began. */
    let startOffset = -1;
    let resumeAt: Uint8Array | undefined;
    let deleted = 0;
    for (let more = true; more; ) {
      more = false;
      await this.#append(() => {
        if (startOffset < 0) startOffset = this.#log.nextOffset;
        const ids = this.#space.range(bounds);
        if (resumeAt !== undefined) ids.seek(resumeAt);
        const records: RecordToAppend[] = [];
        let bytes = 0;
        for (const id of ids) {
          if (remaining <= 0) break;
          if (this.#keys.offsetOf(id) >= startOffset || this.#expired(id)) continue;
          if (records.length >= CLEAR_BATCH_KEYS || bytes >= CLEAR_BATCH_BYTES) {
            more = true;
            break;
          }
          const key = Buffer.from(this.#keys.keyOf(id));
          records.push({ op: Op.Delete, key, value: EMPTY });
          bytes += RECORD_FIXED_SIZE + key.length;
          remaining--;
        }
        resumeAt = records.at(-1)?.key ?? resumeAt;
        deleted += records.length;
        return records;
      });
    }
    return deleted;
  }

  // ---- conditional writes ------------------------------------------------
  //
  // Each one decides in SegmentLog's `prepare` step, which runs in queue
  // order after every earlier write was applied, so concurrent calls see one
  // another (no lost update), and each logs only the plain put or delete it
  // results in: replay after a crash never re-runs the logic.

  /**
   * Adds `by` (default 1) to the counter at `key` (absent counts as 0) and
   * resolves with the new value. The counter is a signed 64-bit integer
   * stored as decimal digits. Without ttlMs/expireAt the key keeps its expiry.
   */
  async incr(key: Key, by: number | bigint = 1, options: WriteOptions = {}): Promise<bigint> {
    this.#checkWritable();
    const keyBytes = checkKey(key);
    const delta = checkIncrement(by);
    const expireAtMs = this.#expiry(options);
    const name = describeKey(keyBytes);
    let result = 0n;
    await this.#append(() => {
      const current = this.#current(keyBytes);
      result = addCounter(current ? parseCounter(current.value, name) : 0n, delta, name);
      return [this.#valueRecord(keyBytes, encodeCounter(result), expireAtMs ?? current?.expireAtMs)];
    });
    return result;
  }

  /** incr by -by. */
  async decr(key: Key, by: number | bigint = 1, options: WriteOptions = {}): Promise<bigint> {
    return this.incr(key, -checkIncrement(by), options);
  }

  /** Puts only when `key` is absent (or expired); resolves true when it wrote. */
  async setIfAbsent(key: Key, value: V, options: WriteOptions = {}): Promise<boolean> {
    const record = this.#putRecord(key, value, options);
    return this.#appendIf(() => (this.#current(record.key) === undefined ? [record] : undefined));
  }

  /**
   * Sets `key` to `next` (or deletes it when `next` is undefined) only when its
   * value is now `expected` (undefined: absent), compared as encoded bytes.
   * Resolves true when the value matched and the write was made.
   */
  async compareAndSet(key: Key, expected: V | undefined, next: V | undefined, options: WriteOptions = {}): Promise<boolean> {
    const record = next === undefined ? this.#deleteRecord(key) : this.#putRecord(key, next, options);
    const want = expected === undefined ? undefined : this.#codec.encode(expected);
    let matched = false;
    await this.#append(() => {
      const current = this.#current(record.key);
      matched = want === undefined ? current === undefined : current !== undefined && Buffer.compare(current.value, want) === 0;
      // Deleting a key that is already absent needs no record.
      return matched && !(next === undefined && current === undefined) ? [record] : undefined;
    });
    return matched;
  }

  /**
   * Takes the lock `key` for `owner` for `ttlMs`: resolves true when the key
   * was free (absent or expired) or already held by `owner` (then the lock
   * is renewed), false when another owner holds it. The key's value is the
   * owner, so `get(key)` shows who holds it.
   */
  async lock(key: Key, owner: string, ttlMs: number): Promise<boolean> {
    const record = this.#lockRecord(key, owner, ttlMs);
    return this.#appendIf(() => {
      const current = this.#current(record.key);
      return current === undefined || Buffer.compare(current.value, record.value) === 0 ? [record] : undefined;
    });
  }

  /** Releases the lock `key` if `owner` holds it; resolves true when it did. */
  async unlock(key: Key, owner: string): Promise<boolean> {
    const ownerBytes = this.#ownerBytes(owner);
    const record = this.#deleteRecord(key);
    return this.#appendIf(() => (this.#holds(record.key, ownerBytes) ? [record] : undefined));
  }

  /** Moves the expiry of a lock `owner` holds to `ttlMs` from now; false when it does not hold it. */
  async extendLock(key: Key, owner: string, ttlMs: number): Promise<boolean> {
    const record = this.#lockRecord(key, owner, ttlMs);
    return this.#appendIf(() => (this.#holds(record.key, record.value) ? [record] : undefined));
  }

  #holds(key: Uint8Array, owner: Uint8Array): boolean {
    const current = this.#current(key);
    return current !== undefined && Buffer.compare(current.value, owner) === 0;
  }

  #lockRecord(key: Key, owner: string, ttlMs: number): RecordToAppend {
    this.#checkWritable();
    const keyBytes = checkKey(key);
    const ownerBytes = this.#ownerBytes(owner);
    return this.#valueRecord(keyBytes, ownerBytes, this.#expiry({ ttlMs }));
  }

  #ownerBytes(owner: string): Uint8Array {
    if (typeof owner !== 'string' || owner.length === 0) throw new LogkvError('INVALID_ARGUMENT', 'a lock owner is a non-empty string');
    return this.#codec.encodeText(owner);
  }

  /** Queues a write whose prepare may decide to write nothing; resolves whether it wrote. */
  #appendIf(prepare: () => RecordToAppend[] | undefined): Promise<boolean> {
    this.#checkWritable();
    return this.#log.append({
      prepare,
      apply: (b) => {
        this.#applyBatch(b);
        return b !== undefined;
      },
    });
  }

  // ---- replication -------------------------------------------------------

  /** True while the store is a follower's copy (opened with follower, not promoted): only applyReplicated() writes. */
  get follower(): boolean {
    return this.#follower;
  }

  /**
   * Turns a follower's copy into a store of its own, which goes on at the
   * next offset (logkv/replication's promote()): after every batch applied
   * before the call, the manifest forgets the leader (durably, so a
   * reopened store is no follower either and follow() refuses it), and
   * writes are taken from then on. NOT_A_FOLLOWER for a store that is none.
   */
  async promote(): Promise<void> {
    this.#checkMaintainable();
    if (!this.#follower) throw new LogkvError('NOT_A_FOLLOWER', `the store at ${this.dir} is not a follower`);
    // In the write queue: after every replicated batch handed over before.
    await this.#log.append({ prepare: () => undefined, apply: () => undefined });
    await this.#log.flush();
    await this.#manifestForWrites.forgetLeader();
    this.#follower = false;
  }

  /** The store id of the leader whose writes this follower applies; undefined before its first (and for a store that is no follower). */
  get leader(): string | undefined {
    return this.#manifest.leader;
  }

  /**
   * Appends a leader's batch at the leader's offsets and timestamp, as one
   * batch of this log: all or nothing after a crash, like the leader's.
   * For logkv/replication's follower: refused (NOT_A_FOLLOWER) unless the
   * store was opened with `follower: true`. The first call records the
   * leader in the manifest (durably, before its batch is written); a batch
   * of another leader is WRONG_LEADER. Offsets must lie past every offset
   * applied so far (INVALID_ARGUMENT), and the batch's records within the
   * format's limits (TOO_LARGE); a refused batch writes nothing. Resolves
   * once durable, per the durability mode; calls made without waiting share
   * one fsync, in call order.
   */
  async applyReplicated(batch: ReplicatedBatch): Promise<void> {
    this.#checkOpen();
    if (!this.#follower) throw new LogkvError('NOT_A_FOLLOWER', `the store at ${this.dir} is not a follower (opened without follower, or promoted)`);
    const records = replicatedRecords(batch, this.#maxValueSize);
    if (this.#manifest.leader === undefined) await (this.#adoptingLeader ??= this.#manifestForWrites.setLeader(batch.leader));
    if (this.#manifest.leader !== batch.leader) {
      throw new LogkvError('WRONG_LEADER', `the store at ${this.dir} follows store ${String(this.#manifest.leader)}, not ${batch.leader}`);
    }
    const first = records[0]!.offset!;
    await this.#log.append({
      prepare: () => {
        // In queue order: after every batch applied before this one.
        if (first < this.#log.nextOffset) {
          throw new LogkvError('INVALID_ARGUMENT', `a replicated batch at offset ${first} is not past this store's newest offset ${this.#log.nextOffset - 1}`);
        }
        return records;
      },
      apply: (b) => this.#applyBatch(b),
      plain: true,
      timestampMs: batch.timestampMs,
    });
  }

  // ---- change feed ---------------------------------------------------------

  /** The offset the next write will get. */
  get nextOffset(): number {
    return this.#log.nextOffset;
  }

  /** The oldest offset whose history the log holds (above 0 only for a store begun from a snapshot). */
  get logStartOffset(): number {
    return this.#manifest.logStartOffset;
  }

  /**
   * Every write from offset `from` on, in offset order, as acknowledged
   * writes happen (Kafka consumer style); ends when the store closes, or
   * with `follow: false` once caught up. Records the cleaner removed are
   * skipped; tombstones stay for tombstoneRetentionMs. An offset below
   * logStartOffset is OUT_OF_RANGE.
   */
  changes(options: ChangesOptions = {}): AsyncIterableIterator<Change<V>> {
    return this.#feed(options, (c) => ({ ...c, value: c.value === undefined ? undefined : this.#codec.decode(c.value) }));
  }

  /** changes(), with each value as the bytes the log holds, whatever the value encoding (a mirror ships those). */
  storedChanges(options: ChangesOptions = {}): AsyncIterableIterator<Change<Buffer>> {
    return this.#feed(options, (c) => c);
  }

  /**
   * The log's batches from offset `from` on (default: logStartOffset), as
   * the bytes the log holds them in, each checked by its CRC: what a
   * mirror ships (logkv/replication), with no object per record. Follows
   * new writes like changes(); OUT_OF_RANGE below logStartOffset.
   */
  storedBatches(options: { from?: number } = {}): BatchFeed {
    return new LogBatchFeed(this.#feedSource(options.from), options.from ?? this.logStartOffset);
  }

  #feed<T>(options: ChangesOptions, decode: (c: RawChange) => T): AsyncIterableIterator<T> {
    const source = this.#feedSource(options.from);
    return new ChangeFeed(source, options.from ?? this.logStartOffset, options.follow ?? true, decode);
  }

  /** What a feed from `from` reads (checked against the log's start). */
  #feedSource(from: number | undefined): FeedSource {
    this.#checkOpen();
    const start = this.logStartOffset;
    from ??= start;
    if (!Number.isSafeInteger(from) || from < 0) throw new LogkvError('INVALID_ARGUMENT', `from must be a non-negative integer offset, not ${String(from)}`);
    if (from < start) {
      throw new LogkvError('OUT_OF_RANGE', `offset ${from} is older than the oldest this store holds the history of (${start}): it began from a snapshot at ${start}`);
    }
    const source: FeedSource = {
      segments: () => this.#log.segments,
      isLive: (id) => this.#log.isLive(id),
      committed: () => this.#committed,
      changed: () => new Promise<void>((resolve) => (this.#closed ? resolve() : this.#feedWaiters.push(resolve))),
      closed: () => this.#closed,
    };
    return source;
  }

  #afterCommit(nextOffset: number): void {
    this.#committed = nextOffset;
    this.#wakeFeeds();
  }

  #wakeFeeds(): void {
    const waiters = this.#feedWaiters;
    this.#feedWaiters = [];
    for (const w of waiters) w();
  }

  // ---- maintenance ---------------------------------------------------------

  /**
   * Seals the active segment and runs the log cleaner now over every sealed
   * segment that holds garbage or records with an expiry (cleaner-choice.ts);
   * resolves with the bytes before and after. Writes go on meanwhile.
   */
  async compact(): Promise<CompactionResult> {
    this.#checkMaintainable();
    return this.#exclusive(async () => {
      // Seal the active segment, in the write queue, so the run covers every write so far.
      await this.#log.append({ prepare: () => undefined, apply: () => undefined, roll: true });
      return this.#compactNow(0);
    });
  }

  /** Share of the sealed segments' bytes that no live key needs. */
  dirtyRatio(): number {
    this.#checkOpen();
    this.#space.complete();
    return dirtyRatio(this.#log, this.#space);
  }

  /**
   * Writes a consistent point-in-time snapshot (formats/snapshot.ksy) of the
   * live state under snapshots/, while writes go on; keeps the newest
   * `keepSnapshots`. The same state always gives the same bytes.
   */
  async snapshot(): Promise<SnapshotInfo> {
    this.#checkMaintainable();
    return this.#exclusive(async () => {
      let frozen: Frozen | undefined;
      // In the write queue: after every earlier write was applied, before any later one.
      await this.#log.append({
        prepare: () => {
          this.#space.complete();
          frozen = freeze(this.#space, this.#log, this.#now());
          return undefined;
        },
        apply: () => undefined,
      });
      // What the snapshot stands for must be in the log durably before the snapshot is listed.
      await this.#log.flush();
      const captured = await capture(frozen!, backgroundFiles(this.#io), () => this.#log.writesWaiting);
      const info = await writeSnapshot(this.#io, this.dir, this.#log, captured, ENCODINGS[this.valueEncoding]);
      await listSnapshot(this.#io, this.dir, this.#manifestForWrites, info, this.#o.keepSnapshots);
      return info;
    });
  }

  /** Snapshots the manifest lists, oldest first. */
  snapshots(): Array<{ path: string; nextOffset: number }> {
    this.#checkOpen();
    return this.#manifest.snapshots().map((s) => ({ path: join(snapshotDir(this.dir), s.file), nextOffset: s.nextOffset }));
  }

  /** Runs the cleaner over the sealed segments whose garbage share is above 0 and at least `minGarbageShare`. */
  #compactNow(minGarbageShare: number): Promise<CompactionResult> {
    // The cleaner judges segments by their live bytes: every key must be counted.
    this.#space.complete();
    return compactSealed({
      io: this.#io,
      dir: this.dir,
      log: this.#log,
      space: this.#space,
      manifest: this.#manifestForWrites,
      valueEncoding: ENCODINGS[this.valueEncoding],
      segmentSize: this.#o.segmentSize,
      now: this.#now,
      tombstoneRetentionMs: this.#o.tombstoneRetentionMs,
      snapshotOffsets: this.#manifest.snapshots().map((s) => s.nextOffset),
      run: ++this.#cleanerRun,
      minGarbageShare,
    });
  }

  /** Runs `task` after every maintenance task queued before it. */
  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#maintenance.catch(() => undefined).then(async () => {
      this.#maintenanceBusy = true;
      try {
        return await task();
      } finally {
        this.#maintenanceBusy = false;
        // A roll's cue that came while this ran: the segments it sealed may be dirty enough now.
        this.#giveHeldCue();
      }
    });
    this.#maintenance = run;
    return run;
  }

  /** A segment was sealed: the cleaner's cue. Runs it in the background when the sealed log is dirty enough. */
  #afterRoll(): void {
    if (!this.#o.autoCompact) return;
    // Live bytes are not all counted while keys load; a running task may be the cleaner itself.
    if (this.#space.loading || this.#maintenanceBusy) {
      this.#cueHeld = true;
      return;
    }
    setImmediate(() => {
      if (this.#closed) return;
      if (this.#maintenanceBusy) {
        this.#cueHeld = true;
        return;
      }
      if (dirtyRatio(this.#log, this.#space) < this.#o.cleanerDirtyRatio) return;
      this.#exclusive(() => this.#compactNow(this.#o.cleanerDirtyRatio)).catch((e: unknown) => this.#backgroundError(e));
    });
  }

  /** The cleaner's cue #afterRoll held, given now that what held it has ended. */
  #giveHeldCue(): void {
    if (!this.#cueHeld) return;
    this.#cueHeld = false;
    this.#afterRoll();
  }

  #backgroundError(error: unknown): void {
    const e = backgroundFailure(error, this.dir);
    if (this.#o.onBackgroundError) this.#o.onBackgroundError(e);
    else process.emitWarning(`logkv: background work on ${this.dir} failed: ${e instanceof Error ? e.message : String(e)}`);
  }

  /** Makes every write so far durable (for 'interval' and 'none'). */
  async flush(): Promise<void> {
    this.#checkOpen();
    if (this.readOnly) return;
    await this.#log.flush();
  }

  /** True while the keys of segments open deferred are still loading (gets search their indexes meanwhile). */
  get loading(): boolean {
    return this.#space.loading;
  }

  /** Resolves once every key is in memory (at once when nothing was deferred); rejects if the load fails. */
  whenLoaded(): Promise<void> {
    this.#checkOpen();
    return this.#loaded;
  }

  /**
   * Loads the deferred segments a step at a time, each step a turn of the
   * event loop (setImmediate), so gets and writes go on between steps.
   */
  #loadInBackground(): Promise<void> {
    if (!this.#space.loading) return Promise.resolve();
    const loaded = new Promise<void>((resolve, reject) => {
      const step = () => {
        try {
          if (this.#closed) return resolve();
          if (!this.#space.loadStep()) return void setImmediate(step);
        } catch (e) {
          this.#backgroundError(e);
          return reject(e instanceof Error ? e : new Error(String(e)));
        }
        this.#giveHeldCue();
        resolve();
      };
      setImmediate(step);
    });
    return loaded.then(() => this.#runOwedChecks());
  }

  /** The checks the load left for later (#owedChecks), once no maintenance task runs: of the segments still in the log. */
  async #runOwedChecks(): Promise<void> {
    while (this.#owedChecks.size > 0 && !this.#closed) {
      const busy = this.#maintenance;
      await busy.catch(() => undefined);
      // A task queued meanwhile runs first: it may replace the segments too.
      if (this.#maintenance !== busy) continue;
      for (const [id, check] of this.#owedChecks) {
        this.#owedChecks.delete(id);
        if (!this.#log.isLive(id)) continue;
        try {
          check();
        } catch (e) {
          this.#backgroundError(e);
          throw e;
        }
      }
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wakeFeeds();
    try {
      // A cleaner run or snapshot under way finishes first: both end in a consistent file set.
      await this.#maintenance.catch(() => undefined);
      // The loader's files first: the log may put the newest segment's hint and index (read by the loader) back in place.
      this.#space.stopLoading();
      if (this.readOnly) this.#log.release();
      else await this.#log.close();
      await this.#writable?.close();
    } finally {
      this.#lock?.release();
    }
  }

  /** fdatasync calls made by appends since open (group commit makes this far fewer than writes). */
  get syncCount(): number {
    return this.#log.syncCount;
  }

  // ---- internals ---------------------------------------------------------

  /** Queues a batch encoded now (no reads in the queue): it may share one write() with its neighbours. */
  #appendEncoded(batch: EncodedBatch): Promise<void> {
    this.#checkWritable();
    return this.#log.appendEncoded(this.#plainWrite, batch);
  }

  /** The request of every plain write (appendEncoded: its batch comes with it, prepare is never called). */
  readonly #plainWrite: AppendRequest<void> = { prepare: () => undefined, apply: (b) => this.#applyBatch(b), plain: true };

  #append(prepare: () => RecordToAppend[] | undefined): Promise<void> {
    this.#checkWritable();
    return this.#log.append({ prepare, apply: (b) => this.#applyBatch(b) });
  }

  /** Points the key directory at the records just written. */
  #applyBatch(b: AppendedBatch | undefined): void {
    if (!b) return;
    if (b.encoded !== undefined) return this.#applyEncoded(b, b.encoded);
    for (const { record, position, size, offset } of b.records ?? []) {
      if (record.op === Op.Delete) this.#space.applyTombstone(record.key, b.segment.id);
      else this.#space.set(record.key, b.segment.id, position, size, offset, record.expireAtMs);
    }
  }

  /** #applyBatch() of a batch encoded at the call: each key read from where it lies in the batch's bytes, no view made (but for a delete). */
  #applyEncoded(b: AppendedBatch, e: EncodedBatch): void {
    const { bytes, starts, count } = e;
    const segment = b.segment.id;
    const space = this.#space;
    for (let i = 0; i < count; i++) {
      const start = starts === undefined ? FIRST_RECORD : starts[i]!;
      const end = starts === undefined ? bytes.length : starts[i + 1]!;
      const expires = bytes[start + 5] === 1;
      const keyAt = start + RECORD_FIXED_SIZE + (expires ? EXPIRY_SIZE : 0);
      const keyLength = bytes[start + 10]! | (bytes[start + 11]! << 8);
      if (bytes[start + 4] === Op.Delete) {
        space.applyTombstone(bytes.subarray(keyAt, keyAt + keyLength), segment);
      } else {
        const expireAtMs = expires ? bytes.readUInt32LE(start + RECORD_FIXED_SIZE + 4) * 0x100000000 + bytes.readUInt32LE(start + RECORD_FIXED_SIZE) : undefined;
        space.setAt(bytes, keyAt, keyLength, segment, b.position + start, end - start, b.baseOffset + i, expireAtMs);
      }
    }
  }

  #putRecord(key: Key, value: V, options: WriteOptions): RecordToAppend {
    this.#checkWritable();
    const keyBytes = checkKey(key);
    return this.#valueRecord(keyBytes, this.#codec.encode(value), this.#expiry(options));
  }

  #valueRecord(key: Uint8Array, value: Uint8Array, expireAtMs: number | undefined): RecordToAppend {
    if (value.length > this.#maxValueSize) {
      throw new LogkvError('TOO_LARGE', `value of ${value.length} bytes is over the maximum of ${this.#maxValueSize}`);
    }
    return { op: Op.Put, key, value, expireAtMs };
  }

  #deleteRecord(key: Key): RecordToAppend {
    this.#checkWritable();
    return { op: Op.Delete, key: checkKey(key), value: EMPTY };
  }

  #expiry(options: WriteOptions): number | undefined {
    const { ttlMs, expireAt } = options;
    if (ttlMs !== undefined && expireAt !== undefined) throw new LogkvError('INVALID_ARGUMENT', 'give ttlMs or expireAt, not both');
    if (ttlMs !== undefined) {
      if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new LogkvError('INVALID_ARGUMENT', `ttlMs must be a positive integer, not ${String(ttlMs)}`);
      return this.#now() + ttlMs;
    }
    if (expireAt !== undefined && (!Number.isSafeInteger(expireAt) || expireAt < 0)) {
      throw new LogkvError('INVALID_ARGUMENT', `expireAt must be a time in ms since the epoch, not ${String(expireAt)}`);
    }
    return expireAt;
  }

  #checkOpen(): void {
    if (this.#closed) throw new LogkvError('CLOSED', 'the store is closed');
  }

  #checkWritable(): void {
    this.#checkMaintainable();
    if (this.#follower) throw new LogkvError('READ_ONLY', `the store at ${this.dir} is a follower: it takes only its leader's writes`);
  }

  /** Compaction and snapshots: every store that may write its files, a follower too. */
  #checkMaintainable(): void {
    this.#checkOpen();
    if (this.readOnly) throw new LogkvError('READ_ONLY', `the store at ${this.dir} is open read-only`);
  }

  /** The manifest to write to (every caller has passed #checkWritable). */
  get #manifestForWrites(): Manifest {
    if (this.#writable === undefined) throw new LogkvError('READ_ONLY', `the store at ${this.dir} is open read-only`);
    return this.#writable;
  }
}

/** The ordered index's bounds for a query; a prefix overrides gt/gte/lt/lte. */
function boundsOf(options: RangeQuery): { gt?: Uint8Array; gte?: Uint8Array; lt?: Uint8Array; lte?: Uint8Array; reverse?: boolean } {
  const bound = (k: Key | undefined) => (k === undefined ? undefined : toKeyBytes(k));
  const range = { gt: bound(options.gt), gte: bound(options.gte), lt: bound(options.lt), lte: bound(options.lte), reverse: options.reverse };
  if (options.prefix !== undefined) {
    const prefix = toKeyBytes(options.prefix);
    range.gte = prefix;
    range.lt = prefixEnd(prefix);
  }
  return range;
}

function limitOf(limit: number | undefined): number {
  return limit === undefined || limit < 0 ? Infinity : limit;
}

function toKeyBytes(key: Key): Uint8Array {
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  if (key instanceof Uint8Array) return key;
  throw new LogkvError('INVALID_ARGUMENT', `keys are strings or Uint8Arrays, not ${typeof key}`);
}

/** A key for messages: its text when printable, else hex. */
function describeKey(key: Uint8Array): string {
  const text = Buffer.from(key).toString('utf8');
  return /^[\x20-\x7e]*$/.test(text) ? JSON.stringify(text) : `0x${Buffer.from(key).toString('hex')}`;
}

/** A replicated batch's records as the log appends them, checked first: a refused batch writes nothing. */
function replicatedRecords(batch: ReplicatedBatch, maxValueSize: number): RecordToAppend[] {
  const bad = (why: string) => new LogkvError('INVALID_ARGUMENT', `a replicated batch ${why}`);
  if (typeof batch?.leader !== 'string' || batch.leader.length === 0) throw bad('names no leader');
  if (!Number.isSafeInteger(batch.timestampMs) || batch.timestampMs < 0) throw bad(`has no valid timestamp (${String(batch.timestampMs)})`);
  const given = batch.records;
  if (!Array.isArray(given) || given.length === 0) throw bad('holds no records');
  if (given.length > MAX_RECORDS_PER_BATCH) throw new LogkvError('TOO_LARGE', `a batch holds at most ${MAX_RECORDS_PER_BATCH} records`);
  let previous = -1;
  const records = given.map((r): RecordToAppend => {
    if (!Number.isSafeInteger(r.offset) || r.offset <= previous) throw bad(`has offsets that do not increase (${String(r.offset)} after ${previous})`);
    if (r.offset - given[0]!.offset > 0xffffffff) throw bad('spans more offsets than a batch can');
    previous = r.offset;
    if (!(r.key instanceof Uint8Array) || (r.value !== undefined && !(r.value instanceof Uint8Array))) throw bad('holds a key or value that is not bytes');
    if (r.key.length > MAX_KEY_LENGTH) throw new LogkvError('TOO_LARGE', `key of ${r.key.length} bytes is over ${MAX_KEY_LENGTH}`);
    if (r.value !== undefined && r.value.length > maxValueSize) throw new LogkvError('TOO_LARGE', `value of ${r.value.length} bytes is over the maximum of ${maxValueSize}`);
    if (r.expireAt !== undefined && (!Number.isSafeInteger(r.expireAt) || r.expireAt < 0)) throw bad(`has an invalid expiry (${String(r.expireAt)})`);
    const key = Buffer.from(r.key);
    if (r.value === undefined) return { op: Op.Delete, key, value: EMPTY, offset: r.offset };
    return { op: Op.Put, key, value: Buffer.from(r.value), expireAtMs: r.expireAt, offset: r.offset };
  });
  const bytes = batchSize({ records });
  if (bytes > MAX_BATCH_LENGTH) throw new LogkvError('TOO_LARGE', `a batch of ${bytes} bytes is over ${MAX_BATCH_LENGTH}`);
  return records;
}

function checkKey(key: Key): Uint8Array {
  const bytes = toKeyBytes(key);
  if (bytes.length > MAX_KEY_LENGTH) throw new LogkvError('TOO_LARGE', `key of ${bytes.length} bytes is over ${MAX_KEY_LENGTH}`);
  // Copy: the caller may reuse its buffer before the write is queued out.
  return Buffer.from(bytes);
}

function checkOptions(options: LogStoreOptions) {
  const segmentSize = segmentSizeOption(options.segmentSize);
  const maxValueSize = options.maxValueSize ?? MAX_VALUE_LENGTH;
  if (!Number.isSafeInteger(maxValueSize) || maxValueSize < 0 || maxValueSize > MAX_VALUE_LENGTH) {
    throw new LogkvError('INVALID_ARGUMENT', `maxValueSize must be an integer from 0 to ${MAX_VALUE_LENGTH}`);
  }
  const durability = options.durability ?? 'sync';
  if (!DURABILITIES.includes(durability)) throw new LogkvError('INVALID_ARGUMENT', `unknown durability ${String(durability)}`);
  const recovery = options.recovery ?? 'strict';
  if (recovery !== 'strict' && recovery !== 'salvage') throw new LogkvError('INVALID_ARGUMENT', `unknown recovery mode ${String(recovery)}`);
  if (options.valueEncoding !== undefined && !(options.valueEncoding in ENCODINGS)) {
    throw new LogkvError('INVALID_ARGUMENT', `unknown valueEncoding ${String(options.valueEncoding)}`);
  }
  const syncIntervalMs = options.syncIntervalMs ?? 100;
  const cleanerDirtyRatio = options.cleanerDirtyRatio ?? 0.5;
  if (typeof cleanerDirtyRatio !== 'number' || !(cleanerDirtyRatio >= 0 && cleanerDirtyRatio <= 1)) {
    throw new LogkvError('INVALID_ARGUMENT', 'cleanerDirtyRatio must be a number from 0 to 1');
  }
  const tombstoneRetentionMs = options.tombstoneRetentionMs ?? 24 * 60 * 60 * 1000;
  if (!Number.isSafeInteger(tombstoneRetentionMs) || tombstoneRetentionMs < 0) {
    throw new LogkvError('INVALID_ARGUMENT', 'tombstoneRetentionMs must be a non-negative integer');
  }
  const keepSnapshots = options.keepSnapshots ?? 2;
  if (!Number.isSafeInteger(keepSnapshots) || keepSnapshots < 1) throw new LogkvError('INVALID_ARGUMENT', 'keepSnapshots must be a positive integer');
  const syncOnMainThread = options.syncOnMainThread ?? false;
  if (typeof syncOnMainThread !== 'boolean') throw new LogkvError('INVALID_ARGUMENT', 'syncOnMainThread must be true or false');
  if (syncOnMainThread && options.io) throw new LogkvError('INVALID_ARGUMENT', 'syncOnMainThread chooses the real file system; it cannot be given with io');
  const readOnly = options.readOnly ?? false;
  const createIfMissing = options.createIfMissing ?? true;
  const mmap = options.mmap ?? true;
  const follower = options.follower ?? false;
  if (typeof readOnly !== 'boolean' || typeof createIfMissing !== 'boolean' || typeof mmap !== 'boolean' || typeof follower !== 'boolean') {
    throw new LogkvError('INVALID_ARGUMENT', 'readOnly, createIfMissing, mmap and follower are true or false');
  }
  const loadKeys = options.loadKeys ?? 'background';
  if (loadKeys !== 'background' && loadKeys !== 'before-open') throw new LogkvError('INVALID_ARGUMENT', `loadKeys is 'background' or 'before-open', not ${String(loadKeys)}`);
  if (follower && readOnly) throw new LogkvError('INVALID_ARGUMENT', 'a follower writes its leader\'s batches: it cannot be opened readOnly');
  return {
    readOnly,
    follower,
    createIfMissing,
    mmap,
    loadKeys,
    syncOnMainThread,
    // The real file system's syncs writers wait for go to the store's own thread where the addon is loaded (sync-thread.ts).
    syncThread: !syncOnMainThread && options.io === undefined,
    keepSnapshots,
    segmentSize,
    maxValueSize,
    durability,
    recovery,
    syncIntervalMs,
    autoCompact: options.autoCompact ?? true,
    cleanerDirtyRatio,
    tombstoneRetentionMs,
    onBackgroundError: options.onBackgroundError,
    now: options.now ?? Date.now,
  };
}

type CheckedOptions = ReturnType<typeof checkOptions>;

/** Opens (creating if needed) a LogStore: `open('./mystore')`, or `open('orders')` under LOGKV_DIR. */
export function open<V = unknown>(dirOrName: string, options?: LogStoreOptions): Promise<LogStore<V>> {
  return LogStore.open<V>(dirOrName, options);
}
