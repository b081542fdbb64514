// LogLevel: an abstract-level database (the interface of classic-level and
// memory-level) whose data lives in a LogStore directory. abstract-level does
// the validation, encodings, deferred open, sublevels, events and hooks; this
// class fills in its private methods over the store.
//
// The store holds binary values and is told nothing about key or value
// encodings: abstract-level transcodes everything to buffers ('buffer' is
// the one encoding declared), so the same directory opens with
// LogStore.open(dir) as byte keys and byte values.

import { resolve } from 'node:path';
import { AbstractLevel } from 'abstract-level';
import type { AbstractBatchOperation, AbstractBatchOptions, AbstractChainedBatch, AbstractDatabaseOptions, AbstractDelOptions, AbstractPutOptions } from 'abstract-level';
import { LogkvError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { type BatchOperation, type Durability, type LogOpenReport, LogStore, type RecoveryMode } from '../log/log-store.js';
import { LogIterator, LogKeyIterator, LogValueIterator, type PrivateRangeOptions, rangeOf } from './iterators.js';
import { toLevelError } from './level-error.js';

export interface LogLevelOptions<K, V> extends AbstractDatabaseOptions<K, V> {
  /**
   * 'sync' (default): every write resolves once fsynced (concurrent writes
   * share one fsync). 'interval' (fsync every syncIntervalMs) and 'none'
   * resolve before; a write with `sync: true` then waits for an fsync.
   */
  durability?: Durability;
  /** For durability 'interval'. Default 100 ms. */
  syncIntervalMs?: number;
  /** Log segments are preallocated to this size and rolled when full. Default 64 MiB. */
  segmentSize?: number;
  /** Largest value accepted, in bytes; at most 256 MiB. */
  maxValueSize?: number;
  /** 'strict' (default) or 'salvage': see LogStore. */
  recovery?: RecoveryMode;
  /** fdatasync on the JavaScript thread: see LogStore. */
  syncOnMainThread?: boolean;
  /** File I/O (tests pass one that can crash). */
  io?: FileIO;
}

interface OpenOptions {
  createIfMissing: boolean;
  errorIfExists: boolean;
}

/** `sync` as classic-level has it on put, del and batch (and a chained batch's write). */
export interface LogLevelWriteOptions {
  /** Resolve only once the write is durable (see `durability`; under 'sync' every write is). */
  sync?: boolean | undefined;
}
type WriteOptions = LogLevelWriteOptions;

/**
 * What works, and nothing more: abstract-level's test suite runs every test
 * this enables. (level-supports' types predate `getSync`, which it passes
 * through as given.)
 */
const MANIFEST: ConstructorParameters<typeof AbstractLevel>[0] & { getSync: boolean } = {
  encodings: { buffer: true },
  has: true,
  // A get is a hash lookup and one synchronous positioned read.
  getSync: true,
  seek: true,
  createIfMissing: true,
  errorIfExists: true,
  permanence: true,
  // Iterators are live over the ordered index: they see writes made after their creation.
  implicitSnapshots: false,
  explicitSnapshots: false,
  // Each step is synchronous: there is no work in flight for a signal to abort.
  signals: { iterators: false },
};

type PrivateOperation = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

// The write methods' types, with `sync` (abstract-level's own types leave such options to implementations).
export interface LogLevel<K = string, V = string> {
  put(key: K, value: V): Promise<void>;
  put<KK = K, VV = V>(key: KK, value: VV, options: AbstractPutOptions<KK, VV> & LogLevelWriteOptions): Promise<void>;
  del(key: K): Promise<void>;
  del<KK = K>(key: KK, options: AbstractDelOptions<KK> & LogLevelWriteOptions): Promise<void>;
  batch(operations: Array<AbstractBatchOperation<this, K, V>>): Promise<void>;
  batch<KK = K, VV = V>(operations: Array<AbstractBatchOperation<this, KK, VV>>, options: AbstractBatchOptions<KK, VV> & LogLevelWriteOptions): Promise<void>;
  /** Its write() takes `{ sync: true }` too. */
  batch(): AbstractChainedBatch<this, K, V>;
}

export class LogLevel<K = string, V = string> extends AbstractLevel<Buffer, K, V> {
  readonly #location: string;
  readonly #durability: Durability;
  readonly #storeOptions: Pick<LogLevelOptions<K, V>, 'durability' | 'syncIntervalMs' | 'segmentSize' | 'maxValueSize' | 'recovery' | 'syncOnMainThread' | 'io'>;
  #store: LogStore<Buffer> | undefined;
  #openReport: LogOpenReport | undefined;

  /** `location` is a directory, as for ClassicLevel (relative to the working directory). */
  constructor(location: string, options: LogLevelOptions<K, V> = {}) {
    if (typeof location !== 'string' || location === '') throw new TypeError("The first argument 'location' must be a non-empty string");
    const { durability = 'sync', syncIntervalMs, segmentSize, maxValueSize, recovery, syncOnMainThread, io, ...forward } = options;
    super(MANIFEST, forward);
    this.#location = resolve(location);
    this.#durability = durability;
    this.#storeOptions = { durability, syncIntervalMs, segmentSize, maxValueSize, recovery, syncOnMainThread, io };
  }

  get location(): string {
    return this.#location;
  }

  /** What the last open found and did (LogStore's report: torn tail cut, damage, keys). */
  get openReport(): LogOpenReport | undefined {
    return this.#openReport;
  }

  get #db(): LogStore<Buffer> {
    if (this.#store === undefined) throw new LogkvError('CLOSED', 'the database is not open');
    return this.#store;
  }

  async _open(options: OpenOptions): Promise<void> {
    const exists = LogStore.exists(this.#location, this.#storeOptions.io);
    // LevelDB's wording (both are InvalidArgument there too).
    if (!exists && !options.createIfMissing) throw new LogkvError('INVALID_ARGUMENT', `${this.#location} does not exist (createIfMissing is false)`);
    if (exists && options.errorIfExists) throw new LogkvError('INVALID_ARGUMENT', `${this.#location} exists (errorIfExists is true)`);
    try {
      const store = await LogStore.open<Buffer>(this.#location, { ...this.#storeOptions, valueEncoding: 'binary' });
      this.#store = store;
      this.#openReport = store.openReport;
    } catch (e) {
      throw toLevelError(e);
    }
  }

  async _close(): Promise<void> {
    const store = this.#store;
    this.#store = undefined;
    try {
      await store?.close();
    } catch (e) {
      throw toLevelError(e);
    }
  }

  async _get(key: Buffer): Promise<Buffer | undefined> {
    return this._getSync(key);
  }

  _getSync(key: Buffer): Buffer | undefined {
    try {
      return this.#db.get(key);
    } catch (e) {
      throw toLevelError(e);
    }
  }

  async _getMany(keys: Buffer[]): Promise<Array<Buffer | undefined>> {
    try {
      const db = this.#db;
      return keys.map((key) => db.get(key));
    } catch (e) {
      throw toLevelError(e);
    }
  }

  async _has(key: Buffer): Promise<boolean> {
    return (await this._hasMany([key]))[0]!;
  }

  async _hasMany(keys: Buffer[]): Promise<boolean[]> {
    try {
      const db = this.#db;
      return keys.map((key) => db.has(key));
    } catch (e) {
      throw toLevelError(e);
    }
  }

  async _put(key: Buffer, value: Buffer, options: WriteOptions): Promise<void> {
    await this.#write(options, (db) => db.put(key, value));
  }

  async _del(key: Buffer, options: WriteOptions): Promise<void> {
    await this.#write(options, (db) => db.delete(key));
  }

  /** One log batch: all or nothing, after a crash too. */
  async _batch(operations: PrivateOperation[], options: WriteOptions): Promise<void> {
    const ops = operations.map((op): BatchOperation<Buffer> => (op.type === 'put' ? { type: 'put', key: op.key, value: op.value } : { type: 'del', key: op.key }));
    await this.#write(options, (db) => db.batch(ops));
  }

  /** `sync: true` means durable on resolve: under 'sync' every write is; otherwise wait for an fsync. */
  async #write(options: WriteOptions, run: (db: LogStore<Buffer>) => Promise<void>): Promise<void> {
    try {
      const db = this.#db;
      await run(db);
      if (options.sync === true && this.#durability !== 'sync') await db.flush();
    } catch (e) {
      throw toLevelError(e);
    }
  }

  /** Writes called after clear() are kept, even those that land while it runs (LogStore.clear). */
  async _clear(options: PrivateRangeOptions): Promise<void> {
    try {
      await this.#db.clear({ ...rangeOf(options), limit: options.limit });
    } catch (e) {
      throw toLevelError(e);
    }
  }

  _iterator(options: PrivateRangeOptions): LogIterator {
    return new LogIterator(this as LogLevel<unknown, unknown>, options, this.#cursor(options));
  }

  _keys(options: PrivateRangeOptions): LogKeyIterator {
    return new LogKeyIterator(this as LogLevel<unknown, unknown>, options, this.#cursor(options));
  }

  _values(options: PrivateRangeOptions): LogValueIterator {
    return new LogValueIterator(this as LogLevel<unknown, unknown>, options, this.#cursor(options));
  }

  #cursor(options: PrivateRangeOptions) {
    try {
      return this.#db.cursor(rangeOf(options));
    } catch (e) {
      throw toLevelError(e);
    }
  }
}
