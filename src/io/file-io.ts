// All file I/O of the engines goes through this interface, so tests can swap
// in a file system that crashes, tears writes and fails fsync on command
// (test/support/memory-file-io.ts). Reads and writes are synchronous: they
// hit the page cache and cost microseconds, and the read path cannot afford
// libuv's thread pool (DESIGN: readSync 1 us vs filehandle.read 41 us).
// Only the fdatasync, the one slow call, is asynchronous, so that writers
// arriving during it can share the next one (group commit): in libuv's
// thread pool, or for the log's group commit on a thread of the store's own
// (syncOn, sync-thread.ts). inlineSyncFileIO runs it on the calling thread
// instead: the hop to another thread costs about 0.05 ms a sync on this
// machine (measured with bench/, a fifth of a durable put), bought back by
// stopping the event loop for the sync.

import * as fs from 'node:fs';
import { dirname } from 'node:path';
import type { ByteSource } from '../formats/byte-source.js';
import { mapFile, type Mapping } from './mapped-file.js';
import type { SyncThread } from './sync-thread.js';

export interface FileHandle {
  readonly path: string;
  /** Reads into `buf` from `position`; returns the bytes read (short at EOF). */
  read(buf: Uint8Array, position: number): number;
  /** Writes all of `data` at `position`. */
  write(data: Uint8Array, position: number): void;
  /** fdatasync: resolves once everything written so far is durable. */
  sync(): Promise<void>;
  /**
   * sync() run on `thread` (sync-thread.ts) instead of libuv's pool; absent
   * where files have no descriptor (the tests' memory file system).
   */
  syncOn?(thread: SyncThread): Promise<void>;
  size(): number;
  truncate(length: number): void;
  close(): void;
  /**
   * The file's first `length` bytes mapped read-only (mapped-file.ts), or
   * undefined where this file system cannot map. Only for a file that is
   * never truncated while mapped; the mapping outlives close().
   */
  map?(length: number): Mapping | undefined;
}

export type OpenMode =
  /** Read only; the file must exist. */
  | 'read'
  /** Read and write; the file must exist. */
  | 'update'
  /** Read and write; the file must not exist yet. */
  | 'create';

export interface FileIO {
  open(path: string, mode: OpenMode): FileHandle;
  readFile(path: string): Buffer;
  exists(path: string): boolean;
  /** Whether `path` is a directory (false when missing or another kind of file). */
  isDirectory(path: string): boolean;
  /** Atomically replaces `to` with `from` (durable after syncDir). */
  rename(from: string, to: string): void;
  unlink(path: string): void;
  /** Makes `path` and any missing parents. */
  mkdir(path: string): void;
  /** Removes an empty directory. */
  rmdir(path: string): void;
  readdir(path: string): string[];
  /** Makes creations, renames and unlinks in `dir` durable. */
  syncDir(dir: string): Promise<void>;
}

const FLAGS: Record<OpenMode, string> = { read: 'r', update: 'r+', create: 'wx+' };

class NodeFileHandle implements FileHandle {
  readonly path: string;
  readonly #fd: number;
  readonly #inlineSync: boolean;
  #closed = false;

  constructor(path: string, fd: number, inlineSync: boolean) {
    this.path = path;
    this.#fd = fd;
    this.#inlineSync = inlineSync;
  }

