// JournalStore: a bounded key-value store for small state (config, feature
// flags, the LogStore's manifest) in two fixed-size journal files,
// BASE.jrna and BASE.jrnb, in the formats/journal.ksy format. The design of
// bd-resilient-kv, without its flaws: every frame carries a CRC-32C, the
// newer file is chosen by generation and a file that cannot be read is
// reported, never silently skipped, and a new generation's header reaches
// the disk only after its data (see journal-file.ts).
//
// Reads are served from memory. Writes are queued one at a time; each is
// one frame (set, setMany and remove are all "set" frames, a null value
// removing its key), appended and, with durability 'sync', fdatasynced
// before the promise resolves.

import { basename, dirname, join } from 'node:path';
import { LogkvError, writeFailure } from '../errors.js';
import { encodeFrame, type JournalEntry } from '../formats/journal-writer.js';
import type { JournalValue } from '../formats/journal-value.js';
import { FrameOp, JOURNAL_HEADER_SIZE, MAX_JOURNAL_FILE_SIZE, MIN_JOURNAL_FILE_SIZE } from '../formats/limits.js';
import { type FileHandle, type FileIO, nodeFileIO, replaceFile } from '../io/file-io.js';
import { DURABILITIES, type Durability } from '../io/durability.js';
import { acquireLock, type LockFile } from '../io/lock-file.js';
import { bytesNeeded, compactBody, markSuperseded, writeGeneration } from './journal-file.js';
import {
  type DataLoss,
  nextGeneration,
  planRecovery,
  type JournalFileRead,
  readJournalFile,
  type RecoveryEvent,
  type RecoveryPlan,
} from './journal-recovery.js';

export type { Durability };

export interface JournalStoreOptions {
  /** Size of each journal file in bytes (default 1 MiB; 4 KiB to 1 GiB). */
  bufferSize?: number;
  /** Fraction of the file after which the state is compacted into the other file (0, 1]; default 0.8. */
  highWaterMark?: number;
  /** 'sync' (default): a write resolves once durable. 'interval': fsync every syncIntervalMs. 'none': on close only. */
  durability?: Durability;
  syncIntervalMs?: number;
  /** Throw CORRUPT instead of opening when any data would be lost; nothing is written then. */
  failOnDataLoss?: boolean;
  /**
   * Where copies of damaged files and cut tails go (made when missing).
   * Default: beside the journal files (`BASE.jrna.damaged-1`).
   */
  keepAsideDir?: string;
  /** The I/O implementation (tests pass one that crashes on command). */
  io?: FileIO;
  /** Clock for header timestamps. */
  now?: () => number;
}

/**
 * What the LogStore's manifest opens its journal with, beside the public
 * options (not part of the package's API).
 */
export interface ManifestJournalOptions extends JournalStoreOptions {
  /**
   * The lock file that keeps a second writer out. `false`: the caller holds
   * a lock that covers these files (the LogStore's LOCK covers its
   * manifest), and a second lock file would only cost an open.
   */
  lock?: boolean;
  /**
   * Both files as the caller already read them (readJournalFile, a then b)
   * under that lock, so open does not read and parse them again. Only with
   * `lock: false`: without the caller's lock they could have changed since.
   */
  read?: readonly [JournalFileRead, JournalFileRead] | undefined;
}

export interface JournalOpenReport {
  dataLoss: DataLoss;
  /** The file the store now appends to. */
  activeFile: string;
  generation: number;
  events: RecoveryEvent[];
  /** Copies of damaged files and cut tails, kept for inspection. */
  keptAside: string[];
}

export const DEFAULT_JOURNAL_SIZE = 1024 * 1024;

/** What setMany() takes: [key, value] pairs or an object's own properties. */
export type JournalEntries = Iterable<readonly [string, JournalValue]> | { readonly [key: string]: JournalValue };

