// Slow work kept off the write queue, so that a segment roll is a rename
// and a manifest frame, not a stall: the sealed segment's hint (which reads
// and scans the whole segment), the preallocation of the next segment
// (which writes its whole size in zeros), a cleaner output's hint, and the
// key order of a snapshot (a sort of every live key).
//
// On the real file system the work runs in one worker thread shared by
// every store of the process: the event loop, and the writes queued on it,
// never wait for it (`detached`). With any other FileIO (the tests'
// crashing file system, whose faults strike "the next fsync" of any file)
// it runs on this thread and the roll waits for it, as before: a fault
// meant for the log's own fsync must not be taken by a hint being written
// beside it. The SIGKILL suite (test/crash/kill.test.ts) runs the detached
// path on real files.
//
// Crash stories: a hint not yet written when the process dies leaves a
// sealed segment without a hint, which open rescans (segment-log.ts); a
// spare segment file is never listed in the manifest before its header is
// rewritten and it is renamed into place, so a crash leaves an unlisted
// temporary file that open removes (store-dir.ts: a store name holding
// the segment magic).

import { unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { LogkvError, type ErrorCode } from '../errors.js';
import { type FileIO, inlineSyncFileIO, nodeFileIO, removeFiles } from '../io/file-io.js';
import { inheritedFlags, loaderFlags } from '../io/worker-flags.js';
import { type BackgroundResult, type BackgroundTask, perform } from './background-tasks.js';
import { sortByKey } from './key-order.js';
import { prepareSegmentFile } from './segment-file.js';
import { type HintedSegment, writeHint, writeHintFrom } from './segment-hint.js';
import { type SegmentFilesHeader, SegmentNewest } from './segment-newest.js';
import { readSegmentParts, type SegmentReadParts } from './recovery-scan.js';

export interface BackgroundFiles {
  /** True: the work runs beside the event loop and nobody needs to wait for it. False: it runs on this thread; the caller awaits it where it is asked. */
  readonly detached: boolean;
  /** writeHint() (segment-hint.ts): false when the segment does not read back whole. */
  writeHint(dir: string, segment: HintedSegment): Promise<boolean>;
  /** writeHintFrom() (segment-hint.ts). `records` is handed over: the caller must not use it after. */
  writeHintFrom(dir: string, segment: HintedSegment, header: SegmentFilesHeader, records: SegmentNewest): Promise<boolean>;
  /** Whether the worker is up (and a task costs it no start-up). */
  readonly running: boolean;
  /** prepareSegmentFile() (segment-file.ts). */
  prepareSegmentFile(path: string, header: Uint8Array, size: number): Promise<void>;
  /** sortByKey() (key-order.ts). The arrays are handed over: the caller must not use them after. */
  sortByKey(arena: Uint8Array<ArrayBuffer>, offsets: Uint32Array<ArrayBuffer>): Promise<Uint32Array>;
  /** removeFiles() (file-io.ts) of files that exist: a 64 MiB segment's unlink took up to ~20 ms here, and writes wait behind this thread (on the real file system it runs in libuv's thread pool). */
  removeFiles(paths: string[]): Promise<void>;
  /** readSegmentParts() (recovery-scan.ts): a sealed segment recovery reads whole, read and sorted beside the segments this thread reads. */
  readSegment(path: string): Promise<SegmentReadParts>;
  /** Starts the worker now, if it is not running, for work that will come soon: it takes ~100 ms to start here. */
  warm(): void;
}

/** The worker thread on the real file system, this thread otherwise. */
export function backgroundFiles(io: FileIO): BackgroundFiles {
  if (io === nodeFileIO || io === inlineSyncFileIO) return sharedWorker();
  return {
    detached: false,
    running: false,
    writeHint: (dir, segment) => writeHint(io, dir, segment),
    writeHintFrom: (dir, segment, header, records) => writeHintFrom(io, dir, segment, header, records),
    prepareSegmentFile: (path, header, size) => prepareSegmentFile(io, path, header, size),
    sortByKey: (arena, offsets) => Promise.resolve(sortByKey(arena, offsets)),
    removeFiles: (paths) => removeFiles(io, paths),
    readSegment: (path) => Promise.resolve(readSegmentParts(io, path)),
    warm: () => undefined,
  };
}

export type BackgroundReply =
  | { id: number; ok: true; result: BackgroundResult }
  | { id: number; ok: false; error: { code?: ErrorCode | undefined; message: string; file?: string | undefined; reason?: string | undefined } };

let shared: WorkerFiles | undefined;


function sharedWorker(): WorkerFiles {
  shared ??= new WorkerFiles();
  return shared;
}

interface Queued {
  task: BackgroundTask;
  transfer: ArrayBuffer[];
  resolve(result: BackgroundResult): void;
  reject(e: unknown): void;
}

/**
 * Tasks go to the worker once it has said it is ready. A worker that
 * cannot start (flags it refuses, a module it cannot load) is not retried:
 * its tasks, and every later one, run on this thread instead (slower
 * rolls, nothing lost), with one warning.
 */
class WorkerFiles implements BackgroundFiles {
  readonly detached = true;
  #worker: Worker | undefined;
  #ready = false;
  #broken = false;
  #nextId = 1;
  /** Tasks waiting for the worker to be ready. */
  #queued: Queued[] = [];
  /** Tasks posted to the worker, by id. */
  readonly #posted = new Map<number, Queued>();

  writeHint(dir: string, segment: HintedSegment): Promise<boolean> {
    const { path, stem, baseOffset, nextOffset, compacted } = segment;
    return this.#run({ kind: 'hint', dir, segment: { path, stem, baseOffset, nextOffset, compacted } }).then((r) => r === true);
  }

  writeHintFrom(dir: string, segment: HintedSegment, header: SegmentFilesHeader, records: SegmentNewest): Promise<boolean> {
    const { path, stem, baseOffset, nextOffset, compacted } = segment;
    const parts = records.parts();
    return this.#run({ kind: 'hint-from', dir, segment: { path, stem, baseOffset, nextOffset, compacted }, header, parts }, SegmentNewest.buffers(parts)).then((r) => r === true);
  }

  get running(): boolean {
    return this.#ready;
  }

  async prepareSegmentFile(path: string, header: Uint8Array, size: number): Promise<void> {
    await this.#run({ kind: 'prepare', path, header, size });
  }

  async sortByKey(arena: Uint8Array<ArrayBuffer>, offsets: Uint32Array<ArrayBuffer>): Promise<Uint32Array> {
    const order = await this.#run({ kind: 'sort', arena, offsets }, [arena.buffer, offsets.buffer]);
    if (!(order instanceof Uint32Array)) throw new Error('logkv background worker: a sort answered without an order');
    return order;
  }

  /** In libuv's thread pool, not the worker: an unlink needs no JavaScript, and a worker not yet running takes ~100 ms to start. */
  async removeFiles(paths: string[]): Promise<void> {
    await Promise.all(paths.map((p) => unlink(p)));
    for (const folder of new Set(paths.map((p) => dirname(p)))) await nodeFileIO.syncDir(folder);
  }

  async readSegment(path: string): Promise<SegmentReadParts> {
    const read = await this.#run({ kind: 'read-segment', path });
    if (typeof read !== 'object' || !('parts' in read)) throw new Error('logkv background worker: a segment read answered without its records');
    return read;
  }

  warm(): void {
    if (!this.#broken) this.#start();
  }

  #run(task: BackgroundTask, transfer: ArrayBuffer[] = []): Promise<BackgroundResult> {
    if (this.#broken) return perform(task);
    return new Promise((resolve, reject) => {
      const q: Queued = { task, transfer, resolve, reject };
      if (this.#ready) {
        this.#post(q);
        return;
      }
      this.#start();
      if (this.#broken) perform(task).then(resolve, reject);
      // Posted before the worker is ready (its messages wait for it): it starts on the task as soon as it runs, not when
      // this thread next turns its event loop. A hint-less open reads its own segments meanwhile, synchronously, and
      // the worker's segment waited ~150-250 ms for that (profiled). Nothing moved with it, so it can still run here.
      else if (transfer.length === 0) this.#post(q);
      else this.#queued.push(q);
    });
  }

  #post(q: Queued): void {
    const worker = this.#worker!;
    const id = this.#nextId++;
    this.#posted.set(id, q);
    // Held only while work is pending: an idle worker must not keep the process alive.
    if (this.#posted.size === 1) worker.ref();
    worker.postMessage({ id, task: q.task }, q.transfer);
  }

  #start(): void {
    if (this.#worker) return;
    if (process.env.LOGKV_WORKER === '0') {
      this.#giveUp(new Error('LOGKV_WORKER=0'));
      return;
    }
    // The worker inherits the process's flags (a TypeScript loader under tests), except those that only make sense for a main script.
    const inherited = inheritedFlags();
    const url = new URL('./background-worker.js', import.meta.url);
    let worker: Worker;
    try {
      try {
        worker = new Worker(url, { execArgv: inherited });
      } catch (e) {
        // A V8 flag (--expose-gc, --max-old-space-size) is refused in a worker: keep only what loading the worker's modules needs.
        if ((e as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
        worker = new Worker(url, { execArgv: loaderFlags() });
      }
    } catch (e) {
      this.#giveUp(e);
      return;
    }
    this.#worker = worker;
    worker.on('message', (reply: BackgroundReply | 'ready') => {
      if (reply === 'ready') {
        this.#ready = true;
        const queued = this.#queued;
        this.#queued = [];
        for (const q of queued) this.#post(q);
        if (this.#posted.size === 0) worker.unref();
      } else this.#settle(reply);
    });
    worker.on('error', (e) => this.#lost(e));
    worker.on('exit', (code) => this.#lost(new Error(`logkv background worker exited with code ${code}`)));
  }

  #settle(reply: BackgroundReply): void {
    const q = this.#posted.get(reply.id);
    if (!q) return;
    this.#posted.delete(reply.id);
    if (this.#posted.size === 0) this.#worker?.unref();
    if (reply.ok) q.resolve(reply.result);
    else {
      const { code, message, file, reason } = reply.error;
      q.reject(code ? new LogkvError(code, message, { file, reason }) : new Error(message));
    }
  }

  /** The worker failed. Before it was ready: no worker for this process. After: what it held fails, and the next task starts a new one. */
  #lost(e: unknown): void {
    if (!this.#ready) {
      this.#giveUp(e);
      return;
    }
    this.#worker = undefined;
    this.#ready = false;
    const posted = [...this.#posted.values()];
    this.#posted.clear();
    for (const q of posted) q.reject(e);
  }

  #giveUp(e: unknown): void {
    this.#broken = true;
    this.#worker = undefined;
    process.emitWarning(`logkv: no background worker thread (${e instanceof Error ? e.message : String(e)}); segment rolls and snapshots do their slow work on the main thread`);
    // Tasks posted before it was ready moved nothing (#run): they run here too.
    const queued = [...this.#posted.values(), ...this.#queued];
    this.#posted.clear();
    this.#queued = [];
    for (const q of queued) perform(q.task).then(q.resolve, q.reject);
  }
}