  read(buf: Uint8Array, position: number): number {
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(this.#fd, buf, done, buf.length - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  write(data: Uint8Array, position: number): void {
    let done = 0;
    while (done < data.length) done += fs.writeSync(this.#fd, data, done, data.length - done, position + done);
  }

  sync(): Promise<void> {
    if (this.#inlineSync) {
      try {
        fs.fdatasyncSync(this.#fd);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise((resolve, reject) => fs.fdatasync(this.#fd, (err) => (err ? reject(err) : resolve())));
  }

  syncOn(thread: SyncThread): Promise<void> {
    return thread.fdatasync(this.#fd);
  }

  size(): number {
    return fs.fstatSync(this.#fd).size;
  }

  truncate(length: number): void {
    fs.ftruncateSync(this.#fd, length);
  }

  map(length: number): Mapping | undefined {
    return mapFile(this.#fd, length);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    fs.closeSync(this.#fd);
  }
}

function realFileIO(inlineSync: boolean): FileIO {
  return {
    open: (path, mode) => new NodeFileHandle(path, fs.openSync(path, FLAGS[mode]), inlineSync),
    readFile: (path) => fs.readFileSync(path),
    exists: (path) => fs.existsSync(path),
    isDirectory: (path) => fs.statSync(path, { throwIfNoEntry: false })?.isDirectory() === true,
    rename: (from, to) => fs.renameSync(from, to),
    unlink: (path) => fs.unlinkSync(path),
    mkdir: (path) => {
      fs.mkdirSync(path, { recursive: true });
    },
    rmdir: (path) => fs.rmdirSync(path),
    readdir: (path) => fs.readdirSync(path),
    syncDir: (dir) =>
      new Promise((resolve, reject) => {
        fs.open(dir, 'r', (err, fd) => {
          if (err) return reject(err);
          fs.fsync(fd, (syncErr) => fs.close(fd, () => (syncErr ? reject(syncErr) : resolve())));
        });
      }),
  };
}

/** The real file system. */
export const nodeFileIO: FileIO = realFileIO(false);

/** The real file system, each fdatasync of a file run on the calling thread (fs.fdatasyncSync); directory syncs stay asynchronous. */
export const inlineSyncFileIO: FileIO = realFileIO(true);

/**
 * Replaces `path` with `data` atomically: write a temporary file, fsync it,
 * rename it over `path`, fsync the directory. A crash at any step leaves the
 * old file or the new one (recovery contract, item 6). `data` may be a
 * source (another file), copied a window at a time.
 */
export function replaceFile(io: FileIO, path: string, data: Uint8Array | ByteSource, options: ReplaceOptions = {}): Promise<void> {
  const every = options.syncEvery;
  return replaceFileWith(io, path, async (h) => {
    if (!(data instanceof Uint8Array)) return copyInto(h, data);
    if (every === undefined) return h.write(data, 0);
    for (let at = 0; at < data.length; at += every) {
      h.write(data.subarray(at, Math.min(data.length, at + every)), at);
      if (at + every < data.length) await h.sync();
    }
  });
}

export interface ReplaceOptions {
  /**
   * Bytes written between fdatasyncs of the temporary file (bytes given as
   * a Uint8Array). For files written beside the log's durable writes: one
   * fsync of megabytes puts them all in the disk's queue at once, and the
   * log's own fdatasyncs wait behind them (SYNC_PIECE_BYTES).
   */
  syncEvery?: number;
}

/**
 * A piece of a file written beside the log's durable writes, synced before
 * the next is written. A sealed 64 MiB segment's hint and index (~24 MB)
 * synced whole made nearly every put in those ~20 ms wait over 3 ms (384
 * of ~7,300 in the bench's roll workload); in 1 MiB pieces, 0-64 of ~10,800,
 * the write taking ~30 ms. 4 MiB pieces were worse than one sync. The
 * spare segment's zero fill goes out in pieces of this size too
 * (segment-file.ts).
 */
export const SYNC_PIECE_BYTES = 1024 * 1024;

/** Removes `paths`, then makes the removals durable (an fsync of each folder they were in). */
export async function removeFiles(io: FileIO, paths: readonly string[]): Promise<void> {
  const folders = new Set<string>();
  for (const path of paths) {
    io.unlink(path);
    folders.add(dirname(path));
  }
  for (const folder of folders) await io.syncDir(folder);
}

/**
 * replaceFile() of contents written piece by piece: `fill` writes the
 * temporary file through its handle (kvtool repair rewrites a segment of
 * any size a bounded piece at a time). Same steps, same crash story.
 */
export async function replaceFileWith(io: FileIO, path: string, fill: (h: FileHandle) => void | Promise<void>): Promise<void> {
  const tmp = `${path}.tmp`;
  if (io.exists(tmp)) io.unlink(tmp);
  const h = io.open(tmp, 'create');
  try {
    await fill(h);
    await h.sync();
  } finally {
    h.close();
  }
  io.rename(tmp, path);
  await io.syncDir(dirname(path));
}

/** Writes all of `source` into `h` from position 0, a window at a time. */
function copyInto(h: FileHandle, source: ByteSource): void {
  for (let at = 0; at < source.size; ) {
    const chunk = source.read(at, source.window);
    if (chunk.length === 0) break;
    h.write(chunk, at);
    at += chunk.length;
  }
}
