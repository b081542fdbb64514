// Slow file work kept off the write queue, so that a segment roll is a
// rename and a manifest frame, not a stall: the sealed segment's hint
// (which reads and scans the whole segment) and the preallocation of the
// next segment (which writes its whole size in zeros).
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

import { Worker } from 'node:worker_threads';
import { LogkvError, type ErrorCode } from '../errors.js';
import { type FileIO, inlineSyncFileIO, nodeFileIO } from '../io/file-io.js';
import { prepareSegmentFile } from './segment-file.js';
import { type HintedSegment, writeHint } from './segment-hint.js';

export interface BackgroundFiles {
  /** True: the work runs beside the event loop and nobody needs to wait for it. False: it runs on this thread; the caller awaits it where it is asked. */
  readonly detached: boolean;
  /** writeHint() (segment-hint.ts): false when the segment does not read back whole. */
  writeHint(dir: string, segment: HintedSegment): Promise<boolean>;
  /** prepareSegmentFile() (segment-file.ts). */
  prepareSegmentFile(path: string, header: Uint8Array, size: number): Promise<void>;
}

/** The worker thread on the real file system, this thread otherwise. */
export function backgroundFiles(io: FileIO): BackgroundFiles {
  if (io === nodeFileIO || io === inlineSyncFileIO) return sharedWorker();
  return {
    detached: false,
    writeHint: (dir, segment) => writeHint(io, dir, segment),
    prepareSegmentFile: (path, header, size) => prepareSegmentFile(io, path, header, size),
  };
}

/** A task as posted to the worker (background-worker.ts). */
export type BackgroundTask =
  | { kind: 'hint'; dir: string; segment: HintedSegment }
  | { kind: 'prepare'; path: string; header: Uint8Array; size: number };

export type BackgroundReply =
  | { id: number; ok: true; result: boolean | undefined }
  | { id: number; ok: false; error: { code?: ErrorCode | undefined; message: string; file?: string | undefined; reason?: string | undefined } };

let shared: WorkerFiles | undefined;

/** Flags a worker refuses (`node --input-type=module -e ...` starts a store too). */
const MAIN_SCRIPT_FLAGS = ['--input-type', '--eval', '-e', '--print', '-p', '--check', '-c', '--interactive', '-i', '--test'];

function sharedWorker(): WorkerFiles {
  shared ??= new WorkerFiles();
  return shared;
}

class WorkerFiles implements BackgroundFiles {
  readonly detached = true;
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #waiting = new Map<number, { resolve(result: boolean | undefined): void; reject(e: unknown): void }>();

  writeHint(dir: string, segment: HintedSegment): Promise<boolean> {
    const { path, stem, baseOffset, nextOffset } = segment;
    return this.#run({ kind: 'hint', dir, segment: { path, stem, baseOffset, nextOffset } }).then((r) => r === true);
  }

  async prepareSegmentFile(path: string, header: Uint8Array, size: number): Promise<void> {
    await this.#run({ kind: 'prepare', path, header, size });
  }

  #run(task: BackgroundTask): Promise<boolean | undefined> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      // Held only while work is pending: an idle worker must not keep the process alive.
      if (this.#waiting.size === 1) worker.ref();
      worker.postMessage({ id, task });
    });
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    // The worker inherits the process's flags (a TypeScript loader under tests), except those that only make sense for a main script.
    const execArgv = process.execArgv.filter((a) => !MAIN_SCRIPT_FLAGS.some((f) => a === f || a.startsWith(`${f}=`)));
    const worker = new Worker(new URL('./background-worker.js', import.meta.url), { execArgv });
    worker.unref();
    worker.on('message', (reply: BackgroundReply) => this.#settle(reply));
    worker.on('error', (e) => this.#failAll(e));
    worker.on('exit', (code) => this.#failAll(new Error(`logkv background worker exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  #settle(reply: BackgroundReply): void {
    const w = this.#waiting.get(reply.id);
    if (!w) return;
    this.#waiting.delete(reply.id);
    if (this.#waiting.size === 0) this.#worker?.unref();
    if (reply.ok) w.resolve(reply.result);
    else {
      const { code, message, file, reason } = reply.error;
      w.reject(code ? new LogkvError(code, message, { file, reason }) : new Error(message));
    }
  }

  /** The worker died (it should not): every task fails, and the next one starts a new worker. */
  #failAll(e: unknown): void {
    this.#worker = undefined;
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const w of waiting) w.reject(e);
  }
}
