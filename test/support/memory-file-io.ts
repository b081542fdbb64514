// An in-memory FileIO that knows what a crash keeps: per file, the bytes as
// of its last sync plus (at the crash's choice) a prefix of the writes since,
// the last one possibly torn; per directory, the names as of its last
// syncDir. Strict POSIX: a file created or renamed but not yet made durable
// by a directory sync may vanish.

import { basename, dirname } from 'node:path';
import type { FileHandle, FileIO, OpenMode } from '../../src/io/file-io.js';

interface Inode {
  data: Buffer;
  synced: Buffer;
  /** Writes and truncations since the last sync, in order. */
  pending: Array<{ kind: 'write'; position: number; data: Buffer } | { kind: 'truncate'; length: number }>;
}

export interface CrashOptions {
  /** Random source in [0, 1); without it every unsynced byte is dropped. */
  random?: () => number;
}

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(`${code}: ${message}`);
  e.code = code;
  return e;
}

/** Writes `data` into `target` in place, growing it (a copy) only when the write extends it. */
function applyWrite(target: Buffer, position: number, data: Buffer): Buffer {
  const out = target.length >= position + data.length ? target : Buffer.concat([target, Buffer.alloc(position + data.length - target.length)]);
  data.copy(out, position);
  return out;
}

type PendingOp = Inode['pending'][number];

function applyOp(target: Buffer, op: PendingOp): Buffer {
  return op.kind === 'write' ? applyWrite(target, op.position, op.data) : resize(target, op.length);
}

function resize(b: Buffer, length: number): Buffer {
  return length <= b.length ? b.subarray(0, length) : Buffer.concat([b, Buffer.alloc(length - b.length)]);
}

export class MemoryFileIO implements FileIO {
  readonly #names = new Map<string, Inode>();
  readonly #durable = new Map<string, Inode>();
  readonly #dirs = new Set<string>(['/']);
  /** Counts of operations, for tests that check what a step costs. */
  readonly stats = { syncs: 0, dirSyncs: 0, writes: 0 };
  /** Number of coming file syncs that fail with EIO (their data stays unsynced). */
  failSyncs = 0;
  /** Called before every file or directory sync, with the count so far and the path (crash-point enumeration). */
  beforeSync: ((n: number, path: string) => void) | undefined;

  open(path: string, mode: OpenMode): FileHandle {
    let inode = this.#names.get(path);
    if (mode === 'create') {
      if (inode) throw errnoError('EEXIST', path);
      if (!this.#dirs.has(dirname(path))) throw errnoError('ENOENT', dirname(path));
      inode = { data: Buffer.alloc(0), synced: Buffer.alloc(0), pending: [] };
      this.#names.set(path, inode);
    } else if (!inode) {
      throw errnoError('ENOENT', path);
    }
    return this.#handle(path, inode, mode === 'read');
  }

  #handle(path: string, inode: Inode, readOnly: boolean): FileHandle {
    let closed = false;
    const check = (writing: boolean) => {
      if (closed) throw errnoError('EBADF', path);
      if (writing && readOnly) throw errnoError('EBADF', `${path} is open read-only`);
    };
    return {
      path,
      read: (buf, position) => {
        check(false);
        const n = Math.max(0, Math.min(buf.length, inode.data.length - position));
        inode.data.copy(buf, 0, position, position + n);
        return n;
      },
      write: (data, position) => {
        check(true);
        const copy = Buffer.from(data);
        inode.data = applyWrite(inode.data, position, copy);
        inode.pending.push({ kind: 'write', position, data: copy });
        this.stats.writes++;
      },
      sync: async () => {
        check(false);
        this.beforeSync?.(this.stats.syncs + this.stats.dirSyncs, path);
        if (this.failSyncs > 0) {
          this.failSyncs--;
          throw errnoError('EIO', `fsync ${path}`);
        }
        // Bring the durable image up to date by replaying only what changed.
        for (const op of inode.pending) inode.synced = applyOp(inode.synced, op);
        inode.pending = [];
        this.stats.syncs++;
      },
      size: () => inode.data.length,
      truncate: (length) => {
        check(true);
        inode.data = resize(inode.data, length);
        inode.pending.push({ kind: 'truncate', length });
      },
      close: () => {
        closed = true;
      },
    };
  }

  readFile(path: string): Buffer {
    const inode = this.#names.get(path);
    if (!inode) throw errnoError('ENOENT', path);
    return Buffer.from(inode.data);
  }

  exists(path: string): boolean {
    return this.#names.has(path) || this.#dirs.has(path);
  }

  rename(from: string, to: string): void {
    const inode = this.#names.get(from);
    if (!inode) throw errnoError('ENOENT', from);
    this.#names.delete(from);
    this.#names.set(to, inode);
  }

  unlink(path: string): void {
    if (!this.#names.delete(path)) throw errnoError('ENOENT', path);
  }

  mkdir(path: string): void {
    // Directories are durable at once: the stores here make theirs at creation.
    for (let p = path; p !== dirname(p); p = dirname(p)) this.#dirs.add(p);
  }

  readdir(path: string): string[] {
    if (!this.#dirs.has(path)) throw errnoError('ENOENT', path);
    const names = [...this.#names.keys()].filter((p) => dirname(p) === path).map((p) => basename(p));
    const dirs = [...this.#dirs].filter((p) => p !== path && dirname(p) === path).map((p) => basename(p));
    return [...names, ...dirs].sort();
  }

  async syncDir(dir: string): Promise<void> {
    this.beforeSync?.(this.stats.syncs + this.stats.dirSyncs, dir);
    this.stats.dirSyncs++;
    for (const p of [...this.#durable.keys()]) if (dirname(p) === dir && !this.#names.has(p)) this.#durable.delete(p);
    for (const [p, inode] of this.#names) if (dirname(p) === dir) this.#durable.set(p, inode);
  }

  /**
   * The file system as a machine would find it after losing power now: a
   * new MemoryFileIO holding only what was durable, plus, with a random
   * source, a random prefix of each file's unsynced writes, the last of them
   * possibly torn.
   */
  crash(options: CrashOptions = {}): MemoryFileIO {
    const after = new MemoryFileIO();
    for (const d of this.#dirs) after.#dirs.add(d);
    for (const [path, inode] of this.#durable) {
      let data: Buffer = Buffer.from(inode.synced);
      const random = options.random;
      if (random) {
        const keep = Math.floor(random() * (inode.pending.length + 1));
        for (let i = 0; i < keep; i++) {
          const op = inode.pending[i]!;
          if (op.kind === 'truncate') {
            data = resize(data, op.length);
            continue;
          }
          const torn = i === keep - 1 && random() < 0.5;
          const bytes = torn ? op.data.subarray(0, Math.floor(random() * op.data.length)) : op.data;
          data = applyWrite(data, op.position, bytes);
        }
      }
      after.#names.set(path, { data, synced: Buffer.from(data), pending: [] });
    }
    for (const [p, inode] of after.#names) after.#durable.set(p, inode);
    return after;
  }

  /** Replaces a file's bytes outright, durably (for corruption tests). */
  setFile(path: string, data: Uint8Array): void {
    const inode = this.#names.get(path) ?? { data: Buffer.alloc(0), synced: Buffer.alloc(0), pending: [] };
    inode.data = Buffer.from(data);
    inode.synced = Buffer.from(data);
    inode.pending = [];
    this.#names.set(path, inode);
    this.#durable.set(path, inode);
  }
}