export class JournalStore {
  readonly openReport: JournalOpenReport;
  readonly #io: FileIO;
  readonly #paths: readonly [string, string];
  readonly #hwm: number;
  readonly #durability: Durability;
  readonly #now: () => number;
  readonly #lock: LockFile | undefined;
  #active: 0 | 1;
  #handle: FileHandle;
  #generation: number;
  #fileSize: number;
  #tail: number;
  #state: Map<string, JournalValue>;
  #triggered = false;
  #dirty = false;
  #closed = false;
  #failed: unknown;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  private constructor(init: {
    io: FileIO;
    paths: readonly [string, string];
    options: Required<Pick<JournalStoreOptions, 'highWaterMark' | 'durability' | 'now'>>;
    lock: LockFile | undefined;
    active: 0 | 1;
    handle: FileHandle;
    generation: number;
    fileSize: number;
    tail: number;
    state: Map<string, JournalValue>;
    report: JournalOpenReport;
  }) {
    this.#io = init.io;
    this.#paths = init.paths;
    this.#hwm = init.options.highWaterMark;
    this.#durability = init.options.durability;
    this.#now = init.options.now;
    this.#lock = init.lock;
    this.#active = init.active;
    this.#handle = init.handle;
    this.#generation = init.generation;
    this.#fileSize = init.fileSize;
    this.#tail = init.tail;
    this.#state = init.state;
    this.openReport = init.report;
  }

  /**
   * Opens (or creates) the store at BASE.jrna / BASE.jrnb. The report says
   * what was found: clean, a torn tail cut, corruption (file, offset) and
   * copies kept aside.
   */
  static async open(basePath: string, publicOptions: JournalStoreOptions = {}): Promise<JournalStore> {
    const options: ManifestJournalOptions = publicOptions;
    const io = options.io ?? nodeFileIO;
    const hwm = options.highWaterMark ?? 0.8;
    if (typeof hwm !== 'number' || !(hwm > 0 && hwm <= 1)) {
      throw new LogkvError('INVALID_ARGUMENT', `highWaterMark must be in (0, 1], not ${String(hwm)}`);
    }
    const durability = options.durability ?? 'sync';
    if (!DURABILITIES.includes(durability)) throw new LogkvError('INVALID_ARGUMENT', `unknown durability ${String(durability)}`);
    const requested = options.bufferSize;
    if (requested !== undefined && (!Number.isInteger(requested) || requested < MIN_JOURNAL_FILE_SIZE || requested > MAX_JOURNAL_FILE_SIZE)) {
      throw new LogkvError('INVALID_ARGUMENT', `bufferSize must be an integer from ${MIN_JOURNAL_FILE_SIZE} to ${MAX_JOURNAL_FILE_SIZE}`);
    }
    const now = options.now ?? Date.now;
    const paths = [`${basePath}.jrna`, `${basePath}.jrnb`] as const;
    if (options.read && options.lock !== false) throw new LogkvError('INVALID_ARGUMENT', 'files read ahead of open need the caller\'s lock (lock: false)');
    if (options.read && (options.read[0].path !== paths[0] || options.read[1].path !== paths[1])) {
      throw new LogkvError('INVALID_ARGUMENT', `the files read ahead are not ${paths.join(' and ')}`);
    }
    const lock = options.lock === false ? undefined : acquireLock(io, `${basePath}.lock`);
    try {
      const [a, b] = options.read ?? [readJournalFile(io, paths[0]), readJournalFile(io, paths[1])];
      const plan = planRecovery(a, b);
      if (options.failOnDataLoss && plan.dataLoss !== 'none') {
        throw new LogkvError('CORRUPT', `opening would lose data: ${plan.events.map((e) => e.message).join('; ')}`, { file: plan.events[0]?.file, offset: plan.events[0]?.offset });
      }
      const activeSize = plan.active?.state.scan.header.fileSize;
      const fileSize = requested ?? activeSize ?? DEFAULT_JOURNAL_SIZE;
      const generation = nextGeneration(plan);
      const resize = activeSize !== undefined && activeSize !== fileSize;
      // The state is written out whole only for a new store, a rewrite or a resize; otherwise the
      // active file goes on as it is (and a full one switches at its next write, as always).
      const body = !plan.active || plan.rewrite || resize ? compactBody(generation, plan.state) : undefined;
      if (body !== undefined && bytesNeeded(body.length) > fileSize) {
        throw new LogkvError('FULL', `the state needs ${bytesNeeded(body.length)} bytes, more than a bufferSize of ${fileSize}`);
      }
      const keptAside = await keepAside(io, plan, options.keepAsideDir);
      const opened = await carryOut(io, paths, plan, { fileSize, generation, body, now });
      await ensureSpare(io, opened.active === 0 ? paths[1] : paths[0], plan, fileSize);
      const store = new JournalStore({
        io,
        paths,
        options: { highWaterMark: hwm, durability, now },
        lock,
        ...opened,
        fileSize,
        state: plan.state,
        report: { dataLoss: plan.dataLoss, activeFile: paths[opened.active], generation: opened.generation, events: plan.events, keptAside },
      });
      if (durability === 'interval') store.#startTimer(options.syncIntervalMs ?? 1000);
      if (store.#usage() > hwm) await store.#enqueue(() => store.#compact());
      return store;
    } catch (e) {
      lock?.release();
      throw e;
    }
  }

  // ---- reads -------------------------------------------------------------

  get(key: string): JournalValue | undefined {
    this.#checkOpen();
    const v = this.#state.get(key);
    return v === undefined ? undefined : copy(v);
  }

  has(key: string): boolean {
    this.#checkOpen();
    return this.#state.has(key);
  }

  size(): number {
    this.#checkOpen();
    return this.#state.size;
  }

  isEmpty(): boolean {
    return this.size() === 0;
  }

  keys(): string[] {
    this.#checkOpen();
    return [...this.#state.keys()];
  }

  values(): JournalValue[] {
    this.#checkOpen();
    return [...this.#state.values()].map(copy);
  }

  entries(): Array<[string, JournalValue]> {
    this.#checkOpen();
    return [...this.#state].map(([k, v]) => [k, copy(v)]);
  }

  toObject(): { [key: string]: JournalValue } {
    const o: { [key: string]: JournalValue } = {};
    for (const [k, v] of this.entries()) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
    return o;
  }

  /** True while the active file is past the high water mark even after compaction. */
  isHighWaterMarkTriggered(): boolean {
    return this.#triggered;
  }

  /** Fraction of the active file in use. */
  usage(): number {
    return this.#usage();
  }

  // ---- writes ------------------------------------------------------------

  /** Sets `key` (null removes it) and returns the previous value. */
  async set(key: string, value: JournalValue): Promise<JournalValue | undefined> {
    checkKey(key);
    checkValue(value);
    return this.#mutate(() => {
      const previous = this.#state.get(key);
      return { write: { op: FrameOp.Set, entries: [{ key, value }] }, result: previous === undefined ? undefined : copy(previous) };
    });
  }

  /** Removes `key` and returns its value. */
  async remove(key: string): Promise<JournalValue | undefined> {
    checkKey(key);
    return this.#mutate(() => {
      const previous = this.#state.get(key);
      if (previous === undefined) return { result: undefined };
      return { write: { op: FrameOp.Set, entries: [{ key, value: null }] }, result: copy(previous) };
    });
  }

  /** Sets many keys in one frame: after a crash, all of them or none. */
  async setMany(entries: JournalEntries): Promise<void> {
    const list: JournalEntry[] = [];
    const iterable = Symbol.iterator in entries ? (entries as Iterable<readonly [string, JournalValue]>) : Object.entries(entries);
    for (const [key, value] of iterable) {
      checkKey(key);
      checkValue(value);
      list.push({ key, value });
    }
    if (list.length === 0) return;
    await this.#mutate(() => ({ write: { op: FrameOp.Set, entries: list }, result: undefined }));
  }

  /** Removes every key. */
  async clear(): Promise<void> {
    await this.#mutate(() => ({ write: { op: FrameOp.Clear, entries: [] }, result: undefined }));
  }

  /** Makes every write so far durable (for 'interval' and 'none'). */
  async sync(): Promise<void> {
    await this.#enqueue(async () => {
      // After a failed write or fsync nothing may be acknowledged (fsyncgate).
      if (this.#failed !== undefined) throw writeFailure(this.#failed, 'an earlier write or fsync failed; reopen the store');
      await this.#syncIfDirty();
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#enqueue(() => this.#syncIfDirty());
    } finally {
      this.#closed = true;
      if (this.#timer) clearInterval(this.#timer);
      this.#handle.close();
      this.#lock?.release();
    }
  }

  // ---- internals ---------------------------------------------------------

  /**
   * Runs one write in turn: `prepare` sees the state as of every earlier
   * write and says which frame to write (if any) and what to return. An
   * input the encoder rejects fails here, before anything is written.
   */
  async #mutate<T>(prepare: () => { write?: { op: FrameOp; entries: JournalEntry[] }; result: T }): Promise<T> {
    this.#checkOpen();
    return this.#enqueue(async () => {
      this.#checkWritable();
      const { write, result } = prepare();
      if (write) await this.#writeFrame(write.op, write.entries);
      return result;
    });
  }

  async #writeFrame(op: FrameOp, entries: JournalEntry[]): Promise<void> {
    let frame = encodeFrame({ generation: this.#generation, op, entries });
    if (!this.#fits(frame.length)) {
      // Compaction changes no key, so a write that still does not fit after it
      // changes nothing (and setMany gets its one retry, as in bd-resilient-kv).
      await this.#compact();
      frame = encodeFrame({ generation: this.#generation, op, entries });
      if (!this.#fits(frame.length)) {
        if (op === FrameOp.Clear) return this.#switchTo(new Map());
        throw new LogkvError('FULL', `a frame of ${frame.length} bytes does not fit: ${this.#fileSize - this.#tail - 4} bytes free after compaction`);
      }
    }
    await this.#append(frame);
    apply(this.#state, op, entries);
    if (!this.#triggered && this.#usage() > this.#hwm) await this.#compact();
  }

  async #append(frame: Buffer): Promise<void> {
    try {
      this.#handle.write(frame, this.#tail);
      this.#tail += frame.length;
      this.#dirty = true;
      if (this.#durability === 'sync') await this.#syncIfDirty();
    } catch (e) {
      this.#failed = e;
      throw writeFailure(e, `write to ${this.#handle.path} failed; reopen the store`, { file: this.#handle.path });
    }
  }

  async #syncIfDirty(): Promise<void> {
    if (!this.#dirty || this.#failed) return;
    try {
      await this.#handle.sync();
      this.#dirty = false;
    } catch (e) {
      this.#failed = e;
      throw writeFailure(e, `fsync of ${this.#handle.path} failed; reopen the store`, { file: this.#handle.path });
    }
  }

  /** Rewrites the live state into the other file as the next generation. */
  #compact(): Promise<void> {
    return this.#switchTo(this.#state);
  }

  async #switchTo(state: Map<string, JournalValue>): Promise<void> {
    const generation = this.#generation + 1;
    const body = compactBody(generation, state);
    const target = this.#active === 0 ? 1 : 0;
    let handle: FileHandle;
    try {
      // The frames in the old file may not be durable yet (interval/none):
      // the new generation holds all of them, and is itself made durable.
      handle = await writeGeneration(this.#io, this.#paths[target], { generation, fileSize: this.#fileSize, body, createdMs: this.#now() });
    } catch (e) {
      this.#failed = e;
      throw writeFailure(e, `compaction into ${this.#paths[target]} failed; reopen the store`);
    }
    try {
      await markSuperseded(this.#handle);
    } catch (e) {
      handle.close();
      this.#failed = e;
      throw writeFailure(e, `marking ${this.#handle.path} superseded failed; reopen the store`);
    }
    this.#handle.close();
    this.#handle = handle;
    this.#active = target;
    this.#generation = generation;
    this.#tail = JOURNAL_HEADER_SIZE + body.length;
    this.#dirty = false;
    if (state !== this.#state) this.#state = state;
    this.#triggered = this.#usage() > this.#hwm;
  }

  #fits(frameLength: number): boolean {
    return this.#tail + frameLength + 4 <= this.#fileSize;
  }

  #usage(): number {
    return this.#tail / this.#fileSize;
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #startTimer(ms: number): void {
    this.#timer = setInterval(() => {
      this.#enqueue(() => this.#syncIfDirty()).catch(() => undefined);
    }, ms);
    this.#timer.unref();
  }

  #checkOpen(): void {
    if (this.#closed) throw new LogkvError('CLOSED', 'the journal store is closed');
  }

  #checkWritable(): void {
    this.#checkOpen();
    if (this.#failed !== undefined) {
      throw writeFailure(this.#failed, 'an earlier write or fsync failed; reopen the store');
    }
  }
}

function apply(state: Map<string, JournalValue>, op: FrameOp, entries: JournalEntry[]): void {
  if (op === FrameOp.Clear) state.clear();
  for (const e of entries) {
    if (e.value === null) state.delete(e.key);
    else state.set(e.key, copy(e.value));
  }
}

/**
 * Values are copied in and out so callers cannot change the state behind
 * the journal's back. By hand, not structuredClone: that copies the whole
 * buffer under a Uint8Array view (a 100-byte slice of a pooled Buffer cost
 * a 1 MiB copy, ~0.5 ms, per get in the bench).
 */
function copy(v: JournalValue): JournalValue {
  if (typeof v !== 'object' || v === null) return v;
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (Array.isArray(v)) return v.map(copy);
  const o: { [key: string]: JournalValue } = {};
  for (const [k, x] of Object.entries(v)) Object.defineProperty(o, k, { value: copy(x), enumerable: true, writable: true, configurable: true });
  return o;
}

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new LogkvError('INVALID_ARGUMENT', `keys are strings, not ${typeof key}`);
}

function checkValue(value: unknown): void {
  if (value === undefined) throw new LogkvError('INVALID_ARGUMENT', 'undefined is not a value; use null to remove a key');
}

async function keepAside(io: FileIO, plan: RecoveryPlan, dir: string | undefined): Promise<string[]> {
  const kept: string[] = [];
  if (dir !== undefined && (plan.quarantine.length > 0 || plan.cutTail) && !io.exists(dir)) {
    io.mkdir(dir);
    await io.syncDir(dirname(dir));
  }
  const aside = (path: string, tag: string) => {
    const at = dir === undefined ? path : join(dir, basename(path));
    for (let n = 1; ; n++) {
      const candidate = `${at}.${tag}-${n}`;
      if (!io.exists(candidate)) return candidate;
    }
  };
  for (const f of plan.quarantine) {
    const target = aside(f.path, 'damaged');
    await replaceFile(io, target, f.bytes!);
    kept.push(target);
  }
  if (plan.cutTail && plan.active) {
    const scan = plan.active.state.scan;
    const tail = plan.active.bytes!.subarray(scan.validUpTo);
    const target = aside(plan.active.path, 'torn');
    await replaceFile(io, target, tail);
    kept.push(target);
  }
  return kept;
}

/** Makes the plan's state the active file: in place, or as a new generation. */
async function carryOut(
  io: FileIO,
  paths: readonly [string, string],
  plan: RecoveryPlan,
  p: { fileSize: number; generation: number; body: Buffer | undefined; now: () => number },
): Promise<{ active: 0 | 1; handle: FileHandle; generation: number; tail: number }> {
  const { active } = plan;
  if (active && p.body === undefined) {
    const scan = active.state.scan;
    const handle = io.open(active.path, 'update');
    if (plan.cutTail) {
      handle.write(Buffer.alloc(scan.header.fileSize - scan.validUpTo), scan.validUpTo);
      await handle.sync();
    }
    return { active: active.path === paths[0] ? 0 : 1, handle, generation: scan.header.generation, tail: scan.validUpTo };
  }
  // A new store, a rewrite or a resize: the state written out whole.
  const body = p.body ?? compactBody(p.generation, plan.state);
  // A new store starts in .jrna; otherwise the new generation goes into the spare.
  const target: 0 | 1 = active && plan.spare.path === paths[0] ? 0 : active ? 1 : 0;
  const handle = await writeGeneration(io, paths[target], { generation: p.generation, fileSize: p.fileSize, body, createdMs: p.now() });
  const other = paths[target === 0 ? 1 : 0];
  if (active && io.exists(other)) {
    const older = io.open(other, 'update');
    try {
      await markSuperseded(older);
    } finally {
      older.close();
    }
  }
  return { active: target, handle, generation: p.generation, tail: JOURNAL_HEADER_SIZE + body.length };
}

/** The spare must exist at the store's size; a fresh one is all zeros (uninitialized). */
async function ensureSpare(io: FileIO, path: string, plan: RecoveryPlan, fileSize: number): Promise<void> {
  const read = [plan.spare, plan.active].find((f) => f?.path === path);
  const usable = io.exists(path) && read !== undefined && (read.state.kind === 'valid' || read.state.kind === 'uninitialized');
  if (usable) return;
  const created = !io.exists(path);
  const h = io.open(path, created ? 'create' : 'update');
  try {
    h.truncate(0);
    h.truncate(fileSize);
    await h.sync();
  } finally {
    h.close();
  }
  if (created) await io.syncDir(dirname(path));
}
